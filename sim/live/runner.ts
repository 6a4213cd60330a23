// The Jepsen-style live test: a cluster on loopback with a fault-injecting relay in front of every
// server, clients driving a random workload over real connections, faults (partitions, held links,
// crashes and restarts) at real times; then heal, wait for quiescence, and judge the history with
// the simulator's own checkers. The seed draws the workload and the fault plan, never the timing:
// a live run cannot be replayed, only rerun.

import type { NodeId } from '../../protocol/core.ts';
import type { LivenessBound } from '../check/index.ts';
import type { NetworkConfig } from '../kernel/network.ts';
import { Stream } from '../kernel/rng.ts';
import { DEFAULT_BOUNDS, type Ending, type RunResult } from '../kernel/simulation.ts';
import { type Fault, traceHash } from '../kernel/trace.ts';
import { checkRun, judgeVerdicts, type ScenarioRun } from '../scenario.ts';
import type { Knobs, StoreAdapter } from '../stores/index.ts';
import type { Topology } from '../stores/replicated.ts';
import { LiveClient, type LiveOp } from './client.ts';
import { LOOPBACK } from './endpoint.ts';
import { type ClusterSpec, LiveNode, nodeSpecs } from './node.ts';
import { LiveRecorder } from './recorder.ts';
import { FaultNetwork, type LinkFaults, Relay } from './relay.ts';
import { messageProblem } from './wire.ts';

