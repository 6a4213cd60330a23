// Cross-key causality (PROTOCOL.md §4, A12; informative): when a client has seen key x at version
// v (an answered read or write of x) and then writes key y, no replica should store that write of
// y while it still holds x older than v. "Then" is real time (§3: the run's order of events): an
// operation still unanswered when the write was issued had shown the client nothing. Every such
// earlier operation counts, not only those since the client's previous write: a replica that has
// gone back (an overwrite, a lost store) may lack an old cause while it has the newer writes. The
// replica's x is the last version of x it applied before, unless a restart emptied its store
// since (durability=memory; none: version 0). A version of 0 or
// below asks nothing: a NULL read's 0 is "nothing yet", and a timestamp below 0 (a wall clock
// stepped back) cannot be told from a key never stored.

import type { Apply, Operation, Wipe } from '../../sim/kernel/history.ts';
import { type RefVerdict, readVersion, sessionsByKey, verdictOf, writeVersion } from './history.ts';

/** The version of x a client saw or wrote; null when the operation gave none. */
const seen = (op: Operation) => readVersion(op) ?? writeVersion(op);

export function causality(
  operations: readonly Operation[],
  applies: readonly Apply[],
  wipes: readonly Wipe[],
): RefVerdict {
  const witnesses: number[][] = [];
  // Session order across keys: the same grouping by session, keys merged.
  const sessions = new Map<string, Operation[]>();
  for (const group of sessionsByKey(operations))
    for (const op of group) sessions.set(op.session, [...(sessions.get(op.session) ?? []), op]);
  for (const ops of sessions.values()) {
    ops.sort((a, b) => a.invokedSeq - b.invokedSeq);
    for (const write of ops) {
      if (write.op === 'get') continue;
      for (const before of ops) {
        if (before.key === write.key || before.completedSeq === null) continue;
        const needed = seen(before);
        if (before.completedSeq > write.invokedSeq || needed === null || needed <= 0) continue;
        if (overtaken(before.key, needed, write, operations, applies, wipes))
          witnesses.push([before.id, write.id]);
      }
    }
  }
  return verdictOf(witnesses);
}

/** Some replica stored `write` while it held `key` older than `needed`. */
function overtaken(
  key: string,
  needed: number,
  write: Operation,
  operations: readonly Operation[],
  applies: readonly Apply[],
  wipes: readonly Wipe[],
): boolean {
  const index = operations.indexOf(write);
  return applies.some((a, i) => {
    if (a.opIndex !== index) return false;
    let held = 0;
    let heldAt = -1;
    for (let j = 0; j < i; j++) {
      const b = applies[j]!;
      if (b.node === a.node && b.key === key) [held, heldAt] = [b.ts, b.seq!];
    }
    // A restart that emptied the replica between that version and this apply took it away.
    if (wipes.some((w) => w.node === a.node && w.seq! > heldAt && w.seq! < a.seq!)) held = 0;
    return held < needed;
  });
}
