/*
 * Two writes in the same millisecond — anomaly A7 (leaderClock: wall).
 *
 * Goal:     See two different writes get the same timestamp, and how quietly that goes wrong.
 * Method:   The `fixed` preset with one knob flipped: leaderClock=wall, so a write's ts is the
 *           leader's clock reading in ms. c1 writes x=1 and c2 writes x=2 at the same moment; both
 *           PUTs reach the leader at 0.005 s. Then each client reads x back from a follower, and c1
 *           also from the leader.
 * Expected: both writes are stamped ts 5. The leader keeps the one it handled last, x=2; each
 *           follower keeps the first REPLICATION and ignores the second (newer-wins: ts 5 is not
 *           newer than ts 5). unique-timestamps and convergence break. The session checkers see
 *           nothing, because they compare timestamps and every ts here is 5: yet c2 reads back 1
 *           right after writing 2, and c1 reads 2 from the leader, then 1 from s2: the
 *           linearizability checker, which compares values, not timestamps, notes it. Under --knob
 *           leaderClock=hybrid (its fixed value) the second write gets ts 6 and every guarantee
 *           holds.
 */

import type { Scenario } from '../sim/scenario.ts';

export default {
  goal: 'Two PUTs in the same millisecond get the same ts: replicas disagree, nobody notices',
  preset: 'fixed',
  knobs: { leaderClock: 'wall' },
  network: { delayMinMs: 5, delayMaxMs: 5 },
  steps: [
    { at: 0, client: 'c1', put: ['x', '1'], via: 's1', expect: 'PUT_OK', note: 'stamped ts 5' },
    {
      at: 0,
      client: 'c2',
      put: ['x', '2'],
      via: 's1',
      expect: 'PUT_OK',
      note: 'also stamped ts 5: the leader keeps x=2, the followers keep x=1',
    },
    {
      at: 100,
      client: 'c2',
      get: 'x',
      via: 's2',
      expect: { reply: 'GET_OK', value: '1' },
      note: 'c2 wrote 2 and reads 1, with the same ts 5: read-your-writes cannot tell',
    },
    { at: 200, client: 'c1', get: 'x', via: 's1', expect: { reply: 'GET_OK', value: '2' } },
    {
      at: 300,
      client: 'c1',
      get: 'x',
      via: 's2',
      expect: { reply: 'GET_OK', value: '1' },
      note: 'c1 read 2, now 1, both ts 5: monotonic reads cannot tell either',
    },
  ],
  expect: { violations: ['unique-timestamps', 'convergence'], findings: ['linearizability'] },
} satisfies Scenario;
