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

interface Best {
  readonly op: Operation;
  readonly v: number;
}

/**
 * The two largest finished versions from different clients: a read is compared with the best one
 * not its own (its own client's are the session checkers' business).
 */
function offer(top: [Best | null, Best | null], next: Best): [Best | null, Best | null] {
  const [first, second] = top;
  if (first === null || next.v > first.v) {
    return [next, first !== null && first.op.client !== next.op.client ? first : second];
  }
  if (next.op.client !== first.op.client && (second === null || next.v > second.v))
    return [first, next];
  return top;
}

function sweep(ops: Operation[]): Violation[] {
  const started = [...ops].sort((a, b) => a.invokedAt - b.invokedAt || a.id - b.id);
  const finished = [...ops].sort((a, b) => a.completedAt! - b.completedAt! || a.id - b.id);
  const violations: Violation[] = [];
  let done = 0;
  let top: [Best | null, Best | null] = [null, null];
  for (const b of started) {
    while (done < finished.length && finished[done]!.completedAt! < b.invokedAt) {
      const a = finished[done++]!;
      top = offer(top, { op: a, v: versionOf(a)! });
    }
    const v = versionOf(b)!;
    const best = top[0]?.op.client === b.client ? top[1] : top[0];
    if (best === null || !isRead(b) || v >= best.v) continue;
    violations.push({
      guarantee: 'linearizability',
      ops: [best.op.id, b.id],
      nodes: b.server === null ? [] : [b.server],
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
