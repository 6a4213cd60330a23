// A client of the replicated store. It remembers, per key, the timestamp of what it has seen and
// sends it with every GET, so that a lagging server refuses rather than going back in time.
// Each operation is recorded for the checkers when the client issues it and when it completes.

import {
  assertNever,
  type Effect,
  type Input,
  type Key,
  type Machine,
  NO_EFFECTS,
  type NodeId,
  type StepResult,
  withEntry,
  withoutEntry,
} from '../core.ts';
import type { ReplicatedKnobs } from './knobs.ts';
import {
  type ClientReply,
  type ClientRequest,
  type Message,
  requestIdOf,
  seqOfRequestId,
} from './messages.ts';

export type ClientOp =
  | { readonly kind: 'put'; readonly key: Key; readonly value: string }
  | { readonly kind: 'get'; readonly key: Key }
  | { readonly kind: 'delete'; readonly key: Key };

export interface ClientConfig {
  readonly id: NodeId;
  /** Every server, in a stable order; retries go to the next one in this list. */
  readonly servers: readonly NodeId[];
  readonly knobs: ReplicatedKnobs;
}

export interface PendingOp {
  readonly opId: number;
  readonly requestId: string;
  readonly op: ClientOp;
  readonly server: NodeId;
  readonly attempt: number;
  /** How many TRY_OTHER_SERVER_OR_LATER answers have been retried so far. */
  readonly retries: number;
  /**
   * Its timers' keys, built once: the simulator looks a key up on every set and cancel, and a
   * string built anew each time must be hashed anew each time.
   */
  readonly timeoutKey: string;
  readonly retryKey: string;
}

export interface ClientState {
  readonly seen: ReadonlyMap<Key, number>;
  readonly nextSeq: number;
  readonly pending: ReadonlyMap<string, PendingOp>;
  /** clientSession=sequential: operations asked for while another was still pending. */
  readonly queue: readonly { readonly opId: number; readonly op: ClientOp; readonly via: NodeId }[];
}

export type ClientTimer =
  | { readonly kind: 'requestTimeout'; readonly requestId: string; readonly attempt: number }
  | { readonly kind: 'retry'; readonly requestId: string };

type Result = StepResult<ClientState, Message, ClientTimer>;
type Fx = Effect<Message, ClientTimer>;

export function initialClientState(): ClientState {
  return { seen: new Map(), nextSeq: 1, pending: new Map(), queue: [] };
}

export function clientMachine(
  config: ClientConfig,
): Machine<ClientState, Message, ClientTimer, ClientOp> {
  return {
    init: initialClientState,
    step: (state, input) => stepClient(config, state, input),
    // A crashed client process forgets its session; it keeps its sequence number so that its
    // request ids stay unique (a real client would get a fresh id).
    recover: (state) => ({ ...initialClientState(), nextSeq: state.nextSeq }),
  };
}

export function stepClient(
  config: ClientConfig,
  state: ClientState,
  input: Input<Message, ClientTimer, ClientOp>,
): Result {
  switch (input.type) {
    case 'invoke':
      if (config.knobs.clientSession === 'sequential' && state.pending.size > 0) {
        return { state: withQueued(state, input), effects: NO_EFFECTS };
      }
      return issue(config, state, input.opId, input.op, input.via);
    case 'receive':
      return onReply(config, state, input.from, input.message);
    case 'timer':
      return onTimer(config, state, input.timer);
    case 'restart':
      return { state, effects: NO_EFFECTS };
    default:
      return assertNever(input, 'client input');
  }
}

