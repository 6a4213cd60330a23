// The vocabulary every pure state machine in protocol/ shares: inputs arrive as data, effects
// leave as data. Nothing here reads a clock, draws a random number or performs I/O.

export type NodeId = string;
export type Key = string;

/** What the simulator tells a node each time it steps it. `clockMs` is the node's own clock. */
export interface StepContext {
  readonly nowMs: number;
  readonly clockMs: number;
}

/** Something the pure core wants recorded for the checkers (operations and replica changes). */
export type Observation =
  | {
      readonly kind: 'invoke';
      readonly opId: number;
      readonly client: NodeId;
      readonly op: 'put' | 'get' | 'delete';
      readonly key: Key;
      readonly value: string | null;
      readonly requestId: string;
    }
  | {
      readonly kind: 'complete';
      readonly opId: number;
      readonly client: NodeId;
      /** The wire reply that ended the operation, e.g. GET_OK or TRY_OTHER_SERVER_OR_LATER. */
      readonly reply: string;
      readonly server: NodeId;
      readonly value: string | null;
      /** The version the operation wrote or read; null when the reply carries none. */
      readonly ts: number | null;
    }
  | {
      readonly kind: 'apply';
      readonly node: NodeId;
      readonly key: Key;
      readonly value: string | null;
      readonly ts: number;
      /** The client request that created this version (client.seq), when known. */
      readonly origin: string | null;
    }
  | {
      readonly kind: 'note';
      readonly node: NodeId;
      readonly text: string;
      /** Set by the lock server: the change to its lock table that the text tells in words. */
      readonly lock?: LockChange;
    };

/**
 * A grant, release or expiry of a key's lock (the lock store), for the mutual-exclusion checker.
 * It rides on a `note` so that every renderer already shows it as a sentence.
 */
export interface LockChange {
  readonly key: Key;
  readonly event: 'grant' | 'release' | 'expire';
  /** The client the lock was granted to, and the operation (request id) it was granted for. */
  readonly holder: NodeId;
  readonly requestId: string;
  /** The grant's number: it rises with every grant on the server (the fencing token). */
  readonly token: number;
  /** release: the client that freed it (under lockOwnerCheck none, maybe not the holder). */
  readonly by: NodeId | null;
}

export type Effect<M, T> =
  | { readonly type: 'send'; readonly to: NodeId; readonly message: M }
  | {
      readonly type: 'setTimer';
      /** Setting a timer whose key is already armed re-arms it. */
      readonly key: string;
      readonly afterMs: number;
      readonly timer: T;
    }
  | { readonly type: 'cancelTimer'; readonly key: string }
  | { readonly type: 'record'; readonly observation: Observation };

export type Input<M, T, O> =
  | { readonly type: 'receive'; readonly from: NodeId; readonly message: M }
  | { readonly type: 'timer'; readonly timer: T }
  /** A client is asked to perform an operation (the sim assigns the history id). */
  | { readonly type: 'invoke'; readonly opId: number; readonly op: O; readonly via: NodeId }
  /** The node comes back after a crash; `durable` is what survived, already chosen by the machine. */
  | { readonly type: 'restart' };

export interface StepResult<S, M, T> {
  readonly state: S;
  readonly effects: readonly Effect<M, T>[];
}

/**
 * A node's behaviour: its initial state, its step function, and what survives a crash.
 * `recover` receives the state at the moment of the crash and returns the state the node
 * restarts with (before its `restart` input).
 */
export interface Machine<S, M, T, O> {
  init(): S;
  step(state: S, input: Input<M, T, O>, ctx: StepContext): StepResult<S, M, T>;
  recover(state: S): S;
}

export const NO_EFFECTS: readonly never[] = Object.freeze([]);

export function assertNever(value: never, what: string): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(value)}`);
}

// Copy-on-write helpers for the machines' maps. Each returns a new Map and leaves the one passed
// in untouched, with Map's own order: a new key goes last, a present key keeps its place. They
// copy with a for-of loop because `new Map(map)` is about twice as slow on the small maps a step
// copies (Node 20: about 70 against 140 ns for three entries), and most steps copy one or two.

/** A copy of `map` with `key` set to `value`, like `new Map(map).set(key, value)`. */
export function withEntry<K, V>(map: ReadonlyMap<K, V>, key: K, value: V): Map<K, V> {
  return copyMap(map).set(key, value);
}

/** A copy of `map` without `key`, like `new Map(map)` then `delete(key)`. */
export function withoutEntry<K, V>(map: ReadonlyMap<K, V>, key: K): Map<K, V> {
  // Skipped while copying rather than deleted after: a delete may shrink the new table, which
  // allocates it a second time.
  const copy = new Map<K, V>();
  for (const [k, v] of map) if (!sameValueZero(k, key)) copy.set(k, v);
  return copy;
}

/** Map's own key equality: === except that NaN equals NaN. */
function sameValueZero(a: unknown, b: unknown): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

function copyMap<K, V>(map: ReadonlyMap<K, V>): Map<K, V> {
  const copy = new Map<K, V>();
  for (const [k, v] of map) copy.set(k, v);
  return copy;
}
