/*
 * Pipelined PUTs overtake each other — anomaly A2 (clientSession: pipelined).
 *
 * Goal:     See a client's second write reach the leader before its first, so that the first one,
 *           stamped later, is the one that stays.
 * Method:   The `fixed` preset with one knob flipped: clientSession=pipelined, so c1 fires a
 *           request without waiting for the previous answer. c1 sends PUT x=1 to the follower s2,
 *           which forwards it to the leader (two hops), and 1 ms later PUT x=2 straight to the
 *           leader s1 (one hop). Every message takes 5 ms, so x=2 arrives first. c1 then reads x.
 * Expected: the leader stamps x=2 with ts 6 and x=1 with ts 10; both PUTs get PUT_OK and c1 reads
 *           back x=1, its FIRST write. Monotonic writes breaks twice: the second write got a ts not
 *           newer than the first, and every replica held x=2 before x=1. With --knob
 *           clientSession=sequential (its fixed value) c1 sends x=2 only after PUT_OK for x=1:
 *           every guarantee holds and c1 reads 2.
 */

import type { Scenario } from '../sim/scenario.ts';

export default {
  goal: "c1's pipelined PUT x=2 reaches the leader first, so its older PUT x=1 wins",
  preset: 'fixed',
  knobs: { clientSession: 'pipelined' },
  clients: ['c1'],
  network: { delayMinMs: 5, delayMaxMs: 5 },
  steps: [
    {
      at: 0,
      client: 'c1',
      put: ['x', '1'],
      via: 's2',
      expect: 'PUT_OK',
      note: 'c1 sends x=1 to s2, which forwards it: it reaches the leader at 0.010 s',
    },
    {
      at: 1,
      client: 'c1',
      put: ['x', '2'],
      via: 's1',
      expect: 'PUT_OK',
      note: 'without waiting, c1 sends x=2 to the leader itself: it arrives first, at 0.006 s',
    },
    {
      at: 500,
      client: 'c1',
      get: 'x',
      via: 's1',
      expect: { reply: 'GET_OK', value: '1' },
      note: 'c1 meant x=2 to be last, but x=1 got the larger ts',
    },
  ],
  expect: { violations: ['monotonic-writes'] },
} satisfies Scenario;
