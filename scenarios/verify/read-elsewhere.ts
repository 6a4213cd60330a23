/*
 * A small configuration for `npm run verify`: one writer and two readers, at different servers.
 *
 * Goal:     Check every schedule of c1 writing x while c2 reads x from the leader and c3 from s2.
 * Method:   Only the clients' operations and the servers they ask matter to verify: it tries every
 *           order of deliveries, timeouts and (within budgets) drops, duplicates and crashes.
 * Expected: under `fixed`, every schedule keeps every guarantee, and verify lists one informative
 *           finding beside: c2 reads x=1 from the leader, then c3, starting after c2 finished,
 *           reads no value from s2 (A4: the design is not linearizable). `--informative` stops
 *           the search there and writes the schedule as a case.
 */

import type { Scenario } from '../../sim/scenario.ts';

export default {
  goal: 'c1 writes x; c2 reads x from the leader, then c3 from the follower',
  preset: 'fixed',
  servers: ['s1', 's2'],
  clients: ['c1', 'c2', 'c3'],
  steps: [
    { at: 0, client: 'c1', put: ['x', '1'], via: 's1' },
    { at: 1, client: 'c2', get: 'x', via: 's1' },
    { at: 2, client: 'c3', get: 'x', via: 's2' },
  ],
} satisfies Scenario;
