// The lock store's server and client handlers, driven one input at a time without the simulator,
// under both presets: what the write-up's code let through (A5, A6) and what the fixes refuse.

import { describe, expect, it } from 'vitest';
import type { Effect, LockChange, Observation, StepContext } from '../protocol/core.ts';
import { parseKnob, resolveKnobs } from '../protocol/knobs.ts';
import {
  type ClientOp,
  type ClientState,
  clientMachine,
  initialClientState,
  initialServerState,
  LOCK_KNOBS,
  LOCK_PRESETS,
  type LockKnobs,
  type Message,
  type ServerState,
  serverMachine,
} from '../protocol/lock/index.ts';

const seed = LOCK_PRESETS.seed;
const fixed = LOCK_PRESETS.fixed;
const at = (nowMs: number): StepContext => ({ nowMs, clockMs: nowMs });

type Fx = Effect<Message, unknown>;
const sends = (effects: readonly Fx[]) =>
  effects.flatMap((e) => (e.type === 'send' ? [{ to: e.to, message: e.message }] : []));
const records = (effects: readonly Fx[]): Observation[] =>
  effects.flatMap((e) => (e.type === 'record' ? [e.observation] : []));
const lockChanges = (effects: readonly Fx[]): LockChange[] =>
  records(effects).flatMap((o) => (o.kind === 'note' && o.lock !== undefined ? [o.lock] : []));
const timers = (effects: readonly Fx[]) =>
  effects.flatMap((e) => (e.type === 'setTimer' ? [{ key: e.key, afterMs: e.afterMs }] : []));

const acquire = (requestId: string, key = 'x', attempt = 1): Message => ({
  type: 'ACQUIRE_LOCK',
  requestId,
  attempt,
  key,
});
const release = (requestId: string, token: number | null, key = 'x', attempt = 1): Message => ({
  type: 'RELEASE_LOCK',
  requestId,
  attempt,
  key,
  token,
});
const put = (requestId: string, value: string, token: number | null, attempt = 1): Message => ({
  type: 'PUT',
  requestId,
  attempt,
  key: 'x',
  value,
  token,
});
const get = (requestId: string, token: number | null): Message => ({
  type: 'GET',
  requestId,
  attempt: 1,
  key: 'x',
  token,
});
const del = (requestId: string, token: number | null): Message => ({
  type: 'DELETE',
  requestId,
  attempt: 1,
  key: 'x',
  token,
});

/** A server fed messages one after another; `reply` is the last message it sent. */
function serverAt(knobs: LockKnobs, state: ServerState = initialServerState()) {
  const machine = serverMachine({ id: 's1', knobs });
  const self = {
    state,
    effects: [] as readonly Fx[],
    receive(from: string, message: Message, nowMs = 0) {
      const r = machine.step(self.state, { type: 'receive', from, message }, at(nowMs));
      self.state = r.state;
      self.effects = r.effects;
      return self;
    },
    fire(key: string, token: number, nowMs: number) {
      const timer = { kind: 'leaseExpiry', key, token } as const;
      const r = machine.step(self.state, { type: 'timer', timer }, at(nowMs));
      self.state = r.state;
      self.effects = r.effects;
      return self;
    },
    get reply() {
      return sends(self.effects).at(-1)?.message;
    },
  };
  return self;
}

describe('knobs', () => {
  it('every preset value is valid against the specs', () => {
    for (const preset of [seed, fixed]) {
      for (const [name, value] of Object.entries(preset)) {
        expect(parseKnob(LOCK_KNOBS, name, value).ok).toBe(true);
      }
    }
  });

  it('a preset takes overrides given as text', () => {
    const r = resolveKnobs(LOCK_KNOBS, LOCK_PRESETS, 'seed', { lockLease: '2000' });
    expect(r).toEqual({ ok: true, value: { ...seed, lockLease: 2000 } });
  });
});

