/*
 * Follower keeps an older write — anomaly A1 (followerApply: overwrite).
 *
 * Goal:     See a follower store two REPLICATIONs of a key in the wrong order and keep the older
 *           one for good, because it stores whatever arrives.
 * Method:   The `fixed` preset with one knob flipped: followerApply=overwrite. s3's
 *           acknowledgements are held on the link s3 → s1, so the leader, hearing nothing, sends
 *           c1's REPLICATION of x=1 again after 500 ms. By then s3 has already stored c2's newer
 *           x=2, and the late copy of x=1 overwrites it. The acknowledgements are then let through,
 *           both PUTs complete, and c3, who carries no timestamp, reads x from s3.
 * Expected: both PUTs get PUT_OK; s3 ends with x=1 while s1 and s2 hold x=2, so convergence breaks,
 *           and c3 reads the old 1. That read alone is linearizable: c1's PUT x=1 was still
 *           unanswered when c2's PUT x=2 started, so a register may take x=2 first and x=1 after it.
 *           With --knob followerApply=newer-wins (its fixed value) the same steps keep every
 *           guarantee: s3 ignores the late copy because its ts is older than what it holds.
 */

import type { Scenario } from '../sim/scenario.ts';

export default {
  goal: 'A late copy of an older REPLICATION overwrites a newer value on s3 for good',
  preset: 'fixed',
  knobs: { followerApply: 'overwrite' },
  clients: ['c1', 'c2', 'c3'],
  network: { delayMinMs: 5, delayMaxMs: 5 },
  steps: [
    { at: 0, hold: ['s3', 's1'], note: "s3's REPLICATION_OKs wait on the link to the leader" },
    {
      at: 0,
      client: 'c1',
      put: ['x', '1'],
      via: 's1',
      expect: 'PUT_OK',
      note: 's3 stores x=1, but the leader does not hear back',
    },
    {
      at: 200,
      client: 'c2',
      put: ['x', '2'],
      via: 's1',
      expect: 'PUT_OK',
      note: 'a newer write: s3 stores x=2; at 0.505 s the leader resends x=1, s3 stores it again',
    },
    { at: 600, release: ['s3', 's1'], note: 'the acknowledgements arrive: both PUTs complete' },
    {
      at: 1_000,
      client: 'c3',
      get: 'x',
      via: 's3',
      expect: { reply: 'GET_OK', value: '1' },
      note: 's3 kept the older x=1; c3 has no timestamp, so nothing stops it reading it',
    },
  ],
  expect: { violations: ['convergence'], findings: [] },
} satisfies Scenario;
