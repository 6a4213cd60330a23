// The fault-injecting relay of a live run: a TCP proxy in front of every server, so that every link
// (client to server, server to server, and each reply back) passes through it line by line. Per
// link it delays, drops, duplicates, cuts (partition) and holds messages, as the simulated network
// does, and reports each decision to the recorder. Timing is real, so a run is not replayable.

import { createServer, type Server, Socket } from 'node:net';
import type { NodeId } from '../../protocol/core.ts';
import { Stream } from '../kernel/rng.ts';
import type { DropReason } from '../kernel/trace.ts';
import { type Address, LOOPBACK } from './endpoint.ts';
import type { LiveRecorder } from './recorder.ts';
import { type Envelope, encodeLine, readLines, writeText } from './wire.ts';

export interface LinkFaults {
  readonly delayMinMs: number;
  readonly delayMaxMs: number;
  readonly dropPermille: number;
  readonly duplicatePermille: number;
  /** A copy arrives up to this much later than a fresh draw, as a retransmitted packet would. */
  readonly duplicateLagMs: number;
}

/** Writes a line to the next hop; false when that connection is gone. */
type Hop = (line: string) => boolean;

interface Held {
  readonly envelope: Envelope;
  readonly hop: Hop;
}

/** The state every relay shares: rates, cut and held links, and what is still in flight. */
export class FaultNetwork {
  private readonly blocked = new Set<string>();
  private readonly held = new Map<string, Held[]>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly rng: Stream;

  constructor(
    readonly faults: LinkFaults,
    seed: number,
    private readonly recorder: LiveRecorder,
  ) {
    this.rng = new Stream('relay', seed);
  }

  /** Messages delayed on their way, and held ones: none, and the network is idle. */
  get inFlight(): number {
    let held = 0;
    for (const list of this.held.values()) held += list.length;
    return this.timers.size + held;
  }

  get healed(): boolean {
    return this.blocked.size === 0 && this.held.size === 0;
  }

  cut(from: NodeId, to: NodeId): void {
    this.blocked.add(link(from, to));
  }

  heal(): void {
    this.blocked.clear();
  }

  hold(from: NodeId, to: NodeId): void {
    if (!this.held.has(link(from, to))) this.held.set(link(from, to), []);
  }

  /** Held messages leave now, each with a fresh delay (they may arrive in any order). */
  release(from: NodeId, to: NodeId): void {
    const held = this.held.get(link(from, to)) ?? [];
    this.held.delete(link(from, to));
    for (const { envelope, hop } of held) {
      const { id, message } = envelope;
      const deliverAt = this.schedule(envelope, hop);
      const t = this.recorder.now();
      this.recorder.push({ t, kind: 'send', id: id ?? 0, from, to, message, deliverAt });
    }
  }

  heldLinks(): [NodeId, NodeId][] {
    return [...this.held.keys()].map((l) => l.split('>') as [NodeId, NodeId]);
  }

  /** One message on its way: cut, held, lost, or delayed (and maybe duplicated). */
  forward(envelope: Envelope, hop: Hop): void {
    const id = envelope.id ?? this.recorder.newMessageId();
    const e: Envelope = { ...envelope, id };
    const l = link(e.from, e.to);
    if (this.blocked.has(l)) {
      this.drop(e, 'partition');
      return;
    }
    const held = this.held.get(l);
    if (held !== undefined) {
      held.push({ envelope: e, hop });
      const { from, to, message } = e;
      this.recorder.push({ t: this.recorder.now(), kind: 'hold', id, from, to, message });
      return;
    }
    if (this.rng.chance(this.faults.dropPermille)) {
      this.drop(e, 'loss');
      return;
    }
    this.recorder.scheduled(id, this.schedule(e, hop));
    if (this.rng.chance(this.faults.duplicatePermille)) {
      const copy = this.recorder.newMessageId();
      const deliverAt = this.schedule({ ...e, id: copy }, hop, this.faults.duplicateLagMs);
      const { from, to, message } = e;
      const t = this.recorder.now();
      this.recorder.push({ t, kind: 'duplicate', id: copy, of: id, from, to, message, deliverAt });
    }
  }

  /** Drops whatever is still delayed (the run is over). */
  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.held.clear();
  }

  /** Sends `e` on after a drawn delay (plus up to `lagMs` more); returns when it will arrive. */
  private schedule(e: Envelope, hop: Hop, lagMs = 0): number {
    const { delayMinMs, delayMaxMs } = this.faults;
    const delay =
      this.rng.between(delayMinMs, delayMaxMs) + (lagMs > 0 ? this.rng.between(0, lagMs) : 0);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.blocked.has(link(e.from, e.to))) this.drop(e, 'partition');
      else {
        this.recorder.departs(e);
        if (!hop(encodeLine({ kind: 'envelope', envelope: e }))) this.drop(e, 'down');
      }
    }, delay);
    this.timers.add(timer);
    return this.recorder.now() + delay;
  }

  private drop(e: Envelope, reason: DropReason): void {
    const { from, to, message } = e;
    this.recorder.push({
      t: this.recorder.now(),
      kind: 'drop',
      id: e.id ?? 0,
      from,
      to,
      message,
      reason,
    });
  }
}

function link(from: NodeId, to: NodeId): string {
  return `${from}>${to}`;
}

/** The relay in front of one server: every connection to it is paired with one to the server. */
export class Relay {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    readonly target: NodeId,
    /** Where the server listens now; undefined while it is down. */
    private readonly upstream: () => Address | undefined,
    private readonly network: FaultNetwork,
    /**
     * What is wrong with an envelope (null: nothing): one that is none of the run's messages is not
     * passed on, nor recorded.
     */
    private readonly problemOf: (envelope: Envelope) => string | null,
  ) {}

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = createServer((down) => this.pair(down));
      server.once('error', reject);
      server.listen({ host: LOOPBACK, port: 0, exclusive: true }, () => {
        this.server = server;
        const address = server.address();
        this.port = typeof address === 'object' && address !== null ? address.port : 0;
        resolve(this.port);
      });
    });
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    const server = this.server;
    this.server = null;
    if (server === null) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private pair(down: Socket): void {
    const address = this.upstream();
    if (address === undefined) {
      down.destroy();
      return;
    }
    const up = new Socket();
    for (const socket of [down, up]) {
      this.sockets.add(socket);
      // One side gone and the pair is gone: the peer redials through the relay when it needs to.
      socket.on('close', () => {
        this.sockets.delete(socket);
        down.destroy();
        up.destroy();
      });
    }
    this.pipe(down, up);
    this.pipe(up, down);
    up.connect(address.port, address.host);
  }

  private pipe(source: Socket, sink: Socket): void {
    const hop: Hop = (line) => writeText(sink, line);
    readLines(source, (line, text) => {
      // Greetings are not protocol messages: they pass straight through. A line that is not one
      // of the store's messages is no message of the run: not passed on, not recorded.
      if (line.kind !== 'envelope') hop(`${text}\n`);
      else if (this.problemOf(line.envelope) === null) this.network.forward(line.envelope, hop);
    });
  }
}