export const FAULT_KINDS = [
  'delay',
  'drop',
  'duplicate',
  'partition',
  'hold',
  'crash',
  'clock',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** What `npm run live` injects unless told otherwise: every kind but the clock step. */
export const DEFAULT_FAULTS: readonly FaultKind[] = FAULT_KINDS.filter((k) => k !== 'clock');

export interface LiveOptions {
  /** The cluster; its clients are the workload's clients. */
  readonly cluster: ClusterSpec;
  readonly ops: number;
  /** How many keys the workload touches (x, y, z, …): fewer keys, more clashes. */
  readonly keys: number;
  readonly seed: number;
  readonly faults: readonly FaultKind[];
  /** Faults fall within this many ms from the start (the workload lasts about as long). */
  readonly spanMs: number;
  /** A client waits this long for an answer before it issues its next operation anyway. */
  readonly giveUpMs: number;
  /** How long to wait for quiescence after the heal before giving up (a time-limit ending). */
  readonly settleMs: number;
  /**
   * Once aborted (Ctrl-C), no client issues another operation and no fault still to come is
   * injected; the run then heals, settles and is judged as usual, on what it did.
   */
  readonly stop?: AbortSignal;
}

/** The rates a fault kind turns on (per mille), and the delays. */
export function linkFaults(kinds: readonly FaultKind[]): LinkFaults {
  return {
    delayMinMs: 1,
    delayMaxMs: kinds.includes('delay') ? 40 : 2,
    dropPermille: kinds.includes('drop') ? 50 : 0,
    duplicatePermille: kinds.includes('duplicate') ? 300 : 0,
    duplicateLagMs: 300,
  };
}

interface PlannedOp {
  /** Think time before the client issues it, after its previous operation. */
  readonly thinkMs: number;
  /** false: the client goes on without waiting for the answer (as a user typing ahead would). */
  readonly waits: boolean;
  readonly client: NodeId;
  readonly op: LiveOp;
  readonly via: NodeId;
}

const KEYS = ['x', 'y', 'z', 'w', 'v', 'u', 't', 's', 'r'];

/**
 * The workload: `ops` operations dealt to the clients in turn, on a few keys so that they clash.
 * Each client is a closed loop, as in Jepsen: it issues its next operation a moment after the
 * previous one completes (or is given up on), so every client stays busy until the end. One time
 * in four it does not wait, so that a pipelined session has two requests in flight.
 */
export function planWorkload(
  cluster: ClusterSpec,
  ops: number,
  keys: number,
  seed: number,
): PlannedOp[] {
  const rng = new Stream('workload', seed);
  const names = KEYS.slice(0, keys);
  const plan: PlannedOp[] = [];
  for (let i = 1; i <= ops; i++) {
    const key = rng.pick(names);
    const roll = rng.below(100);
    const op: LiveOp =
      roll < 50
        ? { kind: 'put', key, value: String(i) }
        : roll < 85
          ? { kind: 'get', key }
          : { kind: 'delete', key };
    const client = cluster.clients[(i - 1) % cluster.clients.length]!;
    plan.push({
      thinkMs: rng.between(0, 20),
      waits: rng.below(4) !== 0,
      client,
      op,
      via: rng.pick(cluster.servers),
    });
  }
  return plan;
}

/** Partitions, held links and crashes inside the span, each undone 100-300 ms later. */
export function planFaults(
  cluster: ClusterSpec,
  kinds: readonly FaultKind[],
  spanMs: number,
  seed: number,
): { at: number; fault: Fault }[] {
  const rng = new Stream('faults', seed);
  const plan: { at: number; fault: Fault }[] = [];
  const servers = cluster.servers;
  const episode = (start: Fault, end: Fault) => {
    const at = rng.between(0, Math.max(0, spanMs - 100));
    plan.push({ at, fault: start }, { at: at + rng.between(100, 300), fault: end });
  };
  if (kinds.includes('partition') && servers.length > 1) {
    const alone = rng.pick(servers);
    const rest = [...servers.filter((s) => s !== alone), ...cluster.clients];
    episode({ kind: 'partition', groups: [[alone], rest] }, { kind: 'heal' });
  }
  if (kinds.includes('hold') && servers.length > 1) {
    const from = cluster.leader;
    const to = rng.pick(servers.filter((s) => s !== from));
    episode({ kind: 'hold', from, to }, { kind: 'release', from, to });
  }
  if (kinds.includes('hold') && servers.length === 1) {
    const from = rng.pick(cluster.clients);
    episode({ kind: 'hold', from, to: servers[0]! }, { kind: 'release', from, to: servers[0]! });
  }
  if (kinds.includes('crash')) {
    const node = rng.pick(servers);
    episode({ kind: 'crash', node }, { kind: 'restart', node });
  }
  if (kinds.includes('clock')) {
    // The leader's clock steps back for a while, then forward again (an NTP correction and back).
    const node = cluster.leader;
    const byMs = rng.between(1_000, 5_000);
    episode({ kind: 'clockStep', node, byMs: -byMs }, { kind: 'clockStep', node, byMs });
  }
  return plan.sort((a, b) => a.at - b.at);
}

export interface LiveRun {
  readonly run: ScenarioRun;
  /** When the last fault was undone (ms into the run). */
  readonly faultsEndAt: number;
  /** The workload was stopped early (`stop` aborted): fewer operations than planned were issued. */
  readonly interrupted: boolean;
}

/** A running live cluster: its servers behind their relays, and the clients. */
export class LiveCluster {
  readonly recorder = new LiveRecorder();
  readonly network: FaultNetwork;
  readonly servers: LiveNode[];
  readonly relays: Relay[];
  readonly clients: LiveClient[];
  private nextOp = 1;
  /** When the last fault was injected or undone (0: none ever was): liveness bounds count from it. */
  lastFaultAt = 0;

  constructor(
    readonly cluster: ClusterSpec,
    faults: LinkFaults,
    seed: number,
  ) {
    this.network = new FaultNetwork(faults, seed, this.recorder);
    const relayOf = (id: NodeId) => this.relays.find((r) => r.target === id);
    const viaRelay = (id: NodeId) => {
      const relay = relayOf(id);
      return relay === undefined ? undefined : { host: LOOPBACK, port: relay.port };
    };
    const specs = nodeSpecs(cluster).filter((s) => s.role === 'server');
    this.servers = specs.map(
      (spec) => new LiveNode(spec, cluster, viaRelay, this.recorder.clock, this.recorder),
    );
    this.relays = this.servers.map(
      (node) =>
        new Relay(
          node.id,
          () => (node.host.up ? { host: LOOPBACK, port: node.port } : undefined),
          this.network,
          (envelope) =>
            messageProblem(cluster.store.messageShapes, envelope.message) ??
            (this.recorder.claim(envelope) ? null : 'it is no message of this run'),
        ),
    );
    this.clients = cluster.clients.map(
      (id) =>
        new LiveClient(
          id,
          cluster,
          viaRelay,
          this.recorder.clock,
          this.recorder,
          () => this.nextOp++,
        ),
    );
  }

  async start(): Promise<void> {
    for (const node of this.servers) await node.listen(0);
    for (const relay of this.relays) await relay.listen();
  }

  server(id: NodeId): LiveNode {
    return this.servers.find((s) => s.id === id)!;
  }

  async inject(fault: Fault): Promise<void> {
    this.lastFaultAt = this.recorder.now();
    this.recorder.push({ t: this.lastFaultAt, kind: 'fault', fault });
    switch (fault.kind) {
      case 'crash':
        return this.server(fault.node).crash();
      case 'restart':
        return this.server(fault.node).restart(0);
      case 'partition':
        for (const [i, group] of fault.groups.entries())
          for (const [j, other] of fault.groups.entries())
            if (i !== j) for (const a of group) for (const b of other) this.network.cut(a, b);
        return;
      case 'cut':
        for (const a of fault.from) for (const b of fault.to) this.network.cut(a, b);
        return;
      case 'heal':
        return this.network.heal();
      case 'hold':
        return this.network.hold(fault.from, fault.to);
      case 'release':
        return this.network.release(fault.from, fault.to);
      case 'clockStep':
        return this.server(fault.node).stepClock(fault.byMs);
    }
  }

  /** Every fault undone: links healed and released, crashed servers restarted. */
  async healAll(): Promise<void> {
    if (!this.network.healed) await this.inject({ kind: 'heal' });
    for (const [from, to] of this.network.heldLinks())
      await this.inject({ kind: 'release', from, to });
    for (const node of this.servers)
      if (!node.host.up) await this.inject({ kind: 'restart', node: node.id });
  }

  /** Nothing in flight, no timer armed, and no event for a while. */
  idle(): boolean {
    const nodes = [...this.servers, ...this.clients.map((c) => c.node)];
    return this.network.inFlight === 0 && nodes.every((n) => n.host.armedTimers === 0);
  }

  finalStates(): Map<NodeId, { state: unknown; up: boolean }> {
    const nodes = [...this.servers, ...this.clients.map((c) => c.node)];
    return new Map(nodes.map((n) => [n.id, { state: n.host.current, up: n.host.up }]));
  }

  async stop(): Promise<void> {
    this.network.stop();
    await Promise.all([
      ...this.clients.map((c) => c.stop()),
      ...this.relays.map((r) => r.close()),
      ...this.servers.map((s) => s.stop()),
    ]);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits for `promise`, or `ms` at most; the timer goes with it, so nothing keeps the process up. */
async function atMost(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** Waits until the cluster has been idle for `quietMs`; false when `withinMs` passes first. */
async function quiesce(live: LiveCluster, quietMs: number, withinMs: number): Promise<boolean> {
  const deadline = live.recorder.now() + withinMs;
  let events = -1;
  let quietSince = live.recorder.now();
  while (live.recorder.now() < deadline) {
    await sleep(20);
    const now = live.recorder.now();
    if (!live.idle() || live.recorder.events.length !== events) {
      events = live.recorder.events.length;
      quietSince = now;
    } else if (now - quietSince >= quietMs) return true;
  }
  return false;
}

/** Resolves when `signal` aborts (never without one). */
function whenAborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal === undefined) return;
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/**
 * Runs each client's share of the workload, and injects the fault plan at its real times; once
 * `options.stop` aborts, every wait ends at once and nothing more is issued or injected.
 */
async function drive(live: LiveCluster, options: LiveOptions): Promise<void> {
  const { cluster, seed, spanMs, stop } = options;
  const aborted = whenAborted(stop);
  const plan = planWorkload(cluster, options.ops, options.keys, seed);
  const loops = live.clients.map(async (client) => {
    for (const p of plan.filter((q) => q.client === client.id)) {
      await atMost(aborted, p.thinkMs);
      if (stop?.aborted) return;
      const { done } = client.invoke(p.op, p.via);
      // An operation that gets no answer (a lost request under requestTimeout 0) stays pending
      // in the history, for the liveness checker; the client moves on.
      if (p.waits) await atMost(Promise.race([done, aborted]), options.giveUpMs);
    }
  });
  const faults = planFaults(cluster, options.faults, spanMs, seed).map(async (f) => {
    await atMost(aborted, f.at);
    if (!stop?.aborted) await live.inject(f.fault);
  });
  await Promise.all([...loops, ...faults]);
}

export async function runLive(options: LiveOptions): Promise<LiveRun> {
  const { cluster, seed } = options;
  const faults = linkFaults(options.faults);
  const live = new LiveCluster(cluster, faults, seed);
  let ending: Ending = 'quiescent';
  let faultsEndAt = 0;
  let finalStates = new Map<NodeId, { state: unknown; up: boolean }>();
  let endedAt = 0;
  let interrupted = false;
  try {
    await live.start();
    await drive(live, options);
    interrupted = options.stop?.aborted === true;
    await live.healAll();
    // A run without faults has none to play out: its operations are judged from their issue.
    faultsEndAt = live.lastFaultAt;
    if (!(await quiesce(live, 150, options.settleMs))) ending = 'time-limit';
  } finally {
    finalStates = live.finalStates();
    endedAt = live.recorder.now();
    await live.stop();
  }
  const events = live.recorder.events;
  const result: RunResult = {
    seed,
    ending,
    endedAt,
    events: events.length,
    trace: events,
    hash: traceHash(events),
    history: live.recorder.history,
    bounds: DEFAULT_BOUNDS,
    networkHealed: live.network.healed,
    faultsEndAt,
    finalStates,
  };
  const topology = {
    servers: cluster.servers,
    leader: cluster.leader,
    clients: cluster.clients,
    clockSkewMs: {},
  };
  const network = {
    delayMinMs: faults.delayMinMs,
    delayMaxMs: faults.delayMaxMs,
    spikePermille: 0,
    spikeMs: 0,
    dropPermille: faults.dropPermille,
    duplicatePermille: faults.duplicatePermille,
    fifo: false,
  };
  const livenessBound = liveLivenessBound(cluster.store, cluster.knobs, topology, network);
  const verdicts = checkRun(cluster.store, result, topology, cluster.knobs, livenessBound);
  const run: ScenarioRun = {
    seed,
    preset: cluster.preset,
    store: cluster.store.name,
    knobs: cluster.knobs,
    topology,
    network,
    livenessBound,
    result,
    outcomes: [],
    verdicts,
    // A live run expects every guarantee to hold; informative findings never fail it.
    verdictFailures: judgeVerdicts({}, verdicts),
    notes: [
      {
        at: 0,
        text: `a live run on loopback: ${options.ops} operations from ${cluster.clients.length} clients, faults: ${options.faults.join(', ') || 'none'}; real times, not replayable`,
      },
    ],
  };
  return { run, faultsEndAt, interrupted };
}

/** What a live run cut before it went quiet can do when nothing bounds liveness: it has no scenario. */
export const LIVE_LIVENESS_MEND =
  "a live run's bound comes from its knobs and its faults (none while the relay drops messages): a longer --settle-ms gives the run time to go quiet, and liveness is then judged";

/** A live run's liveness bound: the store's, from the knobs and the relay's network. */
export function liveLivenessBound(
  store: StoreAdapter,
  knobs: Knobs,
  topology: Topology,
  network: NetworkConfig,
): LivenessBound {
  const bound = store.livenessBound(knobs, topology, network);
  return bound.ms === null ? { ...bound, mend: LIVE_LIVENESS_MEND } : bound;
}
