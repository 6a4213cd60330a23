// Cross-key causality, informative (anomaly A12): timestamps are per key, so a follower may store
// c1's write of y before the version of x that c1 had read (or written) before writing y. Anyone
// reading that follower could then see the effect (y) without its cause (x). A write's causes are
// every operation of its session answered before it was issued (in the order of events), on
// another key: not only those since the previous write, since a replica that went back (an
// overwrite, a store a restart emptied) may lack an old cause while it holds the newer writes.
// Each replica remembers how far into each session's causes it is known to hold everything, so a
// run whose replicas never go back checks each cause about once per replica.

import type { Apply, Wipe } from '../kernel/history.ts';
import { formatTime } from '../render/format.ts';
import type { Checker, CheckInput, Violation } from './types.ts';
import {
  applyColumns,
  type Columns,
  columns,
  ReportedPairs,
  reused,
  VERSIONED,
  versionOf,
  WRITE,
} from './versions.ts';
import { opText } from './words.ts';

/**
 * Each session's answered operations (those with a version), by completion, in `finished`
 * (indices in the history): session s's from `start[s]`. The causes of the write at index i of
 * the history are `finished[start[sessionOf[i]], to[i])`. One array, not a list per write.
 */
interface Causes {
  readonly finished: Int32Array;
  readonly start: Int32Array;
  readonly to: Int32Array;
}

function causes(c: Columns): Causes {
  const { flags, bySession, sessionStart, completedSeq, invokedSeq } = c;
  const n = flags.length;
  const finished = reused.ints('causes', n);
  const start = new Int32Array(c.sessionCount);
  let count = 0;
  const to = reused.ints('causesTo', n);
  for (let s = 0; s < c.sessionCount; s++) {
    start[s] = count;
    for (let k = sessionStart[s]!; k < sessionStart[s + 1]!; k++) {
      const i = bySession[k]!;
      if ((flags[i]! & VERSIONED) !== 0) finished[count++] = i;
    }
    const mine = finished.subarray(start[s]!, count);
    if (!completionOrdered(completedSeq, mine))
      mine.set(Array.from(mine).sort((a, b) => completedSeq[a]! - completedSeq[b]!));
    let done = start[s]!;
    for (let k = sessionStart[s]!; k < sessionStart[s + 1]!; k++) {
      const i = bySession[k]!;
      // Real time is the order of events, not the millisecond (PROTOCOL.md §3): an operation that
      // completed in the millisecond the write was issued, before it, is one of its causes.
      while (done < count && completedSeq[finished[done]!]! < invokedSeq[i]!) done++;
      if ((flags[i]! & WRITE) !== 0) to[i] = done;
    }
  }
  return { finished, start, to };
}

/** Whether the operations at `indices` are already in completion order: sorting would change nothing. */
function completionOrdered(completedSeq: Float64Array, indices: Int32Array): boolean {
  for (let k = 1; k < indices.length; k++)
    if (completedSeq[indices[k - 1]!]! > completedSeq[indices[k]!]!) return false;
  return true;
}

/**
 * What one replica holds, per key number (-Infinity: it never stored the key), and how far into
 * each session's causes it is known to hold every version: `verified[s]`, valid while `wentBack`
 * is still `verifiedAt[s]` (a replica that stores an older version than it held may have lost any
 * cause).
 */
interface ReplicaView {
  readonly name: string;
  readonly held: Float64Array;
  wentBack: number;
  readonly verified: Int32Array;
  readonly verifiedAt: Int32Array;
  /** Per key: when a restart emptied the store while it held the key (-1: none since it last stored it). */
  readonly lostAt: Float64Array;
}

