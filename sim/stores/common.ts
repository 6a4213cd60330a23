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
  // The keys sorted in place by insertion (a digest has a handful): Array.sort and iterating
  // entries allocated more than all the rest of hashing a step.
  const keys = new Array<Key>(map.size);
  let n = 0;
  for (const key of map.keys()) {
    let i = n++;
    for (; i > 0 && keys[i - 1]! > key; i--) keys[i] = keys[i - 1]!;
    keys[i] = key;
  }
  let sep = '{';
  for (let i = 0; i < keys.length; i++) {
    hash.update(sep).json(keys[i]).update(':');
    value(map.get(keys[i]!)!, hash);
    sep = ',';
  }
  hash.update(sep === '{' ? '{}' : '}');
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
