// The checkers on histories written by hand: for each guarantee the smallest history that breaks
// it, with the exact witness and sentence expected, and the smallest one that keeps it.

import { describe, expect, it } from 'vitest';
import {
  type CheckInput,
  REPLICATED_CHECKERS,
  runCheckers,
  type Verdict,
} from '../sim/check/index.ts';
import type { Apply, Operation } from '../sim/kernel/history.ts';

let nextId = 1;

/** An operation: `client op key [value]`, issued at `at`, answered by `server` with `reply` and `ts`. */
function op(
  client: string,
  kind: 'put' | 'get' | 'delete',
  key: string,
  at: number,
  done: {
    reply: string;
    ts: number | null;
    server?: string;
    result?: string | null;
    at?: number;
  } | null,
  value: string | null = null,
): Operation {
  const id = nextId++;
  return {
    id,
    client,
    op: kind,
    key,
    value,
    requestId: `${client}.${id}`,
    invokedAt: at,
    completedAt: done === null ? null : (done.at ?? at + 10),
    // Events in a millisecond: completions first, then invocations (what the kernel does when a
    // client issues its next operation as it gets an answer).
    invokedSeq: at * 2 + 1,
    completedSeq: done === null ? null : (done.at ?? at + 10) * 2,
    reply: done?.reply ?? null,
    server: done === null ? null : (done.server ?? 's1'),
    result: done?.result ?? null,
    ts: done?.ts ?? null,
    abandonedAt: null,
    session: client,
  };
}

const put = (client: string, key: string, value: string, at: number, ts: number, server = 's1') =>
  op(client, 'put', key, at, { reply: 'PUT_OK', ts, server, result: value }, value);
const get = (client: string, key: string, at: number, ts: number, server = 's1', atDone?: number) =>
  op(client, 'get', key, at, {
    reply: 'GET_OK',
    ts,
    server,
    result: `v${ts}`,
    ...(atDone === undefined ? {} : { at: atDone }),
  });

function check(operations: Operation[], extra: Partial<CheckInput> = {}): Verdict[] {
  return runCheckers(REPLICATED_CHECKERS, {
    operations,
    applies: [],
    locks: [],
    replicas: new Map(),
    quiescent: true,
    endedAt: 100_000,
    faultsEndAt: 0,
    networkHealed: true,
    explainPending: () => 'c1 waits for PUT_OK from s2, attempt 3',
    ...extra,
  });
}

function verdict(verdicts: readonly Verdict[], guarantee: string): Verdict {
  const v = verdicts.find((x) => x.guarantee === guarantee);
  if (v === undefined) throw new Error(`no verdict for ${guarantee}`);
  return v;
}

/** The guarantees broken, informative findings left out. */
function broken(verdicts: Verdict[]): string[] {
  return verdicts.filter((v) => v.status === 'broken' && !v.informative).map((v) => v.guarantee);
}

describe('monotonic reads', () => {
  it('says the earlier read was only issued before, when it was answered after the later one', () => {
    // A pipelined client: r1 (issued at 0) is answered at 300, after r2 (issued at 100, answered
    // at 110). Session order is issue order (§3), so MR breaks, but c1 had not "already read" ts 7.
    const r1 = get('c1', 'x', 0, 7, 's1', 300);
    const r2 = get('c1', 'x', 100, 5, 's3');
    const v = verdict(check([r1, r2]), 'monotonic-reads');
    expect(v.violations[0]!.sentence).toBe(
      `s3 answered c1's GET x (op ${r2.id}, ${r2.requestId}, issued at 0.100s) with ts 5, but c1's read issued before it (op ${r1.id}) got ts 7 from s1`,
    );
  });

  it('breaks when a later read returns an older version, with the pair as witness', () => {
    const r1 = get('c1', 'x', 0, 7, 's1');
    const r2 = get('c1', 'x', 100, 5, 's3');
    const v = verdict(check([r1, r2]), 'monotonic-reads');
    expect(v.violations).toHaveLength(1);
    expect(v.violations[0]!.ops).toEqual([r1.id, r2.id]);
    expect(v.violations[0]!.sentence).toBe(
      `s3 answered c1's GET x (op ${r2.id}, ${r2.requestId}, issued at 0.100s) with ts 5, but c1 had already read ts 7 from s1 (op ${r1.id})`,
    );
  });

  it('names the server that answered the stale read as the replica involved', () => {
    // §3: a witness carries the answering server; the stale answer came from s3, not from s1.
    const r1 = get('c1', 'x', 0, 7, 's1');
    const r2 = get('c1', 'x', 100, 5, 's3');
    expect(verdict(check([r1, r2]), 'monotonic-reads').violations[0]!.nodes).toEqual(['s3']);
  });

  it('holds for equal or rising versions, across clients, and counts a NULL read as version 0', () => {
    const ops = [
      get('c1', 'x', 0, 5),
      get('c1', 'x', 100, 5),
      get('c2', 'x', 200, 3),
      op('c3', 'get', 'x', 0, { reply: 'NULL', ts: null }),
    ];
    expect(broken(check(ops))).toEqual([]);
    const nullAfter = [
      get('c1', 'x', 0, 5),
      op('c1', 'get', 'x', 100, { reply: 'NULL', ts: null, server: 's2' }),
    ];
    expect(verdict(check(nullAfter), 'monotonic-reads').violations[0]!.sentence).toContain(
      'with no value (NULL: version 0)',
    );
  });

  it('judges session order by issue, not completion, and skips refusals', () => {
    const r1 = get('c1', 'x', 0, 7, 's1', 500);
    const refused = op('c1', 'get', 'x', 50, { reply: 'TRY_OTHER_SERVER_OR_LATER', ts: null });
    const r2 = get('c1', 'x', 100, 5, 's2', 150);
    expect(
      verdict(check([r1, refused, r2]), 'monotonic-reads').violations.map((x) => x.ops),
    ).toEqual([[r1.id, r2.id]]);
  });

  it('starts a new session after the client restarts', () => {
    const r1 = get('c1', 'x', 0, 7);
    const r2 = { ...get('c1', 'x', 100, 5), session: 'c1#1' };
    expect(verdict(check([r1, r2]), 'monotonic-reads').status).toBe('held');
  });
});

