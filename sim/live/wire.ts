// The live transport's framing: one JSON object a line over TCP. A protocol message travels in an
// envelope naming its sender and target (so that one connection can carry any link, and a relay
// can tell links apart); a `hello` line lets a client learn which store and knobs a server runs.

import type { Socket } from 'node:net';
import type { NodeId } from '../../protocol/core.ts';
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
  if (typeof raw !== 'object' || raw === null) return null;
  const o = raw as Record<string, unknown>;
  if (typeof o.hello === 'string') return { kind: 'hello', from: o.hello };
  if (typeof o.welcome === 'object' && o.welcome !== null)
    return { kind: 'welcome', hello: o.welcome as Hello };
  const message = o.message as { type?: unknown } | undefined;
  if (
    typeof o.from !== 'string' ||
    typeof o.to !== 'string' ||
    typeof message !== 'object' ||
    message === null ||
    typeof message.type !== 'string'
  )
    return null;
  return { kind: 'envelope', envelope: raw as Envelope };
}

/** Splits a byte stream into lines; `push` returns the complete ones, or null on an overlong line. */
export class LineSplitter {
  private buffered = '';

  push(chunk: string): string[] | null {
    const text = this.buffered + chunk;
    const lines = text.split('\n');
    this.buffered = lines.pop() ?? '';
    if (this.buffered.length > MAX_LINE_CHARS) return null;
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
