// The replicated store's handlers, driven one input at a time without the simulator.

import { describe, expect, it } from 'vitest';
import { type Effect, type StepContext, StringTable, seqOfRequestId } from '../protocol/core.ts';
import {
  type ClientState,
  clientMachine,
  initialClientState,
  initialServerState,
  type Message,
  REPLICATED_PRESETS,
  type ReplicatedKnobs,
  type ServerState,
  serverMachine,
  type Version,
} from '../protocol/replicated/index.ts';

const at = (nowMs: number, clockMs = nowMs): StepContext => ({ nowMs, clockMs });
const fixed = REPLICATED_PRESETS.fixed;
const seed = REPLICATED_PRESETS.seed;

function leader(knobs: ReplicatedKnobs = fixed) {
  return serverMachine({ id: 's1', leader: 's1', followers: ['s2', 's3'], knobs });
}
function follower(knobs: ReplicatedKnobs = fixed, id = 's2') {
  return serverMachine({ id, leader: 's1', followers: ['s2', 's3'], knobs });
}
function client(knobs: ReplicatedKnobs = fixed) {
  return clientMachine({ id: 'c1', servers: ['s1', 's2', 's3'], knobs });
}

const sends = (effects: readonly Effect<Message, unknown>[]) =>
  effects.flatMap((e) => (e.type === 'send' ? [{ to: e.to, message: e.message }] : []));
const timers = (effects: readonly Effect<Message, unknown>[]) =>
  effects.flatMap((e) => (e.type === 'setTimer' ? [{ key: e.key, afterMs: e.afterMs }] : []));

function withStore(entries: [string, string | null, number][]): ServerState {
  let store = StringTable.empty<Version>();
  for (const [k, value, ts] of entries) store = store.with(k, { value, ts, origin: 'c9.1' });
  return { ...initialServerState(), store };
}

const put = (requestId: string, key: string, value: string, attempt = 1): Message => ({
  type: 'PUT',
  requestId,
  attempt,
  key,
  value,
  ackedBelow: 1,
});
/** The leader's PUT_OK for c1's write of x. */
const putOk = (requestId: string, value: string, ts: number) =>
  ({ type: 'PUT_OK', requestId, attempt: 1, key: 'x', value, ts }) as const;
const get = (requestId: string, key: string, tsClient: number | null, attempt = 1): Message => ({
  type: 'GET',
  requestId,
  attempt,
  key,
  tsClient,
});

describe('GET on any server', () => {
  it('answers NULL when neither side has a ts', () => {
    const r = follower().step(
      initialServerState(),
      { type: 'receive', from: 'c1', message: get('c1.1', 'x', null) },
      at(1),
    );
    expect(sends(r.effects)).toEqual([
      { to: 'c1', message: { type: 'NULL', requestId: 'c1.1', attempt: 1, key: 'x', ts: null } },
    ]);
  });

  it('answers GET_OK when its ts is at least the client ts', () => {
    const r = follower().step(
      withStore([['x', '1', 5]]),
      { type: 'receive', from: 'c1', message: get('c1.1', 'x', 5) },
      at(1),
    );
    expect(sends(r.effects)[0]?.message).toMatchObject({ type: 'GET_OK', value: '1', ts: 5 });
  });

  it('refuses with TRY_OTHER_SERVER_OR_LATER when it is behind the client', () => {
    const r = follower().step(
      withStore([['x', '1', 5]]),
      { type: 'receive', from: 'c1', message: get('c1.1', 'x', 7) },
      at(1),
    );
    expect(sends(r.effects)[0]?.message).toMatchObject({
      type: 'TRY_OTHER_SERVER_OR_LATER',
      serverTs: 5,
    });
  });

  it('missingKeyReply decides what a server without the key tells a client with a ts', () => {
    const input = { type: 'receive', from: 'c1', message: get('c1.1', 'x', 7) } as const;
    const seedReply = sends(follower(seed).step(initialServerState(), input, at(1)).effects)[0]
      ?.message;
    const fixedReply = sends(follower(fixed).step(initialServerState(), input, at(1)).effects)[0]
      ?.message;
    expect(seedReply?.type).toBe('NULL');
    expect(fixedReply?.type).toBe('TRY_OTHER_SERVER_OR_LATER');
  });

  it('answers NULL with the tombstone ts for a deleted key', () => {
    const r = follower().step(
      withStore([['x', null, 9]]),
      { type: 'receive', from: 'c1', message: get('c1.1', 'x', 3) },
      at(1),
    );
    expect(sends(r.effects)[0]?.message).toMatchObject({ type: 'NULL', ts: 9 });
  });

  it('leaves the state object unchanged', () => {
    const state = withStore([['x', '1', 5]]);
    expect(
      follower().step(
        state,
        { type: 'receive', from: 'c1', message: get('c1.1', 'x', null) },
        at(1),
      ).state,
    ).toBe(state);
  });
});