describe('ACQUIRE_LOCK', () => {
  it.each([
    ['seed', seed, null, null],
    ['fixed', fixed, 1, 5_000],
  ] as const)('grants a free lock and denies a held one (%s)', (_, knobs, token, expiresAt) => {
    const s = serverAt(knobs).receive('c1', acquire('c1.1'));
    expect(s.reply).toEqual({
      type: 'LOCK_GRANTED',
      requestId: 'c1.1',
      attempt: 1,
      key: 'x',
      token,
    });
    expect(lockChanges(s.effects)).toEqual([
      {
        key: 'x',
        event: 'grant',
        holder: 'c1',
        requestId: 'c1.1',
        token: 1,
        by: null,
        byRequest: null,
        expiresAt,
      },
    ]);
    s.receive('c2', acquire('c2.1'));
    expect(s.reply).toEqual({ type: 'LOCK_DENIED', requestId: 'c2.1', attempt: 1, key: 'x' });
    expect(s.state.locks.get('x')?.holder).toBe('c1');
  });

  it('locks are per key', () => {
    const s = serverAt(fixed)
      .receive('c1', acquire('c1.1', 'x'))
      .receive('c2', acquire('c2.1', 'y'));
    expect(s.reply?.type).toBe('LOCK_GRANTED');
    expect([...s.state.locks.keys()]).toEqual(['x', 'y']);
  });

  it('the grant notes read as a sentence for the timeline', () => {
    const s = serverAt(fixed).receive('c1', acquire('c1.1'));
    const note = records(s.effects)[0];
    expect(note).toMatchObject({
      kind: 'note',
      node: 's1',
      text: 'grants the lock of x to c1 for c1.1 (token 1)',
    });
  });
});

describe('PUT, GET and DELETE need a held lock', () => {
  it.each([
    ['seed', seed],
    ['fixed', fixed],
  ] as const)('with no lock on the key nothing is done (%s)', (_, knobs) => {
    const s = serverAt(knobs);
    const before = s.state;
    s.receive('c1', put('c1.1', 'v', null));
    expect(s.reply?.type).toBe('LOCK_NOT_ACQUIRED');
    expect(s.state.store.size).toBe(0);
    if (knobs.requestIds === 'none') expect(s.state).toBe(before);
  });

  it('the holder writes, reads and deletes; each change is a new version (fixed)', () => {
    // One lock, several operations: without dedupe, which would answer a second GET of the same
    // request from memory (a real procedure does one operation per request id).
    const s = serverAt({ ...fixed, requestIds: 'none' }).receive('c1', acquire('c1.1'));
    s.receive('c1', put('c1.1', 'a', 1));
    expect(s.reply).toEqual({
      type: 'PUT_OK',
      requestId: 'c1.1',
      attempt: 1,
      key: 'x',
      value: 'a',
      ts: 1,
    });
    expect(records(s.effects)).toEqual([
      { kind: 'apply', node: 's1', key: 'x', value: 'a', ts: 1, origin: 'c1.1' },
    ]);
    s.receive('c1', get('c1.1', 1));
    expect(s.reply).toMatchObject({ type: 'GET_OK', value: 'a', ts: 1 });
    s.receive('c1', del('c1.1', 1));
    expect(s.reply).toMatchObject({ type: 'DELETE_OK', ts: 2 });
    s.receive('c1', get('c1.1', 1));
    // A deleted key reads as NULL carrying the tombstone's version, not version 0.
    expect(s.reply).toMatchObject({ type: 'NULL', ts: 2 });
  });

  it('seed: any lock on the key lets anyone write', () => {
    const s = serverAt(seed)
      .receive('c1', acquire('c1.1'))
      .receive('c2', put('c2.1', 'b', null));
    expect(s.reply).toMatchObject({ type: 'PUT_OK', value: 'b', ts: 1 });
    expect(s.state.store.get('x')).toEqual({ value: 'b', ts: 1, origin: 'c2.1' });
  });

  it('fixed: only the request the lock was granted to', () => {
    const s = serverAt(fixed)
      .receive('c1', acquire('c1.1'))
      .receive('c2', put('c2.1', 'b', 1));
    expect(s.reply?.type).toBe('LOCK_NOT_ACQUIRED');
    // c1 itself, but for another operation (a duplicate from an earlier one), is refused too:
    // without dedupe it is told so; with it, dropped (c1 has finished that operation).
    const unremembered = serverAt({ ...fixed, requestIds: 'none' }, s.state);
    unremembered.receive('c1', put('c1.0', 'old', 1));
    expect(unremembered.reply?.type).toBe('LOCK_NOT_ACQUIRED');
    s.receive('c1', put('c1.0', 'old', 1));
    expect(s.effects).toEqual([]);
    expect(s.state.store.size).toBe(0);
  });

  it('a GET changes nothing when requests are not remembered', () => {
    const s = serverAt(seed).receive('c1', acquire('c1.1'));
    const before = s.state;
    s.receive('c1', get('c1.1', null));
    expect(s.reply).toMatchObject({ type: 'NULL', ts: null });
    expect(s.state).toBe(before);
  });
});