describe('read your writes', () => {
  it('says the earlier write was only issued before, when it was answered after the read', () => {
    const w = op('c1', 'put', 'x', 0, { reply: 'PUT_OK', ts: 9, at: 300 }, '1');
    const r = get('c1', 'x', 100, 4, 's2');
    const v = verdict(check([w, r]), 'read-your-writes');
    expect(v.violations[0]!.sentence).toBe(
      `s2 answered c1's GET x (op ${r.id}, ${r.requestId}, issued at 0.100s) with ts 4, but c1's write of x issued before it (op ${w.id}) got ts 9`,
    );
  });

  it('breaks when a read returns less than the session already wrote', () => {
    const w = put('c1', 'x', '1', 0, 9);
    const r = get('c1', 'x', 100, 4, 's2');
    const v = verdict(check([w, r]), 'read-your-writes');
    expect(v.violations.map((x) => x.ops)).toEqual([[w.id, r.id]]);
    expect(v.violations[0]!.sentence).toBe(
      `s2 answered c1's GET x (op ${r.id}, ${r.requestId}, issued at 0.100s) with ts 4, but c1 had already written x with ts 9 (op ${w.id})`,
    );
  });

  it('holds when the read sees the write or newer', () => {
    expect(
      verdict(
        check([put('c1', 'x', '1', 0, 9), get('c1', 'x', 100, 9), get('c1', 'x', 200, 12)]),
        'read-your-writes',
      ).status,
    ).toBe('held');
  });
});

