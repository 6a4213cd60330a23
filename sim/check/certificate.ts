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

/** Operations as columns, so that a history of a million costs no object each. */
interface Columns {
  readonly length: number;
  readonly id: Float64Array;
  readonly kind: Uint8Array;
  readonly value: (string | null)[];
  readonly inv: Float64Array;
  readonly ret: Float64Array;
  /** Each record's key, as its number in `keys` (all 0: every record is of the one key checked). */
  readonly key: Int32Array;
  readonly keys: Map<string | null, number>;
}

function columns(length: number): Columns {
  return {
    length,
    id: new Float64Array(length),
    kind: new Uint8Array(length),
    value: new Array<string | null>(length),
    inv: new Float64Array(length),
    ret: new Float64Array(length),
    key: new Int32Array(length),
    keys: new Map(),
  };
}

/**
 * A history's records as §3's register reads them: every PUT and DELETE (one not answered PUT_OK
 * or DELETE_OK may take effect any time after its invocation, or never), and the GETs answered
 * GET_OK or NULL; a refused or never-answered GET is no register operation.
 */
function fromHistory(operations: readonly Operation[]): Columns {
  const c = columns(operations.length);
  for (let i = 0; i < operations.length; i++) {
    const o = operations[i]!;
    c.id[i] = o.id;
    let key = c.keys.get(o.key);
    if (key === undefined) {
      key = c.keys.size;
      c.keys.set(o.key, key);
    }
    c.key[i] = key;
    if (o.op === 'get') {
      if (o.completedSeq === null || (o.reply !== 'GET_OK' && o.reply !== 'NULL')) continue;
      c.kind[i] = READ;
      c.value[i] = o.reply === 'NULL' ? null : o.result;
      c.ret[i] = o.completedSeq;
    } else {
      const answered = o.completedSeq !== null && (o.reply === 'PUT_OK' || o.reply === 'DELETE_OK');
      c.kind[i] = WRITE;
      c.value[i] = o.op === 'put' ? o.value : null;
      c.ret[i] = answered ? o.completedSeq! : Number.POSITIVE_INFINITY;
    }
    c.inv[i] = o.invokedSeq;
  }
  return c;
}

function fromRecords(ops: readonly CertifiedOp[]): Columns {
  const c = columns(ops.length);
  c.keys.set(null, 0);
  for (let i = 0; i < ops.length; i++) {
    const o = ops[i]!;
    c.id[i] = o.id;
    c.kind[i] = o.write ? WRITE : READ;
    c.value[i] = o.value;
    c.inv[i] = o.inv;
    c.ret[i] = o.ret;
  }
  return c;
}

/**
 * Checks orders against one set of operations: each order names the operations of one key, and
 * each key is checked once (an operation named by two orders is placed twice).
 */
class Certifier {
  private readonly at: ((id: number) => number) | string;
  private readonly placed: Uint8Array;
  /** Per key, how many of its operations were answered: each must be placed. */
  private readonly answered: Int32Array;

  constructor(private readonly c: Columns) {
    this.at = positions(c);
    this.placed = new Uint8Array(c.length);
    this.answered = new Int32Array(c.keys.size);
    const { kind, ret, key } = c;
    for (let i = 0; i < c.length; i++)
      if (kind[i] !== NONE && ret[i] !== Number.POSITIVE_INFINITY) this.answered[key[i]!]!++;
  }

  /**
   * What is wrong with `order` (operation ids) as a linearization of `key`'s operations, in one
   * sentence, or null when nothing is: each id names one of them, once; every answered one is
   * there (a write never answered may be left out); none comes after one that started after it
   * finished; and, from an absent register, each GET returns what the latest write before it
   * left (NULL after a DELETE or before any write). O(n).
   */
  fault(key: string | null, order: readonly number[]): string | null {
    const { at, placed, c } = this;
    if (typeof at === 'string') return at;
    const k = c.keys.get(key) ?? -1;
    let value: string | null = null;
    let answered = 0;
    /** The latest invocation placed so far, and whose it is. */
    let latestInv = Number.NEGATIVE_INFINITY;
    let latestId = 0;
    for (const id of order) {
      const i = at(id);
      if (i === -1 || c.kind[i] === NONE || c.key[i] !== k)
        return `op ${id} is not one of the key's register operations`;
      if (placed[i] === 1) return `op ${id} is placed twice`;
      placed[i] = 1;
      if (c.ret[i]! < latestInv)
        return `op ${id} is placed after op ${latestId}, which started after op ${id} finished`;
      if (c.ret[i] !== Number.POSITIVE_INFINITY) answered++;
      if (c.inv[i]! > latestInv) {
        latestInv = c.inv[i]!;
        latestId = id;
      }
      if (c.kind[i] === WRITE) value = c.value[i]!;
      else if (c.value[i] !== value)
        return `op ${id} returned ${shown(c.value[i]!)} where the order leaves ${shown(value)}`;
    }
    if (answered === (this.answered[k] ?? 0)) return null;
    for (let i = 0; i < c.length; i++)
      if (
        c.kind[i] !== NONE &&
        placed[i] === 0 &&
        c.ret[i] !== Number.POSITIVE_INFINITY &&
        c.key[i] === k
      )
        return `op ${c.id[i]} was answered but the order leaves it out`;
    return null;
  }
}

/**
 * What is wrong with `order` (operation ids) as a linearization of `ops`, one key's operations
 * (see `Certifier.fault`), or null when nothing is.
 */
export function certificateFault(
  ops: readonly CertifiedOp[],
  order: readonly number[],
): string | null {
  return new Certifier(fromRecords(ops)).fault(null, order);
}

/**
 * Checks each key's order against a whole history's records, read once (a million operations
 * cost no more than their reading): `fault(key, order)` says what is wrong, null when nothing is.
 * Each key once.
 */
export function historyCertifier(operations: readonly Operation[]): {
  fault(key: string, order: readonly number[]): string | null;
} {
  const certifier = new Certifier(fromHistory(operations));
  return { fault: (key, order) => certifier.fault(key, order) };
}

/**
 * Each id's place among the columns (-1: none), or what is wrong with the ids. Small whole ids
 * (a history's) are looked up in an array, others in a map.
 */
function positions(c: Columns): ((id: number) => number) | string {
  let most = 0;
  let small = true;
  for (let i = 0; i < c.length && small; i++) {
    const id = c.id[i]!;
    if (!Number.isInteger(id) || id < 0 || id > 8 * c.length + 1024) small = false;
    else if (id > most) most = id;
  }
  if (small) {
    const index = new Int32Array(most + 1).fill(-1);
    for (let i = 0; i < c.length; i++) {
      const id = c.id[i]!;
      if (index[id] !== -1) return `op ${id} appears twice among the operations`;
      index[id] = i;
    }
    // A typed array gives undefined for an id that is not a whole number in its range.
    return (id) => index[id] ?? -1;
  }
  const index = new Map<number, number>();
  for (let i = 0; i < c.length; i++) {
    if (index.has(c.id[i]!)) return `op ${c.id[i]} appears twice among the operations`;
    index.set(c.id[i]!, i);
  }
  return (id) => index.get(id) ?? -1;
}

function shown(value: string | null): string {
  return value === null ? 'no value (NULL)' : JSON.stringify(value);
}
