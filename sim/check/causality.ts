// Cross-key causality, informative (anomaly A12): timestamps are per key, so a follower may store
// c1's write of y before the version of x that c1 had read (or written) before writing y. Anyone
// reading that follower could then see the effect (y) without its cause (x). A write's causes are
// every operation of its session answered before it was issued (in the order of events), on
// another key: not only those since the previous write, since a replica that went back (an
// overwrite, a lost store) may lack an old cause while it holds the newer writes. Each replica
// remembers how far into each session's causes it is known to hold everything, so a run whose
// replicas never go back checks each cause about once per replica.

import type { Key, NodeId } from '../../protocol/core.ts';
import type { Operation } from '../kernel/history.ts';
import type { Checker, CheckInput, Violation } from './types.ts';
import { appliedWrites, isWrite, sessions, versionOf } from './versions.ts';
import { opText } from './words.ts';

/**
 * Each session's answered operations (those with a version), by completion, in `finished`
 * (indices in `operations`): session s's from `start[s]`. The causes of the write at index i of
 * the history are `finished[start[sessionOf[i]], to[i])`. One array, not a list per write.
 */
interface Causes {
  readonly operations: readonly Operation[];
  readonly finished: Int32Array;
  readonly start: Int32Array;
  readonly sessionOf: Int32Array;
  readonly sessionCount: number;
  readonly to: Int32Array;
}

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
  const start = new Int32Array(sessionCount);
  let count = 0;
  const to = new Int32Array(n);
  for (let s = 0; s < sessionCount; s++) {
    start[s] = count;
    for (let k = starts[s]!; k < starts[s + 1]!; k++) {
      const i = bySession[k]!;
      if (versionOf(operations[i]!) !== null) finished[count++] = i;
    }
    if (!completionOrdered(operations, finished.subarray(start[s]!, count))) {
      const sorted = Array.from(finished.subarray(start[s]!, count)).sort(
        (a, b) => operations[a]!.completedSeq! - operations[b]!.completedSeq!,
      );
      finished.set(sorted, start[s]!);
    }
    let done = start[s]!;
    for (let k = starts[s]!; k < starts[s + 1]!; k++) {
      const i = bySession[k]!;
      const w = operations[i]!;
      // Real time is the order of events, not the millisecond (PROTOCOL.md §3): an operation that
      // completed in the millisecond the write was issued, before it, is one of its causes.
      while (done < count && operations[finished[done]!]!.completedSeq! < w.invokedSeq) done++;
      if (isWrite(w)) to[i] = done;
    }
  }
  return { operations, finished, start, sessionOf, sessionCount, to };
}

/** Whether the operations at `indices` are already in completion order: sorting would change nothing. */
function completionOrdered(operations: readonly Operation[], indices: Int32Array): boolean {
  for (let k = 1; k < indices.length; k++)
    if (operations[indices[k - 1]!]!.completedSeq! > operations[indices[k]!]!.completedSeq!)
      return false;
  return true;
}

/**
 * What one replica holds, and how far into each session's causes it is known to hold every
 * version: `verified[s]`, valid while `wentBack` is still `verifiedAt[s]` (a replica that stores
 * an older version than it held may have lost any cause).
 */
interface ReplicaView {
  readonly held: Map<Key, number>;
  wentBack: number;
  readonly verified: Int32Array;
  readonly verifiedAt: Int32Array;
}

/** The first cause of `write` (at index i) that the replica lacks; records how far it holds all. */
function missingCause(
  all: Causes,
  i: number,
  write: Operation,
  replica: ReplicaView,
): Operation | undefined {
  const s = all.sessionOf[i]!;
  const known = replica.verifiedAt[s] === replica.wentBack && replica.verified[s]! > all.start[s]!;
  const from = known ? replica.verified[s]! : all.start[s]!;
  const to = all.to[i]!;
  let missing: Operation | undefined;
  let holdsAll = true;
  for (let j = from; j < to; j++) {
    const o = all.operations[all.finished[j]!]!;
    const v = versionOf(o)!;
    if (v <= 0 || (replica.held.get(o.key) ?? 0) >= v) continue;
    holdsAll = false;
    if (o.key !== write.key) {
      missing = o;
      break;
    }
  }
  if (holdsAll && to > from) {
    replica.verified[s] = to;
    replica.verifiedAt[s] = replica.wentBack;
  }
  return missing;
}

function findings(input: CheckInput): Violation[] {
  const all = causes(input.operations);
  const writes = appliedWrites(input.operations, input.applies);
  const replicas = new Map<NodeId, ReplicaView>();
  const violations: Violation[] = [];
  for (let a = 0; a < input.applies.length; a++) {
    const apply = input.applies[a]!;
    let replica = replicas.get(apply.node);
    if (replica === undefined) {
      replica = {
        held: new Map(),
        wentBack: 0,
        verified: new Int32Array(all.sessionCount),
        verifiedAt: new Int32Array(all.sessionCount),
      };
      replicas.set(apply.node, replica);
    }
    const i = writes[a]!;
    const write = i < 0 ? undefined : input.operations[i]!;
    const missing = write === undefined ? undefined : missingCause(all, i, write, replica);
    const held = replica.held;
    if (write !== undefined && missing !== undefined) {
      violations.push({
        guarantee: 'causality',
        ops: [missing.id, write.id],
        nodes: [apply.node],
        at: apply.t,
        sentence: `${apply.node} stored ${opText(write)} while it held ${missing.key} at ts ${held.get(missing.key) ?? 0}, older than the ts ${versionOf(missing)} ${write.client} had seen before writing (op ${missing.id})`,
      });
    }
    const before = held.get(apply.key);
    if (before !== undefined && apply.ts < before) replica.wentBack++;
    held.set(apply.key, apply.ts);
  }
  return violations;
}

export const CAUSALITY: Checker = {
  guarantee: 'causality',
  informative: true,
  check: (input) => ({ violations: findings(input) }),
};
