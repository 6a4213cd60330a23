// What the checker does with an order that fails certificate.ts (a fault in its search): the key
// is left not judged, with a sentence saying so, never called linearizable. The searches are
// made to hand back a wrong order here (reversed), only while `corrupt.on` is set.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { decideKey, LINEARIZABILITY } from '../sim/check/linearizability.ts';
import type { RegisterOp } from '../sim/check/register.ts';
import type { Operation } from '../sim/kernel/history.ts';

const corrupt = vi.hoisted(() => ({ on: false }));

vi.mock('../sim/check/register.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../sim/check/register.ts')>();
  const reversed = <T>(found: T, order: unknown[] | undefined): T => {
    if (corrupt.on && order !== undefined) order.reverse();
    return found;
  };
  return {
    ...real,
    timestampOrder: ((key, view, writer, order) =>
      reversed(real.timestampOrder(key, view, writer, order), order)) as typeof real.timestampOrder,
    zones: ((ops, order) => reversed(real.zones(ops, order), order)) as typeof real.zones,
  };
});

afterEach(() => {
  corrupt.on = false;
});

/** PUT x=a answered, then a GET that read it: one order only. */
const history: Operation[] = [
  { op: 'put', value: 'a', reply: 'PUT_OK', result: null, ts: 1 },
  { op: 'get', value: null, reply: 'GET_OK', result: 'a', ts: 1 },
].map((o, i) => ({
  ...(o as Pick<Operation, 'op' | 'value' | 'reply' | 'result' | 'ts'>),
  id: i + 1,
  client: 'c1',
  key: 'x',
  requestId: `c1.${i + 1}`,
  invokedAt: 2 * i,
  completedAt: 2 * i + 1,
  invokedSeq: 2 * i,
  completedSeq: 2 * i + 1,
  server: 's1',
  abandonedAt: null,
  session: 'c1',
}));

function check() {
  return LINEARIZABILITY.check({
    operations: history,
    applies: [],
    locks: [],
    replicas: new Map(),
    quiescent: true,
    endedAt: 10,
    faultsEndAt: 0,
    networkHealed: true,
    explainPending: () => '',
  });
}

describe('an order that fails its check is never a "held"', () => {
  it('the checker leaves the key not judged and says why', () => {
    expect(check()).toMatchObject({
      violations: [],
      linearizations: [{ key: 'x', order: [1, 2] }],
    });
    corrupt.on = true;
    const result = check();
    expect(result).toMatchObject({ violations: [], linearizations: [] });
    expect('undecided' in result && result.undecided).toBe(
      'key x (2 operations) was left not judged: the order the search found failed its check (op 2 returned "a" where the order leaves no value (NULL)), a fault in the checker',
    );
  });

  it('decideKey answers "unknown" with the fault', () => {
    const ops: RegisterOp[] = [
      { id: 1, write: true, value: 'a', inv: 0, ret: 1, ts: null },
      { id: 2, write: false, value: 'a', inv: 2, ret: 3, ts: null },
    ];
    expect(decideKey(ops)).toEqual({ kind: 'linearizable', by: 'search', order: [1, 2] });
    corrupt.on = true;
    expect(decideKey(ops)).toEqual({
      kind: 'unknown',
      operations: 2,
      fault: 'op 2 returned "a" where the order leaves no value (NULL)',
    });
  });
});
