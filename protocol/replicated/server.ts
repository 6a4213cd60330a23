// A server of the replicated store: the leader stamps and replicates writes, a follower applies
// REPLICATIONs and forwards writes to the leader; both answer GETs by comparing the client's
// timestamp with their own. Pure: step(state, input, ctx, out) returns the next state and hands
// its effects to `out`; the state passed in is never mutated, and an input that changes nothing
// returns the same state object.

import {
  assertNever,
  clientOfRequestId,
  type Effects,
  type Input,
  type Key,
  type Machine,
  type MachineParts,
  machineFor,
  type NodeId,
  type StepContext,
  StringTable,
  Subset,
  seqOfRequestId,
} from '../core.ts';
import type { ReplicatedKnobs } from './knobs.ts';
import type { ClientReply, ClientRequest, Message, ReplicationMessage } from './messages.ts';

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
  readonly awaiting: Subset<NodeId>;
}

export interface ServerState {
  readonly store: StringTable<Version>;
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
  /**
   * Follower: per client, the writes forwarded to the leader whose answer it has yet to relay. A
   * client's next write drops those below its `ackedBelow` (answered another way, or lost with
   * the leader), so each list stays as small as the client's pipeline.
   */
  readonly forwards: StringTable<readonly Forward[]>;
}

/** A write a follower forwarded, filed under the client that sent it (the one to relay the answer to). */
interface Forward {
  readonly requestId: string;
  readonly seq: number;
}

/** The answer to a client's write, kept under the write's sequence number (`seq` of c1.`seq`). */
export interface Answer {
  readonly seq: number;
  readonly key: Key;
  readonly value: string | null;
  readonly ts: number;
  /** The session's next answer, in the order they were given; null after the last. */
  readonly next: Answer | null;
}

export interface Session {
  readonly ackedBelow: number;
  /**
   * The first of the answers at or above `ackedBelow`, each linked to the next: one at most for a
   * client that waits for each answer. A chain of answers rather than a map or an array, as one is
   * built at every answer and the last lives until the client's next write: one object an answer.
   */
  readonly answered: Answer | null;
}

const NO_SESSION: Session = { ackedBelow: 0, answered: null };

/** The answer filed under `seq`, if any. */
function answerOf(session: Session, seq: number): Answer | null {
  for (let a = session.answered; a !== null; a = a.next) if (a.seq === seq) return a;
  return null;
}

/** A chain of answers from a list of them, in its order (null for none). */
function chainOf(answers: readonly Answer[]): Answer | null {
  let next: Answer | null = null;
  for (let i = answers.length - 1; i >= 0; i--) next = { ...answers[i]!, next };
  return next;
}

/** A chain's answers, in order. */
function listOf(first: Answer | null): Answer[] {
  const out: Answer[] = [];
  for (let a = first; a !== null; a = a.next) out.push(a);
  return out;
}

export type ServerTimer =
  | { readonly kind: 'replicate'; readonly writeId: string; readonly follower: NodeId }
  | { readonly kind: 'replicationTimeout'; readonly writeId: string; readonly follower: NodeId };

type Out = Effects<Message, ServerTimer>;

export function initialServerState(): ServerState {
  return {
    store: StringTable.empty(),
    lastIssued: 0,
    nextWrite: 1,
    writes: StringTable.empty(),
    inFlight: StringTable.empty(),
    sessions: StringTable.empty(),
    forwards: StringTable.empty(),
  };
}

/** Every server's parts, given its configuration (machineFor). */
const SERVER: MachineParts<ServerConfig, ServerState, Message, ServerTimer, never> = {
  init: initialServerState,
  stepInto: (config, state, input, ctx, out) => stepServer(config, state, input, ctx, out),
  recover: (config, state) =>
    config.knobs.durability === 'memory'
      ? initialServerState()
      : { ...state, forwards: StringTable.empty() },
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
      return onReceive(config, state, input.from, input.message, ctx, out);
    case 'timer':
      return onTimer(config, state, input.timer, out);
    case 'restart':
      return onRestart(config, state, out);
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
  ctx: StepContext,
  out: Out,
): ServerState {
  const isLeader = config.id === config.leader;
  switch (message.type) {
    case 'GET':
      out.send(from, answerGet(config.knobs, state.store.get(message.key), message));
      return state;
    case 'PUT':
    case 'DELETE':
      return isLeader
        ? onLeaderWrite(config, state, from, message, ctx, out)
        : onFollowerWrite(config, state, from, message, out);
    case 'REPLICATION':
      return isLeader ? state : onReplication(config, state, from, message, out);
    case 'REPLICATION_OK':
      return isLeader ? onReplicationOk(config, state, from, message, out) : state;
    case 'PUT_OK':
    case 'DELETE_OK':
      return isLeader ? state : onLeaderAnswer(state, message, out);
    case 'GET_OK':
    case 'NULL':
    case 'TRY_OTHER_SERVER_OR_LATER':
      return state;
    default:
      return assertNever(message, 'message');
  }
}