/** c1's PUT of x=`value` reaching the leader at `t` (ms), with the mark `ackedBelow`. */
function leaderPut(
  s: ServerState,
  requestId: string,
  value: string,
  ackedBelow: number,
  t: number,
) {
  const message: Message = { type: 'PUT', requestId, attempt: 1, key: 'x', value, ackedBelow };
  return leader().step(s, { type: 'receive', from: 'c1', message }, at(t, t));
}

/** Both followers acknowledge the leader's write `writeId` of x at `ts`: the state, and what it sent. */
function acknowledged(s: ServerState, writeId: string, ts: number, t = ts) {
  const answers: { to: string; message: Message }[] = [];
  for (const f of ['s2', 's3']) {
    const message = { type: 'REPLICATION_OK', requestId: writeId, key: 'x', ts } as const;
    const step = leader().step(s, { type: 'receive', from: f, message }, at(t));
    answers.push(...sends(step.effects));
    s = step.state;
  }
  return { state: s, answers };
}

/** Both followers acknowledge the leader's write `writeId` of x at `ts`. */
function ackedByAll(s: ServerState, writeId: string, ts: number): ServerState {
  return acknowledged(s, writeId, ts).state;
}

/** What the leader sends for a copy of c1's `requestId` arriving at 99 ms with the mark `ackedBelow`. */
function again(s: ServerState, requestId: string, ackedBelow = 1): Message[] {
  return sends(leaderPut(s, requestId, '?', ackedBelow, 99).effects).map((x) => x.message);
}

