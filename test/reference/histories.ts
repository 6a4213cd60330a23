// Small random histories of one key, written directly rather than run: overlapping PUTs, GETs and
// DELETEs, answered, refused or never answered, with timestamps drawn at random (PROTOCOL.md §3
// leaves them out of the register, so no choice of them may change a verdict). They reach the
// linearizability checker's paths (zones, tombstone choices, search) far more often than runs do;
// plausible ones, from a register that was linearizable, reach its timestamp fast path.

import fc from 'fast-check';
import type { Apply, Operation } from '../../sim/kernel/history.ts';

const recordArb = fc.record({
  kind: fc.constantFrom('put', 'put', 'get', 'get', 'get', 'delete', 'delete'),
  start: fc.nat({ max: 30 }),
  length: fc.nat({ max: 12 }),
  value: fc.nat({ max: 15 }),
  outcome: fc.constantFrom(
    'answered',
    'answered',
    'answered',
    'answered',
    'pending',
    'null',
    'refused',
  ),
  ts: fc.nat({ max: 8 }),
  client: fc.nat({ max: 3 }),
});

/**
 * Histories of up to `maxOps` operations on x. `uniqueValues`: each PUT writes its own value (the
 * zones' case), and each GET_OK returns one of them; else values come from three.
 */
export function historyArb(maxOps: number, uniqueValues: boolean): fc.Arbitrary<Operation[]> {
  return fc.array(recordArb, { minLength: 1, maxLength: maxOps }).map((records) =>
    records.map((r, i): Operation => {
      const pending = r.outcome === 'pending';
      const client = `c${r.client + 1}`;
      const value = (n: number) => (uniqueValues ? `u${n % records.length}` : 'abc'[n % 3]!);
      const reply = pending
        ? null
        : r.kind !== 'get'
          ? `${r.kind.toUpperCase()}_OK`
          : r.outcome === 'null'
            ? 'NULL'
            : r.outcome === 'refused'
              ? 'TRY_OTHER_SERVER_OR_LATER'
              : 'GET_OK';
      const ts =
        reply === null || reply === 'TRY_OTHER_SERVER_OR_LATER'
          ? null
          : reply === 'NULL' && r.ts % 2 === 0
            ? null
            : r.ts + 1;
      return {
        id: i + 1,
        client,
        op: r.kind as Operation['op'],
        key: 'x',
        value: r.kind === 'put' ? value(uniqueValues ? i : r.value) : null,
        requestId: `${client}.${i + 1}`,
        invokedAt: r.start,
        completedAt: pending ? null : r.start + r.length,
        // Distinct places in the order of events; a completion after the invocations of its ms.
        invokedSeq: 64 * r.start + i,
        completedSeq: pending ? null : 64 * (r.start + r.length) + 32 + i,
        reply,
        server: pending ? null : 's1',
        result: reply === 'GET_OK' ? value(r.value) : null,
        ts,
        abandonedAt: null,
        session: client,
      };
    }),
  );
}

const stepArb = fc.record({
  kind: fc.constantFrom('put', 'put', 'get', 'get', 'get', 'delete'),
  start: fc.nat({ max: 30 }),
  length: fc.nat({ max: 12 }),
  /** Where in its interval the operation takes effect, in 64ths of a millisecond. */
  point: fc.nat({ max: 1000 }),
  /** 0: a write never answered (it still takes effect at its point). */
  answered: fc.nat({ max: 9 }),
});

/**
 * Histories of a register that really was linearizable, with the timestamps a leader would give
 * (1, 2, … in the order the writes took effect) and each write's store: the checker's timestamp
 * fast path applies. One in two then has one read changed to another write's value and ts, a
 * stale or early read: the near misses where a fast path could wrongly say "linearizable".
 */
