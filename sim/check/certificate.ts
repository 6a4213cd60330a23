// Checks certificates of linearizability: a key's operations in an order, which must respect real
// time and be legal for a register (PROTOCOL.md §3). Written from §3 alone, apart from the searches
// that find the orders, so that a "held" verdict can be checked without trusting them.

import type { Operation } from '../kernel/history.ts';

/** One operation of a key as §3's register sees it. */
export interface CertifiedOp {
  /** The history's operation id: what an order names. */
  readonly id: number;
  /** A PUT or DELETE (false: a GET). */
  readonly write: boolean;
  /** The value written or returned; null is absent (a DELETE, a NULL read). */
  readonly value: string | null;
  /** Places in the order of events; `ret` is Infinity for a write not acknowledged. */
  readonly inv: number;
  readonly ret: number;
  /** A write answered with a refusal: its answer's place, which it may not be placed after. */
  readonly bound?: number;
}

/**
 * Kinds of record: no register operation (a refused or never-answered GET), a GET, a write
 * acknowledged (PUT_OK, DELETE_OK), and a write not acknowledged, which may be left out: one
 * never answered may be placed any time after its invocation, one refused only before its answer
 * (its `ret` is then the answer's place, else Infinity).
 */
const NONE = 0;
const READ = 1;
const WRITE = 2;
const MAYBE = 3;

/**
 * Records as columns, key by key: each key's records at places next to each other, in the
 * records' order (a history of a million operations costs no object each, and a key's check
 * reads its own stretch of memory, not every 16th entry of the history's). A table from ids to
 * places: when no two register operations share an id (a history's ids are its records'
 * numbers) it holds every key's at once, entered when the records are read; else each check
 * enters its key's and empties the table again, and an id found twice among them is its fault.
 */
class Columns {
  /** How many records the columns hold. */
  n = 0;
  readonly id: Float64Array;
  readonly kind: Uint8Array;
  readonly inv: Float64Array;
  readonly ret: Float64Array;
  /** The check that placed each record: checks are numbered, so that none has to empty it. */
  readonly placedIn: Int32Array;
  /**
   * The value each record of a history wrote or returned (fromHistory's): kept with the columns,
   * as their numbers are, but emptied when its certifier is done (`release`), so that no history's
   * values stay alive in it. Made at the first history read into these columns.
   */
  private kept: (string | null)[] | null = null;
  /** Places of `kept` from this one on hold null. */
  private held = 0;
  private checks = 0;
  /** Which reading of a history the columns hold (0: none, or a key's own). */
  reading = 0;
  /** The table holds every key's ids (else only those of the key being checked). */
  shared = false;
  private table: Int32Array;
  private readonly spill = new Map<number, number>();

  /** Room for `capacity` records; the table holds whole ids up to that, and grows (see `enterOne`). */
  constructor(readonly capacity: number) {
    this.id = new Float64Array(capacity);
    this.kind = new Uint8Array(capacity);
    this.inv = new Float64Array(capacity);
    this.ret = new Float64Array(capacity);
    this.placedIn = new Int32Array(capacity);
    this.table = new Int32Array(capacity + 1).fill(-1);
  }

  /**
   * The kept list for the values of the `n` records read now, null from place n on (a certifier
   * not done, whose history was longer, left some there).
   */
  values(): (string | null)[] {
    // Made at its full length and filled (on Node 20 still a fast array at a million): pushed,
    // it took about four times as long, and left its smaller copies to collect.
    this.kept ??= new Array<string | null>(this.capacity).fill(null);
    if (this.held > this.n) this.kept.fill(null, this.n, this.held);
    this.held = this.n;
    return this.kept;
  }

  /** Empties the values of the reading held, and holds none: a later certifier reads anew. */
  release(): void {
    this.kept?.fill(null, 0, this.held);
    this.held = 0;
    this.reading = 0;
  }

  /** A number no earlier check of these columns had. */
  nextCheck(): number {
    if (this.checks === 0x7fffffff) {
      this.placedIn.fill(0);
      this.checks = 0;
    }
    return ++this.checks;
  }

