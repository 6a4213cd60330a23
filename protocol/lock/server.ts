// The lock store's one server (PROTOCOL.md §2): it holds the store and one lock per key, grants a
// free lock, and does PUT/GET/DELETE only while a lock on the key is held; the knobs decide whose
// lock counts, whether it expires, and whether a stale holder is fenced off. Pure: the state passed
// in is never mutated, and an input that changes nothing returns the same state object.

import {
  assertNever,
  type Effects,
  type Input,
  issuedBefore,
  type Key,
  type LockChange,
  type Machine,
  type MachineParts,
  machineFor,
  type NodeId,
  type StepContext,
  StringTable,
  seqOfRequestId,
} from '../core.ts';
import type { LockKnobs } from './knobs.ts';
import type { ClientRequest, Message, Refusal, ServerReply } from './messages.ts';

export interface ServerConfig {
  readonly id: NodeId;
  readonly knobs: LockKnobs;
}

/** One version of a key; `value: null` is a tombstone. `origin` is the client request (c1.3). */
export interface Version {
  readonly value: string | null;
  readonly ts: number;
  readonly origin: string;
}

export interface Lock {
  /** The client it was granted to, and the operation (request id) it was granted for. */
  readonly holder: NodeId;
  readonly requestId: string;
  readonly token: number;
  /** When the lease ends (virtual ms); null: held until released (lockLease 0). */
  readonly expiresAt: number | null;
}

export interface ServerState {
  readonly store: StringTable<Version>;
  readonly locks: ReadonlyMap<Key, Lock>;
  /** The last version issued; every store change takes the next one (the checkers compare them). */
  readonly version: number;
  /** The last grant's number. Grants are numbered without fencing too, so the checker can tell
   * them apart; only fencing puts the number on the wire. */
  readonly lastToken: number;
  /** requestIds=dedupe: each client's latest operation and the replies it has had, by client. */
  readonly sessions: StringTable<Session>;
}

/**
 * A client runs one operation at a time, so once its operation `seq` has reached the server every
 * earlier one is over: their replies can go, and a late copy of their requests has no one waiting.
 */
interface Session {
  readonly seq: number;
  /** The replies to this operation's requests (acquire, use, release: one of each type at most). */
  readonly replies: readonly {
    readonly type: ClientRequest['type'];
    readonly reply: ServerReply;
  }[];
}

export type ServerTimer = {
  readonly kind: 'leaseExpiry';
  readonly key: Key;
  readonly token: number;
};

type Out = Effects<Message, ServerTimer>;
/** What a request handler decided (what to record or schedule went to the sink): the new state and the reply. */
type Handled = {
  readonly state: ServerState;
  readonly reply: ServerReply;
};

export function initialServerState(): ServerState {
  return {
    store: StringTable.empty(),
    locks: new Map(),
    version: 0,
    lastToken: 0,
    sessions: StringTable.empty(),
  };
}

/** Every server's parts, given its configuration (machineFor). */
const SERVER: MachineParts<ServerConfig, ServerState, Message, ServerTimer, never> = {
  init: initialServerState,
  stepInto: (config, state, input, ctx, out) => stepServer(config, state, input, ctx, out),
  // PROTOCOL.md §2 has no durability knob: the store and the lock table survive a crash, and
  // onRestart re-arms the leases whose timers the crash took away.
  recover: (_config, state) => state,
};

export function serverMachine(
  config: ServerConfig,
): Machine<ServerState, Message, ServerTimer, never> {
  return machineFor(config, SERVER);
}

export function stepServer(
  config: ServerConfig,
  state: ServerState,
  input: Input<Message, ServerTimer, never>,
  ctx: StepContext,
  out: Out,
): ServerState {
  switch (input.type) {
    case 'receive':
      return onReceive(config, state, input.from, input.message, ctx.nowMs, out);
    case 'timer':
      return onLeaseExpiry(config, state, input.timer, out);
    case 'restart':
      return onRestart(config, state, ctx.nowMs, out);
    case 'invoke':
      return state;
    default:
      return assertNever(input, 'server input');
  }
}

