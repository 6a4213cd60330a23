/*
 * A small configuration for `npm run verify`: one write, and a follower that may never come back.
 *
 * Goal:     Check every schedule of c1 writing x when s2 may crash and stay down
 *           (`--max-down-for-good 1`).
 * Method:   Only the clients' operations and the servers they ask matter to verify: it tries every
 *           order of deliveries and timeouts, and the follower's crash at any point.
 * Expected: under `fixed`, liveness breaks (A11): the leader waits for REPLICATION_OK from s2
 *           forever, so the PUT stays pending longer than the knobs' bound. With
 *           `--knob ackPolicy=ignore-failures` every schedule keeps every guarantee (s2 is left
 *           behind, but it never comes back to serve an old value).
 */

import type { Scenario } from '../../sim/scenario.ts';

export default {
  goal: 'c1 writes x; the follower may crash and never come back',
  preset: 'fixed',
  servers: ['s1', 's2'],
  clients: ['c1'],
  steps: [{ at: 0, client: 'c1', put: ['x', '1'], via: 's1' }],
} satisfies Scenario;