describe('monotonic writes', () => {
  /** Replica `node` stores write `w` at `t`, stamped `ts`. */
  const stored = (node: string, t: number, w: Operation, ts: number): Apply => ({
    t,
    node,
    key: w.key,
    value: w.value,
    ts,
    origin: w.requestId,
  });

  it('breaks when a later write gets a version not above an earlier one', () => {
    const w1 = put('c1', 'x', '1', 0, 8);
    const w2 = put('c1', 'x', '2', 100, 8);
    const v = verdict(check([w1, w2]), 'monotonic-writes');
    expect(v.violations.map((x) => x.ops)).toEqual([[w1.id, w2.id]]);
    expect(v.violations[0]!.sentence).toContain('got ts 8, not newer than');
  });

  it('breaks when a replica stores an earlier write after a later one of the same session', () => {
    const w1 = put('c1', 'x', '1', 0, 5);
    const w2 = put('c1', 'x', '2', 100, 9);
    const applies = [stored('s2', 10, w1, 5), stored('s2', 110, w2, 9), stored('s2', 300, w1, 5)];
    const v = verdict(check([w1, w2], { applies }), 'monotonic-writes');
    expect(v.violations.map((x) => [x.ops, x.nodes, x.at])).toEqual([
      [[w2.id, w1.id], ['s2'], 300],
    ]);
    expect(v.violations[0]!.sentence).toMatch(
      /^s2 stored c1's PUT x=1 .* after it had already held c1's PUT x=2/,
    );
  });

  it('reports a replica storing the earlier write again and again once for that pair, at its first', () => {
    // A retransmitted write re-applied at every copy: one violation per replica and pair (§3: a
    // violation is reported as its smallest witness, the pair), not one per store.
    const w1 = put('c1', 'x', '1', 0, 5);
    const w2 = put('c1', 'x', '2', 100, 9);
    const again = Array.from({ length: 50 }, (_, k) => stored('s2', 300 + k, w1, 5));
    const elsewhere = [stored('s3', 120, w2, 9), stored('s3', 400, w1, 5)];
    const applies = [stored('s2', 110, w2, 9), ...again, ...elsewhere, stored('s2', 500, w1, 5)];
    const v = verdict(check([w1, w2], { applies }), 'monotonic-writes');
    expect(v.violations.map((x) => [x.ops, x.nodes, x.at])).toEqual([
      [[w2.id, w1.id], ['s2'], 300],
      [[w2.id, w1.id], ['s3'], 400],
    ]);
  });

  it('finds a replica storing an earlier write after a later one when the history lists the later first', () => {
    // A history copied out of order (a trace re-sorted by completion): session order is still the
    // order of issue (§3), so s2 storing w1 after w2 breaks MW whatever the list's order.
    const w1 = put('c1', 'x', '1', 0, 5);
    const w2 = put('c1', 'x', '2', 100, 9);
    const applies = [stored('s2', 110, w2, 9), stored('s2', 300, w1, 5)];
    const v = verdict(check([w2, w1], { applies }), 'monotonic-writes');
    expect(v.violations.map((x) => [x.ops, x.nodes, x.at])).toEqual([
      [[w2.id, w1.id], ['s2'], 300],
    ]);
  });

  it('finds a replica storing an earlier write long after it was issued, many operations later', () => {
    const w1 = put('c1', 'x', '1', 0, 5);
    const w2 = put('c1', 'x', '2', 100, 9);
    const reads = Array.from({ length: 200 }, (_, i) => get('c2', 'y', 200 + i * 20, 3));
    const applies = [stored('s3', 110, w2, 9), stored('s3', 9_000, w1, 5)];
    const v = verdict(check([w1, w2, ...reads], { applies }), 'monotonic-writes');
    expect(v.violations.map((x) => [x.ops, x.nodes, x.at])).toEqual([
      [[w2.id, w1.id], ['s3'], 9_000],
    ]);
  });

  it('holds for rising versions stored in order', () => {
    const w1 = put('c1', 'x', '1', 0, 5);
    const w2 = put('c1', 'x', '2', 100, 9);
    const applies = [stored('s2', 10, w1, 5), stored('s2', 110, w2, 9)];
    expect(verdict(check([w1, w2], { applies }), 'monotonic-writes').status).toBe('held');
  });
});

describe('writes follow reads', () => {
  it('says the earlier read was only issued before, when it was answered after the write was issued', () => {
    const r = get('c1', 'x', 0, 10, 's2', 300);
    const w = put('c1', 'x', '2', 100, 7);
    const v = verdict(check([r, w]), 'writes-follow-reads');
    expect(v.violations[0]!.sentence).toBe(
      `c1's PUT x=2 (op ${w.id}, ${w.requestId}, issued at 0.100s) got ts 7, not newer than ts 10, which c1's read issued before it got (op ${r.id} from s2)`,
    );
  });

  it('breaks when a write is stamped no newer than what the session had read', () => {
    const r = get('c1', 'x', 0, 10, 's2');
    const w = put('c1', 'x', '2', 100, 7);
    const v = verdict(check([r, w]), 'writes-follow-reads');
    expect(v.violations.map((x) => x.ops)).toEqual([[r.id, w.id]]);
    expect(v.violations[0]!.sentence).toBe(
      `c1's PUT x=2 (op ${w.id}, ${w.requestId}, issued at 0.100s) got ts 7, not newer than ts 10, which c1 had read before (op ${r.id} from s2)`,
    );
  });

  it('names a write the wall clock stamped 0 by its ts, and only a read of nothing as no value', () => {
    // The leader's wall clock read 0 (leaderClock=wall at the run's first ms): ts 0 is a version.
    const r = op('c1', 'get', 'x', 0, { reply: 'NULL', ts: null, server: 's1' });
    const w = put('c1', 'x', '2', 100, 0);
    const v = verdict(check([r, w]), 'writes-follow-reads');
    expect(v.violations[0]!.sentence).toBe(
      `c1's PUT x=2 (op ${w.id}, ${w.requestId}, issued at 0.100s) got ts 0, not newer than no value (NULL: version 0), which c1 had read before (op ${r.id} from s1)`,
    );
  });

  it('holds when the write is newer', () => {
    expect(
      verdict(check([get('c1', 'x', 0, 10), put('c1', 'x', '2', 100, 11)]), 'writes-follow-reads')
        .status,
    ).toBe('held');
  });
});

