// Deciding whether one key's operations are linearizable for a register (PROTOCOL.md §3): PUT sets
// the value, DELETE makes it absent, GET returns the current value or NULL. Real time is the order
// of events (sequence numbers), never milliseconds. A write without an answer may take effect at
// any point after its invocation, or never; the caller leaves out refused and unanswered reads.
//
// Two deciders: `fastPath` tries the timestamp order as the linearization (linear after a sort,
// and it proves "linearizable" whenever it succeeds); `search` is complete: Wing & Gong's search
// with Lowe's memoisation of (operations linearized, register state), as Porcupine does, plus one
// pruning a register allows: a read that is legal now is taken at once, never branched on; and
// `decide` hands what that search leaves open to wgl.ts's walk. A work bound turns an endless
// search into an honest "unknown". Each way to "linearizable" can also hand back the order that
// shows it (an `order` to fill), for certificate.ts to check.

import { sortedIndices } from './sorted.ts';
import type { Room } from './versions.ts';
import { type WglOp, wglLinearizable } from './wgl.ts';

/** One operation on the key, as the register sees it. */
export interface RegisterOp {
  /** The history's operation id, for reporting. */
  readonly id: number;
  readonly write: boolean;
  /** The value written or read; null is "absent" (a DELETE, a NULL read). */
  readonly value: string | null;
  /**
   * Event sequence numbers: invocation, and completion (Infinity: a write not acknowledged, which
   * may take effect after its invocation, or never).
   */
  readonly inv: number;
  readonly ret: number;
  /** The version the protocol gave it (PUT_OK/DELETE_OK, GET_OK/NULL), when known. */
  readonly ts: number | null;
  /**
   * A write answered with a refusal (not PUT_OK/DELETE_OK): like one never answered it may never
   * take effect, but if it does, it does by its answer, this place (PROTOCOL.md §3 gives the
   * "any point after its invocation" to writes never answered only).
   */
  readonly bound?: number;
}

/** Whether some write of `ops` was refused (has a `bound`): only the exact search reads bounds. */
export function hasBound(ops: readonly RegisterOp[]): boolean {
  for (const op of ops) if (op.bound !== undefined) return true;
  return false;
}

/**
 * How much work a decision may spend, shared by the calls of one check: a step per move tried,
 * and 8 plus a step per 32 operations for every state the memo keeps (memory stays bounded too).
 */
export interface Budget {
  steps: number;
}

/**
 * How the fast path reads an operation, so that it runs on the history's own records (a million
 * operations copied into RegisterOps would cost more than the check).
 */
export interface OpView<T> {
  write(op: T): boolean;
  value(op: T): string | null;
  inv(op: T): number;
  ret(op: T): number;
  ts(op: T): number | null;
  id(op: T): number;
  /** A refused write's answer (see RegisterOp.bound); undefined for any other operation. */
  bound?(op: T): number | undefined;
}

export const REGISTER_VIEW: OpView<RegisterOp> = {
  write: (op) => op.write,
  value: (op) => op.value,
  inv: (op) => op.inv,
  ret: (op) => op.ret,
  ts: (op) => op.ts,
  id: (op) => op.id,
  bound: (op) => op.bound,
};

/**
 * The timestamp order as a linearization: versions by ts, each write followed by the reads that
 * returned its version (in invocation order), reads of ts 0 first. True when that order respects
 * real time and is legal for a register; false means only "not this order". `versionWriter` finds
 * the never-answered write a read's ts belongs to (from the replicas' applies), if any. When
 * true, `order` (if given) receives that order's operation ids.
 */
export function fastPath<T>(
  ops: ArrayLike<T> & Iterable<T>,
  view: OpView<T>,
  versionWriter: (ts: number) => T | undefined = () => undefined,
  order?: number[],
): boolean {
  const key = stamped(ops, view);
  return key !== null && timestampOrder(key, view, versionWriter, order);
}

/** A key's acknowledged writes and its reads, as columns: what the timestamp deciders read. */
export interface Stamped {
  readonly writes: Columns;
  readonly reads: Columns;
}

/**
 * The key's reads and acknowledged writes as columns, in the key's order; null when one of them
 * carries no ts (then neither the timestamp order nor the timestamps' mapping exists). `room`:
 * where the columns are made (see Columns), valid until the next key's are read there.
 */
export function stamped<T>(
  ops: ArrayLike<T> & Iterable<T>,
  view: OpView<T>,
  room?: Room,
): Stamped | null {
  let writeCount = 0;
  for (const op of ops) if (view.write(op)) writeCount++;
  const writes = new Columns(writeCount, room, 'stamped.writes');
  const reads = new Columns(ops.length - writeCount, room, 'stamped.reads');
  for (const op of ops) {
    const ts = view.ts(op);
    if (!view.write(op)) {
      if (ts === null) return null;
      reads.push(ts, view.inv(op), view.ret(op), view.value(op), view.id(op));
    } else if (view.ret(op) !== Number.POSITIVE_INFINITY) {
      if (ts === null) return null;
      writes.push(ts, view.inv(op), view.ret(op), view.value(op), view.id(op));
    }
  }
  return { writes, reads };
}

/** `fastPath` on the key's columns (see there), which it leaves as they were. */
export function timestampOrder<T>(
  { writes, reads }: Stamped,
  view: OpView<T>,
  versionWriter: (ts: number) => T | undefined,
  order?: number[],
): boolean {
  const placed = timestampWalk(writes, reads, order);
  if (placed === true || placed === false) return placed;
  // Reads of versions no answered write has: a never-answered write's, taking effect once each.
  const taken = new Set<number>();
  const more = writes.copy();
  for (const ts of placed) {
    const w = versionWriter(ts);
    if (w === undefined || view.ret(w) !== Number.POSITIVE_INFINITY || taken.has(view.id(w)))
      return false;
    taken.add(view.id(w));
    // Read, so it took effect: by its answer when it was refused.
    more.push(ts, view.inv(w), view.bound?.(w) ?? view.ret(w), view.value(w), view.id(w));
  }
  return timestampWalk(more, reads, order) === true;
}

/**
 * Operations as columns (ts, invocation, completion, value): what the timestamp deciders read.
 * Numbers in typed arrays sized for the key up front (they grow only for the never-answered
 * writes the replicas name), so that a million operations cost no array growth and no boxed
 * numbers. Made in a `room` when given (the checker's reused arrays, under slots named from
 * `slot`): made fresh for every key, the 1M-operation history's took about 0.1 s of CPU in each
 * check, nearly all of it touching fresh memory.
 */
export class Columns {
  ts: Float64Array;
  inv: Float64Array;
  ret: Float64Array;
  value: (string | null)[];
  /** The operations' ids, for the order the walk finds. */
  id: Float64Array;
  length = 0;

  constructor(capacity: number, room?: Room, slot = '') {
    const n = Math.max(4, capacity);
    const floats = (name: string) =>
      room === undefined ? new Float64Array(n) : room.floats(`${slot}.${name}`, n);
    this.ts = floats('ts');
    this.inv = floats('inv');
    this.ret = floats('ret');
    // In the room, a list kept from key to key (and emptied once the check is done): each place
    // below `length` is written by `push` before any walk reads it, and none reads beyond.
    this.value = room === undefined ? new Array<string | null>(n) : room.values(`${slot}.value`, n);
    this.id = floats('id');
  }

  push(ts: number, inv: number, ret: number, value: string | null, id: number): void {
    this.sorted = null;
    const i = this.length++;
    if (i === this.ts.length) this.grow();
    this.ts[i] = ts;
    this.inv[i] = inv;
    this.ret[i] = ret;
    this.value[i] = value;
    this.id[i] = id;
  }

  /** `order()`, once made (until the next push). */
  private sorted: ArrayLike<number> | null = null;

  /** The same operations, in new columns. */
  copy(): Columns {
    const copy = new Columns(this.length);
    for (let i = 0; i < this.length; i++)
      copy.push(this.ts[i]!, this.inv[i]!, this.ret[i]!, this.value[i]!, this.id[i]!);
    return copy;
  }

