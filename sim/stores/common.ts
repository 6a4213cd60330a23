// What every store's wiring shares: stable key order for the trace's state digests, and the
// servers' final stores for the checkers.

import type { Key, NodeId, StringTable } from '../../protocol/core.ts';

/**
 * The most entries a digest lists by name. A leader retransmitting every millisecond can hold
 * thousands of writes, and a generated workload can touch thousands of keys; listing them all at
 * every step makes a traced run quadratic (a run over 6,000 keys wrote a 3.8 GB trace), so past
 * this a digest gives their number instead.
 */
export const DIGEST_LIST_MAX = 32;

/** A table's keys in order, or, past DIGEST_LIST_MAX, one entry saying how many there are. */
export function digestList(
  table: { readonly size: number; keys(): Iterable<string> },
  noun: string,
) {
  return table.size <= DIGEST_LIST_MAX ? [...table.keys()] : [`${table.size} ${noun}`];
}

/**
 * A store's (or a client's seen timestamps') digest: every key with what `shown` makes of its
 * entry, or past DIGEST_LIST_MAX keys none of them and `keys`, their number.
 */
export function digestTable<V, S>(
  table: { readonly size: number; entries(): Iterable<[Key, V]> },
  shown: (entry: V) => S,
): { readonly entries: Record<Key, S>; readonly keys?: number } {
  if (table.size > DIGEST_LIST_MAX) return { entries: {}, keys: table.size };
  // fromEntries, not assignment: a key named __proto__ must stay a key.
  return { entries: Object.fromEntries(sortedEntries(table).map(([k, v]) => [k, shown(v)])) };
}

/**
 * A node's clock skew in a scenario's table of them: 0 when the table does not name it. Read as
 * an own field: a node named `constructor` or `toString` would otherwise read a function from the
 * object's prototype (and the leader stamp writes with ts NaN).
 */
export function clockSkewOf(skews: Readonly<Record<NodeId, number>>, id: NodeId): number {
  return Object.hasOwn(skews, id) ? (skews[id] ?? 0) : 0;
}

/** A table's or a map's entries by key. */
export function sortedEntries<V>(table: { entries(): Iterable<[Key, V]> }): [Key, V][] {
  const entries = [...table.entries()];
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
    if (s !== undefined) {
      const store = new Map((s.state as { store: StringTable<V> }).store.entries());
      out.set(id, { up: s.up, store });
    }
  }
  return out;
}
