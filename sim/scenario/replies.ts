// The replies each store's client can end an operation with: the names a scenario's `expect` may
// use. The lists are tied to the protocols' own message types, so a renamed or added reply fails
// the type check here instead of slipping past the scenario checker.

import type { Outcome as LockOutcome } from '../../protocol/lock/client.ts';
import type { MessageType as LockMessageType } from '../../protocol/lock/messages.ts';
import type {
  ClientReply,
  MessageType as ReplicatedMessageType,
} from '../../protocol/replicated/messages.ts';
import type { Operation } from '../kernel/history.ts';
import type { StoreName } from '../stores/index.ts';

export type ReplicatedReplyName = ClientReply['type'];
export type LockReplyName = LockOutcome['reply'];
export type ReplyName = ReplicatedReplyName | LockReplyName;

const REPLICATED_REPLIES = [
  'PUT_OK',
  'GET_OK',
  'NULL',
  'DELETE_OK',
  'TRY_OTHER_SERVER_OR_LATER',
] as const satisfies readonly ReplicatedReplyName[];

const LOCK_REPLIES = [
  'PUT_OK',
  'GET_OK',
  'NULL',
  'DELETE_OK',
  'LOCK_DENIED',
  'LOCK_NOT_ACQUIRED',
  'STALE_TOKEN',
] as const satisfies readonly LockReplyName[];

/** true when every name of the protocol's type is in the list (and so the list is complete). */
type Covers<Names, List extends readonly string[]> = [Exclude<Names, List[number]>] extends [never]
  ? true
  : false;
type Holds<T extends true> = T;
/** Fails to compile when a protocol gains a reply its list here lacks. */
export type RepliesComplete = [
  Holds<Covers<ReplicatedReplyName, typeof REPLICATED_REPLIES>>,
  Holds<Covers<LockReplyName, typeof LOCK_REPLIES>>,
];

/** Every message type on each store's wire: what a fault aimed at one message may name. */
const REPLICATED_MESSAGES = [
  'PUT',
  'GET',
  'DELETE',
  ...REPLICATED_REPLIES,
  'REPLICATION',
  'REPLICATION_OK',
] as const satisfies readonly ReplicatedMessageType[];

const LOCK_MESSAGES = [
  'ACQUIRE_LOCK',
  'RELEASE_LOCK',
  'PUT',
  'GET',
  'DELETE',
  'LOCK_GRANTED',
  'LOCK_DENIED',
  'RELEASE_OK',
  'PUT_OK',
  'GET_OK',
  'NULL',
  'DELETE_OK',
  'LOCK_NOT_ACQUIRED',
  'STALE_TOKEN',
] as const satisfies readonly LockMessageType[];

/** Fails to compile when a protocol gains a message type its list here lacks. */
export type MessagesComplete = [
  Holds<Covers<ReplicatedMessageType, typeof REPLICATED_MESSAGES>>,
  Holds<Covers<LockMessageType, typeof LOCK_MESSAGES>>,
];

export const MESSAGES: { readonly [S in StoreName]: readonly string[] } = {
  replicated: REPLICATED_MESSAGES,
  lock: LOCK_MESSAGES,
};

export const REPLIES: { readonly [S in StoreName]: readonly ReplyName[] } = {
  replicated: REPLICATED_REPLIES,
  lock: LOCK_REPLIES,
};

type OpKind = Operation['op'];

const LOCK_REFUSALS = ['LOCK_DENIED', 'LOCK_NOT_ACQUIRED', 'STALE_TOKEN'] as const;

/**
 * The replies each kind of operation can end with, by store (the clients' `expects` and
 * `answers`): a GET is never answered PUT_OK, so a scenario that expects it is refused at load.
 */
export const ENDINGS: {
  readonly [S in StoreName]: Readonly<Record<OpKind, readonly ReplyName[]>>;
} = {
  replicated: {
    put: ['PUT_OK'],
    get: ['GET_OK', 'NULL', 'TRY_OTHER_SERVER_OR_LATER'],
    delete: ['DELETE_OK'],
  },
  lock: {
    put: ['PUT_OK', ...LOCK_REFUSALS],
    get: ['GET_OK', 'NULL', ...LOCK_REFUSALS],
    delete: ['DELETE_OK', ...LOCK_REFUSALS],
  },
};

/** The replies that carry a value: a PUT_OK the value written, a GET_OK the value read. */
export function carriesValue(reply: ReplyName): boolean {
  return reply === 'PUT_OK' || reply === 'GET_OK';
}