describe('RELEASE_LOCK from a stranger (A5)', () => {
  it('seed frees the holder’s lock, and a second client then gets it: two holders', () => {
    const s = serverAt(seed).receive('c1', acquire('c1.1'));
    s.receive('c2', release('c2.9', null));
    expect(s.reply?.type).toBe('RELEASE_OK');
    expect(lockChanges(s.effects)).toEqual([
      {
        key: 'x',
        event: 'release',
        holder: 'c1',
        requestId: 'c1.1',
        token: 1,
        by: 'c2',
        byRequest: 'c2.9',
        expiresAt: null,
      },
    ]);
    // Under fencing=none no token goes on the wire, and the note names none.
    expect(records(s.effects)[0]).toMatchObject({ text: "c2 releases c1's lock of x" });
    s.receive('c3', acquire('c3.1'));
    expect(s.reply?.type).toBe('LOCK_GRANTED');
    // c1 still believes it holds the lock, and under seed its write still lands.
    s.receive('c1', put('c1.1', 'late', null));
    expect(s.reply?.type).toBe('PUT_OK');
  });

  it("seed lets a late copy of the holder's release of an earlier request free its newer lock, and says so", () => {
    const s = serverAt(seed).receive('c1', acquire('c1.2'));
    s.receive('c1', release('c1.1', null));
    expect(s.reply?.type).toBe('RELEASE_OK');
    expect(lockChanges(s.effects)).toMatchObject([
      { event: 'release', holder: 'c1', requestId: 'c1.2', by: 'c1', byRequest: 'c1.1' },
    ]);
    expect(records(s.effects)[0]).toMatchObject({
      text: "c1's late release for c1.1 frees its lock of x for c1.2",
    });
  });

  it('seed answers RELEASE_OK even with no lock to free', () => {
    const s = serverAt(seed);
    const before = s.state;
    s.receive('c1', release('c1.1', null));
    expect(s.reply?.type).toBe('RELEASE_OK');
    expect(s.state).toBe(before);
  });

  it('fixed refuses a stranger, and a duplicate from the same client’s earlier operation', () => {
    const s = serverAt(fixed).receive('c1', acquire('c1.2'));
    s.receive('c2', release('c2.9', 1));
    expect(s.reply?.type).toBe('LOCK_NOT_ACQUIRED');
    // The duplicate is refused by the owner check, and with dedupe never gets that far.
    const unremembered = serverAt({ ...fixed, requestIds: 'none' }, s.state);
    unremembered.receive('c1', release('c1.1', 1));
    expect(unremembered.reply?.type).toBe('LOCK_NOT_ACQUIRED');
    s.receive('c1', release('c1.1', 1));
    expect(s.effects).toEqual([]);
    expect(s.state.locks.get('x')?.requestId).toBe('c1.2');
    expect(unremembered.state.locks.get('x')?.requestId).toBe('c1.2');
    expect(lockChanges(unremembered.effects)).toEqual([]);
  });

  it('fixed lets the holder release, and cancels its lease timer', () => {
    const s = serverAt(fixed).receive('c1', acquire('c1.1')).receive('c1', release('c1.1', 1));
    expect(s.reply?.type).toBe('RELEASE_OK');
    expect(s.state.locks.size).toBe(0);
    expect(s.effects).toContainEqual({ type: 'cancelTimer', key: 'lease:x' });
  });
});

