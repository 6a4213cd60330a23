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
import { brokenGuarantees, type GuaranteeId } from '../sim/check/index.ts';
import { planArb } from '../sim/explore/arbitraries.ts';
import { caseBaseName, caseFor, createCaseFile } from '../sim/explore/case.ts';
import { type Plan, type PlanSettings, planToScenario } from '../sim/explore/plan.ts';
import { DEFAULT_BOUNDS, explore, firstViolation } from '../sim/explore/search.ts';
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
    caseFor(
      {
        scenario: planToScenario(plan, FIXED),
        command: 'the fixed-preset property test',
        seed: details.seed,
        run: details.numRuns - 1,
        stage: 'shrunk',
      },
      dir,
    ),
  );
  throw new Error(
    `${fc.defaultReportMessage(details)}\n\nThe shrunk case is ${path}; replay it with:\n  npm run sim -- ${path}`,
  );
}

describe('under the fixed preset', () => {
  test.prop([planArb({ ...DEFAULT_BOUNDS, minOps: 100, maxOps: 150 })], {
    numRuns: 1000,
    seed: 1,
    reporter: reportCase,
  })(
    'every guarantee holds over 100-150 operations with faults, and the run settles so that convergence and liveness are judged',
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

/**
 * Each anomaly knob of PROTOCOL.md §4 alone over `fixed` (the lock store: its `seed` preset, and
 * a lease of 0 alone), with the guarantees it may break. `npm run bench` prints the runs each needs.
 */
const ANOMALIES: readonly [string, PlanSettings, readonly GuaranteeId[]][] = [
  ['A1', { ...FIXED, knobs: { followerApply: 'overwrite' } }, ['convergence', 'monotonic-writes']],
  ['A2', { ...FIXED, knobs: { clientSession: 'pipelined' } }, ['monotonic-writes']],
  ['A3/A7', { ...FIXED, knobs: { leaderClock: 'wall' } }, ['unique-timestamps', 'convergence']],
  ['A8', { ...FIXED, knobs: { missingKeyReply: 'null-first' } }, ['monotonic-reads']],
  ['A9', { ...FIXED, knobs: { durability: 'memory' } }, ['convergence', 'monotonic-reads']],
  ['A10', { ...FIXED, knobs: { requestIds: 'none' } }, ['monotonic-writes', 'convergence']],
  ['acks', { ...FIXED, knobs: { ackPolicy: 'ignore-failures' } }, ['convergence']],
  // The seed preset has no lease and no timeout: a lost message blocks a key (liveness), and a
  // stray or duplicated request lets two clients in (mutual exclusion).
  ['lock seed', { store: 'lock', preset: 'seed', knobs: {} }, ['mutual-exclusion', 'liveness']],
  ['A6', { store: 'lock', preset: 'fixed', knobs: { lockLease: 0 } }, ['liveness']],
];
const SEEDS = Array.from({ length: 10 }, (_, i) => i + 1);
/** The median over the ten seeds must be within this many runs; each seed within MAX_RUNS. */
const MEDIAN_RUNS = 100;
const MAX_RUNS = 2000;
const MAX_STEPS = 10;

describe.each(ANOMALIES)('%s: %j', (_anomaly, settings, guarantees) => {
  it(`the search breaks a guarantee in a median of at most ${MEDIAN_RUNS} runs from ten seeds`, () => {
    const runs = SEEDS.map((seed) => {
      const found = firstViolation({ ...settings, seed, bounds: DEFAULT_BOUNDS, runs: MAX_RUNS });
      expect(found, `seed ${seed}: no violation within ${MAX_RUNS} runs`).not.toBeNull();
      return found!.runsToFind;
    });
    const sorted = [...runs].sort((a, b) => a - b);
    const median = (sorted[4]! + sorted[5]!) / 2;
    expect(median, `runs to failure by seed: ${runs.join(', ')}`).toBeLessThanOrEqual(MEDIAN_RUNS);
  });

  it(`shrinks what it finds to at most ${MAX_STEPS} steps that still break ${guarantees.join(' or ')}`, () => {
    const result = explore({ ...settings, seed: 1, bounds: DEFAULT_BOUNDS, runs: MAX_RUNS });
    const found = result.counterexample!;
    expect(found.broken.length).toBeGreaterThan(0);
    for (const g of found.broken) expect(guarantees).toContain(g);
    expect(found.shrunk.cut).toBe(false);
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
