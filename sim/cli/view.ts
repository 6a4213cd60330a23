// `npm run view -- <trace.json> [--html out.html]`: turns a trace saved by `npm run sim -- … --json`
// into the HTML page, the same page `--html` would have written for that run.

import { readFileSync, writeFileSync } from 'node:fs';
import { labPage } from '../lab/bundle.ts';
import { renderHtml } from '../render/html.ts';
import { parseTraceDocument, TraceFormatError } from '../render/json.ts';
import { EXIT, main, parseFlags, UsageError } from './usage.ts';

const HELP = 'usage: npm run view -- <trace.json> [--html out.html]';

const OPTIONS = {
  html: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The page goes beside the trace unless asked otherwise: run.json -> run.html. */
export function defaultPagePath(tracePath: string): string {
  return /\.json$/i.test(tracePath) ? tracePath.replace(/\.json$/i, '.html') : `${tracePath}.html`;
}

function readTrace(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why = code === 'ENOENT' ? 'there is no such file' : String(error);
    throw new UsageError(
      `cannot read '${path}': ${why}; save a run with: npm run sim -- <scenario.ts> --json ${path}`,
    );
  }
}

async function view(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, OPTIONS, HELP);
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError(`name one trace file; ${HELP}`);
  const tracePath = positionals[0]!;
  let page: string;
  try {
    const doc = parseTraceDocument(readTrace(tracePath));
    // A trace that holds its scenario gets the lab, as the page `sim --html` wrote.
    page = renderHtml(doc, {}, doc.scenario.definition === undefined ? undefined : labPage());
  } catch (error) {
    if (error instanceof TraceFormatError) {
      throw new UsageError(`'${tracePath}' is not a kvsim trace: ${error.message}`);
    }
    throw error;
  }
  const out = values.html ?? defaultPagePath(tracePath);
  try {
    writeFileSync(out, page);
  } catch (error) {
    throw new UsageError(
      `could not write the page to '${out}': ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  process.stdout.write(`wrote ${out}\n`);
  return EXIT.ok;
}

await main(() => view(process.argv.slice(2)));