describe('leases (A6)', () => {
  it('seed: a lock whose holder never releases blocks the key for good', () => {
    const s = serverAt(seed).receive('c1', acquire('c1.1'));
    expect(timers(s.effects)).toEqual([]);
    s.receive('c2', acquire('c2.1'), 3_600_000);
    expect(s.reply?.type).toBe('LOCK_DENIED');
  });

  it('fixed: the lease timer frees the lock and another client gets it', () => {
    const s = serverAt(fixed).receive('c1', acquire('c1.1'), 100);
    expect(timers(s.effects)).toEqual([{ key: 'lease:x', afterMs: 5_000 }]);
    expect(s.state.locks.get('x')?.expiresAt).toBe(5_100);
    s.fire('x', 1, 5_100);
    expect(lockChanges(s.effects)).toEqual([
      {
        key: 'x',
        event: 'expire',
        holder: 'c1',
        requestId: 'c1.1',
        token: 1,
        by: null,
        byRequest: null,
        expiresAt: 5_100,
      },
    ]);
    s.receive('c2', acquire('c2.1'), 5_101);
    expect(s.reply).toMatchObject({ type: 'LOCK_GRANTED', token: 2 });
  });

  it('fixed: the holder who did not finish in time is refused', () => {
    const s = serverAt(fixed).receive('c1', acquire('c1.1')).fire('x', 1, 5_000);
    s.receive('c1', put('c1.1', 'late', 1), 5_200);
    expect(s.reply?.type).toBe('LOCK_NOT_ACQUIRED');
    s.receive('c1', release('c1.1', 1, 'x', 2), 5_300);
    expect(s.reply?.type).toBe('LOCK_NOT_ACQUIRED');
  });

  it('a lease that has run out ends before a request looks at the lock, timer or not', () => {
    const s = serverAt(fixed).receive('c1', acquire('c1.1'));
    s.receive('c2', acquire('c2.1'), 5_000);
    expect(lockChanges(s.effects).map((c) => c.event)).toEqual(['expire', 'grant']);
    expect(s.reply).toMatchObject({ type: 'LOCK_GRANTED', token: 2 });
  });

  it('a timer left from an earlier grant changes nothing', () => {
    const s = serverAt(fixed).receive('c1', acquire('c1.1')).receive('c1', release('c1.1', 1));
    s.receive('c2', acquire('c2.1'), 10);
    const before = s.state;
    s.fire('x', 1, 5_000);
    expect(s.state).toBe(before);
    expect(s.effects).toEqual([]);
  });

  it('after a crash the server ends leases that ran out and re-arms the others', () => {
    const machine = serverMachine({ id: 's1', knobs: fixed });
    const s = serverAt(fixed).receive('c1', acquire('c1.1', 'x'), 0);
    s.receive('c2', acquire('c2.1', 'y'), 3_000);
    const held = machine.recover(s.state);
    const r = machine.step(held, { type: 'restart' }, at(6_000));
    expect(lockChanges(r.effects).map((c) => [c.key, c.event])).toEqual([['x', 'expire']]);
    expect(timers(r.effects)).toEqual([{ key: 'lease:y', afterMs: 2_000 }]);
    expect([...r.state.locks.keys()]).toEqual(['y']);
  });
});

describe('fencing tokens', () => {
  // Fencing on its own: any client's lock counts, but a token older than the latest grant is stale.
  const fencedOnly: LockKnobs = { ...seed, fencing: 'token', lockLease: 1_000 };

  it('refuses a write from a holder whose lease ran out once someone else holds the lock', () => {
    const s = serverAt(fencedOnly).receive('c1', acquire('c1.1'));
    s.receive('c2', acquire('c2.1'), 1_000);
    expect(s.reply).toMatchObject({ type: 'LOCK_GRANTED', token: 2 });
    s.receive('c1', put('c1.1', 'stale', 1), 1_010);
    expect(s.reply).toEqual({
      type: 'STALE_TOKEN',
      requestId: 'c1.1',
      attempt: 1,
      key: 'x',
      token: 1,
      latest: 2,
    });
    s.receive('c2', put('c2.1', 'fresh', 2), 1_020);
    expect(s.reply).toMatchObject({ type: 'PUT_OK', ts: 1 });
    expect(s.state.store.get('x')?.value).toBe('fresh');
  });

  it('refuses a release with a stale token or none', () => {
    const s = serverAt(fencedOnly).receive('c1', acquire('c1.1'));
    s.receive('c2', acquire('c2.1'), 1_000);
    s.receive('c1', release('c1.1', 1), 1_010);
    expect(s.reply?.type).toBe('STALE_TOKEN');
    s.receive('c3', release('c3.1', null), 1_020);
    expect(s.reply?.type).toBe('STALE_TOKEN');
    expect(s.state.locks.get('x')?.holder).toBe('c2');
  });

  it('tokens rise with every grant, across keys', () => {
    const s = serverAt(fixed)
      .receive('c1', acquire('c1.1', 'x'))
      .receive('c2', acquire('c2.1', 'y'));
    expect(s.reply).toMatchObject({ token: 2 });
    s.receive('c1', release('c1.1', 1, 'x')).receive('c3', acquire('c3.1', 'x'));
    expect(s.reply).toMatchObject({ token: 3 });
  });
});