  /** Indices by (ts, invocation). */
  order(): ArrayLike<number> {
    this.sorted ??= this.sortedOrder();
    return this.sorted;
  }

  /** By ts alone when invocations come in order (the usual case). */
  private sortedOrder(): ArrayLike<number> {
    const { ts, inv } = this;
    let invocationOrder = true;
    for (let i = 1; i < this.length && invocationOrder; i++)
      invocationOrder = inv[i - 1]! <= inv[i]!;
    if (invocationOrder) return sortedIndices(ts, this.length);
    const compare = (a: number, b: number) => ts[a]! - ts[b]! || inv[a]! - inv[b]!;
    return Array.from({ length: this.length }, (_, j) => j).sort(compare);
  }

  private grow(): void {
    const had = this.ts.length;
    const n = had * 2;
    const bigger = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    this.ts = bigger(this.ts);
    this.inv = bigger(this.inv);
    this.ret = bigger(this.ret);
    // A list of its own (the room's may be another key's later): the places pushed, copied.
    const value = new Array<string | null>(n);
    for (let i = 0; i < had; i++) value[i] = this.value[i]!;
    this.value = value;
    this.id = bigger(this.id);
  }
}

/**
 * Walks the writes in ts order, each followed by the reads of its version: true when the order
 * is a linearization (appended to `order`, if given), false when it is not, or the versions read
 * that no write has.
 */
function timestampWalk(
  writes: Columns,
  reads: Columns,
  order: number[] | undefined,
): boolean | number[] {
  const wOrder = writes.order();
  const rOrder = reads.order();
  const { ts: wTs, inv: wInv, ret: wRet, value: wValue } = writes;
  const { ts: rTs, inv: rInv, ret: rRet, value: rValue } = reads;
  const missing: number[] = [];
  // Respects real time: nothing placed later finished before something placed earlier started.
  // (Kept in this function's own variable, checked where each is placed: in a closure's, it
  // was read and written through memory at every step.)
  let maxInv = -1;
  let r = 0;
  for (; r < rOrder.length; r++) {
    const x = rOrder[r]!;
    if (rTs[x] !== 0) break;
    if (rValue[x] !== null || rRet[x]! <= maxInv) return false;
    if (rInv[x]! > maxInv) maxInv = rInv[x]!;
  }
  let previous = Number.NaN;
  for (let j = 0; j < wOrder.length; j++) {
    const w = wOrder[j]!;
    const ts = wTs[w]!;
    if (ts === previous) return false;
    previous = ts;
    for (; r < rOrder.length && rTs[rOrder[r]!]! < ts; r++) {
      const t = rTs[rOrder[r]!]!;
      if (missing[missing.length - 1] !== t) missing.push(t);
    }
    if (wRet[w]! <= maxInv) return false;
    if (wInv[w]! > maxInv) maxInv = wInv[w]!;
    const value = wValue[w];
    for (; r < rOrder.length; r++) {
      const x = rOrder[r]!;
      if (rTs[x] !== ts) break;
      if (rValue[x] !== value || rRet[x]! <= maxInv) return false;
      if (rInv[x]! > maxInv) maxInv = rInv[x]!;
    }
  }
  for (; r < rOrder.length; r++) {
    const t = rTs[rOrder[r]!]!;
    if (missing[missing.length - 1] !== t) missing.push(t);
  }
  if (missing.length > 0) return missing;
  if (order !== undefined) {
    // The same walk's order: the reads of ts 0, then each write and the reads of its version.
    // Every one of them, so the list is made its full length at once and filled: pushed one at a
    // time, the 1M-operation history's orders took about 80 ms more of CPU, most of it the fresh
    // memory of each longer copy.
    let p = order.length;
    order.length = p + rOrder.length + wOrder.length;
    let k = 0;
    for (; k < rOrder.length && rTs[rOrder[k]!] === 0; k++) order[p++] = reads.id[rOrder[k]!]!;
    for (let j = 0; j < wOrder.length; j++) {
      const w = wOrder[j]!;
      order[p++] = writes.id[w]!;
      for (; k < rOrder.length && rTs[rOrder[k]!] === wTs[w]; k++)
        order[p++] = reads.id[rOrder[k]!]!;
    }
    order.length = p;
  }
  return true;
}

/**
 * The exact decision when each read can have come from one write only: every PUT of the key
 * wrote a different value, and no NULL read has a DELETE to choose besides the initial absence.
 * Then (Gibbons & Korach, "Testing shared memories", 1997) each write and the reads of its value
 * form a cluster whose zone runs from its earliest completion to its latest invocation; the
 * history is linearizable iff no read finished before its write started, no two forward zones
 * (earliest completion before latest invocation) overlap, and no backward zone lies inside a
 * forward one. O(n log n). Undefined when values repeat: the search decides those.
 */
export function zones(ops: readonly RegisterOp[], order?: RegisterOp[]): boolean | undefined {
  let nullReads = false;
  let deletes = false;
  for (const op of ops) {
    if (op.value !== null) continue;
    if (op.write) deletes = true;
    else nullReads = true;
  }
  // A NULL read that a DELETE may have answered: asked first, before a cluster is built (a key
  // with DELETEs and NULL reads is asked this three times while its witness is found).
  if (nullReads && deletes) return undefined;
  const clusters = new Map<string | null, Cluster>();
  for (const op of ops) {
    if (!op.write) continue;
    const key = op.value === null ? `\u0000delete ${op.id}` : op.value;
    if (clusters.has(key)) return undefined;
    clusters.set(key, cluster(op));
  }
  // The initial absence: a write before every event.
  if (nullReads) clusters.set(null, cluster(null));
  for (const op of ops) {
    if (!op.write && !join(clusters.get(op.value), op)) return false;
  }
  return agreeing(clusters.values(), order);
}

/**
 * A proof of "linearizable" from the protocol's unique timestamps: each read joined to the write
 * whose ts it returned (a NULL of ts 0 to the initial absence), the zones decide whether an order
 * exists in which every read sees that very write. True: such an order exists, and it is legal
 * for the register; undefined: not this mapping (another might work), or no mapping at all.
 */
export function zonesByTimestamp(
  ops: readonly RegisterOp[],
  order?: RegisterOp[],
): true | undefined {
  const key = stamped(ops, REGISTER_VIEW);
  const ids = key === null ? undefined : timestampZones(key);
  if (ids === undefined) return undefined;
  if (order !== undefined) {
    const byId = new Map(ops.map((o) => [o.id, o] as const));
    for (const id of ids) order.push(byId.get(id)!);
  }
  return true;
}

/**
 * `zonesByTimestamp` on the key's columns: the ids of an order in which each read sees the write
 * of its ts, or undefined. Clusters are the acknowledged writes in the key's order, then the
 * initial absence (version 0's; a write stamped 0 would be lost under it); the writes and the
 * reads, each sorted by ts (the sorts the timestamp order made), are merged to join each read to
 * its write.
 */