function onReceive(
  config: ServerConfig,
  state: ServerState,
  from: NodeId,
  message: Message,
  nowMs: number,
  out: Out,
): ServerState {
  switch (message.type) {
    case 'ACQUIRE_LOCK':
    case 'RELEASE_LOCK':
    case 'PUT':
    case 'GET':
    case 'DELETE':
      return onRequest(config, state, from, message, nowMs, out);
    case 'LOCK_GRANTED':
    case 'LOCK_DENIED':
    case 'RELEASE_OK':
    case 'PUT_OK':
    case 'GET_OK':
    case 'NULL':
    case 'DELETE_OK':
    case 'LOCK_NOT_ACQUIRED':
    case 'STALE_TOKEN':
      return state;
    default:
      return assertNever(message, 'message');
  }
}

/**
 * Every request goes through here. With dedupe, a request already done is answered as before and
 * a copy from an operation its client has finished is dropped; an expired lease is ended before
 * the request looks at the lock, and the reply is remembered until the client's next operation.
 */
function onRequest(
  config: ServerConfig,
  state: ServerState,
  from: NodeId,
  request: ClientRequest,
  nowMs: number,
  out: Out,
): ServerState {
  // Does the request (an expired lease ended first) and sends the reply.
  const answer = (): Handled => {
    const due = expireDue(config, state, request.key, nowMs, out);
    const handled = handle(config, due, from, request, nowMs, out);
    out.send(from, handled.reply);
    return handled;
  };
  if (config.knobs.requestIds === 'none') return answer().state;
  // Filed under the client that sent it, whose request id it is (the live shell checks that).
  const seq = seqOfRequestId(request.requestId);
  const session = state.sessions.get(from);
  if (session !== undefined && seq < session.seq) return state;
  const replies = session !== undefined && seq === session.seq ? session.replies : [];
  const done = replies.find((r) => r.type === request.type);
  if (done !== undefined) {
    out.send(from, { ...done.reply, attempt: request.attempt });
    return state;
  }
  const handled = answer();
  const next: Session = {
    seq,
    replies: [...replies, { type: request.type, reply: handled.reply }],
  };
  return { ...handled.state, sessions: handled.state.sessions.with(from, next) };
}

function handle(
  config: ServerConfig,
  state: ServerState,
  from: NodeId,
  request: ClientRequest,
  nowMs: number,
  out: Out,
): Handled {
  switch (request.type) {
    case 'ACQUIRE_LOCK':
      return onAcquire(config, state, from, request, nowMs, out);
    case 'RELEASE_LOCK':
      return onRelease(config, state, from, request, out);
    case 'PUT':
    case 'DELETE':
      return onWrite(config, state, from, request, out);
    case 'GET':
      return onGet(config, state, from, request);
    default:
      return assertNever(request, 'request');
  }
}

function addressed(request: ClientRequest) {
  return { requestId: request.requestId, attempt: request.attempt, key: request.key } as const;
}

// ---- The lock table --------------------------------------------------------------------------

/** The write-up's AcquireLock: a free lock is granted, a held one denied, whoever holds it. */
function onAcquire(
  config: ServerConfig,
  state: ServerState,
  from: NodeId,
  request: Extract<ClientRequest, { type: 'ACQUIRE_LOCK' }>,
  nowMs: number,
  out: Out,
): Handled {
  const base = addressed(request);
  if (state.locks.has(request.key)) return { state, reply: { type: 'LOCK_DENIED', ...base } };
  const leaseMs = config.knobs.lockLease;
  const lock: Lock = {
    holder: from,
    requestId: request.requestId,
    token: state.lastToken + 1,
    expiresAt: leaseMs > 0 ? nowMs + leaseMs : null,
  };
  recordLock(config, lockChange(request.key, lock, 'grant', null), out);
  if (leaseMs > 0) armLease(request.key, lock.token, leaseMs, out);
  const fenced = config.knobs.fencing === 'token';
  return {
    state: { ...state, locks: new Map(state.locks).set(request.key, lock), lastToken: lock.token },
    reply: { type: 'LOCK_GRANTED', ...base, token: fenced ? lock.token : null },
  };
}