describe('convergence', () => {
  const replica = (entries: [string, string | null, number, string?][], up = true) => ({
    up,
    store: new Map(
      entries.map(([k, value, ts, origin]) => [k, { value, ts, origin: origin ?? null }] as const),
    ),
  });

  it('breaks when two live replicas differ, naming both', () => {
    const replicas = new Map([
      ['s1', replica([['x', '2', 9]])],
      ['s2', replica([['x', '1', 5]])],
    ]);
    const v = verdict(check([], { replicas }), 'convergence');
    expect(v.violations.map((x) => [x.nodes, x.sentence])).toEqual([
      [['s1', 's2'], 'At the end s1 holds x = 2 ts 9 but s2 holds x = 1 ts 5'],
    ]);
  });

  it('says a replica that never stored the key holds none of it', () => {
    const replicas = new Map([
      ['s1', replica([['x', '2', 9]])],
      ['s2', replica([])],
    ]);
    const v = verdict(check([], { replicas }), 'convergence');
    expect(v.violations.map((x) => x.sentence)).toEqual([
      'At the end s1 holds x = 2 ts 9 but s2 holds no x',
    ]);
  });

  it('breaks when every replica lost the newest acknowledged write', () => {
    const w = put('c1', 'x', '2', 0, 9);
    const replicas = new Map([['s1', replica([['x', '1', 5]])]]);
    const v = verdict(check([w], { replicas }), 'convergence');
    expect(v.violations.map((x) => x.ops)).toEqual([[w.id]]);
    expect(v.violations[0]!.sentence).toMatch(
      /^c1's acknowledged PUT x=2 .* with ts 9 is lost: at the end every live replica holds x = 1 ts 5$/,
    );
  });

  it('breaks when the newest acknowledged write hides behind a second stamping of an older one', () => {
    const old = put('c2', 'x', '1', 0, 3);
    const newer = put('c1', 'x', '2', 100, 9);
    const replicas = new Map([['s1', replica([['x', '1', 12, old.requestId]])]]);
    const v = verdict(check([old, newer], { replicas }), 'convergence');
    expect(v.violations.map((x) => x.ops)).toEqual([[old.id, newer.id]]);
    expect(v.violations[0]!.sentence).toContain('a second stamping of');
  });

  it('holds when a late second stamping of an older DELETE lands on a newer acknowledged DELETE', () => {
    const older = op('c2', 'delete', 'x', 0, { reply: 'DELETE_OK', ts: 3 });
    const newer = op('c1', 'delete', 'x', 100, { reply: 'DELETE_OK', ts: 9 });
    // Every replica ends deleted and every read answers NULL: nothing observable was lost.
    const replicas = new Map([['s1', replica([['x', null, 12, older.requestId]])]]);
    expect(verdict(check([older, newer], { replicas }), 'convergence').status).toBe('held');
  });

  it('loses the write whose value differs when the replicas show a second stamping of one sharing its ts', () => {
    // DELETE x and PUT x=8 are both acknowledged with ts 68; a resent DELETE is stamped again at
    // 3178 and every replica ends absent: PUT x=8's value differs from the final state.
    const del = op('c1', 'delete', 'x', 0, { reply: 'DELETE_OK', ts: 68 });
    const w = put('c1', 'x', '8', 10, 68);
    const replicas = new Map([['s1', replica([['x', null, 3178, del.requestId]])]]);
    const v = verdict(check([del, w], { replicas }), 'convergence');
    expect(v.violations.map((x) => x.ops)).toEqual([[del.id, w.id]]);
  });

  it('loses the acknowledged write when an unanswered one stamped with the same ts is stamped again', () => {
    // PUT x=30 is stamped 146 and never answered; PUT x=31 is acknowledged with 146; a copy of
    // PUT x=30 is stamped again at 148 and every replica ends with x=30.
    const pending = op('c2', 'put', 'x', 0, null, '30');
    const acked = put('c2', 'x', '31', 5, 146);
    const applies: Apply[] = [
      { t: 146, node: 's1', key: 'x', value: '31', ts: 146, origin: acked.requestId, opIndex: 1 },
      { t: 146, node: 's1', key: 'x', value: '30', ts: 146, origin: pending.requestId, opIndex: 0 },
      { t: 148, node: 's1', key: 'x', value: '30', ts: 148, origin: pending.requestId, opIndex: 0 },
    ];
    const replicas = new Map([['s1', replica([['x', '30', 148, pending.requestId]])]]);
    const v = verdict(check([pending, acked], { replicas, applies }), 'convergence');
    expect(v.violations.map((x) => x.ops)).toEqual([[pending.id, acked.id]]);
    expect(v.violations[0]!.sentence).toContain('which had been first stamped with ts 146');
  });

  it('holds when a newer DELETE, never acknowledged, left the absence a stepped-back clock re-stamped', () => {
    // PUT x=1 is acknowledged with ts 645; a DELETE stamped 805 lands but its answer never comes;
    // the leader's clock steps back and another DELETE ends x at ts -3605. Reads answer NULL, as
    // the DELETE stamped 805 made them: what the replicas show is what a newer write left.
    const acked = put('c1', 'x', '1', 0, 645);
    const newer = op('c1', 'delete', 'x', 700, null);
    const last = op('c1', 'delete', 'x', 800, null);
    const applies: Apply[] = [
      { t: 645, node: 's1', key: 'x', value: '1', ts: 645, origin: acked.requestId, opIndex: 0 },
      { t: 805, node: 's1', key: 'x', value: null, ts: 805, origin: newer.requestId, opIndex: 1 },
      { t: 812, node: 's1', key: 'x', value: null, ts: -3605, origin: last.requestId, opIndex: 2 },
    ];
    const replicas = new Map([['s1', replica([['x', null, -3605, last.requestId]])]]);
    const v = verdict(check([acked, newer, last], { replicas, applies }), 'convergence');
    expect(v.status).toBe('held');
    // Without the newer DELETE's store, the acknowledged PUT is lost.
    const alone = verdict(
      check([acked, last], { replicas, applies: [applies[0]!, { ...applies[2]!, opIndex: 1 }] }),
      'convergence',
    );
    expect(alone.violations.map((x) => x.ops)).toEqual([[acked.id]]);
  });

  it('with two acknowledged writes sharing a ts, loses the one whose value differs, whichever was issued first', () => {
    const replicas = new Map([['s1', replica([['x', '2', 7]])]]);
    for (const firstIssued of ['1', '2']) {
      const one = put('c1', 'x', '1', firstIssued === '1' ? 0 : 100, 7);
      const two = put('c2', 'x', '2', firstIssued === '1' ? 100 : 0, 7);
      // The history lists operations in the order they were issued.
      const issued = firstIssued === '1' ? [one, two] : [two, one];
      const v = verdict(check(issued, { replicas }), 'convergence');
      expect(v.violations.map((x) => x.ops)).toEqual([[one.id]]);
      expect(v.violations[0]!.sentence).toMatch(
        /^c1's acknowledged PUT x=1 .* with ts 7 is lost: at the end every live replica holds x = 2 ts 7$/,
      );
    }
  });

  it('loses the acknowledged write when every replica restarted empty, whatever version a read saw', () => {
    // PUT x=1 is acknowledged with ts 5; PUT x=2 is stamped 9 and stored on s3, which answers c3's
    // GET with it, but its answer never comes; then every server restarts with an empty store
    // (durability memory). The final state is "absent", which no write newer than ts 5 left (PUT
    // x=2 left 2), so PUT x=1 is lost (§3). A read is no write: its version leaves nothing behind.
    const acked = put('c1', 'x', '1', 0, 5);
    const unanswered = op('c2', 'put', 'x', 10, null, '2');
    const read = get('c3', 'x', 20, 9, 's3');
    const applies: Apply[] = [
      { t: 5, node: 's1', key: 'x', value: '1', ts: 5, origin: acked.requestId, opIndex: 0 },
      { t: 12, node: 's3', key: 'x', value: '2', ts: 9, origin: unanswered.requestId, opIndex: 1 },
    ];
    const replicas = new Map([
      ['s1', replica([])],
      ['s2', replica([])],
      ['s3', replica([])],
    ]);
    const v = verdict(check([acked, unanswered, read], { replicas, applies }), 'convergence');
    expect(v.violations.map((x) => x.ops)).toEqual([[acked.id]]);
  });

  it('with two acknowledged writes sharing a ts and a value, loses neither', () => {
    const replicas = new Map([['s1', replica([['x', '1', 7]])]]);
    const v = verdict(
      check([put('c1', 'x', '1', 0, 7), put('c2', 'x', '1', 100, 7)], { replicas }),
      'convergence',
    );
    expect(v.status).toBe('held');
  });

  it('ignores crashed replicas, holds when the live ones agree on the newest write, and is not judged before the run settles', () => {
    const w = put('c1', 'x', '2', 0, 9);
    const replicas = new Map([
      ['s1', replica([['x', '2', 9]])],
      ['s2', replica([['x', '2', 9]])],
      ['s3', replica([], false)],
    ]);
    expect(verdict(check([w], { replicas }), 'convergence').status).toBe('held');
    expect(verdict(check([w], { replicas, quiescent: false }), 'convergence').status).toBe(
      'not-judged',
    );
    expect(verdict(check([w], { replicas, networkHealed: false }), 'convergence').status).toBe(
      'not-judged',
    );
  });
});

