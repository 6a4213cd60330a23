// Convergence at quiescence, and timestamps that name one write each. Convergence is judged only
// when the run settled (nothing in flight, the network healed): then every live replica must hold,
// for every key, the same version, and what it shows must be what the newest acknowledged write
// (or a newer one) left: judged on the observable state, never on op ids or issue order.

import type { Key, NodeId } from '../../protocol/core.ts';
import type { Operation } from '../kernel/history.ts';
import { sortedIndices } from './sorted.ts';
import type { Checker, CheckInput, Violation } from './types.ts';
import { applyColumns, columns, isWrite, reused, VERSIONED, versionOf, WRITE } from './versions.ts';
import { opText } from './words.ts';

/** What a replica holds of a key: "x = 1 ts 5", "x = ⊥ (deleted) ts 7", or "no x". */
function held(key: string, v: Held): string {
  if (v === undefined) return `no ${key}`;
  return `${key} = ${v.value === null ? '⊥ (deleted)' : v.value} ts ${v.ts}`;
}

/** Answered with a version: an acknowledged PUT or DELETE. */
const ACKNOWLEDGED = WRITE | VERSIONED;

/**
 * The acknowledged writes with the largest ts, per key: one, or several when they share it
 * (unique timestamps is then broken too), in history order.
 */
function newestAcknowledged(input: CheckInput): Map<Key, Operation[]> {
  const { flags, version, keyOf, keyCount } = columns(input);
  const largest = reused.floats('newest', keyCount).fill(Number.NEGATIVE_INFINITY);
  for (let i = 0; i < flags.length; i++)
    if ((flags[i]! & ACKNOWLEDGED) === ACKNOWLEDGED && version[i]! > largest[keyOf[i]!]!)
      largest[keyOf[i]!] = version[i]!;
  const newest = new Map<Key, Operation[]>();
  for (let i = 0; i < flags.length; i++) {
    if ((flags[i]! & ACKNOWLEDGED) !== ACKNOWLEDGED || version[i] !== largest[keyOf[i]!]) continue;
    const op = input.operations[i]!;
    const best = newest.get(op.key);
    if (best === undefined) newest.set(op.key, [op]);
    else best.push(op);
  }
  return newest;
}

function converge(input: CheckInput): Violation[] {
  const live = [...input.replicas.entries()].filter(([, r]) => r.up);
  const keys = new Set<Key>();
  for (const [, r] of live) for (const k of r.store.keys()) keys.add(k);
  const newest = newestAcknowledged(input);
  // Only needed when a replica holds a version newer than every acknowledged one (rare).
  let index: Map<string, Operation> | null = null;
  const requests = () =>
    (index ??= new Map(input.operations.map((op) => [op.requestId, op] as const)));
  // Only needed when the replicas show something other than the newest acknowledged write (rare).
  let stamps: WriteStamps | null = null;
  const stamped = () => {
    stamps ??= stampsOf(input);
    return stamps;
  };
  for (const k of newest.keys()) keys.add(k);
  const violations: Violation[] = [];
  for (const key of [...keys].sort()) {
    const first = live[0];
    if (first === undefined) break;
    const reference = first[1].store.get(key);
    const differs = live.find(([, r]) => {
      const v = r.store.get(key);
      return v?.ts !== reference?.ts || v?.value !== reference?.value;
    });
    if (differs !== undefined) {
      violations.push(divergence(key, first[0], reference, differs[0], differs[1].store.get(key)));
      continue;
    }
    for (const acked of newest.get(key) ?? []) {
      const lost = lostWrite(acked, reference, requests, stamped);
      if (lost === null || leftByNewer(acked, reference, stamped().byKey.get(key) ?? [])) continue;
      violations.push({
        guarantee: 'convergence',
        ops: lost.restamped === null ? [acked.id] : [lost.restamped.id, acked.id],
        nodes: live.map(([n]) => n),
        at: acked.completedAt ?? acked.invokedAt,
        sentence: `${opText(acked, 'acknowledged')} with ts ${acked.ts} is lost: at the end every live replica holds ${held(key, reference)}${lost.why}`,
      });
    }
  }
  return violations;
}

