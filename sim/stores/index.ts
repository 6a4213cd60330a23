// The stores a scenario can run, behind one interface: their knobs and presets, their nodes, the
// checkers that judge them and how to read their replicas. Everything above this file (scenarios,
// the command line, the explorer) is the same for every store.

import type { NodeId } from '../../protocol/core.ts';
import type { KnobSpecs, KnobValue } from '../../protocol/knobs.ts';
import type { ClientState as LockClientState } from '../../protocol/lock/index.ts';
import type { ReplicatedKnobs } from '../../protocol/replicated/index.ts';
import {
  type Checker,
  LOCK_CHECKERS,
  REPLICATED_CHECKERS,
  type ReplicaState,
} from '../check/index.ts';
import type { Operation } from '../kernel/history.ts';
import type { NodeSpec } from '../kernel/simulation.ts';
import type { WireMessage } from '../kernel/trace.ts';
import { lockNodes, lockStore, finalStores as lockStores } from './lock.ts';
import {
  explainPendingReplicated,
  finalStores,
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
  /** A sentence when the topology does not suit this store. */
  topologyError(topology: Topology): string | null;
  nodes(topology: Topology, knobs: Knobs): NodeSpec<WireMessage>[];
  readonly checkers: readonly Checker[];
  replicas(finalStates: FinalStates, topology: Topology): Map<NodeId, ReplicaState>;
  explainPending(finalStates: FinalStates, topology: Topology, op: Operation): string;
}

const REPLICATED: StoreAdapter = {
  name: 'replicated',
  knobSpecs: replicatedStore.knobSpecs as KnobSpecs<Knobs>,
  presets: replicatedStore.presets as unknown as StoreAdapter['presets'],
  defaultServers: 3,
  topologyError: () => null,
  nodes: (topology, knobs) =>
    replicatedNodes(topology, knobs as unknown as ReplicatedKnobs) as NodeSpec<WireMessage>[],
  checkers: REPLICATED_CHECKERS,
  replicas: (finalStates, topology) => finalStores(finalStates, topology.servers),
  explainPending: explainPendingReplicated,
};

const LOCK: StoreAdapter = {
  name: 'lock',
  knobSpecs: lockStore.knobSpecs as KnobSpecs<Knobs>,
  presets: lockStore.presets as unknown as StoreAdapter['presets'],
  defaultServers: 1,
  topologyError: (t) =>
    t.servers.length === 1
      ? null
      : `the lock store has exactly one server (got ${t.servers.length})`,
  nodes: (topology, knobs) => lockNodes(topology, knobs as never) as NodeSpec<WireMessage>[],
  checkers: LOCK_CHECKERS,
  replicas: (finalStates, topology) => lockStores(finalStates, topology.servers),
  explainPending: (finalStates, topology, op) => {
    const client = finalStates.get(op.client)?.state as LockClientState | undefined;
    const current = client?.current;
    if (current === undefined || current === null || current.requestId !== op.requestId) {
      return `${op.client} had not started it (queued behind another operation)`;
    }
    const server = topology.servers[0];
    const down =
      finalStates.get(current.server)?.up === false ? ` (${current.server} is down)` : '';
    const what = {
      acquiring: 'LOCK_GRANTED or LOCK_DENIED',
      operating: 'the reply to its operation',
      releasing: 'RELEASE_OK',
    }[current.phase];
    return `${op.client} is ${current.phase} and waits for ${what} from ${server}${down}, attempt ${current.attempt}`;
  },
};

export const STORES: Readonly<Record<StoreName, StoreAdapter>> = {
  replicated: REPLICATED,
  lock: LOCK,
};