describe('liveness', () => {
  const bound = { livenessBound: { ms: 10_000, from: 'a test bound' } } as const;

  it('reports an operation pending in a run that went quiet, with what it waits for', () => {
    const stuck = op('c1', 'put', 'x', 0, null, '1');
    const v = verdict(check([stuck]), 'liveness');
    expect(v.violations.map((x) => [x.ops, x.sentence])).toEqual([
      [
        [stuck.id],
        `c1's PUT x=1 (op ${stuck.id}, ${stuck.requestId}, issued at 0.000s) never completed: c1 waits for PUT_OK from s2, attempt 3`,
      ],
    ]);
  });

  it('does not count an operation of a crashed client; one still young at the cut is not judged, never held', () => {
    const abandoned = { ...op('c1', 'put', 'x', 0, null, '1'), abandonedAt: 5 };
    const young = op('c2', 'get', 'x', 95_000, null);
    expect(verdict(check([abandoned], { quiescent: false, ...bound }), 'liveness').status).toBe(
      'held',
    );
    expect(
      verdict(check([abandoned, young], { quiescent: false, ...bound }), 'liveness').status,
    ).toBe('not-judged');
    expect(verdict(check([young], { quiescent: true }), 'liveness').status).toBe('broken');
  });

  it('counts the bound from the end of the last fault, not from the invocation', () => {
    const waited = op('c1', 'put', 'x', 10, null, '1');
    expect(
      verdict(check([waited], { quiescent: false, faultsEndAt: 95_000, ...bound }), 'liveness')
        .status,
    ).toBe('not-judged');
    expect(
      verdict(check([waited], { quiescent: false, faultsEndAt: 80_000, ...bound }), 'liveness')
        .status,
    ).toBe('broken');
  });
});

