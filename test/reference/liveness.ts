// Liveness as PROTOCOL.md §3 words it: after faults heal every invoked operation completes. A run
// that went quiet with an operation pending breaks it; a run cut short judges an operation only
// once it has been pending longer than the stated bound, and is otherwise not judged; with a
// partition or a held link still in force faults have not healed, and nothing is judged unless
// every operation completed (then it holds: nothing is left to wait for, a key locked or not).
// The lock store adds anomaly A6 (PROTOCOL.md §4): a settled run that ends with a key's lock held
// for an operation that is no longer running (done, or its client crashed) has blocked the key
// forever, whether or not anyone has asked for it yet. A server still down at the end has not
// healed, so its lock table is not judged: its restart ends the leases that ran out meanwhile.

import type { LockEvent, Operation } from '../../sim/kernel/history.ts';
import type { RefVerdict } from './history.ts';

export interface LivenessInput {
  readonly operations: readonly Operation[];
  /** The lock store's lock changes (empty for the replicated store). */
  readonly locks: readonly LockEvent[];
  readonly quiescent: boolean;
  readonly networkHealed: boolean;
  readonly endedAt: number;
  readonly faultsEndAt: number;
  /** The stated bound, ms; null when none bounds the run. */
  readonly boundMs: number | null;
  /** The servers down (crashed, not restarted) at the end. */
  readonly down: ReadonlySet<string>;
}

export function liveness(input: LivenessInput): RefVerdict {
  // A crashed client's operation is over with its session: nobody waits for it any more.
  const pending = input.operations.filter(
    (op) => op.completedAt === null && op.abandonedAt === null,
  );
  if (!input.networkHealed) {
    // Every invoked operation completed: nothing is left to wait for, healed or not. A key's
    // lock still held at a settled end is judged only once faults have healed.
    return { status: pending.length === 0 ? 'held' : 'not-judged', witnesses: [] };
  }
  if (input.quiescent) {
    const stuck = [...pending.map((op) => [op.id]), ...strandedLocks(input)];
    return { status: stuck.length > 0 ? 'broken' : 'held', witnesses: stuck };
  }
  if (pending.length === 0) return { status: 'held', witnesses: [] };
  if (input.boundMs === null) return { status: 'not-judged', witnesses: [] };
  const bound = input.boundMs;
  const late = pending.filter(
    (op) => input.endedAt - Math.max(op.invokedAt, input.faultsEndAt) > bound,
  );
  if (late.length === 0) return { status: 'not-judged', witnesses: [] };
  return { status: 'broken', witnesses: late.map((op) => [op.id]) };
}

/** The operations whose lock the server still holds at the end although they no longer run. */
function strandedLocks(input: LivenessInput): number[][] {
  const held = new Map<string, LockEvent>();
  for (const e of input.locks) {
    if (e.event === 'grant') held.set(e.key, e);
    else held.delete(e.key);
  }
  const stranded: number[][] = [];
  for (const grant of held.values()) {
    if (input.down.has(grant.node)) continue;
    const op = input.operations.find(
      (o) => o.client === grant.holder && o.requestId === grant.requestId,
    );
    if (op === undefined) stranded.push([]);
    else if (op.completedAt !== null || op.abandonedAt !== null) stranded.push([op.id]);
  }
  return stranded;
}