export function timestampZones({ writes, reads }: Stamped): number[] | undefined {
  const wOrder = writes.order();
  const rOrder = reads.order();
  const initial = writes.length;
  for (let k = 0; k < initial; k++) {
    const ts = writes.ts[wOrder[k]!]!;
    if (ts === 0 || (k > 0 && ts === writes.ts[wOrder[k - 1]!])) return undefined;
  }
  const f = new Float64Array(initial + 1);
  const s = new Float64Array(initial + 1);
  for (let c = 0; c < initial; c++) {
    f[c] = writes.ret[c]!;
    s[c] = writes.inv[c]!;
  }
  f[initial] = -1;
  s[initial] = -1;
  // Each cluster's reads: a run of the reads by ts, in invocation order.
  const runStart = new Int32Array(initial + 1).fill(-1);
  const runEnd = new Int32Array(initial + 1);
  let j = 0;
  for (let k = 0; k < rOrder.length; k++) {
    const x = rOrder[k]!;
    const ts = reads.ts[x]!;
    let c = initial;
    if (ts !== 0) {
      while (j < initial && writes.ts[wOrder[j]!]! < ts) j++;
      if (j === initial || writes.ts[wOrder[j]!] !== ts) return undefined;
      c = wOrder[j]!;
    }
    // The read returned what the write wrote, and did not finish before the write began.
    const ret = reads.ret[x]!;
    if (
      c === initial
        ? reads.value[x] !== null
        : reads.value[x] !== writes.value[c] || ret < writes.inv[c]!
    )
      return undefined;
    if (ret < f[c]!) f[c] = ret;
    if (reads.inv[x]! > s[c]!) s[c] = reads.inv[x]!;
    if (runStart[c] === -1) runStart[c] = k;
    runEnd[c] = k + 1;
  }
  if (!zonesAgree(f, s)) return undefined;
  // The order the zones stand for, each cluster whole.
  const ids: number[] = [];
  for (const c of zoneOrder(f, s)) {
    if (c !== initial) ids.push(writes.id[c]!);
    if (runStart[c] !== -1)
      for (let k = runStart[c]!; k < runEnd[c]!; k++) ids.push(reads.id[rOrder[k]!]!);
  }
  return ids;
}

/**
 * The exact decision when every PUT wrote its own value but a NULL read may have come from more
 * than one DELETE. Each DELETE writes a tombstone of its own, and the initial absence is one
 * more: the key is linearizable iff some choice of tombstone for each NULL read makes the zones
 * agree (each choice is the zones' case above). Choices are tried depth first, the NULL reads in
 * invocation order, the tombstone whose ts the read returned first; a choice under which the
 * zones already disagree is not extended, since more reads only add constraints. True or false;
 * undefined when PUT values repeat; null when the budget ran out (a step per zones check and
 * cluster). When true, `order` (if given) receives a linearization.
 */
export function zonesWithNulls(
  ops: readonly RegisterOp[],
  budget: Budget,
  order?: RegisterOp[],
): boolean | undefined | null {
  const puts = new Map<string, Cluster>();
  const tombstones: (Cluster & { readonly ts: number | null })[] = [{ ...cluster(null), ts: 0 }];
  for (const op of ops) {
    if (!op.write) continue;
    if (op.value === null) tombstones.push({ ...cluster(op), ts: op.ts });
    else if (puts.has(op.value)) return undefined;
    else puts.set(op.value, cluster(op));
  }
  const nullReads: RegisterOp[] = [];
  for (const op of ops) {
    if (op.write) continue;
    if (op.value === null) nullReads.push(op);
    else if (!join(puts.get(op.value), op)) return false;
  }
  nullReads.sort((a, b) => a.inv - b.inv);
  const clusters: Cluster[] = [...puts.values(), ...tombstones];
  const agree = (): boolean | null => {
    budget.steps -= 1 + clusters.length;
    return budget.steps < 0 ? null : clustersAgree(clusters);
  };
  const place = (i: number): boolean | null => {
    if (i === nullReads.length) {
      const ok = agree();
      if (ok === true && order !== undefined) linearize(clusters, order);
      return ok;
    }
    const read = nullReads[i]!;
    // The tombstone the protocol says it read first: most often the one that works.
    const choices = [...tombstones].sort(
      (a, b) => Number(b.ts === read.ts) - Number(a.ts === read.ts),
    );
    for (const t of choices) {
      if (read.ret < t.writeInv) continue;
      const { f, s } = t;
      join(t, read);
      const ok = agree();
      const found = ok === true ? place(i + 1) : ok;
      t.f = f;
      t.s = s;
      t.reads.pop();
      if (found !== false) return found;
    }
    return false;
  };
  return place(0);
}

/** A write and the reads of its value: from its earliest completion to its latest invocation. */
interface Cluster {
  f: number;
  s: number;
  readonly writeInv: number;
  /** The write (null: the initial absence, before every event) and the reads joined to it. */
  readonly write: RegisterOp | null;
  readonly reads: RegisterOp[];
}

/** A write's cluster before any read joins it; null: the initial absence. */
function cluster(write: RegisterOp | null): Cluster {
  return write === null
    ? { f: -1, s: -1, writeInv: -1, write, reads: [] }
    : { f: write.ret, s: write.inv, writeInv: write.inv, write, reads: [] };
}

/** Adds a read to its write's cluster; false when it has none, or finished before it began. */
function join(c: Cluster | undefined, read: RegisterOp): boolean {
  if (!widen(c, read)) return false;
  c!.reads.push(read);
  return true;
}

/** Widens a cluster's zone by a read of its write, as `join` does, without listing the read. */
function widen(c: Cluster | undefined, read: RegisterOp): boolean {
  if (c === undefined || read.ret < c.writeInv) return false;
  if (read.ret < c.f) c.f = read.ret;
  if (read.inv > c.s) c.s = read.inv;
  return true;
}

/** Whether the zones agree; when they do, `order` (if given) receives a linearization. */
function agreeing(clusters: Iterable<Cluster>, order: RegisterOp[] | undefined): boolean {
  const all = [...clusters];
  if (!clustersAgree(all)) return false;
  if (order !== undefined) linearize(all, order);
  return true;
}

/**
 * The order the agreeing zones stand for, appended to `order`: each cluster whole (its write,
 * then its reads by invocation), the clusters by the start of their zone, a backward zone before
 * a forward one starting at the same place; a never-answered write nobody read is left out.
 * Cluster A must come before B exactly when A's earliest completion precedes B's latest
 * invocation; zones that agree never ask that both ways, and then this sort never puts B first.
 */
function linearize(clusters: readonly Cluster[], order: RegisterOp[]): void {
  const placed = zoneOrder(
    clusters.map((c) => c.f),
    clusters.map((c) => c.s),
  );
  for (const k of placed) {
    const c = clusters[k]!;
    if (c.write !== null) order.push(c.write);
    const reads = [...c.reads].sort((a, b) => a.inv - b.inv);
    for (const r of reads) order.push(r);
  }
}

/**
 * The clusters (by index, from their zones' `f` and `s`) in the order agreeing zones stand for:
 * by the start of their zone, a backward zone before a forward one starting at the same place,
 * else as given; a never-answered write nobody read (f = Infinity) is left out.
 */
function zoneOrder(f: ArrayLike<number>, s: ArrayLike<number>): number[] {
  return Array.from({ length: f.length }, (_, c) => c)
    .filter((c) => f[c] !== Number.POSITIVE_INFINITY)
    .sort(
      (a, b) =>
        Math.min(f[a]!, s[a]!) - Math.min(f[b]!, s[b]!) ||
        (f[a]! < s[a]! ? 1 : 0) - (f[b]! < s[b]! ? 1 : 0),
    );
}

/** Whether the clusters' zones agree (see `zonesAgree`). */
function clustersAgree(clusters: readonly Cluster[]): boolean {
  const f: number[] = [];
  const s: number[] = [];
  for (const c of clusters) {
    f.push(c.f);
    s.push(c.s);
  }
  return zonesAgree(f, s);
}

/**
 * Zones from each cluster's earliest completion `f` and latest invocation `s`: no two forward
 * zones overlap, and no backward zone lies inside a forward one.
 */
function zonesAgree(f: ArrayLike<number>, s: ArrayLike<number>): boolean {
  // The forward zones, by their start.
  const starts: number[] = [];
  const ends: number[] = [];
  for (let c = 0; c < f.length; c++) {
    if (f[c]! < s[c]!) {
      starts.push(f[c]!);
      ends.push(s[c]!);
    }
  }
  const byStart = sortedIndices(starts);
  for (let i = 1; i < starts.length; i++)
    if (starts[byStart[i]!]! < ends[byStart[i - 1]!]!) return false;
  for (let c = 0; c < f.length; c++) {
    // A never-answered write nobody read is the "never" case: it constrains nothing.
    if (f[c]! < s[c]! || f[c] === Number.POSITIVE_INFINITY) continue;
    // The forward zone starting last before this backward one: the only one that could hold it.
    let lo = 0;
    let hi = starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[byStart[mid]!]! < s[c]!) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found !== -1 && f[c]! < ends[byStart[found]!]!) return false;
  }
  return true;
}

