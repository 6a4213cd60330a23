/*
 * A duplicated PUT overwrites newer data — anomaly A10 (requestIds: none).
 *
 * Goal:     See an old copy of a PUT, delivered late, stamped again by the leader as a brand new
 *           write, so that it overwrites what the same client wrote after it.
 * Method:   The `fixed` preset with one knob flipped: requestIds=none, so the leader cannot tell a
 *           copy of a request it has already handled from a new one. c1 sends PUT x=1 to s2, but
 *           the link c1 → s2 is held. After 1 s without an answer c1 resends the same request to
 *           s3, which forwards it to the leader: PUT_OK. c1 then writes x=2. Finally the link c1 →
 *           s2 is released: s2 forwards the first copy of PUT x=1 to the leader.
 * Expected: both PUTs get PUT_OK; then the leader stamps the late copy of x=1 with a new, larger ts
 *           and replicates it, so every replica ends with x=1 and c1 reads back 1: its x=2 is lost.
 *           Monotonic writes breaks: each replica stored c1's PUT x=1 after it had held c1's later
 *           PUT x=2; and convergence reports the lost update: the acknowledged x=2 is gone, hidden
 *           behind the new ts of a second stamping of x=1. The linearizability checker notes that
 *           no register gives c1 its 1 back after its x=2 was answered. With --knob
 *           requestIds=dedupe (its fixed value) the leader knows c1 already has its answer for that
 *           request and drops the copy: every guarantee holds.
 */

import type { Scenario } from '../sim/scenario.ts';

export default {
  goal: "A late copy of c1's PUT x=1 is stamped anew and overwrites c1's later x=2",
  preset: 'fixed',
  knobs: { requestIds: 'none' },
  clients: ['c1'],
  network: { delayMinMs: 5, delayMaxMs: 5 },
  steps: [
    { at: 0, hold: ['c1', 's2'], note: "c1's messages to s2 wait on the link" },
    {
      at: 0,
      client: 'c1',
      put: ['x', '1'],
      via: 's2',
      expect: 'PUT_OK',
      note: 'the PUT waits on the link; at 1 s c1 resends it to s3, which forwards it',
    },
    { at: 1_100, client: 'c1', put: ['x', '2'], via: 's1', expect: 'PUT_OK' },
    {
      at: 1_200,
      release: ['c1', 's2'],
      note: 'the first copy of PUT x=1 reaches the leader, which stamps it as a new write',
    },
    {
      at: 1_500,
      client: 'c1',
      get: 'x',
      via: 's1',
      expect: { reply: 'GET_OK', value: '1' },
      note: 'c1 wrote x=1 then x=2, and reads 1',
    },
  ],
  expect: { violations: ['monotonic-writes', 'convergence'], findings: ['linearizability'] },
} satisfies Scenario;
