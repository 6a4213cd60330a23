// The settings the differential runs cycle through: both stores under both presets, each knob
// PROTOCOL.md §4 names for an anomaly flipped alone over `fixed`, and a few timing knobs (a short
// replication delay, a short lease, timeouts under the seed) that put more of a run in flight.

import type { PlanSettings } from '../../sim/explore/plan.ts';

const replicated = (preset: string, knobs: Record<string, string | number> = {}): PlanSettings => ({
  store: 'replicated',
  preset,
  knobs,
});

export const SETTINGS: readonly PlanSettings[] = [
  replicated('seed'),
  replicated('fixed'),
  replicated('fixed', { followerApply: 'overwrite' }),
  replicated('fixed', { clientSession: 'pipelined' }),
  replicated('fixed', { leaderClock: 'wall' }),
  replicated('fixed', { missingKeyReply: 'null-first' }),
  replicated('fixed', { durability: 'memory' }),
  replicated('fixed', { requestIds: 'none' }),
  replicated('fixed', { ackPolicy: 'ignore-failures' }),
  replicated('fixed', { clientTimestamp: 'last' }),
  replicated('fixed', { retryOnTryOther: 'none' }),
  replicated('fixed', { replicationFanout: 'sequential', replicationDelay: 300 }),
  replicated('seed', { replicationDelay: 200 }),
  replicated('seed', { leaderClock: 'hybrid', clientSession: 'sequential' }),
  { store: 'lock', preset: 'seed', knobs: {} },
  { store: 'lock', preset: 'fixed', knobs: {} },
  { store: 'lock', preset: 'fixed', knobs: { lockOwnerCheck: 'none' } },
  { store: 'lock', preset: 'fixed', knobs: { lockLease: 0 } },
  { store: 'lock', preset: 'fixed', knobs: { fencing: 'none' } },
  { store: 'lock', preset: 'fixed', knobs: { requestIds: 'none' } },
  { store: 'lock', preset: 'seed', knobs: { requestTimeout: 300 } },
  { store: 'lock', preset: 'fixed', knobs: { lockLease: 300 } },
];

const LEASES = [0, 40, 120, 300, 5_000];
const TIMEOUTS = [0, 60, 150, 300, 1_000];

/**
 * The lock store's settings for `many.ts N SEED lock`, number i of every combination: each of the
 * four knobs of §2 and the request timeout on or off, and leases from none to shorter than one
 * message's delay (a holder whose lease runs out mid-operation). Every knob is set, so the two
 * presets name the same protocol: each combination runs twice, under two labels.
 */
export function lockSettings(i: number): PlanSettings {
  let n = i;
  const pick = <T>(values: readonly T[]): T => {
    const v = values[n % values.length]!;
    n = Math.floor(n / values.length);
    return v;
  };
  return {
    store: 'lock',
    preset: pick(['seed', 'fixed']),
    knobs: {
      lockOwnerCheck: pick(['none', 'holder']),
      fencing: pick(['none', 'token']),
      requestIds: pick(['none', 'dedupe']),
      lockLease: pick(LEASES),
      requestTimeout: pick(TIMEOUTS),
    },
  };
}

/** How many settings lockSettings cycles through. */
export const LOCK_SETTINGS_COUNT = 2 * 2 * 2 * 2 * LEASES.length * TIMEOUTS.length;
