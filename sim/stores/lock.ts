// Wires the lock store's machines into the simulator: one server and its clients, how their state
// is summarised for the trace, and what the server holds at the end of a run. The lock store has
// exactly one server (PROTOCOL.md §2); a topology with another count is a caller's bug.

import type { Key, NodeId } from '../../protocol/core.ts';
import {
  type ClientOp,
  type ClientState,
  clientMachine,
  LOCK_KNOBS,
  LOCK_PRESETS,
  type LockKnobs,
  type Message,
  type ServerState,
  serverMachine,
} from '../../protocol/lock/index.ts';
import type { LivenessBound } from '../check/index.ts';
import type { NetworkConfig } from '../kernel/network.ts';
import type { NodeSpec } from '../kernel/simulation.ts';
import { formatSpan } from '../render/format.ts';
import { clockSkewOf, DIGEST_LIST_MAX, digestTable, sortedEntries } from './common.ts';
import { longestHopMs, unboundedBecause } from './replicated.ts';

export const lockStore = {
  name: 'lock',
  knobSpecs: LOCK_KNOBS,
  presets: LOCK_PRESETS,
} as const;

export interface LockTopology {
  readonly servers: readonly NodeId[];
  readonly clients: readonly NodeId[];
  readonly clockSkewMs: Readonly<Record<NodeId, number>>;
}

export function lockNodes(topology: LockTopology, knobs: LockKnobs): NodeSpec<Message>[] {
  const [id, ...others] = topology.servers;
  if (id === undefined || others.length > 0) {
    throw new Error(`the lock store has one server (got ${topology.servers.length})`);
  }
  const server: NodeSpec<Message> = {
    id,
    role: 'server',
    machine: serverMachine({ id, knobs }),
    clockSkewMs: clockSkewOf(topology.clockSkewMs, id),
    summarize: (state) => summarizeServer(state as ServerState),
  };
  const clients: NodeSpec<Message>[] = topology.clients.map((client) => ({
    id: client,
    role: 'client',
    machine: clientMachine({ id: client, knobs }),
    clockSkewMs: clockSkewOf(topology.clockSkewMs, client),
    summarize: (state) => summarizeClient(state as ClientState),
  }));
  return [server, ...clients];
}

export interface ServerSummary {
  readonly store: Record<Key, { readonly value: string | null; readonly ts: number }>;
  /** Past DIGEST_LIST_MAX keys: how many the store holds (and `store` lists none). */
  readonly keys?: number;
  readonly locks: Record<
    Key,
    { readonly holder: NodeId; readonly token: number; readonly expiresAt: number | null }
  >;
}

export function summarizeServer(state: ServerState): ServerSummary {
  const { entries: store, keys } = digestTable(state.store, (v) => ({ value: v.value, ts: v.ts }));
  // fromEntries, not assignment: a key named __proto__ must stay a key.
  const locks = Object.fromEntries(
    sortedEntries(state.locks).map(([key, l]) => [
      key,
      { holder: l.holder, token: l.token, expiresAt: l.expiresAt },
    ]),
  );
  return keys === undefined ? { store, locks } : { store, keys, locks };
}

export interface ClientSummary {
  readonly seen: Record<Key, number>;
  /** Past DIGEST_LIST_MAX keys: how many keys the client holds a ts for (and `seen` lists none). */
  readonly keys?: number;
  /** The operation in progress (its request id), then those waiting their turn (their op ids). */
  readonly pending: readonly string[];
}

export function summarizeClient(state: ClientState): ClientSummary {
  const current = state.current === null ? [] : [state.current.requestId];
  const queued =
    state.queue.size > DIGEST_LIST_MAX
      ? [`${state.queue.size} queued`]
      : state.queue.items().map((q) => `op ${q.opId}`);
  const { entries: seen, keys } = digestTable(state.seen, (ts) => ts);
  const pending = [...current, ...queued];
  return keys === undefined ? { seen, pending } : { seen, keys, pending };
}

export type { ClientOp };

/**
 * The worst case the knobs allow for one lock-store operation once faults have ended: a request
 * resent after requestTimeout, then acquire, operation and release, a round trip each (a denied
 * lock answers at once, so nobody waits for a lease).
 */
export function lockLivenessBound(knobs: LockKnobs, network: NetworkConfig): LivenessBound {
  const why = unboundedBecause(network);
  if (why !== null) return { ms: null, why };
  const hop = longestHopMs(network);
  const resend =
    knobs.requestTimeout > 0 ? `, a resend after ${formatSpan(knobs.requestTimeout)}` : '';
  return {
    ms: knobs.requestTimeout + 6 * hop,
    from: `derived from the knobs: acquire, operation and release, 6 hops of up to ${formatSpan(hop)}${resend}`,
  };
}
