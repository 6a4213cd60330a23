// The version an operation wrote or read, as PROTOCOL.md §3 defines it: a write's ts from its
// PUT_OK/DELETE_OK; a read's ts from GET_OK, or from NULL (a tombstone's ts, or 0 when the server
// had never heard of the key). Refused, pending and abandoned operations have no version. Also the
// history in columns, read off its operations and applies once and shared by every checker.

import type { Key, NodeId } from '../../protocol/core.ts';
import type { Apply, Operation } from '../kernel/history.ts';
import type { CheckInput } from './types.ts';

/** What the columns are read from: a check's input, or any history's lists. */
export type HistoryLists = Pick<CheckInput, 'operations' | 'applies'>;

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
 * A write the lock store denied its lock: its client sends the PUT or DELETE only once the lock is
 * granted, and a denial ends the acquire (PROTOCOL.md §2: "if denied, report"), so it never took
 * effect and constrains no register. Every other refused write may have (an earlier attempt's
 * copy can land before a resend is refused).
 */
function deniedLock(op: Operation): boolean {
  return op.op !== 'get' && op.reply === 'LOCK_DENIED';
}

/** `Columns.flags` bits: a PUT or DELETE; answered with a version; neither answered nor abandoned. */
export const WRITE = 1;
export const VERSIONED = 2;
export const PENDING = 4;
/**
 * The operation constrains a register (every write, the answered GETs: PROTOCOL.md §3's
 * linearizability), and a write acknowledged (answered PUT_OK or DELETE_OK).
 */
export const REGISTER = 8;
export const ACKNOWLEDGED = 16;

/**
 * The history's operations as columns, index i for its i-th operation: what every checker reads
 * of each, without walking a million objects once per checker (on the bench's 1M-operation
 * history one walk costs about as much as a checker's whole work on the columns).
 *
 * Sessions and (session, key) groups are numbered in the order of their first operation; a
 * client that crashed and restarted starts a new session. `bySession` lists the history's
 * indices session by session, each session's in history order: session s's are
 * `bySession[sessionStart[s], sessionStart[s + 1])`. `order` lists the indices in issue order, or
 * is null when the history is in that order already (the usual case); walking it visits each
 * group in session order (the order its client issued them).
 */
export interface Columns {
  readonly flags: Uint8Array;
  /** versionOf, where VERSIONED (else 0). */
  readonly version: Float64Array;
  readonly invokedSeq: Float64Array;
  /** completedSeq, a null one as 0 (as a comparison reads it). */
  readonly completedSeq: Float64Array;
  readonly keyOf: Int32Array;
  readonly keyCount: number;
  readonly sessionOf: Int32Array;
  readonly sessionCount: number;
  readonly bySession: Int32Array;
  readonly sessionStart: Int32Array;
  readonly groupOf: Int32Array;
  readonly groupCount: number;
  readonly order: Int32Array | null;
  /** How many operations are PENDING. */
  readonly pending: number;
  /** Each key's name, by its number in keyOf. */
  readonly keyNames: readonly Key[];
  /** The operations' ids. */
  readonly id: Float64Array;
  /**
   * The value a REGISTER operation wrote or read (null: a DELETE, a NULL read), else null: what
   * a register holds, read here so that linearizability reads no operation again.
   */
  readonly registerValue: readonly (string | null)[];
}

/**
 * The replicas' writes (the history's applies) as columns, index a for its a-th apply: the
 * replica (numbered in order of first apply), the key (numbered as in Columns, keys only applies
 * name after those), the ts stored and `write`, the index in the operations of the write stored
 * (see appliedWrites) or -1.
 */
export interface ApplyColumns {
  readonly nodeOf: Int32Array;
  readonly nodeCount: number;
  readonly keyOf: Int32Array;
  /** Keys of the operations and of the applies. */
  readonly keyCount: number;
  readonly ts: Float64Array;
  readonly write: Int32Array;
}

/**
 * The pairs of operations a checker has reported on each replica: a replica that stores a write
 * again and again (retransmitted for the rest of a run, say) breaks a guarantee once for a pair,
 * as a violation is its smallest witness (PROTOCOL.md §3), not once a store.
 */
export class ReportedPairs {
  private readonly seen: Set<number>[] = [];

  constructor(private readonly operations: number) {}

  /** True the first time operations `a` and `b` (indices) are reported on `node`. */
  first(node: number, a: number, b: number): boolean {
    let pairs = this.seen[node];
    if (pairs === undefined) {
      pairs = new Set();
      this.seen[node] = pairs;
    }
    const pair = a * this.operations + b;
    if (pairs.has(pair)) return false;
    pairs.add(pair);
    return true;
  }
}

