// The mutual-exclusion checker and the lock store's liveness, on histories written by hand: for each
// rule the smallest history that breaks it and the smallest that keeps it, with the exact witness.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { brokenGuarantees } from '../sim/check/index.ts';
import {
  blockedKeys,
  holdsOf,
  LOCK_LIVENESS,
  MUTUAL_EXCLUSION,
} from '../sim/check/mutual-exclusion.ts';
import type { CheckInput, Violation } from '../sim/check/types.ts';
import { type Apply, History, type LockEvent, type Operation } from '../sim/kernel/history.ts';
import { runScenario, type Scenario, type ScenarioRun } from '../sim/scenario.ts';
import { mutualExclusion } from './reference/mutual-exclusion.ts';

/** An operation of the lock store; `done` is its completion, or 'crashed at t', or pending. */
function op(
  id: number,
  requestId: string,
  fields: {
    kind?: Operation['op'];
    key?: string;
    value?: string | null;
    at: number;
    done?: number;
    reply?: string;
    crashedAt?: number;
  },
): Operation {
  const client = requestId.split('.')[0]!;
  const done = fields.done ?? null;
  return {
    id,
    client,
    op: fields.kind ?? 'put',
    key: fields.key ?? 'x',
    value: fields.value ?? null,
    requestId,
    invokedAt: fields.at,
    completedAt: done,
    invokedSeq: fields.at * 2 + 1,
    completedSeq: done === null ? null : done * 2,
    reply: done === null ? null : (fields.reply ?? 'PUT_OK'),
    server: done === null ? null : 's1',
    result: null,
    ts: null,
    abandonedAt: fields.crashedAt ?? null,
    session: client,
  };
}

function grant(t: number, requestId: string, token: number, key = 'x'): LockEvent {
  const holder = requestId.split('.')[0]!;
  return { t, node: 's1', key, event: 'grant', holder, requestId, token, by: null };
}

/** The server frees grant `g`: released by `by` (a client), or its lease ran out (by: null). */
function freed(t: number, g: LockEvent, by: string | null): LockEvent {
  return { ...g, t, event: by === null ? 'expire' : 'release', by };
}

function write(t: number, origin: string, ts: number, key = 'x'): Apply {
  return { t, node: 's1', key, value: `v${ts}`, ts, origin };
}

function input(
  operations: Operation[],
  locks: LockEvent[],
  applies: Apply[] = [],
  settled = true,
): CheckInput {
  return {
    operations,
    applies,
    locks,
    replicas: new Map([['s1', { up: true, store: new Map() }]]),
    quiescent: settled,
    endedAt: 100_000,
    faultsEndAt: 0,
    networkHealed: true,
    explainPending: () => 'waits',
  };
}

function violations(checked: ReturnType<typeof MUTUAL_EXCLUSION.check>): readonly Violation[] {
  if ('notJudged' in checked) throw new Error(`not judged: ${checked.notJudged}`);
  return checked.violations;
}

