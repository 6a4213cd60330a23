/*
 * Lock released by a stranger — anomaly A5 of the lock store (seed 004).
 *
 * Goal:     See a resent RELEASE_LOCK free another client's lock, so that two clients hold the lock
 *           of x at once and both write it.
 * Method:   The `seed` preset (the write-up's ReleaseLock frees the key's lock whoever asks), with
 *           one change: a client resends an unanswered request after 1 s, as a call with a deadline
 *           would. Every message takes 5 ms. c2 writes x=2; its RELEASE_OK is held on the link, so
 *           c2 resends RELEASE_LOCK. Meanwhile c1 has been granted x's lock, but its LOCK_GRANTED
 *           is held on the link. c2's resent RELEASE_LOCK frees c1's lock; c3 asks for x and is
 *           granted it. Then c1 learns it holds the lock and writes x=1 while c3 writes x=3.
 * Expected: c1, c2 and c3 all get PUT_OK. Mutual exclusion breaks: c3 was granted x's lock while c1
 *           still held it (c2 had released c1's lock). Every session guarantee holds: each client's
 *           writes still get rising versions. Under `--preset fixed` (or `--knob
 *           lockOwnerCheck=holder`) the same steps keep mutual exclusion: the server refuses to let
 *           c2 free c1's lock (fixed also answers the resent RELEASE_LOCK from memory), so c3 is
 *           told LOCK_DENIED and c1 writes alone.
 */

import type { Scenario } from '../sim/scenario.ts';

export default {
  goal: "A resent RELEASE_LOCK frees another client's lock: two clients hold x at once (A5)",
  store: 'lock',
  preset: 'seed',
  knobs: { requestTimeout: 1_000 },
  clients: ['c1', 'c2', 'c3'],
  network: { delayMinMs: 5, delayMaxMs: 5 },
  steps: [
    {
      at: 0,
      client: 'c2',
      put: ['x', '2'],
      expect: 'PUT_OK',
      note: 'c2 writes x=2 under the lock',
    },
    {
      at: 22,
      hold: ['s1', 'c2'],
      note: "c2's RELEASE_OK will wait on the link: c2 resends RELEASE_LOCK at 1.020s",
    },
    {
      at: 400,
      hold: ['s1', 'c1'],
      note: 'c1 will not hear from s1 for a while',
    },
    {
      at: 500,
      client: 'c1',
      put: ['x', '1'],
      expect: 'PUT_OK',
      note: 's1 grants c1 the lock of x; LOCK_GRANTED waits on the link',
    },
    {
      at: 1_100,
      client: 'c3',
      put: ['x', '3'],
      expect: 'PUT_OK',
      note: "c2's resent RELEASE_LOCK has freed c1's lock: c3 is granted it",
    },
    {
      at: 1_100,
      release: ['s1', 'c1'],
      note: 'c1 learns it holds the lock and writes x=1 while c3 holds it too',
    },
    { at: 1_500, release: ['s1', 'c2'], note: "c2's RELEASE_OKs arrive: its write is over" },
  ],
  expect: { violations: ['mutual-exclusion'] },
} satisfies Scenario;