describe('the leader', () => {
  it('stamps a PUT, stores it and replicates to every follower at once (fixed)', () => {
    const r = leader().step(
      initialServerState(),
      { type: 'receive', from: 'c1', message: put('c1.1', 'x', '1') },
      at(10, 42),
    );
    expect(r.state.store.get('x')).toEqual({ value: '1', ts: 42, origin: 'c1.1' });
    expect(sends(r.effects).map((s) => [s.to, s.message.type])).toEqual([
      ['s2', 'REPLICATION'],
      ['s3', 'REPLICATION'],
    ]);
  });

  it('waits replicationDelay and serves followers one after another (seed)', () => {
    const m = leader(seed);
    const r1 = m.step(
      initialServerState(),
      { type: 'receive', from: 'c1', message: put('c1.1', 'x', '1') },
      at(0),
    );
    expect(sends(r1.effects)).toEqual([]);
    expect(timers(r1.effects)).toEqual([{ key: 'replicate:w1:s2', afterMs: 10_000 }]);
    const r2 = m.step(
      r1.state,
      { type: 'timer', timer: { kind: 'replicate', writeId: 'w1', follower: 's2' } },
      at(10_000),
    );
    expect(sends(r2.effects).map((s) => s.to)).toEqual(['s2']);
    const ok = { type: 'REPLICATION_OK', requestId: 'w1', key: 'x', ts: 0 } as const;
    const r3 = m.step(r2.state, { type: 'receive', from: 's2', message: ok }, at(10_010));
    expect(timers(r3.effects)).toEqual([{ key: 'replicate:w1:s3', afterMs: 10_000 }]);
  });

  it('answers PUT_OK only after every follower acknowledged', () => {
    const m = leader();
    let s = m.step(
      initialServerState(),
      { type: 'receive', from: 'c1', message: put('c1.1', 'x', '1') },
      at(1, 1),
    ).state;
    const ok = { type: 'REPLICATION_OK', requestId: 'w1', key: 'x', ts: 1 } as const;
    const r1 = m.step(s, { type: 'receive', from: 's2', message: ok }, at(2));
    expect(sends(r1.effects)).toEqual([]);
    s = r1.state;
    const r2 = m.step(s, { type: 'receive', from: 's3', message: ok }, at(3));
    expect(sends(r2.effects)).toEqual([
      {
        to: 'c1',
        message: { type: 'PUT_OK', requestId: 'c1.1', attempt: 1, key: 'x', value: '1', ts: 1 },
      },
    ]);
  });

  it('retransmits on timeout under all-followers, gives up under ignore-failures', () => {
    const timeout = {
      type: 'timer',
      timer: { kind: 'replicationTimeout', writeId: 'w1', follower: 's2' },
    } as const;
    const start = (k: ReplicatedKnobs) =>
      leader(k).step(
        initialServerState(),
        { type: 'receive', from: 'c1', message: put('c1.1', 'x', '1') },
        at(1, 1),
      );
    const all = leader(fixed).step(start(fixed).state, timeout, at(600));
    expect(sends(all.effects).map((s) => [s.to, s.message.type])).toEqual([['s2', 'REPLICATION']]);
    const lax: ReplicatedKnobs = { ...fixed, ackPolicy: 'ignore-failures' };
    const gaveUp = leader(lax).step(start(lax).state, timeout, at(600));
    expect(sends(gaveUp.effects)).toEqual([]);
    expect(gaveUp.state.writes.get('w1')?.awaiting.items()).toEqual(['s3']);
  });

  it('hybrid clock never reissues or goes back; wall clock does', () => {
    const m = (k: ReplicatedKnobs) => leader({ ...k, replicationDelay: 0 });
    for (const [knobs, expected] of [
      [{ ...fixed, leaderClock: 'wall' }, [100, 100, 50]],
      [{ ...fixed, leaderClock: 'hybrid' }, [100, 101, 102]],
    ] as const) {
      let s = initialServerState();
      const stamps: number[] = [];
      [100, 100, 50].forEach((clock, i) => {
        const r = m(knobs).step(
          s,
          { type: 'receive', from: 'c1', message: put(`c1.${i + 1}`, 'x', `${i}`) },
          at(i, clock),
        );
        s = r.state;
        stamps.push(s.store.get('x')!.ts);
      });
      expect(stamps).toEqual(expected);
    }
  });

  it('requestIds=dedupe answers a repeated PUT with the first ts; none stamps it again', () => {
    const finish = (k: ReplicatedKnobs) => {
      const m = leader({ ...k, replicationDelay: 0 });
      let s = m.step(
        initialServerState(),
        { type: 'receive', from: 'c1', message: put('c1.1', 'x', '1') },
        at(1, 1),
      ).state;
      for (const f of ['s2', 's3']) {
        s = m.step(
          s,
          {
            type: 'receive',
            from: f,
            message: { type: 'REPLICATION_OK', requestId: 'w1', key: 'x', ts: 1 },
          },
          at(2),
        ).state;
      }
      return m.step(
        s,
        { type: 'receive', from: 'c1', message: put('c1.1', 'x', '1', 2) },
        at(5, 5),
      );
    };
    const deduped = finish(fixed);
    expect(sends(deduped.effects)).toEqual([
      {
        to: 'c1',
        message: { type: 'PUT_OK', requestId: 'c1.1', attempt: 2, key: 'x', value: '1', ts: 1 },
      },
    ]);
    const restamped = finish({ ...fixed, requestIds: 'none' });
    expect(restamped.state.store.get('x')?.ts).toBe(5);
  });

  it('requestIds=dedupe keeps each answer of a pipelined client until it acknowledges it', () => {
    // Three writes in flight at once, each answered; none acknowledged yet (ackedBelow 1).
    let s = initialServerState();
    for (const [i, value] of ['a', 'b', 'c'].entries())
      s = ackedByAll(
        leaderPut(s, `c1.${i + 1}`, value, 1, 10 * (i + 1)).state,
        `w${i + 1}`,
        10 * (i + 1),
      );
    expect(again(s, 'c1.2')).toEqual([
      { type: 'PUT_OK', requestId: 'c1.2', attempt: 1, key: 'x', value: 'b', ts: 20 },
    ]);
    expect(again(s, 'c1.1')).toMatchObject([{ type: 'PUT_OK', value: 'a', ts: 10 }]);
    // The fourth write says the first two answers arrived: they are forgotten, the third is kept.
    s = leaderPut(s, 'c1.4', 'd', 3, 40).state;
    expect(again(s, 'c1.2')).toEqual([]);
    expect(again(s, 'c1.3')).toMatchObject([{ type: 'PUT_OK', value: 'c', ts: 30 }]);
    expect(s.store.get('x')).toMatchObject({ value: 'd', ts: 40 });
  });

  it('requestIds=dedupe: a client that waits for each answer keeps one answer at a time: its next write drops the one below its mark', () => {
    const first = ackedByAll(leaderPut(initialServerState(), 'c1.1', 'a', 1, 10).state, 'w1', 10);
    // A copy of the first request that raises no mark still gets its answer.
    expect(again(first, 'c1.1', 1)).toMatchObject([{ type: 'PUT_OK', value: 'a', ts: 10 }]);
    expect(first.sessions.get('c1')?.answered).toMatchObject({ seq: 1, next: null });
    // The second write says the first answer arrived: that answer is gone, the second is filed.
    const raised = leaderPut(first, 'c1.2', 'b', 2, 20).state;
    expect(raised.sessions.get('c1')).toEqual({ ackedBelow: 2, answered: null });
    const second = ackedByAll(raised, 'w2', 20);
    expect(second.sessions.get('c1')?.answered).toMatchObject({ seq: 2, value: 'b', next: null });
    expect(again(second, 'c1.1', 2)).toEqual([]);
    expect(again(second, 'c1.2', 2)).toMatchObject([{ type: 'PUT_OK', value: 'b', ts: 20 }]);
  });

  it('a DELETE stores and replicates a tombstone', () => {
    const r = leader().step(
      withStore([['x', '1', 1]]),
      {
        type: 'receive',
        from: 'c1',
        message: { type: 'DELETE', requestId: 'c1.2', attempt: 1, key: 'x', ackedBelow: 2 },
      },
      at(3, 3),
    );
    expect(r.state.store.get('x')).toEqual({ value: null, ts: 3, origin: 'c1.2' });
    expect(sends(r.effects)[0]?.message).toMatchObject({ type: 'REPLICATION', value: null, ts: 3 });
  });

  it('resumes in-flight replication after a restart with durability=disk, forgets it with memory', () => {
    const s = leader().step(
      initialServerState(),
      { type: 'receive', from: 'c1', message: put('c1.1', 'x', '1') },
      at(1, 1),
    ).state;
    const disk = leader();
    const resumed = disk.step(disk.recover(s), { type: 'restart' }, at(50));
    expect(sends(resumed.effects).map((x) => x.to)).toEqual(['s2', 's3']);
    const memory = leader({ ...fixed, durability: 'memory' });
    expect(memory.recover(s).store.size).toBe(0);
  });

  it('records that a restart emptied its store under durability=memory, and nothing under disk', () => {
    const emptied = (knobs: ReplicatedKnobs) =>
      follower(knobs)
        .step(initialServerState(), { type: 'restart' }, at(50))
        .effects.filter((e) => e.type === 'record')
        .map((e) => e.observation);
    expect(emptied({ ...fixed, durability: 'memory' })).toEqual([
      {
        kind: 'note',
        node: 's2',
        text: 'restarts with an empty store: durability=memory keeps nothing across a crash',
        emptied: true,
      },
    ]);
    expect(emptied(fixed)).toEqual([]);
  });
});