/** The write-up's ReleaseLock frees the key's lock whoever asks; lockOwnerCheck and fencing limit that. */
function onRelease(
  config: ServerConfig,
  state: ServerState,
  from: NodeId,
  request: Extract<ClientRequest, { type: 'RELEASE_LOCK' }>,
  out: Out,
): Handled {
  const ok = { type: 'RELEASE_OK', ...addressed(request) } as const;
  const lock = state.locks.get(request.key);
  if (lock === undefined) {
    // The seed's ReleaseLock answers the same whether or not there was a lock to free. It frees
    // nothing then (a stranger's release freed it first: A5), but its sender stops holding the
    // lock here, as it would have with its own release: recorded with token 0, no grant's.
    if (config.knobs.lockOwnerCheck !== 'none') return { state, reply: notAcquired(request) };
    const by = { node: from, requestId: request.requestId };
    const free: Lock = { holder: from, requestId: request.requestId, token: 0, expiresAt: null };
    recordLock(config, lockChange(request.key, free, 'release', by), out);
    return { state, reply: ok };
  }
  const refused = refusal(config, lock, from, request);
  if (refused !== null) return { state, reply: refused };
  const by = { node: from, requestId: request.requestId };
  return { state: freeLock(config, state, request.key, lock, 'release', by, out), reply: ok };
}

/**
 * Why this request may not use the key's lock, or null when it may. With no lock held nobody may
 * (the seed's rule); the knobs add that it must be the holder's request and carry the latest token.
 */
function refusal(
  config: ServerConfig,
  lock: Lock | undefined,
  from: NodeId,
  request: Extract<ClientRequest, { token: number | null }>,
): Refusal | null {
  if (lock === undefined) return notAcquired(request);
  const isHolder = lock.holder === from && lock.requestId === request.requestId;
  if (config.knobs.lockOwnerCheck === 'holder' && !isHolder) return notAcquired(request);
  if (config.knobs.fencing === 'token' && (request.token === null || request.token < lock.token)) {
    return { type: 'STALE_TOKEN', ...addressed(request), token: request.token, latest: lock.token };
  }
  return null;
}

function notAcquired(request: ClientRequest): Refusal {
  return { type: 'LOCK_NOT_ACQUIRED', ...addressed(request) };
}

function freeLock(
  config: ServerConfig,
  state: ServerState,
  key: Key,
  lock: Lock,
  event: 'release' | 'expire',
  by: { readonly node: NodeId; readonly requestId: string } | null,
  out: Out,
): ServerState {
  const locks = new Map(state.locks);
  locks.delete(key);
  recordLock(config, lockChange(key, lock, event, by), out);
  if (lock.expiresAt !== null) out.cancelTimer(leaseTimerKey(key));
  return { ...state, locks };
}

/** A lease that has run out ends before anything looks at the lock, even if its timer is still queued. */
function expireDue(
  config: ServerConfig,
  state: ServerState,
  key: Key,
  nowMs: number,
  out: Out,
): ServerState {
  const lock = state.locks.get(key);
  if (lock === undefined || lock.expiresAt === null || nowMs < lock.expiresAt) return state;
  return freeLock(config, state, key, lock, 'expire', null, out);
}

function onLeaseExpiry(
  config: ServerConfig,
  state: ServerState,
  timer: ServerTimer,
  out: Out,
): ServerState {
  const lock = state.locks.get(timer.key);
  // The lock was released, or released and granted again, before this lease ran out.
  if (lock === undefined || lock.token !== timer.token) return state;
  return freeLock(config, state, timer.key, lock, 'expire', null, out);
}

/** A crash cancelled the lease timers: end the leases that ran out meanwhile, re-arm the others. */
function onRestart(config: ServerConfig, state: ServerState, nowMs: number, out: Out): ServerState {
  let next = state;
  for (const [key, lock] of state.locks) {
    if (lock.expiresAt === null) continue;
    if (lock.expiresAt <= nowMs) next = freeLock(config, next, key, lock, 'expire', null, out);
    else armLease(key, lock.token, lock.expiresAt - nowMs, out);
  }
  return next;
}