/** The first cause of the write at index i that the replica lacks, or -1; records how far it holds all. */
function missingCause(c: Columns, all: Causes, i: number, replica: ReplicaView): number {
  const { version, keyOf } = c;
  const s = c.sessionOf[i]!;
  const known = replica.verifiedAt[s] === replica.wentBack && replica.verified[s]! > all.start[s]!;
  const from = known ? replica.verified[s]! : all.start[s]!;
  const to = all.to[i]!;
  const held = replica.held;
  let missing = -1;
  let holdsAll = true;
  for (let j = from; j < to; j++) {
    const o = all.finished[j]!;
    const v = version[o]!;
    // A key never stored (-Infinity) holds no version above 0, as ts 0 would.
    if (v <= 0 || held[keyOf[o]!]! >= v) continue;
    holdsAll = false;
    if (keyOf[o] !== keyOf[i]) {
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
  const c = columns(input);
  const all = causes(c);
  const replicas = applyColumns(input);
  const views: ReplicaView[] = [];
  const reported = new ReportedPairs(input.operations.length);
  const violations: Violation[] = [];
  const wipes = input.wipes ?? [];
  let nextWipe = 0;
  for (let a = 0; a < replicas.write.length; a++) {
    const node = replicas.nodeOf[a]!;
    while (nextWipe < wipes.length && wipedBefore(wipes[nextWipe]!, input.applies[a]!))
      wipe(views, wipes[nextWipe++]!);
    let replica = views[node];
    if (replica === undefined) {
      replica = {
        name: input.applies[a]!.node,
        held: reused.floats(`held by ${node}`, replicas.keyCount).fill(Number.NEGATIVE_INFINITY),
        wentBack: 0,
        verified: reused.ints(`verified by ${node}`, c.sessionCount).fill(0),
        verifiedAt: reused.ints(`verified at ${node}`, c.sessionCount).fill(0),
        lostAt: reused.floats(`lost by ${node}`, replicas.keyCount).fill(-1),
      };
      views[node] = replica;
    }
    const i = replicas.write[a]!;
    const missing = i < 0 ? -1 : missingCause(c, all, i, replica);
    const held = replica.held;
    if (missing >= 0 && reported.first(node, missing, i)) {
      const k = c.keyOf[missing]!;
      violations.push(violation(input, a, i, missing, held[k]!, replica.lostAt[k]!));
    }
    const key = replicas.keyOf[a]!;
    const ts = replicas.ts[a]!;
    if (ts < held[key]!) replica.wentBack++;
    held[key] = ts;
    replica.lostAt[key] = -1;
  }
  return violations;
}

/** The wipe came before the apply in the order of events (by time in a history without places). */
function wipedBefore(wipe: Wipe, apply: Apply): boolean {
  return wipe.seq !== undefined && apply.seq !== undefined
    ? wipe.seq < apply.seq
    : wipe.t <= apply.t;
}

/** A restart emptied a replica's store: it holds no version of any key, and went back. */
function wipe(views: readonly (ReplicaView | undefined)[], w: Wipe): void {
  // A replica with no view yet has stored nothing: there is nothing to forget.
  const replica = views.find((v) => v?.name === w.node);
  if (replica === undefined) return;
  const held = replica.held;
  for (let k = 0; k < held.length; k++)
    if (held[k] !== Number.NEGATIVE_INFINITY) replica.lostAt[k] = w.t;
  held.fill(Number.NEGATIVE_INFINITY);
  replica.wentBack++;
}

/**
 * The replica of the a-th apply stored the write at index i while it held `heldTs` of a cause's
 * key (-Infinity: none), which a restart at `lostAt` had taken from it (-1: none did).
 */
function violation(
  input: CheckInput,
  a: number,
  i: number,
  missing: number,
  heldTs: number,
  lostAt: number,
): Violation {
  const apply = input.applies[a]!;
  const write = input.operations[i]!;
  const cause = input.operations[missing]!;
  const seen = `${write.client} had seen ts ${versionOf(cause)} of ${cause.key} before writing (op ${cause.id})`;
  return {
    guarantee: 'causality',
    ops: [cause.id, write.id],
    nodes: [apply.node],
    at: apply.t,
    sentence:
      heldTs !== Number.NEGATIVE_INFINITY
        ? `${apply.node} stored ${opText(write)} while it held ${cause.key} at ts ${heldTs}, older than the ts ${versionOf(cause)} ${write.client} had seen before writing (op ${cause.id})`
        : lostAt >= 0
          ? `${apply.node} stored ${opText(write)} while it held no ${cause.key} (its restart at ${formatTime(lostAt)} emptied its store), though ${seen}`
          : `${apply.node} stored ${opText(write)} before it had stored any ${cause.key}, though ${seen}`,
  };
}

export const CAUSALITY: Checker = {
  guarantee: 'causality',
  informative: true,
  check: (input) => ({ violations: findings(input) }),
};