type Held =
  | { readonly value: string | null; readonly ts: number; readonly origin?: string | null }
  | undefined;

/** What a read sees (PROTOCOL.md §3): the value, or absent (null) for a tombstone or nothing. */
function observable(v: Held): string | null {
  return v === undefined ? null : v.value;
}

/**
 * Whether a newest acknowledged write survived, judged on the observable state (PROTOCOL.md §3):
 * it did when the replicas show its value (or absence), or a version from a newer write. It did
 * not when they show something else: an older version, a version sharing its ts, or a second
 * stamping of a write stamped no later than it (a duplicated request stamped again, whose new ts
 * hides the loss). A re-stamped tombstone over a newer one loses nothing: reads still say
 * NULL.
 */
function lostWrite(
  acked: Operation,
  reference: Held,
  requests: () => ReadonlyMap<string, Operation>,
  stamped: () => WriteStamps,
): { restamped: Operation | null; why: string } | null {
  const ackedValue = acked.op === 'put' ? acked.value : null;
  if (observable(reference) === ackedValue) return null;
  if (reference === undefined || reference.ts <= acked.ts!) return { restamped: null, why: '' };
  const origin =
    reference.origin === undefined || reference.origin === null
      ? undefined
      : requests().get(reference.origin);
  // The write the shown version came from, by the ts it was stamped with (its acknowledgement's,
  // else its first store's): stamped after the acknowledged write, it is a newer write and nothing
  // is lost; stamped before it or with the same ts, the shown version is a second stamping that
  // brings back an older value (or one of two sharing a ts), and the acknowledged write is lost.
  const originTs = origin === undefined ? null : (stamped().byOp.get(origin) ?? null);
  if (origin === undefined || originTs === null || originTs > acked.ts!) return null;
  const how = versionOf(origin) === null ? 'first stamped' : 'acknowledged';
  return {
    restamped: origin,
    why: `, a second stamping of ${opText(origin)}, which had been ${how} with ts ${originTs}`,
  };
}

/** A write of the key and the ts it was stamped with (its acknowledgement's, else its first store's). */
interface Stamp {
  readonly value: string | null;
  readonly ts: number;
}

interface WriteStamps {
  readonly byKey: Map<Key, Stamp[]>;
  readonly byOp: Map<Operation, number>;
}

function stampsOf(input: CheckInput): WriteStamps {
  const writes = applyColumns(input).write;
  const firstStore = new Map<number, number>();
  for (let a = 0; a < input.applies.length; a++)
    if (writes[a]! >= 0 && !firstStore.has(writes[a]!))
      firstStore.set(writes[a]!, input.applies[a]!.ts);
  const byKey = new Map<Key, Stamp[]>();
  const byOp = new Map<Operation, number>();
  input.operations.forEach((op, i) => {
    if (!isWrite(op)) return;
    const ts = versionOf(op) ?? firstStore.get(i);
    if (ts === undefined || ts === null) return;
    byOp.set(op, ts);
    const list = byKey.get(op.key) ?? [];
    list.push({ value: op.op === 'put' ? op.value : null, ts });
    byKey.set(op.key, list);
  });
  return { byKey, byOp };
}

/**
 * The replicas show what a write stamped newer than `acked` left: its value, or absence (PROTOCOL.md
 * §3 judges on the observable state). A tombstone stamped older by a stepped-back clock over a
 * newer one hides no write: every read still answers NULL, as the newer one made them.
 */
function leftByNewer(acked: Operation, reference: Held, stamps: readonly Stamp[]): boolean {
  const shown = observable(reference);
  return stamps.some((s) => s.ts > acked.ts! && s.value === shown);
}

