// Deciding whether one key's operations are linearizable for a register (PROTOCOL.md §3): PUT sets
// the value, DELETE makes it absent, GET returns the current value or NULL. Real time is the order
// of events (sequence numbers), never milliseconds. A write without an answer may take effect at
// any point after its invocation, or never; the caller leaves out refused and unanswered reads.
//
// Two deciders: `fastPath` tries the timestamp order as the linearization (linear after a sort,
// and it proves "linearizable" whenever it succeeds); `search` is complete: Wing & Gong's search
// with Lowe's memoisation of (operations linearized, register state), as Porcupine does, plus one
// pruning a register allows: a read that is legal now is taken at once, never branched on. A work
// bound turns an endless search into an honest "unknown".

/** One operation on the key, as the register sees it. */
export interface RegisterOp {
  /** The history's operation id, for reporting. */
  readonly id: number;
  readonly write: boolean;
  /** The value written or read; null is "absent" (a DELETE, a NULL read). */
  readonly value: string | null;
  /** Event sequence numbers: invocation, and completion (Infinity: never answered, writes only). */
  readonly inv: number;
  readonly ret: number;
  /** The version the protocol gave it (PUT_OK/DELETE_OK, GET_OK/NULL), when known. */
  readonly ts: number | null;
}

/** How much work a decision may spend; shared by the calls of one check. */
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
}

export const REGISTER_VIEW: OpView<RegisterOp> = {
  write: (op) => op.write,
  value: (op) => op.value,
  inv: (op) => op.inv,
  ret: (op) => op.ret,
  ts: (op) => op.ts,
  id: (op) => op.id,
};

/**
 * The timestamp order as a linearization: versions by ts, each write followed by the reads that
 * returned its version (in invocation order), reads of ts 0 first. True when that order respects
 * real time and is legal for a register; false means only "not this order". `versionWriter` finds
 * the never-answered write a read's ts belongs to (from the replicas' applies), if any.
 */
export function fastPath<T>(
  ops: readonly T[],
  view: OpView<T>,
  versionWriter: (ts: number) => T | undefined = () => undefined,
): boolean {
  const writes = new Columns();
  const reads = new Columns();
  for (const op of ops) {
    const ts = view.ts(op);
    if (!view.write(op)) {
      if (ts === null) return false;
      reads.push(ts, view.inv(op), view.ret(op), view.value(op));
    } else if (view.ret(op) !== Number.POSITIVE_INFINITY) {
      if (ts === null) return false;
      writes.push(ts, view.inv(op), view.ret(op), view.value(op));
    }
  }
  let placed = timestampWalk(writes, reads);
  if (placed === true || placed === false) return placed;
  // Reads of versions no answered write has: a never-answered write's, taking effect once each.
  const taken = new Set<number>();
  for (const ts of placed) {
    const w = versionWriter(ts);
    if (w === undefined || view.ret(w) !== Number.POSITIVE_INFINITY || taken.has(view.id(w)))
      return false;
    taken.add(view.id(w));
    writes.push(ts, view.inv(w), view.ret(w), view.value(w));
  }
  placed = timestampWalk(writes, reads);
  return placed === true;
}

/** Operations as columns (ts, invocation, completion, value): what the fast path reads. */
class Columns {
  readonly ts: number[] = [];
  readonly inv: number[] = [];
  readonly ret: number[] = [];
  readonly value: (string | null)[] = [];

  push(ts: number, inv: number, ret: number, value: string | null): void {
    this.ts.push(ts);
    this.inv.push(inv);
    this.ret.push(ret);
    this.value.push(value);
  }

  /** Indices by (ts, invocation); histories mostly come in that order, so check before sorting. */
  order(): number[] {
    const { ts, inv } = this;
    const order = ts.map((_, i) => i);
    const compare = (a: number, b: number) => ts[a]! - ts[b]! || inv[a]! - inv[b]!;
    for (let i = 1; i < order.length; i++) if (compare(i - 1, i) > 0) return order.sort(compare);
    return order;
  }
}

/**
 * Walks the writes in ts order, each followed by the reads of its version: true when the order
 * is a linearization, false when it is not, or the versions read that no write has.
 */
