// What every store's wiring shares: stable key order for the trace's state digests, and the
// servers' final stores for the checkers.

import type { Key, NodeId } from '../../protocol/core.ts';

export function sortedEntries<V>(map: ReadonlyMap<Key, V>): [Key, V][] {
  const entries = [...map.entries()];
  // Most maps are built in key order already: checking costs less than sorting (once per step).
  for (let i = 1; i < entries.length; i++) {
    if (entries[i - 1]![0] > entries[i]![0])
      return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
  return entries;
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
