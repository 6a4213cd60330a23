/*
 * Stale read — the demonstration from the Portuguese write-up (seed 000).
 *
 * Goal:     See why a follower answers TRY_OTHER_SERVER_OR_LATER, and why another client may still
 *           read the old value from that same follower.
 * Method:   Under the `seed` preset the leader waits 10 s before each REPLICATION and serves the
 *           followers one after another. c1 writes x=1 and waits for PUT_OK. It then writes x=2
 *           and, while the leader is still replicating, reads x from the leader (learning the new
 *           timestamp) and then from s3, which the new REPLICATION has not reached. c2, who has
 *           never read x, asks s3 too. Once replication is over, c1 asks s3 again.
 * Expected: the leader answers c1 GET_OK 2; s3 refuses c1 with TRY_OTHER_SERVER_OR_LATER (it is
 *           behind what c1 has seen) but gives c2 the old value 1 (c2 carries no timestamp); after
 *           replication s3 answers c1 GET_OK 2. Every session guarantee holds; the linearizability
 *           checker notes anomaly A4: c2 read 1 after c1's read of 2 had finished.
 */

import type { Scenario } from '../sim/scenario.ts';

export default {
  goal: 'A lagging follower refuses c1 (TRY_OTHER_SERVER_OR_LATER) but serves c2 the old value',
  preset: 'seed',
  servers: ['s1', 's2', 's3'],
  leader: 's1',
  clients: ['c1', 'c2'],
  network: { delayMinMs: 5, delayMaxMs: 15 },
  steps: [
    {
      at: 0,
      client: 'c1',
      put: ['x', '1'],
      via: 's1',
      expect: 'PUT_OK',
      note: 'c1 writes x=1; the leader replicates to s2, then s3, 10 s apart',
    },
    {
      at: 25_000,
      client: 'c1',
      put: ['x', '2'],
      via: 's1',
      expect: 'PUT_OK',
      note: 'c1 writes x=2; its REPLICATIONs leave at about 35 s (s2) and 45 s (s3)',
    },
    {
      at: 26_000,
      client: 'c1',
      get: 'x',
      via: 's1',
      expect: { reply: 'GET_OK', value: '2' },
      note: 'the leader already holds x=2: c1 now carries its timestamp',
    },
    {
      at: 27_000,
      client: 'c1',
      get: 'x',
      via: 's3',
      expect: 'TRY_OTHER_SERVER_OR_LATER',
      note: 's3 still holds x=1, older than what c1 has seen',
    },
    {
      at: 28_000,
      client: 'c2',
      get: 'x',
      via: 's3',
      expect: { reply: 'GET_OK', value: '1' },
      note: 'c2 has no timestamp for x, so s3 serves it the old value',
    },
    {
      at: 50_000,
      client: 'c1',
      get: 'x',
      via: 's3',
      expect: { reply: 'GET_OK', value: '2' },
      note: 'replication is over: s3 now answers c1',
    },
  ],
  expect: { violations: [], findings: ['linearizability'] },
} satisfies Scenario;
