// The live transport's framing: one JSON object a line over TCP. A protocol message travels in an
// envelope naming its sender and target (so that one connection can carry any link, and a relay
// can tell links apart); a `hello` line lets a client learn which store and knobs a server runs.

import type { Socket } from 'node:net';
import type { FieldKind, NodeId } from '../../protocol/core.ts';
import { clientOfRequestId } from '../../protocol/core.ts';
import type { WireMessage } from '../kernel/trace.ts';
import { clip } from '../render/safe-text.ts';
import { isObject } from '../render/trace-check.ts';
import { isNodeName } from '../scenario/limits.ts';

export interface Envelope {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly message: WireMessage;
  /** Set by a relay: the message's number in the live trace, and when the relay took it. */
  readonly id?: number;
  readonly sentAt?: number;
}

/** What a server tells a client that greets it. */
export interface Hello {
  readonly node: NodeId;
  readonly store: string;
  readonly preset: string;
  readonly knobs: Readonly<Record<string, string | number>>;
  readonly servers: readonly NodeId[];
  readonly leader: NodeId;
  /**
   * Whether this server has heard from a client of the greeter's name since it started (a client
   * checks that its id is new).
   */
  readonly served?: boolean;
}

export type Line =
  | { readonly kind: 'envelope'; readonly envelope: Envelope }
  | { readonly kind: 'hello'; readonly from: NodeId }
  | { readonly kind: 'welcome'; readonly hello: Hello };

/** A line longer than this is not ours: the connection is closed rather than buffered forever. */
export const MAX_LINE_CHARS = 1_000_000;

/**
 * Characters written to a connection and not yet taken by its peer, at most: a peer that asks and
 * never reads its answers has its connection closed rather than this process's memory filled.
 */
export const MAX_UNREAD_CHARS = 16 * MAX_LINE_CHARS;

/** Writes `text` to `socket`; false (and the connection closed) once its peer reads too little. */
export function writeText(socket: Socket, text: string): boolean {
  if (socket.destroyed) return false;
  socket.write(text);
  if (socket.writableLength <= MAX_UNREAD_CHARS) return true;
  socket.destroy();
  return false;
}

export function encodeLine(line: Line): string {
  switch (line.kind) {
    case 'envelope':
      return `${JSON.stringify(line.envelope)}\n`;
    case 'hello':
      return `${JSON.stringify({ hello: line.from })}\n`;
    case 'welcome':
      return `${JSON.stringify({ welcome: line.hello })}\n`;
  }
}

/** A whole number from 0 up, as the live trace numbers messages and times them. */
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** Reads one line; null when it is not a line this transport writes (the peer's fault: skip it). */
export function decodeLine(text: string): Line | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(raw)) return null;
  if (raw.hello !== undefined)
    return isNodeName(raw.hello) ? { kind: 'hello', from: raw.hello } : null;
  if (raw.welcome !== undefined)
    return isHello(raw.welcome) ? { kind: 'welcome', hello: raw.welcome } : null;
  const { from, to, message, id, sentAt } = raw;
  if (
    !isNodeName(from) ||
    !isNodeName(to) ||
    !isObject(message) ||
    typeof message.type !== 'string'
  )
    return null;
  if ((id !== undefined && !isCount(id)) || (sentAt !== undefined && !isCount(sentAt))) return null;
  // Built from the fields an envelope has, so that nothing else a peer adds travels on.
  const envelope: Envelope = {
    from,
    to,
    message: message as unknown as WireMessage,
    ...(id === undefined ? {} : { id }),
    ...(sentAt === undefined ? {} : { sentAt }),
  };
  return { kind: 'envelope', envelope };
}

/** A server's greeting as one writes it: a client builds its machine from what it says. */
function isHello(v: unknown): v is Hello {
  return (
    isObject(v) &&
    isNodeName(v.node) &&
    typeof v.store === 'string' &&
    typeof v.preset === 'string' &&
    isObject(v.knobs) &&
    Object.values(v.knobs).every((k) => typeof k === 'string' || typeof k === 'number') &&
    Array.isArray(v.servers) &&
    v.servers.every(isNodeName) &&
    isNodeName(v.leader) &&
    (v.served === undefined || typeof v.served === 'boolean')
  );
}

/**
 * What is wrong with a message by its store's vocabulary (`shapes`: each type's fields and what
 * they hold), in a few words; null when nothing is. A live node is stepped only on messages that
 * fit: its machine trusts every field to be there and of its type, as the simulator's always are.
 */