/** Steps one call of `decide` lets the choice of tombstones take before the search has a go. */
const TOMBSTONE_STEPS = 20_000;
/** Steps the search may take in one call of `decide` before the walk has the rest. */
const SEARCH_FIRST_STEPS = 200_000;
/** Steps the walk may take in one call of `decide` before the search has a go. */
const WALK_FIRST_STEPS = 5_000;

/** `decide`'s stage run on at most `most` of the budget's steps; the budget pays what it spent. */
function within<T>(budget: Budget, most: number, stage: (part: Budget) => T): T {
  const cap = Math.max(0, Math.min(most, budget.steps));
  const part = { steps: cap };
  const result = stage(part);
  budget.steps -= cap - part.steps;
  return result;
}

/**
 * Zones when they apply; the zones over the choices of tombstones, briefly; Wing and Gong's walk
 * (wgl.ts), briefly, which decides in milliseconds some sets the search cannot (dozens of writes
 * never answered); the search, briefly; then the walk with the rest.
 */
export function decide(ops: readonly RegisterOp[], budget: Budget): boolean | null {
  // A refused write's bound is the segment search's alone to read: the others take the write as
  // free to land any time after its invocation, so their "no" holds, but not their "yes".
  if (hasBound(ops)) {
    if (zones(ops) === false) return false;
    // The walk takes a refused write as never answered: a relaxation, so its "no" holds.
    const walked = within(budget, WALK_FIRST_STEPS, (part) =>
      wglLinearizable(ops.map(wglOp), part),
    );
    return walked === false ? false : search(ops, budget);
  }
  const exact = zones(ops);
  if (exact !== undefined) return exact;
  const chosen = within(budget, TOMBSTONE_STEPS, (part) => zonesWithNulls(ops, part));
  if (chosen !== undefined && chosen !== null) return chosen;
  // The walk briefly first: where it is quick (writes never answered) the search is slow, and a
  // shrinking witness calls this hundreds of times on one budget.
  const walk = ops.map(wglOp);
  const walked = within(budget, WALK_FIRST_STEPS, (part) => wglLinearizable(walk, part));
  if (walked !== null) return walked;
  const searched = within(budget, SEARCH_FIRST_STEPS, (part) => search(ops, part));
  return searched ?? wglLinearizable(walk, budget);
}

/** A register record as the Wing–Gong walk reads it. */
export function wglOp(op: RegisterOp): WglOp {
  return {
    kind: op.write ? 'write' : 'read',
    value: op.value,
    invokedSeq: op.inv,
    completedSeq: op.ret === Number.POSITIVE_INFINITY ? null : op.ret,
  };
}

/**
 * A small set of operations that cannot be ordered and proves the whole key cannot either, or
 * null. A subset that holds, for each of its reads, every write of the value read (every DELETE
 * for a NULL) keeps any linearization of the whole, restricted to it, legal: so if the subset has
 * none, the whole has none. Tried in growing shapes: a read with its writes; with one write that
 * finished before it started; two reads one after the other; three, the last reading what the
 * first read. Concurrent keys whose search would wander through every order of dozens of writes
 * end here when the reason is local.
 */
export function localCore(ops: readonly RegisterOp[], budget: Budget): RegisterOp[] | null {
  const sources = sourcesOf(ops);
  sources.coverAll();
  const withSources = (...reads: RegisterOp[]) => [
    ...new Set([...reads, ...reads.flatMap((r) => sources.of(r))]),
  ];
  const byRet = ops.filter((o) => !o.write).sort((a, b) => a.ret - b.ret);
  const byInv = [...byRet].sort((a, b) => a.inv - b.inv);
  const writesByRet = ops.filter((o) => o.write).sort((a, b) => a.ret - b.ret);
  // The operations just before and just after a moment: where a local reason lies.
  const endedBefore = <T extends RegisterOp>(sorted: readonly T[], t: number) =>
    sorted.slice(
      Math.max(0, firstAtLeast(sorted, (o) => o.ret, t) - NEAR),
      firstAtLeast(sorted, (o) => o.ret, t),
    );
  const startedAfter = (t: number) => {
    const from = firstAtLeast(byInv, (o) => o.inv, t);
    return byInv.slice(from, from + NEAR);
  };
  const tried = new Set<string>();
  const fails = (set: RegisterOp[]): boolean => {
    const key = set
      .map((o) => o.id)
      .sort((a, b) => a - b)
      .join(',');
    if (tried.has(key)) return false;
    tried.add(key);
    return search(set, budget) === false;
  };
  for (const r of byRet) {
    if (budget.steps < 0) return null;
    const core = withSources(r);
    if (fails(core)) return core;
    for (const w of endedBefore(writesByRet, r.inv)) {
      if (w.value !== r.value && fails([...core, w])) return [...core, w];
    }
  }
  for (const r2 of byRet) {
    for (const r1 of endedBefore(byRet, r2.inv)) {
      if (budget.steps < 0) return null;
      if (r1.value === r2.value) continue;
      const core = withSources(r1, r2);
      if (fails(core)) return core;
      // A value, another, then the first again, one read after the other.
      for (const r3 of startedAfter(r2.ret + 1)) {
        if (r3.value !== r1.value) continue;
        const again = withSources(r1, r2, r3);
        if (fails(again)) return again;
      }
    }
  }
  return null;
}

/** How many operations before or after a moment the local shapes look at. */
const NEAR = 12;

/** The first index whose key is at least `t` in a list sorted by that key. */
function firstAtLeast<T>(sorted: readonly T[], key: (x: T) => number, t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(sorted[mid]!) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Deterministic 26-bit numbers for the memo's hashes (xorshift from a fixed start). */
function zobrist(n: number, seed: number): Int32Array {
  const out = new Int32Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0x3ff_ffff;
  }
  return out;
}

/**
 * The complete search. True: linearizable; false: no order works; null: the budget ran out.
 * It works segment by segment: the history splits wherever no operation is under way, and each
 * segment is searched from every register state the previous one can end in (P-compositionality
 * in time, so that a long key costs about its length, not its square).
 */
export function search(
  ops: readonly RegisterOp[],
  budget: Budget,
  order?: RegisterOp[],
): boolean | null {
  const found = searchSegments(ops, budget);
  if (found.result === true && order !== undefined) {
    // Back from the state the last segment ended in, each segment's path from a state the one
    // before it can end in.
    const paths: (readonly RegisterOp[])[] = [];
    let state = found.ends[found.ends.length - 1]?.keys().next().value ?? null;
    for (let k = found.ends.length - 1; k >= 0; k--) {
      const way = found.ends[k]!.get(state)!;
      paths.push(way.path);
      state = way.from;
    }
    for (let k = paths.length - 1; k >= 0; k--) for (const op of paths[k]!) order.push(op);
  }
  return found.result;
}

/** What the search found, segment by segment. */
interface SegmentSearch {
  readonly result: boolean | null;
  /** The quiet segments the search reached, in order (all of them unless it failed or ran out). */
  readonly segments: readonly Timed[][];
  /** When the result is false, the segment no state could get through (else -1)... */
  readonly failed: number;
  /** ...the register states that could enter it... */
  readonly entering: ReadonlySet<string | null>;
  /** ...and its last invocation (-1 when the result is not false). */
  readonly failedBy: number;
  /** Per segment searched, the states it can end in and how (see `Ends`). */
  readonly ends: readonly Ends[];
}

/**
 * The register states a segment can end in, each with one way there: the state it started
 * from (one the segment before can end in) and the operations it placed, in order (an optional
 * write dropped is not among them).
 */
