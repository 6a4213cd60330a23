// The history notes, for each replica write it records, which client write it stores; the
// checkers' answers are the same with that note as when they look the request id up themselves.

import { describe, expect, it } from 'vitest';
import type { Observation } from '../protocol/core.ts';
import { appliedWrites } from '../sim/check/versions.ts';
import { History } from '../sim/kernel/history.ts';

function invoke(opId: number, op: 'put' | 'get', requestId: string, client = 'c1'): Observation {
  return {
    kind: 'invoke',
    opId,
    client,
    op,
    key: 'x',
    value: op === 'put' ? `v${opId}` : null,
    requestId,
  };
}

function apply(origin: string | null, ts: number): Observation {
  return { kind: 'apply', node: 's2', key: 'x', value: 'v', ts, origin };
}

describe('History: the write each replica write stores', () => {
  it('notes the write issued with its origin, not a read that shares the request id', () => {
    const h = new History();
    h.observe(1, invoke(1, 'put', 'c1.1'));
    h.observe(2, invoke(2, 'get', 'c2.1', 'c2'));
    h.observe(3, invoke(3, 'put', 'c2.2', 'c2'));
    h.observe(4, apply('c2.2', 2));
    h.observe(5, apply('c1.1', 1));
    h.observe(6, apply('c2.1', 3));
    h.observe(7, apply(null, 4));
    expect(h.applies.map((a) => a.opIndex)).toEqual([2, 0, -1, -1]);
  });

  it('after a restart reuses a request id, notes the write issued by the time of the store', () => {
    const h = new History();
    h.observe(1, invoke(1, 'put', 'c1.1'));
    h.observe(2, apply('c1.1', 1));
    h.abandon(3, 'c1');
    h.observe(4, invoke(2, 'put', 'c1.1'));
    h.observe(5, apply('c1.1', 2));
    expect(h.applies.map((a) => a.opIndex)).toEqual([0, 1]);
  });

  it('a clone goes on noting writes issued before the snapshot, apart from the original', () => {
    const h = new History();
    h.observe(1, invoke(1, 'put', 'c1.1'));
    const copy = h.clone();
    h.observe(2, invoke(2, 'put', 'c1.2'));
    copy.observe(2, apply('c1.1', 1));
    copy.observe(3, apply('c1.2', 2));
    expect(copy.applies.map((a) => a.opIndex)).toEqual([0, -1]);
    expect(h.applies).toEqual([]);
  });

  it('the checkers resolve the same writes from the notes as from the request ids alone', () => {
    const h = new History();
    h.observe(1, invoke(1, 'put', 'c1.1'));
    h.observe(2, invoke(2, 'get', 'c1.2'));
    h.observe(3, invoke(3, 'put', 'c2.1', 'c2'));
    h.observe(4, apply('c2.1', 1));
    h.observe(5, apply('c1.1', 2));
    h.observe(6, apply('c9.9', 3));
    const bare = h.applies.map(({ opIndex: _, ...rest }) => rest);
    expect([...appliedWrites(h.operations, h.applies)]).toEqual([2, 0, -1]);
    expect([...appliedWrites([...h.operations], bare)]).toEqual([2, 0, -1]);
  });
});
