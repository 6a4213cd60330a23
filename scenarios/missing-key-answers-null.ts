/*
 * A follower without the key answers NULL — anomaly A8 (missingKeyReply: null-first).
 *
 * Goal:     See a lagging follower that has never heard of a key tell a client "no such key",
 *           although the client has already read a value of it.
 * Method:   The `fixed` preset with one knob flipped: missingKeyReply=null-first, so a server with
 *           no value for a key answers NULL whatever timestamp the client sends. The link from the
 *           leader to s3 is held, so c1's PUT x=1 reaches s1 and s2 but not s3. c2 reads x from the
 *           leader, then from s3. Then the link is released and the PUT completes.
 * Expected: c2 reads 1 (ts 105) from the leader, then NULL from s3: monotonic reads breaks, a read
 *           went back from ts 105 to no version at all (a linearizability finding too). With --knob
 *           missingKeyReply=ts-first (its fixed value) s3 answers TRY_OTHER_SERVER_OR_LATER, since
 *           c2 carries a ts, and c2 retries at s1 and reads 1: every guarantee holds.
 */

import type { Scenario } from '../sim/scenario.ts';

export default {
  goal: 'A lagging follower answers NULL to c2, who has already read x=1',
  preset: 'fixed',
  knobs: { missingKeyReply: 'null-first' },
  network: { delayMinMs: 5, delayMaxMs: 5 },
  steps: [
    { at: 0, hold: ['s1', 's3'], note: 'the link from the leader to s3 is slow for a while' },
    {
      at: 100,
      client: 'c1',
      put: ['x', '1'],
      via: 's1',
      expect: 'PUT_OK',
      note: 's1 and s2 store x=1; the REPLICATION for s3 waits on the link',
    },
    {
      at: 200,
      client: 'c2',
      get: 'x',
      via: 's1',
      expect: { reply: 'GET_OK', value: '1' },
      note: 'c2 now carries ts 105 for x',
    },
    {
      at: 300,
      client: 'c2',
      get: 'x',
      via: 's3',
      expect: { reply: 'NULL', value: null },
      note: 's3 has never heard of x and says NULL, ignoring the ts c2 sent',
    },
    { at: 500, release: ['s1', 's3'], note: 's3 catches up and the PUT completes' },
  ],
  expect: { violations: ['monotonic-reads'], findings: ['linearizability'] },
} satisfies Scenario;