type Ends = Map<string | null, { readonly from: string | null; readonly path: RegisterOp[] }>;

/**
 * Searches that ran to the end, by the very list they searched, with the steps each spent. A key
 * found not linearizable is searched again, whole, when its witness is shrunk: that search pays
 * the same steps and finds the same, so it is taken from here when the budget covers them.
 */
const searched = new WeakMap<readonly RegisterOp[], { found: SegmentSearch; spent: number }>();

/** The search, and when it fails the segment no state could get through. */
function searchSegments(ops: readonly RegisterOp[], budget: Budget): SegmentSearch {
  const known = searched.get(ops);
  if (known !== undefined && known.spent <= budget.steps) {
    budget.steps -= known.spent;
    return known.found;
  }
  const before = budget.steps;
  const found = searchEachSegment(ops, budget);
  if (found.result !== null) searched.set(ops, { found, spent: before - budget.steps });
  return found;
}

function searchEachSegment(ops: readonly RegisterOp[], budget: Budget): SegmentSearch {
  // The segments are cut as the search reaches them: a key found not linearizable early (most
  // keys of a long run that are not) is not cut beyond the segment where it fails.
  const next = timedInOrder(ops);
  const segments: Timed[][] = [];
  let states = new Set<string | null>([null]);
  const found: Ends[] = [];
  const outcome = (result: boolean | null, failed = -1): SegmentSearch => ({
    result,
    segments,
    failed,
    entering: states,
    failedBy: failed === -1 ? -1 : segments[failed]!.at(-1)!.op.inv,
    ends: found,
  });
  let t = next();
  let maxRet = Number.NEGATIVE_INFINITY;
  for (let k = 0; t !== null; k++) {
    // A segment runs on while an operation starts before every earlier one has finished.
    const segment: Timed[] = [];
    do {
      segment.push(t);
      if (t.ret > maxRet) maxRet = t.ret;
      t = next();
    } while (t !== null && t.op.inv <= maxRet);
    segments.push(segment);
    const ends = endStates(segment, states, t !== null, budget);
    if (ends === null) return outcome(null);
    if (ends.size === 0) return outcome(false, k);
    found.push(ends);
    states = new Set(ends.keys());
  }
  return outcome(true);
}

/** An operation with a deadline by which it takes effect; an optional one may instead never. */
interface Timed {
  readonly op: RegisterOp;
  readonly ret: number;
  readonly optional: boolean;
}

/**
 * The operations in invocation order, one at each call (null after the last), each with its
 * deadline: a never-answered write gets the latest answer among the reads of its value, and may
 * be dropped (an order that places it after every read of its value works as well without it);
 * one no read could have seen is left out altogether.
 */
function timedInOrder(ops: readonly RegisterOp[]): () => Timed | null {
  const lastRead = new Map<string | null, number>();
  // Only a never-answered write asks for the last read of its value: without one, none is gathered.
  if (ops.some((op) => op.ret === Number.POSITIVE_INFINITY))
    for (const op of ops)
      if (!op.write) lastRead.set(op.value, Math.max(lastRead.get(op.value) ?? -1, op.ret));
  // A key's operations come in invocation order: sorted only when they are not.
  let inOrder = true;
  for (let i = 1; i < ops.length && inOrder; i++) inOrder = ops[i - 1]!.inv <= ops[i]!.inv;
  const sorted = inOrder ? ops : [...ops].sort((a, b) => a.inv - b.inv);
  let i = 0;
  return () => {
    while (i < sorted.length) {
      const op = sorted[i++]!;
      if (op.ret !== Number.POSITIVE_INFINITY) return { op, ret: op.ret, optional: false };
      const read = lastRead.get(op.value);
      // A refused write takes effect by its answer, if at all.
      const deadline =
        op.bound === undefined || read === undefined ? read : Math.min(read, op.bound);
      if (deadline !== undefined && deadline > op.inv) return { op, ret: deadline, optional: true };
    }
    return null;
  };
}

/** A move: an operation takes effect (the register then holds `to`), or is dropped (same state). */
interface Move {
  readonly op: number;
  readonly to: number;
  readonly dropped?: boolean;
}

/**
 * The register states one segment can end in, starting from any of `starts` (all of them when
 * `all`, else the first found); null when the budget ran out. Wing & Gong's search with Lowe's
 * memoisation of (operations done, state): an operation may go next when its call comes before
 * every remaining return. Two exchanges prune without losing an order: a read legal now is taken
 * at once, and of the writes of one value (and kind) that may go next only the one due first is
 * tried. An optional write whose deadline comes first may also be dropped.
 */
function endStates(
  seg: readonly Timed[],
  starts: ReadonlySet<string | null>,
  all: boolean,
  budget: Budget,
): Ends | null {
  if (seg.length === 1) return alone(seg[0]!, starts);
  const n = seg.length;
  const codes = new Map<string | null, number>([[null, 0]]);
  const code = (v: string | null) => {
    let c = codes.get(v);
    if (c === undefined) {
      c = codes.size;
      codes.set(v, c);
    }
    return c;
  };
  const value = Int32Array.from(seg, (t) => code(t.op.value));
  for (const s of starts) code(s);
  const names = [...codes.keys()];
  const write = seg.map((t) => t.op.write);
  const list = new EventList(seg.map((t) => ({ inv: t.op.inv, ret: t.ret })));
  const bits = new Uint32Array((n + 31) >>> 5);
  const z1 = zobrist(n + codes.size, 0x9e3779b9 | 0);
  const z2 = zobrist(n + codes.size, 0x7f4a7c15);
  let h1 = 0;
  let h2 = 0;
  let state = 0;
  const cache = new Map<number, { bits: Uint32Array; state: number }[]>();
  /** Remembers (done ∪ {i}, new state); false when it was explored already. */
  const remember = (i: number, s: number): boolean => {
    const key = (h1 ^ z1[i]! ^ z1[n + s]!) * 0x400_0000 + (h2 ^ z2[i]! ^ z2[n + s]!);
    bits[i >>> 5]! |= 1 << (i & 31);
    const seen = cache.get(key);
    const found = seen?.some((c) => c.state === s && sameBits(c.bits, bits)) ?? false;
    if (!found) {
      const entry = { bits: bits.slice(), state: s };
      if (seen === undefined) cache.set(key, [entry]);
      else seen.push(entry);
      // Memory is work too: each remembered state spends the budget by its size (about 8 steps
      // of overhead, a step per 32 operations), so a bound of 2M keeps the memo near 50 MB.
      budget.steps -= 8 + bits.length;
    }
    bits[i >>> 5]! &= ~(1 << (i & 31));
    return !found;
  };
  interface Frame {
    readonly op: number;
    readonly before: number;
    /** An optional write dropped rather than taking effect. */
    readonly dropped: boolean;
    /** The level's other moves, and the next to try; null when the move was forced. */
    readonly moves: Move[] | null;
    readonly next: number;
  }
  const stack: Frame[] = [];
  const apply = (m: Move, moves: Move[] | null, next: number) => {
    stack.push({ op: m.op, before: state, dropped: m.dropped === true, moves, next });
    state = m.to;
    bits[m.op >>> 5]! |= 1 << (m.op & 31);
    h1 ^= z1[m.op]!;
    h2 ^= z2[m.op]!;
    list.lift(m.op);
  };
  const undo = (f: Frame) => {
    state = f.before;
    bits[f.op >>> 5]! &= ~(1 << (f.op & 31));
    h1 ^= z1[f.op]!;
    h2 ^= z2[f.op]!;
    list.unlift(f.op);
  };
  /** Tries the level's moves from `from`; true when one led somewhere new. */
  const tryMoves = (moves: Move[], from: number): boolean => {
    for (let k = from; k < moves.length; k++) {
      if (remember(moves[k]!.op, moves[k]!.to)) {
        apply(moves[k]!, moves, k + 1);
        return true;
      }
    }
    return false;
  };
  /** Undoes moves back to a level with an untried one, and takes it; false when none is left. */
  const backtrack = (): boolean => {
    for (;;) {
      const f = stack.pop();
      if (f === undefined) return false;
      undo(f);
      if (f.moves !== null && tryMoves(f.moves, f.next)) return true;
    }
  };
  const ends: Ends = new Map();
  for (const start of starts) {
    state = codes.get(start)!;
    for (;;) {
      if (list.empty()) {
        if (!ends.has(names[state]!))
          ends.set(names[state]!, {
            from: start,
            path: stack.filter((f) => !f.dropped).map((f) => seg[f.op]!.op),
          });
        if (!all) return ends;
        if (!backtrack()) break;
        continue;
      }
      if (--budget.steps < 0) return null;
      const read = list.firstCallable((i) => !write[i] && value[i] === state);
      let moved: boolean;
      if (read !== -1) {
        moved = remember(read, state);
        if (moved) apply({ op: read, to: state }, null, 0);
      } else moved = tryMoves(moveChoices(list, seg, value, state), 0);
      if (!moved && !backtrack()) break;
    }
  }
  return ends;
}

