// `npm run view -- <trace.json> [--html out.html]`: turns a trace saved by `npm run sim -- … --json`
// into the HTML page, the same page `--html` would have written for that run.

import { readFileSync } from 'node:fs';
import { renderHtml } from '../render/html.ts';
import { parseTraceDocument, TraceFormatError } from '../render/json.ts';
import { displayText } from '../render/safe-text.ts';
import { planOutputs, writeWhole } from './output.ts';
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
  const given = values.html;
  const [out] = planOutputs(
    [{ what: 'the trace being read', path: tracePath }],
    [
      given === undefined
        ? { flag: 'the page', path: defaultPagePath(tracePath), example: 'run.html' }
        : { flag: '--html', path: given, example: 'run.html' },
    ],
  );
  let page: string;
  try {
    page = renderHtml(parseTraceDocument(readTrace(tracePath)));
  } catch (error) {
    if (error instanceof TraceFormatError) {
      throw new UsageError(`'${tracePath}' is not a kvsim trace: ${error.message}`);
    }
    throw error;
  }
  writeWhole(out!, page);
  process.stdout.write(`wrote ${displayText(out!.path)}\n`);
  return EXIT.ok;
}

await main(() => view(process.argv.slice(2)));
