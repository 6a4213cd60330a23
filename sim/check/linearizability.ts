// Per-key linearizability, informative: the replicated store does not promise it (anomaly A4).
// Each key is one register (PROTOCOL.md §3), decided by register.ts: the timestamp order first,
// the complete search when that order fails, then Wing and Gong's walk (wgl.ts), and a work bound
// that ends in "not judged" naming the key. A finding names the smallest set of operations that
// cannot be ordered, and why.

import type { Operation } from '../kernel/history.ts';
import { type CertifiedOp, certificateFault, historyCertifier } from './certificate.ts';
import {
  hasBound,
  localCore,
  minimalWitness,
  type OpView,
  REGISTER_VIEW,
  type RegisterOp,
  type Sources,
  type Stamped,
  search,
  sourcesOf,
  stamped,
  timestampOrder,
  timestampZones,
  wglOp,
  zones,
  zonesWithNulls,
} from './register.ts';
import type { Checker, CheckInput, Linearization, Violation } from './types.ts';
import {
  ACKNOWLEDGED,
  applyColumns,
  type Columns,
  columns,
  REGISTER,
  reused,
  VERSIONED,
  WRITE,
} from './versions.ts';
import { wglLinearizable } from './wgl.ts';
import { opIds, opText } from './words.ts';

/** Search steps one key may take before it is left undecided. */
export const SEARCH_BOUND_STEPS = 2_000_000;
/** Search steps spent on shrinking one key's witness. */
const WITNESS_BOUND_STEPS = 2_000_000;

/**
 * The register's view of the history's operations, key by key: row r is one operation that
 * constrains the register (every write, the answered GETs), each key's rows together and in
 * history order. Laid out from the columns every checker shares (versions.ts), which read the
 * register's view of each operation in their one walk: the deciders read rows, never the
 * operations again (on a long history each walk over them costs more than reading the rows).
 * The rows live in the checkers' reused arrays, valid until the next history's are read.
 */
/** A key's rows in Records, and its number in the shared columns. */
interface KeyRows {
  readonly start: number;
  readonly end: number;
  readonly number: number;
}

class Records implements OpView<number> {
  /** Each row's index in the history. */
  private readonly at: Int32Array;
  private readonly writes: Uint8Array;
  private readonly invs: Float64Array;
  /** Infinity for a write not acknowledged (never answered, or refused: see `bounds`). */
  private readonly rets: Float64Array;
  /** NaN for none (a write never answered). */
  private readonly tss: Float64Array;
  /** A refused write's answer (RegisterOp.bound); NaN for every other row. */
  private readonly bounds: Float64Array;
  private readonly ids: Float64Array;
  /** By history index. */
  private readonly values: readonly (string | null)[];
  /** Each key's rows, `[start, end)`, and its number in the columns; keys in the order of their first row. */
  readonly keys = new Map<string, KeyRows>();
  /** How many rows all the keys have. */
  readonly rowCount: number;
  /** 0, 1, 2, …: a key's rows as a list are a piece of it. */
  private readonly counting: Int32Array;

