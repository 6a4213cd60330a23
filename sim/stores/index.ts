// The stores a scenario can run, behind one interface: their knobs and presets, their nodes, the
// checkers that judge them and how to read their replicas. Everything above this file (scenarios,
// the command line, the explorer) is the same for every store.

import type { FieldKind, NodeId } from '../../protocol/core.ts';
import {
  type KnobSpecs,
  type KnobValue,
  type Parsed,
  parseKnob,
  resolveKnobs,
} from '../../protocol/knobs.ts';
import {
  CLIENT_REQUESTS as LOCK_REQUESTS,
  MESSAGE_SHAPES as LOCK_SHAPES,
  type ClientState as LockClientState,
  type ServerState as LockServerState,
} from '../../protocol/lock/index.ts';
import {
  CLIENT_REQUESTS as REPLICATED_REQUESTS,
  MESSAGE_SHAPES as REPLICATED_SHAPES,
  type ReplicatedKnobs,
} from '../../protocol/replicated/index.ts';
import {
  type Checker,
  type LivenessBound,
  LOCK_CHECKERS,
  REPLICATED_CHECKERS,
  type ReplicaState,
} from '../check/index.ts';
import type { Apply, Operation } from '../kernel/history.ts';
import type { NetworkConfig } from '../kernel/network.ts';
import type { NodeSpec } from '../kernel/simulation.ts';
import type { WireMessage } from '../kernel/trace.ts';
import { formatTime } from '../render/format.ts';
import { nearest } from '../scenario/errors.ts';
import { finalStores } from './common.ts';
import { lockLivenessBound, lockNodes, lockStore } from './lock.ts';
import {
  explainPendingReplicated,
  replicatedLivenessBound,
  replicatedNodes,
  replicatedStore,
  type Topology,
} from './replicated.ts';

export type StoreName = 'replicated' | 'lock';
export type Knobs = Readonly<Record<string, KnobValue>>;
type FinalStates = ReadonlyMap<NodeId, { readonly state: unknown; readonly up: boolean }>;

export interface StoreAdapter {
  readonly name: StoreName;
  readonly knobSpecs: KnobSpecs<Knobs>;
  readonly presets: Readonly<Record<string, Knobs>>;
  /** How many servers a scenario gets when it names none. */
  readonly defaultServers: number;
  /** Its wire vocabulary: each message type's fields and what they hold (MessageShapes). */
  readonly messageShapes: Readonly<Record<string, Readonly<Record<string, FieldKind>>>>;
  /** The messages a client sends, each naming it in its request id (`c1.3`); servers send the rest. */
  readonly clientRequests: readonly string[];
  /** A sentence when the topology does not suit this store. */
  topologyError(topology: Topology): string | null;
  nodes(topology: Topology, knobs: Knobs): NodeSpec<WireMessage>[];
  readonly checkers: readonly Checker[];
  replicas(finalStates: FinalStates, topology: Topology): Map<NodeId, ReplicaState>;
  /** What a pending operation waits for, from the final states and the history's applies. */
  explainPending(
    finalStates: FinalStates,
    topology: Topology,
    op: Operation,
    knobs: Knobs,
    applies: readonly Apply[],
  ): string;
  /**
   * The worst case the knobs allow for one operation once faults end (PROTOCOL.md §3), with the
   * servers `down` at the end (crashed and not restarted) that a request may be sent to in vain.
   */
  livenessBound(
    knobs: Knobs,
    topology: Topology,
    network: NetworkConfig,
    down?: readonly NodeId[],
  ): LivenessBound;
}

const REPLICATED: StoreAdapter = {
  name: 'replicated',
  knobSpecs: replicatedStore.knobSpecs as KnobSpecs<Knobs>,
  presets: replicatedStore.presets as unknown as StoreAdapter['presets'],
  defaultServers: 3,
  messageShapes: REPLICATED_SHAPES,
  clientRequests: REPLICATED_REQUESTS,
  topologyError: () => null,
  nodes: (topology, knobs) =>
    replicatedNodes(topology, knobs as unknown as ReplicatedKnobs) as NodeSpec<WireMessage>[],
  checkers: REPLICATED_CHECKERS,
  replicas: (finalStates, topology) => finalStores(finalStates, topology.servers),
  explainPending: (finalStates, topology, op, knobs, applies) =>
    explainPendingReplicated(
      finalStates,
      topology,
      op,
      knobs as unknown as ReplicatedKnobs,
      applies,
    ),
  livenessBound: (knobs, topology, network, down) =>
    replicatedLivenessBound(knobs as unknown as ReplicatedKnobs, topology, network, down),
};

