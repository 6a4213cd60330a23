// The version an operation wrote or read, as PROTOCOL.md §3 defines it: a write's ts from its
// PUT_OK/DELETE_OK; a read's ts from GET_OK, or from NULL (a tombstone's ts, or 0 when the server
// had never heard of the key). Refused, pending and abandoned operations have no version.

import type { Operation } from '../kernel/history.ts';

export function isWrite(op: Operation): boolean {
  return op.op === 'put' || op.op === 'delete';
}

/** The version a completed operation carries, or null when it carries none. */
export function versionOf(op: Operation): number | null {
  switch (op.reply) {
    case 'PUT_OK':
    case 'DELETE_OK':
    case 'GET_OK':
      return op.ts;
    case 'NULL':
      return op.ts ?? 0;
    default:
      return null;
  }
}

export function isRead(op: Operation): boolean {
  return op.op === 'get' && versionOf(op) !== null;
}

const grouped = new WeakMap<readonly Operation[], ReadonlyMap<string, readonly Operation[]>>();

/**
 * Operations grouped by (session, key), each group in session order (the order they were issued).
 * A client that crashed and restarted starts a new session.
 */
export function sessions(
  operations: readonly Operation[],
): ReadonlyMap<string, readonly Operation[]> {
  // Every session checker asks for the same grouping of the same history: build it once.
  const known = grouped.get(operations);
  if (known !== undefined) return known;
  const groups = new Map<string, Operation[]>();
  for (const op of operations) {
    const id = `${op.session}\u0000${op.key}`;
    let group = groups.get(id);
    if (group === undefined) {
      group = [];
      groups.set(id, group);
    }
    group.push(op);
  }
  for (const group of groups.values())
    group.sort((a, b) => a.invokedAt - b.invokedAt || a.id - b.id);
  return groups;
}
