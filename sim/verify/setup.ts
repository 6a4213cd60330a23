// What verify explores, read from a scenario: its store, knobs and nodes (built as `sim` builds
// them), each client's operations in session order, its clock steps, and the fault budgets. The
// scenario's own times, crashes and network faults are not used: verify tries every schedule.

import type { NodeId } from '../../protocol/core.ts';
import type { ClientState as LockClientState } from '../../protocol/lock/index.ts';
import type { ClientState as ReplicatedClientState } from '../../protocol/replicated/index.ts';
import type { LivenessBound } from '../check/index.ts';
import { type NetworkConfig, resolveNetwork } from '../kernel/network.ts';
import type { NodeSpec } from '../kernel/simulation.ts';
import type { WireMessage } from '../kernel/trace.ts';
import { knobsOf, opOf, type Scenario, type Step, storeOf, topologyOf } from '../scenario.ts';
import type { Knobs, StoreAdapter } from '../stores/index.ts';
import type { ClientOp, Topology } from '../stores/replicated.ts';
import type { Budgets } from './world.ts';

/** The network of a schedule's story: every message on time arrives 1 ms after it is sent. */
export const STORY_NETWORK = { delayMinMs: 1, delayMaxMs: 1, fifo: false } as const;

export interface PlannedOp {
  readonly op: ClientOp;
  /** The server the scenario names; null: any server (each is a schedule of its own). */
  readonly via: NodeId | null;
}

export interface SetupClient {
  readonly id: NodeId;
  readonly node: number;
  readonly ops: readonly PlannedOp[];
}

export interface Setup {
  readonly scenario: Scenario;
  readonly store: StoreAdapter;
  readonly topology: Topology;
  readonly preset: string;
  readonly knobs: Knobs;
  /** The knob overrides given (scenario's and command line's), for the counterexample file. */
  readonly overrides: Readonly<Record<string, string | number>>;
  readonly nodes: readonly NodeSpec<WireMessage>[];
  readonly index: ReadonlyMap<NodeId, number>;
  readonly servers: readonly NodeId[];
  readonly clients: readonly SetupClient[];
  readonly clockSteps: readonly { readonly node: number; readonly byMs: number }[];
  readonly budgets: Budgets;
  /**
   * Deliveries may share a millisecond: only where a clock reading can be shared matters (the
   * leader's wall clock stamps two writes alike); elsewhere it would only multiply the schedules.
   */
  readonly sameMs: boolean;
  /** Whether a client's session lets it issue its next operation now. */
  readonly sessionAllows: (state: unknown) => boolean;
  /** Scenario steps verify does not use (crashes, partitions, holds, …), for a note. */
  readonly ignoredSteps: number;
  /**
   * With a follower that may stay down for good a schedule need never go quiet (the leader resends
   * forever), so liveness is also judged as a cut run is (PROTOCOL.md §3): an operation pending
   * longer than the knobs' worst case, on the story's network, after the last fault, with the
   * servers down in that world (as `sim` states it for the story cut there). Else null: liveness
   * is judged when a schedule is complete.
   */
  readonly livenessBound: ((down: readonly NodeId[]) => LivenessBound) | null;
}

export interface SetupOptions {
  readonly preset?: string | undefined;
  readonly knobs?: Readonly<Record<string, string>> | undefined;
  readonly budgets: Budgets;
}

export function setupOf(scenario: Scenario, options: SetupOptions): Setup {
  const store = storeOf(scenario);
  const topology = topologyOf(scenario);
  const { presetName: preset, overrides, knobs } = knobsOf(scenario, options);
  const nodes = store.nodes(topology, knobs);
  const index = new Map(nodes.map((n, i) => [n.id, i] as const));
  // Session order is the order of the scenario's steps in time (ties: as written).
  const steps = scenario.steps
    .map((step, i) => ({ step, i }))
    .sort((a, b) => a.step.at - b.step.at || a.i - b.i);
  const clients = topology.clients.map((id) => ({
    id,
    node: index.get(id)!,
    ops: [] as PlannedOp[],
  }));
  const clockSteps: { node: number; byMs: number }[] = [];
  let ignoredSteps = 0;
  for (const { step } of steps) {
    const op = opOf(step);
    if (op !== null) {
      const s = step as Step & { client: NodeId; via?: NodeId };
      clients.find((c) => c.id === s.client)!.ops.push({ op, via: s.via ?? null });
    } else if ('clockStep' in step)
      clockSteps.push({ node: index.get(step.clockStep)!, byMs: step.byMs });
    else ignoredSteps++;
  }
  const overrideValues: Record<string, string | number> = {};
  for (const name of Object.keys(overrides)) overrideValues[name] = knobs[name]!;
  return {
    scenario,
    store,
    topology,
    preset,
    knobs,
    overrides: overrideValues,
    nodes,
    index,
    servers: topology.servers,
    clients,
    clockSteps,
    budgets: options.budgets,
    sameMs: store.name === 'replicated' && knobs.leaderClock === 'wall',
    sessionAllows: sessionRule(store, knobs),
    ignoredSteps,
    livenessBound:
      options.budgets.downForGood > 0 ? boundsWith(store, knobs, topology, storyNetwork()) : null,
  };
}

/** The liveness bound with the servers down, worked out once for each set of them. */
function boundsWith(
  store: StoreAdapter,
  knobs: Knobs,
  topology: Topology,
  network: NetworkConfig,
): (down: readonly NodeId[]) => LivenessBound {
  const made = new Map<string, LivenessBound>();
  return (down) => {
    const key = down.join(' ');
    let bound = made.get(key);
    if (bound === undefined) {
      bound = store.livenessBound(knobs, topology, network, down);
      made.set(key, bound);
    }
    return bound;
  };
}

function storyNetwork() {
  const network = resolveNetwork(STORY_NETWORK);
  if (!network.ok) throw new Error(`verify: the story's network is invalid: ${network.error}`);
  return network.value;
}

function sessionRule(store: StoreAdapter, knobs: Knobs): (state: unknown) => boolean {
  if (store.name === 'lock') {
    // The lock client runs one procedure at a time.
    return (state) => {
      const s = state as LockClientState;
      return s.current === null && s.queue.size === 0;
    };
  }
  if (knobs.clientSession === 'pipelined') return () => true;
  return (state) => {
    const s = state as ReplicatedClientState;
    return s.pending.size === 0 && s.queue.size === 0;
  };
}

/**
 * Clients that are interchangeable: same operations (and servers asked), same clock. Renaming one
 * into another anywhere in a world gives a world that behaves the same, so one stands for both.
 */
export function symmetricClients(setup: Setup): NodeId[][] {
  const classes = new Map<string, NodeId[]>();
  for (const c of setup.clients) {
    const skew = setup.nodes[c.node]!.clockSkewMs ?? 0;
    const key = JSON.stringify([c.ops, skew]);
    const list = classes.get(key);
    if (list === undefined) classes.set(key, [c.id]);
    else list.push(c.id);
  }
  return [...classes.values()].filter((c) => c.length > 1);
}
