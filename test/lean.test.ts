// The bench's hand-specialised run (sim/bench/lean.ts) is only a fair measuring stick if it does
// exactly the simulator's work: the same events, in the same order, to the same history. Written
// apart from the protocol's machines and the kernel, it also checks them: a change to either that
// changes a run under `fixed` shows here. The runs: the bench workload at three named shapes and
// at 100 random seeds and shapes (1-30 clients, 1-7 servers; crashes and partitions past 250
// operations), a leader that crashes with writes in flight, a read refused to the end, and runs
// cut by each bound the lean run keeps.

import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { firstDifference, LeanRun } from '../sim/bench/lean.ts';
import { benchWorkload, type WorkloadShape } from '../sim/bench/workload.ts';
import type { Operation } from '../sim/kernel/history.ts';
import type { Bounds } from '../sim/kernel/simulation.ts';
import { type AnyScenario, prepareScenario } from '../sim/scenario.ts';

/** Runs `workload` both ways, expects the same run, and gives the simulator's. */
function sameRun(workload: AnyScenario, bounds: Partial<Bounds> = {}) {
  const sim = prepareScenario(workload, { trace: false, bounds }).sim.run();
  const lean = new LeanRun(workload, bounds).run();
  expect(firstDifference(sim, lean)).toBeNull();
  return sim;
}

const slow = (op: Operation) => op.completedAt !== null && op.completedAt - op.invokedAt >= 1_000;

/** Writes in flight when the leader crashes: its restart resends their REPLICATIONs. */
function leaderRestart(seed: number, dropPermille: number): AnyScenario {
  return {
    goal: 'the leader crashes with writes in flight',
    preset: 'fixed',
    servers: ['s1', 's2', 's3'],
    clients: ['c1', 'c2', 'c3'],
    network: { delayMinMs: 1, delayMaxMs: 20, dropPermille, duplicatePermille: 100 },
    seed,
    steps: [
      {
        at: 0,
        partition: [
          ['s1', 'c1', 'c2', 'c3'],
          ['s2', 's3'],
        ],
      },
      { at: 5, client: 'c1', put: ['x', 'v0'] },
      { at: 6, client: 'c2', put: ['y', 'v1'] },
      { at: 7, client: 'c3', delete: 'x' },
      { at: 1500, crash: 's1' },
      { at: 1600, heal: true },
      { at: 2500, restart: 's1' },
      { at: 2600, client: 'c1', get: 'x' },
      { at: 2600, client: 'c2', get: 'y' },
      { at: 2700, crash: 's1' },
      { at: 2705, restart: 's1' },
      { at: 4000, client: 'c3', put: ['z', 'v5'] },
    ],
  };
}

/**
 * c1 reads x at the leader while c2's write of x cannot reach the followers; the leader then
 * crashes for good, and c1's next read of x finds followers without x until its retries run out.
 */
const refusedToTheEnd: AnyScenario = {
  goal: 'a read refused after every retry',
  preset: 'fixed',
  servers: ['s1', 's2', 's3'],
  clients: ['c1', 'c2'],
  network: { delayMinMs: 1, delayMaxMs: 5 },
  steps: [
    {
      at: 0,
      partition: [
        ['s1', 'c1', 'c2'],
        ['s2', 's3'],
      ],
    },
    { at: 10, client: 'c2', put: ['x', 'v0'] },
    { at: 3000, client: 'c1', get: 'x' },
    { at: 7000, crash: 's1' },
    { at: 7000, heal: true },
    { at: 8000, client: 'c1', get: 'x' },
  ],
};

describe('the bench workload run by hand-specialised code', () => {
  const cases: [string, number, number, WorkloadShape | undefined][] = [
    ['5 clients, 3 servers (crashes and partitions every 500 operations)', 1, 3_000, undefined],
    ['20 clients, 5 servers, another seed', 7, 1_500, { clients: 20, servers: 5 }],
    ['2 clients, one server (no follower)', 3, 400, { clients: 2, servers: 1 }],
  ];
  for (const [name, seed, operations, shape] of cases) {
    it(`is the simulator's run: ${name}`, () => {
      const sim = sameRun(benchWorkload(seed, operations, shape));
      expect(sim.ending).toBe('quiescent');
      const ops = sim.history.operations;
      expect(ops.length).toBe(operations);
      // Among them, requests resent after their timeout and writes a follower forwarded.
      expect(ops.some(slow)).toBe(true);
      const forwarded = ops.some((op) => op.op !== 'get' && op.server !== 's1');
      expect(forwarded).toBe((shape?.servers ?? 3) > 1);
    });
  }

  test.prop(
    [
      fc.integer({ min: 1, max: 1_000_000 }),
      fc.integer({ min: 100, max: 700 }),
      fc.integer({ min: 1, max: 30 }),
      fc.integer({ min: 1, max: 7 }),
    ],
    { numRuns: 100, seed: 1 },
  )("is the simulator's run for any seed and shape", (seed, operations, clients, servers) => {
    sameRun(benchWorkload(seed, operations, { clients, servers }));
  });

  it("is the simulator's run when the leader crashes and restarts with writes in flight", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const sim = sameRun(leaderRestart(seed, seed % 2 === 0 ? 200 : 0));
      // The writes made before the crash were answered after the restart.
      expect(sim.history.operations.filter(slow).length).toBeGreaterThan(0);
    }
  });

  it("is the simulator's run when a read is refused after every retry", () => {
    const sim = sameRun(refusedToTheEnd);
    const last = sim.history.operations.at(-1)!;
    expect(last.reply).toBe('TRY_OTHER_SERVER_OR_LATER');
  });

  it("is the simulator's run when a bound cuts it", () => {
    const workload = benchWorkload(1, 2_000);
    const atHalf = { ...workload, runUntilMs: Math.floor(workload.runUntilMs! / 4) };
    expect(sameRun(atHalf).ending).toBe('time-limit');
    expect(sameRun(workload, { maxEvents: 3_000 }).ending).toBe('event-limit');
    expect(sameRun(workload, { maxHistory: 700 }).ending).toBe('history-limit');
    // A run whose last operation waits on a server that never comes back, cut by its time.
    const stuck = { ...refusedToTheEnd, runUntilMs: 1_500 };
    expect(sameRun({ ...stuck, steps: [{ at: 0, crash: 's1' }, ...stuck.steps] }).ending).toBe(
      'time-limit',
    );
  });

  it('refuses what it was not written for, rather than measuring another run', () => {
    const workload = benchWorkload(1, 100);
    expect(() => new LeanRun({ ...workload, preset: 'seed' })).toThrow(/fixed preset/);
    expect(() => new LeanRun({ ...workload, store: 'lock' })).toThrow(/replicated store/);
    const steps: AnyScenario['steps'] = [...workload.steps, { at: 5, crash: 'c1' }];
    expect(() => new LeanRun({ ...workload, steps })).toThrow(/servers only/);
  });
});
