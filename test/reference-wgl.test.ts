// The reference's Wing–Gong search (test/reference/wgl.ts) against what is known of a history:
// the brute-force order on small keys, and long histories of a register that was linearizable,
// as they were and with a stale read added, whose answers are known by construction. Then the
// checker against the search on long histories with reads changed, whose answers are not.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LINEARIZABILITY } from '../sim/check/linearizability.ts';
import { wglLinearizable } from '../sim/check/wgl.ts';
import type { Operation } from '../sim/kernel/history.ts';
import { historyArb, linearizableHistoryArb } from './reference/histories.ts';
import { linearizable, registerOp } from './reference/linearizability.ts';

/** 100 to 300 operations of 2 to 8 clients. */
const longArb = fc
  .integer({ min: 2, max: 8 })
  .chain((clients) => linearizableHistoryArb(100, 300, clients));

const register = (ops: readonly Operation[]) => ops.map(registerOp).filter((op) => op !== null);

/** After everything else: an answered PUT of a fresh value, then a read of an older value. */
function withStaleRead(ops: readonly Operation[], pick: number): Operation[] | null {
  const old = ops.filter((op) => op.op === 'put' && op.reply === 'PUT_OK');
  if (old.length === 0) return null;
  const end = Math.max(...ops.map((op) => op.completedSeq ?? op.invokedSeq)) + 1;
  const base = { key: 'x', abandonedAt: null, server: 's1', ts: null, session: 'c9' };
  const write: Operation = {
    ...base,
    id: 10_001,
    client: 'c9',
    op: 'put',
    value: 'fresh',
    requestId: 'c9.1',
    invokedAt: 0,
    completedAt: 0,
    invokedSeq: end,
    completedSeq: end + 1,
    reply: 'PUT_OK',
    result: null,
  };
  const read: Operation = {
    ...write,
    id: 10_002,
    op: 'get',
    value: null,
    requestId: 'c9.2',
    invokedSeq: end + 2,
    completedSeq: end + 3,
    reply: 'GET_OK',
    result: old[pick % old.length]!.value,
  };
  return [...ops, write, read];
}

/** Up to three reads changed to another PUT's value and ts, or to NULL: early or stale reads. */
function withReadsChanged(ops: readonly Operation[], picks: readonly number[]): Operation[] {
  const changed = ops.map((op) => ({ ...op }));
  const reads = changed.filter((op) => op.op === 'get');
  const puts = changed.filter((op) => op.op === 'put');
  if (reads.length === 0) return changed;
  for (const pick of picks) {
    const read = reads[pick % reads.length]!;
    const put = pick % 4 === 0 || puts.length === 0 ? null : puts[(pick >> 2) % puts.length]!;
    read.result = put?.value ?? null;
    read.reply = put === null ? 'NULL' : 'GET_OK';
    read.ts = put?.ts ?? null;
  }
  return changed;
}

describe('the Wing–Gong search of the reference', () => {
  it('decides small one-key histories as the brute-force order does', () => {
    const verdicts = { true: 0, false: 0 };
    const agree = (ops: Operation[]) => {
      const expected = linearizable(register(ops));
      expect(wglLinearizable(register(ops))).toBe(expected);
      verdicts[`${expected}`]++;
    };
    fc.assert(fc.property(historyArb(10, true), agree), { numRuns: 3_000, seed: 11 });
    fc.assert(fc.property(historyArb(10, false), agree), { numRuns: 3_000, seed: 12 });
    // Past the brute force's own limit, where the search takes over in the reference.
    fc.assert(
      fc.property(
        historyArb(14, true).filter((ops) => ops.length > 10),
        agree,
      ),
      { numRuns: 500, seed: 15 },
    );
    // Both answers are common, so agreeing is not agreeing on one of them.
    expect(verdicts.true).toBeGreaterThan(1_000);
    expect(verdicts.false).toBeGreaterThan(1_000);
  });

  it('says linearizable for long histories of a register that was', () => {
    fc.assert(
      fc.property(longArb, (ops) => {
        expect(wglLinearizable(register(ops))).toBe(true);
      }),
      { numRuns: 200, seed: 13 },
    );
  });

  it('says not linearizable once a stale read follows a long history', () => {
    let judged = 0;
    fc.assert(
      fc.property(longArb, fc.nat(), (ops, pick) => {
        const stale = withStaleRead(ops, pick);
        if (stale === null) return;
        judged++;
        expect(wglLinearizable(register(stale))).toBe(false);
      }),
      { numRuns: 100, seed: 14 },
    );
    expect(judged).toBeGreaterThan(90);
  });

  it('agrees with the checker on long histories with reads changed', () => {
    const verdicts = { true: 0, false: 0 };
    const arb = fc.tuple(longArb, fc.array(fc.nat(), { maxLength: 3 }));
    fc.assert(
      fc.property(arb, ([long, picks]) => {
        const ops = withReadsChanged(long, picks);
        const expected = wglLinearizable(register(ops));
        if (expected === null) throw new Error('the search ran out of steps');
        const result = LINEARIZABILITY.check({
          operations: ops,
          applies: [],
          locks: [],
          replicas: new Map(),
          quiescent: true,
          endedAt: Number.MAX_SAFE_INTEGER,
          faultsEndAt: 0,
          networkHealed: true,
          explainPending: () => '',
        });
        if (!('violations' in result)) throw new Error(`not judged: ${result.notJudged}`);
        expect(result.undecided).toBeUndefined();
        expect(result.violations.length === 0).toBe(expected);
        verdicts[`${expected}`]++;
      }),
      { numRuns: 300, seed: 16 },
    );
    expect(verdicts.true).toBeGreaterThan(50);
    expect(verdicts.false).toBeGreaterThan(50);
  });
});