const LOCK: StoreAdapter = {
  name: 'lock',
  knobSpecs: lockStore.knobSpecs as KnobSpecs<Knobs>,
  presets: lockStore.presets as unknown as StoreAdapter['presets'],
  defaultServers: 1,
  messageShapes: LOCK_SHAPES,
  clientRequests: LOCK_REQUESTS,
  topologyError: (t) =>
    t.servers.length === 1
      ? null
      : `the lock store has exactly one server (got ${t.servers.length})`,
  nodes: (topology, knobs) => lockNodes(topology, knobs as never) as NodeSpec<WireMessage>[],
  checkers: LOCK_CHECKERS,
  replicas: (finalStates, topology) => finalStores(finalStates, topology.servers),
  livenessBound: (knobs, _topology, network) => lockLivenessBound(knobs as never, network),
  // What the pending operation waits for, and who the server's table says holds the key's lock:
  // a holder that crashed or has moved on will never release it, and without a lease nothing will.
  explainPending: (finalStates, topology, op) => {
    const client = finalStates.get(op.client)?.state as LockClientState | undefined;
    const current = client?.current;
    if (current === undefined || current === null || current.requestId !== op.requestId) {
      return `${op.client} had not started it (queued behind another operation)`;
    }
    const server = topology.servers[0]!;
    const serverState = finalStates.get(server);
    const down = serverState?.up === false ? ` (${server} is down)` : '';
    const what = {
      acquiring: `is acquiring ${op.key} and waits for LOCK_GRANTED or LOCK_DENIED`,
      operating: `was granted ${op.key}'s lock and waits for the reply to its ${op.op.toUpperCase()}`,
      releasing: 'has its reply and waits for RELEASE_OK',
    }[current.phase];
    const waits = `${op.client} ${what} from ${server}${down}, attempt ${current.attempt}`;
    const lock = (serverState?.state as LockServerState | undefined)?.locks.get(op.key);
    if (lock === undefined) return `${waits}; ${server} holds no lock on ${op.key}`;
    if (lock.requestId === op.requestId) return `${waits}; ${server} holds ${op.key}'s lock for it`;
    const holder = finalStates.get(lock.holder);
    const holderState = holder?.state as LockClientState | undefined;
    const gone =
      holder?.up === false
        ? ` (${lock.holder} is down)`
        : holderState?.current?.requestId !== lock.requestId
          ? ` (${lock.holder} is no longer running ${lock.requestId})`
          : '';
    const freed =
      lock.expiresAt === null
        ? 'no lease will free it'
        : `its lease is set to run out at ${formatTime(lock.expiresAt)}`;
    return `${waits}; ${op.key}'s lock is held by ${lock.holder}${gone}, granted for ${lock.requestId}, and ${freed}`;
  },
};

export const STORES: Readonly<Record<StoreName, StoreAdapter>> = {
  replicated: REPLICATED,
  lock: LOCK,
};

/**
 * The error for a knob `store` lacks but another store has (a lock store's lockLease given to a
 * replicated scenario): which store it belongs to, and the knobs `store` has; null for a knob of
 * `store`'s or of no store. `whose` says how the store was chosen ("this scenario's store").
 */
export function otherStoresKnob(store: StoreAdapter, name: string, whose: string): string | null {
  if (Object.hasOwn(store.knobSpecs, name)) return null;
  const owner = Object.values(STORES).find((s) => Object.hasOwn(s.knobSpecs, name));
  if (owner === undefined) return null;
  const known = Object.keys(store.knobSpecs).join(', ');
  return `${name} is a knob of the ${owner.name} store; ${whose} is ${store.name}; its knobs are: ${known}`;
}

/**
 * The error for a knob name no store has but one of `store`'s is near to (a typo: folowerApply),
 * naming that one; null otherwise (the protocol's own error lists every knob).
 */
function misspeltKnob(store: StoreAdapter, name: string): string | null {
  if (Object.hasOwn(store.knobSpecs, name)) return null;
  const near = nearest(name, Object.keys(store.knobSpecs));
  return near === null ? null : `unknown knob '${name}'; did you mean '${near}'?`;
}

/** The error for a knob name `store` lacks: another store's knob, or a typo of one of its own. */
function knobNameError(store: StoreAdapter, name: string, whose: string): string | null {
  return otherStoresKnob(store, name, whose) ?? misspeltKnob(store, name);
}

/** parseKnob for one store, naming the store a knob belongs to when it is another store's. */
export function parseStoreKnob(
  store: StoreAdapter,
  name: string,
  raw: unknown,
  whose: string,
): Parsed<{ name: string; value: KnobValue }> {
  const other = knobNameError(store, name, whose);
  return other === null ? parseKnob(store.knobSpecs, name, raw) : { ok: false, error: other };
}

/** resolveKnobs for one store, naming the store a knob belongs to when it is another store's. */
export function resolveStoreKnobs(
  store: StoreAdapter,
  presetName: string,
  overrides: Readonly<Record<string, unknown>>,
  whose: string,
): Parsed<Knobs> {
  for (const name of Object.keys(overrides)) {
    const other = knobNameError(store, name, whose);
    if (other !== null) return { ok: false, error: other };
  }
  return resolveKnobs(store.knobSpecs, store.presets, presetName, overrides);
}
