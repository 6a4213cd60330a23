// A client of the replicated store. It remembers, per key, the timestamp of what it has seen and
// sends it with every GET, so that a lagging server refuses rather than going back in time.
// Each operation is recorded for the checkers when the client issues it and when it completes.

import {
  assertNever,
  type Effects,
  Fifo,
  type Input,
  invocation,
  type Key,
  type Machine,
  type MachineParts,
  machineFor,
  type NodeId,
  requestIdOf,
  StringTable,
  seqOfRequestId,
} from '../core.ts';
import type { ReplicatedKnobs } from './knobs.ts';
import type { ClientReply, ClientRequest, Message } from './messages.ts';

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
}

export interface ClientState {
  readonly seen: StringTable<number>;
  readonly nextSeq: number;
  readonly pending: StringTable<PendingOp>;
  /** clientSession=sequential: operations asked for while another was still pending. */
  readonly queue: Fifo<QueuedOp>;
}

export interface QueuedOp {
  readonly opId: number;
  readonly op: ClientOp;
  readonly via: NodeId;
}

export type ClientTimer =
  | { readonly kind: 'requestTimeout'; readonly requestId: string; readonly attempt: number }
  | { readonly kind: 'retry'; readonly requestId: string };

type Out = Effects<Message, ClientTimer>;

export function initialClientState(): ClientState {
  return {
    seen: StringTable.empty(),
    nextSeq: 1,
    pending: StringTable.empty(),
    queue: Fifo.empty(),
  };
}

/** Every client's parts, given its configuration (machineFor). */
const CLIENT: MachineParts<ClientConfig, ClientState, Message, ClientTimer, ClientOp> = {
  init: initialClientState,
  stepInto: (config, state, input, _ctx, out) => stepClient(config, state, input, out),
  // A crashed client process forgets its session; it keeps its sequence number so that its
  // request ids stay unique (a real client would get a fresh id).
  recover: (_config, state) => ({ ...initialClientState(), nextSeq: state.nextSeq }),
};

export function clientMachine(
  config: ClientConfig,
): Machine<ClientState, Message, ClientTimer, ClientOp> {
  return machineFor(config, CLIENT);
}