// ---- GET: the same rule on every server ------------------------------------------------------

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
  out: Out,
): ServerState {
  const dedupe = config.knobs.requestIds === 'dedupe';
  // requestIds=dedupe: the client's session, looked up once for both uses below.
  const client = dedupe ? clientOfRequestId(request.requestId) : '';
  const session = dedupe ? (state.sessions.get(client) ?? NO_SESSION) : NO_SESSION;
  if (dedupe) {
    const repeated = onRepeatedWrite(state, from, request, session, out);
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
    awaiting: Subset.all(config.followers),
  };
  const next: ServerState = {
    store: state.store.with(request.key, { value, ts, origin: request.requestId }),
    lastIssued: Math.max(state.lastIssued, ts),
    nextWrite: state.nextWrite + 1,
    writes: state.writes.with(write.id, write),
    inFlight: dedupe ? state.inFlight.with(request.requestId, write.id) : state.inFlight,
    sessions: dedupe ? withWatermark(state.sessions, client, session, request) : state.sessions,
    forwards: state.forwards,
  };
  out.record({
    kind: 'apply',
    node: config.id,
    key: request.key,
    value,
    ts,
    origin: request.requestId,
  });
  return startReplication(config, next, write, out);
}

/** requestIds=dedupe: a request the leader has seen before gets its first answer, not a new ts. */
function onRepeatedWrite(
  state: ServerState,
  from: NodeId,
  request: Extract<ClientRequest, { type: 'PUT' | 'DELETE' }>,
  session: Session,
  out: Out,
): ServerState | null {
  const seq = seqOfRequestId(request.requestId);
  // A stale copy of a request whose answer the client already has: nothing to do.
  if (seq < session.ackedBelow) return state;
  const answered = answerOf(session, seq);
  if (answered !== null) {
    const { key, value, ts } = answered;
    out.send(from, writeReply(request.requestId, request.attempt, key, value, ts));
    return state;
  }
  const writeId = state.inFlight.get(request.requestId);
  const write = writeId === undefined ? undefined : state.writes.get(writeId);
  if (write === undefined) return null;
  // One answer a node, to its latest attempt (a client takes the answer to any of its attempts):
  // a client resending all through an outage grew the list by one at every resend, and each
  // resend copied it, quadratic in the outage's length; its end answered every resend at once.
  const replyTo = write.replyTo.filter((r) => r.node !== from);
  replyTo.push({ node: from, attempt: request.attempt });
  return withWrite(state, { ...write, replyTo });
}

/** Raises the client's low-water mark and forgets the answers below it. */
function withWatermark(
  sessions: StringTable<Session>,
  client: NodeId,
  session: Session,
  request: Extract<ClientRequest, { type: 'PUT' | 'DELETE' }>,
): StringTable<Session> {
  if (request.ackedBelow <= session.ackedBelow) return sessions;
  const { ackedBelow } = request;
  return sessions.with(client, { ackedBelow, answered: answersFrom(session.answered, ackedBelow) });
}

/** The chain's answers numbered `ackedBelow` or above (the chain itself when none is below). */
function answersFrom(first: Answer | null, ackedBelow: number): Answer | null {
  // A client that waits for each answer has one, below its new mark: none is left.
  if (first !== null && first.next === null) return first.seq < ackedBelow ? null : first;
  for (let a = first; a !== null; a = a.next)
    if (a.seq < ackedBelow) return chainOf(listOf(first).filter((b) => b.seq >= ackedBelow));
  return first;
}