/** The end states of a segment of one operation (most segments of a mostly sequential key). */
function alone(t: Timed, starts: ReadonlySet<string | null>): Ends {
  const ends: Ends = new Map();
  const first = starts.values().next().value ?? null;
  if (!t.op.write) {
    if (starts.has(t.op.value)) ends.set(t.op.value, { from: t.op.value, path: [t.op] });
    return ends;
  }
  // An optional write may also be dropped: each state goes through unchanged.
  if (t.optional) for (const s of starts) ends.set(s, { from: s, path: [] });
  ends.set(t.op.value, { from: first, path: [t.op] });
  return ends;
}

/**
 * The moves worth trying next: of the writes that may go next, one per value and kind (answered
 * or optional), the one due first; and dropping the optional write whose deadline comes first.
 */
function moveChoices(
  list: EventList,
  seg: readonly Timed[],
  value: Int32Array,
  state: number,
): Move[] {
  const best = new Map<number, number>();
  list.firstCallable((i) => {
    if (!seg[i]!.op.write) return false;
    const kind = value[i]! * 2 + (seg[i]!.optional ? 1 : 0);
    const other = best.get(kind);
    if (other === undefined || seg[i]!.ret < seg[other]!.ret) best.set(kind, i);
    return false;
  });
  const moves = [...best.values()]
    .sort((a, b) => seg[a]!.ret - seg[b]!.ret || a - b)
    .map((i): Move => ({ op: i, to: value[i]! }));
  const due = list.firstReturn();
  if (due !== -1 && seg[due]!.optional) moves.push({ op: due, to: state, dropped: true });
  return moves;
}

/**
 * Calls and returns in event order, as a doubly linked list from which a linearized operation's
 * two entries are lifted and put back (entries 0..n-1 are calls, n..2n-1 returns, 2n the head).
 */
class EventList {
  private readonly n: number;
  private readonly head: number;
  private readonly next: Int32Array;
  private readonly prev: Int32Array;

  constructor(ops: readonly { readonly inv: number; readonly ret: number }[]) {
    const n = ops.length;
    this.n = n;
    this.head = 2 * n;
    this.next = new Int32Array(2 * n + 1);
    this.prev = new Int32Array(2 * n + 1);
    const time = (e: number) => (e < n ? ops[e]!.inv : ops[e - n]!.ret);
    const order = Array.from({ length: 2 * n }, (_, e) => e);
    order.sort((a, b) => (time(a) < time(b) ? -1 : time(a) > time(b) ? 1 : a - b));
    let last = this.head;
    for (const e of order) {
      this.next[last] = e;
      this.prev[e] = last;
      last = e;
    }
    this.next[last] = -1;
  }

  lift(i: number): void {
    for (const e of [i, i + this.n]) {
      this.next[this.prev[e]!] = this.next[e]!;
      if (this.next[e]! !== -1) this.prev[this.next[e]!] = this.prev[e]!;
    }
  }

  unlift(i: number): void {
    for (const e of [i + this.n, i]) {
      this.next[this.prev[e]!] = e;
      if (this.next[e]! !== -1) this.prev[this.next[e]!] = e;
    }
  }

  empty(): boolean {
    return this.next[this.head] === -1;
  }

  /** The operation whose return comes first (-1: none left). */
  firstReturn(): number {
    let e = this.next[this.head]!;
    while (e !== -1 && e < this.n) e = this.next[e]!;
    return e === -1 ? -1 : e - this.n;
  }

  /** The first operation that may go next and passes `test` (-1: none): calls before any return. */
  firstCallable(test: (i: number) => boolean): number {
    for (let e = this.next[this.head]!; e !== -1 && e < this.n; e = this.next[e]!)
      if (test(e)) return e;
    return -1;
  }
}

