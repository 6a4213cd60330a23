/*
 * One follower down blocks every PUT — anomaly A11 (ackPolicy: all-followers, no failover).
 *
 * Goal:     See the price of the fix for lost acknowledged writes: when the leader waits for every
 *           follower, one follower that stays down stops all writes.
 * Method:   The `fixed` preset as it is: ackPolicy=all-followers, so the leader answers PUT_OK only
 *           once every follower has acknowledged, and resends each REPLICATION every 500 ms until
 *           it has. c1 writes x=1 with all servers up. s3 then crashes and stays down. c1 writes
 *           x=2; c2 reads x from s2 meanwhile. c1 resends its PUT every second to the next server,
 *           and the leader resends to s3: the run never settles and ends at its time bound, 30 s.
 * Expected: x=1 gets PUT_OK; x=2 never does (the leader still waits for REPLICATION_OK from s3), so
 *           liveness breaks. Reads still work: c2 even reads the unacknowledged x=2 from s2.
 *           Convergence is not judged, as the run did not settle. This time the `fixed` value is
 *           the cause: ackPolicy=ignore-failures would answer PUT_OK and leave s3 behind (lost
 *           writes when it comes back), and the real remedy — dropping a dead follower from the
 *           group, or acknowledging a majority — is beyond this protocol. If s3 restarts instead of
 *           staying down, it gets the REPLICATION on the next resend and x=2 completes.
 */

import type { Scenario } from '../sim/scenario.ts';

export default {
  goal: 'With s3 down for good, the leader waits for it forever: PUT x=2 never completes',
  preset: 'fixed',
  network: { delayMinMs: 5, delayMaxMs: 5 },
  runUntilMs: 30_000,
  steps: [
    { at: 0, client: 'c1', put: ['x', '1'], via: 's1', expect: 'PUT_OK' },
    { at: 1_000, crash: 's3', note: 's3 crashes and never comes back' },
    {
      at: 2_000,
      client: 'c1',
      put: ['x', '2'],
      via: 's1',
      expect: { pending: true },
      note: 's2 acknowledges at once; the leader resends to s3 every 0.5 s, in vain',
    },
    {
      at: 3_000,
      client: 'c2',
      get: 'x',
      via: 's2',
      expect: { reply: 'GET_OK', value: '2' },
      note: 'reads still work, and s2 already holds the write that c1 is waiting for',
    },
  ],
  expect: { violations: ['liveness'] },
} satisfies Scenario;