describe('unique timestamps', () => {
  it('breaks when two acknowledged writes of a key share a ts', () => {
    const a = put('c1', 'x', '1', 0, 5);
    const b = put('c2', 'x', '2', 0, 5);
    const v = verdict(check([a, b, put('c1', 'y', '3', 0, 5)]), 'unique-timestamps');
    expect(v.violations.map((x) => x.ops)).toEqual([[a.id, b.id]]);
  });
});

// Linearizability has its own file: test/linearizability.test.ts.

describe('cross-key causality (informative)', () => {
  it('finds a follower storing a write before the version its client had read of another key', () => {
    const readX = get('c1', 'x', 0, 7);
    const writeY = put('c1', 'y', '1', 100, 8);
    const applies: Apply[] = [
      { t: 5, node: 's3', key: 'x', value: 'old', ts: 3, origin: null },
      { t: 120, node: 's3', key: 'y', value: '1', ts: 8, origin: writeY.requestId },
      { t: 150, node: 's3', key: 'x', value: 'v7', ts: 7, origin: null },
    ];
    const v = verdict(check([readX, writeY], { applies }), 'causality');
    expect(v.violations.map((x) => [x.ops, x.nodes])).toEqual([[[readX.id, writeY.id], ['s3']]]);
  });

  it('says a replica had stored no version of the cause at all, not that it held ts 0', () => {
    const readX = get('c1', 'x', 0, 7);
    const writeY = put('c1', 'y', '1', 100, 8);
    const applies: Apply[] = [
      { t: 120, node: 's3', key: 'y', value: '1', ts: 8, origin: writeY.requestId },
    ];
    const v = verdict(check([readX, writeY], { applies }), 'causality');
    expect(v.violations[0]!.sentence).toBe(
      `s3 stored c1's PUT y=1 (op ${writeY.id}, ${writeY.requestId}, issued at 0.100s) before it had stored any x, though c1 had seen ts 7 of x before writing (op ${readX.id})`,
    );
  });

  it('finds a write stored again and again without its cause once on that replica', () => {
    const readX = get('c1', 'x', 0, 7);
    const writeY = put('c1', 'y', '1', 100, 8);
    const stores = (node: string, from: number): Apply[] =>
      [0, 1, 2].map((k) => ({
        t: from + k,
        node,
        key: 'y',
        value: '1',
        ts: 8,
        origin: writeY.requestId,
      }));
    const applies: Apply[] = [
      { t: 5, node: 's3', key: 'x', value: 'old', ts: 3, origin: null },
      ...stores('s3', 120),
      ...stores('s2', 130),
      { t: 150, node: 's3', key: 'x', value: 'v7', ts: 7, origin: null },
    ];
    const v = verdict(check([readX, writeY], { applies }), 'causality');
    expect(v.violations.map((x) => [x.ops, x.nodes, x.at])).toEqual([
      [[readX.id, writeY.id], ['s3'], 120],
      [[readX.id, writeY.id], ['s2'], 130],
    ]);
  });

  it('finds a replica that went back on a cause seen before the previous write', () => {
    // c1 reads y at ts 18, then writes x twice; s3 had y at 18 when it stored the first write,
    // but an older y overwrote it (followerApply overwrite) before the second arrived.
    const readY = get('c1', 'y', 0, 18);
    const writeX1 = put('c1', 'x', '1', 20, 30);
    const writeX2 = put('c1', 'x', '2', 40, 50);
    const applies: Apply[] = [
      { t: 5, node: 's3', key: 'y', value: 'v18', ts: 18, origin: null },
      { t: 35, node: 's3', key: 'x', value: '1', ts: 30, origin: writeX1.requestId },
      { t: 45, node: 's3', key: 'y', value: 'v10', ts: 10, origin: null },
      { t: 55, node: 's3', key: 'x', value: '2', ts: 50, origin: writeX2.requestId },
    ];
    const v = verdict(check([readY, writeX1, writeX2], { applies }), 'causality');
    expect(v.violations.map((x) => [x.ops, x.nodes])).toEqual([[[readY.id, writeX2.id], ['s3']]]);
  });

  it('counts as causes the reads answered before the write was issued, when they completed out of issue order', () => {
    // c1 pipelines GET x then GET y; y is answered first (at 5), then c1 issues PUT z (at 7),
    // and x is answered only at 10. The causes of PUT z are what c1 had seen by then: y at ts 4.
    // s3 stores PUT z while it still holds y at ts 2, older than c1 had seen.
    const readX = get('c1', 'x', 0, 7, 's1', 10);
    const readY = get('c1', 'y', 1, 4, 's2', 5);
    const writeZ = op('c1', 'put', 'z', 7, null, '1');
    const applies: Apply[] = [
      { t: 3, node: 's3', key: 'y', value: 'v2', ts: 2, origin: null },
      { t: 12, node: 's3', key: 'z', value: '1', ts: 8, origin: writeZ.requestId },
    ];
    const v = verdict(check([readX, readY, writeZ], { applies }), 'causality');
    expect(v.violations.map((x) => [x.ops, x.nodes])).toEqual([[[readY.id, writeZ.id], ['s3']]]);
  });

  it('counts a read answered in the millisecond the write was issued, before it, as its cause', () => {
    // The read completes at 100 and c1 issues the write at once, in the same millisecond.
    const readX = get('c1', 'x', 90, 7, 's1', 100);
    const writeY = put('c1', 'y', '1', 100, 8);
    const applies: Apply[] = [
      { t: 120, node: 's3', key: 'y', value: '1', ts: 8, origin: writeY.requestId },
      { t: 150, node: 's3', key: 'x', value: 'v7', ts: 7, origin: null },
    ];
    const v = verdict(check([readX, writeY], { applies }), 'causality');
    expect(v.violations.map((x) => [x.ops, x.nodes])).toEqual([[[readX.id, writeY.id], ['s3']]]);
  });
});