describe('retried and duplicated requests', () => {
  it('fixed: a retried ACQUIRE_LOCK gets the same grant, not a denial', () => {
    const s = serverAt(fixed).receive('c1', acquire('c1.1'));
    const before = s.state;
    s.receive('c1', acquire('c1.1', 'x', 2));
    expect(s.reply).toEqual({
      type: 'LOCK_GRANTED',
      requestId: 'c1.1',
      attempt: 2,
      key: 'x',
      token: 1,
    });
    expect(s.state).toBe(before);
    expect(lockChanges(s.effects)).toEqual([]);
  });

  it('fixed: a retried PUT is answered as before and not written twice', () => {
    const s = serverAt(fixed)
      .receive('c1', acquire('c1.1'))
      .receive('c1', put('c1.1', 'a', 1));
    s.receive('c1', put('c1.1', 'a', 1, 2));
    expect(s.reply).toMatchObject({ type: 'PUT_OK', attempt: 2, ts: 1 });
    expect(records(s.effects)).toEqual([]);
    expect(s.state.version).toBe(1);
  });

  it('fixed: a late copy of a finished operation’s ACQUIRE does not take the lock', () => {
    const s = serverAt(fixed).receive('c1', acquire('c1.1')).receive('c1', release('c1.1', 1));
    s.receive('c1', acquire('c1.1'));
    expect(s.state.locks.size).toBe(0);
    s.receive('c1', release('c1.1', 1, 'x', 2));
    expect(s.reply?.type).toBe('RELEASE_OK');
  });

  it('fixed: a late copy from an operation its client has finished is dropped, unanswered', () => {
    // c1's operation 1 is over once its operation 2 reaches the server (a client runs one at a
    // time); an ACQUIRE of operation 1 the server never saw, arriving now, must not take x's lock.
    const s = serverAt(fixed)
      .receive('c1', acquire('c1.2', 'y'))
      .receive('c1', release('c1.2', 1, 'y'));
    const before = s.state;
    s.receive('c1', acquire('c1.1'));
    expect(s.state).toBe(before);
    expect(s.effects).toEqual([]);
  });

  it('fixed: the server remembers replies for each client’s latest operation only', () => {
    // A long-lived server must not keep a reply for every request it ever answered.
    let s = serverAt(fixed);
    for (let seq = 1; seq <= 50; seq++) {
      const id = `c1.${seq}`;
      s = serverAt(fixed, s.state).receive('c1', acquire(id));
      const token = (s.reply as { token: number }).token;
      s.receive('c1', put(id, `v${seq}`, token)).receive('c1', release(id, token));
    }
    expect(s.state.sessions.size).toBe(1);
    expect(s.state.sessions.get('c1')?.replies.map((r) => r.type)).toEqual([
      'ACQUIRE_LOCK',
      'PUT',
      'RELEASE_LOCK',
    ]);
    // and still answers the latest operation's retries from memory
    s.receive('c1', put('c1.50', 'v50', 50, 2));
    expect(s.reply).toMatchObject({ type: 'PUT_OK', attempt: 2, ts: 50 });
    expect(s.state.version).toBe(50);
  });

  it('seed: a late copy of a finished operation’s ACQUIRE takes the lock for nobody', () => {
    const s = serverAt(seed).receive('c1', acquire('c1.1')).receive('c1', release('c1.1', null));
    s.receive('c1', acquire('c1.1'));
    expect(s.state.locks.get('x')?.requestId).toBe('c1.1');
    expect(serverAt(seed, s.state).receive('c2', acquire('c2.1')).reply?.type).toBe('LOCK_DENIED');
  });

  it('seed: a retried PUT is a second write', () => {
    const s = serverAt(seed)
      .receive('c1', acquire('c1.1'))
      .receive('c1', put('c1.1', 'a', null));
    s.receive('c1', put('c1.1', 'a', null, 2));
    expect(s.reply).toMatchObject({ type: 'PUT_OK', ts: 2 });
  });
});