describe('two holders at once', () => {
  // c2's stray RELEASE_LOCK frees c1's lock while c1 is at work, and c3 is granted it. c1 goes on
  // as the holder (A5) until its operation ends: it completes, or its client crashes (the server
  // freed the lock before the crash, so the crash does not end the hold any earlier).
  const firstHolder = [
    ['completes', op(1, 'c1.1', { at: 0, done: 130 })],
    ['crashes before it is done', op(1, 'c1.1', { at: 0, crashedAt: 130 })],
  ] as const;
  it.each(firstHolder)(
    "is caught when a stranger's release lets a second client in (A5) and the first %s",
    (_, first) => {
      const g1 = grant(5, 'c1.1', 1);
      const g3 = grant(120, 'c3.1', 2);
      const history = input(
        [first, op(2, 'c3.1', { at: 115, done: 140 })],
        [g1, freed(100, g1, 'c2'), g3, freed(135, g3, 'c3')],
        [write(125, 'c3.1', 2)],
      );
      expect(violations(MUTUAL_EXCLUSION.check(history))).toEqual([
        {
          guarantee: 'mutual-exclusion',
          ops: [1, 2],
          nodes: ['s1'],
          at: 120,
          sentence:
            "c3 was granted x's lock for c3.1 at 0.120s while c1 still held it for c1.1 (c2 had released c1's lock at 0.100s)",
        },
      ]);
    },
  );

  // The same stray release, but c1's grant had a lease: c1 holds the lock until the lease runs
  // out (PROTOCOL.md §2: the holder must finish before it does), although the server, freed by the
  // stranger, never records that expiry.
  const leased = (t: number, requestId: string, token: number, expiresAt: number): LockEvent => ({
    ...grant(t, requestId, token),
    expiresAt,
  });

  it("is not when a stranger's release freed a leased lock and the next grant comes after the lease ran out", () => {
    const g1 = leased(5, 'c1.1', 1, 45);
    const g3 = leased(120, 'c3.1', 2, 160);
    const history = input(
      [op(1, 'c1.1', { at: 0, done: 130 }), op(2, 'c3.1', { at: 115, done: 140 })],
      [g1, freed(30, g1, 'c2'), g3, freed(135, g3, 'c3')],
      [write(125, 'c3.1', 2)],
    );
    expect(violations(MUTUAL_EXCLUSION.check(history))).toEqual([]);
  });

  it('is when the next grant comes before the lease of the lock a stranger freed ran out', () => {
    const g1 = leased(5, 'c1.1', 1, 45);
    const g3 = leased(40, 'c3.1', 2, 80);
    const history = input(
      [op(1, 'c1.1', { at: 0, done: 130 }), op(2, 'c3.1', { at: 35, done: 70 })],
      [g1, freed(30, g1, 'c2'), g3, freed(65, g3, 'c3')],
    );
    expect(violations(MUTUAL_EXCLUSION.check(history)).map((v) => [v.ops, v.at])).toEqual([
      [[1, 2], 40],
    ]);
  });

  it('is when the next grant comes before the lease ran out, in a history whose entries carry their places', () => {
    // As a run records it: every entry has its place in the order of events (here twice its ms;
    // an operation's invocation one more), so the lease's end is placed among the entries.
    const g1 = { ...leased(5, 'c1.1', 1, 45), seq: 10 };
    const g3 = { ...leased(40, 'c3.1', 2, 80), seq: 80 };
    const history = input(
      [op(1, 'c1.1', { at: 0, done: 130 }), op(2, 'c3.1', { at: 35, done: 70 })],
      [g1, { ...freed(30, g1, 'c2'), seq: 60 }, g3, { ...freed(65, g3, 'c3'), seq: 130 }],
    );
    expect(violations(MUTUAL_EXCLUSION.check(history)).map((v) => [v.ops, v.at])).toEqual([
      [[1, 2], 40],
    ]);
    // Granted once the lease had run out (at 0.050s, not 0.040s): nothing is wrong.
    const later = { ...leased(50, 'c3.1', 2, 80), seq: 100 };
    const after = input(
      [op(1, 'c1.1', { at: 0, done: 130 }), op(2, 'c3.1', { at: 35, done: 70 })],
      [g1, { ...freed(30, g1, 'c2'), seq: 60 }, later, { ...freed(65, later, 'c3'), seq: 130 }],
    );
    expect(violations(MUTUAL_EXCLUSION.check(after))).toEqual([]);
  });

  it('catches a write its client lands after its lease ran out, while another client holds the lock', () => {
    const g1 = leased(5, 'c1.1', 1, 45);
    const g3 = leased(120, 'c3.1', 2, 160);
    const history = input(
      [op(1, 'c1.1', { at: 0, done: 150 }), op(2, 'c3.1', { at: 115, done: 140 })],
      [g1, freed(30, g1, 'c2'), g3, freed(145, g3, 'c3')],
      [write(125, 'c1.1', 2)],
    );
    expect(violations(MUTUAL_EXCLUSION.check(history))).toEqual([
      {
        guarantee: 'mutual-exclusion',
        ops: [1, 2],
        nodes: ['s1'],
        at: 125,
        sentence:
          "c1's PUT x=null (op 1, c1.1, issued at 0.000s) landed at s1 at 0.125s (ts 2) although its lease had run out at 0.045s (c2 had released its lock at 0.030s): c3 held x's lock for c3.1",
      },
    ]);
  });

  it("is caught when a late copy of the holder's release of an earlier request frees its lock (A5)", () => {
    // c1 is at work on c1.2 (a GET) when a copy of its RELEASE_LOCK for c1.1 arrives: the server
    // frees the lock, c1 goes on as if it held it, and c2 is granted it meanwhile.
    const g1 = grant(5, 'c1.2', 1);
    const g2 = grant(15, 'c2.1', 2);
    const history = input(
      [
        op(1, 'c1.2', { kind: 'get', at: 0, done: 30, reply: 'GET_OK' }),
        op(2, 'c2.1', { at: 12, done: 40 }),
      ],
      [g1, { ...freed(10, g1, 'c1'), byRequest: 'c1.1' }, g2, freed(35, g2, 'c2')],
      [write(20, 'c2.1', 2)],
    );
    expect(violations(MUTUAL_EXCLUSION.check(history))).toEqual([
      {
        guarantee: 'mutual-exclusion',
        ops: [1, 2],
        nodes: ['s1'],
        at: 15,
        sentence:
          "c2 was granted x's lock for c2.1 at 0.015s while c1 still held it for c1.2 (c1's late RELEASE_LOCK for c1.1 had released c1's lock at 0.010s)",
      },
    ]);
    // The same release sent for c1.2 itself ends c1's hold: nothing is wrong.
    const own = input(
      history.operations as Operation[],
      [g1, { ...freed(10, g1, 'c1'), byRequest: 'c1.2' }, g2, freed(35, g2, 'c2')],
      [write(20, 'c2.1', 2)],
    );
    expect(violations(MUTUAL_EXCLUSION.check(own))).toEqual([]);
  });

  it('is not when the holder released before the next grant, though its reply was still on its way', () => {
    const g1 = grant(5, 'c1.1', 1);
    const g2 = grant(25, 'c2.1', 2);
    const history = input(
      [op(1, 'c1.1', { at: 0, done: 30 }), op(2, 'c2.1', { at: 20, done: 50 })],
      [g1, freed(25, g1, 'c1'), g2, freed(45, g2, 'c2')],
      [write(15, 'c1.1', 1), write(35, 'c2.1', 2)],
    );
    expect(violations(MUTUAL_EXCLUSION.check(history))).toEqual([]);
  });

  it('is not when a lease ran out: the holder was bound to stop by then', () => {
    const g1 = grant(5, 'c1.1', 1);
    const history = input(
      [
        op(1, 'c1.1', { at: 0, done: 6_000, reply: 'LOCK_NOT_ACQUIRED' }),
        op(2, 'c2.1', { at: 5_100, done: 5_130 }),
      ],
      [g1, freed(5_005, g1, null), grant(5_105, 'c2.1', 2)],
    );
    expect(violations(MUTUAL_EXCLUSION.check(history))).toEqual([]);
  });

  it('is not when the holder released a second grant for the same request, which a late copy of its ACQUIRE_LOCK got', () => {
    // c2's stray release frees c1's lock; c1's duplicated ACQUIRE_LOCK has it granted again for
    // the same request; c1's one RELEASE_LOCK frees that grant: c1 is done before c2 is granted.
    const g1 = grant(102, 'c1.3', 2);
    const again = grant(106, 'c1.3', 3);
    const g2 = grant(210, 'c2.3', 4);
    const history = input(
      [op(7, 'c1.3', { at: 91, done: 232 }), op(3, 'c2.3', { at: 185, done: 259 })],
      [g1, freed(103, g1, 'c2'), again, freed(205, again, 'c1'), g2, freed(250, g2, 'c2')],
      [write(133, 'c1.3', 3), write(237, 'c2.3', 4)],
    );
    expect(violations(MUTUAL_EXCLUSION.check(history))).toEqual([]);
  });

  it('is not when each of two late grants for one request was released by its holder before the next client came', () => {
    // As above, and after c2 is done yet another late copy of c1's ACQUIRE_LOCK is granted and a
    // late copy of its RELEASE_LOCK frees it: c1's first release (0.205s) still ends its holds of
    // the grants before it, so they never overlap c2's.
    const g1 = grant(102, 'c1.3', 2);
    const again = grant(106, 'c1.3', 3);
    const g2 = grant(210, 'c2.3', 4);
    const late = grant(255, 'c1.3', 5);
    const history = input(
      [op(7, 'c1.3', { at: 91, done: 232 }), op(3, 'c2.3', { at: 185, done: 259 })],
      [
        g1,
        freed(103, g1, 'c2'),
        again,
        freed(205, again, 'c1'),
        g2,
        freed(250, g2, 'c2'),
        late,
        freed(258, late, 'c1'),
      ],
      [write(133, 'c1.3', 3), write(237, 'c2.3', 4)],
    );
    expect(violations(MUTUAL_EXCLUSION.check(history))).toEqual([]);
  });

  it("is not when the holder's release frees the lock a late copy of its earlier request got, before the next grant", () => {
    // c2's stray release frees c1's lock for c1.2; a late copy of c1's ACQUIRE_LOCK for c1.1 (a
    // GET long over) is granted; c1's RELEASE_LOCK for c1.2 frees that grant: c1 is done with
    // x before c2 is granted, though c1's RELEASE_OK is still on its way.
    const mine = grant(110, 'c1.2', 2);
    const stale = grant(115, 'c1.1', 3);
    const next = grant(131, 'c2.2', 4);
    const released = { ...freed(125, stale, 'c1'), byRequest: 'c1.2' };
    const history = input(
      [
        op(1, 'c1.1', { kind: 'get', at: 1, done: 30, reply: 'GET_OK' }),
        op(3, 'c1.2', { kind: 'get', at: 100, done: 180, reply: 'GET_OK' }),
        op(4, 'c2.2', { at: 126, done: 160 }),
      ],
      [mine, freed(112, mine, 'c2'), stale, released, next, freed(150, next, 'c2')],
      [write(140, 'c2.2', 4)],
    );
    expect(violations(MUTUAL_EXCLUSION.check(history))).toEqual([]);
    expect(holdsOf(history.locks, history.operations)[0]!.end).toBeLessThan(Infinity);
  });

  it('is not when a release and a fresh grant for the same request share a millisecond', () => {
    // c1's first grant for c1.3 is released, and a resent ACQUIRE_LOCK has it granted again in
    // the same millisecond: the release came first, so it does not end the second grant.
    const first = grant(109, 'c1.3', 3);
    const again = grant(115, 'c1.3', 4);
    const history = input(
      [op(3, 'c1.3', { at: 106, done: 763 })],
      [first, freed(115, first, 'c1'), again, freed(749, again, 'c1')],
      [write(733, 'c1.3', 4)],
    );
    expect(violations(MUTUAL_EXCLUSION.check(history))).toEqual([]);
  });

  it("is not when a stranger frees a crashed client's lock: nobody is using it", () => {
    const g1 = grant(5, 'c1.1', 1);
    const history = input(
      [op(1, 'c1.1', { at: 0, crashedAt: 8 }), op(2, 'c3.1', { at: 115, done: 140 })],
      [g1, freed(100, g1, 'c2'), grant(120, 'c3.1', 2)],
    );
    expect(violations(MUTUAL_EXCLUSION.check(history))).toEqual([]);
  });
});