  constructor(
    readonly history: readonly Operation[],
    c: Columns,
  ) {
    const n = history.length;
    const { flags, keyOf } = c;
    this.values = c.registerValue;
    // Keys numbered in the order of their first operation that constrains the register.
    const linKey = new Int32Array(c.keyCount).fill(-1);
    const keyNumbers: number[] = [];
    const counts: number[] = [];
    for (let i = 0; i < n; i++) {
      if ((flags[i]! & REGISTER) === 0) continue;
      const key = keyOf[i]!;
      let k = linKey[key]!;
      if (k < 0) {
        k = keyNumbers.length;
        linKey[key] = k;
        keyNumbers.push(key);
        counts.push(0);
      }
      counts[k]!++;
    }
    // Laid out key by key: a counting sort.
    const next: number[] = [];
    let rows = 0;
    for (let k = 0; k < keyNumbers.length; k++) {
      next.push(rows);
      const number = keyNumbers[k]!;
      this.keys.set(c.keyNames[number]!, { start: rows, end: rows + counts[k]!, number });
      rows += counts[k]!;
    }
    this.at = reused.ints('lin.at', rows);
    this.writes = reused.bytes('lin.rowWrite', rows);
    this.invs = reused.floats('lin.rowInv', rows);
    this.rets = reused.floats('lin.rowRet', rows);
    this.tss = reused.floats('lin.rowTs', rows);
    this.bounds = reused.floats('lin.rowBound', rows);
    this.ids = reused.floats('lin.rowId', rows);
    const { version, invokedSeq, completedSeq, id } = c;
    for (let i = 0; i < n; i++) {
      const f = flags[i]!;
      if ((f & REGISTER) === 0) continue;
      const r = next[linKey[keyOf[i]!]!]!++;
      const write = (f & WRITE) !== 0;
      // A GET here is answered; a write is, when acknowledged.
      const answered = !write || (f & ACKNOWLEDGED) !== 0;
      this.at[r] = i;
      this.writes[r] = write ? 1 : 0;
      this.invs[r] = invokedSeq[i]!;
      this.rets[r] = answered ? completedSeq[i]! : Number.POSITIVE_INFINITY;
      this.tss[r] = answered && (f & VERSIONED) !== 0 ? version[i]! : Number.NaN;
      // A write answered, but not PUT_OK/DELETE_OK (a completion is never place 0, a call's).
      this.bounds[r] = !answered && completedSeq[i]! > 0 ? completedSeq[i]! : Number.NaN;
      this.ids[r] = id[i]!;
    }
    this.rowCount = rows;
    this.counting = reused.ints('lin.counting', rows);
    for (let r = 0; r < rows; r++) this.counting[r] = r;
  }

  write(r: number): boolean {
    return this.writes[r] === 1;
  }
  value(r: number): string | null {
    return this.values[this.at[r]!]!;
  }
  inv(r: number): number {
    return this.invs[r]!;
  }
  ret(r: number): number {
    return this.rets[r]!;
  }
  ts(r: number): number | null {
    const ts = this.tss[r]!;
    return Number.isNaN(ts) ? null : ts;
  }
  id(r: number): number {
    return this.ids[r]!;
  }
  bound(r: number): number | undefined {
    const bound = this.bounds[r]!;
    return Number.isNaN(bound) ? undefined : bound;
  }

  /** A key's rows as a list. */
  rows(key: KeyRows): Int32Array {
    return this.counting.subarray(key.start, key.end);
  }