describe('the server is pure', () => {
  it('never changes the state it was given', () => {
    const s = serverAt(fixed)
      .receive('c1', acquire('c1.1'))
      .receive('c1', put('c1.1', 'a', 1));
    const given = s.state;
    const snapshot = structuredClone(given);
    s.receive('c1', release('c1.1', 1)).receive('c2', acquire('c2.1')).fire('x', 2, 9_000);
    expect(given).toEqual(snapshot);
  });

  it('ignores replies sent to it', () => {
    const s = serverAt(fixed);
    const before = s.state;
    s.receive('c1', { type: 'RELEASE_OK', requestId: 'c1.1', attempt: 1, key: 'x' });
    expect(s.state).toBe(before);
    expect(s.effects).toEqual([]);
  });
});

// ---- The client ------------------------------------------------------------------------------

function clientAt(knobs: LockKnobs) {
  const machine = clientMachine({ id: 'c1', knobs });
  const self = {
    state: initialClientState() as ClientState,
    effects: [] as readonly Fx[],
    step(input: Parameters<typeof machine.step>[1]) {
      const r = machine.step(self.state, input, at(0));
      self.state = r.state;
      self.effects = r.effects;
      return self;
    },
    invoke(opId: number, op: ClientOp) {
      return self.step({ type: 'invoke', opId, op, via: 's1' });
    },
    receive(message: Message, from = 's1') {
      return self.step({ type: 'receive', from, message });
    },
    get sent() {
      return sends(self.effects).map((s) => s.message);
    },
  };
  return self;
}

const granted = (token: number | null, requestId = 'c1.1'): Message => ({
  type: 'LOCK_GRANTED',
  requestId,
  attempt: 1,
  key: 'x',
  token,
});
const released = (requestId = 'c1.1'): Message => ({
  type: 'RELEASE_OK',
  requestId,
  attempt: 1,
  key: 'x',
});
const putOk = (ts: number): Message => ({
  type: 'PUT_OK',
  requestId: 'c1.1',
  attempt: 1,
  key: 'x',
  value: 'a',
  ts,
});

