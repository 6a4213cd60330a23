// The live transport's edge: whatever arrives on a socket is read as lines of JSON, and only a
// message that fits its store's vocabulary reaches a machine. A line that is not one is dropped
// with a reason, a line too long closes the connection, and a peer trickling bytes costs each byte
// once.

import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { MESSAGE_SHAPES as LOCK_SHAPES } from '../protocol/lock/messages.ts';
import { MESSAGE_SHAPES as REPLICATED_SHAPES } from '../protocol/replicated/messages.ts';
import type { WireMessage } from '../sim/kernel/trace.ts';
import {
  decodeLine,
  LineSplitter,
  MAX_LINE_CHARS,
  MAX_UNREAD_CHARS,
  messageProblem,
  writeText,
} from '../sim/live/wire.ts';

const put = { type: 'PUT', requestId: 'c1.1', attempt: 1, key: 'x', value: 'v', ackedBelow: 1 };
const problem = (m: Record<string, unknown>) =>
  messageProblem(REPLICATED_SHAPES, m as unknown as WireMessage);

describe('a message from a live peer', () => {
  it('passes when it has exactly the fields of its type, each of its kind', () => {
    expect(problem(put)).toBeNull();
    const { value: _, ...del } = put;
    expect(problem({ ...del, type: 'DELETE' })).toBeNull();
    expect(problem({ type: 'GET', requestId: 'c1.2', attempt: 1, key: 'x', tsClient: null })).toBe(
      null,
    );
    const replication = { requestId: 'w1', key: 'x', value: null, ts: -4, origin: 'c1.1' };
    expect(problem({ type: 'REPLICATION', ...replication })).toBeNull();
  });

  it('is refused, saying why, when a field is missing, of another kind, or not its own', () => {
    expect(problem({ type: 'PUT' })).toBe('PUT has no requestId');
    expect(problem({ ...put, attempt: '1' })).toBe('PUT\'s attempt is "1", not a number');
    expect(problem({ ...put, value: null })).toBe("PUT's value is null, not a string");
    expect(problem({ ...put, evil: 1 })).toBe('PUT has a field "evil" that no PUT has');
    expect(problem({ type: 'FOO' })).toBe('the store has no message of type "FOO"');
    // A type the other store has is not this store's.
    expect(problem({ type: 'ACQUIRE_LOCK', requestId: 'c1.1', attempt: 1, key: 'x' })).toBe(
      'the store has no message of type "ACQUIRE_LOCK"',
    );
    // Inherited names are no message types or fields.
    expect(problem({ type: 'constructor' })).toBe('the store has no message of type "constructor"');
    expect(problem({ ...put, ackedBelow: undefined })).toBe(
      "PUT's ackedBelow is undefined, not a number",
    );
    // What goes in a log line is cut short.
    expect(problem({ type: 'x'.repeat(1000) })!.length).toBeLessThan(100);
  });

  it('is held to the lock store vocabulary on a lock server', () => {
    const grant = { type: 'LOCK_GRANTED', requestId: 'c1.1', attempt: 1, key: 'x', token: 3 };
    expect(messageProblem(LOCK_SHAPES, grant as WireMessage)).toBeNull();
    expect(messageProblem(LOCK_SHAPES, { ...grant, token: 'x' } as WireMessage)).toBe(
      'LOCK_GRANTED\'s token is "x", not a number or null',
    );
    expect(messageProblem(LOCK_SHAPES, put as WireMessage)).toBe('PUT has no token');
  });
});

describe('reading lines', () => {
  it('keeps a line begun in one chunk until its end comes, however many chunks it takes', () => {
    const lines = new LineSplitter();
    const text = JSON.stringify({ from: 'c1', to: 's1', message: put });
    const got: string[] = [];
    for (const ch of `${text}\n${text}\n`) got.push(...lines.push(ch)!);
    expect(got).toEqual([text, text]);
    expect(lines.push('\n\n  \n')).toEqual([]);
  });

  it('gives up on a line longer than the transport writes, in pieces or whole', () => {
    const trickled = new LineSplitter();
    const piece = 'x'.repeat(64 * 1024);
    let ended: string[] | null = [];
    for (let sent = 0; ended !== null && sent <= MAX_LINE_CHARS; sent += piece.length)
      ended = trickled.push(piece);
    expect(ended).toBeNull();
    const whole = new LineSplitter();
    expect(whole.push('{}\n')).toEqual(['{}']);
    expect(whole.push(`${'y'.repeat(MAX_LINE_CHARS + 1)}\n`)).toBeNull();
  });

  it('reads a greeting only when it has the fields a client builds its machine from', () => {
    const hello = {
      node: 's1',
      store: 'replicated',
      preset: 'fixed',
      knobs: { replicationDelay: 0 },
      servers: ['s1', 's2'],
      leader: 's1',
    };
    expect(decodeLine(JSON.stringify({ welcome: hello }))).toEqual({ kind: 'welcome', hello });
    for (const broken of [
      { ...hello, servers: 's1' },
      { ...hello, knobs: { a: [] } },
      { ...hello, served: 'yes' },
      { ...hello, node: 'x'.repeat(65) },
      { ...hello, leader: undefined },
      [],
    ])
      expect(decodeLine(JSON.stringify({ welcome: broken }))).toBeNull();
    expect(decodeLine('{"from":"c1","to":"s1","message":[]}')).toBeNull();
  });

  it('reads an envelope as its own fields only, and names and numbers as the transport writes them', () => {
    const message = { type: 'GET', requestId: 'c1.1', attempt: 1, key: 'x', tsClient: null };
    const sent = { from: 'c1', to: 's1', message, id: 4, sentAt: 17 };
    // Whatever else a peer puts in an envelope goes no further (a relay writes the envelope again).
    expect(decodeLine(JSON.stringify({ ...sent, x: [[[1]]] }))).toEqual({
      kind: 'envelope',
      envelope: sent,
    });
    for (const broken of [
      { ...sent, id: { evil: 1 } },
      { ...sent, sentAt: 'yesterday' },
      { ...sent, id: -1 },
      { ...sent, from: 'c'.repeat(65) },
      { ...sent, to: 's 1' },
    ])
      expect(decodeLine(JSON.stringify(broken))).toBeNull();
  });
});

describe('writing to a peer', () => {
  it('closes the connection once the peer leaves too much unread', () => {
    // What a socket to a peer that reads nothing looks like: what is written waits in it.
    const socket = {
      destroyed: false,
      writableLength: 0,
      write(text: string) {
        this.writableLength += text.length;
        return false;
      },
      destroy() {
        this.destroyed = true;
      },
    };
    const answer = 'a'.repeat(900_000);
    let writes = 0;
    while (writeText(socket as unknown as Socket, answer)) writes++;
    expect(socket.destroyed).toBe(true);
    expect(writes).toBe(Math.floor(MAX_UNREAD_CHARS / answer.length));
    expect(writeText(socket as unknown as Socket, answer)).toBe(false);
  });
});