describe('writes from a client that does not hold the lock', () => {
  it("is not caught when a late copy of the client's own earlier write lands under its own later lock", () => {
    // c1's DELETE (c1.1) is resent and its late copy lands while c1 holds the lock for c1.3: the
    // client that wrote holds the lock (PROTOCOL.md §3 speaks of clients); MW judges the order.
    const g1 = grant(24, 'c1.1', 1);
    const g3 = grant(2456, 'c1.3', 3);
    const history = input(
      [
        op(1, 'c1.1', { kind: 'delete', at: 2, done: 2314, reply: 'DELETE_OK' }),
        op(3, 'c1.3', { kind: 'delete', at: 2441, done: 2603, reply: 'DELETE_OK' }),
      ],
      [g1, freed(2280, g1, 'c1'), g3, freed(2574, g3, 'c1')],
      [write(609, 'c1.1', 1), write(2522, 'c1.3', 6), write(2573, 'c1.1', 7)],
    );
    expect(violations(MUTUAL_EXCLUSION.check(history))).toEqual([]);
  });

  it('is caught when a late copy of a finished PUT lands under another client’s lock', () => {
    const g1 = grant(5, 'c1.1', 1);
    const g2 = grant(40, 'c2.1', 2);
    const history = input(
      [op(1, 'c1.1', { at: 0, value: '1', done: 30 }), op(2, 'c2.1', { at: 35, done: 70 })],
      [g1, freed(25, g1, 'c1'), g2, freed(65, g2, 'c2')],
      [write(15, 'c1.1', 1), write(50, 'c1.1', 2), write(55, 'c2.1', 3)],
    );
    expect(violations(MUTUAL_EXCLUSION.check(history))).toEqual([
      {
        guarantee: 'mutual-exclusion',
        ops: [1, 2],
        nodes: ['s1'],
        at: 50,
        sentence:
          "c1's PUT x=1 (op 1, c1.1, issued at 0.000s) landed at s1 at 0.050s (ts 2) although c1.1 had finished at 0.030s: c2 held x's lock for c2.1",
      },
    ]);
  });

  it('is caught when a request never granted the lock writes under someone else’s', () => {
    const history = input(
      [op(1, 'c1.1', { at: 0, done: 30 }), op(2, 'c2.1', { at: 0, value: '2', done: 20 })],
      [grant(5, 'c1.1', 1)],
      [write(10, 'c2.1', 1)],
    );
    expect(violations(MUTUAL_EXCLUSION.check(history))).toMatchObject([
      {
        ops: [2, 1],
        at: 10,
        sentence:
          "c2's PUT x=2 (op 2, c2.1, issued at 0.000s) landed at s1 at 0.010s (ts 1) although c2.1 had never been granted x's lock: c1 held x's lock for c1.1",
      },
    ]);
  });

  it('names the client that held the lock then, not a grant the server kept for an operation that had ended', () => {
    // c2's stray release frees c1's lock (A5); c3 is granted it and its operation ends without
    // freeing it; c4, never granted, writes while c1 still holds the lock as the clients hold it.
    const g1 = grant(5, 'c1.1', 1);
    const history = input(
      [
        op(1, 'c1.1', { at: 0, done: 100 }),
        op(3, 'c3.1', { at: 15, done: 25 }),
        op(4, 'c4.1', { at: 45, value: '4', done: 60 }),
      ],
      [g1, freed(10, g1, 'c2'), grant(20, 'c3.1', 2)],
      [write(50, 'c4.1', 3)],
    );
    const stray = violations(MUTUAL_EXCLUSION.check(history)).filter((v) => v.at === 50);
    expect(stray).toMatchObject([
      {
        ops: [4, 1],
        sentence:
          "c4's PUT x=4 (op 4, c4.1, issued at 0.045s) landed at s1 at 0.050s (ts 3) although c4.1 had never been granted x's lock: c1 held x's lock for c1.1",
      },
    ]);
  });

  it('says nobody held the lock when the server kept it for an operation that had ended', () => {
    // c2's LOCK_GRANTED is lost and c2.1 ends denied, its grant stranded; a late copy of c1.1's
    // PUT lands under it.
    const run = runScenario({
      goal: "c1.1's late PUT copy lands under c2.1's stranded grant",
      store: 'lock',
      preset: 'seed',
      knobs: { requestTimeout: 60 },
      clients: ['c1', 'c2'],
      network: { delayMinMs: 5, delayMaxMs: 5 },
      steps: [
        { at: 0, duplicate: 'PUT', from: 'c1', to: 's1', copyByMs: 500 },
        { at: 0, client: 'c1', put: ['x', '1'], via: 's1' },
        { at: 100, drop: 'LOCK_GRANTED', from: 's1', to: 'c2' },
        { at: 100, client: 'c2', put: ['x', '2'], via: 's1' },
      ],
    });
    const mutex = run.verdicts.find((v) => v.guarantee === 'mutual-exclusion')!;
    expect(mutex.violations.map((v) => v.sentence)).toEqual([
      "c1's PUT x=1 (op 1, c1.1, issued at 0.000s) landed at s1 at 0.515s (ts 2) although c1.1 had finished at 0.030s: s1 still held x's lock for c2.1, which had finished at 0.170s without freeing it: nobody held it",
    ]);
  });

  it('is caught when a late copy lands under a lock granted after its client crashed: nobody holds that grant', () => {
    // c1's ACQUIRE_LOCK for c1.2 was still on its way when c1 crashed; the server granted it after,
    // and a delayed copy of c1.1's finished write then found the key locked.
    const g1 = grant(5, 'c1.1', 1);
    const g2 = grant(50, 'c1.2', 2);
    const history = input(
      [op(1, 'c1.1', { at: 0, value: '1', done: 30 }), op(2, 'c1.2', { at: 35, crashedAt: 40 })],
      [g1, freed(25, g1, 'c1'), g2],
      [write(15, 'c1.1', 1), write(90, 'c1.1', 2)],
    );
    expect(violations(MUTUAL_EXCLUSION.check(history))).toEqual([
      {
        guarantee: 'mutual-exclusion',
        ops: [1, 2],
        nodes: ['s1'],
        at: 90,
        sentence:
          "c1's PUT x=1 (op 1, c1.1, issued at 0.000s) landed at s1 at 0.090s (ts 2) although c1.1 had finished at 0.030s: s1 held x's lock for c1.2, granted after c1 had crashed at 0.040s",
      },
    ]);
    // The same grant made before the crash is held until the server frees it: no stray write.
    const before = input(
      [op(1, 'c1.1', { at: 0, value: '1', done: 30 }), op(2, 'c1.2', { at: 35, crashedAt: 60 })],
      [g1, freed(25, g1, 'c1'), g2],
      [write(15, 'c1.1', 1), write(90, 'c1.1', 2)],
    );
    expect(violations(MUTUAL_EXCLUSION.check(before))).toEqual([]);
  });

  it('is caught, named once, when a late copy lands under a grant its own request got again after it finished', () => {
    // A late ACQUIRE_LOCK for c1.1 was granted after c1.1 had finished: the server's table says c1
    // holds the lock for c1.1, but no operation of c1 is using it.
    const g1 = grant(5, 'c1.1', 1);
    const again = grant(40, 'c1.1', 2);
    const history = input(
      [op(1, 'c1.1', { at: 0, value: '1', done: 30 })],
      [g1, freed(25, g1, 'c1'), again],
      [write(15, 'c1.1', 1), write(50, 'c1.1', 2)],
    );
    expect(violations(MUTUAL_EXCLUSION.check(history))).toEqual([
      {
        guarantee: 'mutual-exclusion',
        ops: [1],
        nodes: ['s1'],
        at: 50,
        sentence:
          "c1's PUT x=1 (op 1, c1.1, issued at 0.000s) landed at s1 at 0.050s (ts 2) although c1.1 had finished at 0.030s: s1 had granted it to c1.1 again at 0.040s, after c1.1 had finished",
      },
    ]);
  });

  it("names a late grant to the client's earlier request as one no operation holds", () => {
    // c1.2's grant was freed at 60; then a late ACQUIRE_LOCK of c1.1, finished at 30, is granted.
    // The table says c1 holds x, but for c1.1: c1.2's resent write at 80 is stray all the same.
    const g2 = grant(40, 'c1.2', 2);
    const history = input(
      [op(1, 'c1.1', { at: 0, done: 30 }), op(2, 'c1.2', { at: 35, value: '2', done: 100 })],
      [
        grant(5, 'c1.1', 1),
        freed(25, grant(5, 'c1.1', 1), 'c1'),
        g2,
        freed(60, g2, null),
        grant(70, 'c1.1', 3),
      ],
      [write(50, 'c1.2', 1), write(80, 'c1.2', 2)],
    );
    expect(violations(MUTUAL_EXCLUSION.check(history)).map((v) => v.sentence)).toEqual([
      "c1's PUT x=2 (op 2, c1.2, issued at 0.035s) landed at s1 at 0.080s (ts 2) although its lease had run out at 0.060s: s1 had granted it to c1.1 at 0.070s, after c1.1 had finished",
    ]);
  });

  it('is not when the write lands while its request holds the lock', () => {
    const history = input(
      [op(1, 'c1.1', { at: 0, done: 30 })],
      [grant(5, 'c1.1', 1)],
      [write(15, 'c1.1', 1)],
    );
    expect(violations(MUTUAL_EXCLUSION.check(history))).toEqual([]);
  });
});