describe('the client procedure', () => {
  it('acquires, writes with the token, releases, and only then completes', () => {
    const c = clientAt(fixed).invoke(7, { kind: 'put', key: 'x', value: 'a' });
    expect(records(c.effects)).toEqual([
      { kind: 'invoke', opId: 7, client: 'c1', op: 'put', key: 'x', value: 'a', requestId: 'c1.1' },
    ]);
    expect(c.sent).toEqual([{ type: 'ACQUIRE_LOCK', requestId: 'c1.1', attempt: 1, key: 'x' }]);
    c.receive(granted(4));
    expect(c.sent).toEqual([put('c1.1', 'a', 4)]);
    c.receive(putOk(3));
    expect(c.sent).toEqual([release('c1.1', 4)]);
    expect(records(c.effects)).toEqual([]);
    c.receive(released());
    expect(c.sent).toEqual([]);
    expect(records(c.effects)).toEqual([
      { kind: 'complete', opId: 7, client: 'c1', reply: 'PUT_OK', server: 's1', value: 'a', ts: 3 },
    ]);
    expect(c.state.current).toBeNull();
    expect(c.state.seen.get('x')).toBe(3);
  });

  it('reports LOCK_DENIED ("another client is accessing the key") and releases nothing', () => {
    const c = clientAt(seed).invoke(1, { kind: 'get', key: 'x' });
    c.receive({ type: 'LOCK_DENIED', requestId: 'c1.1', attempt: 1, key: 'x' });
    expect(c.sent).toEqual([]);
    expect(records(c.effects)).toEqual([
      {
        kind: 'complete',
        opId: 1,
        client: 'c1',
        reply: 'LOCK_DENIED',
        server: 's1',
        value: null,
        ts: null,
      },
    ]);
  });

  it('an operation the server refuses ends with the refusal, without a release', () => {
    const c = clientAt(fixed).invoke(1, { kind: 'delete', key: 'x' }).receive(granted(1));
    c.receive({ type: 'LOCK_NOT_ACQUIRED', requestId: 'c1.1', attempt: 1, key: 'x' });
    expect(c.sent).toEqual([]);
    expect(records(c.effects)[0]).toMatchObject({
      kind: 'complete',
      reply: 'LOCK_NOT_ACQUIRED',
      ts: null,
    });
  });

  it('a refused release still completes the operation with its own reply', () => {
    const c = clientAt(fixed).invoke(1, { kind: 'put', key: 'x', value: 'a' });
    c.receive(granted(1)).receive(putOk(1));
    c.receive({ type: 'LOCK_NOT_ACQUIRED', requestId: 'c1.1', attempt: 1, key: 'x' });
    expect(records(c.effects)[0]).toMatchObject({ kind: 'complete', reply: 'PUT_OK', ts: 1 });
  });

  it('ignores late, duplicated and mismatched replies', () => {
    const c = clientAt(fixed).invoke(1, { kind: 'put', key: 'x', value: 'a' }).receive(granted(1));
    const operating = c.state;
    for (const stray of [
      granted(1),
      { type: 'LOCK_DENIED', requestId: 'c1.1', attempt: 1, key: 'x' },
      released(),
      { type: 'GET_OK', requestId: 'c1.1', attempt: 1, key: 'x', value: 'z', ts: 9 },
      { ...putOk(1), requestId: 'c1.0' },
      { ...putOk(1), key: 'y' },
    ] as Message[]) {
      c.receive(stray);
      expect(c.state).toBe(operating);
      expect(c.effects).toEqual([]);
    }
    c.receive(putOk(1)).receive(released()).receive(released());
    expect(c.effects).toEqual([]);
  });

  it('runs one operation at a time: the next waits for the procedure to end', () => {
    const c = clientAt(fixed).invoke(1, { kind: 'put', key: 'x', value: 'a' });
    c.invoke(2, { kind: 'get', key: 'x' });
    expect(c.effects).toEqual([]);
    c.receive(granted(1)).receive(putOk(1)).receive(released());
    expect(records(c.effects).map((o) => o.kind)).toEqual(['complete', 'invoke']);
    expect(c.sent).toEqual([{ type: 'ACQUIRE_LOCK', requestId: 'c1.2', attempt: 1, key: 'x' }]);
  });

  it('resends an unanswered request with the same id, once per timeout', () => {
    const c = clientAt(fixed).invoke(1, { kind: 'put', key: 'x', value: 'a' });
    expect(timers(c.effects)).toEqual([{ key: 'timeout:c1.1', afterMs: 1_000 }]);
    const timer = {
      kind: 'requestTimeout',
      requestId: 'c1.1',
      phase: 'acquiring',
      attempt: 1,
    } as const;
    c.step({ type: 'timer', timer });
    expect(c.sent).toEqual([{ type: 'ACQUIRE_LOCK', requestId: 'c1.1', attempt: 2, key: 'x' }]);
    const retrying = c.state;
    c.step({ type: 'timer', timer });
    expect(c.state).toBe(retrying);
    c.receive(granted(1));
    expect(c.sent).toEqual([put('c1.1', 'a', 1)]);
  });

  it('seed: never times out', () => {
    const c = clientAt(seed).invoke(1, { kind: 'put', key: 'x', value: 'a' });
    expect(timers(c.effects)).toEqual([]);
  });

  it('a crashed client forgets its operation but not its request numbering', () => {
    const machine = clientMachine({ id: 'c1', knobs: fixed });
    const c = clientAt(fixed).invoke(1, { kind: 'put', key: 'x', value: 'a' });
    const recovered = machine.recover(c.state);
    expect(recovered.current).toBeNull();
    expect(recovered.nextSeq).toBe(2);
  });
});

// ---- Server and clients together, messages carried by hand ------------------------------------

