// Property-based invariant checks: under the `fixed` preset every guarantee holds across random
// workloads under random faults of every kind (each run draws its own mix, swarm style; all
// healed at the end, so that convergence and liveness are judged); under each anomaly knob of
// PROTOCOL.md §4, switched on alone, the random search finds the violation it causes within a
// budget of runs from ten different seeds, and shrinks it to a case of at most ten steps.
// A failing property writes its shrunk case under a temporary folder and says how to replay it.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { brokenGuarantees } from '../sim/check/index.ts';
import { ANOMALIES, median } from '../sim/explore/anomalies.ts';
import { planArb } from '../sim/explore/arbitraries.ts';
import { caseBaseName, caseSource, createCaseFile } from '../sim/explore/case.ts';
import { type Plan, planToScenario } from '../sim/explore/plan.ts';
import {
  brokenIn,
  DEFAULT_BOUNDS,
  DEFAULT_SHRINK_RUNS,
  explore,
  firstViolation,
  shrinkRun,
} from '../sim/explore/search.ts';
import { runScenario } from '../sim/scenario.ts';

const FIXED = { store: 'replicated', preset: 'fixed', knobs: {} } as const;

/** On failure: the plan becomes a case file in a temporary folder, and the message names it. */
function reportCase(details: fc.RunDetails<[Plan]>): void {
  if (!details.failed || details.counterexample === null) return;
  const [plan] = details.counterexample;
  const dir = mkdtempSync(`${tmpdir()}/kvsim-property-`);
  const path = createCaseFile(
    dir,
    caseBaseName('replicated', 'fixed', {}, details.seed),
    caseSource({
      scenario: planToScenario(plan, FIXED),
      command: 'the fixed-preset property test',
      seed: details.seed,
      run: details.numRuns - 1,
      stage: 'shrunk',
    }),
  );
  throw new Error(
    `${fc.defaultReportMessage(details)}\n\nThe shrunk case is ${path}; replay it with:\n  npm run sim -- ${path}`,
  );
}

describe('under the fixed preset', () => {
  test.prop([planArb({ ...DEFAULT_BOUNDS, minOps: 100, maxOps: 150, lossy: true })], {
    numRuns: 1000,
    seed: 1,
    reporter: reportCase,
  })(
    'every guarantee holds over 100-150 operations with faults and a lossy network, and the run settles so that convergence and liveness are judged',
    (plan) => {
      const run = runScenario(planToScenario(plan, FIXED), { trace: false });
      expect(brokenGuarantees(run.verdicts)).toEqual([]);
      const unjudged = run.verdicts
        .filter((v) => v.status === 'not-judged')
        .map((v) => `${v.guarantee}: ${v.reason}`);
      expect(unjudged).toEqual([]);
    },
  );
});

const SEEDS = Array.from({ length: 10 }, (_, i) => i + 1);
/** The median over the ten seeds must be within this many runs; each seed within MAX_RUNS. */
const MEDIAN_RUNS = 100;
const MAX_RUNS = 2000;
const MAX_STEPS = 10;

describe.each(ANOMALIES)('$name', ({ settings, breaks: guarantees }) => {
  it(`the search breaks a guarantee in a median of at most ${MEDIAN_RUNS} runs from ten seeds`, () => {
    const runs = SEEDS.map((seed) => {
      const found = firstViolation({ ...settings, seed, bounds: DEFAULT_BOUNDS, runs: MAX_RUNS });
      expect(found, `seed ${seed}: no violation within ${MAX_RUNS} runs`).not.toBeNull();
      return found!.runsToFind;
    });
    expect(median(runs), `runs to failure by seed: ${runs.join(', ')}`).toBeLessThanOrEqual(
      MEDIAN_RUNS,
    );
  });

  it(`shrinks what it finds to at most ${MAX_STEPS} steps that still break ${guarantees.join(' or ')}`, () => {
    const result = explore({ ...settings, seed: 1, bounds: DEFAULT_BOUNDS, runs: MAX_RUNS });
    const found = result.counterexample!;
    expect(found.broken.length).toBeGreaterThan(0);
    for (const g of found.broken) expect(guarantees).toContain(g);
    expect(found.shrunk.cut).toBeNull();
    expect(found.size.steps).toBeLessThanOrEqual(MAX_STEPS);
    expect(found.size.steps).toBeLessThanOrEqual(found.originalSize.steps);
  });
});

describe('the lock store under its seed preset', () => {
  it('shrinks to a case of one or two operations', () => {
    const ops = SEEDS.slice(0, 3).map((seed) => {
      const result = explore({
        store: 'lock',
        preset: 'seed',
        knobs: {},
        seed,
        bounds: DEFAULT_BOUNDS,
        runs: MAX_RUNS,
      });
      return result.counterexample!.size.ops;
    });
    for (const n of ops) expect(n).toBeGreaterThanOrEqual(1);
    for (const n of ops) expect(n).toBeLessThanOrEqual(2);
  });
});

