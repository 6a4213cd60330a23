/*
 * A small configuration for `npm run verify`: a client writes y after reading another's x.
 *
 * Goal:     Check every schedule of c2 writing x while c1 reads x from the leader, then writes y.
 * Method:   Only the clients' operations and the servers they ask matter to verify: it tries every
 *           order of deliveries, timeouts and (within budgets) drops, duplicates and crashes.
 * Expected: under `fixed`, every schedule keeps every guarantee, and verify lists one informative
 *           finding beside: s2 stores c1's y=1 while it still has no x, the value c1 had read
 *           before writing y (A12: timestamps are per key). `--informative` stops the search
 *           there and writes the schedule as a case.
 */

import type { Scenario } from '../../sim/scenario.ts';

export default {
  goal: 'c2 writes x; c1 reads x from the leader, then writes y',
  preset: 'fixed',
  servers: ['s1', 's2'],
  clients: ['c1', 'c2'],
  steps: [
    { at: 0, client: 'c2', put: ['x', '1'], via: 's1' },
    { at: 1, client: 'c1', get: 'x', via: 's1' },
    { at: 2, client: 'c1', put: ['y', '1'], via: 's1' },
  ],
} satisfies Scenario;
