// A live node: one protocol machine (built exactly as the simulator builds it, from the store's
// knobs) on a TCP endpoint, with real timers and the real clock. Servers listen; clients dial.
// Whatever watches the run (the serve log, the live test's trace) sees each step through an observer.

import { performance } from 'node:perf_hooks';
import type { NodeId, Observation } from '../../protocol/core.ts';
import type { NodeSpec } from '../kernel/simulation.ts';
import type { WireMessage } from '../kernel/trace.ts';
import type { Knobs, StoreAdapter } from '../stores/index.ts';
import { type Address, Endpoint } from './endpoint.ts';
import { type Clock, MachineHost, REAL_TIMERS } from './host.ts';
import { type Envelope, type Hello, messageProblem, senderProblem } from './wire.ts';

/** What a live node tells the world about its steps. Every method is optional. */
export interface LiveObserver {
  /** A message leaves; the answer numbers it for the trace (undefined: no trace). */
  sent?(from: NodeId, to: NodeId, message: WireMessage): { id: number; sentAt: number } | undefined;
  delivered?(envelope: Envelope): void;
  /**
   * A message the node does not take in arrived (not the store's, not its sender's to send, or none
   * of the watched run's), and was dropped unread: why.
   */
  refused?(envelope: Envelope, why: string): void;
  /**
   * Why an envelope that fits the store is none of the watched run's (null: it is), so that the
   * node drops it unread: a recorded run takes in only what its own relays sent on.
   */
  foreign?(envelope: Envelope): string | null;
  recorded?(node: NodeId, observation: Observation): void;
  timerFired?(node: NodeId, timer: unknown): void;
  stateChanged?(node: NodeId, spec: NodeSpec<WireMessage>, state: unknown): void;
}

/** The real clock: milliseconds since `origin` for nowMs, the wall clock for a node's own clock. */
export function realClock(origin = performance.now()): Clock & { readonly origin: number } {
  return {
    origin,
    nowMs: () => Math.floor(performance.now() - origin),
    clockMs: () => Date.now(),
  };
}

/** Now on a time line every process on this machine shares (the wall clock, to a fraction of a ms). */
export function sharedNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * realClock's origin for a process that counts from another's moment `since` (read by sharedNow):
 * the servers of `serve --processes` log one time line, not one each.
 */
export function originSince(since: number): number {
  return Math.min(since - performance.timeOrigin, performance.now());
}

export interface ClusterSpec {
  readonly store: StoreAdapter;
  readonly preset: string;
  readonly knobs: Knobs;
  readonly servers: readonly NodeId[];
  readonly leader: NodeId;
  readonly clients: readonly NodeId[];
}

/** The simulator's own node specs for this cluster: the same machines, the same knobs. */
export function nodeSpecs(spec: ClusterSpec): NodeSpec<WireMessage>[] {
  return spec.store.nodes(
    { servers: spec.servers, leader: spec.leader, clients: spec.clients, clockSkewMs: {} },
    spec.knobs,
  );
}

export class LiveNode {
  readonly host: MachineHost;
  readonly endpoint: Endpoint;
  port = 0;
  /** Added to the real clock's reading: a clock step fault moves it. */
  private clockOffsetMs = 0;

  constructor(
    readonly spec: NodeSpec<WireMessage>,
    cluster: ClusterSpec,
    addressOf: (node: NodeId) => Address | undefined,
    clock: Clock,
    observer: LiveObserver = {},
    onWelcome?: (hello: Hello) => void,
  ) {
    const id = spec.id;
    this.endpoint = new Endpoint(id, {
      addressOf,
      onEnvelope: (envelope) => {
        observer.delivered?.(envelope);
        this.host.receive(envelope.from, envelope.message);
      },
      problemOf: (envelope) =>
        messageProblem(cluster.store.messageShapes, envelope.message) ??
        senderProblem(cluster.servers, cluster.store.clientRequests, envelope) ??
        observer.foreign?.(envelope) ??
        null,
      onRefused: (envelope, why) => observer.refused?.(envelope, why),
      hello: (greeter) => ({
        node: id,
        store: cluster.store.name,
        preset: cluster.preset,
        knobs: cluster.knobs,
        servers: cluster.servers,
        leader: cluster.leader,
        served: this.endpoint.heard.has(greeter),
      }),
      ...(onWelcome === undefined ? {} : { onWelcome }),
    });
    const ownClock: Clock = {
      nowMs: () => clock.nowMs(),
      clockMs: () => clock.clockMs() + this.clockOffsetMs,
    };
    this.host = new MachineHost(id, spec.machine, ownClock, REAL_TIMERS, {
      send: (to, message) => {
        const stamp = observer.sent?.(id, to, message);
        this.endpoint.send(to, message, stamp ?? {});
      },
      record: (observation) => observer.recorded?.(id, observation),
      timerFired: (timer) => observer.timerFired?.(id, timer),
      stateChanged: (state) => observer.stateChanged?.(id, spec, state),
    });
  }

  get id(): NodeId {
    return this.spec.id;
  }

  /** The node's clock jumps by `byMs` (negative: back in time); real time goes on as before. */
  stepClock(byMs: number): void {
    this.clockOffsetMs += byMs;
  }

  /** Listens on loopback (servers); 0 picks a free port. */
  async listen(port: number): Promise<number> {
    this.port = await this.endpoint.listen(port);
    return this.port;
  }

  /** The node stops as a crashed process would: no timers, no connections, its state kept aside. */
  async crash(): Promise<void> {
    this.host.crash();
    await this.endpoint.close();
  }

  /** Back on the network (a new free port when `port` is 0), then the machine's restart step. */
  async restart(port: number): Promise<void> {
    await this.listen(port);
    this.host.restart();
  }

  async stop(): Promise<void> {
    this.host.stop();
    await this.endpoint.close();
  }
}