export function plausibleHistoryArb(maxOps: number): fc.Arbitrary<{
  operations: Operation[];
  applies: Apply[];
}> {
  const arb = fc.tuple(
    fc.array(stepArb, { minLength: 2, maxLength: maxOps }),
    fc.nat(),
    fc.nat(),
    fc.boolean(),
  );
  return arb.map(([steps, readPick, writePick, perturb]) => {
    const at = (i: number) => {
      const s = steps[i]!;
      return s.start * 64 + (s.point % (s.length * 64 + 1)) + i / 100;
    };
    const order = steps.map((_, i) => i).sort((a, b) => at(a) - at(b));
    const operations: Operation[] = new Array(steps.length);
    const stamps = new Map<number, number>();
    let value: string | null = null;
    let ts = 0;
    for (const i of order) {
      const s = steps[i]!;
      const client = `c${(i % 3) + 1}`;
      const answered = s.kind === 'get' || s.answered > 0;
      const base = {
        id: i + 1,
        client,
        key: 'x',
        requestId: `${client}.${i + 1}`,
        invokedAt: s.start,
        completedAt: answered ? s.start + s.length : null,
        invokedSeq: 64 * s.start + i,
        completedSeq: answered ? 64 * (s.start + s.length) + 32 + i : null,
        server: answered ? 's1' : null,
        abandonedAt: null,
        session: client,
      };
      if (s.kind === 'get') {
        const reply = value === null ? 'NULL' : 'GET_OK';
        operations[i] = { ...base, op: 'get', value: null, reply, result: value, ts: ts || null };
        continue;
      }
      ts++;
      value = s.kind === 'put' ? `v${i}` : null;
      stamps.set(i, ts);
      const reply = !answered ? null : s.kind === 'put' ? 'PUT_OK' : 'DELETE_OK';
      const kind = s.kind as 'put' | 'delete';
      operations[i] = { ...base, op: kind, value, reply, result: null, ts: answered ? ts : null };
    }
    const reads = operations.filter((o) => o.op === 'get');
    const writes = [...stamps.keys()];
    if (perturb && reads.length > 0 && writes.length > 0) {
      const read = reads[readPick % reads.length]!;
      const w = writes[writePick % writes.length]!;
      read.result = operations[w]!.value;
      read.reply = read.result === null ? 'NULL' : 'GET_OK';
      read.ts = stamps.get(w)!;
    }
    const applies: Apply[] = [...stamps].map(([i, stamp]) => ({
      t: 0,
      node: 's1',
      key: 'x',
      value: operations[i]!.value,
      ts: stamp,
      origin: operations[i]!.requestId,
      opIndex: i,
    }));
    return { operations, applies };
  });
}

const clientStepArb = fc.record({
  kind: fc.constantFrom('put', 'put', 'get', 'get', 'get', 'delete'),
  client: fc.nat({ max: 7 }),
  gap: fc.nat({ max: 20 }),
  length: fc.nat({ max: 40 }),
  /** Where in its interval the operation takes effect, in thousandths. */
  point: fc.integer({ min: 1, max: 999 }),
  /** 0: a write never answered that takes effect at its point; 1: one that never does. */
  answered: fc.nat({ max: 15 }),
});

/**
 * Long histories of one key (up to `maxOps` operations, of up to `clients` clients that each wait
 * for an answer, or give up, before their next operation) from a register that really was
 * linearizable: each operation takes effect at a point inside its interval, a read returns what
 * was there, a write never answered takes effect at its point or never. Every PUT writes its own
 * value; writes are stamped 1, 2, … in the order they took effect, as a leader would, and a read
 * carries the stamp of what it read.
 */
export function linearizableHistoryArb(
  minOps: number,
  maxOps: number,
  clients: number,
): fc.Arbitrary<Operation[]> {
  return fc.array(clientStepArb, { minLength: minOps, maxLength: maxOps }).map((steps) => {
    const free = new Array<number>(clients).fill(0);
    const spans = steps.map((s) => {
      const c = s.client % clients;
      const start = free[c]! + s.gap;
      free[c] = start + s.length;
      return { start, end: start + s.length, client: `c${c + 1}` };
    });
    // Distinct places in the order of events for up to 500 operations; a completion after the
    // invocations of its millisecond.
    const invokedSeq = (i: number) => 1_024 * spans[i]!.start + i;
    const completedSeq = (i: number) => 1_024 * spans[i]!.end + 512 + i;
    const at = (i: number) =>
      invokedSeq(i) + (steps[i]!.point / 1_000) * (completedSeq(i) - invokedSeq(i));
    const order = steps.map((_, i) => i).sort((a, b) => at(a) - at(b));
    const operations: Operation[] = new Array(steps.length);
    let value: string | null = null;
    let ts = 0;
    for (const i of order) {
      const s = steps[i]!;
      const { client } = spans[i]!;
      const effect = s.kind !== 'get' && s.answered !== 1;
      if (effect) ts++;
      const answered = s.kind === 'get' || s.answered > 1;
      const reply =
        s.kind === 'get'
          ? value === null
            ? 'NULL'
            : 'GET_OK'
          : answered
            ? `${s.kind.toUpperCase()}_OK`
            : null;
      operations[i] = {
        id: i + 1,
        client,
        op: s.kind as Operation['op'],
        key: 'x',
        value: s.kind === 'put' ? `v${i}` : null,
        requestId: `${client}.${i + 1}`,
        invokedAt: spans[i]!.start,
        completedAt: answered ? spans[i]!.end : null,
        invokedSeq: invokedSeq(i),
        completedSeq: answered ? completedSeq(i) : null,
        reply,
        server: answered ? 's1' : null,
        result: s.kind === 'get' ? value : null,
        ts: answered ? (s.kind === 'get' ? ts || null : ts) : null,
        abandonedAt: null,
        session: client,
      };
      if (effect) value = s.kind === 'put' ? `v${i}` : null;
    }
    return operations;
  });
}
