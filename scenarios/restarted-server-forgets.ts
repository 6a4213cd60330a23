/*
 * A restarted server has forgotten everything — anomaly A9 (durability: memory).
 *
 * Goal:     See a follower come back from a crash with an empty store, and nothing ever refill it.
 * Method:   The `fixed` preset with one knob flipped: durability=memory, so a server keeps its
 *           store only in memory. c1 writes x=1; every replica stores it. s3 crashes and restarts.
 *           c2, who has read x before, asks s3 again; then c3, who never read x, asks s3.
 * Expected: s3 comes back empty. c2 carries a ts, so s3 refuses it (TRY_OTHER_SERVER_OR_LATER) and
 *           c2 gets 1 from s1 on its retry; c3 carries none and gets NULL, although c1's write had
 *           long been acknowledged (the linearizability checker notes it). Nobody sends s3 the lost
 *           write again: convergence breaks. (With the seed's missingKeyReply=null-first as well,
 *           s3 would answer c2 NULL too and monotonic reads would break: see A8 in
 *           missing-key-answers-null.ts.) With --knob durability=disk (its fixed value) s3 keeps
 *           x=1 across the restart and every guarantee holds.
 */

import type { Scenario } from '../sim/scenario.ts';

export default {
  goal: 's3 restarts with an empty store: the write it lost never comes back',
  preset: 'fixed',
  knobs: { durability: 'memory' },
  clients: ['c1', 'c2', 'c3'],
  network: { delayMinMs: 5, delayMaxMs: 5 },
  steps: [
    { at: 0, client: 'c1', put: ['x', '1'], via: 's1', expect: 'PUT_OK' },
    { at: 100, client: 'c2', get: 'x', via: 's2', expect: { reply: 'GET_OK', value: '1' } },
    { at: 200, crash: 's3' },
    { at: 300, restart: 's3', note: 's3 comes back with nothing in memory' },
    {
      at: 400,
      client: 'c2',
      get: 'x',
      via: 's3',
      expect: { reply: 'GET_OK', value: '1', server: 's1' },
      note: 's3 is behind the ts c2 carries: it refuses, and c2 retries at s1',
    },
    {
      at: 800,
      client: 'c3',
      get: 'x',
      via: 's3',
      expect: { reply: 'NULL', value: null },
      note: 'c3 carries no ts: s3 says x does not exist',
    },
  ],
  expect: { violations: ['convergence'], findings: ['linearizability'] },
} satisfies Scenario;