function divergence(
  key: Key,
  a: NodeId,
  va: { value: string | null; ts: number } | undefined,
  b: NodeId,
  vb: { value: string | null; ts: number } | undefined,
): Violation {
  return {
    guarantee: 'convergence',
    ops: [],
    nodes: [a, b],
    at: 0,
    sentence: `At the end ${a} holds ${held(key, va)} but ${b} holds ${held(key, vb)}`,
  };
}

export const CONVERGENCE: Checker = {
  guarantee: 'convergence',
  informative: false,
  check: (input) => {
    if (!input.quiescent)
      return {
        notJudged: 'the run did not settle: messages or timers were still pending at its end',
      };
    if (!input.networkHealed)
      return { notJudged: 'a partition or a held link was still in force at the end' };
    return { violations: converge(input) };
  },
};

/**
 * Each acknowledged write stamped with a ts an earlier acknowledged write of its key had, paired
 * with the first of those, in history order. When every key's stamps rise (the usual run), one
 * pass; else the writes are sorted by key and ts (radix, stable: equal stamps stay in history
 * order), and each run of one stamp names its first.
 */
function sharedTimestamps(input: CheckInput): Violation[] {
  const { flags, version, keyOf, keyCount } = columns(input);
  const ops = input.operations;
  const largest = reused.floats('largestStamp', keyCount);
  const seen = reused.bytes('stampSeen', keyCount).fill(0);
  let rising = true;
  let count = 0;
  for (let i = 0; i < flags.length; i++) {
    if ((flags[i]! & ACKNOWLEDGED) !== ACKNOWLEDGED) continue;
    count++;
    const k = keyOf[i]!;
    if (seen[k] === 1 && !(version[i]! > largest[k]!)) rising = false;
    seen[k] = 1;
    largest[k] = version[i]!;
  }
  if (rising) return [];
  const writes = numbers(count);
  const stamps = numbers(count);
  const keys = numbers(count);
  for (let i = 0, w = 0; i < flags.length; i++) {
    if ((flags[i]! & ACKNOWLEDGED) !== ACKNOWLEDGED) continue;
    writes[w] = i;
    stamps[w] = version[i]!;
    keys[w++] = keyOf[i]!;
  }
  // By ts, then (stably) by key: by key, ts, history order.
  const byTs = sortedIndices(stamps);
  const keysByTs = numbers(count);
  for (let j = 0; j < count; j++) keysByTs[j] = keys[byTs[j]!]!;
  const byKey = sortedIndices(keysByTs);
  const shared: [number, number][] = [];
  let first = -1;
  for (let j = 0; j < count; j++) {
    const w = byTs[byKey[j]!]!;
    if (first >= 0 && keys[first] === keys[w] && stamps[first] === stamps[w])
      shared.push([writes[w]!, writes[first]!]);
    else first = w;
  }
  shared.sort((a, b) => a[0] - b[0]);
  return shared.map(([i, earliest]) => {
    const op = ops[i]!;
    const v = version[i]!;
    return {
      guarantee: 'unique-timestamps',
      ops: [ops[earliest]!.id, op.id],
      nodes: [],
      at: op.completedAt ?? op.invokedAt,
      sentence: `${opText(op)} and ${opText(ops[earliest]!)} were both stamped ts ${v}: the leader cannot tell them apart`,
    };
  });
}

/**
 * Room for `count` numbers: a typed array for many, a plain list for a few (on a short run typed
 * arrays cost more than the check, and count as memory the collector must watch).
 */
function numbers(count: number): number[] | Float64Array {
  return count < 256 ? new Array<number>(count).fill(0) : new Float64Array(count);
}

/** No two different acknowledged writes of a key share a timestamp. */
export const UNIQUE_TIMESTAMPS: Checker = {
  guarantee: 'unique-timestamps',
  informative: false,
  check: (input) => ({ violations: sharedTimestamps(input) }),
};
