// The checkers read a history once into columns kept in arrays reused from one history to the
// next: judging several histories in turn, or one that has grown since, must give each the
// verdicts it gets alone.

import { describe, expect, it } from 'vitest';
import { syntheticHistory } from '../sim/bench/extra.ts';
import {
  type CheckInput,
  REPLICATED_CHECKERS,
  runCheckers,
  type Verdict,
} from '../sim/check/index.ts';
import type { Apply, Operation } from '../sim/kernel/history.ts';

function input(operations: Operation[], applies: Apply[] = []): CheckInput {
  return {
    operations,
    applies,
    locks: [],
    replicas: new Map(),
    quiescent: true,
    endedAt: 1_000_000,
    faultsEndAt: 0,
    networkHealed: true,
    explainPending: () => 'nothing will answer it',
  };
}

/** c1's operation on `key`, answered by s1 with `ts`: a PUT of `v<ts>`, or a GET that read it. */
function done(id: number, kind: 'put' | 'get', key: string, at: number, ts: number): Operation {
  return {
    id,
    client: 'c1',
    op: kind,
    key,
    value: kind === 'put' ? `v${ts}` : null,
    requestId: `c1.${id}`,
    invokedAt: at,
    completedAt: at + 5,
    invokedSeq: at * 2 + 1,
    completedSeq: (at + 5) * 2,
    reply: kind === 'put' ? 'PUT_OK' : 'GET_OK',
    server: 's1',
    result: `v${ts}`,
    ts,
    abandonedAt: null,
    session: 'c1',
  };
}

/**
 * A short history that breaks monotonic reads (c1 reads x at ts 7, then at ts 3: no register
 * order has that either) and holds a causality finding (s3 stores c1's write of y while it holds
 * no x, older than c1 had read).
 */
function brokenHistory(): CheckInput {
  const ops = [done(1, 'get', 'x', 0, 7), done(2, 'get', 'x', 10, 3), done(3, 'put', 'y', 20, 8)];
  const applies: Apply[] = [
    { t: 30, node: 's3', key: 'y', value: 'v8', ts: 8, origin: 'c1.3', opIndex: 2 },
  ];
  return input(ops, applies);
}

const broken = (verdicts: readonly Verdict[]) =>
  verdicts.filter((v) => v.status !== 'held').map((v) => [v.guarantee, v.status]);

describe('the checkers judging histories in turn', () => {
  it('give a history the same verdicts before and after judging a larger one', () => {
    const small = brokenHistory();
    const first = runCheckers(REPLICATED_CHECKERS, small);
    expect(broken(first)).toEqual([
      ['monotonic-reads', 'broken'],
      ['linearizability', 'broken'],
      ['causality', 'broken'],
    ]);
    const { operations, applies } = syntheticHistory(5_000);
    const large = input(operations, applies);
    expect(broken(runCheckers(REPLICATED_CHECKERS, large))).toEqual([]);
    // The same input object, and a copy of it: both read afresh, not from the larger history's.
    expect(runCheckers(REPLICATED_CHECKERS, small)).toEqual(first);
    expect(runCheckers(REPLICATED_CHECKERS, { ...small })).toEqual(first);
    expect(broken(runCheckers(REPLICATED_CHECKERS, large))).toEqual([]);
  });

  it('read a history again once it has grown since it was judged', () => {
    const { operations, applies } = syntheticHistory(2_000);
    const history = input(operations, applies);
    expect(broken(runCheckers(REPLICATED_CHECKERS, history))).toEqual([]);
    // c1 reads k0 as never written (NULL, ts 0) after its own write of k0 was acknowledged (and
    // after its earlier reads of k0 had returned versions).
    const last = operations
      .filter((o) => o.client === 'c1' && o.key === 'k0' && o.op === 'put')
      .at(-1)!;
    const t = operations.at(-1)!.completedAt! + 10;
    operations.push({
      ...last,
      id: operations.length + 1,
      op: 'get',
      value: null,
      requestId: `c1.${operations.length}`,
      invokedAt: t,
      completedAt: t + 2,
      invokedSeq: 2 * operations.length,
      completedSeq: 2 * operations.length + 1,
      reply: 'NULL',
      result: null,
      ts: null,
    });
    const after = runCheckers(REPLICATED_CHECKERS, history);
    expect(broken(after)).toEqual([
      ['monotonic-reads', 'broken'],
      ['read-your-writes', 'broken'],
      ['linearizability', 'broken'],
    ]);
    const ryw = after.find((v) => v.guarantee === 'read-your-writes')!;
    expect(ryw.violations.map((v) => v.ops)).toEqual([[last.id, operations.length]]);
  });
});