function issue(
  config: ClientConfig,
  state: ClientState,
  opId: number,
  op: ClientOp,
  via: NodeId,
): Result {
  const requestId = requestIdOf(config.id, state.nextSeq);
  const pending: PendingOp = {
    opId,
    requestId,
    op,
    server: via,
    attempt: 1,
    retries: 0,
    timeoutKey: `timeout:${requestId}`,
    retryKey: `retry:${requestId}`,
  };
  const next: ClientState = {
    seen: state.seen,
    nextSeq: state.nextSeq + 1,
    pending: withEntry(state.pending, requestId, pending),
    queue: state.queue,
  };
  const invoked: Fx = {
    type: 'record',
    observation: {
      kind: 'invoke',
      opId,
      client: config.id,
      op: op.kind,
      key: op.key,
      value: op.kind === 'put' ? op.value : null,
      requestId,
    },
  };
  const effects: Fx[] = [invoked];
  send(config, next, pending, effects);
  return { state: next, effects };
}

function request(state: ClientState, p: PendingOp): ClientRequest {
  // Plain literals rather than a spread of shared fields: one is built at every send.
  const { requestId, attempt, op } = p;
  const key = op.key;
  switch (op.kind) {
    case 'put':
      return {
        type: 'PUT',
        requestId,
        attempt,
        key,
        value: op.value,
        ackedBelow: ackedBelow(state),
      };
    case 'delete':
      return { type: 'DELETE', requestId, attempt, key, ackedBelow: ackedBelow(state) };
    case 'get':
      return { type: 'GET', requestId, attempt, key, tsClient: state.seen.get(key) ?? null };
    default:
      return assertNever(op, 'client operation');
  }
}

/** The lowest sequence number still waiting for an answer: every one below it has its answer. */
function ackedBelow(state: ClientState): number {
  let low = state.nextSeq;
  for (const id of state.pending.keys()) low = Math.min(low, seqOfRequestId(id));
  return low;
}

/** Appends the request's send (and its timeout) to `effects`, which it returns. */
function send(config: ClientConfig, state: ClientState, p: PendingOp, effects: Fx[] = []): Fx[] {
  effects.push({ type: 'send', to: p.server, message: request(state, p) });
  if (config.knobs.requestTimeout > 0) {
    effects.push({
      type: 'setTimer',
      key: p.timeoutKey,
      afterMs: config.knobs.requestTimeout,
      timer: { kind: 'requestTimeout', requestId: p.requestId, attempt: p.attempt },
    });
  }
  return effects;
}

function nextServer(config: ClientConfig, server: NodeId): NodeId {
  const i = config.servers.indexOf(server);
  return config.servers[(i + 1) % config.servers.length] ?? server;
}

/** Sends the operation again, to the next server, as a new attempt of the same request. */
function resend(config: ClientConfig, state: ClientState, p: PendingOp, retries: number): Result {
  const again: PendingOp = {
    ...p,
    server: nextServer(config, p.server),
    attempt: p.attempt + 1,
    retries,
  };
  const next = withPending(state, withEntry(state.pending, p.requestId, again));
  return { state: next, effects: send(config, next, again) };
}

function expects(op: ClientOp, reply: ClientReply): boolean {
  switch (reply.type) {
    case 'PUT_OK':
      return op.kind === 'put';
    case 'DELETE_OK':
      return op.kind === 'delete';
    case 'GET_OK':
    case 'NULL':
    case 'TRY_OTHER_SERVER_OR_LATER':
      return op.kind === 'get';
    default:
      return assertNever(reply, 'reply');
  }
}

function onReply(config: ClientConfig, state: ClientState, from: NodeId, message: Message): Result {
  if (message.type === 'PUT' || message.type === 'DELETE' || message.type === 'GET')
    return unchanged(state);
  if (message.type === 'REPLICATION' || message.type === 'REPLICATION_OK') return unchanged(state);
  const p = state.pending.get(message.requestId);
  // A late, duplicated or mismatched reply for an operation no longer pending: ignore it.
  if (p === undefined || !expects(p.op, message)) return unchanged(state);
  if (message.type === 'TRY_OTHER_SERVER_OR_LATER') {
    if (message.attempt !== p.attempt) return unchanged(state);
    if (config.knobs.retryOnTryOther === 'other-server' && p.retries < config.knobs.retryLimit) {
      return backOff(config, state, p);
    }
    return complete(config, state, p, from, message.type, null, null);
  }
  const value = message.type === 'PUT_OK' || message.type === 'GET_OK' ? message.value : null;
  const seen = message.ts === null ? state : remember(config, state, message.key, message.ts);
  return complete(config, seen, p, from, message.type, value, message.ts);
}