function timestampWalk(writes: Columns, reads: Columns): boolean | number[] {
  const wOrder = writes.order();
  const rOrder = reads.order();
  const missing: number[] = [];
  let maxInv = -1;
  // Respects real time: nothing placed later finished before something placed earlier started.
  const place = (c: Columns, i: number): boolean => {
    if (c.ret[i]! <= maxInv) return false;
    if (c.inv[i]! > maxInv) maxInv = c.inv[i]!;
    return true;
  };
  let r = 0;
  for (; r < rOrder.length && reads.ts[rOrder[r]!] === 0; r++)
    if (reads.value[rOrder[r]!] !== null || !place(reads, rOrder[r]!)) return false;
  let previous = Number.NaN;
  for (const w of wOrder) {
    const ts = writes.ts[w]!;
    if (ts === previous) return false;
    previous = ts;
    for (; r < rOrder.length && reads.ts[rOrder[r]!]! < ts; r++) {
      const t = reads.ts[rOrder[r]!]!;
      if (missing[missing.length - 1] !== t) missing.push(t);
    }
    if (!place(writes, w)) return false;
    const value = writes.value[w];
    for (; r < rOrder.length && reads.ts[rOrder[r]!] === ts; r++)
      if (reads.value[rOrder[r]!] !== value || !place(reads, rOrder[r]!)) return false;
  }
  for (; r < rOrder.length; r++) {
    const t = reads.ts[rOrder[r]!]!;
    if (missing[missing.length - 1] !== t) missing.push(t);
  }
  return missing.length === 0 ? true : missing;
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
export function zones(ops: readonly RegisterOp[]): boolean | undefined {
  const clusters = new Map<string | null, { f: number; s: number; writeInv: number }>();
  let nullReads = false;
  for (const op of ops) {
    if (!op.write) {
      if (op.value === null) nullReads = true;
      continue;
    }
    const key = op.value === null ? `\u0000delete ${op.id}` : op.value;
    if (clusters.has(key)) return undefined;
    clusters.set(key, { f: op.ret, s: op.inv, writeInv: op.inv });
  }
  if (nullReads) {
    for (const op of ops) if (op.write && op.value === null) return undefined;
    // The initial absence: a write before every event.
    clusters.set(null, { f: -1, s: -1, writeInv: -1 });
  }
  for (const op of ops) {
    if (op.write) continue;
    const c = clusters.get(op.value);
    if (c === undefined || op.ret < c.writeInv) return false;
    if (op.ret < c.f) c.f = op.ret;
    if (op.inv > c.s) c.s = op.inv;
  }
  const forward: [number, number][] = [];
  const backward: [number, number][] = [];
  for (const c of clusters.values()) {
    // A never-answered write nobody read is the "never" case: it constrains nothing.
    if (c.f === Number.POSITIVE_INFINITY) continue;
    if (c.f < c.s) forward.push([c.f, c.s]);
    else backward.push([c.s, c.f]);
  }
  forward.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < forward.length; i++) if (forward[i]![0] < forward[i - 1]![1]) return false;
  for (const [from, to] of backward) {
    // The forward zone starting last before this backward one: the only one that could hold it.
    let lo = 0;
    let hi = forward.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (forward[mid]![0] < from) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found !== -1 && to < forward[found]![1]) return false;
  }
  return true;
}

/** Zones when they apply, the search otherwise. */
export function decide(ops: readonly RegisterOp[], budget: Budget): boolean | null {
  return zones(ops) ?? search(ops, budget);
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
 * Events are the calls and returns in sequence order; an operation may be linearized next when
 * its call comes before every remaining return (nothing unlinearized finished before it began).
 * Two exchanges prune without losing an order: a read legal now is taken at once (any order
 * that works has one taking it first), and of the writes of one value that may go next only the
 * one answered first is tried (swapping two such writes leaves every state and bound intact). A
 * never-answered write left over at the end takes effect never.
 */
export function search(ops: readonly RegisterOp[], budget: Budget): boolean | null {
  const n = ops.length;
  if (n === 0) return true;
  const codes = new Map<string, number>();
  const value = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = ops[i]!.value;
    if (v === null) continue;
    let c = codes.get(v);
    if (c === undefined) {
      c = codes.size + 1;
      codes.set(v, c);
    }
    value[i] = c;
  }
  const list = new EventList(ops);
  const words = (n + 31) >>> 5;
  const bits = new Uint32Array(words);
  const z1 = zobrist(n + codes.size + 1, 0x9e3779b9 | 0);
  const z2 = zobrist(n + codes.size + 1, 0x7f4a7c15);
  let h1 = 0;
  let h2 = 0;
  let state = 0;
  let finite = 0;
  for (const op of ops) if (op.ret !== Number.POSITIVE_INFINITY) finite++;
  const cache = new Map<number, { bits: Uint32Array; state: number }[]>();
  /** Remembers (linearized ∪ {i}, new state); false when it was explored already. */
  const remember = (i: number, s: number): boolean => {
    const key = (h1 ^ z1[i]! ^ z1[n + s]!) * 0x400_0000 + (h2 ^ z2[i]! ^ z2[n + s]!);
    bits[i >>> 5]! |= 1 << (i & 31);
    const seen = cache.get(key);
    const found = seen?.some((c) => c.state === s && sameBits(c.bits, bits)) ?? false;
    if (!found) {
      const entry = { bits: bits.slice(), state: s };
      if (seen === undefined) cache.set(key, [entry]);
      else seen.push(entry);
    }
    bits[i >>> 5]! &= ~(1 << (i & 31));
    return !found;
  };
  interface Frame {
    readonly op: number;
    readonly before: number;
    /** The other writes this level could try, and the next one to try; null for a forced read. */
    readonly writes: number[] | null;
    readonly next: number;
  }
  const stack: Frame[] = [];
  const apply = (i: number, writes: number[] | null, next: number) => {
    stack.push({ op: i, before: state, writes, next });
    if (ops[i]!.write) state = value[i]!;
    bits[i >>> 5]! |= 1 << (i & 31);
    h1 ^= z1[i]!;
    h2 ^= z2[i]!;
    if (ops[i]!.ret !== Number.POSITIVE_INFINITY) finite--;
    list.lift(i);
  };
  const undo = (f: Frame) => {
    const i = f.op;
    state = f.before;
    bits[i >>> 5]! &= ~(1 << (i & 31));
    h1 ^= z1[i]!;
    h2 ^= z2[i]!;
    if (ops[i]!.ret !== Number.POSITIVE_INFINITY) finite++;
    list.unlift(i);
  };
  /** Tries the level's writes from `from`; true when one led somewhere new. */
  const tryWrites = (writes: number[], from: number): boolean => {
    for (let k = from; k < writes.length; k++) {
      const w = writes[k]!;
      if (remember(w, value[w]!)) {
        apply(w, writes, k + 1);
        return true;
      }
    }
    return false;
  };
  /** Undoes choices back to one with an untried write, and takes it; false when none is left. */
  const backtrack = (): boolean => {
    for (;;) {
      const f = stack.pop();
      if (f === undefined) return false;
      undo(f);
      if (f.writes !== null && tryWrites(f.writes, f.next)) return true;
    }
  };
  for (;;) {
    if (finite === 0) return true;
    if (--budget.steps < 0) return null;
    const read = list.firstCallable((i) => !ops[i]!.write && value[i] === state);
    let moved: boolean;
    if (read !== -1) {
      moved = remember(read, state);
      if (moved) apply(read, null, 0);
    } else moved = tryWrites(writeChoices(list, ops, value), 0);
    if (!moved && !backtrack()) return false;
  }
}

