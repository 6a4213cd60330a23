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
import type { LivenessBound } from '../check/index.ts';
import type { Apply } from '../kernel/history.ts';
import type { NetworkConfig } from '../kernel/network.ts';
import type { NodeSpec } from '../kernel/simulation.ts';
import { formatSpan, formatTime } from '../render/format.ts';
import { clockSkewOf, digestList, digestTable } from './common.ts';

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

// One digest function for all nodes of a role, not a closure per node (thousands of clients).
const summarizeServerState = (state: unknown) => summarizeServer(state as ServerState);
const summarizeClientState = (state: unknown) => summarizeClient(state as ClientState);

export function replicatedNodes(topology: Topology, knobs: ReplicatedKnobs): NodeSpec<Message>[] {
  const followers = topology.servers.filter((s) => s !== topology.leader);
  const servers: NodeSpec<Message>[] = topology.servers.map((id) => ({
    id,
    role: 'server',
    machine: serverMachine({ id, leader: topology.leader, followers, knobs }),
    clockSkewMs: clockSkewOf(topology.clockSkewMs, id),
    summarize: summarizeServerState,
  }));
  const clients: NodeSpec<Message>[] = topology.clients.map((id) => ({
    id,
    role: 'client',
    machine: clientMachine({ id, servers: topology.servers, knobs }),
    clockSkewMs: clockSkewOf(topology.clockSkewMs, id),
    summarize: summarizeClientState,
  }));
  return [...servers, ...clients];
}

export interface ServerSummary {
  readonly store: Record<Key, { readonly value: string | null; readonly ts: number }>;
  /** Past DIGEST_LIST_MAX keys: how many the store holds (and `store` lists none). */
  readonly keys?: number;
  readonly replicating: readonly string[];
}

export function summarizeServer(state: ServerState): ServerSummary {
  const { entries, keys } = digestTable(state.store, (v) => ({ value: v.value, ts: v.ts }));
  const replicating = digestList(state.writes, 'writes');
  return keys === undefined
    ? { store: entries, replicating }
    : { store: entries, keys, replicating };
}

export interface ClientSummary {
  readonly seen: Record<Key, number>;
  /** Past DIGEST_LIST_MAX keys: how many keys the client holds a ts for (and `seen` lists none). */
  readonly keys?: number;
  readonly pending: readonly string[];
}

export function summarizeClient(state: ClientState): ClientSummary {
  const { entries, keys } = digestTable(state.seen, (ts) => ts);
  const pending = digestList(state.pending, 'requests');
  return keys === undefined ? { seen: entries, pending } : { seen: entries, keys, pending };
}

export type { ClientOp };

/**
 * Why a replicated-store operation is still pending at the end, from the nodes' final states:
 * under sequential fan-out only the first follower the leader still awaits has been (or is about
 * to be) sent REPLICATION; the others have not been sent anything yet.
 */