  /**
   * Enters every register operation's id in the table, for all keys at once (`shared`), unless
   * two have the same id: then the table is left empty for each check to fill with its key's.
   */
  enterAll(): void {
    this.empty();
    this.shared = this.enter(0, this.n) === null;
    if (!this.shared) this.empty();
  }

  /** Enters the ids of the records at places [from, to) in the table; the first found twice, or null. */
  enter(from: number, to: number): number | null {
    const { kind } = this;
    for (let i = from; i < to; i++) {
      if (kind[i] !== NONE && !this.enterOne(i)) {
        this.leave(from, i);
        return this.id[i]!;
      }
    }
    return null;
  }

  /**
   * Enters record i's id, false when it is there already. The table grows to hold whole ids up to
   * 8 times the records; others go to a map.
   */
  private enterOne(i: number): boolean {
    const id = this.id[i]!;
    let table = this.table;
    if (id >= table.length && id <= 8 * this.n + 1024) table = this.grow(id);
    if (Number.isInteger(id) && id >= 0 && id < table.length) {
      if (table[id] !== -1) return false;
      table[id] = i;
    } else {
      if (this.spill.has(id)) return false;
      this.spill.set(id, i);
    }
    return true;
  }

  private grow(id: number): Int32Array {
    const bigger = new Int32Array(Math.max(2 * this.table.length, id + 1)).fill(-1);
    bigger.set(this.table);
    this.table = bigger;
    return bigger;
  }

  /** Empties the table of the ids at places [from, to) (each check of its own key ends so). */
  leave(from: number, to: number): void {
    const { kind, id: ids, table } = this;
    this.spill.clear();
    for (let i = from; i < to; i++) {
      const id = ids[i]!;
      if (kind[i] !== NONE && table[id] !== undefined) table[id] = -1;
    }
  }

  /** Empties the whole table. */
  empty(): void {
    this.table.fill(-1);
    this.spill.clear();
  }

  /** An id's place (-1: none); a typed array gives undefined for an id not whole or in range. */
  at(id: number): number {
    return this.table[id] ?? this.spill.get(id) ?? -1;
  }
}

/** Records as columns, with what the columns do not hold, and where each key's are. */
interface Records {
  /** Valid while they hold this reading (a later history's overwrites kept columns). */
  readonly columns: Columns;
  readonly reading: number;
  /** The value each record wrote or returned; null is absent (a DELETE, a NULL read). */
  readonly values: readonly (string | null)[];
  /** Each key's number. */
  readonly keys: ReadonlyMap<string, number>;
  /** Key k's records are at places [start[k], start[k + 1]). */
  readonly start: Int32Array;
  /** How many of key k's records are answered register operations, which every order must hold. */
  readonly answered: Int32Array;
}

/**
 * A history's records in its order, as the reader finds them, before they are laid out key by
 * key: kept from one history to the next with the columns.
 */
class Scratch {
  readonly id: Float64Array;
  readonly kind: Uint8Array;
  readonly inv: Float64Array;
  readonly ret: Float64Array;
  readonly keyOf: Int32Array;
  /** Emptied after each reading (it would keep a history's values alive), its room kept. */
  readonly value: (string | null)[];

  constructor(capacity: number) {
    this.id = new Float64Array(capacity);
    this.kind = new Uint8Array(capacity);
    this.inv = new Float64Array(capacity);
    this.ret = new Float64Array(capacity);
    this.keyOf = new Int32Array(capacity);
    this.value = new Array<string | null>(capacity).fill(null);
  }
}

/**
 * A history's records as §3's register reads them: every PUT and DELETE (one not answered PUT_OK
 * or DELETE_OK may never take effect; if it was answered, a refusal, it does by its answer, if at
 * all), and the GETs answered GET_OK or NULL; a refused or never-answered GET is no register
 * operation. Read in one walk in the history's order, then laid out key by key (a counting sort,
 * in that order).
 */
