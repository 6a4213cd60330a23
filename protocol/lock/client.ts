// A client of the lock store, doing each operation as the write-up's client did: acquire the key's
// lock; if granted, do the operation and release the lock; if denied, report that another client
// is accessing the key. Like the write-up's blocking input loop it runs one operation at a time
// (later ones wait their turn), and the history sees an operation end only when its procedure does.

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
} from '../core.ts';
import type { LockKnobs } from './knobs.ts';
import type { ClientRequest, DataReply, Message, Refusal } from './messages.ts';

export type ClientOp =
  | { readonly kind: 'put'; readonly key: Key; readonly value: string }
  | { readonly kind: 'get'; readonly key: Key }
  | { readonly kind: 'delete'; readonly key: Key };

export interface ClientConfig {
  readonly id: NodeId;
  readonly knobs: LockKnobs;
}

/** How the procedure ended, as the history records it. */
export interface Outcome {
  readonly reply: DataReply['type'] | Refusal['type'] | 'LOCK_DENIED';
  readonly server: NodeId;
  readonly value: string | null;
  readonly ts: number | null;
}

interface ProcedureBase {
  readonly opId: number;
  /** Shared by the acquire, the operation and the release: the server knows them as one. */
  readonly requestId: string;
  readonly op: ClientOp;
  readonly server: NodeId;
  /** The attempt of the current phase's request; a timeout resends it as the next attempt. */
  readonly attempt: number;
}

/** The operation in progress, named for what it waits for. */
export type Procedure =
  | (ProcedureBase & { readonly phase: 'acquiring' })
  /** token: from LOCK_GRANTED, sent back with the operation and the release. */
  | (ProcedureBase & { readonly phase: 'operating'; readonly token: number | null })
  /** outcome: the operation's reply, which the history records once the lock is released. */
  | (ProcedureBase & {
      readonly phase: 'releasing';
      readonly token: number | null;
      readonly outcome: Outcome;
    });

export interface ClientState {
  /** The version of the latest value each key was read or written at (for the state view). */
  readonly seen: StringTable<number>;
  readonly nextSeq: number;
  readonly current: Procedure | null;
  /** Operations asked for while another was in progress, in order. */
  readonly queue: Fifo<{ readonly opId: number; readonly op: ClientOp; readonly via: NodeId }>;
}

export type ClientTimer = {
  readonly kind: 'requestTimeout';
  readonly requestId: string;
  readonly phase: Procedure['phase'];
  readonly attempt: number;
};

type Out = Effects<Message, ClientTimer>;

export function initialClientState(): ClientState {
  return { seen: StringTable.empty(), nextSeq: 1, current: null, queue: Fifo.empty() };
}

/** Every client's parts, given its configuration (machineFor). */
const CLIENT: MachineParts<ClientConfig, ClientState, Message, ClientTimer, ClientOp> = {
  init: initialClientState,
  stepInto: (config, state, input, _ctx, out) => stepClient(config, state, input, out),
  // A crashed client forgets its operation, and any lock it held stays held (A6). It keeps
  // its sequence number so that its request ids stay unique.
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
      if (state.current !== null) {
        const queued = { opId: input.opId, op: input.op, via: input.via };
        return { ...state, queue: state.queue.push(queued) };
      }
      return start(config, state, input.opId, input.op, input.via, out);
    case 'receive':
      return onReply(config, state, input.from, input.message, out);
    case 'timer':
      return onTimeout(config, state, input.timer, out);
    case 'restart':
      return state;
    default:
      return assertNever(input, 'client input');
  }
}

function start(
  config: ClientConfig,
  state: ClientState,
  opId: number,
  op: ClientOp,
  via: NodeId,
  out: Out,
): ClientState {
  const requestId = requestIdOf(config.id, state.nextSeq);
  out.record(invocation(config.id, opId, op, requestId));
  const p: Procedure = { opId, requestId, op, server: via, attempt: 1, phase: 'acquiring' };
  return advance(config, { ...state, nextSeq: state.nextSeq + 1 }, p, out);
}

/** Moves the procedure on (or retries it) and sends the request its phase needs. */
function advance(config: ClientConfig, state: ClientState, p: Procedure, out: Out): ClientState {
  out.send(p.server, request(p));
  if (config.knobs.requestTimeout > 0) {
    out.setTimer(timeoutKey(p.requestId), config.knobs.requestTimeout, {
      kind: 'requestTimeout',
      requestId: p.requestId,
      phase: p.phase,
      attempt: p.attempt,
    });
  }
  return { ...state, current: p };
}

