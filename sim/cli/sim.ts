// `npm run sim -- <scenario.ts> [--seed N] [--preset P] [--knob k=v ...] [--quiet]`: runs one
// scenario, prints its timeline and a summary, and exits 0 when its expectations were met.

import { paletteFor } from '../render/colors.ts';
import { renderLog } from '../render/log.ts';
import { renderSummary, replayCommand, runPassed } from '../render/summary.ts';
import { runScenario, ScenarioError } from '../scenario.ts';
import { loadScenario, scenarioFiles } from './load.ts';
import { EXIT, main, parseFlags, parseKnobFlags, parseSeed, UsageError } from './usage.ts';

const HELP =
  'usage: npm run sim -- <scenario.ts> [--seed N] [--preset seed|fixed] [--knob name=value ...] [--quiet] | --list';

const OPTIONS = {
  seed: { type: 'string' },
  preset: { type: 'string' },
  knob: { type: 'string', multiple: true },
  quiet: { type: 'boolean' },
  view: { type: 'string' },
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
  if (values.view !== undefined && values.view !== 'log') {
    throw new UsageError(`--view must be log (got '${values.view}')`);
  }
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
  const out: string[] = [`${c.bold(file)} — ${scenario.goal}`, ''];
  if (!values.quiet) out.push(...renderLog(c, run), '');
  out.push(...renderSummary(c, run, replayCommand(file, run, values.preset, knobFlags)));
  process.stdout.write(`${out.join('\n')}\n`);
  return runPassed(run) ? EXIT.ok : EXIT.failed;
}

await main(() => sim(process.argv.slice(2)));
