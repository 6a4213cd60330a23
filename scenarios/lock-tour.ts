/*
 * A tour of the lock store (seed 004) as it should work: the `fixed` preset.
 *
 * Goal:     Follow one operation through acquire, operate and release; see a second client denied
 *           while the first holds the lock; see a lease free the lock of a client that crashed;
 *           watch the fencing token rise with every grant.
 * Method:   The `fixed` preset: only the holder may operate and release, a lock lasts at most 5 s
 *           (its lease), every grant carries a rising token, requests are answered once. Every
 *           message takes 5 ms. 1. c1 writes x=1: ACQUIRE_LOCK, LOCK_GRANTED (token 1), PUT,
 *           PUT_OK, RELEASE_LOCK. 2. c1 writes x=2, but its replies wait on the link for a moment;
 *           c2 tries to write x. 3. c2 reads x once c1 is done. 4. c2 writes y=1 and crashes before
 *           releasing y's lock; c1 tries to read y at once, and again after the lease has run out.
 * Expected: c1's writes get PUT_OK with ts 1 and 2 (tokens 1 and 2); c2's write of x is told
 *           LOCK_DENIED ("another client is accessing the key"); c2 reads x=2 (token 3). After c2's
 *           crash, c1's first read of y is denied (c2's lease, token 4, is still running), its
 *           second reads y=1 with token 5 (the lease ran out at 5.505s). No guarantee breaks.
 */

import type { Scenario } from '../sim/scenario.ts';

export default {
  goal: 'The lock store as it should work: acquire, operate, release; denied; a lease; tokens rise',
  store: 'lock',
  preset: 'fixed',
  clients: ['c1', 'c2'],
  network: { delayMinMs: 5, delayMaxMs: 5 },
  steps: [
    {
      at: 0,
      client: 'c1',
      put: ['x', '1'],
      expect: 'PUT_OK',
      note: 'acquire, operate, release: the lock of x is granted with token 1',
    },
    { at: 100, hold: ['s1', 'c1'], note: "s1's replies to c1 will wait on the link for a moment" },
    {
      at: 100,
      client: 'c1',
      put: ['x', '2'],
      expect: 'PUT_OK',
      note: 's1 grants c1 the lock of x again, with token 2',
    },
    {
      at: 200,
      client: 'c2',
      put: ['x', '3'],
      expect: 'LOCK_DENIED',
      note: 'c1 holds x: c2 is told another client is accessing the key',
    },
    { at: 300, release: ['s1', 'c1'], note: 'c1 hears LOCK_GRANTED, writes x=2 and releases' },
    {
      at: 400,
      client: 'c2',
      get: 'x',
      expect: { reply: 'GET_OK', value: '2' },
      note: 'x is free: c2 reads it under token 3',
    },
    {
      at: 500,
      client: 'c2',
      put: ['y', '1'],
      expect: { pending: true },
      note: 'c2 writes y=1 under token 4; its lease runs until 5.505s',
    },
    { at: 518, crash: 'c2', note: 'c2 crashes after its write, before releasing the lock of y' },
    {
      at: 1_000,
      client: 'c1',
      get: 'y',
      expect: 'LOCK_DENIED',
      note: "c2's lease is still running: c1 is denied",
    },
    { at: 1_500, restart: 'c2', note: 'c2 comes back, remembering nothing of the lock' },
    {
      at: 6_000,
      client: 'c1',
      get: 'y',
      expect: { reply: 'GET_OK', value: '1' },
      note: "the lease ran out at 5.505s: c1 gets y's lock with token 5",
    },
  ],
  expect: { violations: [] },
} satisfies Scenario;
