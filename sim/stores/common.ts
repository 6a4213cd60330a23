// What every store's wiring shares: stable key order for the trace's state digests, and the
// servers' final stores for the checkers.

import type { Key, NodeId } from '../../protocol/core.ts';
import type { TextHash } from '../kernel/hash.ts';

export function sortedEntries<V>(map: ReadonlyMap<Key, V>): [Key, V][] {
  const entries = [...map.entries()];
  // Most maps are built in key order already: checking costs less than sorting (once per step).
  for (let i = 1; i < entries.length; i++) {
    if (entries[i - 1]![0] > entries[i]![0])
      return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
  return entries;
}

/**
 * The keys can be written as the digest's record in the order sortedEntries gives. Not so when
 * one looks like an array index: JSON writes those first, in numeric order. A digest hashed
 * directly (hashRecord) checks this first and otherwise hashes the digest object itself.
 */
export function plainKeys(map: ReadonlyMap<Key, unknown>): boolean {
  for (const key of map.keys()) {
    const c = key.charCodeAt(0);
    if (c >= 48 && c <= 57 && /^(?:0|[1-9][0-9]*)$/.test(key)) return false;
  }
  return true;
}

/**
 * Hashes the JSON text of the record Object.fromEntries(sortedEntries(map)) would make, each
 * value's text hashed by `value` (what the digest writes for it). Only for plainKeys maps.
 */
export function hashRecord<V>(
  hash: TextHash,
  map: ReadonlyMap<Key, V>,
  value: (v: V, hash: TextHash) => void,
): void {
  let sep = '{';
  for (const [key, v] of inKeyOrder(map)) {
    hash.update(sep).json(key).update(':');
    value(v, hash);
    sep = ',';
  }
  hash.update(sep === '{' ? '{}' : '}');
}

/** The map itself when its keys are in order already (the usual case), else its sorted entries. */
function inKeyOrder<V>(map: ReadonlyMap<Key, V>): Iterable<[Key, V]> {
  let previous: Key | undefined;
  for (const key of map.keys()) {
    if (previous !== undefined && previous > key) return sortedEntries(map);
    previous = key;
  }
  return map;
}

/** What each server holds at the end of a run, and whether it is up. */
export function finalStores<V>(
  finalStates: ReadonlyMap<NodeId, { readonly state: unknown; readonly up: boolean }>,
  servers: readonly NodeId[],
): Map<NodeId, { readonly up: boolean; readonly store: ReadonlyMap<Key, V> }> {
  const out = new Map<NodeId, { up: boolean; store: ReadonlyMap<Key, V> }>();
  for (const id of servers) {
    const s = finalStates.get(id);
    if (s !== undefined)
      out.set(id, { up: s.up, store: (s.state as { store: ReadonlyMap<Key, V> }).store });
  }
  return out;
}
