// The reference checkers' reading of a history (PROTOCOL.md §3), written apart from sim/check so
// that the two can be compared: which operations are reads and writes, and the version each saw.

import type { Operation } from '../../sim/kernel/history.ts';

/** A read that returned a version: GET_OK, or NULL (version 0, or its tombstone's ts). */
export function readVersion(op: Operation): number | null {
  if (op.op !== 'get' || op.completedAt === null) return null;
  if (op.reply === 'GET_OK') return op.ts;
  if (op.reply === 'NULL') return op.ts ?? 0;
  return null;
}

/** An acknowledged write (PUT_OK, DELETE_OK) and the version it wrote. */
export function writeVersion(op: Operation): number | null {
  if (op.completedAt === null) return null;
  if (op.op === 'put' && op.reply === 'PUT_OK') return op.ts;
  if (op.op === 'delete' && op.reply === 'DELETE_OK') return op.ts;
  return null;
}

export const isWrite = (op: Operation) => op.op !== 'get';

/** What a reader would see after this write: its value, or null ("absent") for a DELETE. */
export const writtenValue = (op: Operation) => (op.op === 'put' ? op.value : null);

/** Operations grouped by a key of the caller's choice, each group in the order given. */
export function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = keyOf(item);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [item]);
    else group.push(item);
  }
  return groups;
}

/** One session's operations on one key, in the order the client issued them. */
export function sessionsByKey(operations: readonly Operation[]): Operation[][] {
  const sorted = [...operations].sort((a, b) => a.invokedSeq - b.invokedSeq);
  return [...groupBy(sorted, (op) => `${op.session}\u0000${op.key}`).values()];
}

/** A reference verdict: held, broken with its witnesses (sets of op ids), or not judged. */
export type RefStatus = 'held' | 'broken' | 'not-judged';

export interface RefVerdict {
  readonly status: RefStatus;
  /** Every violating set of operation ids the definition names (pairs for the session ones). */
  readonly witnesses: readonly (readonly number[])[];
  readonly note?: string;
}

export function verdictOf(witnesses: readonly (readonly number[])[], note?: string): RefVerdict {
  return {
    status: witnesses.length > 0 ? 'broken' : 'held',
    witnesses,
    ...(note === undefined ? {} : { note }),
  };
}
