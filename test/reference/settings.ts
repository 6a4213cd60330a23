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
