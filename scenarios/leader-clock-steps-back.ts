/*
 * The leader's clock steps back — anomaly A3 (leaderClock: wall).
 *
 * Goal:     See an acknowledged write vanish because the leader stamped it with a clock that had
 *           just jumped 5 s into the past.
 * Method:   The `fixed` preset with one knob flipped: leaderClock=wall, so the leader stamps each
 *           write with its clock reading as it is. c1 writes x=1 at 10 s. The leader's clock then
 *           steps back 5 s (think of an NTP correction). c2 reads x, writes x=2, and reads x again
 *           from the follower s2.
 * Expected: c2's PUT x=2 gets PUT_OK, stamped ts 7105: older than the ts 10005 of the x=1 it had
 *           just read, so writes-follow-reads breaks. The followers (newer-wins) ignore the "older"
 *           x=2 while the leader keeps it: the replicas never converge, and c2 reads back x=1 from
 *           s2 — its acknowledged write is lost (read-your-writes, which compares timestamps,
 *           holds: 10005 is above 7105). The linearizability checker, which ignores timestamps,
 *           notes c2 reading 1 after its x=2 was answered. With --knob leaderClock=hybrid (its fixed
 *           value) the leader stamps max(clock, last ts + 1) = 10006: every guarantee holds.
 */

import type { Scenario } from '../sim/scenario.ts';

export default {
  goal: "The leader's clock steps back 5 s: c2's new write gets an older ts and is lost",
  preset: 'fixed',
  knobs: { leaderClock: 'wall' },
  network: { delayMinMs: 5, delayMaxMs: 5 },
  steps: [
    { at: 10_000, client: 'c1', put: ['x', '1'], via: 's1', expect: 'PUT_OK' },
    { at: 11_000, clockStep: 's1', byMs: -5_000, note: "the leader's clock jumps back 5 s" },
    {
      at: 12_000,
      client: 'c2',
      get: 'x',
      via: 's1',
      expect: { reply: 'GET_OK', value: '1' },
      note: 'c2 sees x=1 with ts 10005',
    },
    {
      at: 12_100,
      client: 'c2',
      put: ['x', '2'],
      via: 's1',
      expect: 'PUT_OK',
      note: 'the leader stamps x=2 with its clock, 7105: followers ignore it as older',
    },
    {
      at: 12_500,
      client: 'c2',
      get: 'x',
      via: 's2',
      expect: { reply: 'GET_OK', value: '1' },
      note: 'c2 was told PUT_OK, yet s2 still gives it x=1',
    },
  ],
  expect: { violations: ['writes-follow-reads', 'convergence'], findings: ['linearizability'] },
} satisfies Scenario;
