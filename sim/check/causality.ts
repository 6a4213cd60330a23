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
 * `finished[from[i], to[i])` for the write at index i of the history, those with a version above 0
 * on another key. Ranges over one array, not a list per write.
 */
interface Causes {
  readonly finished: readonly Operation[];
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

  const finished: Operation[] = [];
  const from = new Int32Array(n);
  const to = new Int32Array(n);
  for (let s = 0; s < sessionCount; s++) {
    const start = finished.length;
    for (let k = starts[s]!; k < starts[s + 1]!; k++) {
      const op = operations[bySession[k]!]!;
      if (versionOf(op) !== null) finished.push(op);
    }
    if (!completionOrdered(finished, start)) {
      const sorted = finished.slice(start).sort((a, b) => a.completedAt! - b.completedAt!);
      for (let j = 0; j < sorted.length; j++) finished[start + j] = sorted[j]!;
    }
    let first = start;
    let done = start;
    for (let k = starts[s]!; k < starts[s + 1]!; k++) {
      const i = bySession[k]!;
      const w = operations[i]!;
      while (done < finished.length && finished[done]!.completedAt! < w.invokedAt) done++;
      if (!isWrite(w)) continue;
      from[i] = first;
      to[i] = done;
      // The write itself becomes its successor's cause once it completes (it is in `finished`).
      first = done;
    }
  }
  return { finished, from, to };
}

/** Whether `ops[start..]` is already in completion order: sorting would change nothing. */
function completionOrdered(ops: readonly Operation[], start: number): boolean {
  for (let i = start + 1; i < ops.length; i++)
    if (ops[i - 1]!.completedAt! > ops[i]!.completedAt!) return false;
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
    const o = all.finished[j]!;
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