describe('a follower', () => {
  const replication = (ts: number, value: string) =>
    ({ type: 'REPLICATION', requestId: `w${ts}`, key: 'x', value, ts, origin: 'c1.1' }) as const;

  it('acknowledges every REPLICATION', () => {
    const r = follower().step(
      initialServerState(),
      { type: 'receive', from: 's1', message: replication(4, 'a') },
      at(1),
    );
    expect(sends(r.effects)).toEqual([
      { to: 's1', message: { type: 'REPLICATION_OK', requestId: 'w4', key: 'x', ts: 4 } },
    ]);
  });

  it('keeps the newer version under newer-wins and the last arrival under overwrite', () => {
    const late = { type: 'receive', from: 's1', message: replication(4, 'old') } as const;
    const held = withStore([['x', 'new', 9]]);
    expect(follower(fixed).step(held, late, at(1)).state.store.get('x')?.value).toBe('new');
    expect(follower(seed).step(held, late, at(1)).state.store.get('x')?.value).toBe('old');
  });

  it('forwards a PUT to the leader and relays the answer to the client', () => {
    const m = follower();
    const r1 = m.step(
      initialServerState(),
      { type: 'receive', from: 'c1', message: put('c1.1', 'x', '1') },
      at(1),
    );
    expect(sends(r1.effects)).toEqual([{ to: 's1', message: put('c1.1', 'x', '1') }]);
    const ok = putOk('c1.1', '1', 3);
    const r2 = m.step(r1.state, { type: 'receive', from: 's1', message: ok }, at(5));
    expect(sends(r2.effects)).toEqual([{ to: 'c1', message: ok }]);
    expect(
      sends(m.step(r2.state, { type: 'receive', from: 's1', message: ok }, at(6)).effects),
    ).toEqual([]);
  });

  it("forgets a forward once the client's next write says it has that answer", () => {
    // The leader's answer to c1.1 was lost (or the leader went down): c1 got its answer from
    // another server, and a follower that kept every such forward would grow without end.
    const m = follower();
    const receive = (state: ServerState, message: Message, ms: number) =>
      m.step(state, { type: 'receive', from: 'c1', message }, at(ms)).state;
    const writeOf = (seq: number) =>
      put(`c1.${seq}`, 'x', `${seq}`) as Extract<Message, { type: 'PUT' }>;
    let state = receive(initialServerState(), put('c1.1', 'x', '1'), 1);
    for (let seq = 2; seq <= 40; seq++)
      state = receive(state, { ...writeOf(seq), ackedBelow: seq }, seq);
    expect(state.forwards.size).toBe(1);
    expect(state.forwards.get('c1')?.map((f) => f.requestId)).toEqual(['c1.40']);
    // A late answer to a forgotten forward is not relayed; the latest one's still is.
    const late = putOk('c1.1', '1', 3);
    const latest = putOk('c1.40', '40', 44);
    const answer = (message: Message) =>
      sends(m.step(state, { type: 'receive', from: 's1', message }, at(50)).effects);
    expect(answer(late)).toEqual([]);
    expect(answer(latest)).toEqual([{ to: 'c1', message: latest }]);
  });

  it('keeps the forwards of a pipelining client until each is answered', () => {
    const m = follower();
    let state = initialServerState();
    for (const seq of [1, 2, 3])
      state = m.step(
        state,
        { type: 'receive', from: 'c1', message: put(`c1.${seq}`, 'x', 'v') },
        at(seq),
      ).state;
    expect(state.forwards.get('c1')?.map((f) => f.requestId)).toEqual(['c1.1', 'c1.2', 'c1.3']);
  });
});