function request(p: Procedure): ClientRequest {
  const base = { requestId: p.requestId, attempt: p.attempt, key: p.op.key } as const;
  switch (p.phase) {
    case 'acquiring':
      return { type: 'ACQUIRE_LOCK', ...base };
    case 'operating':
      return operation(p.op, { ...base, token: p.token });
    case 'releasing':
      return { type: 'RELEASE_LOCK', ...base, token: p.token };
    default:
      return assertNever(p, 'procedure');
  }
}

function operation(
  op: ClientOp,
  base: { requestId: string; attempt: number; key: Key; token: number | null },
): ClientRequest {
  switch (op.kind) {
    case 'put':
      return { type: 'PUT', ...base, value: op.value };
    case 'get':
      return { type: 'GET', ...base };
    case 'delete':
      return { type: 'DELETE', ...base };
    default:
      return assertNever(op, 'client operation');
  }
}

function timeoutKey(requestId: string): string {
  return `timeout:${requestId}`;
}

/**
 * Only the reply the current phase waits for moves the procedure; a late, duplicated or
 * mismatched one (an earlier phase's, another operation's) is ignored.
 */
function onReply(
  config: ClientConfig,
  state: ClientState,
  from: NodeId,
  m: Message,
  out: Out,
): ClientState {
  const p = state.current;
  if (p === null || m.requestId !== p.requestId || m.key !== p.op.key) return state;
  switch (m.type) {
    case 'LOCK_GRANTED':
      if (p.phase !== 'acquiring') return state;
      return advance(config, state, { ...p, phase: 'operating', attempt: 1, token: m.token }, out);
    case 'LOCK_DENIED':
      if (p.phase !== 'acquiring') return state;
      return finish(config, state, p, { reply: m.type, server: from, value: null, ts: null }, out);
    case 'PUT_OK':
    case 'GET_OK':
    case 'NULL':
    case 'DELETE_OK': {
      if (p.phase !== 'operating' || !answers(p.op, m)) return state;
      const outcome = outcomeOf(m, from);
      return advance(config, state, { ...p, phase: 'releasing', attempt: 1, outcome }, out);
    }
    case 'LOCK_NOT_ACQUIRED':
    case 'STALE_TOKEN':
      // Refused the operation: the lock is not ours, so there is nothing to release. Refused the
      // release: the lease ran out after the operation was done, which still counts.
      if (p.phase === 'operating') {
        const refused: Outcome = { reply: m.type, server: from, value: null, ts: null };
        return finish(config, state, p, refused, out);
      }
      return p.phase === 'releasing' ? finish(config, state, p, p.outcome, out) : state;
    case 'RELEASE_OK':
      return p.phase === 'releasing' ? finish(config, state, p, p.outcome, out) : state;
    case 'ACQUIRE_LOCK':
    case 'RELEASE_LOCK':
    case 'PUT':
    case 'GET':
    case 'DELETE':
      return state;
    default:
      return assertNever(m, 'message');
  }
}

function answers(op: ClientOp, reply: DataReply): boolean {
  switch (reply.type) {
    case 'PUT_OK':
      return op.kind === 'put';
    case 'GET_OK':
    case 'NULL':
      return op.kind === 'get';
    case 'DELETE_OK':
      return op.kind === 'delete';
    default:
      return assertNever(reply, 'reply');
  }
}

function outcomeOf(reply: DataReply, server: NodeId): Outcome {
  const value = reply.type === 'PUT_OK' || reply.type === 'GET_OK' ? reply.value : null;
  return { reply: reply.type, server, value, ts: reply.ts };
}

/** The procedure is over: record how it ended and start the next operation in the queue. */
function finish(
  config: ClientConfig,
  state: ClientState,
  p: Procedure,
  outcome: Outcome,
  out: Out,
): ClientState {
  const seen = outcome.ts === null ? state.seen : state.seen.with(p.op.key, outcome.ts);
  out.cancelTimer(timeoutKey(p.requestId));
  out.record({ kind: 'complete', opId: p.opId, client: config.id, ...outcome });
  const queued = state.queue.first();
  const after: ClientState = { ...state, seen, current: null, queue: state.queue.rest() };
  if (queued === undefined) return after;
  return start(config, after, queued.opId, queued.op, queued.via, out);
}

function onTimeout(
  config: ClientConfig,
  state: ClientState,
  timer: ClientTimer,
  out: Out,
): ClientState {
  const p = state.current;
  const stale =
    p === null ||
    p.requestId !== timer.requestId ||
    p.phase !== timer.phase ||
    p.attempt !== timer.attempt;
  if (stale) return state;
  return advance(config, state, { ...p, attempt: p.attempt + 1 }, out);
}
