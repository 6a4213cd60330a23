// Linearizability of one key's register operations by the Wing–Gong search as Lowe refined it (the
// one Porcupine uses): walk the history's calls and returns in real-time order, linearize a call
// whose effect the register allows, backtrack at a return whose operation is not yet linearized,
// and never enter twice the same (set of linearized operations, register value). Which operations
// count is the caller's reading: the checker decides a key with it when its own search runs out,
// and the differential tests' reference decides every key of more than ten operations with it.
//
// Four reductions keep long keys to milliseconds; each keeps some legal order if there is one
// (the argument is beside its code): a write never answered, which may take effect any time after
// its call or never, is placed only right before a read of its value, and such writes of one
// value oldest first; a read that matches the register, or else an answered write whose value no
// read left returns, is placed without trying the others; and values no read left returns are
// one value to the memo.

/** An operation as the register sees it (a never-answered read constrains nothing: leave it out). */
export interface WglOp {
  readonly kind: 'write' | 'read';
  /** Written, or read (null: absent). */
  readonly value: string | null;
  readonly invokedSeq: number;
  /** null: never answered (a write that may take effect later, or never). */
  readonly completedSeq: number | null;
}

/** Steps (calls tried and backtracks) one key may take before it is left undecided. */
export const WGL_STEP_BUDGET = 2_000_000;

/** The answer for one key: true or false, or null when the budget ran out first. */
export type WglDecision = boolean | null;

/**
 * The history as a doubly linked list of entries: a call for every operation, a return for every
 * answered one (an unanswered write has none: it may take effect any time after its call, or
 * never). Entry 0 is the head, entry `count + 1` the tail.
 */
interface Entries {
  readonly next: Int32Array;
  readonly prev: Int32Array;
  /** The operation's index in `ops`. */
  readonly op: Int32Array;
  /** For a call, its return entry (0 when it has none); -1 marks a return. */
  readonly returnOf: Int32Array;
  readonly tail: number;
}

function entries(ops: readonly WglOp[]): Entries {
  const list: { seq: number; isCall: boolean; op: number }[] = [];
  ops.forEach((o, i) => {
    list.push({ seq: o.invokedSeq, isCall: true, op: i });
    if (o.completedSeq !== null) list.push({ seq: o.completedSeq, isCall: false, op: i });
  });
  // A call at the place of a return is concurrent with it: calls first.
  list.sort((a, b) => a.seq - b.seq || Number(b.isCall) - Number(a.isCall));
  const tail = list.length + 1;
  const next = new Int32Array(tail + 1);
  const prev = new Int32Array(tail + 1);
  const op = new Int32Array(tail + 1);
  const returnOf = new Int32Array(tail + 1);
  const callEntry = new Int32Array(ops.length);
  list.forEach((e, k) => {
    const at = k + 1;
    next[at] = at + 1;
    prev[at] = at - 1;
    op[at] = e.op;
    if (e.isCall) callEntry[e.op] = at;
    else {
      returnOf[at] = -1;
      returnOf[callEntry[e.op]!] = at;
    }
  });
  next[0] = 1;
  prev[tail] = tail - 1;
  return { next, prev, op, returnOf, tail };
}

/** Values as small numbers, 0 for "absent". */
function valueCodes(ops: readonly WglOp[]): number[] {
  const codes = new Map<string, number>();
  return ops.map((o) => {
    if (o.value === null) return 0;
    const known = codes.get(o.value);
    if (known !== undefined) return known;
    codes.set(o.value, codes.size + 1);
    return codes.size;
  });
}

/**
 * The operations linearized so far, and the key that names a configuration in the memo. An
 * unanswered write none of whose value's reads is left can never be placed again (it needs one
 * right after it), so whether it was placed leaves the rest of the search as it is: the key
 * leaves it out, else every such write would double the configurations for the rest of the run.
 */
class Linearized {
  private readonly bits: Uint32Array;
  /** The operations the key shows: all but the unanswered writes no read can follow any more. */
  private readonly shown: Uint32Array;
  /** For each value, the reads of it not yet linearized. */
  private readonly readsLeft: Int32Array;
  /** For each value, the unanswered writes of it. */
  private readonly unanswered: number[][];

