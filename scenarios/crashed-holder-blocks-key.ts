/*
 * Crashed holder blocks the key — anomaly A6 of the lock store (seed 004).
 *
 * Goal:     See a client crash while it holds a key's lock, and the key stay locked for good.
 * Method:   The `seed` preset: a lock is held until its holder releases it (no lease). Every
 *           message takes 5 ms. c1 writes x=1 and crashes after the write has landed but before its
 *           RELEASE_LOCK leaves; it restarts a second later with no memory of the lock. c2 then
 *           writes x twice, seconds apart, and c1 reads x.
 * Expected: every later request for x is told LOCK_DENIED ("another client is accessing the key"),
 *           c1's own included: nobody is accessing x, yet nobody ever will again. Liveness breaks:
 *           x is locked forever by c1's c1.1, and the witness names c2's first denied write. Under
 *           `--preset fixed` (or `--knob lockLease=5000`) the key is freed: c1's lease runs out at
 *           5.005s, so c2's first write is still denied (the lease is running) but its second is
 *           granted and c1 reads x=2; no guarantee breaks.
 */

import type { Scenario } from '../sim/scenario.ts';

export default {
  goal: 'A client crashes holding the lock of x, and x stays locked forever (A6)',
  store: 'lock',
  preset: 'seed',
  clients: ['c1', 'c2'],
  network: { delayMinMs: 5, delayMaxMs: 5 },
  steps: [
    {
      at: 0,
      client: 'c1',
      put: ['x', '1'],
      expect: { pending: true },
      note: 'c1 takes the lock of x and writes x=1 (stored at 0.015s)',
    },
    {
      at: 18,
      crash: 'c1',
      note: 'c1 crashes before its PUT_OK arrives: it will never send RELEASE_LOCK',
    },
    { at: 1_000, restart: 'c1', note: 'c1 comes back, remembering nothing of the lock' },
    {
      at: 2_000,
      client: 'c2',
      put: ['x', '2'],
      expect: 'LOCK_DENIED',
      note: 'x is still locked for c1.1: c2 is told another client is accessing the key',
    },
    {
      at: 7_000,
      client: 'c2',
      put: ['x', '2'],
      expect: 'LOCK_DENIED',
      note: 'five seconds later it is still locked (under fixed, the lease ran out at 5.005s)',
    },
    {
      at: 8_000,
      client: 'c1',
      get: 'x',
      expect: 'LOCK_DENIED',
      note: 'even c1, the holder, is locked out: its new operation is not c1.1',
    },
  ],
  expect: { violations: ['liveness'] },
} satisfies Scenario;
