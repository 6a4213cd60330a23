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
        }
        this.options.onEnvelope(line.envelope);
        return;
      }
    }
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
