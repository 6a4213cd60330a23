// Mutual exclusion for the lock store (PROTOCOL.md §3): no two clients hold the lock of a key at
// once, and no write lands from a client that does not hold it. Holding is the client's belief
// (anomaly A5: a stray RELEASE_LOCK frees the server's table, not the holder, which goes on):
// a client holds the lock for an operation from a grant made while that operation runs until it
// releases that operation's lock itself, the lease runs out, the operation ends, or (its client
// having crashed) the server frees the lock, but not before the crash: until then the client was
// still at work, whoever freed the server's table. "While", "until" and "before" are in the run's
// order of events (§3: real time), which a recorded history gives every entry as a place.

import type { Apply, LockEvent, Operation } from '../../sim/kernel/history.ts';
import { type RefVerdict, verdictOf } from './history.ts';

interface Hold {
  readonly op: Operation;
  readonly key: string;
  /** The grant's place in the lock events. */
  readonly from: number;
  /** Where the grant and the end of the hold fall in the order of events (Infinity: never). */
  readonly since: number;
  readonly until: number;
}

/** An entry's place in the order of events: the reference judges recorded histories only. */
function place(seq: number | null | undefined, what: string): number {
  if (seq === undefined || seq === null)
    throw new Error(`${what} has no place in the order of events`);
  return seq;
}

function holds(locks: readonly LockEvent[], operations: readonly Operation[]): Hold[] {
  const found: Hold[] = [];
  locks.forEach((grant, i) => {
    if (grant.event !== 'grant') return;
    const op = operations.find((o) => o.client === grant.holder && o.requestId === grant.requestId);
    if (op === undefined) return;
    const since = place(grant.seq, 'a lock change');
    const done = op.completedSeq ?? Infinity;
    const crashed = op.abandonedAt === null ? Infinity : place(op.abandonedSeq, 'a crash');
    // A late copy of an ACQUIRE_LOCK granted after its operation was over: nobody acts on it.
    if (done < since || crashed < since) return;
    let until = done;
    for (let j = i + 1; j < locks.length; j++) {
      const e = locks[j]!;
      if (e.key !== grant.key) continue;
      const at = place(e.seq, 'a lock change');
      const ownRelease =
        e.event === 'release' && e.by === grant.holder && e.requestId === grant.requestId;
      const expired = e.event === 'expire' && e.token === grant.token;
      const freedAfterCrash =
        e.event === 'release' && e.token === grant.token && crashed !== Infinity;
      if (ownRelease || expired) {
        until = Math.min(until, at);
        break;
      }
      if (freedAfterCrash) until = Math.min(until, Math.max(at, crashed));
    }
    found.push({ op, key: grant.key, from: i, since, until });
  });
  return found;
}

export function mutualExclusion(
  operations: readonly Operation[],
  locks: readonly LockEvent[],
  applies: readonly Apply[],
): RefVerdict {
  const witnesses: number[][] = [];
  const all = holds(locks, operations);
  for (const a of all)
    for (const b of all)
      if (a.key === b.key && a.op.client !== b.op.client && a.from < b.from)
        if (b.since < a.until) witnesses.push([a.op.id, b.op.id]);
  for (const apply of applies) {
    const writer = apply.opIndex === undefined ? undefined : operations[apply.opIndex];
    if (writer === undefined) continue;
    const landed = place(apply.seq, 'a write');
    const holding = all.some(
      (h) =>
        h.key === apply.key &&
        h.op.client === writer.client &&
        h.since < landed &&
        landed < h.until,
    );
    if (!holding) witnesses.push([writer.id]);
  }
  return verdictOf(witnesses);
}
