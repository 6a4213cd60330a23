// A server of the replicated store: the leader stamps and replicates writes, a follower applies
// REPLICATIONs and forwards writes to the leader; both answer GETs by comparing the client's
// timestamp with their own. Pure: step(state, input, ctx) -> { state, effects }; the state passed
// in is never mutated, and an input that changes nothing returns the same state object.

import {
  assertNever,
  type Effect,
  emptyMap,
  type Input,
  type Key,
  type Machine,
  NO_EFFECTS,
  type NodeId,
  type StepContext,
  type StepResult,
  StringTable,
  withEntry,
} from '../core.ts';
import type { ReplicatedKnobs } from './knobs.ts';
import {
  type ClientReply,
  type ClientRequest,
  clientOfRequestId,
  type Message,
  type ReplicationMessage,
  seqOfRequestId,
} from './messages.ts';

export interface ServerConfig {
  readonly id: NodeId;
  readonly leader: NodeId;
  /** Every follower, in fan-out order (the leader excluded). */
  readonly followers: readonly NodeId[];
  readonly knobs: ReplicatedKnobs;
}

/** One version of a key; `value: null` is a tombstone. `origin` is the client request (c1.3). */
export interface Version {
  readonly value: string | null;
  readonly ts: number;
  readonly origin: string;
}

/** A write the leader has stamped and is replicating. */
export interface Write {
  readonly id: string;
  readonly requestId: string;
  readonly key: Key;
  readonly value: string | null;
  readonly ts: number;
  /** Whom to answer when replication is done (a client, or the follower that forwarded it). */
  readonly replyTo: readonly { readonly node: NodeId; readonly attempt: number }[];
  /** Followers still to acknowledge, in fan-out order; sequential fan-out serves the first. */
  readonly awaiting: readonly NodeId[];
}

export interface ServerState {
  readonly store: ReadonlyMap<Key, Version>;
  /** Leader: the largest ts issued so far (the hybrid clock's floor). */
  readonly lastIssued: number;
  readonly nextWrite: number;
  readonly writes: StringTable<Write>;
  /** Leader, requestIds=dedupe: requests being replicated (requestId -> write id). */
  readonly inFlight: StringTable<string>;
  /**
   * Leader, requestIds=dedupe: per client, the answers it may still ask for again. A client tells,
   * with every write, below which sequence number it has all its answers; older ones are dropped,
   * so this stays as small as the client's pipeline.
   */
  readonly sessions: StringTable<Session>;
  /** Follower: writes forwarded to the leader, requestId -> the client to relay the answer to. */
  readonly forwards: StringTable<NodeId>;
}

export interface Answer {
  readonly key: Key;
  readonly value: string | null;
  readonly ts: number;
}

export interface Session {
  readonly ackedBelow: number;
  readonly answered: ReadonlyMap<number, Answer>;
}

const NO_SESSION: Session = { ackedBelow: 0, answered: emptyMap() };

export type ServerTimer =
  | { readonly kind: 'replicate'; readonly writeId: string; readonly follower: NodeId }
  | { readonly kind: 'replicationTimeout'; readonly writeId: string; readonly follower: NodeId };

type Result = StepResult<ServerState, Message, ServerTimer>;
type Fx = Effect<Message, ServerTimer>;

export function initialServerState(): ServerState {
  return {
    store: new Map(),
    lastIssued: 0,
    nextWrite: 1,
    writes: StringTable.empty(),
    inFlight: StringTable.empty(),
    sessions: StringTable.empty(),
    forwards: StringTable.empty(),
  };
}

export function serverMachine(
  config: ServerConfig,
): Machine<ServerState, Message, ServerTimer, never> {
  return {
    init: initialServerState,
    step: (state, input, ctx) => stepServer(config, state, input, ctx),
    recover: (state) =>
      config.knobs.durability === 'memory'
        ? initialServerState()
        : { ...state, forwards: StringTable.empty() },
  };
}

