// The bench's hand-specialised run (sim/bench/lean.ts) is only a fair measuring stick if it does
// exactly the simulator's work: the same events, in the same order, to the same history. Written
// apart from the protocol's machines and the kernel, it also checks them: a change to either that
// changes the bench workload's run under `fixed` shows here, on three named shapes and on 100
// random seeds and shapes (1-30 clients, 1-7 servers; crashes and partitions past 250 operations).

import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { type LeanResult, LeanRun, REPLY_NAMES } from '../sim/bench/lean.ts';
import { benchWorkload, type WorkloadShape } from '../sim/bench/workload.ts';
import type { Operation } from '../sim/kernel/history.ts';
import { type AnyScenario, prepareScenario } from '../sim/scenario.ts';

/** Operation `i` (0-based: id i + 1) as the lean run recorded it, in the history's words. */
function leanOperation(lean: LeanResult, i: number) {
  const h = lean.history;
  const done = h.completedSeq[i]! >= 0;
  return {
    invokedAt: h.invokedAt[i],
    invokedSeq: h.invokedSeq[i],
    completedAt: done ? h.completedAt[i] : null,
    completedSeq: done ? h.completedSeq[i] : null,
    reply: done ? REPLY_NAMES[h.reply[i]!] : null,
    server: done ? lean.nodes[h.server[i]!] : null,
    ts: Number.isNaN(h.ts[i]!) ? null : h.ts[i],
    result: h.result[i]! < 0 ? null : `v${h.result[i]}`,
  };
}

function simOperation(op: Operation) {
  const { invokedAt, invokedSeq, completedAt, completedSeq, reply, server, ts, result } = op;
  return { invokedAt, invokedSeq, completedAt, completedSeq, reply, server, ts, result };
}

/** The simulator's run of `workload` and the lean run of it agree event for event. */
function expectSameRun(workload: AnyScenario): Operation[] {
  const sim = prepareScenario(workload, { trace: false }).sim.run();
  const lean = new LeanRun(workload).run();
  expect(sim.ending).toBe('quiescent');
  expect(lean.events).toBe(sim.events);
  expect(lean.endedAt).toBe(sim.endedAt);
  const ops = sim.history.operations;
  // Each operation as the simulator recorded it, by id (the n-th step's operation has id n).
  expect(ops.map((op) => leanOperation(lean, op.id - 1))).toEqual(ops.map(simOperation));
  const applies = sim.history.applies;
  expect(lean.history.applies).toBe(applies.length);
  expect(Array.from(lean.history.applySeq)).toEqual(applies.map((a) => a.seq));
  return ops;
}

describe('the bench workload run by hand-specialised code', () => {
  const cases: [string, number, number, WorkloadShape | undefined][] = [
    ['5 clients, 3 servers (crashes and partitions every 500 operations)', 1, 3_000, undefined],
    ['20 clients, 5 servers, another seed', 7, 1_500, { clients: 20, servers: 5 }],
    ['2 clients, one server (no follower)', 3, 400, { clients: 2, servers: 1 }],
  ];
  for (const [name, seed, operations, shape] of cases) {
    it(`is the simulator's run, event for event: ${name}`, () => {
      const ops = expectSameRun(benchWorkload(seed, operations, shape));
      expect(ops.length).toBe(operations);
      // Among them, requests resent after their timeout and writes a follower forwarded.
      expect(ops.some((op) => op.completedAt! - op.invokedAt >= 1_000)).toBe(true);
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
    expectSameRun(benchWorkload(seed, operations, { clients, servers }));
  });

  it('refuses what it was not written for, rather than measuring another run', () => {
    const workload = benchWorkload(1, 100);
    expect(() => new LeanRun({ ...workload, preset: 'seed' })).toThrow(/fixed preset/);
    const steps: AnyScenario['steps'] = [...workload.steps, { at: 5, crash: 'c1' }];
    expect(() => new LeanRun({ ...workload, steps })).toThrow(/servers only/);
  });
});
