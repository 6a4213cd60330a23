// Cross-key causality, informative (anomaly A12): timestamps are per key, so a follower may store
// c1's write of y before the version of x that c1 had read (or written) before writing y. Anyone
// reading that follower could then see the effect (y) without its cause (x).

import type { Key } from '../../protocol/core.ts';
import type { Operation } from '../kernel/history.ts';
import type { Checker, CheckInput, Violation } from './types.ts';
import { isWrite, versionOf } from './versions.ts';
import { opText } from './words.ts';

interface Dependency {
  readonly key: Key;
  readonly v: number;
  readonly op: Operation;
}

/** For each write, what its client had seen of the other keys when it issued it. */
function dependencies(
  operations: readonly Operation[],
): Map<string, { write: Operation; deps: Dependency[] }> {
  const byClient = new Map<string, Operation[]>();
  for (const op of operations) {
    const list = byClient.get(op.client);
    if (list === undefined) byClient.set(op.client, [op]);
    else list.push(op);
  }
  const out = new Map<string, { write: Operation; deps: Dependency[] }>();
  for (const ops of byClient.values()) {
    const finished = ops
      .filter((o) => versionOf(o) !== null)
      .sort((a, b) => a.completedAt! - b.completedAt!);
    const seen = new Map<Key, Dependency>();
    let done = 0;
    for (const w of [...ops].sort((a, b) => a.invokedAt - b.invokedAt)) {
      while (done < finished.length && finished[done]!.completedAt! < w.invokedAt) {
        const o = finished[done++]!;
        const v = versionOf(o)!;
        const prior = seen.get(o.key);
        if (v > 0 && (prior === undefined || v > prior.v))
          seen.set(o.key, { key: o.key, v, op: o });
      }
      if (!isWrite(w)) continue;
      out.set(w.requestId, { write: w, deps: [...seen.values()].filter((d) => d.key !== w.key) });
    }
  }
  return out;
}

function findings(input: CheckInput): Violation[] {
  const deps = dependencies(input.operations);
  const holds = new Map<string, number>();
  const violations: Violation[] = [];
  for (const apply of input.applies) {
    const entry = apply.origin === null ? undefined : deps.get(apply.origin);
    for (const d of entry?.deps ?? []) {
      const has = holds.get(`${apply.node}\u0000${d.key}`) ?? 0;
      if (has >= d.v) continue;
      violations.push({
        guarantee: 'causality',
        ops: [d.op.id, entry!.write.id],
        nodes: [apply.node],
        at: apply.t,
        sentence: `${apply.node} stored ${opText(entry!.write)} while it held ${d.key} at ts ${has}, older than the ts ${d.v} ${entry!.write.client} had seen before writing (op ${d.op.id})`,
      });
      break;
    }
    holds.set(`${apply.node}\u0000${apply.key}`, apply.ts);
  }
  return violations;
}

export const CAUSALITY: Checker = {
  guarantee: 'causality',
  informative: true,
  check: (input) => ({ violations: findings(input) }),
};