export function stepServer(
  config: ServerConfig,
  state: ServerState,
  input: Input<Message, ServerTimer, never>,
  ctx: StepContext,
): Result {
  switch (input.type) {
    case 'receive':
      return onReceive(config, state, input.from, input.message, ctx);
    case 'timer':
      return onTimer(config, state, input.timer);
    case 'restart':
      return onRestart(config, state);
    case 'invoke':
      return { state, effects: NO_EFFECTS };
    default:
      return assertNever(input, 'server input');
  }
}

function onReceive(
  config: ServerConfig,
  state: ServerState,
  from: NodeId,
  message: Message,
  ctx: StepContext,
): Result {
  const isLeader = config.id === config.leader;
  switch (message.type) {
    case 'GET':
      return onGet(config, state, from, message);
    case 'PUT':
    case 'DELETE':
      return isLeader
        ? onLeaderWrite(config, state, from, message, ctx)
        : onFollowerWrite(config, state, from, message);
    case 'REPLICATION':
      return isLeader ? unchanged(state) : onReplication(config, state, from, message);
    case 'REPLICATION_OK':
      return isLeader ? onReplicationOk(config, state, from, message) : unchanged(state);
    case 'PUT_OK':
    case 'DELETE_OK':
      return isLeader ? unchanged(state) : onLeaderAnswer(state, message);
    case 'GET_OK':
    case 'NULL':
    case 'TRY_OTHER_SERVER_OR_LATER':
      return unchanged(state);
    default:
      return assertNever(message, 'message');
  }
}

function unchanged(state: ServerState): Result {
  return { state, effects: NO_EFFECTS };
}

// ---- GET: the same rule on every server ------------------------------------------------------

function onGet(
  config: ServerConfig,
  state: ServerState,
  from: NodeId,
  get: Extract<ClientRequest, { type: 'GET' }>,
): Result {
  return {
    state,
    effects: [
      { type: 'send', to: from, message: answerGet(config.knobs, state.store.get(get.key), get) },
    ],
  };
}

/** PROTOCOL.md §1 step 4, with the missingKeyReply knob deciding what "no value" means. */
export function answerGet(
  knobs: ReplicatedKnobs,
  held: Version | undefined,
  get: Extract<ClientRequest, { type: 'GET' }>,
): ClientReply {
  // Plain literals rather than a spread of shared fields: one is built for every GET.
  const { requestId, attempt, key, tsClient } = get;
  if (held === undefined) {
    if (tsClient === null || knobs.missingKeyReply === 'null-first')
      return { type: 'NULL', requestId, attempt, key, ts: null };
    return { type: 'TRY_OTHER_SERVER_OR_LATER', requestId, attempt, key, serverTs: null };
  }
  if (tsClient !== null && held.ts < tsClient) {
    return { type: 'TRY_OTHER_SERVER_OR_LATER', requestId, attempt, key, serverTs: held.ts };
  }
  return held.value === null
    ? { type: 'NULL', requestId, attempt, key, ts: held.ts }
    : { type: 'GET_OK', requestId, attempt, key, value: held.value, ts: held.ts };
}

// ---- Leader ----------------------------------------------------------------------------------

function stamp(knobs: ReplicatedKnobs, state: ServerState, clockMs: number): number {
  return knobs.leaderClock === 'wall' ? clockMs : Math.max(clockMs, state.lastIssued + 1);
}

