// Mutual exclusion for the lock store (PROTOCOL.md §3): no two clients hold the lock of a key at
// once, and no write lands from a client that does not hold it. Holding is the client's belief
// (anomaly A5: a stray RELEASE_LOCK frees the server's table, not the holder, which goes on):
// a client holds the lock for an operation from a grant made while that operation runs until it
// releases that operation's lock itself, the lease runs out (at its time, even when a stranger
// freed the lock first and no expiry was recorded), the operation ends, or (its client
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

/**
 * Where a lease that runs out at ms `t` falls in the order of events: after everything that
 * happened before that millisecond, before everything from it on (the server ends a lease at its
 * ms, before it looks at anything else then).
 */
function leaseEnd(
  t: number,
  locks: readonly LockEvent[],
  operations: readonly Operation[],
  applies: readonly Apply[],
): number {
  let last = -1;
  const seen = (at: number | null, seq: number | null | undefined) => {
    if (at !== null && at < t && seq != null) last = Math.max(last, seq);
  };
  for (const e of locks) seen(e.t, e.seq);
  for (const a of applies) seen(a.t, a.seq);
  for (const op of operations) {
    seen(op.invokedAt, op.invokedSeq);
    seen(op.completedAt, op.completedSeq);
    seen(op.abandonedAt, op.abandonedSeq);
  }
  return last + 0.5;
}

function holds(
  locks: readonly LockEvent[],
  operations: readonly Operation[],
  applies: readonly Apply[],
): Hold[] {
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
    // The lease runs out at its time, recorded or not (a stranger may have freed the lock first).
    if (grant.expiresAt != null)
      until = Math.min(until, leaseEnd(grant.expiresAt, locks, operations, applies));
    for (let j = i + 1; j < locks.length; j++) {
      const e = locks[j]!;
      if (e.key !== grant.key) continue;
      const at = place(e.seq, 'a lock change');
      // The holder's release of this request, whichever grant the server freed with it (a grant
      // a late copy of an earlier request's ACQUIRE_LOCK got too). A late copy of the holder's
      // release of an earlier request is no release of this one.
      const ownRelease =
        e.event === 'release' &&
        e.by === grant.holder &&
        (e.byRequest != null ? e.byRequest : e.requestId) === grant.requestId;
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
  const all = holds(locks, operations, applies);
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
