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
  /** Places in the order of events; `ret` is Infinity for a write never answered. */
  readonly inv: number;
  readonly ret: number;
}

/** Kinds of record: no register operation (a refused or never-answered GET), a GET, a write. */
const NONE = 0;
const READ = 1;
const WRITE = 2;

/**
 * Records as columns, place by place (a history of a million operations costs no object each),
 * with each record's key by number, and a table from ids to places. When no two register
 * operations share an id (a history's ids are its records' numbers) the table holds every key's
 * at once, entered when the records are read; else each check enters its key's and empties the
 * table again, and an id found twice among them is the check's fault.
 */
class Columns {
  /** How many records the columns hold. */
  n = 0;
  readonly id: Float64Array;
  readonly kind: Uint8Array;
  readonly inv: Float64Array;
  readonly ret: Float64Array;
  readonly keyOf: Int32Array;
  /** The places key by key (see Records.start). */
  readonly members: Int32Array;
  /** The check that placed each record: checks are numbered, so that none has to empty it. */
  readonly placedIn: Int32Array;
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
    this.keyOf = new Int32Array(capacity);
    this.members = new Int32Array(capacity);
    this.placedIn = new Int32Array(capacity);
    this.table = new Int32Array(capacity + 1).fill(-1);
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
    const { kind } = this;
    this.empty();
    for (let i = 0; i < this.n; i++)
      if (kind[i] !== NONE && !this.enterOne(i)) {
        this.empty();
        this.shared = false;
        return;
      }
    this.shared = true;
  }

  /** Enters the id of each record at `places` in the table; the first id found twice, or null. */
  enter(places: Int32Array): number | null {
    const { kind } = this;
    for (let p = 0; p < places.length; p++) {
      const i = places[p]!;
      if (kind[i] !== NONE && !this.enterOne(i)) {
        this.leave(places.subarray(0, p));
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

  /** Empties the table of the ids of the records at `places` (each check of its own key ends so). */
  leave(places: Int32Array): void {
    const { kind, id: ids, table } = this;
    this.spill.clear();
    for (let p = 0; p < places.length; p++) {
      const i = places[p]!;
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

/** Records as columns, with what the columns do not hold, and each key's places. */
interface Records {
  /** Valid while they hold this reading (a later history's overwrites kept columns). */
  readonly columns: Columns;
  readonly reading: number;
  /** The value each record wrote or returned; null is absent (a DELETE, a NULL read). */
  readonly values: readonly (string | null)[];
  /** Each key's number. */
  readonly keys: ReadonlyMap<string, number>;
  /** Key k's places are `columns.members[start[k], start[k + 1])`, in the records' order. */
  readonly start: Int32Array;
  /** How many of key k's records are answered register operations, which every order must hold. */
  readonly answered: Int32Array;
}

/**
 * A history's records as §3's register reads them: every PUT and DELETE (one not answered PUT_OK
 * or DELETE_OK may take effect any time after its invocation, or never), and the GETs answered
 * GET_OK or NULL; a refused or never-answered GET is no register operation. Read in one walk in
 * the history's order, then each key's places gathered (a counting sort, in that order).
 */
function fromHistory(records: readonly Operation[]): Records {
  const n = records.length;
  const c = keptColumns(n);
  const { id, kind, inv, ret, keyOf } = c;
  // Pushed, not made at full length: such an array is a slow sparse one past 100,000.
  const values: (string | null)[] = [];
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
    keyOf[i] = k;
    counts[k]!++;
    const done = o.completedSeq;
    id[i] = o.id;
    inv[i] = o.invokedSeq;
    if (o.op === 'get') {
      const read = done !== null && (o.reply === 'GET_OK' || o.reply === 'NULL');
      kind[i] = read ? READ : NONE;
      values.push(o.reply === 'NULL' ? null : o.result);
      ret[i] = done ?? Number.POSITIVE_INFINITY;
      if (read) answered[k]!++;
    } else {
      const acknowledged = done !== null && (o.reply === 'PUT_OK' || o.reply === 'DELETE_OK');
      kind[i] = WRITE;
      values.push(o.op === 'put' ? o.value : null);
      ret[i] = acknowledged ? done : Number.POSITIVE_INFINITY;
      if (acknowledged) answered[k]!++;
    }
  }
  c.enterAll();
  return { columns: c, reading: c.reading, values, keys, ...gathered(c, counts, answered) };
}

/** One key's operations, as columns of their own. */
function fromCertified(ops: readonly CertifiedOp[]): Records {
  const c = new Columns(ops.length);
  c.n = ops.length;
  let answered = 0;
  for (let i = 0; i < ops.length; i++) {
    const o = ops[i]!;
    c.id[i] = o.id;
    c.kind[i] = o.write ? WRITE : READ;
    c.inv[i] = o.inv;
    c.ret[i] = o.ret;
    if (o.ret !== Number.POSITIVE_INFINITY) answered++;
  }
  c.enterAll();
  const values = ops.map((o) => o.value);
  return {
    columns: c,
    reading: 0,
    values,
    keys: new Map(),
    ...gathered(c, [ops.length], [answered]),
  };
}

/** Each key's places, from the records' keys and each key's count: a counting sort. */
function gathered(
  c: Columns,
  counts: readonly number[],
  answered: readonly number[],
): { start: Int32Array; answered: Int32Array } {
  const { keyOf, members } = c;
  const start = new Int32Array(counts.length + 1);
  for (let k = 0; k < counts.length; k++) start[k + 1] = start[k]! + counts[k]!;
  const next = start.slice(0, counts.length);
  for (let i = 0; i < c.n; i++) members[next[keyOf[i]!]!++] = i;
  return { start, answered: Int32Array.from(answered) };
}

/** Entries columns may have beyond four times what a history needs before they are made anew. */
const KEPT_ANYWAY = 1 << 16;
/** The columns the latest history was read into, kept for the next (see keptColumns). */
let kept: Columns | null = null;
let readings = 0;

/**
 * Columns for a history of `n` records: the last history's, when they are long enough and not
 * far too long. Made anew for each history of a million records, they were about 40 MB the
 * collector had to look through again (a full collection in each check, about 0.2 s of CPU).
 */
function keptColumns(n: number): Columns {
  if (kept === null || kept.capacity < n || kept.capacity > 4 * n + KEPT_ANYWAY)
    kept = new Columns(n);
  kept.n = n;
  kept.reading = ++readings;
  return kept;
}

/**
 * What is wrong with `order` (operation ids) as a linearization of key `k` of `r`, in one
 * sentence, or null when nothing is: each id names one of its register operations, once; every
 * answered one is there (a write never answered may be left out); none comes after one that
 * started after it finished; and, from an absent register, each GET returns what the latest
 * write before it left (NULL after a DELETE or before any write). O(n).
 */
function fault(r: Records, k: number, order: readonly number[]): string | null {
  const { columns: c, values } = r;
  const places = c.members.subarray(r.start[k]!, r.start[k + 1]!);
  if (!c.shared) {
    const twice = c.enter(places);
    if (twice !== null) return `op ${twice} appears twice among the key's operations`;
  }
  try {
    const { kind, inv, ret, keyOf, placedIn } = c;
    const check = c.nextCheck();
    let value: string | null = null;
    /** The latest invocation placed so far, and whose it is. */
    let latestInv = Number.NEGATIVE_INFINITY;
    let latestId = 0;
    let answered = 0;
    for (const id of order) {
      const i = c.at(id);
      if (i === -1 || keyOf[i] !== k) return `op ${id} is not one of the key's register operations`;
      if (placedIn[i] === check) return `op ${id} is placed twice`;
      placedIn[i] = check;
      if (ret[i]! < latestInv)
        return `op ${id} is placed after op ${latestId}, which started after op ${id} finished`;
      if (ret[i] !== Number.POSITIVE_INFINITY) answered++;
      if (inv[i]! > latestInv) {
        latestInv = inv[i]!;
        latestId = id;
      }
      if (kind[i] === WRITE) value = values[i]!;
      else if (values[i] !== value)
        return `op ${id} returned ${shown(values[i]!)} where the order leaves ${shown(value)}`;
    }
    // The first answered one left out, in the key's order: looked for only when there is one.
    if (answered < r.answered[k]!)
      for (const i of places)
        if (kind[i] !== NONE && placedIn[i] !== check && ret[i] !== Number.POSITIVE_INFINITY)
          return `op ${c.id[i]} was answered but the order leaves it out`;
    return null;
  } finally {
    if (!c.shared) c.leave(places);
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
 */
export function historyCertifier(operations: readonly Operation[]): {
  fault(key: string, order: readonly number[]): string | null;
} {
  // Read at the first order checked (a history whose keys are none of them linearizable is not),
  // and again when another history was read into the kept columns since.
  let records: Records | null = null;
  const none = fromCertified([]);
  return {
    fault: (key, order) => {
      if (records === null || records.columns.reading !== records.reading)
        records = fromHistory(operations);
      const k = records.keys.get(key);
      return k === undefined ? fault(none, 0, order) : fault(records, k, order);
    },
  };
}

function shown(value: string | null): string {
  return value === null ? 'no value (NULL)' : JSON.stringify(value);
}
