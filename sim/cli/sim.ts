// `npm run sim -- <scenario.ts> [--seed N] [--preset P] [--knob k=v ...] [--quiet]`: runs one
// scenario, prints its timeline and a summary, and exits 0 when its expectations were met.
// `--json` and `--html` also save the run as a trace document and as a page.

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bounds, DEFAULT_BOUNDS } from '../kernel/simulation.ts';
import { labPage } from '../lab/bundle.ts';
import { renderWhatIf } from '../lab/report.ts';
import {
  diffRuns,
  type Edit,
  EditError,
  editText,
  effectiveScenario,
  parseEdit,
  refusalOf,
  runWritten,
} from '../lab/whatif.ts';
import { paletteFor } from '../render/colors.ts';
import { renderDiagram, wrapText } from '../render/diagram.ts';
import { renderHtml } from '../render/html.ts';
import { type TraceDocument, traceDocument } from '../render/json.ts';
import { TraceSpool, writeTraceDocument } from '../render/json-file.ts';
import { renderLog } from '../render/log.ts';
import { displayText } from '../render/safe-text.ts';
import { field, renderSummary, runPassed } from '../render/summary.ts';
import { clean, SAY } from '../scenario/errors.ts';
import {
  type AnyScenario,
  knobsOf,
  runScenario,
  ScenarioError,
  type ScenarioRun,
} from '../scenario.ts';
import { listedFiles, loadEach, loadScenario } from './load.ts';
import { type OutputRequest, type PlannedOutput, planOutputs, WholeFile } from './output.ts';
import { BOUND_FLAGS, BOUND_VALUE, type BoundFlag, simReplay } from './replay.ts';
import {
  EXIT,
  main,
  parseFlags,
  parseKnobFlags,
  parseSeed,
  parseWidth,
  printHelp,
  shownPath,
  UsageError,
} from './usage.ts';

const HELP =
  'usage: npm run sim -- <scenario.ts> [--seed N] [--preset seed|fixed] [--knob name=value ...] [--what-if edit ...] [--view diagram|log] [--width N] [--json out.json] [--html out.html] [--quiet] [--max-events N] [--max-queue N] [--max-trace-mb N] [--max-history N] | --list [scenario files or folders]';

/** What `--help` says under the usage line: each flag's meaning, unit and default. */
const DETAILS = [
  '',
  "Runs a scenario and draws its timeline, then a summary: each guarantee's verdict, the trace hash",
  'and the command that replays the run. - (or /dev/stdin) reads the scenario from a pipe.',
  '',
  "  --seed N                 the seed of the run's random choices (default the scenario's, else 1)",
  "  --preset seed|fixed      the student's choices or the corrected ones (default the scenario's,",
  '                           else fixed)',
  '  --knob name=value        flips one knob over the preset; repeat it for more',
  '  --what-if edit           reruns with one edit (drop:<msg>, crash:<node>@<ms>, knob:<k>=<v>, …)',
  '                           and prints how the runs differ; repeat it to stack edits',
  '  --view diagram|log       a space-time diagram (default) or one plain line per event',
  '  --width N                columns to fit (default the terminal, or 100 when piped)',
  '  --json out.json          saves the run as a trace (kvsim-trace/1) for npm run view',
  '  --html out.html          writes one self-contained page with the diagram and the lab',
  '  --quiet                  prints only the summary; with --json, streams the trace',
  `  --max-events N           events run, at most (default ${DEFAULT_BOUNDS.maxEvents.toLocaleString('en')})`,
  `  --max-queue N            messages in flight and live timers, at most (default ${DEFAULT_BOUNDS.maxQueue.toLocaleString('en')})`,
  `  --max-trace-mb N         trace kept, in MB of JSON, at most (default ${DEFAULT_BOUNDS.maxTraceChars / 1_000_000})`,
  `  --max-history N          history entries, at most (default ${DEFAULT_BOUNDS.maxHistory.toLocaleString('en')})`,
  '  --list [files|folders]   each scenario with its goal (default the ones in scenarios/)',
];