/** Delivers every message in the order it was sent until none is left (no loss, no delay). */
function exchange(knobs: LockKnobs, clientIds: readonly string[]) {
  const server = serverMachine({ id: 's1', knobs });
  let serverState = server.init();
  const clients = new Map(
    clientIds.map((id) => [
      id,
      { machine: clientMachine({ id, knobs }), state: initialClientState() },
    ]),
  );
  const log: Observation[] = [];
  const inbox: { from: string; to: string; message: Message }[] = [];
  const emitted = (node: string, effects: readonly Fx[]) => {
    log.push(...records(effects));
    for (const s of sends(effects)) inbox.push({ from: node, ...s });
  };
  const stepClient = (
    id: string,
    input: Parameters<ReturnType<typeof clientMachine>['step']>[1],
  ) => {
    const c = clients.get(id)!;
    const r = c.machine.step(c.state, input, at(0));
    c.state = r.state;
    emitted(id, r.effects);
  };
  return {
    log,
    server: () => serverState,
    /** The client starts an operation; nothing is delivered yet. */
    invoke(client: string, opId: number, op: ClientOp) {
      stepClient(client, { type: 'invoke', opId, op, via: 's1' });
    },
    /** Puts a message on the wire as if `from` had sent it to the server. */
    inject(from: string, message: Message) {
      inbox.push({ from, to: 's1', message });
    },
    deliver(count = Number.POSITIVE_INFINITY) {
      for (let i = 0; i < count && inbox.length > 0; i++) {
        const { from, to, message } = inbox.shift()!;
        if (to !== 's1') {
          stepClient(to, { type: 'receive', from, message });
          continue;
        }
        const r = server.step(serverState, { type: 'receive', from, message }, at(0));
        serverState = r.state;
        emitted(to, r.effects);
      }
    },
  };
}

const completions = (log: readonly Observation[]) =>
  log.flatMap((o) =>
    o.kind === 'complete' ? [`${o.client} ${o.reply}${o.ts === null ? '' : ` ${o.ts}`}`] : [],
  );

describe('end to end, by hand', () => {
  it.each([
    ['seed', seed],
    ['fixed', fixed],
  ] as const)('a put then a get by another client (%s)', (_, knobs) => {
    const run = exchange(knobs, ['c1', 'c2']);
    run.invoke('c1', 1, { kind: 'put', key: 'x', value: 'a' });
    run.deliver();
    run.invoke('c2', 2, { kind: 'get', key: 'x' });
    run.deliver();
    expect(completions(run.log)).toEqual(['c1 PUT_OK 1', 'c2 GET_OK 1']);
    expect(run.server().locks.size).toBe(0);
  });

  it('two clients at once: one gets the lock, the other is told the key is busy', () => {
    const run = exchange(fixed, ['c1', 'c2']);
    run.invoke('c1', 1, { kind: 'put', key: 'x', value: 'a' });
    run.invoke('c2', 2, { kind: 'put', key: 'x', value: 'b' });
    run.deliver();
    expect(completions(run.log)).toEqual(['c2 LOCK_DENIED', 'c1 PUT_OK 1']);
  });

  it('seed: a stray RELEASE_LOCK lets a second client in while c1 holds the lock (A5)', () => {
    const run = exchange(seed, ['c1', 'c2']);
    run.invoke('c1', 1, { kind: 'put', key: 'x', value: 'a' });
    run.deliver(1); // the server grants c1 the lock; LOCK_GRANTED is on its way back
    run.inject('c2', release('c2.0', null)); // a late copy from c2's earlier operation
    run.invoke('c2', 2, { kind: 'put', key: 'x', value: 'b' });
    run.deliver();
    const grants = run.log.flatMap((o) =>
      o.kind === 'note' && o.lock?.event === 'grant' ? [o.lock.holder] : [],
    );
    expect(grants).toEqual(['c1', 'c2']);
    expect(completions(run.log)).toEqual(['c1 PUT_OK 1', 'c2 PUT_OK 2']);
  });

  it('fixed: the same stray RELEASE_LOCK is refused and c2 is denied', () => {
    const run = exchange(fixed, ['c1', 'c2']);
    run.invoke('c1', 1, { kind: 'put', key: 'x', value: 'a' });
    run.deliver(1);
    run.inject('c2', release('c2.0', null)); // a late copy from c2's earlier operation
    run.invoke('c2', 2, { kind: 'put', key: 'x', value: 'b' });
    run.deliver();
    expect(completions(run.log)).toEqual(['c2 LOCK_DENIED', 'c1 PUT_OK 1']);
  });
});

// Behaviours of PROTOCOL.md §2 that no test above watched (found by mutating the handlers: each
// test here fails on a changed line of protocol/lock/ that every other test let through).
describe('pinned by the mutation pass', () => {
  it("the holder's own release of its request reads as a plain release on the timeline", () => {
    // Only a copy of an earlier request's release is told as "late" (see the A5 tests above).
    const s = serverAt(fixed).receive('c1', acquire('c1.1')).receive('c1', release('c1.1', 1));
    expect(records(s.effects)[0]).toMatchObject({
      kind: 'note',
      text: 'c1 releases the lock of x (token 1)',
    });
  });
});