/** Files a finished write's answer under its client's session. */
function withAnswer(sessions: StringTable<Session>, write: Write): StringTable<Session> {
  const client = clientOfRequestId(write.requestId);
  const seq = seqOfRequestId(write.requestId);
  const session = sessions.get(client) ?? NO_SESSION;
  if (seq < session.ackedBelow) return sessions;
  const answer: Answer = { seq, key: write.key, value: write.value, ts: write.ts, next: null };
  // The usual case, the first answer above the mark, needs no copy of the chain. An answer given
  // again under the same number keeps its place, as in a map; a new one goes last.
  if (session.answered === null)
    return sessions.with(client, { ackedBelow: session.ackedBelow, answered: answer });
  const list = listOf(session.answered);
  const i = list.findIndex((a) => a.seq === seq);
  if (i < 0) list.push(answer);
  else list[i] = answer;
  return sessions.with(client, { ackedBelow: session.ackedBelow, answered: chainOf(list) });
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

function withStore(state: ServerState, store: StringTable<Version>): ServerState {
  const { lastIssued, nextWrite, writes, inFlight, sessions, forwards } = state;
  return { store, lastIssued, nextWrite, writes, inFlight, sessions, forwards };
}

function withForwards(state: ServerState, forwards: StringTable<readonly Forward[]>): ServerState {
  const { store, lastIssued, nextWrite, writes, inFlight, sessions } = state;
  return { store, lastIssued, nextWrite, writes, inFlight, sessions, forwards };
}

/** Begins sending a write to the followers it awaits. */
function startReplication(
  config: ServerConfig,
  state: ServerState,
  write: Write,
  out: Out,
): ServerState {
  if (write.awaiting.size === 0) return finishWrite(config, state, write, out);
  for (const follower of targetsOf(config, write))
    scheduleReplication(config, write, follower, out);
  return state;
}

/** The followers a write is sent to now: the first it awaits (sequential fan-out), or all. */
function targetsOf(config: ServerConfig, write: Write): NodeId[] {
  if (config.knobs.replicationFanout !== 'sequential') return write.awaiting.items();
  const first = write.awaiting.first();
  return first === undefined ? [] : [first];
}

/** Starts the write's replication to `follower`: now, or after the replication delay. */
function scheduleReplication(config: ServerConfig, write: Write, follower: NodeId, out: Out) {
  if (config.knobs.replicationDelay === 0) sendReplication(config, write, follower, out);
  else
    out.setTimer(`replicate:${write.id}:${follower}`, config.knobs.replicationDelay, {
      kind: 'replicate',
      writeId: write.id,
      follower,
    });
}

/** Sends a REPLICATION to `follower` and arms its acknowledgement timeout. */
function sendReplication(config: ServerConfig, write: Write, follower: NodeId, out: Out) {
  out.send(follower, {
    type: 'REPLICATION',
    requestId: write.id,
    key: write.key,
    value: write.value,
    ts: write.ts,
    origin: write.requestId,
  });
  out.setTimer(`ack:${write.id}:${follower}`, config.knobs.replicationTimeout, {
    kind: 'replicationTimeout',
    writeId: write.id,
    follower,
  });
}

function onReplicationOk(
  config: ServerConfig,
  state: ServerState,
  from: NodeId,
  ok: Extract<ReplicationMessage, { type: 'REPLICATION_OK' }>,
  out: Out,
): ServerState {
  const write = state.writes.get(ok.requestId);
  // A late or duplicated acknowledgement, or one for a write a restart forgot: nothing to do.
  if (
    write === undefined ||
    write.ts !== ok.ts ||
    write.key !== ok.key ||
    !write.awaiting.has(from)
  ) {
    return state;
  }
  out.cancelTimer(`ack:${write.id}:${from}`);
  return stopAwaiting(config, state, write, from, out);
}

/** A follower acknowledged, or (ignore-failures) was given up on: move the write along. */
function stopAwaiting(
  config: ServerConfig,
  state: ServerState,
  write: Write,
  follower: NodeId,
  out: Out,
): ServerState {
  const awaiting = write.awaiting.without(follower);
  const { id, requestId, key, value, ts, replyTo } = write;
  const next: Write = { id, requestId, key, value, ts, replyTo, awaiting };
  if (awaiting.size === 0) return finishWrite(config, state, next, out);
  const first = awaiting.first()!;
  if (config.knobs.replicationFanout === 'sequential' && first !== write.awaiting.first())
    scheduleReplication(config, next, first, out);
  return withWrite(state, next);
}

/** Every follower is done with the write: answer whoever asked. */
function finishWrite(
  config: ServerConfig,
  state: ServerState,
  write: Write,
  out: Out,
): ServerState {
  const dedupe = config.knobs.requestIds === 'dedupe';
  for (const { node, attempt } of write.replyTo)
    out.send(node, writeReply(write.requestId, attempt, write.key, write.value, write.ts));
  return {
    store: state.store,
    lastIssued: state.lastIssued,
    nextWrite: state.nextWrite,
    writes: state.writes.without(write.id),
    inFlight: dedupe ? state.inFlight.without(write.requestId) : state.inFlight,
    sessions: dedupe ? withAnswer(state.sessions, write) : state.sessions,
    forwards: state.forwards,
  };
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

function onTimer(
  config: ServerConfig,
  state: ServerState,
  timer: ServerTimer,
  out: Out,
): ServerState {
  const write = state.writes.get(timer.writeId);
  if (write === undefined || !write.awaiting.has(timer.follower)) return state;
  switch (timer.kind) {
    case 'replicate':
      sendReplication(config, write, timer.follower, out);
      return state;
    case 'replicationTimeout':
      if (config.knobs.ackPolicy !== 'all-followers')
        return stopAwaiting(config, state, write, timer.follower, out);
      sendReplication(config, write, timer.follower, out);
      return state;
    default:
      return assertNever(timer, 'server timer');
  }
}

/**
 * After a crash with durability=memory the server starts empty (`recover`): it says so, since the
 * versions it held are gone. With durability=disk the leader still holds its in-flight writes:
 * it resumes them.
 */
function onRestart(config: ServerConfig, state: ServerState, out: Out): ServerState {
  if (config.knobs.durability === 'memory') {
    const text = 'restarts with an empty store: durability=memory keeps nothing across a crash';
    out.record({ kind: 'note', node: config.id, text, emptied: true });
  }
  if (config.id !== config.leader) return state;
  for (const write of state.writes.values())
    for (const follower of targetsOf(config, write)) sendReplication(config, write, follower, out);
  return state;
}

// ---- Follower --------------------------------------------------------------------------------

function onReplication(
  config: ServerConfig,
  state: ServerState,
  from: NodeId,
  replication: Extract<ReplicationMessage, { type: 'REPLICATION' }>,
  out: Out,
): ServerState {
  const { requestId, key, value, ts, origin } = replication;
  const held = state.store.get(key);
  const apply = config.knobs.followerApply === 'overwrite' || held === undefined || ts > held.ts;
  if (apply) out.record({ kind: 'apply', node: config.id, key, value, ts, origin });
  out.send(from, { type: 'REPLICATION_OK', requestId, key, ts });
  return apply ? withStore(state, state.store.with(key, { value, ts, origin })) : state;
}

function onFollowerWrite(
  config: ServerConfig,
  state: ServerState,
  from: NodeId,
  request: Extract<ClientRequest, { type: 'PUT' | 'DELETE' }>,
  out: Out,
): ServerState {
  out.send(config.leader, request);
  const { requestId, ackedBelow } = request;
  const kept: Forward[] = [];
  // Filed under the client that sent it, whose request id it is (the live shell checks that).
  // Kept at or above the mark only: a sequence number that is not a number goes too.
  for (const f of state.forwards.get(from) ?? [])
    if (f.seq >= ackedBelow && f.requestId !== requestId) kept.push(f);
  kept.push({ requestId, seq: seqOfRequestId(requestId) });
  return withForwards(state, state.forwards.with(from, kept));
}

function onLeaderAnswer(
  state: ServerState,
  reply: Extract<ClientReply, { type: 'PUT_OK' | 'DELETE_OK' }>,
  out: Out,
): ServerState {
  const client = clientOfRequestId(reply.requestId);
  const list = state.forwards.get(client) ?? [];
  const forward = list.find((f) => f.requestId === reply.requestId);
  if (forward === undefined) return state;
  out.send(client, reply);
  const rest = list.filter((f) => f !== forward);
  const forwards =
    rest.length === 0 ? state.forwards.without(client) : state.forwards.with(client, rest);
  return withForwards(state, forwards);
}