function fromHistory(records: readonly Operation[]): Records {
  const n = records.length;
  const { columns: c, scratch: h } = kept(n);
  const keys = new Map<string, number>();
  const counts: number[] = [];
  const answered: number[] = [];
  for (let i = 0; i < n; i++) {
    const o = records[i]!;
    let k = keys.get(o.key);
    if (k === undefined) {
      k = keys.size;
      keys.set(o.key, k);
      counts.push(0);
      answered.push(0);
    }
    h.keyOf[i] = k;
    counts[k]!++;
    const done = o.completedSeq;
    h.id[i] = o.id;
    h.inv[i] = o.invokedSeq;
    h.ret[i] = done ?? Number.POSITIVE_INFINITY;
    let value: string | null;
    if (o.op === 'get') {
      const read = done !== null && (o.reply === 'GET_OK' || o.reply === 'NULL');
      h.kind[i] = read ? READ : NONE;
      value = o.reply === 'NULL' ? null : o.result;
      if (read) answered[k]!++;
    } else {
      const acknowledged = done !== null && (o.reply === 'PUT_OK' || o.reply === 'DELETE_OK');
      h.kind[i] = acknowledged ? WRITE : MAYBE;
      value = o.op === 'put' ? o.value : null;
      if (acknowledged) answered[k]!++;
    }
    h.value[i] = value;
  }
  const start = new Int32Array(counts.length + 1);
  for (let k = 0; k < counts.length; k++) start[k + 1] = start[k]! + counts[k]!;
  const next = start.slice(0, counts.length);
  // The columns' kept list: each of its first n places is written below (each place is one
  // record's), and the places beyond hold null, so none holds an earlier history's value. Made
  // afresh for each check of the 1M-operation history, its 8 MB of fresh memory took the
  // certificate's reading from about 60 ms of CPU to 90-100.
  const values = c.values();
  // Each record to its key's next place: read in order, written in a stream per key.
  for (let i = 0; i < n; i++) {
    const p = next[h.keyOf[i]!]!++;
    c.id[p] = h.id[i]!;
    c.kind[p] = h.kind[i]!;
    c.inv[p] = h.inv[i]!;
    c.ret[p] = h.ret[i]!;
    values[p] = h.value[i]!;
  }
  h.value.fill(null, 0, n);
  c.enterAll();
  return {
    columns: c,
    reading: c.reading,
    values,
    keys,
    start,
    answered: Int32Array.from(answered),
  };
}

/** One key's operations, as columns of their own. */
function fromCertified(ops: readonly CertifiedOp[]): Records {
  const c = new Columns(ops.length);
  c.n = ops.length;
  let answered = 0;
  for (let i = 0; i < ops.length; i++) {
    const o = ops[i]!;
    const optional = o.write && o.ret === Number.POSITIVE_INFINITY;
    c.id[i] = o.id;
    c.kind[i] = !o.write ? READ : optional ? MAYBE : WRITE;
    c.inv[i] = o.inv;
    c.ret[i] = optional ? (o.bound ?? o.ret) : o.ret;
    if (!optional) answered++;
  }
  c.enterAll();
  return {
    columns: c,
    reading: 0,
    values: ops.map((o) => o.value),
    keys: new Map(),
    start: Int32Array.of(0, ops.length),
    answered: Int32Array.of(answered),
  };
}

/** Entries columns may have beyond four times what a history needs before they are made anew. */
const KEPT_ANYWAY = 1 << 16;
/** The columns the latest history was read into, kept for the next (see `kept`). */
let keptColumns: Columns | null = null;
let keptScratch: Scratch | null = null;
let readings = 0;

/**
 * Columns for a history of `n` records: the last history's, when they are long enough and not
 * far too long. Made anew for each history of a million records, they were tens of megabytes the
 * collector had to look through again (a full collection in each check, about 0.2 s of CPU).
 */
function kept(n: number): { columns: Columns; scratch: Scratch } {
  let c = keptColumns;
  let h = keptScratch;
  if (c === null || h === null || c.capacity < n || c.capacity > 4 * n + KEPT_ANYWAY) {
    c = keptColumns = new Columns(n);
    h = keptScratch = new Scratch(n);
  }
  c.n = n;
  c.reading = ++readings;
  return { columns: c, scratch: h };
}

/** How an order fails: what `fault` finds in its walk, put in words once the walk is over. */
const HOLDS = 0;
const NOT_ONE = 1;
const TWICE = 2;
const EARLY = 3;
const VALUE = 4;
const LEFT_OUT = 5;