function backOff(config: ClientConfig, state: ClientState, p: PendingOp): Result {
  const effects: Fx[] = [
    { type: 'cancelTimer', key: p.timeoutKey },
    {
      type: 'setTimer',
      key: p.retryKey,
      afterMs: config.knobs.retryBackoff,
      timer: { kind: 'retry', requestId: p.requestId },
    },
  ];
  // The next attempt's number is taken now, so that a duplicated copy of this refusal (same
  // attempt) is ignored instead of spending the retry budget a second time.
  const waiting: PendingOp = { ...p, attempt: p.attempt + 1, retries: p.retries + 1 };
  return { state: withPending(state, withEntry(state.pending, p.requestId, waiting)), effects };
}

/** The back-off is over: the attempt taken by backOff goes to the next server. */
function retryElsewhere(config: ClientConfig, state: ClientState, p: PendingOp): Result {
  const again: PendingOp = { ...p, server: nextServer(config, p.server) };
  const next = withPending(state, withEntry(state.pending, p.requestId, again));
  return { state: next, effects: send(config, next, again) };
}

function remember(config: ClientConfig, state: ClientState, key: Key, ts: number): ClientState {
  const held = state.seen.get(key);
  const keep = config.knobs.clientTimestamp === 'max' && held !== undefined && held >= ts;
  if (keep) return state;
  return {
    seen: withEntry(state.seen, key, ts),
    nextSeq: state.nextSeq,
    pending: state.pending,
    queue: state.queue,
  };
}

function complete(
  config: ClientConfig,
  state: ClientState,
  p: PendingOp,
  from: NodeId,
  reply: ClientReply['type'],
  value: string | null,
  ts: number | null,
): Result {
  const recorded: Fx = {
    type: 'record',
    observation: {
      kind: 'complete',
      opId: p.opId,
      client: config.id,
      reply,
      server: from,
      value,
      ts,
    },
  };
  const cancelTimeout: Fx = { type: 'cancelTimer', key: p.timeoutKey };
  // Only a request that backed off can have its retry timer armed.
  const effects: Fx[] =
    p.retries === 0
      ? [cancelTimeout, recorded]
      : [cancelTimeout, { type: 'cancelTimer', key: p.retryKey }, recorded];
  const after = withPending(state, withoutEntry(state.pending, p.requestId));
  const queued = after.queue[0];
  if (queued === undefined) return { state: after, effects };
  const issued = issue(
    config,
    { ...after, queue: after.queue.slice(1) },
    queued.opId,
    queued.op,
    queued.via,
  );
  return { state: issued.state, effects: [...effects, ...issued.effects] };
}

function onTimer(config: ClientConfig, state: ClientState, timer: ClientTimer): Result {
  const p = state.pending.get(timer.requestId);
  if (p === undefined) return unchanged(state);
  switch (timer.kind) {
    case 'requestTimeout':
      return timer.attempt === p.attempt ? resend(config, state, p, p.retries) : unchanged(state);
    case 'retry':
      return retryElsewhere(config, state, p);
    default:
      return assertNever(timer, 'client timer');
  }
}

/** The state with `op` queued behind the pending one (slice and push: a spread iterates). */
function withQueued(state: ClientState, op: ClientState['queue'][number]): ClientState {
  const queue = state.queue.slice();
  queue.push(op);
  return { seen: state.seen, nextSeq: state.nextSeq, pending: state.pending, queue };
}

/** The state with another pending map; a literal rather than a spread, as it runs on most steps. */
function withPending(state: ClientState, pending: ReadonlyMap<string, PendingOp>): ClientState {
  return { seen: state.seen, nextSeq: state.nextSeq, pending, queue: state.queue };
}

function unchanged(state: ClientState): Result {
  return { state, effects: NO_EFFECTS };
}