/**
 * Where columns live: fresh arrays, or `reused`, arrays kept from one history to the next. Judging
 * a 1M-operation history read ~77 MB of fresh columns; V8 then ran a full collection of the
 * history's half-gigabyte heap in each check (about 0.3 s of CPU more). Reused, a check of a
 * history no longer than the last allocates nothing in proportion to it. An array is made anew
 * when too short, or when far too long for the history at hand (so that one long history judged
 * does not keep its columns held for good).
 */
export interface Room {
  ints(slot: string, length: number): Int32Array;
  floats(slot: string, length: number): Float64Array;
  bytes(slot: string, length: number): Uint8Array;
  /**
   * A list of at least `length` places for values (strings or null), which may hold others' from
   * place `length` on, and before it until written. Kept ones hold a history's values until
   * `emptyValues()`: whoever takes one there empties them once its check is done.
   */
  values(slot: string, length: number): (string | null)[];
}

/** The reused room: its lists of values are emptied (filled with null) by `emptyValues()`. */
export interface KeptRoom extends Room {
  emptyValues(): void;
}

const fresh: Room = {
  ints: (_, length) => new Int32Array(length),
  floats: (_, length) => new Float64Array(length),
  bytes: (_, length) => new Uint8Array(length),
  values: (_, length) => new Array<string | null>(length),
};

/** Entries an array may have beyond four times what is asked before it is made anew. */
const KEPT_ANYWAY = 1 << 16;

/**
 * Arrays reused by slot name, their contents left from their last use (not zeroed), but for the
 * values' lists: those are emptied when the check that filled them is done, so that none keeps a
 * history's strings alive after its check.
 */
function reusedRoom(): KeptRoom {
  const ints = new Map<string, Int32Array>();
  const floats = new Map<string, Float64Array>();
  const bytes = new Map<string, Uint8Array>();
  const lists = new Map<string, (string | null)[]>();
  /** How many places of each list may have been written since it was last emptied. */
  const handed = new Map<string, number>();
  function take<A extends Int32Array | Float64Array | Uint8Array>(
    kept: Map<string, A>,
    make: (length: number) => A,
    slot: string,
    length: number,
  ): A {
    let a = kept.get(slot);
    if (a === undefined || a.length < length || a.length > 4 * length + KEPT_ANYWAY) {
      a = make(length);
      kept.set(slot, a);
    }
    return a.subarray(0, length) as A;
  }
  return {
    ints: (slot, length) => take(ints, (n) => new Int32Array(n), slot, length),
    floats: (slot, length) => take(floats, (n) => new Float64Array(n), slot, length),
    bytes: (slot, length) => take(bytes, (n) => new Uint8Array(n), slot, length),
    values: (slot, length) => {
      let a = lists.get(slot);
      if (a === undefined || a.length < length || a.length > 4 * length + KEPT_ANYWAY) {
        // Made at its full length and filled, so a fast array (see registerValue).
        a = new Array<string | null>(length).fill(null);
        lists.set(slot, a);
      }
      handed.set(slot, Math.max(handed.get(slot) ?? 0, length));
      return a;
    },
    emptyValues: () => {
      for (const [slot, a] of lists) a.fill(null, 0, handed.get(slot) ?? 0);
      handed.clear();
    },
  };
}

/** The room the latest history's columns live in, and the checkers' per-operation scratch. */
export const reused: KeptRoom = reusedRoom();

interface Built {
  /** Which reading of the reused arrays it is: a later one overwrote it. */
  readonly reading: number;
  readonly operations: readonly Operation[];
  readonly applies: readonly Apply[];
  readonly length: number;
  readonly keyIds: Map<Key, number>;
  readonly columns: Columns;
  replicas: ApplyColumns | null;
}

/**
 * Each CheckInput's reading, valid while it is the latest (its arrays are reused by the next) and
 * its history has not grown: the checkers of one runCheckers call share it. Held weakly, so that
 * no history outlives its input. A history is judged once it has stopped changing, so its
 * operations' replies (hence versions) are final by then.
 */
const built = new WeakMap<HistoryLists, Built>();
let readings = 0;

function buildOf(input: HistoryLists): Built {
  const known = built.get(input);
  if (
    known !== undefined &&
    known.reading === readings &&
    known.operations === input.operations &&
    known.length === input.operations.length &&
    known.applies === input.applies &&
    (known.replicas === null || known.replicas.write.length === input.applies.length)
  )
    return known;
  readings++;
  const keyIds = new Map<Key, number>();
  const reading: Built = {
    reading: readings,
    operations: input.operations,
    applies: input.applies,
    length: input.operations.length,
    keyIds,
    columns: readOperations(input.operations, keyIds),
    replicas: null,
  };
  built.set(input, reading);
  return reading;
}

export function columns(input: HistoryLists): Columns {
  return buildOf(input).columns;
}

