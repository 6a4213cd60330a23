// The replicated store's wire vocabulary, kept from the write-up so that students recognise it.
// Every request carries a requestId (`c1.3`: client c1's third operation) and the attempt number;
// a reply names the request it answers. A REPLICATION names the leader's write (`w7`).

import type { Key, MessageShapes } from '../core.ts';

export type ClientRequest =
  | {
      readonly type: 'PUT';
      readonly requestId: string;
      readonly attempt: number;
      readonly key: Key;
      readonly value: string;
      /** Every request of this client numbered below this has been answered (see seqOfRequestId in core.ts). */
      readonly ackedBelow: number;
    }
  | {
      readonly type: 'DELETE';
      readonly requestId: string;
      readonly attempt: number;
      readonly key: Key;
      readonly ackedBelow: number;
    }
  | {
      readonly type: 'GET';
      readonly requestId: string;
      readonly attempt: number;
      readonly key: Key;
      /** The last timestamp the client holds for the key; null when it has none. */
      readonly tsClient: number | null;
    };

export type ClientReply =
  | {
      readonly type: 'PUT_OK';
      readonly requestId: string;
      readonly attempt: number;
      readonly key: Key;
      readonly value: string;
      readonly ts: number;
    }
  | {
      readonly type: 'DELETE_OK';
      readonly requestId: string;
      readonly attempt: number;
      readonly key: Key;
      readonly ts: number;
    }
  | {
      readonly type: 'GET_OK';
      readonly requestId: string;
      readonly attempt: number;
      readonly key: Key;
      readonly value: string;
      readonly ts: number;
    }
  | {
      readonly type: 'NULL';
      readonly requestId: string;
      readonly attempt: number;
      readonly key: Key;
      /** The tombstone's ts when the key was deleted; null when the server never heard of it. */
      readonly ts: number | null;
    }
  | {
      readonly type: 'TRY_OTHER_SERVER_OR_LATER';
      readonly requestId: string;
      readonly attempt: number;
      readonly key: Key;
      /** What the server holds for the key (null: nothing), to explain the refusal. */
      readonly serverTs: number | null;
    };

export type ReplicationMessage =
  | {
      readonly type: 'REPLICATION';
      readonly requestId: string;
      readonly key: Key;
      /** null replicates a tombstone (DELETE). */
      readonly value: string | null;
      readonly ts: number;
      readonly origin: string;
    }
  | {
      readonly type: 'REPLICATION_OK';
      readonly requestId: string;
      readonly key: Key;
      readonly ts: number;
    };

export type Message = ClientRequest | ClientReply | ReplicationMessage;
export type MessageType = Message['type'];

/** The vocabulary as data: each message's fields and what they hold (see MessageShapes). */
export const MESSAGE_SHAPES: MessageShapes<Message> = {
  PUT: {
    requestId: 'string',
    attempt: 'number',
    key: 'string',
    value: 'string',
    ackedBelow: 'number',
  },
  DELETE: { requestId: 'string', attempt: 'number', key: 'string', ackedBelow: 'number' },
  GET: { requestId: 'string', attempt: 'number', key: 'string', tsClient: 'number|null' },
  PUT_OK: { requestId: 'string', attempt: 'number', key: 'string', value: 'string', ts: 'number' },
  DELETE_OK: { requestId: 'string', attempt: 'number', key: 'string', ts: 'number' },
  GET_OK: { requestId: 'string', attempt: 'number', key: 'string', value: 'string', ts: 'number' },
  NULL: { requestId: 'string', attempt: 'number', key: 'string', ts: 'number|null' },
  TRY_OTHER_SERVER_OR_LATER: {
    requestId: 'string',
    attempt: 'number',
    key: 'string',
    serverTs: 'number|null',
  },
  REPLICATION: {
    requestId: 'string',
    key: 'string',
    value: 'string|null',
    ts: 'number',
    origin: 'string',
  },
  REPLICATION_OK: { requestId: 'string', key: 'string', ts: 'number' },
};

/** What a client sends (every other message is a server's), each naming it in its request id. */
export const CLIENT_REQUESTS: readonly ClientRequest['type'][] = ['PUT', 'DELETE', 'GET'];
