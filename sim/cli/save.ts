// Writing a command's output files (a trace, a page): a path that cannot be written is the user's
// mistake, told in one sentence; a written one is listed in the summary.

import { writeFileSync } from 'node:fs';
import { UsageError } from './usage.ts';

/** Writes `text` to `path` and returns the summary's line for it. */
export function save(path: string, text: string, what: string): string {
  try {
    writeFileSync(path, text);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new UsageError(`could not write the ${what} to '${path}': ${why}`);
  }
  return `  ${what.padEnd(10)} ${path}`;
}
