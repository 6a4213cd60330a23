/*
 * A small configuration for `npm run verify`: one writer, one reader who reads twice.
 *
 * Goal:     Check every schedule of c1 writing x while c2 reads x from the leader, then from s3.
 * Method:   Only the clients' operations and the servers they ask matter to verify: it tries every
 *           order of deliveries, timeouts and (within budgets) drops, duplicates and crashes.
 *           `npm run sim` runs it too, as one schedule among them.
 * Expected: under `fixed`, every schedule keeps every guarantee; with
 *           `--knob missingKeyReply=null-first`, s3 may answer NULL to c2 after c2 read x=1 (A8).
 */

import type { Scenario } from '../../sim/scenario.ts';

export default {
  goal: 'c1 writes x; c2 reads x from the leader, then from s3 (a small configuration for verify)',
  preset: 'fixed',
  servers: ['s1', 's2', 's3'],
  clients: ['c1', 'c2'],
  steps: [
    { at: 0, client: 'c1', put: ['x', '1'], via: 's1' },
    { at: 100, client: 'c2', get: 'x', via: 's1' },
    { at: 200, client: 'c2', get: 'x', via: 's3' },
  ],
} satisfies Scenario;