describe('a key locked forever (liveness, A6)', () => {
  it('names the crashed holder and the first request denied after it', () => {
    const history = input(
      [
        op(1, 'c1.1', { at: 0, crashedAt: 18 }),
        op(2, 'c2.1', { at: 2_000, value: '2', done: 2_010, reply: 'LOCK_DENIED' }),
        op(3, 'c2.2', { at: 7_000, value: '2', done: 7_010, reply: 'LOCK_DENIED' }),
      ],
      [grant(5, 'c1.1', 1)],
    );
    expect(violations(LOCK_LIVENESS.check(history))).toEqual([
      {
        guarantee: 'liveness',
        ops: [1, 2],
        nodes: ['s1'],
        at: 18,
        sentence:
          "Key x is locked forever: its lock was granted to c1 for c1.1 at 0.005s, c1 crashed at 0.018s, and no release or lease will free it; c2's PUT x=2 (op 2, c2.1, issued at 2.000s) was denied",
      },
    ]);
  });

  it('tells a crash before the grant in the order it happened (the ACQUIRE_LOCK still on its way)', () => {
    const history = input(
      [
        op(1, 'c1.1', { at: 0, crashedAt: 2 }),
        op(2, 'c2.1', { at: 2_000, value: '2', done: 2_010, reply: 'LOCK_DENIED' }),
      ],
      [grant(5, 'c1.1', 1)],
    );
    expect(violations(LOCK_LIVENESS.check(history)).map((v) => v.sentence)).toEqual([
      "Key x is locked forever: its lock was granted to c1 for c1.1 at 0.005s, after c1 had crashed at 0.002s with its ACQUIRE_LOCK on its way, and no release or lease will free it; c2's PUT x=2 (op 2, c2.1, issued at 2.000s) was denied",
    ]);
  });

  it('names a request denied after the holder crashed in event order, not one of the same millisecond before it', () => {
    // Every entry placed in event order: c2.1 and c2.2 are both issued in the millisecond c1
    // crashes, c2.1 before the crash (denied while c1 still held the lock), c2.2 after it.
    const history = input(
      [
        { ...op(1, 'c1.1', { at: 0, crashedAt: 18 }), invokedSeq: 1, abandonedSeq: 40 },
        {
          ...op(2, 'c2.1', { at: 18, value: '2', done: 20, reply: 'LOCK_DENIED' }),
          invokedSeq: 39,
          completedSeq: 45,
        },
        {
          ...op(3, 'c2.2', { at: 18, value: '3', done: 25, reply: 'LOCK_DENIED' }),
          invokedSeq: 41,
          completedSeq: 50,
        },
      ],
      [{ ...grant(5, 'c1.1', 1), seq: 10 }],
    );
    expect(violations(LOCK_LIVENESS.check(history)).map((v) => [v.ops, v.at])).toEqual([
      [[1, 3], 18],
    ]);
  });

  it('names a late ACQUIRE_LOCK granted after its operation had finished', () => {
    const g1 = grant(5, 'c1.1', 1);
    const history = input(
      [op(1, 'c1.1', { at: 0, done: 30 })],
      [g1, freed(25, g1, 'c1'), grant(32, 'c1.1', 2)],
    );
    expect(blockedKeys(history)).toEqual([
      {
        guarantee: 'liveness',
        ops: [1],
        nodes: ['s1'],
        at: 32,
        sentence:
          'Key x is locked forever: its lock was granted to c1 for c1.1 at 0.032s by a late ACQUIRE_LOCK after c1.1 had finished at 0.030s, and no release or lease will free it',
      },
    ]);
  });

  it('names a late ACQUIRE_LOCK granted after its holder had released, before its reply came back', () => {
    const g1 = grant(5, 'c1.1', 1);
    const history = input(
      [
        op(1, 'c1.1', { at: 0, done: 43 }),
        op(2, 'c2.1', { at: 50, done: 60, reply: 'LOCK_DENIED' }),
      ],
      [g1, freed(13, g1, 'c1'), grant(18, 'c1.1', 2)],
    );
    expect(blockedKeys(history).map((v) => [v.ops, v.at, v.sentence])).toEqual([
      [
        [1, 2],
        43,
        "Key x is locked forever: its lock was granted to c1 for c1.1 at 0.018s by a late ACQUIRE_LOCK after c1 had released c1.1's lock at 0.013s, and no release or lease will free it; c2's PUT x=null (op 2, c2.1, issued at 0.050s) was denied",
      ],
    ]);
    expect(violations(MUTUAL_EXCLUSION.check(history))).toEqual([]);
  });

  it('holds while a partition is still in force at the end and every operation completed: a key is judged locked once faults heal', () => {
    // PROTOCOL.md §3: "after faults heal, every invoked operation completes". The faults never
    // healed; every operation is over (c1's with its crash): nothing is left to wait for.
    const history = {
      ...input(
        [
          op(1, 'c1.1', { at: 0, crashedAt: 18 }),
          op(2, 'c2.1', { at: 2_000, value: '2', done: 2_010, reply: 'LOCK_DENIED' }),
        ],
        [grant(5, 'c1.1', 1)],
      ),
      networkHealed: false,
    };
    expect(LOCK_LIVENESS.check(history)).toEqual({ violations: [] });
    // Healed, the same run has the key locked forever (A6).
    const healed = LOCK_LIVENESS.check({ ...history, networkHealed: true });
    expect('violations' in healed && healed.violations.map((v) => v.ops)).toEqual([[1, 2]]);
  });

  it('is not reported for a lock a lease freed, nor before the run has settled', () => {
    const g1 = grant(5, 'c1.1', 1);
    const crashed = [op(1, 'c1.1', { at: 0, crashedAt: 18 })];
    expect(violations(LOCK_LIVENESS.check(input(crashed, [g1, freed(5_005, g1, null)])))).toEqual(
      [],
    );
    expect(violations(LOCK_LIVENESS.check(input(crashed, [g1], [], false)))).toEqual([]);
  });

  it('names a lock granted for a request no operation of the history made', () => {
    // A stray ACQUIRE_LOCK (c1.9: no operation of c1 has that request id) took the lock and
    // nothing will free it: the key is locked forever, and c2 is denied after that.
    const history = input(
      [op(1, 'c2.1', { at: 100, value: '2', done: 110, reply: 'LOCK_DENIED' })],
      [grant(5, 'c1.9', 1)],
    );
    expect(violations(LOCK_LIVENESS.check(history))).toEqual([
      {
        guarantee: 'liveness',
        ops: [1],
        nodes: ['s1'],
        at: 5,
        sentence:
          "Key x is locked forever: its lock was granted to c1 for c1.9 at 0.005s, for which c1 runs no operation, and no release or lease will free it; c2's PUT x=2 (op 1, c2.1, issued at 0.100s) was denied",
      },
    ]);
  });

  it('leaves a lock held for a pending operation to that operation’s own report', () => {
    const history = input([op(1, 'c1.1', { at: 0, value: '1' })], [grant(5, 'c1.1', 1)]);
    expect(violations(LOCK_LIVENESS.check(history)).map((v) => v.sentence)).toEqual([
      "c1's PUT x=1 (op 1, c1.1, issued at 0.000s) never completed: waits",
    ]);
  });
});