export function explainPendingReplicated(
  finalStates: ReadonlyMap<NodeId, { readonly state: unknown; readonly up: boolean }>,
  topology: Topology,
  op: { readonly client: NodeId; readonly requestId: string; readonly op: string },
  knobs: ReplicatedKnobs,
  applies: readonly Apply[],
): string {
  const client = finalStates.get(op.client)?.state as ClientState | undefined;
  const pending = client?.pending.get(op.requestId);
  if (pending === undefined) return `${op.client} no longer tracks it`;
  const leader = finalStates.get(topology.leader);
  const write = [...((leader?.state as ServerState | undefined)?.writes.values() ?? [])].find(
    (w) => w.requestId === op.requestId,
  );
  if (write !== undefined && write.awaiting.size > 0) {
    const sequential = knobs.replicationFanout === 'sequential';
    const awaiting = write.awaiting.items();
    const sent = sequential ? awaiting.slice(0, 1) : awaiting;
    const unsent = sequential ? awaiting.slice(1) : [];
    const down = sent.filter((f) => finalStates.get(f)?.up === false);
    const why =
      down.length > 0 ? ` (${down.join(', ')} ${down.length === 1 ? 'is' : 'are'} down)` : '';
    const delay =
      knobs.replicationDelay > 0
        ? `, with a ${formatSpan(knobs.replicationDelay)} replicationDelay before each REPLICATION`
        : '';
    const rest =
      unsent.length > 0
        ? `; one follower at a time, so ${unsent.join(', ')} ${unsent.length === 1 ? 'has' : 'have'} not been sent REPLICATION yet`
        : '';
    // A leader down at the end awaits nothing: its state is what it held when it went down.
    const waits = leader?.up === false ? 'then went down, awaiting' : 'waits for';
    return `the leader ${topology.leader} stamped it ts ${write.ts} and ${waits} REPLICATION_OK from ${sent.join(', ')}${why}${delay}${rest}`;
  }
  const reply = op.op === 'put' ? 'PUT_OK' : op.op === 'delete' ? 'DELETE_OK' : 'an answer';
  const server =
    finalStates.get(pending.server)?.up === false ? ` (${pending.server} is down)` : '';
  // A follower passes a write on to the leader: with the leader down, no answer will come back.
  const forwarded =
    op.op !== 'get' && server === '' && pending.server !== topology.leader && leader?.up === false
      ? `; ${pending.server} passes writes on to the leader ${topology.leader}, which is down`
      : '';
  // Whether the write got as far as the leader (the history's applies say), and whether the
  // client will ask again.
  const stored = op.op === 'get' ? null : storedByLeader(applies, topology.leader);
  const got = stored?.get(op.requestId);
  const reached =
    stored === null
      ? ''
      : got === undefined
        ? `; the leader ${topology.leader} has not stored it`
        : `; the leader ${topology.leader} stored it at ${formatTime(got.t)} with ts ${got.ts}, and no answer has reached ${op.client}`;
  const resend =
    knobs.requestTimeout === 0
      ? `; ${op.client} does not resend an unanswered request (requestTimeout 0)`
      : '';
  return `${op.client} waits for ${reply} from ${pending.server}${server}, attempt ${pending.attempt}${forwarded}${reached}${resend}`;
}

/** Per history, the leader's last store of each request's write, by request id (built once). */
const leaderStores = new WeakMap<
  readonly Apply[],
  { readonly leader: NodeId; readonly byRequest: Map<string, Apply> }
>();

function storedByLeader(applies: readonly Apply[], leader: NodeId): Map<string, Apply> {
  const known = leaderStores.get(applies);
  if (known?.leader === leader) return known.byRequest;
  const byRequest = new Map<string, Apply>();
  for (const a of applies) if (a.node === leader && a.origin !== null) byRequest.set(a.origin, a);
  leaderStores.set(applies, { leader, byRequest });
  return byRequest;
}

/** The longest a message may take on a healed network: the delay, and a spike when spikes are on. */
export function longestHopMs(network: NetworkConfig): number {
  return network.delayMaxMs + (network.spikePermille > 0 ? network.spikeMs : 0);
}

/** Why no time bounds an operation on this network, or null when one does. */
export function unboundedBecause(network: NetworkConfig): string | null {
  return network.dropPermille > 0
    ? `the network drops messages (dropPermille ${network.dropPermille}), so no time bounds the retries`
    : null;
}

/**
 * Why no time bounds a GET when its requestTimeout is no longer than a round trip, or null. The
 * client counts a TRY_OTHER_SERVER_OR_LATER only for the attempt it is waiting on; one that comes
 * back after the timeout has resent the GET to the next server is ignored, so a GET that only
 * refusals can end goes round the servers until one refusal happens to come back in time, which
 * no number of attempts makes sure of. (A timeout due in the same millisecond as the answer fires
 * first: it was armed first.)
 */