export function messageProblem(
  shapes: Readonly<Record<string, Readonly<Record<string, FieldKind>>>>,
  message: WireMessage,
): string | null {
  const { type } = message;
  const held = message as unknown as Readonly<Record<string, unknown>>;
  if (typeof type !== 'string' || !Object.hasOwn(shapes, type))
    return `the store has no message of type ${quoted(type)}`;
  const fields = shapes[type]!;
  for (const [field, kind] of Object.entries(fields)) {
    if (!Object.hasOwn(held, field)) return `${type} has no ${field}`;
    const v = held[field];
    if (!fits(v, kind)) return `${type}'s ${field} is ${quoted(v)}, not ${kindText[kind]}`;
  }
  for (const field of Object.keys(held))
    if (field !== 'type' && !Object.hasOwn(fields, field))
      return `${type} has a field ${quoted(field)} that no ${type} has`;
  return null;
}

/**
 * What is wrong with who sent a message; null when nothing is. A node that is none of `servers`
 * (a client) may send only what clients send (`requests`), and only under its own name: its
 * request id must name it (`c1.3` from c1). Else any peer on the machine could pass as a server to
 * a follower (a REPLICATION), or answer another client's requests for it.
 */
export function senderProblem(
  servers: readonly NodeId[],
  requests: readonly string[],
  envelope: Envelope,
): string | null {
  const { from, message } = envelope;
  if (servers.includes(from)) return null;
  if (!requests.includes(message.type))
    return `${message.type} comes from servers only, and ${from} is none of them`;
  const requestId = (message as unknown as { readonly requestId: string }).requestId;
  if (clientOfRequestId(requestId) !== from)
    return `${from}'s ${message.type} names another client's request, ${quoted(requestId)}`;
  return null;
}

function fits(v: unknown, kind: FieldKind): boolean {
  switch (kind) {
    case 'string':
      return typeof v === 'string';
    case 'string|null':
      return v === null || typeof v === 'string';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'number|null':
      return v === null || (typeof v === 'number' && Number.isFinite(v));
  }
}

const kindText: Readonly<Record<FieldKind, string>> = {
  string: 'a string',
  'string|null': 'a string or null',
  number: 'a number',
  'number|null': 'a number or null',
};

/**
 * A value from outside, in a few characters for one line of a log: a string or a number as JSON
 * writes it, cut short; an array or an object by its kind alone (writing it out could take the
 * stack, a peer's array nested thousands deep).
 */
function quoted(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(clip(v, 40));
  if (Array.isArray(v)) return 'an array';
  if (isObject(v)) return 'an object';
  return String(v);
}

/** Splits a byte stream into lines; `push` returns the complete ones, or null on an overlong line. */
export class LineSplitter {
  /**
   * A line begun but not yet ended, in the pieces it came in, joined once its end comes: a peer
   * trickling a long line a byte at a time costs each byte once, not the line so far. Short pieces
   * wait in `small` and go on as one once there are SMALL_PIECES of them, so that a line sent a
   * byte at a time is not held as a million strings of one character (each dozens of bytes).
   */
  private pieces: string[] = [];
  private small: string[] = [];
  private chars = 0;

  push(chunk: string): string[] | null {
    const lines = chunk.split('\n');
    const rest = lines.pop()!;
    if (lines.length > 0 && this.chars > 0) {
      lines[0] = this.pieces.join('') + this.small.join('') + lines[0];
      this.pieces = [];
      this.small = [];
      this.chars = 0;
    }
    if (rest !== '') {
      this.small.push(rest);
      this.chars += rest.length;
      if (this.small.length === SMALL_PIECES) {
        this.pieces.push(this.small.join(''));
        this.small = [];
      }
    }
    if (this.chars > MAX_LINE_CHARS || lines.some((l) => l.length > MAX_LINE_CHARS)) return null;
    return lines.filter((l) => l.trim() !== '');
  }
}

const SMALL_PIECES = 64;

/**
 * Reads a connection line by line: every line this transport writes goes to `onLine` (with its
 * text); anything else is skipped, an overlong line closes the connection, and so does an error
 * (a peer that vanished, refused or reset).
 */
export function readLines(socket: Socket, onLine: (line: Line, text: string) => void): void {
  socket.setNoDelay(true);
  socket.setEncoding('utf8');
  socket.on('error', () => socket.destroy());
  const lines = new LineSplitter();
  socket.on('data', (chunk: string) => {
    const complete = lines.push(chunk);
    if (complete === null) {
      socket.destroy();
      return;
    }
    for (const text of complete) {
      const line = decodeLine(text);
      if (line !== null) onLine(line, text);
    }
  });
}