/**
 * A run told as it happened, event after event, every one in the same millisecond: the history
 * records them in that order, which is all that tells them apart (PROTOCOL.md §3: real time is the
 * order of events, not the millisecond).
 */
class SameMillisecond {
  readonly history = new History();
  private readonly tokens = new Map<string, number>();
  private nextToken = 1;
  constructor(private readonly t: number) {}
  invoke(opId: number, requestId: string, op: 'put' | 'delete' = 'delete'): this {
    const client = requestId.split('.')[0]!;
    const value = op === 'put' ? requestId : null;
    this.history.observe(this.t, { kind: 'invoke', opId, client, op, key: 'x', value, requestId });
    return this;
  }
  complete(opId: number): this {
    const op = this.history.get(opId)!;
    const reply = op.op === 'put' ? 'PUT_OK' : 'DELETE_OK';
    const done = { kind: 'complete', opId, client: op.client, reply, server: 's1' } as const;
    this.history.observe(this.t, { ...done, value: null, ts: null });
    return this;
  }
  lock(event: 'grant' | 'release', requestId: string, by: string | null = null): this {
    const holder = requestId.split('.')[0]!;
    if (event === 'grant') this.tokens.set(requestId, this.nextToken++);
    const token = this.tokens.get(requestId)!;
    const lock = { key: 'x', event, holder, requestId, token, by };
    this.history.observe(this.t, { kind: 'note', node: 's1', text: event, lock });
    return this;
  }
  write(origin: string, ts: number): this {
    this.history.observe(this.t, { kind: 'apply', node: 's1', key: 'x', value: null, ts, origin });
    return this;
  }
  private checked(): readonly Violation[] {
    const { operations, applies, locks } = this.history;
    return violations(MUTUAL_EXCLUSION.check(input(operations, locks, [...applies])));
  }
  /** The checker's verdict (the operations of each violation) and the reference's witnesses. */
  verdicts() {
    const { operations, applies, locks } = this.history;
    return {
      checker: this.checked().map((v) => v.ops),
      reference: mutualExclusion(operations, locks, applies).witnesses,
    };
  }
  sentences(): string[] {
    return this.checked().map((v) => v.sentence);
  }
}

