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
 * One key's records as columns, reused from key to key (a history of a million operations costs
 * no object each), and a table from ids to places that each check fills and empties again.
 */
class Columns {
  length = 0;
  id = new Float64Array(0);
  kind = new Uint8Array(0);
  value: (string | null)[] = [];
  inv = new Float64Array(0);
  ret = new Float64Array(0);
  placed = new Uint8Array(0);
  private table: Int32Array;
  private readonly spill = new Map<number, number>();

  /**
   * `records`: how many the whole history has. The table grows to hold whole ids up to 8 times
   * that (a history's ids are its records' numbers); others go to a map.
   */
  constructor(private readonly records: number) {
    this.table = new Int32Array(records + 1).fill(-1);
  }

  /** Room for `n` records, emptied. */
  reset(n: number): void {
    if (this.id.length < n) {
      this.id = new Float64Array(n);
      this.kind = new Uint8Array(n);
      this.inv = new Float64Array(n);
      this.ret = new Float64Array(n);
      this.placed = new Uint8Array(n);
      this.value = new Array<string | null>(n).fill(null);
    } else this.placed.fill(0, 0, n);
    this.length = n;
  }

  /** Enters each record's id in the table; the first id found twice, or null. */
  enter(): number | null {
    const { kind, id: ids, spill } = this;
    let table = this.table;
    for (let i = 0; i < this.length; i++) {
      if (kind[i] === NONE) continue;
      const id = ids[i]!;
      if (id >= table.length && id <= 8 * this.records + 1024) table = this.grow(id);
      const small = Number.isInteger(id) && id >= 0 && id < table.length;
      if (small ? table[id] !== -1 : spill.has(id)) {
        this.leave(i);
        return id;
      }
      if (small) table[id] = i;
      else spill.set(id, i);
    }
    return null;
  }

  private grow(id: number): Int32Array {
    const bigger = new Int32Array(Math.max(2 * this.table.length, id + 1)).fill(-1);
    bigger.set(this.table);
    this.table = bigger;
    return bigger;
  }

  /** Empties the table of the first `n` records' ids (each check ends so). */
  leave(n: number): void {
    const { kind, id: ids, table } = this;
    this.spill.clear();
    for (let i = 0; i < n; i++) {
      const id = ids[i]!;
      if (kind[i] !== NONE && table[id] !== undefined) table[id] = -1;
    }
  }

  /** An id's place (-1: none); a typed array gives undefined for an id not whole or in range. */
  at(id: number): number {
    return this.table[id] ?? this.spill.get(id) ?? -1;
  }
}

/**
 * One key's history records as §3's register reads them: every PUT and DELETE (one not answered
 * PUT_OK or DELETE_OK may take effect any time after its invocation, or never), and the GETs
 * answered GET_OK or NULL; a refused or never-answered GET is no register operation.
 */
function fromHistory(records: readonly Operation[], c: Columns): void {
  c.reset(records.length);
  const { id, kind, value, inv, ret } = c;
  for (let i = 0; i < records.length; i++) {
    const o = records[i]!;
    const done = o.completedSeq;
    id[i] = o.id;
    inv[i] = o.invokedSeq;
    if (o.op === 'get') {
      const answered = done !== null && (o.reply === 'GET_OK' || o.reply === 'NULL');
      kind[i] = answered ? READ : NONE;
      value[i] = o.reply === 'NULL' ? null : o.result;
      ret[i] = done ?? Number.POSITIVE_INFINITY;
    } else {
      const answered = done !== null && (o.reply === 'PUT_OK' || o.reply === 'DELETE_OK');
      kind[i] = WRITE;
      value[i] = o.op === 'put' ? o.value : null;
      ret[i] = answered ? done : Number.POSITIVE_INFINITY;
    }
  }
}

function fromCertified(ops: readonly CertifiedOp[], c: Columns): void {
  c.reset(ops.length);
  for (let i = 0; i < ops.length; i++) {
    const o = ops[i]!;
    c.id[i] = o.id;
    c.kind[i] = o.write ? WRITE : READ;
    c.value[i] = o.value;
    c.inv[i] = o.inv;
    c.ret[i] = o.ret;
  }
}

/**
 * What is wrong with `order` (operation ids) as a linearization of the key in `c`, in one
 * sentence, or null when nothing is: each id names one of its register operations, once; every
 * answered one is there (a write never answered may be left out); none comes after one that
 * started after it finished; and, from an absent register, each GET returns what the latest
 * write before it left (NULL after a DELETE or before any write). O(n).
 */
function fault(c: Columns, order: readonly number[]): string | null {
  const twice = c.enter();
  if (twice !== null) return `op ${twice} appears twice among the key's operations`;
  try {
    const { kind, inv, ret, placed, value: values } = c;
    let value: string | null = null;
    /** The latest invocation placed so far, and whose it is. */
    let latestInv = Number.NEGATIVE_INFINITY;
    let latestId = 0;
    for (const id of order) {
      const i = c.at(id);
      if (i === -1) return `op ${id} is not one of the key's register operations`;
      if (placed[i] === 1) return `op ${id} is placed twice`;
      placed[i] = 1;
      if (ret[i]! < latestInv)
        return `op ${id} is placed after op ${latestId}, which started after op ${id} finished`;
      if (inv[i]! > latestInv) {
        latestInv = inv[i]!;
        latestId = id;
      }
      if (kind[i] === WRITE) value = values[i]!;
      else if (values[i] !== value)
        return `op ${id} returned ${shown(values[i]!)} where the order leaves ${shown(value)}`;
    }
    for (let i = 0; i < c.length; i++)
      if (kind[i] !== NONE && placed[i] === 0 && ret[i] !== Number.POSITIVE_INFINITY)
        return `op ${c.id[i]} was answered but the order leaves it out`;
    return null;
  } finally {
    c.leave(c.length);
  }
}

/** What is wrong with `order` as a linearization of one key's `ops` (see `fault`), or null. */
export function certificateFault(
  ops: readonly CertifiedOp[],
  order: readonly number[],
): string | null {
  const c = new Columns(ops.length);
  fromCertified(ops, c);
  return fault(c, order);
}

/**
 * Checks orders against a history's records (`history.operations`): `fault(key, order)` says
 * what is wrong with `order` as a linearization of `key`'s operations, null when nothing is;
 * `faultAmong(records, order)` the same for one key's records, already picked out.
 */
export function historyCertifier(operations: readonly Operation[]): {
  fault(key: string, order: readonly number[]): string | null;
  faultAmong(records: readonly Operation[], order: readonly number[]): string | null;
} {
  // Made at the first order checked: a history whose keys are none of them linearizable has none.
  let c: Columns | null = null;
  const faultAmong = (records: readonly Operation[], order: readonly number[]) => {
    c ??= new Columns(operations.length);
    fromHistory(records, c);
    return fault(c, order);
  };
  return {
    fault: (key, order) =>
      faultAmong(
        operations.filter((o) => o.key === key),
        order,
      ),
    faultAmong,
  };
}

function shown(value: string | null): string {
  return value === null ? 'no value (NULL)' : JSON.stringify(value);
}
