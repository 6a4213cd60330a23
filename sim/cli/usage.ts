// The command line's shared rules: a user's mistake is one line on stderr and exit status 2;
// our own failure is an internal error with the seed, exit status 1.

import { type ParseArgsConfig, parseArgs } from 'node:util';
import { MIN_WIDTH } from '../render/diagram.ts';

export class UsageError extends Error {}

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: readonly string[],
  options: T,
  help: string,
) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    throw new UsageError(`${message.replace(/\. To specify a positional.*$/, '')}; ${help}`);
  }
}

export function parseSeed(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,15}$/.test(raw))
    throw new UsageError(`--seed must be a whole number such as 1 or 42 (got '${raw}')`);
  return Number(raw);
}

/** `--width N`, else the terminal's width, else 100 (output to a file or a pipe). */
export function parseWidth(raw: string | undefined): number {
  if (raw === undefined) {
    const columns = process.stdout.isTTY ? process.stdout.columns : undefined;
    return Math.max(MIN_WIDTH, columns ?? 100);
  }
  if (!/^\d{1,4}$/.test(raw) || Number(raw) < MIN_WIDTH) {
    throw new UsageError(
      `--width must be a whole number of columns, at least ${MIN_WIDTH} (got '${raw}')`,
    );
  }
  return Number(raw);
}

/** `--knob name=value` flags into a record; the values are checked against the store's knobs later. */
export function parseKnobFlags(flags: readonly string[] | undefined): Record<string, string> {
  const knobs: Record<string, string> = {};
  for (const flag of flags ?? []) {
    const eq = flag.indexOf('=');
    if (eq <= 0)
      throw new UsageError(
        `--knob takes name=value, e.g. --knob followerApply=overwrite (got '${flag}')`,
      );
    knobs[flag.slice(0, eq)] = flag.slice(eq + 1);
  }
  return knobs;
}

/** Runs a command's main function, turning errors into the right exit status. */
export async function main(run: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await run();
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exitCode = EXIT.usage;
      return;
    }
    process.stderr.write(
      `internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = EXIT.failed;
  }
}
