// Cross-key causality, informative (anomaly A12): timestamps are per key, so a follower may store
// c1's write of y before the version of x that c1 had read (or written) before writing y. Anyone
// reading that follower could then see the effect (y) without its cause (x). A write's causes, as
// checked here, are the versions of other keys its client saw since its previous write, and that
// previous write: the direct causes, which keeps the check linear in the history.

import type { Key, NodeId } from '../../protocol/core.ts';
import type { Operation } from '../kernel/history.ts';
import type { Checker, CheckInput, Violation } from './types.ts';
import { isWrite, versionOf } from './versions.ts';
import { opText } from './words.ts';

/**
 * A write and its direct causes: the completed operations of its session in `finished[from, to)`
 * (by completion) with a version above 0 on another key. Kept as a range, not copied out.
 */
interface Caused {
  readonly write: Operation;
  readonly finished: readonly Operation[];
  readonly from: number;
  readonly to: number;
}

/** For each write (by request id), the versions of other keys its client saw just before it. */
function causes(operations: readonly Operation[]): Map<string, Caused> {
  const bySession = new Map<string, Operation[]>();
  for (const op of operations) {
    const list = bySession.get(op.session);
    if (list === undefined) bySession.set(op.session, [op]);
    else list.push(op);
  }
  const out = new Map<string, Caused>();
  for (const ops of bySession.values()) {
    const finished = ops.filter((o) => versionOf(o) !== null);
    if (!completionOrdered(finished)) finished.sort((a, b) => a.completedAt! - b.completedAt!);
    let from = 0;
    let done = 0;
    for (const w of ops) {
      while (done < finished.length && finished[done]!.completedAt! < w.invokedAt) done++;
      if (!isWrite(w)) continue;
      out.set(w.requestId, { write: w, finished, from, to: done });
      // The write itself becomes its successor's cause once it completes (it is in `finished`).
      from = done;
    }
  }
  return out;
}

/** Whether completed operations are already in completion order: sorting would change nothing. */
function completionOrdered(ops: readonly Operation[]): boolean {
  for (let i = 1; i < ops.length; i++)
    if (ops[i - 1]!.completedAt! > ops[i]!.completedAt!) return false;
  return true;
}

/** The first cause of `c.write` that `held` (a replica's ts per key) does not have yet. */
function missingCause(c: Caused, held: ReadonlyMap<Key, number>): Operation | undefined {
  for (let i = c.from; i < c.to; i++) {
    const o = c.finished[i]!;
    const v = versionOf(o)!;
    if (v > 0 && o.key !== c.write.key && (held.get(o.key) ?? 0) < v) return o;
  }
  return undefined;
}

function findings(input: CheckInput): Violation[] {
  const all = causes(input.operations);
  const holds = new Map<NodeId, Map<Key, number>>();
  const violations: Violation[] = [];
  for (const apply of input.applies) {
    let node = holds.get(apply.node);
    if (node === undefined) {
      node = new Map();
      holds.set(apply.node, node);
    }
    const entry = apply.origin === null ? undefined : all.get(apply.origin);
    const missing = entry === undefined ? undefined : missingCause(entry, node);
    if (entry !== undefined && missing !== undefined) {
      const v = versionOf(missing)!;
      violations.push({
        guarantee: 'causality',
        ops: [missing.id, entry.write.id],
        nodes: [apply.node],
        at: apply.t,
        sentence: `${apply.node} stored ${opText(entry.write)} while it held ${missing.key} at ts ${node.get(missing.key) ?? 0}, older than the ts ${v} ${entry.write.client} had seen before writing (op ${missing.id})`,
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