function onLeaderWrite(
  config: ServerConfig,
  state: ServerState,
  from: NodeId,
  request: Extract<ClientRequest, { type: 'PUT' | 'DELETE' }>,
  ctx: StepContext,
): Result {
  const dedupe = config.knobs.requestIds === 'dedupe';
  // requestIds=dedupe: the client's session, looked up once for both uses below.
  const client = dedupe ? clientOfRequestId(request.requestId) : '';
  const session = dedupe ? (state.sessions.get(client) ?? NO_SESSION) : NO_SESSION;
  if (dedupe) {
    const repeated = onRepeatedWrite(state, from, request, session);
    if (repeated !== null) return repeated;
  }
  const ts = stamp(config.knobs, state, ctx.clockMs);
  const value = request.type === 'PUT' ? request.value : null;
  const write: Write = {
    id: `w${state.nextWrite}`,
    requestId: request.requestId,
    key: request.key,
    value,
    ts,
    replyTo: [{ node: from, attempt: request.attempt }],
    awaiting: config.followers,
  };
  const next: ServerState = {
    store: withEntry(state.store, request.key, { value, ts, origin: request.requestId }),
    lastIssued: Math.max(state.lastIssued, ts),
    nextWrite: state.nextWrite + 1,
    writes: state.writes.with(write.id, write),
    inFlight: dedupe ? state.inFlight.with(request.requestId, write.id) : state.inFlight,
    sessions: dedupe ? withWatermark(state.sessions, client, session, request) : state.sessions,
    forwards: state.forwards,
  };
  const applied: Fx = {
    type: 'record',
    observation: {
      kind: 'apply',
      node: config.id,
      key: request.key,
      value,
      ts,
      origin: request.requestId,
    },
  };
  return startReplication(config, next, write, [applied]);
}

/** requestIds=dedupe: a request the leader has seen before gets its first answer, not a new ts. */
function onRepeatedWrite(
  state: ServerState,
  from: NodeId,
  request: Extract<ClientRequest, { type: 'PUT' | 'DELETE' }>,
  session: Session,
): Result | null {
  const seq = seqOfRequestId(request.requestId);
  // A stale copy of a request whose answer the client already has: nothing to do.
  if (seq < session.ackedBelow) return unchanged(state);
  const answered = session.answered.get(seq);
  if (answered !== undefined) {
    const reply = writeReply(
      request.requestId,
      request.attempt,
      answered.key,
      answered.value,
      answered.ts,
    );
    return { state, effects: [{ type: 'send', to: from, message: reply }] };
  }
  const writeId = state.inFlight.get(request.requestId);
  const write = writeId === undefined ? undefined : state.writes.get(writeId);
  if (write === undefined) return null;
  const replyTo = [...write.replyTo, { node: from, attempt: request.attempt }];
  return { state: withWrite(state, { ...write, replyTo }), effects: NO_EFFECTS };
}

/** Raises the client's low-water mark and forgets the answers below it. */
function withWatermark(
  sessions: StringTable<Session>,
  client: NodeId,
  session: Session,
  request: Extract<ClientRequest, { type: 'PUT' | 'DELETE' }>,
): StringTable<Session> {
  if (request.ackedBelow <= session.ackedBelow) return sessions;
  // A client that waits for each answer has none left above its mark: the empty map serves.
  let answered: Map<number, Answer> | undefined;
  for (const [seq, answer] of session.answered) {
    if (seq < request.ackedBelow) continue;
    answered ??= new Map();
    answered.set(seq, answer);
  }
  return sessions.with(client, {
    ackedBelow: request.ackedBelow,
    answered: answered ?? emptyMap(),
  });
}

/** Files a finished write's answer under its client's session. */
function withAnswer(sessions: StringTable<Session>, write: Write): StringTable<Session> {
  const client = clientOfRequestId(write.requestId);
  const seq = seqOfRequestId(write.requestId);
  const session = sessions.get(client) ?? NO_SESSION;
  if (seq < session.ackedBelow) return sessions;
  const answer: Answer = { key: write.key, value: write.value, ts: write.ts };
  return sessions.with(client, {
    ackedBelow: session.ackedBelow,
    answered: withEntry(session.answered, seq, answer),
  });
}

function withWrite(state: ServerState, write: Write): ServerState {
  return withWrites(state, state.writes.with(write.id, write));
}

// The state with one field replaced. Literals in the state's key order rather than spreads: they
// run on most steps, and a literal is cheaper to build than a spread of seven fields.

function withWrites(state: ServerState, writes: StringTable<Write>): ServerState {
  const { store, lastIssued, nextWrite, inFlight, sessions, forwards } = state;
  return { store, lastIssued, nextWrite, writes, inFlight, sessions, forwards };
}