  constructor(
    ops: readonly WglOp[],
    private readonly value: readonly number[],
  ) {
    const words = Math.ceil(ops.length / 32) + 1;
    this.bits = new Uint32Array(words);
    this.shown = new Uint32Array(words).fill(0xffff_ffff);
    const values = Math.max(0, ...value) + 1;
    this.readsLeft = new Int32Array(values);
    this.unanswered = Array.from({ length: values }, () => []);
    ops.forEach((o, i) => {
      if (o.kind === 'read') this.readsLeft[value[i]!]!++;
      else if (o.completedSeq === null) this.unanswered[value[i]!]!.push(i);
    });
    for (let v = 0; v < values; v++) if (this.readsLeft[v] === 0) this.show(v, false);
  }

  /** Marks operation i linearized (or no longer), a read keeping count of its value's reads. */
  flip(i: number, isRead: boolean) {
    this.bits[i >>> 5]! ^= 1 << (i & 31);
    if (!isRead) return;
    const v = this.value[i]!;
    const placed = this.has(i);
    this.readsLeft[v]! += placed ? -1 : 1;
    if (this.readsLeft[v] === (placed ? 0 : 1)) this.show(v, !placed);
  }

  /** No read left returns this value. */
  unread(v: number): boolean {
    return this.readsLeft[v] === 0;
  }

  has(i: number): boolean {
    return ((this.bits[i >>> 5]! >>> (i & 31)) & 1) === 1;
  }

  /**
   * The configuration's name. A value no read left returns is named as one: from there on no
   * read can follow until a write, whichever of those values the register holds.
   */
  key(state: number, awaitingRead: boolean): string {
    let key = `${this.readsLeft[state] === 0 ? -1 : state}|${awaitingRead ? 1 : 0}`;
    for (let w = 0; w < this.bits.length; w++) key += `,${this.bits[w]! & this.shown[w]!}`;
    return key;
  }

  private show(v: number, shown: boolean) {
    for (const i of this.unanswered[v]!)
      if (shown) this.shown[i >>> 5]! |= 1 << (i & 31);
      else this.shown[i >>> 5]! &= ~(1 << (i & 31));
  }
}

/**
 * For each write never answered, the one of the same value called just before it (-1: none).
 * Such writes are used oldest first: a legal order that uses a younger one while an older stays
 * unused stays legal with the two swapped (both may take effect any time after their calls), so
 * the search never has to tell which of them it used, only how many.
 */
function earlierUnanswered(ops: readonly WglOp[], value: readonly number[]): number[] {
  const last = new Map<number, number>();
  const before = ops.map(() => -1);
  const byCall = ops.map((_, i) => i).sort((a, b) => ops[a]!.invokedSeq - ops[b]!.invokedSeq);
  for (const i of byCall) {
    const o = ops[i]!;
    if (o.kind !== 'write' || o.completedSeq !== null) continue;
    before[i] = last.get(value[i]!) ?? -1;
    last.set(value[i]!, i);
  }
  return before;
}

interface Frame {
  /** The call linearized. */
  readonly call: number;
  /** The register's value and `awaitingRead` before it. */
  readonly state: number;
  readonly awaitingRead: boolean;
  /** Taken without trying the others: when it fails, so does the configuration. */
  readonly forced: boolean;
}

/**
 * True when some order of `ops` respects real time and a register's values; null: undecided.
 * When true, `order` (if given) receives that order, as indices into `ops`.
 */
