// The flags `serve` and `live` share — which store, how many servers, which leader, which preset
// and knobs — checked into one cluster description, each mistake one sentence (exit 2).

import type { ClusterSpec } from '../live/node.ts';
import { resolveStoreKnobs, STORES, type StoreName } from '../stores/index.ts';
import { parseKnobFlags, UsageError } from './usage.ts';

export const CLUSTER_OPTIONS = {
  store: { type: 'string' },
  servers: { type: 'string' },
  leader: { type: 'string' },
  preset: { type: 'string' },
  knob: { type: 'string', multiple: true },
} as const;

export interface ClusterFlags {
  readonly store?: string | undefined;
  readonly servers?: string | undefined;
  readonly leader?: string | undefined;
  readonly preset?: string | undefined;
  readonly knob?: readonly string[] | undefined;
}

/** A whole number within [min, max] from a flag, or the fallback when the flag is absent. */
export function wholeNumber(
  raw: string | undefined,
  flag: string,
  fallback: number,
  min: number,
  max: number,
  /** Where the bounds come from, when they are not the flag's own: `, so that …`. */
  why = '',
): number {
  if (raw === undefined) return fallback;
  const n = /^\d{1,9}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(
      `${flag} must be a whole number from ${min} to ${max}${why} (got '${raw}')`,
    );
  return n;
}

export function storeFlag(raw: string | undefined): StoreName {
  if (raw === undefined) return 'replicated';
  if (!Object.hasOwn(STORES, raw))
    throw new UsageError(`--store must be one of ${Object.keys(STORES).join(', ')} (got '${raw}')`);
  return raw as StoreName;
}

export function clusterFromFlags(
  flags: ClusterFlags,
  clients: readonly string[],
  defaultPreset: string,
): ClusterSpec {
  const store = STORES[storeFlag(flags.store)];
  const count = wholeNumber(flags.servers, '--servers', store.defaultServers, 1, 9);
  const servers = Array.from({ length: count }, (_, i) => `s${i + 1}`);
  const leader = flags.leader ?? servers[0]!;
  if (!servers.includes(leader))
    throw new UsageError(`--leader must be one of ${servers.join(', ')} (got '${leader}')`);
  const unsuitable = store.topologyError({ servers, leader, clients, clockSkewMs: {} });
  if (unsuitable !== null) throw new UsageError(`${unsuitable}; use --servers 1`);
  const preset = flags.preset ?? defaultPreset;
  const knobs = resolveStoreKnobs(store, preset, parseKnobFlags(flags.knob), 'the store (--store)');
  if (!knobs.ok) throw new UsageError(knobs.error);
  return { store, preset, knobs: knobs.value, servers, leader, clients };
}