export function applyColumns(input: HistoryLists): ApplyColumns {
  const b = buildOf(input);
  b.replicas ??= readApplies(input.operations, input.applies, b.keyIds, b.columns.keyOf, reused);
  return b.replicas;
}

/** One walk over the operations, then the session grouping on the columns alone. */
function readOperations(operations: readonly Operation[], keyIds: Map<Key, number>): Columns {
  const n = operations.length;
  const flags = reused.bytes('flags', n);
  const version = reused.floats('version', n);
  const invokedSeq = reused.floats('invokedSeq', n);
  const completedSeq = reused.floats('completedSeq', n);
  const keyOf = reused.ints('keyOf', n);
  const sessionOf = reused.ints('sessionOf', n);
  const id = reused.floats('id', n);
  const sessionIds = new Map<string, number>();
  // Each operation's issue (invokedAt, id), read in this walk: a history out of issue order is
  // sorted on these, not by reading two operations a comparison.
  const issuedAt = reused.floats('issuedAt', n);
  // Made at its full length and filled (a fast array on Node 20, at a million as at 40 million):
  // pushed one an operation, the bench's 1M took about 20 ms more, with its copies to collect.
  const registerValue = new Array<string | null>(n).fill(null);
  let pending = 0;
  let ordered = true;
  let previousAt = 0;
  let previousId = 0;
  for (let i = 0; i < n; i++) {
    const op = operations[i]!;
    const get = op.op === 'get';
    let f = get ? 0 : WRITE;
    const v = versionOf(op);
    if (v !== null) f |= VERSIONED;
    const answered = op.completedSeq !== null;
    if (get ? answered && (op.reply === 'GET_OK' || op.reply === 'NULL') : !deniedLock(op))
      f |= REGISTER;
    if (!get && answered && (op.reply === 'PUT_OK' || op.reply === 'DELETE_OK')) f |= ACKNOWLEDGED;
    registerValue[i] =
      op.op === 'put'
        ? op.value
        : get && op.reply !== 'NULL' && (f & REGISTER) !== 0
          ? op.result
          : null;
    version[i] = v ?? 0;
    if (op.completedAt === null && op.abandonedAt === null) {
      f |= PENDING;
      pending++;
    }
    flags[i] = f;
    invokedSeq[i] = op.invokedSeq;
    completedSeq[i] = op.completedSeq ?? 0;
    keyOf[i] = idOf(keyIds, op.key);
    sessionOf[i] = idOf(sessionIds, op.session);
    issuedAt[i] = op.invokedAt;
    id[i] = op.id;
    if (i > 0 && (previousAt - op.invokedAt || previousId - op.id) > 0) ordered = false;
    previousAt = op.invokedAt;
    previousId = op.id;
  }
  const order = ordered ? null : issueOrder(issuedAt, id, n);
  const sessionCount = sessionIds.size;
  const { members: bySession, start: sessionStart } = groupBy(sessionOf, sessionCount);
  const { groupOf, groupCount } = sessionKeyGroups(keyOf, keyIds.size, bySession, sessionStart);
  return {
    flags,
    version,
    invokedSeq,
    completedSeq,
    keyOf,
    keyCount: keyIds.size,
    sessionOf,
    sessionCount,
    bySession,
    sessionStart,
    groupOf,
    groupCount,
    order,
    pending,
    keyNames: [...keyIds.keys()],
    id,
    registerValue,
  };
}

/** Moves an insertion sort may make per operation before the comparator sort is used instead. */
const SHIFTS_PER_OPERATION = 16;

/**
 * The indices 0…n-1 ordered by (issuedAt, id), ties in index order. A recorded history is out of
 * issue order only here and there (operations are noted as they are invoked, and among those
 * invoked at one instant a higher id may come first: the bench's recorded run has 490 such
 * places in 100,000, none more than two places away), so an insertion sort puts it in order in
 * about one pass, where the comparator sort took 25-45 ms of the recorded run's ~40 ms reading.
 * A history further out of order (more than SHIFTS_PER_OPERATION moves an operation) goes
 * through the comparator sort. Both sorts are stable on the same comparison, so they give the
 * same order. The insertion sort's list is in the reused arrays, as the other columns are: it
 * writes each of its n places, so no place is left from an earlier history.
 */
function issueOrder(issuedAt: Float64Array, id: Float64Array, n: number): Int32Array {
  const order = reused.ints('order', n);
  let budget = SHIFTS_PER_OPERATION * n;
  for (let i = 0; i < n; i++) {
    const at = issuedAt[i]!;
    const own = id[i]!;
    let j = i;
    for (; j > 0; j--) {
      const before = order[j - 1]!;
      if ((issuedAt[before]! - at || id[before]! - own) <= 0) break;
      order[j] = before;
    }
    order[j] = i;
    budget -= i - j;
    if (budget < 0)
      return Int32Array.from(
        Array.from({ length: n }, (_, k) => k).sort(
          (a, b) => issuedAt[a]! - issuedAt[b]! || id[a]! - id[b]!,
        ),
      );
  }
  return order;
}