/**
 * What is wrong with `order` (operation ids) as a linearization of key `k` of `r`, in one
 * sentence, or null when nothing is: each id names one of its register operations, once; every
 * answered one is there (a write not acknowledged may be left out); none comes after one that
 * started after it finished (a refused write finished at its answer, one never answered never
 * did); and, from an absent register, each GET returns what the latest
 * write before it left (NULL after a DELETE or before any write). O(n).
 */
function fault(r: Records, k: number, order: readonly number[]): string | null {
  const { columns: c, values } = r;
  const from = r.start[k]!;
  const to = r.start[k + 1]!;
  if (!c.shared) {
    const twice = c.enter(from, to);
    if (twice !== null) return `op ${twice} appears twice among the key's operations`;
  }
  const { kind, inv, ret, placedIn } = c;
  const check = c.nextCheck();
  let value: string | null = null;
  /** The latest invocation placed so far, and whose place it is. */
  let latestInv = Number.NEGATIVE_INFINITY;
  let latest = -1;
  let answered = 0;
  let why = HOLDS;
  let o = 0;
  let i = -1;
  // Indexed, and put in words after it: on the bench's 1M operations, with `for of` (which boxes
  // each id of an array of doubles, as the searches' orders are) and a sentence made at each
  // return in the loop, this walk took about 75 ms of CPU instead of 45.
  for (; o < order.length; o++) {
    i = c.at(order[o]!);
    if (i < from || i >= to) {
      why = NOT_ONE;
      break;
    }
    if (placedIn[i] === check) {
      why = TWICE;
      break;
    }
    placedIn[i] = check;
    if (ret[i]! < latestInv) {
      why = EARLY;
      break;
    }
    if (kind[i] !== MAYBE) answered++;
    if (inv[i]! > latestInv) {
      latestInv = inv[i]!;
      latest = i;
    }
    if (kind[i]! >= WRITE) value = values[i]!;
    else if (values[i] !== value) {
      why = VALUE;
      break;
    }
  }
  // The first answered one left out, in the key's order: looked for only when there is one.
  if (why === HOLDS && answered < r.answered[k]!)
    for (i = from; i < to; i++)
      if ((kind[i] === READ || kind[i] === WRITE) && placedIn[i] !== check) {
        why = LEFT_OUT;
        break;
      }
  if (!c.shared) c.leave(from, to);
  if (why === HOLDS) return null;
  if (why === LEFT_OUT) return `op ${c.id[i]} was answered but the order leaves it out`;
  const id = order[o]!;
  switch (why) {
    case NOT_ONE:
      return `op ${id} is not one of the key's register operations`;
    case TWICE:
      return `op ${id} is placed twice`;
    case EARLY:
      return `op ${id} is placed after op ${c.id[latest]}, which started after op ${id} finished`;
    default:
      return `op ${id} returned ${shown(values[i]!)} where the order leaves ${shown(value)}`;
  }
}

/** What is wrong with `order` as a linearization of one key's `ops` (see `fault`), or null. */
export function certificateFault(
  ops: readonly CertifiedOp[],
  order: readonly number[],
): string | null {
  return fault(fromCertified(ops), 0, order);
}

/**
 * Checks orders against a history's records (`history.operations`): `fault(key, order)` says
 * what is wrong with `order` as a linearization of `key`'s operations, null when nothing is.
 * `done()` once the orders are checked: the records' values are kept columns' until then (and
 * read anew if `fault` is called again).
 */
export function historyCertifier(operations: readonly Operation[]): {
  fault(key: string, order: readonly number[]): string | null;
  done(): void;
} {
  // Read at the first order checked (a history whose keys are none of them linearizable is not),
  // and again when another history was read into the kept columns since.
  let records: Records | null = null;
  return {
    fault: (key, order) => {
      if (records === null || records.columns.reading !== records.reading)
        records = fromHistory(operations);
      const k = records.keys.get(key);
      return k === undefined ? certificateFault([], order) : fault(records, k, order);
    },
    done: () => {
      // Only this certifier's reading: another's, read since, would only be read again.
      if (records !== null && records.columns.reading === records.reading)
        records.columns.release();
      records = null;
    },
  };
}

function shown(value: string | null): string {
  return value === null ? 'no value (NULL)' : JSON.stringify(value);
}
