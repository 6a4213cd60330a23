// `npm run sim -- <scenario.ts> [--seed N] [--preset P] [--knob k=v ...] [--quiet]`: runs one
// scenario, prints its timeline and a summary, and exits 0 when its expectations were met.
// `--json` and `--html` also save the run as a trace document and as a page.

import { writeFileSync } from 'node:fs';
import { paletteFor } from '../render/colors.ts';
import { MIN_WIDTH, renderDiagram, wrapText } from '../render/diagram.ts';
import { renderHtml } from '../render/html.ts';
import { serializeTraceDocument, type TraceDocument, traceDocument } from '../render/json.ts';
import { renderLog } from '../render/log.ts';
import { renderSummary, replayCommand, runPassed } from '../render/summary.ts';
import { clean, SAY } from '../scenario/errors.ts';
import { runScenario, ScenarioError } from '../scenario.ts';
import { listedFiles, loadEach, loadScenario } from './load.ts';
import { EXIT, main, parseFlags, parseKnobFlags, parseSeed, UsageError } from './usage.ts';

const HELP =
  'usage: npm run sim -- <scenario.ts> [--seed N] [--preset seed|fixed] [--knob name=value ...] [--view diagram|log] [--width N] [--json out.json] [--html out.html] [--quiet] | --list [scenario files or folders]';

const OPTIONS = {
  seed: { type: 'string' },
  preset: { type: 'string' },
  knob: { type: 'string', multiple: true },
  quiet: { type: 'boolean' },
  view: { type: 'string' },
  width: { type: 'string' },
  json: { type: 'string' },
  html: { type: 'string' },
  list: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `--list [file or folder ...]`: each scenario with its goal; one that does not load, with why. */
async function list(paths: readonly string[], flags: readonly string[]): Promise<number> {
  if (flags.length > 0) throw new UsageError(SAY.listTakesNoFlags(flags[0]!, HELP));
  const c = paletteFor(process.stdout, process.env);
  const files = listedFiles(paths);
  let broken = 0;
  const out: string[] = [];
  for await (const loaded of loadEach(files)) {
    const line = 'scenario' in loaded ? loaded.scenario.goal : c.red(`✗ ${loaded.error}`);
    if (!('scenario' in loaded)) broken++;
    out.push(c.bold(clean(loaded.file, 200)), `    ${line}`);
  }
  // One write, as a run's output is: a reader that stops early (| head) gets whole lines.
  if (out.length > 0) process.stdout.write(`${out.join('\n')}\n`);
  if (broken > 0) throw new UsageError(SAY.listBroken(broken, files.length));
  if (files.length === 0) throw new UsageError(SAY.listEmpty(paths));
  return EXIT.ok;
}

async function sim(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, OPTIONS, HELP);
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return EXIT.ok;
  }
  if (values.list) {
    const flags = Object.keys(values).filter((f) => f !== 'list');
    return list(positionals, flags);
  }
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0
        ? `name a scenario file; ${HELP}`
        : `name one scenario file (got ${positionals.length}); ${HELP}`,
    );
  }
  const file = positionals[0]!;
  if (values.view !== undefined && values.view !== 'log' && values.view !== 'diagram') {
    throw new UsageError(`--view must be diagram or log (got '${values.view}')`);
  }
  const width = parseWidth(values.width);
  const seed = parseSeed(values.seed);
  const knobFlags = values.knob ?? [];
  const knobs = parseKnobFlags(knobFlags);
  const scenario = await loadScenario(file);
  let run: ReturnType<typeof runScenario>;
  try {
    run = runScenario(scenario, { seed, preset: values.preset, knobs });
  } catch (error) {
    if (error instanceof ScenarioError) throw new UsageError(error.message);
    throw error;
  }
  const c = paletteFor(process.stdout, process.env);
  const replay = replayCommand(file, run, values.preset, knobFlags);
  const doc = traceDocument(run, { file, goal: scenario.goal, replay });
  const title = wrapText(`${file} — ${scenario.goal}`, width, 2).map((line) => c.bold(line));
  const out: string[] = [...title, ''];
  if (!values.quiet) {
    const view = values.view === 'log' ? renderLog(c, run) : renderDiagram(c, doc, { width });
    out.push(...view, '');
  }
  out.push(...renderSummary(c, run, replay, width));
  out.push(...saveOutputs(doc, values.json, values.html));
  process.stdout.write(`${out.join('\n')}\n`);
  return runPassed(run) ? EXIT.ok : EXIT.failed;
}

/** `--width N`, else the terminal's width, else 100 (output to a file or a pipe). */
function parseWidth(raw: string | undefined): number {
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

function save(path: string, text: string, what: string): string {
  try {
    writeFileSync(path, text);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new UsageError(`could not write the ${what} to '${path}': ${why}`);
  }
  return `  ${what.padEnd(10)} ${path}`;
}

function saveOutputs(
  doc: TraceDocument,
  json: string | undefined,
  html: string | undefined,
): string[] {
  const lines: string[] = [];
  if (json !== undefined) lines.push(save(json, serializeTraceDocument(doc), 'trace'));
  if (html !== undefined) lines.push(save(html, renderHtml(doc), 'page'));
  return lines;
}

await main(() => sim(process.argv.slice(2)));