export function wglLinearizable(
  ops: readonly WglOp[],
  budget: { steps: number } = { steps: WGL_STEP_BUDGET },
  order?: number[],
): WglDecision {
  const { next, prev, op, returnOf, tail } = entries(ops);
  const value = valueCodes(ops);
  const isWrite = ops.map((o) => o.kind === 'write');
  const unlink = (e: number) => {
    next[prev[e]!] = next[e]!;
    prev[next[e]!] = prev[e]!;
  };
  const relink = (e: number) => {
    next[prev[e]!] = e;
    prev[next[e]!] = e;
  };
  const linearized = new Linearized(ops, value);
  const before = earlierUnanswered(ops, value);
  // Placed only right before a read of its value: in a legal order, an unanswered write can move
  // later (nothing has to follow it in real time) up to the first read after it; if a write comes
  // first or no read does, it changed nothing anyone saw and can be left out.
  const seen = new Set<string>();
  const stack: Frame[] = [];
  let returnsLeft = ops.filter((o) => o.completedSeq !== null).length;
  let state = 0;
  // The last operation linearized is a write never answered: only a read of its value may follow.
  let awaitingRead = false;
  /** Linearizes the call at `e` unless that reaches a configuration already seen (false). */
  const place = (e: number, forced: boolean): boolean => {
    const i = op[e]!;
    const after = isWrite[i] ? value[i]! : state;
    const unanswered = isWrite[i]! && returnOf[e] === 0;
    linearized.flip(i, !isWrite[i]);
    const memo = linearized.key(after, unanswered);
    if (seen.has(memo)) {
      linearized.flip(i, !isWrite[i]);
      return false;
    }
    seen.add(memo);
    stack.push({ call: e, state, awaitingRead, forced });
    state = after;
    awaitingRead = unanswered;
    unlink(e);
    if (returnOf[e]! > 0) {
      unlink(returnOf[e]!);
      returnsLeft--;
    }
    return true;
  };
  /** Undoes the last call linearized; the call's entry, or 0 when none is left to undo. */
  const undo = (): number => {
    for (;;) {
      const top = stack.pop();
      if (top === undefined) return 0;
      state = top.state;
      awaitingRead = top.awaitingRead;
      linearized.flip(op[top.call]!, !isWrite[op[top.call]!]);
      if (returnOf[top.call]! > 0) {
        relink(returnOf[top.call]!);
        returnsLeft++;
      }
      relink(top.call);
      if (!top.forced) return top.call;
    }
  };
  /**
   * A call to take without trying the others, 0 when none: a read that may go now and matches
   * the register (any legal order stays legal with it moved to the front: no operation left had
   * to end before it began); else an answered write no read left returns (none can match the
   * register now, so a legal order goes on with a write, and stays legal with this one first).
   */
  const forcedNow = (): number => {
    let blind = 0;
    for (let e = next[0]!; returnOf[e]! >= 0; e = next[e]!) {
      const i = op[e]!;
      if (!isWrite[i] && value[i] === state) return e;
      if (blind === 0 && isWrite[i] && returnOf[e]! > 0 && linearized.unread(value[i]!)) blind = e;
    }
    return awaitingRead ? 0 : blind;
  };
  let entry = 0;
  for (; budget.steps > 0; budget.steps--) {
    if (returnsLeft === 0) {
      if (order !== undefined) for (const f of stack) order.push(op[f.call]!);
      return true;
    }
    if (entry === 0) {
      // A new configuration: a forced call if there is one, else a write, if allowed.
      const forced = forcedNow();
      if (forced !== 0 && place(forced, true)) continue;
      if (forced !== 0 || awaitingRead) {
        entry = undo();
        if (entry === 0) return false;
        entry = next[entry]!;
        continue;
      }
      entry = next[0]!;
    }
    // A return not yet linearized always lies between the head and the tail.
    if (entry === tail) throw new Error('wgl: walked past the last return');
    if (returnOf[entry]! >= 0) {
      // A call: a write goes here if this configuration is new (unanswered ones oldest first).
      const i = op[entry]!;
      const oldest = returnOf[entry]! > 0 || before[i]! < 0 || linearized.has(before[i]!);
      if (isWrite[i] && oldest && place(entry, false)) entry = 0;
      else entry = next[entry]!;
      continue;
    }
    // A return whose operation is not linearized: undo the last choice and try the next call.
    entry = undo();
    if (entry === 0) return false;
    entry = next[entry]!;
  }
  return null;
}