function withStore(state: ServerState, store: ReadonlyMap<Key, Version>): ServerState {
  const { lastIssued, nextWrite, writes, inFlight, sessions, forwards } = state;
  return { store, lastIssued, nextWrite, writes, inFlight, sessions, forwards };
}

function withForwards(state: ServerState, forwards: StringTable<NodeId>): ServerState {
  const { store, lastIssued, nextWrite, writes, inFlight, sessions } = state;
  return { store, lastIssued, nextWrite, writes, inFlight, sessions, forwards };
}

/** Begins sending a write to the followers it awaits, after `effects`. */
function startReplication(
  config: ServerConfig,
  state: ServerState,
  write: Write,
  effects: Fx[],
): Result {
  if (write.awaiting.length === 0) return finishWrite(config, state, write, effects);
  const targets =
    config.knobs.replicationFanout === 'sequential' ? write.awaiting.slice(0, 1) : write.awaiting;
  for (const follower of targets) scheduleReplication(config, write, follower, effects);
  return { state, effects };
}

/** Appends what starts the write's replication to `follower` to `effects`, which it returns. */
function scheduleReplication(
  config: ServerConfig,
  write: Write,
  follower: NodeId,
  effects: Fx[] = [],
): Fx[] {
  if (config.knobs.replicationDelay === 0) return sendReplication(config, write, follower, effects);
  effects.push({
    type: 'setTimer',
    key: `replicate:${write.id}:${follower}`,
    afterMs: config.knobs.replicationDelay,
    timer: { kind: 'replicate', writeId: write.id, follower },
  });
  return effects;
}

/** Appends a REPLICATION to `follower` and its acknowledgement timeout to `effects`. */
function sendReplication(
  config: ServerConfig,
  write: Write,
  follower: NodeId,
  effects: Fx[] = [],
): Fx[] {
  const message: ReplicationMessage = {
    type: 'REPLICATION',
    requestId: write.id,
    key: write.key,
    value: write.value,
    ts: write.ts,
    origin: write.requestId,
  };
  effects.push(
    { type: 'send', to: follower, message },
    {
      type: 'setTimer',
      key: `ack:${write.id}:${follower}`,
      afterMs: config.knobs.replicationTimeout,
      timer: { kind: 'replicationTimeout', writeId: write.id, follower },
    },
  );
  return effects;
}

function onReplicationOk(
  config: ServerConfig,
  state: ServerState,
  from: NodeId,
  ok: Extract<ReplicationMessage, { type: 'REPLICATION_OK' }>,
): Result {
  const write = state.writes.get(ok.requestId);
  // A late or duplicated acknowledgement, or one for a write a restart forgot: nothing to do.
  if (
    write === undefined ||
    write.ts !== ok.ts ||
    write.key !== ok.key ||
    !write.awaiting.includes(from)
  ) {
    return unchanged(state);
  }
  return stopAwaiting(config, state, write, from, [
    { type: 'cancelTimer', key: `ack:${write.id}:${from}` },
  ]);
}

/**
 * A follower acknowledged, or (ignore-failures) was given up on: move the write along. What that
 * takes is appended to `effects`.
 */
function stopAwaiting(
  config: ServerConfig,
  state: ServerState,
  write: Write,
  follower: NodeId,
  effects: Fx[] = [],
): Result {
  const awaiting = write.awaiting.filter((f) => f !== follower);
  const { id, requestId, key, value, ts, replyTo } = write;
  const next: Write = { id, requestId, key, value, ts, replyTo, awaiting };
  if (awaiting.length === 0) return finishWrite(config, state, next, effects);
  if (config.knobs.replicationFanout === 'sequential' && awaiting[0] !== write.awaiting[0])
    scheduleReplication(config, next, awaiting[0]!, effects);
  return { state: withWrite(state, next), effects };
}

