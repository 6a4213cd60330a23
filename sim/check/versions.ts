// The version an operation wrote or read, as PROTOCOL.md §3 defines it: a write's ts from its
// PUT_OK/DELETE_OK; a read's ts from GET_OK, or from NULL (a tombstone's ts, or 0 when the server
// had never heard of the key). Refused, pending and abandoned operations have no version.

import type { Apply, Operation } from '../kernel/history.ts';

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

/**
 * Operations grouped by (session, key): `groupOf[i]` numbers the group of the history's i-th
 * operation, groups numbered in the order of their first operation. `order` lists the history's
 * indices in issue order, or is null when the history is in that order already (the usual case).
 * Walking `order` visits each group in session order (the order its client issued them). A client
 * that crashed and restarted starts a new session.
 */
export interface Sessions {
  readonly groupOf: Int32Array;
  readonly count: number;
  /** Each operation's session, numbered in the order of its first operation, and how many. */
  readonly sessionOf: Int32Array;
  readonly sessionCount: number;
  readonly order: Int32Array | null;
}

/** Kept while the history has not grown: an operation's session, key and issue never change. */
const grouped = new WeakMap<readonly Operation[], Sessions>();

export function sessions(operations: readonly Operation[]): Sessions {
  // Every session checker asks for the same grouping of the same history: build it once.
  const known = grouped.get(operations);
  if (known !== undefined && known.groupOf.length === operations.length) return known;
  // Per session: its number and its keys' group numbers.
  const bySession = new Map<string, { readonly no: number; readonly keys: Map<string, number> }>();
  const groupOf = new Int32Array(operations.length);
  const sessionOf = new Int32Array(operations.length);
  let count = 0;
  let ordered = true;
  for (let i = 0; i < operations.length; i++) {
    const op = operations[i]!;
    let session = bySession.get(op.session);
    if (session === undefined) {
      session = { no: bySession.size, keys: new Map() };
      bySession.set(op.session, session);
    }
    sessionOf[i] = session.no;
    const keys = session.keys;
    let group = keys.get(op.key);
    if (group === undefined) {
      group = count++;
      keys.set(op.key, group);
    }
    groupOf[i] = group;
    if (i > 0 && byIssue(operations[i - 1]!, op) > 0) ordered = false;
  }
  const order = ordered
    ? null
    : Int32Array.from(
        Array.from(operations.keys()).sort((a, b) => byIssue(operations[a]!, operations[b]!)),
      );
  const result = { groupOf, count, sessionOf, sessionCount: bySession.size, order };
  grouped.set(operations, result);
  return result;
}

function byIssue(a: Operation, b: Operation): number {
  return a.invokedAt - b.invokedAt || a.id - b.id;
}

const resolved = new WeakMap<
  readonly Apply[],
  {
    readonly operations: readonly Operation[];
    readonly length: number;
    readonly writes: Int32Array;
  }
>();

/**
 * For each replica write, the index in `operations` of the write it stores, or -1: the one the
 * history noted when it recorded the write (the last issued by then with its origin, a request
 * id), else found by its origin (when a restarted client reused one, the last write issued with
 * it). Causality and monotonic writes both ask: resolved once per history.
 */
export function appliedWrites(
  operations: readonly Operation[],
  applies: readonly Apply[],
): Int32Array {
  const known = resolved.get(applies);
  if (
    known !== undefined &&
    known.operations === operations &&
    known.length === operations.length &&
    known.writes.length === applies.length
  )
    return known.writes;
  // Built only for applies the history did not resolve (or resolved against other operations).
  let byRequest: Map<string, number> | null = null;
  const writes = new Int32Array(applies.length);
  for (let a = 0; a < applies.length; a++) {
    const apply = applies[a]!;
    const origin = apply.origin;
    if (origin === null) {
      writes[a] = -1;
      continue;
    }
    const noted = apply.opIndex;
    if (noted !== undefined && noted >= 0) {
      const op = operations[noted];
      if (op !== undefined && op.requestId === origin && isWrite(op)) {
        writes[a] = noted;
        continue;
      }
    }
    byRequest ??= writesByRequest(operations);
    writes[a] = byRequest.get(origin) ?? -1;
  }
  resolved.set(applies, { operations, length: operations.length, writes });
  return writes;
}

/** Each write's request id, to the index in `operations` of the last write issued with it. */
function writesByRequest(operations: readonly Operation[]): Map<string, number> {
  const byRequest = new Map<string, number>();
  for (let i = 0; i < operations.length; i++) {
    const op = operations[i]!;
    if (isWrite(op)) byRequest.set(op.requestId, i);
  }
  return byRequest;
}
