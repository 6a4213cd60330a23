// One node's TCP presence on loopback: it listens (a server), dials the nodes it has an address
// for, learns a route back to any node that writes to it (a client), and hands every envelope it
// reads to its node. A message it cannot place is lost, as on a real network: the protocol's own
// timeouts deal with that.

import { createServer, type Server, Socket } from 'node:net';
import type { NodeId } from '../../protocol/core.ts';
import type { WireMessage } from '../kernel/trace.ts';
import { type Envelope, encodeLine, type Hello, type Line, readLines, writeText } from './wire.ts';

export const LOOPBACK = '127.0.0.1';

/**
 * Clients a node hears from, at most, since it started: a peer making up a new name for every
 * message would otherwise grow what the node remembers of them (and a server's sessions) forever.
 */
export const MAX_HEARD = 10_000;

/** Connections a listening node keeps open at once, at most. */
export const MAX_CONNECTIONS = 256;

/**
 * Messages from clients a node has taken in and not yet answered, at most, before it stops reading
 * the connections they came on (the peers' writes then wait in TCP). A client pipelining requests
 * faster than the servers replicate them would otherwise be taken at its pace: the writes in flight
 * outgrow the replication timeout, every one is sent again, and the servers' memory fills. Reading
 * goes on once half of them are answered, or after PAUSE_MS at most: a request the protocol never
 * answers (a stale copy of one already answered) is counted that long, not for good.
 */
export const MAX_UNANSWERED = 1024;
export const PAUSE_MS = 1000;
/**
 * A connection is paused only with this many messages unanswered: a client that waits for each
 * answer before it asks again is never held back by another's flood (and a node keeps at most
 * MAX_CONNECTIONS, so such clients alone never reach MAX_UNANSWERED).
 */
export const PAUSED_FROM = 2;

export interface Address {
  readonly host: string;
  readonly port: number;
}

export interface EndpointOptions {
  /** Where a node lives (a server); undefined for a node that can only be answered (a client). */
  addressOf(node: NodeId): Address | undefined;
  onEnvelope(envelope: Envelope): void;
  /**
   * What is wrong with a message (not the store's: messageProblem; not its sender's to send:
   * senderProblem), or null. Such a message goes to onRefused instead of the node: its machine is
   * stepped only on what its own kind of peer sends.
   */
  problemOf?(envelope: Envelope): string | null;
  onRefused?(envelope: Envelope, why: string): void;
  /** A server answers a client's greeting with what it runs (`greeter` is the client's name). */
  hello?: (greeter: NodeId) => Hello;
  onWelcome?(hello: Hello): void;
  /** How long connections stay paused at most (PAUSE_MS). */
  pauseMs?: number;
}

/** A port already taken, or another failure to listen, in words. */
export class ListenError extends Error {
  constructor(
    readonly port: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

export class Endpoint {
  private server: Server | null = null;
  private readonly dialed = new Map<NodeId, Socket>();
  private readonly learned = new Map<NodeId, Socket>();
  private readonly sockets = new Set<Socket>();
  /** Every node without an address (a client) that has written to this one, ever (MAX_HEARD). */
  readonly heard = new Set<NodeId>();
  /** Messages from clients taken in on each connection and not yet answered on it. */
  private readonly waiting = new Map<Socket, number>();
  private unanswered = 0;
  /** Connections not read until the node has answered enough of what came in (MAX_UNANSWERED). */
  private readonly paused = new Set<Socket>();
  private pauseTimer: ReturnType<typeof setTimeout> | undefined = undefined;

  constructor(
    readonly id: NodeId,
    private readonly options: EndpointOptions,
  ) {}

  /** Listens on 127.0.0.1:port (0: any free port) and resolves with the port it got. */
  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = createServer((socket) => this.adopt(socket));
      // Peers holding connections open cannot take every file this process may open (its other
      // servers', in one serve): past this many, a new one is closed at once.
      server.maxConnections = MAX_CONNECTIONS;
      server.once('error', (error: NodeJS.ErrnoException) => {
        const why =
          error.code === 'EADDRINUSE'
            ? `port ${port} on ${LOOPBACK} is in use`
            : `cannot listen on ${LOOPBACK}:${port} (${error.code ?? error.message})`;
        reject(new ListenError(port, error.code, why));
      });
      server.listen({ host: LOOPBACK, port, exclusive: true }, () => {
        this.server = server;
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });
  }

  send(to: NodeId, message: WireMessage, extra: { id?: number; sentAt?: number } = {}): void {
    const socket = this.route(to);
    if (socket === undefined) return;
    this.answered(socket);
    writeText(
      socket,
      encodeLine({ kind: 'envelope', envelope: { from: this.id, to, message, ...extra } }),
    );
  }

  /** Greets a server (to learn what it runs); the answer arrives through onWelcome. */
  greet(server: NodeId): void {
    const socket = this.route(server);
    if (socket !== undefined) writeText(socket, encodeLine({ kind: 'hello', from: this.id }));
  }

  /** Closes the listener and every connection: the node is gone from the network. */
  close(): Promise<void> {
    this.resumeReading();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.dialed.clear();
    this.learned.clear();
    const server = this.server;
    this.server = null;
    if (server === null) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private route(to: NodeId): Socket | undefined {
    const address = this.options.addressOf(to);
    if (address === undefined) return this.learned.get(to);
    const open = this.dialed.get(to);
    if (open !== undefined) return open;
    const socket = new Socket();
    this.dialed.set(to, socket);
    this.adopt(socket, () => {
      if (this.dialed.get(to) === socket) this.dialed.delete(to);
    });
    socket.connect(address.port, address.host);
    return socket;
  }

  private adopt(socket: Socket, onClose?: () => void): void {
    this.sockets.add(socket);
    // A connection that fails is forgotten here, and redialled when a message needs it.
    readLines(socket, (line) => this.accept(line, socket));
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.unanswered -= this.waiting.get(socket) ?? 0;
      this.waiting.delete(socket);
      this.paused.delete(socket);
      for (const [node, s] of this.learned) if (s === socket) this.learned.delete(node);
      onClose?.();
    });
  }