describe('grants, releases, writes and completions in one millisecond, judged in event order', () => {
  it('catches a write that lands just after its client released the lock', () => {
    // c1 releases x; its own late DELETE lands after, in the same millisecond: c1 no longer holds
    // the lock (the server has freed it), and nobody else does.
    const run = new SameMillisecond(3_229)
      .invoke(1, 'c1.1')
      .lock('grant', 'c1.1')
      .write('c1.1', 1)
      .lock('release', 'c1.1', 'c1')
      .write('c1.1', 2)
      .complete(1);
    expect(run.verdicts()).toEqual({ checker: [[1]], reference: [[1]] });
    expect(run.sentences()).toEqual([
      "c1's DELETE x (op 1, c1.1, issued at 3.229s) landed at s1 at 3.229s (ts 2) although c1 had released its lock at 3.229s: nobody held x's lock",
    ]);
  });

  it('catches a write that lands just after its operation completed', () => {
    const run = new SameMillisecond(3_229)
      .invoke(1, 'c1.1')
      .lock('grant', 'c1.1')
      .complete(1)
      .write('c1.1', 1);
    // The checker names the writer, which is also the request of the grant the server still held
    // (c1's own, never released): once. Its operation over, nobody held that grant.
    expect(run.verdicts()).toEqual({ checker: [[1]], reference: [[1]] });
    expect(run.sentences()).toEqual([
      "c1's DELETE x (op 1, c1.1, issued at 3.229s) landed at s1 at 3.229s (ts 1) although c1.1 had finished at 3.229s: s1 still held x's lock for c1.1, which had finished at 3.229s without freeing it: nobody held it",
    ]);
  });

  it('holds when a grant made just before the operation completes covers the writes between', () => {
    // A late copy of c2's ACQUIRE_LOCK is granted while c2.1 still runs; two of its DELETEs land
    // under it, then c2.1 completes: c2 held the lock for every write (run 2613/284608 of
    // `many.ts lock` in the same order).
    const run = new SameMillisecond(3_229)
      .invoke(5, 'c2.1')
      .lock('grant', 'c2.1')
      .write('c2.1', 1)
      .write('c2.1', 2)
      .complete(5)
      .lock('release', 'c2.1', 'c2');
    expect(run.verdicts()).toEqual({ checker: [], reference: [] });
  });

  it('counts such a grant as a hold beside a client a stranger released (A5)', () => {
    // c3 holds x for c3.1 when c1's stray RELEASE_LOCK frees it; c2 is granted x and completes in
    // the same millisecond: for that moment both c3 and c2 held the lock.
    const run = new SameMillisecond(3_229)
      .invoke(1, 'c3.1')
      .invoke(2, 'c2.1')
      .lock('grant', 'c3.1')
      .lock('release', 'c3.1', 'c1')
      .lock('grant', 'c2.1')
      .write('c2.1', 1)
      .complete(2)
      .lock('release', 'c2.1', 'c2')
      .complete(1);
    expect(run.verdicts()).toEqual({ checker: [[1, 2]], reference: [[1, 2]] });
  });
});

