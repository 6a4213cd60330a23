// The lock store's knobs (PROTOCOL.md §2) and its two presets: `seed`, what the student's code
// did, and `fixed`, what it should do. The last two knobs are not in the write-up's table: the
// seed's blocking gRPC calls had no timeouts and no request ids, and the simulated network needs
// a name for both.

import type { KnobSpecs } from '../knobs.ts';

export interface LockKnobs {
  readonly lockOwnerCheck: 'none' | 'holder';
  readonly lockLease: number;
  readonly fencing: 'none' | 'token';
  readonly requestIds: 'none' | 'dedupe';
  readonly requestTimeout: number;
}

export const LOCK_KNOBS: KnobSpecs<LockKnobs> = {
  lockOwnerCheck: {
    kind: 'enum',
    values: ['none', 'holder'],
    doc: "none: any client's lock lets anyone operate on the key, and anyone can release it; holder: only the request the lock was granted to",
  },
  lockLease: {
    kind: 'int',
    min: 0,
    max: 3_600_000,
    unit: 'ms',
    doc: 'a granted lock expires after this long (the holder must finish first); 0: held until released',
  },
  fencing: {
    kind: 'enum',
    values: ['none', 'token'],
    doc: 'token: every grant carries a rising token and the server refuses an operation or release with an older one',
  },
  requestIds: {
    kind: 'enum',
    values: ['none', 'dedupe'],
    doc: 'none: a retried or duplicated request is a new one; dedupe: the server answers a request it has already done with the same reply, and drops a late copy from an operation its client has finished',
  },
  requestTimeout: {
    kind: 'int',
    min: 0,
    max: 3_600_000,
    unit: 'ms',
    doc: 'a client resends an unanswered request (same request id, next attempt) after this long; 0: never',
  },
};

export const LOCK_PRESETS: Readonly<Record<'seed' | 'fixed', LockKnobs>> = {
  seed: {
    lockOwnerCheck: 'none',
    lockLease: 0,
    fencing: 'none',
    requestIds: 'none',
    requestTimeout: 0,
  },
  fixed: {
    lockOwnerCheck: 'holder',
    // Long enough for a procedure over a few slow messages, short enough that a crashed
    // holder blocks its key for seconds rather than forever (A6).
    lockLease: 5_000,
    fencing: 'token',
    requestIds: 'dedupe',
    requestTimeout: 1_000,
  },
};