/** The writes that may go next, one per value: the one answered first, most urgent first. */
function writeChoices(list: EventList, ops: readonly RegisterOp[], value: Int32Array): number[] {
  const best = new Map<number, number>();
  list.firstCallable((i) => {
    if (!ops[i]!.write) return false;
    const other = best.get(value[i]!);
    if (other === undefined || ops[i]!.ret < ops[other]!.ret) best.set(value[i]!, i);
    return false;
  });
  return [...best.values()].sort((a, b) => ops[a]!.ret - ops[b]!.ret || a - b);
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

  constructor(ops: readonly RegisterOp[]) {
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
 * Leaves out the reads whose value only the dropped writes wrote: a read stays in a witness with
 * a write that explains it, or alone when no write of the history wrote its value at all.
 */
export function closed(ops: readonly RegisterOp[], everWritten: ReadonlySet<string>): RegisterOp[] {
  const written = new Set<string>();
  for (const op of ops) if (op.write && op.value !== null) written.add(op.value);
  return ops.filter(
    (op) => op.write || op.value === null || written.has(op.value) || !everWritten.has(op.value),
  );
}

/** Beyond this many operations the witness is narrowed by prefixes and suffixes first. */
const GREEDY_MAX = 200;

/**
 * The smallest set of operations that cannot be ordered: starting from a non-linearizable set,
 * drop each operation (and the reads it alone explained) while what is left stays
 * non-linearizable. The result is minimal: dropping any one more makes it linearizable (or
 * undecided within the budget).
 */
export function minimalWitness(ops: readonly RegisterOp[], budget: Budget): RegisterOp[] {
  const fails = (set: readonly RegisterOp[]) => decide(set, budget) === false;
  const everWritten = new Set<string>();
  for (const op of ops) if (op.write && op.value !== null) everWritten.add(op.value);
  const close = (set: readonly RegisterOp[]) => closed(set, everWritten);
  let set = [...ops].sort((a, b) => a.inv - b.inv);
  if (set.length > GREEDY_MAX) set = narrow(set, fails, close);
  // Passes until none drops anything: a drop can make an earlier-kept operation unnecessary.
  for (let dropped = true; dropped; ) {
    dropped = false;
    for (let i = set.length - 1; i >= 0 && set.length > 1; i--) {
      if (i >= set.length) continue;
      const without = close([...set.slice(0, i), ...set.slice(i + 1)]);
      if (without.length > 0 && fails(without)) {
        set = without;
        dropped = true;
      }
    }
  }
  return set;
}

/** The shortest failing prefix (by invocation), then the shortest failing suffix of it. */
function narrow(
  set: RegisterOp[],
  fails: (set: readonly RegisterOp[]) => boolean,
  close: (set: readonly RegisterOp[]) => RegisterOp[],
): RegisterOp[] {
  const shortest = (make: (k: number) => RegisterOp[]): RegisterOp[] => {
    let lo = 1;
    let hi = set.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (fails(make(mid))) hi = mid;
      else lo = mid + 1;
    }
    const found = make(hi);
    return fails(found) ? found : set;
  };
  set = shortest((k) => close(set.slice(0, k)));
  set = shortest((k) => close(set.slice(set.length - k)));
  return set;
}
