// Per-key linearizability, informative: the replicated store does not promise it (anomaly A4).
// Real-time order says that if a finished before b started, b must not see an older version than
// a did. One sweep per key in invocation order, with the operations finished so far kept as their
// largest version, finds the pair in O(n log n).

import type { Operation } from '../kernel/history.ts';
import type { Checker, Violation } from './types.ts';
import { isRead, versionOf } from './versions.ts';
import { opText, versionText } from './words.ts';

function byKey(operations: readonly Operation[]): Map<string, Operation[]> {
  const groups = new Map<string, Operation[]>();
  for (const op of operations) {
    if (versionOf(op) === null) continue;
    const group = groups.get(op.key);
    if (group === undefined) groups.set(op.key, [op]);
    else group.push(op);
  }
  return groups;
}

function sweep(ops: Operation[]): Violation[] {
  const started = [...ops].sort((a, b) => a.invokedAt - b.invokedAt || a.id - b.id);
  const finished = [...ops].sort((a, b) => a.completedAt! - b.completedAt! || a.id - b.id);
  const violations: Violation[] = [];
  let done = 0;
  let best: { op: Operation; v: number } | null = null;
  for (const b of started) {
    while (done < finished.length && finished[done]!.completedAt! < b.invokedAt) {
      const a = finished[done++]!;
      const v = versionOf(a)!;
      if (best === null || v > best.v) best = { op: a, v };
    }
    const v = versionOf(b)!;
    if (best === null || !isRead(b) || v >= best.v || best.op.client === b.client) continue;
    violations.push({
      guarantee: 'linearizability',
      ops: [best.op.id, b.id],
      nodes: [b.server ?? ''].filter((n) => n !== ''),
      at: b.completedAt!,
      sentence: `${opText(best.op)} finished with ${versionText(best.v)} before ${opText(b)} started, yet ${b.server} answered it with the older ${versionText(v)}`,
    });
  }
  return violations;
}

export const LINEARIZABILITY: Checker = {
  guarantee: 'linearizability',
  informative: true,
  check: (input) => ({ violations: [...byKey(input.operations).values()].flatMap(sweep) }),
};