function sameBits(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The writes a read may have taken its value from, and which of them a set of operations may
 * leave out. A read may have seen the writes of its value (every DELETE for a NULL) issued before
 * it was answered, except those real time rules out: a write that finished before another write
 * started, which itself finished before the read started, is overwritten before the read in every
 * order. A set keeps a read when each of its possible sources is in the set or ruled out by a
 * write of the set (the write that overwrote it stays, to show why), and, for a value rather than
 * a NULL, one of them at least is in the set (the write the value points at; a NULL has the
 * initial absence). Then the write each read really saw in any linearization of the whole is in
 * the set, so that order restricted to the set is legal: a set like that which cannot be ordered
 * proves the whole cannot. A set also keeps a NULL read `Bracketed` by two of its reads, whatever
 * DELETE it saw. Kept per value in invocation order, so that a read's are a prefix: a list per read
 * would hold every DELETE for every NULL read (quadratic on a long key).
 */
/** Each list's Sources, made once: a key's witness and its sentence read the same ones. */
const sourcesMade = new WeakMap<readonly RegisterOp[], Sources>();

/** The Sources of `ops`, made the first time they are asked for (the list must not change). */
export function sourcesOf(ops: readonly RegisterOp[]): Sources {
  let made = sourcesMade.get(ops);
  if (made === undefined) {
    made = new Sources(ops);
    sourcesMade.set(ops, made);
  }
  return made;
}

/** Passes a Sources makes over its key for a few values before it lists every value's writes. */
const MOST_PASSES = 8;

/** The writes are in invocation order already. */
function byInvocation(list: readonly RegisterOp[]): boolean {
  for (let i = 1; i < list.length; i++) if (list[i - 1]!.inv > list[i]!.inv) return false;
  return true;
}

export class Sources {
  private readonly writers = new Map<string | null, RegisterOp[]>();
  /** Every value's writes are listed; else those of the values in `writers` only. */
  private whole = false;
  /** Passes over the key made to list some values' writes. */
  private passes = 0;

  /**
   * The writes are listed value by value as sets ask for them: a long key's witness is shrunk from
   * a few hundred of its operations, whose values are a small part of the key's.
   */
  constructor(private readonly ops: readonly RegisterOp[]) {}

  /**
   * Lists the writes of the values the reads of `set` read, those not listed yet, in one pass over
   * the key. Many values, or many passes, and every value is listed at once.
   */
  private cover(set: Iterable<RegisterOp>): void {
    if (this.whole) return;
    const wanted = new Set<string | null>();
    for (const o of set) if (!o.write && !this.writers.has(o.value)) wanted.add(o.value);
    if (wanted.size > 0) this.listWrites(wanted);
  }

  private listWrites(wanted: ReadonlySet<string | null>): void {
    const all = ++this.passes > MOST_PASSES || wanted.size * 16 > this.ops.length;
    if (all) {
      this.whole = true;
      this.writers.clear();
    }
    for (const v of wanted) this.writers.set(v, []);
    for (const op of this.ops) {
      if (!op.write || !(all || wanted.has(op.value))) continue;
      const list = this.writers.get(op.value);
      if (list === undefined) this.writers.set(op.value, [op]);
      else list.push(op);
    }
    // Each list is in history order, which is nearly always invocation order already.
    for (const v of all ? this.writers.keys() : wanted) {
      const list = this.writers.get(v)!;
      if (!byInvocation(list)) list.sort((a, b) => a.inv - b.inv);
    }
  }

  /** Lists the writes of every value at once (for a caller about to ask for each read's). */
  coverAll(): void {
    this.cover(this.ops);
  }

  /** The writes `read` may have seen, ruled out or not. */
  of(read: RegisterOp): RegisterOp[] {
    return this.list(read.value).slice(0, this.count(read));
  }

  /**
   * The set without the reads it cannot keep (see the class); `holdingAll`: without those that
   * lack any write they may have seen, ruled out or not.
   */
  closed(set: readonly RegisterOp[], holdingAll = false): RegisterOp[] {
    this.cover(set);
    const keeper = new Keeper(this, set, holdingAll);
    const kept = set.filter((o) => o.write || keeper.keeps(o));
    if (holdingAll || kept.length === set.length) return kept;
    const bracketed = new Bracketed(this, kept, keeper.overwrites);
    const keptSet = new Set(kept);
    return set.filter((o) => keptSet.has(o) || bracketed.around(o) !== undefined);
  }

  /** Why `set` may keep `read` (undefined: it may not), for the witness's sentence. */
  reason(read: RegisterOp, set: readonly RegisterOp[]): Reason | undefined {
    this.cover([read, ...set]);
    const keeper = new Keeper(this, set, false);
    const overwrites = keeper.overwrites;
    const keeps = (o: RegisterOp) => keeper.keeps(o);
    if (keeps(read)) {
      const ids = new Set(set.map((o) => o.id));
      const lacking = this.of(read).filter((w) => !ids.has(w.id));
      const by = overwrites.before(read.inv);
      return lacking.length === 0 || by === null
        ? { kind: 'held' }
        : { kind: 'overwritten', lacking, by };
    }
    const kept = set.filter((o) => o.write || keeps(o));
    const around = new Bracketed(this, kept, overwrites).around(read);
    return around === undefined ? undefined : { kind: 'bracketed', ...around };
  }

  /** Of the writes `read` may have seen, those no write of the set rules out. */
  open(read: RegisterOp, overwrites: Overwrites): RegisterOp[] {
    const after = overwrites.latestInv(read.inv);
    return this.of(read).filter((w) => !(w.ret < after));
  }

  /** The writes of `value` (DELETEs for null), in invocation order. */
  list(value: string | null): readonly RegisterOp[] {
    let list = this.writers.get(value);
    if (list === undefined && !this.whole) {
      this.listWrites(new Set([value]));
      list = this.writers.get(value);
    }
    return list ?? [];
  }

  /** How many of its value's writes `read` may have seen (they come first). */
  count(read: RegisterOp): number {
    return firstAtLeast(this.list(read.value), (w) => w.inv, read.ret);
  }
}

/**
 * Whether one set keeps a read by its sources, in O(log n) a read: per value, over each prefix of its writes, the latest answer of a
 * write the set lacks (-Infinity: none) and how many the set holds, built when first asked. A
 * class rather than closures: this runs for every set the witness search tries.
 */
class Keeper {
  private readonly ids = new Set<number>();
  readonly overwrites: Overwrites;
  private readonly prefixes = new Map<
    string | null,
    { lackingRet: Float64Array; held: Int32Array }
  >();

  constructor(
    private readonly sources: Sources,
    set: readonly RegisterOp[],
    private readonly holdingAll: boolean,
  ) {
    for (const o of set) if (o.write) this.ids.add(o.id);
    this.overwrites = new Overwrites(set);
  }

  keeps(read: RegisterOp): boolean {
    const n = this.sources.count(read);
    if (n === 0) return true;
    const { lackingRet, held } = this.prefixesOf(read.value);
    const lacking = lackingRet[n]!;
    if (
      lacking !== Number.NEGATIVE_INFINITY &&
      (this.holdingAll || !(lacking < this.overwrites.latestInv(read.inv)))
    )
      return false;
    return read.value === null || held[n]! > 0;
  }

  private prefixesOf(value: string | null) {
    let p = this.prefixes.get(value);
    if (p === undefined) {
      const list = this.sources.list(value);
      const lackingRet = new Float64Array(list.length + 1);
      const held = new Int32Array(list.length + 1);
      lackingRet[0] = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < list.length; i++) {
        const w = list[i]!;
        const has = this.ids.has(w.id);
        lackingRet[i + 1] = has ? lackingRet[i]! : Math.max(lackingRet[i]!, w.ret);
        held[i + 1] = held[i]! + (has ? 1 : 0);
      }
      p = { lackingRet, held };
      this.prefixes.set(value, p);
    }
    return p;
  }
}

/**
 * Why a set keeps a read: it holds every write the read may have seen; or the others finished
 * before `by` started, which finished before the read started; or two reads bracket it.
 */
export type Reason =
  | { readonly kind: 'held' }
  | { readonly kind: 'overwritten'; readonly lacking: RegisterOp[]; readonly by: RegisterOp }
  | ({ readonly kind: 'bracketed' } & Bracket);

/** A write and two reads that can only have seen it, one answered before the other started. */
export interface Bracket {
  readonly write: RegisterOp;
  readonly first: RegisterOp;
  readonly last: RegisterOp;
}

/**
 * Reads of one value that can only have seen one write, the first answered before the second
 * started: nothing can be written between them in any order, so a NULL read that started after
 * the first was answered and was answered before the second started cannot be ordered, whatever
 * DELETE it saw. A set may keep such a read without its DELETEs: the write and the three reads
 * prove by themselves that the whole cannot be ordered.
 */
class Bracketed {
  /** Per sole write: its earliest answered read and its latest invoked read. */
  private readonly spans = new Map<RegisterOp, { first: RegisterOp; last: RegisterOp }>();

  /** `kept`: the set's writes, and the reads it keeps by their sources. */
  constructor(sources: Sources, kept: readonly RegisterOp[], overwrites: Overwrites) {
    for (const r of kept) {
      if (r.write || r.value === null) continue;
      const open = sources.open(r, overwrites);
      if (open.length !== 1) continue;
      const span = this.spans.get(open[0]!);
      if (span === undefined) this.spans.set(open[0]!, { first: r, last: r });
      else {
        if (r.ret < span.first.ret) span.first = r;
        if (r.inv > span.last.inv) span.last = r;
      }
    }
  }

  /**
   * The write and the two reads that bracket `read`, if any. Only a NULL read is bracketed: a
   * read of a value keeps one of its writes, the one a person looks for first.
   */
  around(read: RegisterOp): Bracket | undefined {
    if (read.value !== null) return undefined;
    for (const [write, { first, last }] of this.spans)
      if (first.ret < read.inv && read.ret < last.inv) return { write, first, last };
    return undefined;
  }
}

/** A set's answered writes by answer: which started last among those finished before a moment. */
class Overwrites {
  private readonly byRet: RegisterOp[];
  /** The write of the latest invocation among the first i + 1 by answer. */
  private readonly latest: RegisterOp[] = [];

  constructor(set: readonly RegisterOp[]) {
    this.byRet = set
      .filter((o) => o.write && o.ret !== Number.POSITIVE_INFINITY)
      .sort((a, b) => a.ret - b.ret);
    for (const w of this.byRet) {
      const last = this.latest[this.latest.length - 1];
      this.latest.push(last === undefined || w.inv > last.inv ? w : last);
    }
  }

  /** The write that started last among those finished before `t`, or null. */
  before(t: number): RegisterOp | null {
    const n = firstAtLeast(this.byRet, (o) => o.ret, t);
    return n === 0 ? null : this.latest[n - 1]!;
  }

