// Small random histories of one key, written directly rather than run: overlapping PUTs, GETs and
// DELETEs, answered, refused or never answered, with timestamps drawn at random (PROTOCOL.md §3
// leaves them out of the register, so no choice of them may change a verdict). They reach the
// linearizability checker's paths (zones, tombstone choices, search) far more often than runs do.

import fc from 'fast-check';
import type { Operation } from '../../sim/kernel/history.ts';

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