/** Every follower is done with the write: answer whoever asked, after `effects`. */
function finishWrite(
  config: ServerConfig,
  state: ServerState,
  write: Write,
  effects: Fx[] = [],
): Result {
  const dedupe = config.knobs.requestIds === 'dedupe';
  for (const { node, attempt } of write.replyTo) {
    const message = writeReply(write.requestId, attempt, write.key, write.value, write.ts);
    effects.push({ type: 'send', to: node, message });
  }
  const next: ServerState = {
    store: state.store,
    lastIssued: state.lastIssued,
    nextWrite: state.nextWrite,
    writes: state.writes.without(write.id),
    inFlight: dedupe ? state.inFlight.without(write.requestId) : state.inFlight,
    sessions: dedupe ? withAnswer(state.sessions, write) : state.sessions,
    forwards: state.forwards,
  };
  return { state: next, effects };
}

function writeReply(
  requestId: string,
  attempt: number,
  key: Key,
  value: string | null,
  ts: number,
): ClientReply {
  return value === null
    ? { type: 'DELETE_OK', requestId, attempt, key, ts }
    : { type: 'PUT_OK', requestId, attempt, key, value, ts };
}

function onTimer(config: ServerConfig, state: ServerState, timer: ServerTimer): Result {
  const write = state.writes.get(timer.writeId);
  if (write === undefined || !write.awaiting.includes(timer.follower)) return unchanged(state);
  switch (timer.kind) {
    case 'replicate':
      return { state, effects: sendReplication(config, write, timer.follower) };
    case 'replicationTimeout':
      return config.knobs.ackPolicy === 'all-followers'
        ? { state, effects: sendReplication(config, write, timer.follower) }
        : stopAwaiting(config, state, write, timer.follower);
    default:
      return assertNever(timer, 'server timer');
  }
}

/** After a crash with durability=disk the leader still holds its in-flight writes: resume them. */
function onRestart(config: ServerConfig, state: ServerState): Result {
  if (config.id !== config.leader || state.writes.size === 0) return unchanged(state);
  const effects: Fx[] = [];
  for (const write of state.writes.values()) {
    const targets =
      config.knobs.replicationFanout === 'sequential' ? write.awaiting.slice(0, 1) : write.awaiting;
    for (const follower of targets) sendReplication(config, write, follower, effects);
  }
  return { state, effects };
}

// ---- Follower --------------------------------------------------------------------------------

function onReplication(
  config: ServerConfig,
  state: ServerState,
  from: NodeId,
  replication: Extract<ReplicationMessage, { type: 'REPLICATION' }>,
): Result {
  const ack: Fx = {
    type: 'send',
    to: from,
    message: {
      type: 'REPLICATION_OK',
      requestId: replication.requestId,
      key: replication.key,
      ts: replication.ts,
    },
  };
  const held = state.store.get(replication.key);
  const apply =
    config.knobs.followerApply === 'overwrite' || held === undefined || replication.ts > held.ts;
  if (!apply) return { state, effects: [ack] };
  const version: Version = {
    value: replication.value,
    ts: replication.ts,
    origin: replication.origin,
  };
  const { value, ts, origin } = version;
  const applied: Fx = {
    type: 'record',
    observation: { kind: 'apply', node: config.id, key: replication.key, value, ts, origin },
  };
  return {
    state: withStore(state, withEntry(state.store, replication.key, version)),
    effects: [applied, ack],
  };
}

function onFollowerWrite(
  config: ServerConfig,
  state: ServerState,
  from: NodeId,
  request: Extract<ClientRequest, { type: 'PUT' | 'DELETE' }>,
): Result {
  return {
    state: withForwards(state, state.forwards.with(request.requestId, from)),
    effects: [{ type: 'send', to: config.leader, message: request }],
  };
}

function onLeaderAnswer(
  state: ServerState,
  reply: Extract<ClientReply, { type: 'PUT_OK' | 'DELETE_OK' }>,
): Result {
  const client = state.forwards.get(reply.requestId);
  if (client === undefined) return unchanged(state);
  return {
    state: withForwards(state, state.forwards.without(reply.requestId)),
    effects: [{ type: 'send', to: client, message: reply }],
  };
}