const OPTIONS = {
  seed: { type: 'string' },
  preset: { type: 'string' },
  knob: { type: 'string', multiple: true },
  'what-if': { type: 'string', multiple: true },
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

/** `--list [file or folder ...]`: each scenario with its goal; one that does not load, with why. */
async function list(paths: readonly string[], flags: readonly string[]): Promise<number> {
  if (flags.length > 0) throw new UsageError(SAY.listTakesNoFlags(flags[0]!, HELP));
  const c = paletteFor(process.stdout, process.env);
  const listed = listedFiles(paths);
  const files = listed.filter((f) => f.scenario).map((f) => f.file);
  let broken = 0;
  const lines = new Map<string, string>();
  for await (const loaded of loadEach(files)) {
    const line =
      'scenario' in loaded ? displayText(loaded.scenario.goal) : c.red(`✗ ${loaded.error}`);
    if (!('scenario' in loaded)) broken++;
    lines.set(loaded.file, line);
  }
  const out: string[] = [];
  for (const { file } of listed)
    out.push(c.bold(clean(file, 200)), `    ${lines.get(file) ?? c.dim(SAY.listNotRead())}`);
  // One write, as a run's output is: a reader that stops early (| head) gets whole lines.
  if (out.length > 0) process.stdout.write(`${out.join('\n')}\n`);
  if (broken > 0) throw new UsageError(SAY.listBroken(broken, files.length));
  if (files.length === 0) throw new UsageError(SAY.listEmpty(paths, listed.length));
  return EXIT.ok;
}

async function sim(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, OPTIONS, HELP);
  if (values.help) {
    printHelp(HELP, DETAILS);
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
  // Before the scenario is even loaded: a bad output path must not cost the run.
  const requested = [
    { flag: '--json', path: values.json, example: 'run.json', kind: 'trace' as const },
    { flag: '--html', path: values.html, example: 'run.html', kind: 'page' as const },
  ].filter((o): o is OutputRequest => o.path !== undefined);
  const outputs = planOutputs([{ what: 'the scenario file', path: file }], requested);
  const { bounds, flags: boundFlags } = parseBounds(values);
  const edits = parseEdits(values['what-if']);
  const loaded = await loadScenario(file);
  // With --quiet and no page, nothing reads the trace after the run: it is hashed as it grows,
  // and streamed to --json (within --max-trace-mb), so a long run fits in memory. A what-if
  // compares two runs' events, so it keeps them.
  const keep = values.quiet !== true || values.html !== undefined || edits.length > 0;
  const options = { seed, preset: values.preset, knobs, bounds };
  // A streamed trace is bounded by --max-trace-mb as a kept one is: the run stops at the same event.
  const spool = keep ? undefined : openSpool(outputs.find((o) => o.flag === '--json'));
  let run =
    spool === undefined
      ? runOrRefuse(loaded, { ...options, trace: keep ? true : 'hash' })
      : streamed(loaded, options, spool);
  const c = paletteFor(process.stdout, process.env);
  const seedTyped = run.seed;
  const flagged = settingsChanged(loaded, run, knobs);
  let scenario: AnyScenario = effectiveScenario(loaded, run, knobs);
  const whatIf: string[] = [];
  let applied: readonly Edit[] = [];
  if (edits.length > 0) {
    const w = whatIfOf(scenario, edits, run);
    whatIf.push(...renderWhatIf(c, w, diffRuns(w), width), '');
    run = w.edited;
    scenario = w.scenario;
    applied = w.edits;
  }
  // A scenario piped in cannot be read again: the line names the file to save it to.
  const replay = simReplay({
    file,
    seed: seedTyped,
    preset: values.preset,
    knobs: knobFlags,
    edits: applied,
    bounds: boundFlags,
    hashOnly: !keep && spool === undefined,
  });
  const doc = traceDocument(run, { file, goal: scenario.goal, replay, definition: scenario });
  const title = wrapText(`${file} — ${scenario.goal}`, width, 2).map((line) => c.bold(line));
  const out: string[] = [...title, ''];
  // The notes were written for the scenario's own run: "s3 serves it the old value" may be false
  // beside the rows of a run that edits, or a flag's preset, knob or seed, made serve the new one.
  const notes = scenario.steps.some((step) => step.note !== undefined);
  const withFlags = flagged.length === 0 ? '' : ` with ${flagged.join(' ')}`;
  const caveat =
    applied.length === 0
      ? `the run${withFlags}; the scenario's notes (──) were written for its own settings, and may no longer hold`
      : `the edited run (${applied.map(editText).join(', ')})${withFlags}; its notes (──) were written for the ${flagged.length === 0 ? 'run without the edits' : "scenario's own run"}, and may no longer hold`;
  if (!values.quiet && (applied.length > 0 || flagged.length > 0) && notes)
    out.push(...wrapText(caveat, width, 2).map((line) => c.yellow(line)), '');
  if (!values.quiet) {
    const view =
      values.view === 'log' ? renderLog(c, run, width) : renderDiagram(c, doc, { width });
    // A loop, not push(...view): a long run's view overflows a call's argument list.
    for (const line of view) out.push(line);
    out.push('');
  }
  for (const line of whatIf) out.push(line);
  const sources = {
    scenario: Object.keys(loaded.knobs ?? {}).filter((k) => !Object.hasOwn(knobs, k)),
    commandLine: Object.keys(knobs),
  };
  for (const line of renderSummary(c, run, replay, width, sources)) out.push(line);
  // A write that fails (a full disk) still leaves the summary on the screen, then says why.
  const saved = saveOutputs(doc, outputs, spool, width);
  for (const line of saved.lines) out.push(line);
  process.stdout.write(`${out.join('\n')}\n`);
  if (saved.failure !== null) throw saved.failure;
  return runPassed(run) ? EXIT.ok : EXIT.failed;
}

/**
 * The flags that ran the scenario otherwise than its own settings: a preset, a knob's value or a
 * seed of its own, as typed (`--preset seed`); none when each names what the scenario has.
 */
function settingsChanged(
  scenario: AnyScenario,
  run: ScenarioRun,
  knobFlags: Readonly<Record<string, string>>,
): string[] {
  const own = knobsOf(scenario, {});
  const changed: string[] = [];
  if (run.preset !== own.presetName) changed.push(`--preset ${run.preset}`);
  for (const [name, value] of Object.entries(knobFlags))
    if (String(own.knobs[name as keyof typeof own.knobs]) !== String(value))
      changed.push(`--knob ${name}=${value}`);
  if (run.seed !== (scenario.seed ?? 1)) changed.push(`--seed ${run.seed}`);
  return changed;
}

function parseEdits(flags: readonly string[] | undefined): Edit[] {
  try {
    // As written: runWritten folds them once it knows which message each edit names.
    return (flags ?? []).map(parseEdit);
  } catch (error) {
    if (error instanceof EditError) throw new UsageError(`--what-if ${error.message}`);
    throw error;
  }
}

function whatIfOf(scenario: AnyScenario, edits: readonly Edit[], base: ScenarioRun) {
  try {
    // A seed, the preset or a knob given again replaces the earlier, as the lab's boxes do.
    return runWritten(scenario, edits, base);
  } catch (error) {
    // An edit that reads well but does not fit this run: named, unless its sentence names it.
    if (error instanceof EditError)
      throw new UsageError(`--what-if ${refusalOf(error, edits, true)}`);
    throw error;
  }
}

type RunOptions = Parameters<typeof runScenario>[1] & {};

/** A scenario's run; a scenario the run itself refuses (a bad knob value) is the user's to mend. */
function runOrRefuse(scenario: AnyScenario, options: RunOptions): ScenarioRun {
  try {
    return runScenario(scenario, options);
  } catch (error) {
    if (error instanceof ScenarioError) throw new UsageError(error.message);
    throw error;
  }
}

/** The run hashed as it goes, its events spooled for --json. */
function streamed(scenario: AnyScenario, options: RunOptions, spool: TraceSpool): ScenarioRun {
  try {
    return runOrRefuse(scenario, { ...options, trace: 'hash', traceSink: spool.add });
  } catch (error) {
    spool.dispose();
    throw error;
  }
}

/** The events of a run too long to keep, spooled beside the --json file as the run goes. */
function openSpool(json: PlannedOutput | undefined): TraceSpool | undefined {
  if (json === undefined) return undefined;
  try {
    // Beside the file, or for a device or a pipe (no folder of its own to write in) in the
    // system's temporary folder.
    return new TraceSpool(json.inPlace ? join(tmpdir(), 'kvsim-trace') : json.target);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new UsageError(`could not write --json '${json.path}': ${why}`);
  }
}

/** The --max-* flags: each a whole number, at least 1. */
function parseBounds(values: Record<string, unknown>): {
  bounds: Partial<Bounds>;
  flags: [BoundFlag, string][];
} {
  const bounds: { -readonly [K in keyof Bounds]?: number } = {};
  const flags: [BoundFlag, string][] = [];
  for (const [flag, field, unit] of BOUND_FLAGS) {
    const raw = values[flag];
    if (raw === undefined) continue;
    if (typeof raw !== 'string' || !BOUND_VALUE.test(raw))
      throw new UsageError(
        `--${flag} must be a whole number from 1 to 9999999999 (got '${String(raw)}')`,
      );
    bounds[field] = Number(raw) * unit;
    flags.push([flag, raw]);
  }
  return { bounds, flags };
}

/**
 * Each output: what it is called, and how it is made. `made` does what takes time (a page's
 * drawing, seconds for a long run) and returns what writes it: every output is made before any
 * file is opened, since from an output's first file on Ctrl-C waits for the writing to end
 * (holdSignals), and a page drawn then was written over the old one before the command stopped.
 */
const WRITERS: Readonly<
  Record<
    string,
    {
      what: string;
      made: (doc: TraceDocument, spool?: TraceSpool) => (file: WholeFile) => void;
    }
  >
> = {
  '--json': { what: 'trace', made: (doc, spool) => (file) => writeTraceDocument(file, doc, spool) },
  '--html': {
    what: 'page',
    made: (doc) => {
      const page = renderHtml(doc, {}, labPage());
      return (file) => file.write(page);
    },
  },
};

function saveOutputs(
  doc: TraceDocument,
  outputs: readonly PlannedOutput[],
  spool: TraceSpool | undefined,
  width: number,
): { lines: string[]; failure: UsageError | null } {
  const lines: string[] = [];
  try {
    const writes = outputs.map((out) => WRITERS[out.flag]!.made(doc, spool));
    for (const [i, out] of outputs.entries()) {
      const file = new WholeFile(out);
      try {
        writes[i]!(file);
        file.commit();
      } catch (error) {
        file.abort();
        if (error instanceof UsageError) return { lines, failure: error };
        throw error;
      }
      lines.push(...field(WRITERS[out.flag]!.what, displayText(shownPath(out.path)), width));
    }
  } finally {
    spool?.dispose();
  }
  return { lines, failure: null };
}

await main(() => sim(process.argv.slice(2)));