function answersRaceTimeout(knobs: ReplicatedKnobs, hop: number): string | null {
  const roundTrip = 2 * hop;
  if (knobs.requestTimeout === 0 || knobs.requestTimeout > roundTrip) return null;
  return `the requestTimeout (${formatSpan(knobs.requestTimeout)}) is no longer than a round trip (up to ${formatSpan(roundTrip)}), so a GET's TRY_OTHER_SERVER_OR_LATER may come back after the GET was resent, and is ignored: no time bounds how long a GET goes round the servers`;
}

/**
 * The worst case the knobs allow for one operation once faults have ended (PROTOCOL.md §3): a
 * request resent after requestTimeout, client to follower to leader, the leader's REPLICATION to
 * each follower (after replicationDelay, one after another under sequential fan-out, resent or
 * given up on after replicationTimeout), and the answer back; or a GET retried at other servers.
 * Servers `down` for good at the end cost more: a request the client sends to one waits out its
 * requestTimeout before going to the next server, and the servers are tried in turn, so a run of
 * them may come before the request reaches a live one, and again after each retry of a GET.
 */
export function replicatedLivenessBound(
  knobs: ReplicatedKnobs,
  topology: Topology,
  network: NetworkConfig,
  down: readonly NodeId[] = [],
): LivenessBound {
  const why = unboundedBecause(network);
  if (why !== null) return { ms: null, why };
  const hop = longestHopMs(network);
  const racing = answersRaceTimeout(knobs, hop);
  if (racing !== null) return { ms: null, why: racing };
  const followers = topology.servers.length - 1;
  const sequential = knobs.replicationFanout === 'sequential';
  const rounds = sequential ? followers : Math.min(followers, 1);
  const perFollower = knobs.replicationDelay + knobs.replicationTimeout + 2 * hop;
  // Only with a timeout does a request to a server down for good ever go elsewhere.
  const downRun = knobs.requestTimeout > 0 ? down.length * knobs.requestTimeout : 0;
  const write = knobs.requestTimeout + downRun + 4 * hop + rounds * perFollower;
  const retries = knobs.retryOnTryOther === 'other-server' ? knobs.retryLimit : 0;
  const read =
    knobs.requestTimeout + (retries + 1) * (2 * hop + downRun) + retries * knobs.retryBackoff;
  const fanout = sequential
    ? `${followers} follower${followers === 1 ? '' : 's'} one after another`
    : 'the followers in parallel';
  const resend =
    knobs.requestTimeout > 0 ? `, a resend after ${formatSpan(knobs.requestTimeout)}` : '';
  const waitsOut = `; and ${down.join(', ')} down at the end: a request sent to ${down.length === 1 ? 'it' : 'one'} waits out the ${formatSpan(knobs.requestTimeout)} requestTimeout before the next server is tried`;
  const put = `a PUT's 4 hops of up to ${formatSpan(hop)}${resend}, and ${fanout}, each ${formatSpan(knobs.replicationDelay)} replicationDelay + ${formatSpan(knobs.replicationTimeout)} replicationTimeout + a ${formatSpan(2 * hop)} round trip${downRun > 0 ? waitsOut : ''}`;
  // The bound is the longer of the two paths: the words are that path's, the other's length beside.
  if (write >= read) return { ms: write, from: `derived from the knobs: ${put}` };
  const retried =
    retries > 0
      ? `, and ${retries} retr${retries === 1 ? 'y' : 'ies'} at other servers, ${formatSpan(knobs.retryBackoff)} retryBackoff before each`
      : '';
  const tries = down.length * (retries + 1);
  const get = `a GET's ${retries + 1} round trip${retries === 0 ? '' : 's'} of up to ${formatSpan(2 * hop)}${resend}${retried}${downRun > 0 ? `${waitsOut}, up to ${tries} time${tries === 1 ? '' : 's'} for the GET${retries > 0 ? ` and its retries` : ''}` : ''}`;
  return {
    ms: read,
    from: `derived from the knobs: ${get} (a PUT's path is shorter: ${formatSpan(write)})`,
  };
}
