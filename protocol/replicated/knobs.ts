// The replicated store's knobs (PROTOCOL.md §1) and its two presets: `seed`, what the student's
// code did, and `fixed`, what it should do. The last four knobs are not in the write-up's table;
// they give names to timeouts the simulated network needs (the seed's sockets had none).

import type { KnobSpecs } from '../knobs.ts';

export interface ReplicatedKnobs {
  readonly replicationDelay: number;
  readonly replicationFanout: 'sequential' | 'parallel';
  readonly followerApply: 'overwrite' | 'newer-wins';
  readonly missingKeyReply: 'null-first' | 'ts-first';
  readonly clientSession: 'pipelined' | 'sequential';
  readonly clientTimestamp: 'last' | 'max';
  readonly leaderClock: 'wall' | 'hybrid';
  readonly ackPolicy: 'ignore-failures' | 'all-followers';
  readonly retryOnTryOther: 'none' | 'other-server';
  readonly requestIds: 'none' | 'dedupe';
  readonly durability: 'memory' | 'disk';
  readonly replicationTimeout: number;
  readonly requestTimeout: number;
  readonly retryBackoff: number;
  readonly retryLimit: number;
}

export const REPLICATED_KNOBS: KnobSpecs<ReplicatedKnobs> = {
  replicationDelay: {
    kind: 'int',
    min: 0,
    max: 3_600_000,
    unit: 'ms',
    doc: 'the leader waits this long before sending each REPLICATION',
  },
  replicationFanout: {
    kind: 'enum',
    values: ['sequential', 'parallel'],
    doc: 'sequential: one follower after another, each delayed and acknowledged; parallel: all at once',
  },
  followerApply: {
    kind: 'enum',
    values: ['overwrite', 'newer-wins'],
    doc: 'overwrite: a follower stores whatever REPLICATION arrives; newer-wins: only a newer ts',
  },
  missingKeyReply: {
    kind: 'enum',
    values: ['null-first', 'ts-first'],
    doc: 'null-first: no value means NULL; ts-first: NULL only when the client has no ts',
  },
  clientSession: {
    kind: 'enum',
    values: ['pipelined', 'sequential'],
    doc: 'pipelined: fire requests without waiting; sequential: one request at a time',
  },
  clientTimestamp: {
    kind: 'enum',
    values: ['last', 'max'],
    doc: 'last: remember the ts of the last reply; max: the largest ts seen',
  },
  leaderClock: {
    kind: 'enum',
    values: ['wall', 'hybrid'],
    doc: "wall: the leader's clock reading; hybrid: max(clock, lastIssued + 1)",
  },
  ackPolicy: {
    kind: 'enum',
    values: ['ignore-failures', 'all-followers'],
    doc: 'ignore-failures: PUT_OK even if a REPLICATION went unanswered; all-followers: retransmit until every follower acknowledges',
  },
  retryOnTryOther: {
    kind: 'enum',
    values: ['none', 'other-server'],
    doc: 'none: report TRY_OTHER_SERVER_OR_LATER to the user; other-server: retry elsewhere after a back-off',
  },
  requestIds: {
    kind: 'enum',
    values: ['none', 'dedupe'],
    doc: 'none: a retried or duplicated PUT is a new write; dedupe: the leader remembers (client, seq)',
  },
  durability: {
    kind: 'enum',
    values: ['memory', 'disk'],
    doc: 'memory: a restarted server starts empty; disk: its store survives',
  },
  replicationTimeout: {
    kind: 'int',
    min: 1,
    max: 3_600_000,
    unit: 'ms',
    doc: 'how long the leader waits for a REPLICATION_OK before giving up (ignore-failures) or retransmitting (all-followers)',
  },
  requestTimeout: {
    kind: 'int',
    min: 0,
    max: 3_600_000,
    unit: 'ms',
    doc: 'a client resends an unanswered request (same request id) to the next server after this long; 0: never',
  },
  retryBackoff: {
    kind: 'int',
    min: 0,
    max: 3_600_000,
    unit: 'ms',
    doc: 'the back-off before retrying a GET at another server (retryOnTryOther: other-server)',
  },
  retryLimit: {
    kind: 'int',
    min: 0,
    max: 100,
    unit: 'count',
    doc: 'how many times a GET answered TRY_OTHER_SERVER_OR_LATER is retried before it is reported',
  },
};

export const REPLICATED_PRESETS: Readonly<Record<'seed' | 'fixed', ReplicatedKnobs>> = {
  seed: {
    replicationDelay: 10_000,
    replicationFanout: 'sequential',
    followerApply: 'overwrite',
    missingKeyReply: 'null-first',
    clientSession: 'pipelined',
    clientTimestamp: 'last',
    leaderClock: 'wall',
    ackPolicy: 'ignore-failures',
    retryOnTryOther: 'none',
    requestIds: 'none',
    durability: 'memory',
    replicationTimeout: 1_000,
    requestTimeout: 0,
    retryBackoff: 0,
    retryLimit: 0,
  },
  fixed: {
    replicationDelay: 0,
    replicationFanout: 'parallel',
    followerApply: 'newer-wins',
    missingKeyReply: 'ts-first',
    clientSession: 'sequential',
    clientTimestamp: 'max',
    leaderClock: 'hybrid',
    ackPolicy: 'all-followers',
    retryOnTryOther: 'other-server',
    requestIds: 'dedupe',
    durability: 'disk',
    replicationTimeout: 500,
    requestTimeout: 1_000,
    retryBackoff: 100,
    retryLimit: 3,
  },
};