function leaseTimerKey(key: Key): string {
  return `lease:${key}`;
}

function armLease(key: Key, token: number, afterMs: number, out: Out): void {
  out.setTimer(leaseTimerKey(key), afterMs, { kind: 'leaseExpiry', key, token });
}

function lockChange(
  key: Key,
  lock: Lock,
  event: LockChange['event'],
  release: { readonly node: NodeId; readonly requestId: string } | null,
): LockChange {
  const { holder, requestId, token, expiresAt } = lock;
  const by = release?.node ?? null;
  return {
    key,
    event,
    holder,
    requestId,
    token,
    by,
    byRequest: release?.requestId ?? null,
    expiresAt,
  };
}

function recordLock(config: ServerConfig, change: LockChange, out: Out): void {
  const text = describeLockChange(change, config.knobs.fencing === 'token');
  out.record({ kind: 'note', node: config.id, text, lock: change });
}

/**
 * A lock change in words. `fenced`: the grant's number is a token that goes on the wire, and is
 * named; under fencing=none the server still numbers its grants, but no client ever sees it.
 */
export function describeLockChange(c: LockChange, fenced = true): string {
  const token = fenced ? ` (token ${c.token})` : '';
  switch (c.event) {
    case 'grant':
      return `grants the lock of ${c.key} to ${c.holder} for ${c.requestId}${token}`;
    case 'release':
      if (c.token === 0) return `${c.by} releases the lock of ${c.key}, which is free already`;
      if (c.by !== c.holder) return `${c.by} releases ${c.holder}'s lock of ${c.key}${token}`;
      // A late copy of the holder's release of an earlier request frees its newer lock; or its
      // release frees a lock granted to a late copy of an earlier request's ACQUIRE_LOCK.
      if (c.byRequest != null && c.byRequest !== c.requestId)
        return `${c.by}'s ${issuedBefore(c.byRequest, c.requestId) ? 'late ' : ''}release for ${c.byRequest} frees its lock of ${c.key} for ${c.requestId}${token}`;
      return `${c.holder} releases the lock of ${c.key}${token}`;
    case 'expire':
      return `${c.holder}'s lease on the lock of ${c.key} runs out${token}`;
    default:
      return assertNever(c.event, 'lock event');
  }
}

// ---- The store -------------------------------------------------------------------------------

/** The write-up's Put and Del: done only under the lock; every change is a new version. */
function onWrite(
  config: ServerConfig,
  state: ServerState,
  from: NodeId,
  request: Extract<ClientRequest, { type: 'PUT' | 'DELETE' }>,
  out: Out,
): Handled {
  const refused = refusal(config, state.locks.get(request.key), from, request);
  if (refused !== null) return { state, reply: refused };
  const ts = state.version + 1;
  const value = request.type === 'PUT' ? request.value : null;
  const version: Version = { value, ts, origin: request.requestId };
  out.record({ kind: 'apply', node: config.id, key: request.key, ...version });
  const base = addressed(request);
  return {
    state: { ...state, store: state.store.with(request.key, version), version: ts },
    reply:
      request.type === 'PUT'
        ? { type: 'PUT_OK', ...base, value: request.value, ts }
        : { type: 'DELETE_OK', ...base, ts },
  };
}

function onGet(
  config: ServerConfig,
  state: ServerState,
  from: NodeId,
  request: Extract<ClientRequest, { type: 'GET' }>,
): Handled {
  const refused = refusal(config, state.locks.get(request.key), from, request);
  if (refused !== null) return { state, reply: refused };
  const held = state.store.get(request.key);
  const base = addressed(request);
  const reply: ServerReply =
    held === undefined
      ? { type: 'NULL', ...base, ts: null }
      : held.value === null
        ? { type: 'NULL', ...base, ts: held.ts }
        : { type: 'GET_OK', ...base, value: held.value, ts: held.ts };
  return { state, reply };
}
