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

interface Cause {
  readonly key: Key;
  readonly v: number;
  readonly op: Operation;
}

/** For each write (by request id), the versions of other keys its client saw just before it. */
function causes(
  operations: readonly Operation[],
): Map<string, { write: Operation; causes: Cause[] }> {
  const bySession = new Map<string, Operation[]>();
  for (const op of operations) {
    const list = bySession.get(op.session);
    if (list === undefined) bySession.set(op.session, [op]);
    else list.push(op);
  }
  const out = new Map<string, { write: Operation; causes: Cause[] }>();
  for (const ops of bySession.values()) {
    const finished = ops
      .filter((o) => versionOf(o) !== null)
      .sort((a, b) => a.completedAt! - b.completedAt!);
    let seen: Cause[] = [];
    let done = 0;
    for (const w of ops) {
      while (done < finished.length && finished[done]!.completedAt! < w.invokedAt) {
        const o = finished[done++]!;
        const v = versionOf(o)!;
        if (v > 0) seen.push({ key: o.key, v, op: o });
      }
      if (!isWrite(w)) continue;
      out.set(w.requestId, { write: w, causes: seen.filter((c) => c.key !== w.key) });
      // The write itself becomes its successor's cause once it completes (it is in `finished`).
      seen = [];
    }
  }
  return out;
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
    const missing = entry?.causes.find((c) => (node.get(c.key) ?? 0) < c.v);
    if (entry !== undefined && missing !== undefined) {
      violations.push({
        guarantee: 'causality',
        ops: [missing.op.id, entry.write.id],
        nodes: [apply.node],
        at: apply.t,
        sentence: `${apply.node} stored ${opText(entry.write)} while it held ${missing.key} at ts ${node.get(missing.key) ?? 0}, older than the ts ${missing.v} ${entry.write.client} had seen before writing (op ${missing.op.id})`,
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
