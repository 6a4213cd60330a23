// `npm run sim -- <scenario.ts> [--seed N] [--preset P] [--knob k=v ...] [--quiet]`: runs one
// scenario, prints its timeline and a summary, and exits 0 when its expectations were met.
// `--json` and `--html` also save the run as a trace document and as a page.

import { writeFileSync } from 'node:fs';
import { labPage } from '../lab/bundle.ts';
import { renderWhatIf } from '../lab/report.ts';
import {
  diffRuns,
  type Edit,
  EditError,
  effectiveScenario,
  parseEdit,
  runWhatIf,
} from '../lab/whatif.ts';
import { paletteFor } from '../render/colors.ts';
import { renderDiagram, wrapText } from '../render/diagram.ts';
import { renderHtml } from '../render/html.ts';
import { serializeTraceDocument, type TraceDocument, traceDocument } from '../render/json.ts';
import { renderLog } from '../render/log.ts';
import { knobWarnings, renderSummary, replayCommand, runPassed } from '../render/summary.ts';
import { runScenario, type Scenario, ScenarioError } from '../scenario.ts';
import { loadScenario, scenarioFiles } from './load.ts';
import {
  EXIT,
  main,
  parseFlags,
  parseKnobFlags,
  parseSeed,
  parseWidth,
  UsageError,
} from './usage.ts';

const HELP =
  'usage: npm run sim -- <scenario.ts> [--seed N] [--preset seed|fixed] [--knob name=value ...] [--what-if edit ...] [--view diagram|log] [--width N] [--json out.json] [--html out.html] [--quiet] | --list';

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
  const edits = parseEdits(values['what-if']);
  const loaded = await loadScenario(file);
  let run: ReturnType<typeof runScenario>;
  try {
    run = runScenario(loaded, { seed, preset: values.preset, knobs });
  } catch (error) {
    if (error instanceof ScenarioError) throw new UsageError(error.message);
    throw error;
  }
  const c = paletteFor(process.stdout, process.env);
  let replay = replayCommand(file, run, values.preset, knobFlags);
  let scenario: Scenario = effectiveScenario(loaded, run, knobs);
  const whatIf: string[] = [];
  if (edits.length > 0) {
    const w = whatIfOf(scenario, edits, run);
    whatIf.push(...renderWhatIf(c, w, diffRuns(w)), '');
    run = w.edited;
    scenario = w.scenario;
    replay = `${replay} ${values['what-if']!.map((e) => `--what-if ${e}`).join(' ')}`;
  }
  const doc = traceDocument(run, { file, goal: scenario.goal, replay, definition: scenario });
  const title = wrapText(`${file} — ${scenario.goal}`, width, 2).map((line) => c.bold(line));
  const out: string[] = [...title, ''];
  if (!values.quiet) {
    const view = values.view === 'log' ? renderLog(c, run) : renderDiagram(c, doc, { width });
    out.push(...view, '');
  }
  out.push(...whatIf);
  const sources = {
    scenario: Object.keys(loaded.knobs ?? {}).filter((k) => !Object.hasOwn(knobs, k)),
    commandLine: Object.keys(knobs),
  };
  for (const warning of knobWarnings(run.knobs, sources))
    process.stderr.write(`warning: ${warning}\n`);
  out.push(...renderSummary(c, run, replay, width, sources));
  out.push(...saveOutputs(doc, values.json, values.html));
  process.stdout.write(`${out.join('\n')}\n`);
  return runPassed(run) ? EXIT.ok : EXIT.failed;
}

function parseEdits(flags: readonly string[] | undefined): Edit[] {
  try {
    return (flags ?? []).map(parseEdit);
  } catch (error) {
    if (error instanceof EditError) throw new UsageError(`--what-if ${error.message}`);
    throw error;
  }
}

function whatIfOf(
  scenario: Scenario,
  edits: readonly Edit[],
  base: ReturnType<typeof runScenario>,
) {
  try {
    return runWhatIf(scenario, edits, base);
  } catch (error) {
    if (error instanceof EditError) throw new UsageError(`--what-if ${error.message}`);
    throw error;
  }
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
  if (html !== undefined) lines.push(save(html, renderHtml(doc, {}, labPage()), 'page'));
  return lines;
}

await main(() => sim(process.argv.slice(2)));