  private accept(line: Line, socket: Socket): void {
    switch (line.kind) {
      case 'hello':
        if (this.options.hello !== undefined)
          writeText(socket, encodeLine({ kind: 'welcome', hello: this.options.hello(line.from) }));
        return;
      case 'welcome':
        this.options.onWelcome?.(line.hello);
        return;
      case 'envelope': {
        if (line.envelope.to !== this.id) return;
        const { from } = line.envelope;
        const client = this.options.addressOf(from) === undefined;
        const why =
          this.options.problemOf?.(line.envelope) ??
          (client && !this.heard.has(from) && this.heard.size >= MAX_HEARD
            ? `${this.id} has heard from ${MAX_HEARD} clients already, and takes no more`
            : null);
        if (why !== null) {
          this.options.onRefused?.(line.envelope, why);
          return;
        }
        if (client) {
          this.learned.set(from, socket);
          this.heard.add(from);
          this.taken(socket);
        }
        this.options.onEnvelope(line.envelope);
        return;
      }
    }
  }

  /** A client's message came in on `socket`: past MAX_UNANSWERED, stop reading what waits. */
  private taken(socket: Socket): void {
    this.waiting.set(socket, (this.waiting.get(socket) ?? 0) + 1);
    this.unanswered += 1;
    if (this.unanswered < MAX_UNANSWERED) return;
    for (const [waiter, count] of this.waiting) {
      if (count < PAUSED_FROM || this.paused.has(waiter)) continue;
      waiter.pause();
      this.paused.add(waiter);
    }
    if (this.pauseTimer === undefined) {
      const pauseMs = this.options.pauseMs ?? PAUSE_MS;
      this.pauseTimer = setTimeout(() => this.resumeReading(true), pauseMs);
      this.pauseTimer.unref();
    }
  }

  /** A message goes out on `socket`: it answers one of the clients' messages taken in there. */
  private answered(socket: Socket): void {
    const count = this.waiting.get(socket) ?? 0;
    if (count === 0) return;
    this.waiting.set(socket, count - 1);
    this.unanswered -= 1;
    if (this.paused.size > 0 && this.unanswered <= MAX_UNANSWERED / 2) this.resumeReading();
  }

  /** Reads every paused connection again; `forget`: what they sent so far counts no more. */
  private resumeReading(forget = false): void {
    clearTimeout(this.pauseTimer);
    this.pauseTimer = undefined;
    for (const socket of this.paused) {
      if (forget) {
        this.unanswered -= this.waiting.get(socket) ?? 0;
        this.waiting.set(socket, 0);
      }
      socket.resume();
    }
    this.paused.clear();
  }
}

/**
 * Greets a server on a fresh connection and resolves with what it runs; rejects with a sentence
 * when nothing answers there (refused, reset, not a kvsim server, or no answer within `withinMs`).
 */
export function probe(address: Address, from: NodeId, withinMs: number): Promise<Hello> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    const where = `${address.host}:${address.port}`;
    const fail = (why: string) => {
      socket.destroy();
      clearTimeout(timer);
      reject(new Error(`nothing answers at ${where} (${why})`));
    };
    const timer = setTimeout(() => fail(`no greeting within ${withinMs} ms`), withinMs);
    socket.on('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message));
    readLines(socket, (line) => {
      if (line.kind !== 'welcome') return;
      clearTimeout(timer);
      socket.destroy();
      resolve(line.hello);
    });
    socket.connect(address.port, address.host, () => {
      writeText(socket, encodeLine({ kind: 'hello', from }));
    });
  });
}