describe("a holder's release that finds its lock freed by a stranger already", () => {
  // c2 holds x for its DELETE when c1's stray RELEASE_LOCK (c1.1, whose lock ran out) frees it
  // (A5). c2's own RELEASE_LOCK reaches s1 at 5.007s, just before c1's ACQUIRE_LOCK for c1.2 in
  // the same millisecond: c2 had stopped holding by the grant, though its RELEASE_OK was still on
  // its way. Nobody held the lock beside c2 while c2 used it, so mutual exclusion holds.
  const scenario: Scenario = {
    goal: "c2 releases a lock c1's stray release had freed, before c1 is granted it",
    store: 'lock',
    preset: 'fixed',
    knobs: { lockOwnerCheck: 'none', fencing: 'none', requestIds: 'none' },
    servers: ['s1'],
    clients: ['c1', 'c2'],
    network: { delayMinMs: 1, delayMaxMs: 1 },
    seed: 0,
    steps: [
      { at: 0, client: 'c1', get: 'x', via: 's1' },
      { at: 2, client: 'c2', delete: 'x', via: 's1' },
      { at: 4, partition: [['c1', 'c2'], ['s1']] },
      { at: 5, client: 'c1', get: 'x', via: 's1' },
      { at: 4004, heal: true },
    ],
  };

  it('ends its sender’s hold there: the server records it, freeing nothing (token 0)', () => {
    const run = runScenario(scenario);
    const release = run.result.history.locks.find((e) => e.token === 0);
    expect(release).toMatchObject({ t: 5007, event: 'release', by: 'c2', byRequest: 'c2.1' });
    const grant = run.result.history.locks.find((e) => e.requestId === 'c1.2');
    expect(grant).toMatchObject({ t: 5007, event: 'grant' });
    expect(grant!.seq!).toBeGreaterThan(release!.seq!);
    const mutex = run.verdicts.find((v) => v.guarantee === 'mutual-exclusion')!;
    expect(mutex.status).toBe('held');
    const { operations, locks, applies } = run.result.history;
    expect(mutualExclusion(operations, locks, applies).status).toBe('held');
    // The diagram's note for it says what happened.
    expect(
      run.result.trace.some(
        (e) =>
          e.kind === 'record' &&
          e.observation.kind === 'note' &&
          e.observation.text === 'c2 releases the lock of x, which is free already',
      ),
    ).toBe(true);
  });
});

