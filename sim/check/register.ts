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
 * The timestamp order as a linearization: versions by ts, each write followed by the reads that
 * returned its version (in invocation order), reads of ts 0 first. True when that order respects
 * real time and is legal for a register; false means only "not this order". `versionWriter` finds
 * the never-answered write a read's ts belongs to (from the replicas' applies), if any.
 */
export function fastPath(
  ops: readonly RegisterOp[],
  versionWriter: (ts: number) => RegisterOp | undefined = () => undefined,
): boolean {
  const writes: RegisterOp[] = [];
  const reads: RegisterOp[] = [];
  for (const op of ops) {
    if (!op.write) {
      if (op.ts === null) return false;
      reads.push(op);
    } else if (op.ret !== Number.POSITIVE_INFINITY) {
      if (op.ts === null) return false;
      writes.push(op);
    }
  }
  // Pending writes enter only when a read returned their version: otherwise they never took effect.
  const known = new Set<number>();
  for (const w of writes) known.add(w.ts!);
  if (known.size !== writes.length) return false;
  const taken = new Set<number>();
  for (const r of reads) {
    if (r.ts === 0 || known.has(r.ts!)) continue;
    const w = versionWriter(r.ts!);
    // A write takes effect once: a second version of the same request is not a register's.
    if (w === undefined || w.ret !== Number.POSITIVE_INFINITY || taken.has(w.id)) return false;
    taken.add(w.id);
    writes.push({ ...w, ts: r.ts });
    known.add(r.ts!);
  }
  writes.sort((a, b) => a.ts! - b.ts!);
  reads.sort((a, b) => a.ts! - b.ts! || a.inv - b.inv);
  let maxInv = -1;
  // Respects real time: nothing placed later finished before something placed earlier started.
  const place = (op: RegisterOp): boolean => {
    if (op.ret <= maxInv) return false;
    if (op.inv > maxInv) maxInv = op.inv;
    return true;
  };
  let r = 0;
  for (; r < reads.length && reads[r]!.ts === 0; r++) {
    if (reads[r]!.value !== null || !place(reads[r]!)) return false;
  }
  for (const w of writes) {
    if (r < reads.length && reads[r]!.ts! < w.ts!) return false;
    if (!place(w)) return false;
    for (; r < reads.length && reads[r]!.ts === w.ts; r++) {
      if (reads[r]!.value !== w.value || !place(reads[r]!)) return false;
    }
  }
  return r === reads.length;
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
 * Events are the calls and returns in sequence order (a never-answered write returns after
 * everything, which is the same as never taking effect). The search linearizes calls that come
 * before the next return, backtracking when a return is reached with its call not linearized.
 */
export function search(ops: readonly RegisterOp[], budget: Budget): boolean | null {
  const n = ops.length;
  if (n === 0) return true;
  // Values as small integers: 0 is "absent".
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
  // Entries 0..n-1 are calls, n..2n-1 returns; a doubly linked list in event order, 2n the head.
  const order = Array.from({ length: 2 * n }, (_, e) => e);
  const time = (e: number) => (e < n ? ops[e]!.inv : ops[e - n]!.ret);
  order.sort((a, b) => (time(a) < time(b) ? -1 : time(a) > time(b) ? 1 : a - b));
  const head = 2 * n;
  const next = new Int32Array(2 * n + 1);
  const prev = new Int32Array(2 * n + 1);
  let last = head;
  for (const e of order) {
    next[last] = e;
    prev[e] = last;
    last = e;
  }
  next[last] = -1;
  const lift = (i: number) => {
    for (const e of [i, i + n]) {
      next[prev[e]!] = next[e]!;
      if (next[e]! !== -1) prev[next[e]!] = prev[e]!;
    }
  };
  const unlift = (i: number) => {
    for (const e of [i + n, i]) {
      next[prev[e]!] = e;
      if (next[e]! !== -1) prev[next[e]!] = e;
    }
  };
  const words = (n + 31) >>> 5;
  const bits = new Uint32Array(words);
  const z1 = zobrist(n + codes.size + 1, 0x9e3779b9 | 0);
  const z2 = zobrist(n + codes.size + 1, 0x7f4a7c15);
  let h1 = 0;
  let h2 = 0;
  let state = 0;
  const cache = new Map<number, { bits: Uint32Array; state: number }[]>();
  /** Remembers (linearized ∪ {i}, new state); false when it was already explored. */
  const remember = (i: number, s: number): boolean => {
    const k1 = h1 ^ z1[i]! ^ z1[n + s]!;
    const k2 = h2 ^ z2[i]! ^ z2[n + s]!;
    const key = k1 * 0x400_0000 + k2;
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
  const stackOp: number[] = [];
  const stackState: number[] = [];
  const stackForced: boolean[] = [];
  const apply = (i: number, forced: boolean) => {
    stackOp.push(i);
    stackState.push(state);
    stackForced.push(forced);
    if (ops[i]!.write) state = value[i]!;
    bits[i >>> 5]! |= 1 << (i & 31);
    h1 ^= z1[i]!;
    h2 ^= z2[i]!;
    lift(i);
  };
  /** Undoes choices back to the last one that had alternatives; the entry to try next, or -2. */
  const backtrack = (): number => {
    for (;;) {
      const i = stackOp.pop();
      if (i === undefined) return -2;
      state = stackState.pop()!;
      const forced = stackForced.pop()!;
      bits[i >>> 5]! &= ~(1 << (i & 31));
      h1 ^= z1[i]!;
      h2 ^= z2[i]!;
      unlift(i);
      if (!forced) return next[i]!;
    }
  };
  let entry = next[head]!;
  let fresh = true;
  while (next[head]! !== -1) {
    if (--budget.steps < 0) return null;
    if (fresh) {
      // A read legal now is taken at once: any order that works has one that takes it first.
      fresh = false;
      let read = -1;
      for (let e = next[head]!; e !== -1 && e < n; e = next[e]!) {
        if (!ops[e]!.write && value[e] === state) {
          read = e;
          break;
        }
      }
      if (read !== -1) {
        if (remember(read, state)) {
          apply(read, true);
          entry = next[head]!;
          fresh = true;
          continue;
        }
        entry = backtrack();
        if (entry === -2) return false;
        continue;
      }
    }
    if (entry !== -1 && entry < n) {
      const i = entry;
      if (ops[i]!.write && remember(i, value[i]!)) {
        apply(i, false);
        entry = next[head]!;
        fresh = true;
      } else entry = next[i]!;
      continue;
    }
    // A return whose call is not linearized (or the end): this prefix cannot go on.
    entry = backtrack();
    if (entry === -2) return false;
  }
  return true;
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
  const fails = (set: readonly RegisterOp[]) => search(set, budget) === false;
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
