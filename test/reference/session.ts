// The four session guarantees of PROTOCOL.md §3, read straight from the text: for every client
// session and key, every pair of operations in the order the client issued them. Quadratic on
// purpose: this is the reference the real checkers are compared with.

import type { Apply, Operation } from '../../sim/kernel/history.ts';
import {
  isWrite,
  type RefVerdict,
  readVersion,
  sessionsByKey,
  verdictOf,
  writeVersion,
} from './history.ts';

/** Every pair (a before b in one session and key) for which `broken(a, b)` holds. */
function pairs(
  operations: readonly Operation[],
  broken: (a: Operation, b: Operation) => boolean,
): number[][] {
  const found: number[][] = [];
  for (const session of sessionsByKey(operations))
    for (let i = 0; i < session.length; i++)
      for (let j = i + 1; j < session.length; j++)
        if (broken(session[i]!, session[j]!)) found.push([session[i]!.id, session[j]!.id]);
  return found;
}

/**
 * The pairs (a before b) where both carry a version of the kind asked (a read's or an acknowledged
 * write's) and `broken` holds of the two versions.
 */
function versionPairs(
  operations: readonly Operation[],
  versionOfA: (op: Operation) => number | null,
  versionOfB: (op: Operation) => number | null,
  broken: (a: number, b: number) => boolean,
): RefVerdict {
  return verdictOf(
    pairs(operations, (a, b) => {
      const va = versionOfA(a);
      const vb = versionOfB(b);
      return va !== null && vb !== null && broken(va, vb);
    }),
  );
}

/** MR: if read r1 precedes read r2 in the session, v(r2) >= v(r1). */
export const monotonicReads = (operations: readonly Operation[]) =>
  versionPairs(operations, readVersion, readVersion, (r1, r2) => r2 < r1);

/** RYW: if write w precedes read r, v(r) >= v(w). */
export const readYourWrites = (operations: readonly Operation[]) =>
  versionPairs(operations, writeVersion, readVersion, (w, r) => r < w);

/** WFR: if read r precedes write w, v(w) > v(r). */
export const writesFollowReads = (operations: readonly Operation[]) =>
  versionPairs(operations, readVersion, writeVersion, (r, w) => w <= r);

/** The write an apply stores: the history's own link, else the last write with its request id. */
function writeOf(apply: Apply, operations: readonly Operation[]): Operation | undefined {
  if (apply.opIndex !== undefined) return apply.opIndex < 0 ? undefined : operations[apply.opIndex];
  let found: Operation | undefined;
  for (const op of operations) if (isWrite(op) && op.requestId === apply.origin) found = op;
  return found;
}

/**
 * MW: if write w1 precedes write w2, v(w1) < v(w2), and no replica ever holds w1 after it has
 * held w2 (a replica holds a write from the moment it applies it).
 */
export function monotonicWrites(
  operations: readonly Operation[],
  applies: readonly Apply[],
): RefVerdict {
  // For each replica, the order in which it applied each write (every apply, repeats included).
  const appliedAt = new Map<Operation, { node: string; i: number }[]>();
  applies.forEach((apply, i) => {
    const w = writeOf(apply, operations);
    if (w === undefined || w.key !== apply.key) return;
    const list = appliedAt.get(w) ?? [];
    list.push({ node: apply.node, i });
    appliedAt.set(w, list);
  });
  const heldAfter = (w1: Operation, w2: Operation) =>
    (appliedAt.get(w2) ?? []).some((a2) =>
      (appliedAt.get(w1) ?? []).some((a1) => a1.node === a2.node && a1.i > a2.i),
    );
  return verdictOf(
    pairs(operations, (w1, w2) => {
      if (!isWrite(w1) || !isWrite(w2)) return false;
      const v1 = writeVersion(w1);
      const v2 = writeVersion(w2);
      return (v1 !== null && v2 !== null && v1 >= v2) || heldAfter(w1, w2);
    }),
  );
}