export function stepClient(
  config: ClientConfig,
  state: ClientState,
  input: Input<Message, ClientTimer, ClientOp>,
  out: Out,
): ClientState {
  switch (input.type) {
    case 'invoke':
      if (config.knobs.clientSession === 'sequential' && state.pending.size > 0)
        return withQueued(state, input);
      return issue(config, state, input.opId, input.op, input.via, out);
    case 'receive':
      return onReply(config, state, input.from, input.message, out);
    case 'timer':
      return onTimer(config, state, input.timer, out);
    case 'restart':
      return state;
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
  out: Out,
): ClientState {
  const requestId = requestIdOf(config.id, state.nextSeq);
  const pending: PendingOp = {
    opId,
    requestId,
    op,
    server: via,
    attempt: 1,
    retries: 0,
  };
  const next: ClientState = {
    seen: state.seen,
    nextSeq: state.nextSeq + 1,
    pending: state.pending.with(requestId, pending),
    queue: state.queue,
  };
  out.record(invocation(config.id, opId, op, requestId));
  send(config, next, pending, out);
  return next;
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

/**
 * A pending request has one timer at a time, armed under its request id: its timeout while a
 * server has it, its back-off after a refusal (the back-off replaces the timeout, and its end
 * arms a new timeout). One key, and a string the request already has, rather than two built anew
 * at every operation.
 */
function timerKey(p: PendingOp): string {
  return p.requestId;
}

/** Sends the request and arms its timeout. */
function send(config: ClientConfig, state: ClientState, p: PendingOp, out: Out): void {
  out.send(p.server, request(state, p));
  if (config.knobs.requestTimeout > 0) {
    out.setTimer(timerKey(p), config.knobs.requestTimeout, {
      kind: 'requestTimeout',
      requestId: p.requestId,
      attempt: p.attempt,
    });
  }
}

function nextServer(config: ClientConfig, server: NodeId): NodeId {
  const i = config.servers.indexOf(server);
  return config.servers[(i + 1) % config.servers.length] ?? server;
}

/** Sends the operation again, to the next server, as a new attempt of the same request. */
function resend(
  config: ClientConfig,
  state: ClientState,
  p: PendingOp,
  retries: number,
  out: Out,
): ClientState {
  const again: PendingOp = {
    ...p,
    server: nextServer(config, p.server),
    attempt: p.attempt + 1,
    retries,
  };
  const next = withPending(state, state.pending.with(p.requestId, again));
  send(config, next, again, out);
  return next;
}

function expects(op: ClientOp, reply: ClientReply): boolean {
  // A reply names the key it answers for: another key's is not this operation's answer (the
  // protocol never sends one; a peer on a real network might).
  if (reply.key !== op.key) return false;
  switch (reply.type) {
    case 'PUT_OK':
      return op.kind === 'put' && reply.value === op.value;
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

function onReply(
  config: ClientConfig,
  state: ClientState,
  from: NodeId,
  message: Message,
  out: Out,
): ClientState {
  if (message.type === 'PUT' || message.type === 'DELETE' || message.type === 'GET') return state;
  if (message.type === 'REPLICATION' || message.type === 'REPLICATION_OK') return state;
  const p = state.pending.get(message.requestId);
  // A late, duplicated or mismatched reply for an operation no longer pending: ignore it.
  if (p === undefined || !expects(p.op, message)) return state;
  if (message.type === 'TRY_OTHER_SERVER_OR_LATER') {
    if (message.attempt !== p.attempt) return state;
    if (config.knobs.retryOnTryOther === 'other-server' && p.retries < config.knobs.retryLimit) {
      return backOff(config, state, p, out);
    }
    return complete(config, state, state.seen, p, from, message.type, null, null, out);
  }
  const value = message.type === 'PUT_OK' || message.type === 'GET_OK' ? message.value : null;
  const seen =
    message.ts === null ? state.seen : remember(config, state.seen, message.key, message.ts);
  return complete(config, state, seen, p, from, message.type, value, message.ts, out);
}

function backOff(config: ClientConfig, state: ClientState, p: PendingOp, out: Out): ClientState {
  // Armed under the timeout's key, the back-off replaces it.
  out.setTimer(timerKey(p), config.knobs.retryBackoff, { kind: 'retry', requestId: p.requestId });
  // The next attempt's number is taken now, so that a duplicated copy of this refusal (same
  // attempt) is ignored instead of spending the retry budget a second time.
  const waiting: PendingOp = { ...p, attempt: p.attempt + 1, retries: p.retries + 1 };
  return withPending(state, state.pending.with(p.requestId, waiting));
}

/** The back-off is over: the attempt taken by backOff goes to the next server. */
function retryElsewhere(
  config: ClientConfig,
  state: ClientState,
  p: PendingOp,
  out: Out,
): ClientState {
  const again: PendingOp = { ...p, server: nextServer(config, p.server) };
  const next = withPending(state, state.pending.with(p.requestId, again));
  send(config, next, again, out);
  return next;
}

/** What the client has seen once an answer carrying `ts` for `key` has come. */
function remember(
  config: ClientConfig,
  seen: StringTable<number>,
  key: Key,
  ts: number,
): StringTable<number> {
  const held = seen.get(key);
  const keep = config.knobs.clientTimestamp === 'max' && held !== undefined && held >= ts;
  return keep ? seen : seen.with(key, ts);
}

/**
 * The operation is answered: `seen` is what the client has seen now. The state after it is built
 * once, not once for what was seen and again for the request gone: with thousands of clients it
 * lives until the client's next operation, long enough to be copied by the collector.
 */
function complete(
  config: ClientConfig,
  state: ClientState,
  seen: StringTable<number>,
  p: PendingOp,
  from: NodeId,
  reply: ClientReply['type'],
  value: string | null,
  ts: number | null,
  out: Out,
): ClientState {
  out.cancelTimer(timerKey(p));
  out.record({ kind: 'complete', opId: p.opId, client: config.id, reply, server: from, value, ts });
  const pending = state.pending.without(p.requestId);
  const after: ClientState = { seen, nextSeq: state.nextSeq, pending, queue: state.queue };
  const queued = after.queue.first();
  if (queued === undefined) return after;
  const rest = { ...after, queue: after.queue.rest() };
  return issue(config, rest, queued.opId, queued.op, queued.via, out);
}

function onTimer(
  config: ClientConfig,
  state: ClientState,
  timer: ClientTimer,
  out: Out,
): ClientState {
  const p = state.pending.get(timer.requestId);
  if (p === undefined) return state;
  switch (timer.kind) {
    case 'requestTimeout':
      return timer.attempt === p.attempt ? resend(config, state, p, p.retries, out) : state;
    case 'retry':
      return retryElsewhere(config, state, p, out);
    default:
      return assertNever(timer, 'client timer');
  }
}

/** The state with `op` queued behind the pending one. */
function withQueued(state: ClientState, op: QueuedOp): ClientState {
  const { seen, nextSeq, pending } = state;
  return { seen, nextSeq, pending, queue: state.queue.push(op) };
}

/** The state with another pending map; a literal rather than a spread, as it runs on most steps. */
function withPending(state: ClientState, pending: StringTable<PendingOp>): ClientState {
  return { seen: state.seen, nextSeq: state.nextSeq, pending, queue: state.queue };
}
