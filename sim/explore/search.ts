// The random search shared by `npm run explore` and the property tests: fast-check draws plans,
// each plan runs as a scenario, and a run that breaks a guarantee fails the property; fast-check
// then shrinks the plan. The shrunk case is written as a scenario file that `npm run sim` replays.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import fc from 'fast-check';
import { brokenGuarantees, type GuaranteeId } from '../check/index.ts';
import { runScenario, type Scenario, type ScenarioRun } from '../scenario.ts';
import type { StoreName } from '../stores/index.ts';
import { type PlanBounds, planArb } from './arbitraries.ts';
import { type Plan, type PlanSettings, planSize, planToScenario } from './plan.ts';

/** What `npm run explore` draws by default: up to 100 operations and 8 faults a run. */
export const DEFAULT_BOUNDS: PlanBounds = { minOps: 1, maxOps: 100, maxFaults: 8 };

export interface ExploreOptions extends PlanSettings {
  readonly runs: number;
  readonly seed: number;
  readonly bounds: PlanBounds;
  /** Called after every run: how many so far, and whether a violation has been found (shrinking). */
  readonly onRun?: (runs: number, shrinking: boolean) => void;
}

export interface Counterexample {
  readonly plan: Plan;
  readonly scenario: Scenario;
  readonly run: ScenarioRun;
  readonly broken: readonly GuaranteeId[];
  /** Runs it took to find the first violating plan (before shrinking). */
  readonly runsToFind: number;
  readonly shrinks: number;
  readonly size: { readonly ops: number; readonly faults: number; readonly steps: number };
  readonly originalSize: { readonly ops: number; readonly faults: number };
  /** fast-check's seed and path: `fc.assert(…, { seed, path })` replays the failure. */
  readonly fcSeed: number;
  readonly fcPath: string;
}

export interface ExploreResult {
  readonly runs: number;
  readonly counterexample: Counterexample | null;
}

/** The guarantees a plan's run breaks (informative findings aside). */
export function brokenBy(plan: Plan, settings: PlanSettings): GuaranteeId[] {
  const run = runScenario(planToScenario(plan, settings), { trace: false });
  return brokenGuarantees(run.verdicts);
}

export function explore(options: ExploreOptions): ExploreResult {
  const settings: PlanSettings = {
    store: options.store,
    preset: options.preset,
    knobs: options.knobs,
  };
  let calls = 0;
  let runsToFind = 0;
  let original: Plan | null = null;
  const property = fc.property(planArb(options.bounds), (plan) => {
    calls++;
    const ok = brokenBy(plan, settings).length === 0;
    if (!ok && original === null) {
      original = plan;
      runsToFind = calls;
    }
    options.onRun?.(calls, original !== null);
    return ok;
  });
  const details = fc.check(property, { numRuns: options.runs, seed: options.seed });
  if (!details.failed || details.counterexample === null)
    return { runs: details.numRuns, counterexample: null };
  const [plan] = details.counterexample;
  return {
    runs: runsToFind,
    counterexample: counterexampleOf(details, plan, original ?? plan, runsToFind, settings),
  };
}

/** The shrunk plan of a failed fast-check run, run again with its trace, and how it was found. */
export function counterexampleOf(
  details: fc.RunDetails<[Plan]>,
  plan: Plan,
  original: Plan,
  runsToFind: number,
  settings: PlanSettings,
): Counterexample {
  const scenario = planToScenario(plan, settings);
  const run = runScenario(scenario);
  return {
    plan,
    scenario,
    run,
    broken: brokenGuarantees(run.verdicts),
    runsToFind,
    shrinks: details.numShrinks,
    size: { ...planSize(plan), steps: scenario.steps.length },
    originalSize: planSize(original),
    fcSeed: details.seed,
    fcPath: details.counterexamplePath ?? '',
  };
}

export function caseFileName(
  store: StoreName,
  preset: string,
  knobs: Readonly<Record<string, string | number>>,
  seed: number,
): string {
  const knobPart = Object.entries(knobs)
    .map(([k, v]) => `${k}-${v}`)
    .join('-')
    .replace(/[^A-Za-z0-9-]/g, '');
  return `cases/${store}-${preset}${knobPart === '' ? '' : `-${knobPart}`}-seed${seed}.ts`;
}

/** Writes the shrunk case as a scenario file; returns the command that replays it. */
export function writeCase(path: string, found: Counterexample, how: string): string {
  mkdirSync(dirname(path), { recursive: true });
  const violations = found.run.verdicts
    .flatMap((v) => (v.informative ? [] : v.violations))
    .slice(0, 3);
  const header = [
    '/*',
    ` * A counterexample found by ${how}, shrunk by fast-check.`,
    ` * Broken: ${found.broken.join(', ')}.`,
    ...violations.map((v) => ` *   - ${v.sentence}`),
    ` * Found after ${found.runsToFind} runs; shrunk ${found.shrinks} times from ${found.originalSize.ops} operations and ${found.originalSize.faults} faults to ${found.size.ops} and ${found.size.faults}.`,
    ` * fast-check: seed ${found.fcSeed}, path "${found.fcPath}".`,
    ' */',
  ];
  const body = `import type { Scenario } from '../sim/scenario.ts';\n\nexport default ${JSON.stringify(found.scenario, null, 2)} satisfies Scenario;\n`;
  writeFileSync(path, `${header.join('\n')}\n\n${body}`);
  return `npm run sim -- ${path}`;
}
