// How the checkers name operations and versions in their sentences, so that every report reads
// the same way: "c1's GET x (op 7 at 12.300s, answered by s3)".

import type { Operation } from '../kernel/history.ts';
import { formatTime, operationText } from '../render/format.ts';

export function opName(op: Operation): string {
  return operationText(op.op, op.key, op.value);
}

/** "c1's PUT x=2 (op 5, c1.5, at 3.020s)" */
export function opText(op: Operation): string {
  return `${op.client}'s ${opName(op)} (op ${op.id}, ${op.requestId}, at ${formatTime(op.invokedAt)})`;
}

/** "ts 7" or "no version (NULL)" */
export function versionText(v: number): string {
  return v === 0 ? 'no version (ts 0)' : `ts ${v}`;
}
