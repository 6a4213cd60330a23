/*
 * A tour of normal replication — the happy path under the `fixed` preset.
 *
 * Goal:     Follow one write, one delete and one refused read through the protocol as designed,
 *           with every fix in place, and see every guarantee hold.
 * Method:   The `fixed` preset, no knob flipped; every message takes 5 ms. c1 writes x=1 through a
 *           follower; c2 reads x from each server in turn; c1 deletes x; c2 reads the tombstone.
 *           Then the link from the leader to s3 is held for a moment, so s3 falls behind a new
 *           write, x=3, and c2 asks s3 for x after reading x=3 from the leader.
 * Expected: every operation succeeds and every guarantee holds. Read the timeline beside the notes:
 *           a PUT sent to a follower is forwarded to the leader; the leader stamps it, replicates
 *           it to both followers at once, and answers only when both have acknowledged; s3 refuses
 *           c2 (TRY_OTHER_SERVER_OR_LATER) rather than go back in time, and c2 retries at the next
 *           server after a 100 ms back-off.
 */

import type { Scenario } from '../sim/scenario.ts';

export default {
  goal: 'A write, a delete and a refused read, step by step, with every guarantee holding',
  preset: 'fixed',
  network: { delayMinMs: 5, delayMaxMs: 5 },
  steps: [
    {
      at: 0,
      client: 'c1',
      put: ['x', '1'],
      via: 's2',
      expect: 'PUT_OK',
      note: 'c1 asks the follower s2, which forwards the PUT to the leader s1 (watch the next 30 ms)',
    },
    {
      at: 100,
      client: 'c2',
      get: 'x',
      via: 's1',
      expect: { reply: 'GET_OK', value: '1' },
      note: 's1 stamped ts 10, replicated to s2 and s3 at once, answered once both acknowledged; now c2 reads x',
    },
    {
      at: 200,
      client: 'c2',
      get: 'x',
      via: 's2',
      expect: { reply: 'GET_OK', value: '1' },
      note: 'c2 sends the ts it holds, 10; s2 holds ts 10 as well, not older: GET_OK',
    },
    {
      at: 300,
      client: 'c2',
      get: 'x',
      via: 's3',
      expect: { reply: 'GET_OK', value: '1' },
      note: 'and so does s3: any server will do',
    },
    {
      at: 400,
      client: 'c1',
      delete: 'x',
      via: 's3',
      expect: 'DELETE_OK',
      note: 'a DELETE travels like a PUT: the leader stamps a tombstone x=⊥ and replicates it',
    },
    {
      at: 500,
      client: 'c2',
      get: 'x',
      via: 's2',
      expect: { reply: 'NULL', value: null },
      note: "s2 answers NULL with the tombstone's ts: c2 records that it saw the delete",
    },
    { at: 600, hold: ['s1', 's3'], note: 'the link from the leader to s3 slows down' },
    {
      at: 700,
      client: 'c1',
      put: ['x', '3'],
      via: 's1',
      expect: 'PUT_OK',
      note: "s2 acknowledges x=3 at once; s3's REPLICATION, and so the PUT_OK, must wait",
    },
    {
      at: 800,
      client: 'c2',
      get: 'x',
      via: 's1',
      expect: { reply: 'GET_OK', value: '3' },
      note: 'the leader already holds x=3: c2 now carries its ts',
    },
    {
      at: 900,
      client: 'c2',
      get: 'x',
      via: 's3',
      expect: { reply: 'GET_OK', value: '3', server: 's1' },
      note: "s3 holds only the tombstone, older than c2's ts: it refuses; c2 retries at s1",
    },
    {
      at: 1_100,
      release: ['s1', 's3'],
      note: 's3 stores x=3 and acknowledges: c1 gets its PUT_OK',
    },
    {
      at: 1_200,
      client: 'c2',
      get: 'x',
      via: 's3',
      expect: { reply: 'GET_OK', value: '3' },
      note: 's3 has caught up: it answers c2 itself',
    },
  ],
  expect: { violations: [], findings: [] },
} satisfies Scenario;