describe('cross-key causality across a restart that emptied a replica', () => {
  // c1 writes y (ts 5), which s3 stores; s3 restarts with an empty store (durability=memory);
  // c1 then writes x, which s3 stores while it holds no y at all.
  const writeY = put('c1', 'y', '1', 0, 5);
  const writeX = put('c1', 'x', '2', 300, 310);
  const applies: Apply[] = [
    { t: 10, node: 's3', key: 'y', value: '1', ts: 5, origin: writeY.requestId, seq: 2 },
    { t: 320, node: 's3', key: 'x', value: '2', ts: 310, origin: writeX.requestId, seq: 7 },
  ];

  it('finds the write stored without its cause, and says the restart emptied the store', () => {
    const wipes = [{ t: 200, node: 's3', seq: 5 }];
    const v = verdict(check([writeY, writeX], { applies, wipes }), 'causality');
    expect(v.violations.map((x) => [x.ops, x.nodes, x.at])).toEqual([
      [[writeY.id, writeX.id], ['s3'], 320],
    ]);
    expect(v.violations[0]!.sentence).toBe(
      `s3 stored c1's PUT x=2 (op ${writeX.id}, ${writeX.requestId}, issued at 0.300s) while it held no y (its restart at 0.200s emptied its store), though c1 had seen ts 5 of y before writing (op ${writeY.id})`,
    );
  });

  it('is judged on a run where a follower restarts empty and then stores a write whose cause it lost', async () => {
    const { runScenario } = await import('../sim/scenario.ts');
    const run = runScenario(
      {
        goal: 's2 restarts empty, then stores the write of x that c1 made after writing y',
        preset: 'fixed',
        knobs: { durability: 'memory' },
        clients: ['c1'],
        network: { delayMinMs: 5, delayMaxMs: 5 },
        steps: [
          { at: 0, client: 'c1', put: ['y', '1'], via: 's1' },
          { at: 100, crash: 's2' },
          { at: 200, restart: 's2' },
          { at: 300, client: 'c1', put: ['x', '2'], via: 's1' },
        ],
      },
      { trace: false },
    );
    expect(run.result.history.wipes).toEqual([{ t: 200, node: 's2', seq: expect.any(Number) }]);
    const v = verdict(run.verdicts, 'causality');
    expect(v.violations.map((x) => [x.ops, x.nodes])).toEqual([[[1, 2], ['s2']]]);
    expect(v.violations[0]!.sentence).toContain('its restart at 0.200s emptied its store');
  });

  it('blames the restart only for a key the replica held before it', () => {
    // s3 never had y (it was cut off), then restarted empty: y was never there to lose.
    const wipes = [{ t: 200, node: 's3', seq: 5 }];
    const v = verdict(check([writeY, writeX], { applies: [applies[1]!], wipes }), 'causality');
    expect(v.violations[0]!.sentence).toContain('before it had stored any y');
    expect(v.violations[0]!.sentence).not.toContain('restart');
  });

  it('reads a restart after the write, or of another replica, as taking nothing from it', () => {
    for (const wipes of [[{ t: 400, node: 's3', seq: 9 }], [{ t: 200, node: 's2', seq: 5 }], []])
      expect(verdict(check([writeY, writeX], { applies, wipes }), 'causality').status).toBe('held');
  });
});