/** The quadratic definition the sweep must agree with: every later grant inside another client's hold. */
function overlapsByDefinition(locks: LockEvent[], operations: Operation[]): number[] {
  const holds = holdsOf(locks, operations).filter((h) => h.end > h.start);
  return holds
    .filter((later, j) =>
      holds.some(
        (earlier, i) =>
          i < j &&
          earlier.grant.key === later.grant.key &&
          earlier.grant.holder !== later.grant.holder &&
          earlier.end > later.start,
      ),
    )
    .map((h) => h.grant.token);
}

describe('the sweep', () => {
  it('finds exactly the grants that overlap another client’s hold, as the definition does', () => {
    const grantArb = fc.record({
      gapMs: fc.integer({ min: 0, max: 20 }),
      client: fc.integer({ min: 1, max: 3 }),
      key: fc.constantFrom('x', 'y'),
      lengthMs: fc.integer({ min: 0, max: 60 }),
    });
    fc.assert(
      fc.property(fc.array(grantArb, { maxLength: 12 }), (drawn) => {
        let t = 0;
        const operations: Operation[] = [];
        const locks: LockEvent[] = [];
        drawn.forEach((d, i) => {
          t += d.gapMs;
          const requestId = `c${d.client}.${i + 1}`;
          operations.push(op(i + 1, requestId, { key: d.key, at: t, done: t + d.lengthMs }));
          locks.push(grant(t, requestId, i + 1, d.key));
        });
        const found = violations(MUTUAL_EXCLUSION.check(input(operations, locks)));
        const tokens = found.map((v) => Number(v.ops[1]));
        expect(tokens).toEqual(overlapsByDefinition(locks, operations));
      }),
      { numRuns: 300, seed: 4 },
    );
  });
});

describe('linearizability on the lock store (PROTOCOL.md §3 defines it for any history)', () => {
  // c1's PUT x=1 is copied on its way; the copy lands after c2's PUT x=2 was answered, while
  // nobody holds x's lock, and c3 then reads 1: x's register cannot give that.
  const stray = (preset: 'seed' | 'fixed'): Scenario => ({
    goal: "a copy of c1's PUT lands after c2's",
    store: 'lock',
    preset,
    clients: ['c1', 'c2', 'c3'],
    network: { delayMinMs: 5, delayMaxMs: 5 },
    steps: [
      { at: 0, client: 'c1', put: ['x', '1'] },
      { at: 0, duplicate: 'PUT', from: 'c1', to: 's1', copyByMs: 101 },
      { at: 100, client: 'c2', put: ['x', '2'] },
      { at: 300, client: 'c3', get: 'x' },
    ],
  });
  const verdict = (run: ScenarioRun, g: string) => run.verdicts.find((v) => v.guarantee === g)!;

  it('is judged, informative: a write outside the lock breaks it beside mutual exclusion', () => {
    const run = runScenario(stray('seed'), { trace: false });
    const lin = verdict(run, 'linearizability');
    expect(lin).toMatchObject({ status: 'broken', informative: true });
    // c1's PUT finished before c2's began, c2's before c3's GET, which read 1.
    expect(lin.violations[0]!.ops).toEqual([1, 2, 3]);
    expect(verdict(run, 'mutual-exclusion').status).toBe('broken');
    // A finding explains: what fails the run is mutual exclusion alone.
    expect(brokenGuarantees(run.verdicts)).toEqual(['mutual-exclusion']);
  });

  it('holds under fixed, where the holder check refuses the stray copy', () => {
    const run = runScenario(stray('fixed'), { trace: false });
    expect(verdict(run, 'linearizability').status).toBe('held');
    expect(brokenGuarantees(run.verdicts)).toEqual([]);
  });
});
