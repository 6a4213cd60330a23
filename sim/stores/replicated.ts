// Wires the replicated store's machines into the simulator: which nodes exist, how their state
// is summarised for the trace, and what the replicas hold at the end of a run.

import type { Key, NodeId } from '../../protocol/core.ts';
import {
  type ClientOp,
  type ClientState,
  clientMachine,
  type Message,
  REPLICATED_KNOBS,
  REPLICATED_PRESETS,
  type ReplicatedKnobs,
  type ServerState,
  serverMachine,
} from '../../protocol/replicated/index.ts';
import type { NodeSpec } from '../kernel/simulation.ts';
import { sortedEntries } from './common.ts';

export const replicatedStore = {
  name: 'replicated',
  knobSpecs: REPLICATED_KNOBS,
  presets: REPLICATED_PRESETS,
} as const;

export interface Topology {
  readonly servers: readonly NodeId[];
  readonly leader: NodeId;
  readonly clients: readonly NodeId[];
  readonly clockSkewMs: Readonly<Record<NodeId, number>>;
}

export function replicatedNodes(topology: Topology, knobs: ReplicatedKnobs): NodeSpec<Message>[] {
  const followers = topology.servers.filter((s) => s !== topology.leader);
  const servers: NodeSpec<Message>[] = topology.servers.map((id) => ({
    id,
    role: 'server',
    machine: serverMachine({ id, leader: topology.leader, followers, knobs }),
    clockSkewMs: topology.clockSkewMs[id] ?? 0,
    summarize: (state) => summarizeServer(state as ServerState),
  }));
  const clients: NodeSpec<Message>[] = topology.clients.map((id) => ({
    id,
    role: 'client',
    machine: clientMachine({ id, servers: topology.servers, knobs }),
    clockSkewMs: topology.clockSkewMs[id] ?? 0,
    summarize: (state) => summarizeClient(state as ClientState),
  }));
  return [...servers, ...clients];
}

export interface ServerSummary {
  readonly store: Record<Key, { readonly value: string | null; readonly ts: number }>;
  readonly replicating: readonly string[];
}

export function summarizeServer(state: ServerState): ServerSummary {
  // fromEntries, not assignment: a key named __proto__ must stay a key.
  const store = Object.fromEntries(
    sortedEntries(state.store).map(([key, v]) => [key, { value: v.value, ts: v.ts }]),
  );
  return { store, replicating: [...state.writes.keys()] };
}

export interface ClientSummary {
  readonly seen: Record<Key, number>;
  readonly pending: readonly string[];
}

export function summarizeClient(state: ClientState): ClientSummary {
  return {
    seen: Object.fromEntries(sortedEntries(state.seen)),
    pending: [...state.pending.keys()],
  };
}

export type { ClientOp };

/** Why a replicated-store operation is still pending at the end, from the nodes' final states. */
export function explainPendingReplicated(
  finalStates: ReadonlyMap<NodeId, { readonly state: unknown; readonly up: boolean }>,
  topology: Topology,
  op: { readonly client: NodeId; readonly requestId: string; readonly op: string },
): string {
  const client = finalStates.get(op.client)?.state as ClientState | undefined;
  const pending = client?.pending.get(op.requestId);
  if (pending === undefined) return `${op.client} no longer tracks it`;
  const leader = finalStates.get(topology.leader);
  const write = [...((leader?.state as ServerState | undefined)?.writes.values() ?? [])].find(
    (w) => w.requestId === op.requestId,
  );
  if (write !== undefined && write.awaiting.length > 0) {
    const down = write.awaiting.filter((f) => finalStates.get(f)?.up === false);
    const why =
      down.length > 0 ? ` (${down.join(', ')} ${down.length === 1 ? 'is' : 'are'} down)` : '';
    return `the leader ${topology.leader} stamped it ts ${write.ts} and still waits for REPLICATION_OK from ${write.awaiting.join(', ')}${why}`;
  }
  const reply = op.op === 'put' ? 'PUT_OK' : op.op === 'delete' ? 'DELETE_OK' : 'an answer';
  const server =
    finalStates.get(pending.server)?.up === false ? ` (${pending.server} is down)` : '';
  return `${op.client} waits for ${reply} from ${pending.server}${server}, attempt ${pending.attempt}`;
}