describe('a violation that hangs on timing (lock store, three knobs flipped, search seed 4)', () => {
  const knobs = { lockOwnerCheck: 'none', fencing: 'none', requestIds: 'none' };
  const search = {
    store: 'lock',
    preset: 'fixed',
    knobs,
    seed: 4,
    bounds: DEFAULT_BOUNDS,
  } as const;
  const run = firstViolation({ ...search, runs: MAX_RUNS })!.run;
  const budget = (runs: number) => ({ runs, deadline: Number.POSITIVE_INFINITY });

  /** The whole shrink, once, with every case it showed (and which it showed as settled). */
  let whole: { shrunk: ReturnType<typeof shrinkRun>; shown: number[]; settled: number[] } | null =
    null;
  const shrinkWhole = () => {
    if (whole !== null) return whole;
    const shown: number[] = [];
    const settled: number[] = [];
    const shrunk = shrinkRun(search, run, budget(DEFAULT_SHRINK_RUNS), (scenario, done) => {
      shown.push(scenario.steps.length);
      if (done) settled.push(scenario.steps.length);
    });
    whole = { shrunk, shown, settled };
    return whole;
  };

  it(`shrinks within the default budget to at most ${MAX_STEPS} steps, never showing a larger case after a smaller one`, () => {
    const { shrunk, shown, settled } = shrinkWhole();
    expect(shrunk.cut).toBeNull();
    expect(brokenIn(shrunk.scenario)).toContain('mutual-exclusion');
    expect(shrunk.scenario.steps.length).toBeLessThanOrEqual(MAX_STEPS);
    // What a caller saves as the best case so far only ever gets smaller, ending at the case.
    expect(shown.every((n, i) => i === 0 || n <= shown[i - 1]!)).toBe(true);
    expect(shown.at(-1)).toBe(shrunk.scenario.steps.length);
    // A caller that saves only some cases is told which to save: the case is among them before
    // shrinking ends (Ctrl-C then keeps it, not a larger one from a second before).
    expect(settled.at(-1)).toBe(shrunk.scenario.steps.length);
  });

  it('a budget past the checkpoint where fast-check stopped finishes: the case is not called cut', () => {
    // The whole shrink makes 4,189 replays. It once took its last checkpoint's steps out a second
    // time (141 replays), so that a budget in between gave the same case, called unfinished.
    const within = shrinkRun(search, run, budget(4250));
    expect(within.cut).toBeNull();
    expect(within.scenario).toEqual(shrinkWhole().shrunk.scenario);
  });
});

describe('a case names its clients c1, c2, … in step order', () => {
  it('A3/A7 from seed 1: c3 wrote first and c2 second; now c1, then c2', () => {
    const settings = ANOMALIES.find((a) => a.name.startsWith('A3/A7'))!.settings;
    const found = explore({ ...settings, seed: 1, bounds: DEFAULT_BOUNDS, runs: MAX_RUNS });
    const { scenario } = found.counterexample!.shrunk;
    const clients = scenario.steps.flatMap((s) => ('client' in s ? [s.client] : []));
    expect(scenario.clients).toEqual(['c1', 'c2']);
    expect([...new Set(clients)]).toEqual(['c1', 'c2']);
    expect(found.counterexample!.broken.length).toBeGreaterThan(0);
  });
});

describe('a case names only the nodes a partition or cut needs', () => {
  it('the seed preset from seed 2: the cut of s1, s2 and s3 from c1 is one of s1, which c1 asked', () => {
    const seedPreset = { store: 'replicated', preset: 'seed', knobs: {} } as const;
    const found = explore({ ...seedPreset, seed: 2, bounds: DEFAULT_BOUNDS, runs: MAX_RUNS });
    const { scenario } = found.counterexample!.shrunk;
    const cuts = scenario.steps.flatMap((s) => ('cut' in s ? [s.cut] : []));
    expect(cuts).toEqual([{ from: ['s1'], to: ['c1'] }]);
    expect(found.counterexample!.broken).toEqual(['liveness']);
  });
});

describe('a case writes with PUTs where it can, valued v1, v2, … in order', () => {
  it('A10 from seed 1: two DELETEs of x were the case; two PUTs show the write it loses', () => {
    const settings = ANOMALIES.find((a) => a.name.startsWith('A10'))!.settings;
    const found = explore({ ...settings, seed: 1, bounds: DEFAULT_BOUNDS, runs: MAX_RUNS });
    const { scenario } = found.counterexample!.shrunk;
    const ops = scenario.steps.filter((s) => 'client' in s);
    expect(ops.filter((s) => 'delete' in s)).toEqual([]);
    const values = ops.flatMap((s) => ('put' in s ? [s.put[1]] : []));
    expect(values).toEqual(values.map((_, i) => `v${i + 1}`));
    expect(values.length).toBeGreaterThanOrEqual(2);
    // Both of A10's guarantees: a PUT's value is lost where a DELETE's was not seen to be.
    expect(found.counterexample!.broken).toEqual(['monotonic-writes', 'convergence']);
  });
});

describe('shrinking is bounded by a count of replays, not by the clock', () => {
  const search = { ...ANOMALIES[0]!.settings, seed: 1, bounds: DEFAULT_BOUNDS };
  const run = firstViolation({ ...search, runs: MAX_RUNS })!.run;
  const plenty = Number.POSITIVE_INFINITY;

  it('the same budget gives the same case, however much time there is', () => {
    const a = shrinkRun(search, run, { runs: 25, deadline: plenty });
    const b = shrinkRun(search, run, { runs: 25, deadline: performance.now() + 3_600_000 });
    expect(a.cut).toBe('runs');
    expect(b.scenario).toEqual(a.scenario);
    const whole = shrinkRun(search, run, { runs: DEFAULT_SHRINK_RUNS, deadline: plenty });
    expect(whole.cut).toBeNull();
    expect(whole.shrinkRuns).toBeLessThan(DEFAULT_SHRINK_RUNS);
    expect(whole.scenario.steps.length).toBeLessThanOrEqual(a.scenario.steps.length);
  });

  it('the wall-clock safety stop, when it cuts, is told apart from the budget', () => {
    const cut = shrinkRun(search, run, { runs: DEFAULT_SHRINK_RUNS, deadline: 0 });
    expect(cut.cut).toBe('seconds');
    expect(brokenIn(cut.scenario).length).toBeGreaterThan(0);
  });
});
