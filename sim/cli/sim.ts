// `npm run sim -- <scenario.ts> [--seed N] [--preset P] [--knob k=v ...] [--quiet]`: runs one
// scenario, prints its timeline and a summary, and exits 0 when its expectations were met.
// `--json` and `--html` also save the run as a trace document and as a page.

import { writeFileSync } from 'node:fs';
import type { Bounds } from '../kernel/simulation.ts';
import { paletteFor } from '../render/colors.ts';
import { MIN_WIDTH, renderDiagram, wrapText } from '../render/diagram.ts';
import { renderHtml } from '../render/html.ts';
import {
  type TraceDocument,
  TraceSpool,
  traceDocument,
  writeTraceDocument,
} from '../render/json.ts';
import { renderLog } from '../render/log.ts';
import { renderSummary, replayCommand, runPassed } from '../render/summary.ts';
import { runScenario, ScenarioError } from '../scenario.ts';
import { loadScenario, scenarioFiles } from './load.ts';
import { EXIT, main, parseFlags, parseKnobFlags, parseSeed, UsageError } from './usage.ts';

const HELP =
  'usage: npm run sim -- <scenario.ts> [--seed N] [--preset seed|fixed] [--knob name=value ...] [--view diagram|log] [--width N] [--json out.json] [--html out.html] [--quiet] [--max-events N] [--max-queue N] [--max-trace-mb N] [--max-history N] | --list';

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
  'max-events': { type: 'string' },
  'max-queue': { type: 'string' },
  'max-trace-mb': { type: 'string' },
  'max-history': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function list(): Promise<number> {
  const c = paletteFor(process.stdout, process.env);
  for (const file of scenarioFiles()) {
    const scenario = await loadScenario(file);
    process.stdout.write(`${c.bold(file)}\n    ${scenario.goal}\n`);
  }
  return EXIT.ok;
}

async function sim(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, OPTIONS, HELP);
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return EXIT.ok;
  }
  if (values.list) return list();
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
  const bounds = parseBounds(values);
  const scenario = await loadScenario(file);
  // With --quiet and no page, nothing reads the trace after the run: it is hashed as it grows,
  // and streamed to --json, so a run of any length fits in memory.
  const keep = values.quiet !== true || values.html !== undefined;
  const spool = !keep && values.json !== undefined ? openSpool(values.json) : undefined;
  let run: ReturnType<typeof runScenario>;
  try {
    run = runScenario(scenario, {
      seed,
      preset: values.preset,
      knobs,
      bounds,
      trace: keep ? true : 'hash',
      ...(spool === undefined ? {} : { traceSink: spool.add }),
    });
  } catch (error) {
    spool?.dispose();
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
    // A loop, not push(...view): a long run's view overflows a call's argument list.
    for (const line of view) out.push(line);
    out.push('');
  }
  out.push(...renderSummary(c, run, replay, width));
  out.push(...saveOutputs(doc, values.json, values.html, spool));
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

function openSpool(json: string): TraceSpool {
  try {
    return new TraceSpool(json);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new UsageError(`could not write the trace to '${json}': ${why}`);
  }
}

/** The --max-* flags: each a whole number, at least 1. */
function parseBounds(values: Record<string, unknown>): Partial<Bounds> {
  const flags = [
    ['max-events', 'maxEvents', 1],
    ['max-queue', 'maxQueue', 1],
    ['max-trace-mb', 'maxTraceChars', 1_000_000],
    ['max-history', 'maxHistory', 1],
  ] as const;
  const bounds: { -readonly [K in keyof Bounds]?: number } = {};
  for (const [flag, field, unit] of flags) {
    const raw = values[flag];
    if (raw === undefined) continue;
    if (typeof raw !== 'string' || !/^[1-9]\d{0,9}$/.test(raw))
      throw new UsageError(`--${flag} must be a whole number from 1 (got '${String(raw)}')`);
    bounds[field] = Number(raw) * unit;
  }
  return bounds;
}

function save(path: string, text: string | (() => void), what: string): string {
  try {
    if (typeof text === 'string') writeFileSync(path, text);
    else text();
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
  spool: TraceSpool | undefined,
): string[] {
  const lines: string[] = [];
  if (json !== undefined)
    lines.push(save(json, () => writeTraceDocument(json, doc, spool), 'trace'));
  if (html !== undefined) lines.push(save(html, renderHtml(doc), 'page'));
  return lines;
}

await main(() => sim(process.argv.slice(2)));