describe('the client', () => {
  const invoke = (
    opId: number,
    op: { kind: 'put'; key: string; value: string } | { kind: 'get'; key: string },
    via = 's2',
  ) => ({ type: 'invoke', opId, op, via }) as const;
  const reply = (message: Message, from = 's2') => ({ type: 'receive', from, message }) as const;

  it('sends the ts it holds with a GET and records the operation', () => {
    const state: ClientState = {
      ...initialClientState(),
      seen: StringTable.empty<number>().with('x', 7),
    };
    const r = client().step(state, invoke(1, { kind: 'get', key: 'x' }), at(0));
    expect(sends(r.effects)).toEqual([{ to: 's2', message: get('c1.1', 'x', 7) }]);
    expect(r.effects.some((e) => e.type === 'record' && e.observation.kind === 'invoke')).toBe(
      true,
    );
  });

  it('clientTimestamp=max keeps the largest ts, last keeps the latest reply', () => {
    const state: ClientState = {
      ...initialClientState(),
      seen: StringTable.empty<number>().with('x', 9),
    };
    const step = (k: ReplicatedKnobs) => {
      const m = client(k);
      const s = m.step(state, invoke(1, { kind: 'get', key: 'x' }), at(0)).state;
      return m
        .step(
          s,
          reply({ type: 'GET_OK', requestId: 'c1.1', attempt: 1, key: 'x', value: 'a', ts: 4 }),
          at(1),
        )
        .state.seen.get('x');
    };
    expect(step(fixed)).toBe(9);
    expect(step(seed)).toBe(4);
  });

  it("takes no reply for another key, or a PUT_OK for another value, as its operation's answer", () => {
    // The protocol never sends one; a peer on a real network might, and the history would record
    // the GET as reading y's value, or the PUT as having written another.
    const m = client();
    const completes = (op: Parameters<typeof invoke>[1], message: Message) => {
      const s = m.step(initialClientState(), invoke(1, op), at(0)).state;
      const r = m.step(s, reply(message), at(1));
      return r.effects.some((e) => e.type === 'record' && e.observation.kind === 'complete');
    };
    const getOk = { type: 'GET_OK', requestId: 'c1.1', attempt: 1, value: 'a', ts: 4 } as const;
    expect(completes({ kind: 'get', key: 'x' }, { ...getOk, key: 'y' })).toBe(false);
    expect(completes({ kind: 'get', key: 'x' }, { ...getOk, key: 'x' })).toBe(true);
    const put = { kind: 'put', key: 'x', value: '1' } as const;
    expect(completes(put, { ...putOk('c1.1', '1', 3), key: 'y' })).toBe(false);
    expect(completes(put, putOk('c1.1', '2', 3))).toBe(false);
    expect(completes(put, putOk('c1.1', '1', 3))).toBe(true);
  });

  it('sequential sessions queue the next operation until the first completes; pipelined fire at once', () => {
    const twoPuts = (k: ReplicatedKnobs) => {
      const m = client(k);
      const r1 = m.step(
        initialClientState(),
        invoke(1, { kind: 'put', key: 'x', value: '1' }),
        at(0),
      );
      return m.step(r1.state, invoke(2, { kind: 'put', key: 'x', value: '2' }), at(1));
    };
    expect(sends(twoPuts(fixed).effects)).toEqual([]);
    expect(sends(twoPuts(seed).effects)).toHaveLength(1);
  });

  it('retries TRY_OTHER_SERVER_OR_LATER at the next server after a back-off, then reports it', () => {
    const m = client({ ...fixed, retryLimit: 1 });
    let s = m.step(initialClientState(), invoke(1, { kind: 'get', key: 'x' }), at(0)).state;
    const refuse = (attempt: number, from: string) =>
      reply(
        { type: 'TRY_OTHER_SERVER_OR_LATER', requestId: 'c1.1', attempt, key: 'x', serverTs: null },
        from,
      );
    const r1 = m.step(s, refuse(1, 's2'), at(1));
    expect(timers(r1.effects)).toEqual([{ key: 'c1.1', afterMs: fixed.retryBackoff }]);
    const r2 = m.step(
      r1.state,
      { type: 'timer', timer: { kind: 'retry', requestId: 'c1.1' } },
      at(101),
    );
    expect(sends(r2.effects)[0]?.to).toBe('s3');
    s = r2.state;
    const r3 = m.step(s, refuse(2, 's3'), at(102));
    const done = r3.effects.find((e) => e.type === 'record' && e.observation.kind === 'complete');
    expect(done).toMatchObject({
      observation: { reply: 'TRY_OTHER_SERVER_OR_LATER', server: 's3' },
    });
  });

  it('spends its retry budget once per refusal, not once per duplicated copy of it', () => {
    const m = client({ ...fixed, retryLimit: 1 });
    const s = m.step(initialClientState(), invoke(1, { kind: 'get', key: 'x' }), at(0)).state;
    const refusal = reply({
      type: 'TRY_OTHER_SERVER_OR_LATER',
      requestId: 'c1.1',
      attempt: 1,
      key: 'x',
      serverTs: null,
    });
    const first = m.step(s, refusal, at(1));
    const copy = m.step(first.state, refusal, at(2));
    expect(copy.state).toBe(first.state);
    const retried = m.step(
      copy.state,
      { type: 'timer', timer: { kind: 'retry', requestId: 'c1.1' } },
      at(101),
    );
    expect(sends(retried.effects)).toEqual([{ to: 's3', message: get('c1.1', 'x', null, 2) }]);
  });

  it('resends an unanswered request to the next server with the same request id', () => {
    const m = client();
    const s = m.step(
      initialClientState(),
      invoke(1, { kind: 'put', key: 'x', value: '1' }),
      at(0),
    ).state;
    const r = m.step(
      s,
      { type: 'timer', timer: { kind: 'requestTimeout', requestId: 'c1.1', attempt: 1 } },
      at(1000),
    );
    expect(sends(r.effects)).toEqual([{ to: 's3', message: put('c1.1', 'x', '1', 2) }]);
  });

  it('ignores a reply for an operation that is no longer pending', () => {
    const state = initialClientState();
    const r = client().step(
      state,
      reply({ type: 'GET_OK', requestId: 'c1.9', attempt: 1, key: 'x', value: 'a', ts: 4 }),
      at(1),
    );
    expect(r.state).toBe(state);
    expect(r.effects).toEqual([]);
  });
});