/** The number a name has in `ids`, numbering a new one next. */
function idOf(ids: Map<string, number>, name: string): number {
  const id = ids.get(name);
  if (id !== undefined) return id;
  ids.set(name, ids.size);
  return ids.size - 1;
}

/**
 * The indices grouped by their class, each class's in order: class c's are
 * `members[start[c], start[c + 1])`. A counting sort: counted, then placed, no list per class.
 */
function groupBy(
  classOf: Int32Array,
  classCount: number,
): { members: Int32Array; start: Int32Array } {
  const start = new Int32Array(classCount + 1);
  for (let i = 0; i < classOf.length; i++) start[classOf[i]! + 1]!++;
  for (let c = 0; c < classCount; c++) start[c + 1]! += start[c]!;
  const next = start.slice(0, classCount);
  const members = reused.ints('members', classOf.length);
  for (let i = 0; i < classOf.length; i++) members[next[classOf[i]!]!++] = i;
  return { members, start };
}

/**
 * Each operation's (session, key) group, numbered in the order of the group's first operation.
 * Walking one session at a time, a key's last group is its group in this session when it was
 * made in this session: two arrays the size of the key count, not a map per session.
 */
function sessionKeyGroups(
  keyOf: Int32Array,
  keyCount: number,
  bySession: Int32Array,
  sessionStart: Int32Array,
): { groupOf: Int32Array; groupCount: number } {
  const groupOf = reused.ints('groupOf', keyOf.length);
  const keyGroup = reused.ints('keyGroup', keyCount);
  const madeIn = reused.ints('madeIn', keyCount).fill(-1);
  let made = 0;
  for (let s = 0; s + 1 < sessionStart.length; s++) {
    for (let k = sessionStart[s]!; k < sessionStart[s + 1]!; k++) {
      const i = bySession[k]!;
      const key = keyOf[i]!;
      if (madeIn[key] !== s) {
        madeIn[key] = s;
        keyGroup[key] = made++;
      }
      groupOf[i] = keyGroup[key]!;
    }
  }
  // Renumbered in the order of each group's first operation in the history.
  const renumbered = reused.ints('renumbered', made).fill(-1);
  let count = 0;
  for (let i = 0; i < groupOf.length; i++) {
    const g = groupOf[i]!;
    if (renumbered[g]! < 0) renumbered[g] = count++;
    groupOf[i] = renumbered[g]!;
  }
  return { groupOf, groupCount: count };
}

/**
 * For each replica write, the index in `operations` of the write it stores, or -1: the one the
 * history noted when it recorded the write (the last issued by then with its origin, a request
 * id), else found by its origin (when a restarted client reused one, the last write issued with
 * it).
 */
export function appliedWrites(
  operations: readonly Operation[],
  applies: readonly Apply[],
): Int32Array {
  return readApplies(operations, applies, new Map(), null, fresh).write;
}

/**
 * `opKeyOf`: the operations' key numbers in `keyIds`, when they are numbered already; `room`: where
 * the columns are made.
 */
function readApplies(
  operations: readonly Operation[],
  applies: readonly Apply[],
  keyIds: Map<Key, number>,
  opKeyOf: Int32Array | null,
  room: Room,
): ApplyColumns {
  const m = applies.length;
  const nodeOf = room.ints('applyNode', m);
  const keyOf = room.ints('applyKey', m);
  const ts = room.floats('applyTs', m);
  const write = room.ints('applyWrite', m);
  const nodeIds = new Map<NodeId, number>();
  // Built only for applies the history did not resolve (or resolved against other operations).
  let byRequest: Map<string, number> | null = null;
  for (let a = 0; a < m; a++) {
    const apply = applies[a]!;
    nodeOf[a] = idOf(nodeIds, apply.node);
    ts[a] = apply.ts;
    const origin = apply.origin;
    const noted = apply.opIndex;
    let w = -1;
    if (origin !== null) {
      if (noted !== undefined && noted >= 0 && resolves(operations[noted], origin)) w = noted;
      else {
        byRequest ??= writesByRequest(operations);
        w = byRequest.get(origin) ?? -1;
      }
    }
    write[a] = w;
    // Most often the key of the write it stores, numbered already: no look-up.
    keyOf[a] =
      opKeyOf !== null && w >= 0 && operations[w]!.key === apply.key
        ? opKeyOf[w]!
        : idOf(keyIds, apply.key);
  }
  return { nodeOf, nodeCount: nodeIds.size, keyOf, keyCount: keyIds.size, ts, write };
}

function resolves(op: Operation | undefined, origin: string): boolean {
  return op !== undefined && op.requestId === origin && isWrite(op);
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