  /** Its invocation (-Infinity: none finished before `t`). */
  latestInv(t: number): number {
    return this.before(t)?.inv ?? Number.NEGATIVE_INFINITY;
  }
}

/** Beyond this many operations the witness is narrowed by prefixes and suffixes first. */
const GREEDY_MAX = 200;

/**
 * The smallest set of operations that cannot be ordered and shows why the key cannot: starting
 * from a non-linearizable set closed under `Sources`, drop operations (with the reads that can no
 * longer be kept) while what is left stays non-linearizable. The result is minimal: dropping any
 * one more makes it linearizable (or undecided within the budget). Shrunk first holding every
 * write a read may have seen, then by the rules that let a read do without some: a NULL read kept
 * without its DELETEs makes a large set hard to decide, and what the first pass leaves is small.
 * A set of at most GREEDY_MAX is also shrunk by those rules from the start, and the smaller kept.
 * A longer set is first cut to a failing core around the quiet segment where the search fails
 * (`segmentCore`), when one is found within a quarter of the budget.
 */
export function minimalWitness(ops: readonly RegisterOp[], budget: Budget): RegisterOp[] {
  const sources = sourcesOf(ops);
  const close = (set: readonly RegisterOp[]) => sources.closed(set);
  // A long key is first cut down to its failing segment and what that needs of the past: holding
  // every DELETE a NULL read may have seen, a suffix of it may fail only when it is nearly whole.
  const core =
    ops.length > GREEDY_MAX && zones(ops) === undefined
      ? within(budget, budget.steps * SEGMENT_SHARE, (part) => segmentCore(ops, part, close))
      : null;
  const from = core ?? ops;
  const holdingAll = shrink(from, budget, (set) => sources.closed(set, true));
  const twice = shrink(holdingAll, budget, close);
  if (from.length > GREEDY_MAX) return twice;
  // A small set is also shrunk by the rules from the start: that way may end smaller.
  const once = shrink(from, budget, close);
  const shrunk = once.length < twice.length ? once : twice;
  return shrunk.length > 2 && from.length <= PAIRS_MAX
    ? smallestPair(from, shrunk, budget, close)
    : shrunk;
}

/** A key of at most this many operations has its pairs tried too (1,770 of them at 60). */
const PAIRS_MAX = 60;

/**
 * Shrinking ends at a set from which no one operation can go, which is not always the smallest:
 * two operations (a PUT answered before a read of no value began, say) may fail on their own
 * beside a set of three that shrinking found first. Every pair, with what its reads need, is
 * tried: the smallest that fails, shrunk in turn, when smaller than `found`.
 */
function smallestPair(
  ops: readonly RegisterOp[],
  found: RegisterOp[],
  budget: Budget,
  close: (set: readonly RegisterOp[]) => RegisterOp[],
): RegisterOp[] {
  let best = found;
  for (let i = 0; i < ops.length && best.length > 2; i++) {
    for (let j = i + 1; j < ops.length && best.length > 2; j++) {
      if (budget.steps <= 0) return best;
      const set = close([ops[i]!, ops[j]!]);
      if (set.length < best.length && decide(set, budget) === false)
        best = shrink(set, budget, close);
    }
  }
  return best;
}

/** At most this share of a witness's budget goes on finding its failing segment's core. */
const SEGMENT_SHARE = 0.25;

/**
 * A failing set found by the segment argument, closed by `close`, or null. The search fails in
 * one quiet segment, and every earlier operation finished before that segment began: what fails
 * there needs of the past only writes that leave the register in the states that can enter it.
 * Tried smallest first, each decided (never assumed to fail): the segment alone; with the latest
 * earlier write of each state that can enter it (none for the initial absence); with the 1, 3, 7,
 * ... segments before it, back to the first.
 */
function segmentCore(
  ops: readonly RegisterOp[],
  budget: Budget,
  close: (set: readonly RegisterOp[]) => RegisterOp[],
): RegisterOp[] | null {
  const { result, segments, failed, entering } = searchSegments(ops, budget);
  if (result !== false) return null;
  const span = (from: number) =>
    segments.slice(Math.max(0, from), failed + 1).flatMap((seg) => seg.map((t) => t.op));
  const producers = new Map<string | null, RegisterOp>();
  for (let k = failed - 1; k >= 0 && producers.size < entering.size; k--) {
    const seg = segments[k]!;
    for (let i = seg.length - 1; i >= 0; i--) {
      const op = seg[i]!.op;
      if (op.write && entering.has(op.value) && !producers.has(op.value))
        producers.set(op.value, op);
    }
  }
  const candidates = [span(failed), [...producers.values(), ...span(failed)]];
  for (let back = 1; back < 2 * failed; back = 2 * back + 1) candidates.push(span(failed - back));
  const tried = new Set<string>();
  for (const candidate of candidates) {
    if (budget.steps <= 0) return null;
    const set = close(candidate);
    const ids = set
      .map((o) => o.id)
      .sort((a, b) => a - b)
      .join(',');
    if (set.length === 0 || tried.has(ids)) continue;
    tried.add(ids);
    if (decide(set, budget) === false) return set;
  }
  return null;
}

/** Shrinks a non-linearizable set closed under `close`: see `minimalWitness`. */
function shrink(
  ops: readonly RegisterOp[],
  budget: Budget,
  close: (set: readonly RegisterOp[]) => RegisterOp[],
): RegisterOp[] {
  const fails = (set: readonly RegisterOp[]) => decide(set, budget) === false;
  let set = [...ops].sort((a, b) => a.inv - b.inv);
  let prefixKnown = false;
  if (set.length > GREEDY_MAX && zones(set) === undefined) {
    // The search names the segment it failed in: nothing after it is needed.
    const { failedBy } = searchSegments(set, budget);
    prefixKnown = failedBy !== -1;
    if (prefixKnown) set = close(set.filter((o) => o.inv <= failedBy));
  }
  if (set.length > GREEDY_MAX) set = narrow(set, fails, close, prefixKnown);
  // Chunks first, halving (delta debugging), then single operations until none can go: a drop can
  // make an earlier-kept operation unnecessary, so the last size repeats until nothing changes.
  for (let size = 2 ** Math.floor(Math.log2(Math.max(1, set.length / 2))); size >= 1; ) {
    let dropped = false;
    for (let i = set.length - size; i > -size && set.length > 1; i -= size) {
      // A spent budget stops the shrinking where it is (a set that still fails): past it only the
      // zones, which need no budget, could drop more, and each try closes and zones the whole
      // set: on a key of 5,000 operations the pass one by one ran for minutes.
      if (budget.steps <= 0) return set;
      const from = Math.max(0, i);
      const without = close([...set.slice(0, from), ...set.slice(i + size)]);
      if (without.length > 0 && without.length < set.length && fails(without)) {
        set = without;
        dropped = true;
      }
    }
    if (size > 1) size >>>= 1;
    else if (!dropped) break;
  }
  return set;
}

/**
 * The shortest failing prefix (by invocation), then the shortest failing suffix of it. Lengths
 * grow by doubling before the binary search, so that a witness near the end costs small checks.
 */
function narrow(
  set: RegisterOp[],
  fails: (set: readonly RegisterOp[]) => boolean,
  close: (set: readonly RegisterOp[]) => RegisterOp[],
  prefixKnown: boolean,
): RegisterOp[] {
  const shortest = (make: (k: number) => RegisterOp[], doubling: boolean): RegisterOp[] => {
    let lo = 1;
    let hi = set.length;
    if (doubling) {
      let k = 1;
      while (k < set.length && !fails(make(k))) k *= 2;
      lo = Math.max(1, (k >>> 1) + 1);
      hi = Math.min(k, set.length);
    }
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (fails(make(mid))) hi = mid;
      else lo = mid + 1;
    }
    const found = make(hi);
    return fails(found) ? found : set;
  };
  if (!prefixKnown) set = shortest((k) => close(set.slice(0, k)), false);
  set = shortest((k) => close(set.slice(set.length - k)), true);
  return set;
}
