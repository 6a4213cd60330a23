// The live transport's framing: one JSON object a line over TCP. A protocol message travels in an
// envelope naming its sender and target (so that one connection can carry any link, and a relay
// can tell links apart); a `hello` line lets a client learn which store and knobs a server runs.

import type { Socket } from 'node:net';
import type { FieldKind, NodeId } from '../../protocol/core.ts';
import type { WireMessage } from '../kernel/trace.ts';

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
  /** The clients this server has heard from since it started (a client checks its id is new). */
  readonly clients?: readonly NodeId[];
}

export type Line =
  | { readonly kind: 'envelope'; readonly envelope: Envelope }
  | { readonly kind: 'hello'; readonly from: NodeId }
  | { readonly kind: 'welcome'; readonly hello: Hello };

/** A line longer than this is not ours: the connection is closed rather than buffered forever. */
export const MAX_LINE_CHARS = 1_000_000;

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

/** Reads one line; null when it is not a line this transport writes (the peer's fault: skip it). */
export function decodeLine(text: string): Line | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(raw)) return null;
  if (typeof raw.hello === 'string') return { kind: 'hello', from: raw.hello };
  if (raw.welcome !== undefined)
    return isHello(raw.welcome) ? { kind: 'welcome', hello: raw.welcome } : null;
  const message = raw.message;
  if (
    typeof raw.from !== 'string' ||
    typeof raw.to !== 'string' ||
    !isRecord(message) ||
    typeof message.type !== 'string'
  )
    return null;
  return { kind: 'envelope', envelope: raw as unknown as Envelope };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const isNames = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((n) => typeof n === 'string');

/** A server's greeting as one writes it: a client builds its machine from what it says. */
function isHello(v: unknown): v is Hello {
  return (
    isRecord(v) &&
    typeof v.node === 'string' &&
    typeof v.store === 'string' &&
    typeof v.preset === 'string' &&
    isRecord(v.knobs) &&
    Object.values(v.knobs).every((k) => typeof k === 'string' || typeof k === 'number') &&
    isNames(v.servers) &&
    typeof v.leader === 'string' &&
    (v.clients === undefined || isNames(v.clients))
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

/** A value from outside as JSON, cut short: it goes in one line of a log. */
function quoted(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** Splits a byte stream into lines; `push` returns the complete ones, or null on an overlong line. */
export class LineSplitter {
  /**
   * A line begun but not yet ended, in the pieces it came in: joined once its end comes, so that
   * a peer trickling a long line a byte at a time costs each byte once, not the line so far.
   */
  private pieces: string[] = [];
  private piecesChars = 0;

  push(chunk: string): string[] | null {
    const lines = chunk.split('\n');
    const rest = lines.pop()!;
    if (lines.length > 0 && this.pieces.length > 0) {
      this.pieces.push(lines[0]!);
      lines[0] = this.pieces.join('');
      this.pieces = [];
      this.piecesChars = 0;
    }
    if (rest !== '') {
      this.pieces.push(rest);
      this.piecesChars += rest.length;
    }
    if (this.piecesChars > MAX_LINE_CHARS || lines.some((l) => l.length > MAX_LINE_CHARS))
      return null;
    return lines.filter((l) => l.trim() !== '');
  }
}

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
