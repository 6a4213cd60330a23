// Property-based invariant checks: under the `fixed` preset every guarantee holds across random
// workloads under random faults of every kind (each run draws its own mix, swarm style; all
// healed at the end, so that convergence and liveness are judged);
// under each anomaly knob of PROTOCOL.md §4, switched on alone, the random search finds the
// violation it causes. A failing property writes its shrunk case and prints the replay command.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { brokenGuarantees, type GuaranteeId } from '../sim/check/index.ts';
import { loadScenario } from '../sim/cli/load.ts';
import { planArb } from '../sim/explore/arbitraries.ts';
import { type Plan, planToScenario } from '../sim/explore/plan.ts';
import {
  caseFileName,
  counterexampleOf,
  DEFAULT_BOUNDS,
  explore,
  writeCase,
} from '../sim/explore/search.ts';
import { runScenario } from '../sim/scenario.ts';

const ROOT = join(import.meta.dirname, '..');
const FIXED = { store: 'replicated', preset: 'fixed', knobs: {} } as const;

/** On failure: the shrunk plan becomes a case file, and the message says how to replay it. */
function reportCase(details: fc.RunDetails<[Plan]>): void {
  if (!details.failed || details.counterexample === null) return;
  const [plan] = details.counterexample;
  const path = caseFileName('replicated', 'fixed', {}, details.seed);
  const found = counterexampleOf(details, plan, plan, details.numRuns, FIXED);
  const replay = writeCase(join(ROOT, path), found, 'the fixed-preset property test');
  throw new Error(
    `${fc.defaultReportMessage(details)}\n\nThe shrunk case is ${path}; replay it with:\n  ${replay.replace(`${ROOT}/`, '')}`,
  );
}

describe('under the fixed preset', () => {
  test.prop([planArb({ minOps: 100, maxOps: 150, maxFaults: 8 })], {
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
 * Each anomaly knob of PROTOCOL.md §4 that the replicated store has, on its own over `fixed`,
 * with the guarantee it must break. Searched from fast-check seed 1 with one budget for all.
 * Runs needed and shrunk sizes measured on this code (search seed 1, explore's default bounds):
 *   followerApply=overwrite     A1       2 runs,  shrunk to  5 operations, 0 faults
 *   clientSession=pipelined     A2       2 runs,              2 operations, 0 faults
 *   leaderClock=wall            A3/A7   74 runs,              4 operations, 0 faults
 *   missingKeyReply=null-first  A8    1026 runs,             15 operations, 1 fault
 *   durability=memory           A9     191 runs,              2 operations, 2 faults (crash, restart)
 *   requestIds=none             A10     10 runs,             38 operations, 1 fault
 *   ackPolicy=ignore-failures           7 runs,              5 operations, 0 faults
 */
const ANOMALIES: readonly [string, string | number, GuaranteeId][] = [
  ['followerApply', 'overwrite', 'convergence'],
  ['clientSession', 'pipelined', 'monotonic-writes'],
  ['leaderClock', 'wall', 'unique-timestamps'],
  ['missingKeyReply', 'null-first', 'monotonic-reads'],
  ['durability', 'memory', 'convergence'],
  ['requestIds', 'none', 'monotonic-writes'],
  ['ackPolicy', 'ignore-failures', 'convergence'],
];
const BUDGET = 5000;

describe.each(ANOMALIES)('with %s=%s alone', (knob, value, guarantee) => {
  it(`the random search breaks ${guarantee} within ${BUDGET} runs and shrinks it`, () => {
    const result = explore({
      ...FIXED,
      knobs: { [knob]: value },
      runs: BUDGET,
      seed: 1,
      bounds: DEFAULT_BOUNDS,
    });
    const found = result.counterexample;
    expect(found, `no violation within ${BUDGET} runs`).not.toBeNull();
    expect(found!.broken).toContain(guarantee);
    expect(found!.size.ops).toBeLessThanOrEqual(found!.originalSize.ops);
    console.log(
      `${knob}=${value}: found after ${found!.runsToFind} runs; shrunk to ${found!.size.ops} operations, ${found!.size.faults} faults`,
    );
  });
});

describe('a counterexample', () => {
  it('is written as a scenario file that replays the same run, byte for byte', async () => {
    const result = explore({
      ...FIXED,
      knobs: { followerApply: 'overwrite' },
      runs: BUDGET,
      seed: 1,
      bounds: DEFAULT_BOUNDS,
    });
    const found = result.counterexample!;
    const path = join(mkdtempSync(join(tmpdir(), 'kvsim-case-')), 'case.ts');
    const replay = writeCase(path, found, 'a test');
    expect(replay).toBe(`npm run sim -- ${path}`);
    expect(readFileSync(path, 'utf8')).toContain(
      "import type { Scenario } from '../sim/scenario.ts';",
    );
    const replayed = runScenario(await loadScenario(path));
    expect(replayed.result.hash).toBe(found.run.result.hash);
    expect(replayed.verdicts).toEqual(found.run.verdicts);
  });

  it('npm run explore prints a replay command that reproduces the violation', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env.FORCE_COLOR;
    const tsx = join(ROOT, 'node_modules', '.bin', 'tsx');
    const explored = spawnSync(
      tsx,
      ['sim/cli/explore.ts', '--knob', 'followerApply=overwrite', '--seed', '3'],
      { cwd: ROOT, encoding: 'utf8', env },
    );
    expect(explored.status).toBe(1);
    const replay = explored.stdout.match(/replay: npm run sim -- (\S+)/)?.[1];
    expect(replay).toBeDefined();
    const sentence = explored.stdout.match(/✗ convergence: (.*)/)?.[1];
    expect(sentence).toBeDefined();
    const replayed = spawnSync(tsx, ['sim/cli/sim.ts', replay!, '--quiet'], {
      cwd: ROOT,
      encoding: 'utf8',
      env,
    });
    expect(replayed.status).toBe(1);
    expect(replayed.stdout).toContain(sentence!);
  });

  it('npm run explore exits 0 when it finds nothing and 2 on bad input', () => {
    const tsx = join(ROOT, 'node_modules', '.bin', 'tsx');
    const clean = spawnSync(tsx, ['sim/cli/explore.ts', '--runs', '50'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(clean.status).toBe(0);
    expect(clean.stdout).toMatch(/no violation in 50 runs/);
    const bad = spawnSync(tsx, ['sim/cli/explore.ts', '--knob', 'followerApply=sometimes'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });
});