describe('sentences', () => {
  it('each begins with a capital letter or the name of a node, in every scenario under both presets', async () => {
    const { loadScenario, scenarioFiles } = await import('../sim/cli/load.ts');
    const { runScenario } = await import('../sim/scenario.ts');
    const seen = new Set<string>();
    for (const file of scenarioFiles()) {
      const scenario = await loadScenario(file);
      for (const preset of ['seed', 'fixed']) {
        const run = runScenario(scenario, { preset, seed: 1, trace: false });
        const names = new Set([...run.topology.servers, ...run.topology.clients]);
        for (const v of run.verdicts)
          for (const { sentence } of v.violations) {
            seen.add(v.guarantee);
            const first = /^[^\s']+/.exec(sentence)?.[0] ?? '';
            expect(/^[A-Z]/.test(first) || names.has(first), `${file}: ${sentence}`).toBe(true);
            expect(sentence).not.toMatch(/no version|the acknowledged|, at \d+\.\d+s\)/);
          }
      }
    }
    // The scenarios reach the sentences of most checkers, so the rule above is not vacuous.
    expect(seen.size).toBeGreaterThanOrEqual(6);
  });
});

describe('session guarantees follow issue order, not the order of the history', () => {
  it('judge a history listed backwards as they judge it in order', async () => {
    const { loadScenario, scenarioFiles } = await import('../sim/cli/load.ts');
    const { runScenario } = await import('../sim/scenario.ts');
    const { SESSION_CHECKERS } = await import('../sim/check/session.ts');
    let violations = 0;
    for (const file of scenarioFiles()) {
      const run = runScenario(await loadScenario(file), { trace: false });
      const input: CheckInput = {
        operations: run.result.history.operations,
        applies: run.result.history.applies,
        locks: [],
        replicas: new Map(),
        quiescent: true,
        endedAt: run.result.endedAt,
        faultsEndAt: 0,
        networkHealed: true,
        explainPending: () => '',
      };
      const judged = (operations: readonly Operation[]) =>
        runCheckers(SESSION_CHECKERS, { ...input, operations }).map((v) =>
          v.violations.map((x) => `${x.guarantee} ${x.ops} ${x.sentence}`).sort(),
        );
      const inOrder = judged(input.operations);
      violations += inOrder.flat().length;
      expect(judged([...input.operations].reverse()), file).toEqual(inOrder);
    }
    expect(violations).toBeGreaterThan(0);
  });
});