  /** The row of a key's holding the history's operation `i`, or -1 when none does. */
  rowOf(key: KeyRows, i: number): number {
    // A key's rows are in history order: a binary search, for the rare version no answered
    // write has, rather than an index of every operation's row made at every check.
    let lo = key.start;
    let hi = key.end - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = this.at[mid]!;
      if (at === i) return mid;
      if (at < i) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /**
   * A key's operations by id, as a witness's sentence asks for them: the witness's own found at
   * once, the rest of the key (a write the sentence names besides) only if one of them is asked for.
   */
  byId(
    rows: Int32Array,
    witness: readonly RegisterOp[],
  ): { get(id: number): Operation | undefined } {
    const wanted = new Set(witness.map((o) => o.id));
    const own = new Map<number, Operation>();
    for (const r of rows)
      if (wanted.has(this.ids[r]!)) own.set(this.ids[r]!, this.history[this.at[r]!]!);
    let all: Map<number, Operation> | null = null;
    return {
      get: (id) => {
        const found = own.get(id);
        if (found !== undefined) return found;
        all ??= new Map(
          Array.from(rows, (r) => [this.ids[r]!, this.history[this.at[r]!]!] as const),
        );
        return all.get(id);
      },
    };
  }
}

/**
 * The register's own records of a key's operations, for the exact decision, a refused write with
 * its answer as its `bound`. A write not acknowledged whose value no read returned is left out:
 * it can always be the "never" case. `pool`: records to refill, by row (see `kept`), else null
 * for records of their own.
 */
function registerOps(records: Records, rows: Int32Array, pool: Refilled[] | null): RegisterOp[] {
  // The values of the writes not acknowledged (most keys have none: then no value is gathered),
  // and of those the ones some read returned.
  let pending: Set<string | null> | null = null;
  for (const r of rows)
    if (records.write(r) && records.ret(r) === Number.POSITIVE_INFINITY) {
      pending ??= new Set();
      pending.add(records.value(r));
    }
  const read = new Set<string | null>();
  if (pending !== null)
    for (const r of rows)
      if (!records.write(r) && pending.has(records.value(r))) read.add(records.value(r));
  // Made at its longest (every row) and cut to what it holds: pushed one at a time, the list was
  // copied as it grew, fresh memory for each key of each check.
  const all = new Array<RegisterOp>(rows.length);
  let n = 0;
  for (const r of rows) {
    const write = records.write(r);
    const ret = records.ret(r);
    const value = records.value(r);
    if (write && ret === Number.POSITIVE_INFINITY && !read.has(value)) continue;
    const id = records.id(r);
    const inv = records.inv(r);
    const ts = records.ts(r);
    const bound = records.bound(r);
    if (bound !== undefined) all[n++] = { id, write, value, inv, ret, ts, bound };
    else if (pool === null) all[n++] = { id, write, value, inv, ret, ts };
    else {
      let op = pool[r];
      if (op === undefined) {
        op = { id, write, value, inv, ret, ts };
        pool[r] = op;
      } else {
        op.id = id;
        op.write = write;
        op.value = value;
        op.inv = inv;
        op.ret = ret;
        op.ts = ts;
      }
      all[n++] = op;
    }
  }
  all.length = n;
  return all;
}

/** A RegisterOp the check refills from one history to the next (see `kept`). */
type Refilled = { -readonly [K in keyof RegisterOp]: RegisterOp[K] };

/**
 * The check's RegisterOps, kept from one history to the next: row r's is `kept[r]`, so no two
 * keys of a check share one. Made afresh, the 100,000 of the bench's recorded run took about
 * 35 ms of its 85 ms check, nearly all of it the fresh memory they took and the collections that
 * moved them; refilled, a few ms. None outlives its check: a witness is named by its operations'
 * ids and put in words before the check returns, and each key's records come in a list of their
 * own (what the searches' memos are kept by); their values are emptied when the check is done
 * (`emptyKept`), so that none keeps a history's strings alive. Let go when far longer than a
 * history needs, as versions.ts lets go of its reused arrays.
 */
let kept: Refilled[] = [];
/** Rows of `kept` from this one on hold no history's value. */
let keptFilled = 0;

/** `kept`, made ready for a history of `rows` register rows. */
function keptFor(rows: number): Refilled[] {
  if (kept.length > 4 * rows + (1 << 16)) kept = [];
  keptFilled = Math.max(keptFilled, rows);
  return kept;
}

/** Empties the values `kept`'s records were refilled with (a check's last step). */
function emptyKept(): void {
  const to = Math.min(keptFilled, kept.length);
  for (let r = 0; r < to; r++) {
    const op = kept[r];
    if (op !== undefined) op.value = null;
  }
  keptFilled = 0;
}

/** Each key's operations as the register's records (what the exact decision reads). */
export function registerHistories(operations: readonly Operation[]): Map<string, RegisterOp[]> {
  const records = new Records(operations, columns({ operations, applies: [] }));
  return new Map(
    [...records.keys].map(
      ([key, rows]) => [key, registerOps(records, records.rows(rows), null)] as const,
    ),
  );
}

/**
 * Which write a replica stored under a key's version, from the replicas' applies as every checker
 * reads them (versions.ts resolves each apply to its write): its index in the history, for the
 * latest apply of that version (made once, when first asked).
 */
function versionWriters(input: CheckInput): (key: number, ts: number) => number | undefined {
  let index: Map<number, Map<number, number>> | null = null;
  return (key, ts) => {
    if (index === null) {
      index = new Map();
      const { keyOf, ts: stored, write } = applyColumns(input);
      for (let a = 0; a < write.length; a++) {
        if (write[a]! < 0) continue;
        let versions = index.get(keyOf[a]!);
        if (versions === undefined) {
          versions = new Map();
          index.set(keyOf[a]!, versions);
        }
        versions.set(stored[a]!, write[a]!);
      }
    }
    return index.get(key)?.get(ts);
  };
}

/**
 * The key without its DELETEs and NULL reads, when it has some and every PUT wrote its own value
 * (else null). Each read left keeps the one write of its value, so any order of the whole key,
 * restricted to these, is still legal: when the zones find none for them (O(n log n)), the whole
 * key has none. This decides keys whose NULLs make the zones inapplicable and whose hundreds of
 * concurrent operations no search could get through (a crowded key under the seed's design).
 */
function valuesOnly(ops: readonly RegisterOp[]): RegisterOp[] | null {
  const values = ops.filter((o) => o.value !== null);
  return values.length === ops.length || values.length === 0 ? null : values;
}

export type KeyDecision =
  /** `order`: the key's operation ids in an order certificate.ts accepts (its certificate). */
  | { readonly kind: 'linearizable'; readonly by: 'search'; readonly order: readonly number[] }
  | { readonly kind: 'not-linearizable'; readonly witness: readonly RegisterOp[] }
  /** `fault`: the search's order failed its check (a fault in the checker, never a verdict). */
  | { readonly kind: 'unknown'; readonly operations: number; readonly fault?: string };

/**
 * A key with a refused write (RegisterOp.bound): decided by the segment search, the one decider
 * that reads the bound; the zones, the local proofs and the walk, which take the write as free to
 * land any time after its invocation, may still prove "not" (what they cannot order, the bound
 * cannot).
 */
function decideBounded(ops: readonly RegisterOp[], bound: number): KeyDecision {
  const order: RegisterOp[] = [];
  let found = zones(ops) === false ? false : search(ops, { steps: bound / 2 }, order);
  // A local proof when the search ran out (dozens of concurrent writes), as decideKey asks; then
  // the walk, which takes a refused write as never answered (a relaxation: its "no" holds).
  const local = found === null ? localCore(ops, { steps: bound / 4 }) : null;
  if (local !== null) found = false;
  else if (found === null && wglLinearizable(ops.map(wglOp), { steps: bound }) === false)
    found = false;
  if (found === true) return certified(ops, order);
  if (found === null) return { kind: 'unknown', operations: ops.length };
  const witness = minimalWitness(local ?? ops, { steps: WITNESS_BOUND_STEPS });
  return { kind: 'not-linearizable', witness };
}

/** "Linearizable" with its order once certificate.ts accepts it, else "unknown" with the fault. */
function certified(ops: readonly CertifiedOp[], order: readonly RegisterOp[]): KeyDecision {
  return certifiedIds(
    ops,
    order.map((o) => o.id),
  );
}

/** `certified`, the order given by its operations' ids. */
function certifiedIds(ops: readonly CertifiedOp[], ids: readonly number[]): KeyDecision {
  const fault = certificateFault(ops, ids);
  return fault === null
    ? { kind: 'linearizable', by: 'search', order: ids }
    : { kind: 'unknown', operations: ops.length, fault };
}

/**
 * One key's verdict from the register's records: the zones when every PUT wrote its own value;
 * else the zones over the timestamps' mapping (a proof of "linearizable"); when PUT values are
 * unique but NULLs are ambiguous, the zones without the NULLs and DELETEs (a proof of "not"), then
 * the zones over each choice of tombstone for the NULLs (exact); a short search; a local set of
 * operations that proves "not" (for keys whose search would try every order of dozens of
 * concurrent writes, and for the smallest witness); then a longer search; within `bound` steps.
 * Each way to "linearizable" also gives an order, checked by certificate.ts before it is believed.
 * `key`: the key's reads and acknowledged writes in columns (`stamped`), when the caller has read
 * them already (null: one carries no ts); read here when the zones over the timestamps ask.
 */
export function decideKey(
  ops: readonly RegisterOp[],
  bound = SEARCH_BOUND_STEPS,
  key?: Stamped | null,
): KeyDecision {
  if (hasBound(ops)) return decideBounded(ops, bound);
  const order: RegisterOp[] = [];
  const quick = zones(ops, order);
  if (quick === true) return certified(ops, order);
  if (quick === undefined) {
    // The key in columns, as the checker read them for the timestamp order, or read here.
    const read = key === undefined ? stamped(ops, REGISTER_VIEW) : key;
    const byTimestamp = read === null ? undefined : timestampZones(read);
    if (byTimestamp !== undefined) return certifiedIds(ops, byTimestamp);
  }
  // A short search first: most keys end there.
  let found: boolean | null = quick === false ? false : search(ops, { steps: bound / 20 }, order);
  let core: readonly RegisterOp[] = ops;
  let local: RegisterOp[] | null = null;
  if (found === null) {
    // The zones without the NULLs (a proof of "not"), then over the choices of tombstone (exact).
    const values = valuesOnly(ops);
    if (values !== null && zones(values) === false) {
      found = false;
      core = values;
    } else found = zonesWithNulls(ops, { steps: bound / 5 }, order) ?? null;
    if (found === true) return certified(ops, order);
    // A local proof: it decides keys whose search would try every order of dozens of concurrent
    // writes, and it is the smallest witness when the key is known not to be linearizable.
    local = localCore(ops, { steps: bound / 4 });
    if (local !== null) found = false;
    else found ??= search(ops, { steps: bound / 2 }, order);
    // Last, Wing and Gong's walk with Lowe's memo and its reductions for writes never answered:
    // it decides in milliseconds some keys the search above leaves open (dozens of pending writes).
    if (found === null) {
      const walked: number[] = [];
      found = wglLinearizable(ops.map(wglOp), { steps: bound }, walked);
      for (const i of walked) order.push(ops[i]!);
    }
  }
  if (found === true) return certified(ops, order);
  if (found === null) return { kind: 'unknown', operations: ops.length };
  // Each shrinks to a set no operation can leave; without a local proof, the key without its
  // NULLs and the whole key may each give the smaller witness.
  const witnesses = (local !== null ? [local] : [...new Set([core, ops])]).map((set) =>
    minimalWitness(set, { steps: WITNESS_BOUND_STEPS }),
  );
  const smallest = witnesses.reduce((a, b) => (b.length < a.length ? b : a));
  return { kind: 'not-linearizable', witness: smallest };
}

type Judged = { violations: Violation[]; undecided?: string; linearizations: Linearization[] };

function check(input: CheckInput, bound: number): Judged {
  const certifier = historyCertifier(input.operations);
  // Done however the check ends: neither the certifier's kept columns, nor the reused room's
  // lists (the keys' stamped values), nor the kept RegisterOps then hold any of its values.
  try {
    return judgeKeys(input, bound, certifier);
  } finally {
    certifier.done();
    reused.emptyValues();
    emptyKept();
  }
}

function judgeKeys(
  input: CheckInput,
  bound: number,
  certifier: ReturnType<typeof historyCertifier>,
): Judged {
  const writers = versionWriters(input);
  const violations: Violation[] = [];
  const unknown: string[] = [];
  const linearizations: Linearization[] = [];
  /**
   * A key's order, once certificate.ts accepts it against the history's own records (which it
   * reads itself, never these rows). `operations`: how many of the key's the rows hold.
   */
  const certify = (key: string, operations: number, order: readonly number[]) => {
    const fault = certifier.fault(key, order);
    if (fault === null) linearizations.push({ key, order });
    else unknown.push(faultText(key, operations, fault));
  };
  const records = new Records(input.operations, columns(input));
  const pool = keptFor(records.rowCount);
  for (const [key, span] of records.keys) {
    const rows = records.rows(span);
    // The timestamp order first: near-linear, and most keys end there. A version no answered
    // write has may be a never-answered write's (found by its history index, then its row).
    const order: number[] = [];
    const writer = (ts: number) => {
      const i = writers(span.number, ts);
      const r = i === undefined ? -1 : records.rowOf(span, i);
      return r < 0 ? undefined : r;
    };
    // Read into columns once: for the timestamp order, and for the zones over the timestamps.
    const byTimestamp = stamped(rows, records, reused);
    if (byTimestamp !== null && timestampOrder(byTimestamp, records, writer, order)) {
      certify(key, rows.length, order);
      continue;
    }
    const regs = registerOps(records, rows, pool);
    const decision = decideKey(regs, bound, byTimestamp);
    if (decision.kind === 'linearizable') certify(key, rows.length, decision.order);
    else if (decision.kind === 'unknown') {
      unknown.push(
        decision.fault !== undefined
          ? faultText(key, decision.operations, decision.fault)
          : `key ${key} (${decision.operations} operations) was not decided within ${bound.toLocaleString('en')} search steps`,
      );
    } else if (decision.kind === 'not-linearizable') {
      const byId = records.byId(rows, decision.witness);
      const witness = decision.witness.map((r) => byId.get(r.id)!);
      const sentence = witnessSentence(witness, decision.witness, sourcesOf(regs), byId);
      violations.push(finding(key, witness, sentence));
    }
  }
  return unknown.length === 0
    ? { violations, linearizations }
    : { violations, undecided: unknown.join('; '), linearizations };
}

/** A key left not judged because the order the search found failed its check. */
function faultText(key: string, operations: number, fault: string): string {
  return `key ${key} (${operations} operations) was left not judged: the order the search found failed its check (${fault}), a fault in the checker`;
}

/** "1" or "no value (NULL)": a register's value in words. */
function valueText(value: string | null): string {
  return value === null ? 'no value (NULL)' : value;
}

function finding(key: string, witness: Operation[], why: string): Violation {
  // Visible once the last read is answered: every real-time step of the witness ends in a read's
  // answer or a write's issue, and a write's answer adds nothing a register could not reorder.
  const at = Math.max(
    ...witness.map((o) => (o.op === 'get' ? (o.completedAt ?? o.invokedAt) : o.invokedAt)),
  );
  return {
    guarantee: 'linearizability',
    ops: witness.map((o) => o.id),
    nodes: [
      ...new Set(witness.filter((o) => o.op === 'get' && o.server !== null).map((o) => o.server!)),
    ],
    at,
    sentence: `${why}: no order of ${key}'s operations respects real time and a register's values`,
  };
}

/**
 * Why the witness cannot be ordered, in the protocol's words: what finished before what started
 * (only the steps a chain needs), then what each read returned and which writes wrote it; for a
 * read whose other possible writes the witness leaves out, the write of the witness that came
 * between them and the read, or the two reads of one write around it. `sources`: the key's.
 */
export function witnessSentence(
  witness: readonly Operation[],
  regs: readonly RegisterOp[],
  sources: Sources,
  byId: { get(id: number): Operation | undefined },
): string {
  const named = new Set<number>();
  // The first mention names the operation in full, later ones by its id.
  const name = (op: Operation) => {
    if (named.has(op.id)) return `op ${op.id}`;
    named.add(op.id);
    return opText(op);
  };
  const nameReg = (r: RegisterOp) => name(byId.get(r.id)!);
  const facts: string[] = [];
  // a finished before b started with nothing between (no c after a and before b): exactly when
  // b started after a finished and no later than the first end among those that started after a
  // finished. Found in two passes a pair rather than a third over every c (on a witness of 5,000
  // operations that third pass took 25 s).
  // A refused write's end is its answer (it took effect by then, if at all).
  const end = (r: RegisterOp) => r.bound ?? r.ret;
  for (let i = 0; i < regs.length; i++) {
    const a = regs[i]!;
    let firstEnd = Number.POSITIVE_INFINITY;
    for (const c of regs) if (c.inv > end(a) && end(c) < firstEnd) firstEnd = end(c);
    for (let j = 0; j < regs.length; j++) {
      const b = regs[j]!;
      if (end(a) < b.inv && b.inv <= firstEnd)
        facts.push(`${name(witness[i]!)} finished before ${name(witness[j]!)} started`);
    }
  }
  for (let j = 0; j < regs.length; j++) {
    const r = regs[j]!;
    if (r.write) continue;
    const op = witness[j]!;
    const answered = `${op.server} answered ${name(op)} with ${valueText(r.value)}`;
    const reason = sources.reason(r, regs);
    if (reason?.kind === 'bracketed') {
      const { write, first, last } = reason;
      facts.push(
        `${answered}, though ${nameReg(first)} before it and ${nameReg(last)} after it both read ${valueText(write.value)}, which only ${nameReg(write)} can have written: nothing was written between them`,
      );
      continue;
    }
    // The writes it may have seen: of its value, issued before it was answered (as Sources has it).
    const writers = witness.filter(
      (_, i) => regs[i]!.write && regs[i]!.value === r.value && regs[i]!.inv < r.ret,
    );
    const sourceWords = writers.map(
      (w) => `${w.op === 'delete' ? 'left' : 'written'} by ${name(w)}`,
    );
    if (r.value === null) sourceWords.push('as before any write');
    if (reason?.kind !== 'overwritten') {
      const left =
        sourceWords.length > 0
          ? `, ${sourceWords.join(' or ')}`
          : sources.list(r.value).length === 0
            ? ', which no write wrote'
            : ', which no write issued before that answer wrote';
      facts.push(`${answered}${left}`);
      continue;
    }
    const left = sourceWords.length > 0 ? `, ${sourceWords.join(' or ')}` : '';
    const { lacking, by } = reason;
    const ids = opIds(lacking.map((w) => w.id).sort((a, b) => a - b));
    const other = writers.length > 0 ? 'the other' : 'the';
    const what =
      r.value === null
        ? `${other} ${lacking.length === 1 ? 'DELETE' : 'DELETEs'} it may have seen (${ids})`
        : `${other} ${lacking.length === 1 ? 'write' : 'writes'} of ${r.value} it may have seen (${ids})`;
    facts.push(
      `${answered}${left}; ${what} finished before ${nameReg(by)} started, which finished before ${name(op)} started`,
    );
  }
  for (let i = 0; i < regs.length; i++) {
    const w = regs[i]!;
    if (!w.write || w.ret !== Number.POSITIVE_INFINITY) continue;
    const op = witness[i]!;
    facts.push(
      w.bound === undefined
        ? `${name(op)} was never answered: it took effect after it was issued, or never`
        : `${name(op)} was answered ${op.reply}, not acknowledged: it took effect before that answer, or never`,
    );
  }
  // A witness the shrinking could not make small (its budget spent) would make a sentence of
  // megabytes: its first facts, and how many more (its operations are all listed).
  if (facts.length <= MOST_FACTS) return facts.join('; ');
  const more = facts.length - MOST_FACTS;
  return `${facts.slice(0, MOST_FACTS).join('; ')}; and ${more} more fact${more === 1 ? '' : 's'} of this kind about the witness's ${witness.length} operations`;
}

/** The facts a witness's sentence spells out: every witness of the runs compared has at most 43. */
const MOST_FACTS = 60;

/** The checker with another search bound (tests use a small one). */
export function linearizabilityChecker(bound: number): Checker {
  return {
    guarantee: 'linearizability',
    informative: true,
    check: (input) => check(input, bound),
  };
}

export const LINEARIZABILITY: Checker = linearizabilityChecker(SEARCH_BOUND_STEPS);
