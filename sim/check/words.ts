// How the checkers name operations and versions in their sentences, so that every report reads
// the same way: "c1's GET x (op 7, c1.7, issued at 12.300s)".

import type { Operation } from '../kernel/history.ts';
import { formatTime, operationText } from '../render/format.ts';

export function opName(op: Operation): string {
  return operationText(op.op, op.key, op.value);
}

/**
 * "c1's PUT x=2 (op 5, c1.5, issued at 3.020s)", or with a word before the operation: "c1's
 * acknowledged PUT x=2 (…)". The time is when the client issued it, not when it was answered.
 */
export function opText(op: Operation, adjective?: string): string {
  const what = adjective === undefined ? opName(op) : `${adjective} ${opName(op)}`;
  return `${op.client}'s ${what} (op ${op.id}, ${op.requestId}, issued at ${formatTime(op.invokedAt)})`;
}

/** Operations named by id only: "op 4", "ops 4 and 11", "ops 4, 11 and 39". */
export function opIds(ids: readonly number[]): string {
  if (ids.length === 1) return `op ${ids[0]}`;
  return `ops ${ids.slice(0, -1).join(', ')} and ${ids[ids.length - 1]}`;
}

/**
 * The version `v` operation `op` wrote or read: "ts 7", or for a read of no value (a NULL that
 * carried no tombstone's ts, version 0) what it counts as: the server had no version of the key,
 * whatever had been written elsewhere. A write the leader's wall clock stamped 0 is "ts 0", a
 * version like any other.
 */
export function versionText(v: number, op: Operation): string {
  return op.op === 'get' && op.ts === null ? 'no value (NULL: version 0)' : `ts ${v}`;
}
