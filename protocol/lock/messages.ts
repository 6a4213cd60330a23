// The lock store's wire vocabulary, kept from the write-up's service (AcquireLock, ReleaseLock,
// Put, Get, Delete) and its replies ("Lock not acquired" becomes LOCK_NOT_ACQUIRED). Every message
// names the client operation it belongs to (`c1.3`) and the attempt; a reply names its request.

import type { Key, MessageShapes } from '../core.ts';

interface Addressed {
  /** The client operation this message belongs to: acquire, operation and release share it. */
  readonly requestId: string;
  readonly attempt: number;
  readonly key: Key;
}

/** What the client holds from LOCK_GRANTED (fencing: token), sent back with each use of the lock. */
interface Fenced extends Addressed {
  readonly token: number | null;
}

export type ClientRequest =
  | (Addressed & { readonly type: 'ACQUIRE_LOCK' })
  | (Fenced & { readonly type: 'RELEASE_LOCK' })
  | (Fenced & { readonly type: 'PUT'; readonly value: string })
  | (Fenced & { readonly type: 'GET' })
  | (Fenced & { readonly type: 'DELETE' });

export type LockReply =
  /** token: the fencing token (fencing: token), null otherwise. */
  | (Addressed & { readonly type: 'LOCK_GRANTED'; readonly token: number | null })
  /** The write-up's "another client is currently accessing the key". */
  | (Addressed & { readonly type: 'LOCK_DENIED' })
  | (Addressed & { readonly type: 'RELEASE_OK' });

export type DataReply =
  | (Addressed & { readonly type: 'PUT_OK'; readonly value: string; readonly ts: number })
  | (Addressed & { readonly type: 'GET_OK'; readonly value: string; readonly ts: number })
  /** No value: ts is the tombstone's version when the key was deleted, null if it never existed. */
  | (Addressed & { readonly type: 'NULL'; readonly ts: number | null })
  | (Addressed & { readonly type: 'DELETE_OK'; readonly ts: number });

export type Refusal =
  /** No lock on the key is held, or (lockOwnerCheck: holder) it is not this request's. */
  | (Addressed & { readonly type: 'LOCK_NOT_ACQUIRED' })
  /** fencing: token — the request's token is older than the key's latest grant. */
  | (Addressed & {
      readonly type: 'STALE_TOKEN';
      readonly token: number | null;
      readonly latest: number;
    });

export type ServerReply = LockReply | DataReply | Refusal;
export type Message = ClientRequest | ServerReply;
export type MessageType = Message['type'];

const ADDRESSED = { requestId: 'string', attempt: 'number', key: 'string' } as const;
const FENCED = { ...ADDRESSED, token: 'number|null' } as const;

/** The vocabulary as data: each message's fields and what they hold (see MessageShapes). */
export const MESSAGE_SHAPES: MessageShapes<Message> = {
  ACQUIRE_LOCK: ADDRESSED,
  RELEASE_LOCK: FENCED,
  PUT: { ...FENCED, value: 'string' },
  GET: FENCED,
  DELETE: FENCED,
  LOCK_GRANTED: { ...ADDRESSED, token: 'number|null' },
  LOCK_DENIED: ADDRESSED,
  RELEASE_OK: ADDRESSED,
  PUT_OK: { ...ADDRESSED, value: 'string', ts: 'number' },
  GET_OK: { ...ADDRESSED, value: 'string', ts: 'number' },
  NULL: { ...ADDRESSED, ts: 'number|null' },
  DELETE_OK: { ...ADDRESSED, ts: 'number' },
  LOCK_NOT_ACQUIRED: ADDRESSED,
  STALE_TOKEN: { ...ADDRESSED, token: 'number|null', latest: 'number' },
};

/** What a client sends (every other message is a server's), each naming it in its request id. */
export const CLIENT_REQUESTS: readonly ClientRequest['type'][] = [
  'ACQUIRE_LOCK',
  'RELEASE_LOCK',
  'PUT',
  'GET',
  'DELETE',
];