// Behaviours of PROTOCOL.md §1 that no test above watched (found by mutating the handlers: each
// test here fails on a changed line of protocol/replicated/ that every other test let through).
describe('pinned by the mutation pass', () => {
  it('a client ignores requests and replication messages sent to it, even under its pending request id', () => {
    // Only servers are sent PUT, GET, DELETE and REPLICATION(_OK); a live peer may send anything.
    const m = client();
    const s = m.step(
      initialClientState(),
      {
        type: 'invoke',
        opId: 1,
        op: { kind: 'get', key: 'x' },
        via: 's2',
      },
      at(0),
    ).state;
    for (const message of [
      put('c1.1', 'x', '1'),
      get('c1.1', 'x', null),
      { type: 'DELETE', requestId: 'c1.1', attempt: 1, key: 'x', ackedBelow: 1 },
      { type: 'REPLICATION', requestId: 'c1.1', key: 'x', value: '1', ts: 1, origin: 'c1.1' },
      { type: 'REPLICATION_OK', requestId: 'c1.1', key: 'x', ts: 1 },
    ] as const) {
      const r = m.step(s, { type: 'receive', from: 's2', message }, at(1));
      expect(r.state, message.type).toBe(s);
      expect(r.effects, message.type).toEqual([]);
    }
  });

  it("a request id's sequence number is the number after its last dot, whatever the text", () => {
    // requestIds=dedupe keys a client's answers by it (and ackedBelow compares with it). A
    // request arriving over the network (live mode) may carry any text: as Number() reads it.
    for (const id of [
      'c1.7',
      'c1.1234567890',
      'c1.x',
      'c1.',
      'c1.1e3',
      'c1.-2',
      'c1.0x1f',
      'c1.1234567890123456789',
      'a.b.123456789012345678901234567890',
    ]) {
      const text = id.slice(id.lastIndexOf('.') + 1);
      expect(seqOfRequestId(id), id).toBe(Number(text));
    }
  });

  it('requestIds=dedupe: a copy of a PUT still being replicated is not stamped again; both attempts get the one answer', () => {
    // §1 knob requestIds, fixed: dedupe by (client, seq). A copy arriving before the followers
    // acknowledged is the same write: no new ts (A10 is a restamp), no new REPLICATION.
    let s = leaderPut(initialServerState(), 'c1.1', 'a', 1, 10).state;
    const copy = put('c1.1', 'x', 'a', 2);
    const r = leader().step(s, { type: 'receive', from: 's2', message: copy }, at(20, 20));
    expect(sends(r.effects)).toEqual([]);
    expect(r.state.store.get('x')).toEqual({ value: 'a', ts: 10, origin: 'c1.1' });
    expect(r.state.lastIssued).toBe(10);
    s = r.state;
    const { answers } = acknowledged(s, 'w1', 10, 30);
    // The first attempt came from c1, the copy through s2 (which relays it to c1).
    const ok = { type: 'PUT_OK', requestId: 'c1.1', key: 'x', value: 'a', ts: 10 } as const;
    expect(answers).toEqual([
      { to: 'c1', message: { ...ok, attempt: 1 } },
      { to: 's2', message: { ...ok, attempt: 2 } },
    ]);
  });

  it('requestIds=dedupe: a client resending all through a long replication gets one answer, to its latest attempt', () => {
    // A follower down for good: c1 resends its PUT every second. Each copy is the same write;
    // the leader keeps one answer a node (the client takes the answer to any of its attempts), so
    // what it holds stays the same size however long the outage lasts.
    let s = leaderPut(initialServerState(), 'c1.1', 'a', 1, 10).state;
    for (let attempt = 2; attempt <= 50; attempt++) {
      const copy = put('c1.1', 'x', 'a', attempt);
      s = leader().step(
        s,
        { type: 'receive', from: 'c1', message: copy },
        at(attempt * 1000),
      ).state;
    }
    expect(s.writes.get('w1')!.replyTo).toEqual([{ node: 'c1', attempt: 50 }]);
    const { answers } = acknowledged(s, 'w1', 10, 60_000);
    expect(answers).toEqual([
      {
        to: 'c1',
        message: { type: 'PUT_OK', requestId: 'c1.1', attempt: 50, key: 'x', value: 'a', ts: 10 },
      },
    ]);
  });

  it("requestIds=dedupe: a mark that rises to a pipelined write still unanswered at the client keeps that write's answer", () => {
    // clientSession=pipelined over fixed: c1.1 is a GET still pending when c1.2 (a PUT) leaves, so
    // c1.2 carries the mark 1. Its PUT_OK is lost; the GET completes; c1.3 carries the mark 2:
    // every answer below 2 arrived, c1.2's did not. A retry of c1.2 must get its first answer,
    // not a new ts (§1 knob requestIds: dedupe by (client, seq)).
    let s = ackedByAll(leaderPut(initialServerState(), 'c1.2', 'b', 1, 20).state, 'w1', 20);
    s = leaderPut(s, 'c1.3', 'c', 2, 30).state;
    expect(again(s, 'c1.2', 2)).toEqual([
      { type: 'PUT_OK', requestId: 'c1.2', attempt: 1, key: 'x', value: 'b', ts: 20 },
    ]);
  });
});
