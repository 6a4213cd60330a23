// Cross-key causality, informative (anomaly A12): timestamps are per key, so a follower may store
// c1's write of y before the version of x that c1 had read (or written) before writing y. Anyone
// reading that follower could then see the effect (y) without its cause (x). A write's causes, as
// checked here, are the versions of other keys its client saw since its previous write, and that
// previous write: the direct causes, which keeps the check linear in the history.

import type { Key, NodeId } from '../../protocol/core.ts';
import type { Operation } from '../kernel/history.ts';
import type { Checker, CheckInput, Violation } from './types.ts';
import { appliedWrites, isWrite, sessions, versionOf } from './versions.ts';
import { opText } from './words.ts';

/**
 * Each write's direct causes: the completed operations of its session, by completion, in
 * `finished[from[i], to[i])` (indices in `operations`) for the write at index i of the history,
 * those with a version above 0 on another key. Ranges over one array, not a list per write.
 */
interface Causes {
  readonly operations: readonly Operation[];
  readonly finished: Int32Array;
  readonly from: Int32Array;
  readonly to: Int32Array;
}

/** For each write, the versions of other keys its client saw just before it. */
function causes(operations: readonly Operation[]): Causes {
  const n = operations.length;
  // The history's indices by session (each session's in history order), counted then placed:
  // no list per session to grow.
  const { sessionOf, sessionCount } = sessions(operations);
  const starts = new Int32Array(sessionCount + 1);
  for (let i = 0; i < n; i++) starts[sessionOf[i]! + 1]!++;
  for (let s = 0; s < sessionCount; s++) starts[s + 1]! += starts[s]!;
  const next = starts.slice(0, sessionCount);
  const bySession = new Int32Array(n);
  for (let i = 0; i < n; i++) bySession[next[sessionOf[i]!]!++] = i;

  // Indices, not the operations: an array of a million objects costs more to grow and collect.
  const finished = new Int32Array(n);
  let count = 0;
  const from = new Int32Array(n);
  const to = new Int32Array(n);
  for (let s = 0; s < sessionCount; s++) {
    const start = count;
    for (let k = starts[s]!; k < starts[s + 1]!; k++) {
      const i = bySession[k]!;
      if (versionOf(operations[i]!) !== null) finished[count++] = i;
    }
    if (!completionOrdered(operations, finished.subarray(start, count))) {
      const sorted = Array.from(finished.subarray(start, count)).sort(
        (a, b) => operations[a]!.completedSeq! - operations[b]!.completedSeq!,
      );
      finished.set(sorted, start);
    }
    let first = start;
    let done = start;
    for (let k = starts[s]!; k < starts[s + 1]!; k++) {
      const i = bySession[k]!;
      const w = operations[i]!;
      // Real time is the order of events, not the millisecond (PROTOCOL.md §3): an operation that
      // completed in the millisecond the write was issued, before it, is one of its causes.
      while (done < count && operations[finished[done]!]!.completedSeq! < w.invokedSeq) done++;
      if (!isWrite(w)) continue;
      from[i] = first;
      to[i] = done;
      // The write itself becomes its successor's cause once it completes (it is in `finished`).
      first = done;
    }
  }
  return { operations, finished, from, to };
}

/** Whether the operations at `indices` are already in completion order: sorting would change nothing. */
function completionOrdered(operations: readonly Operation[], indices: Int32Array): boolean {
  for (let k = 1; k < indices.length; k++)
    if (operations[indices[k - 1]!]!.completedSeq! > operations[indices[k]!]!.completedSeq!)
      return false;
  return true;
}

/** The first cause of `write` (at index i) that `held` (a replica's ts per key) lacks. */
function missingCause(
  all: Causes,
  i: number,
  write: Operation,
  held: ReadonlyMap<Key, number>,
): Operation | undefined {
  for (let j = all.from[i]!; j < all.to[i]!; j++) {
    const o = all.operations[all.finished[j]!]!;
    const v = versionOf(o)!;
    if (v > 0 && o.key !== write.key && (held.get(o.key) ?? 0) < v) return o;
  }
  return undefined;
}

function findings(input: CheckInput): Violation[] {
  const all = causes(input.operations);
  const writes = appliedWrites(input.operations, input.applies);
  const holds = new Map<NodeId, Map<Key, number>>();
  const violations: Violation[] = [];
  for (let a = 0; a < input.applies.length; a++) {
    const apply = input.applies[a]!;
    let node = holds.get(apply.node);
    if (node === undefined) {
      node = new Map();
      holds.set(apply.node, node);
    }
    const i = writes[a]!;
    const write = i < 0 ? undefined : input.operations[i]!;
    const missing = write === undefined ? undefined : missingCause(all, i, write, node);
    if (write !== undefined && missing !== undefined) {
      violations.push({
        guarantee: 'causality',
        ops: [missing.id, write.id],
        nodes: [apply.node],
        at: apply.t,
        sentence: `${apply.node} stored ${opText(write)} while it held ${missing.key} at ts ${node.get(missing.key) ?? 0}, older than the ts ${versionOf(missing)} ${write.client} had seen before writing (op ${missing.id})`,
      });
    }
    node.set(apply.key, apply.ts);
  }
  return violations;
}

export const CAUSALITY: Checker = {
  guarantee: 'causality',
  informative: true,
  check: (input) => ({ violations: findings(input) }),
};
