// Shared words and numbers for every view: how a time, a message, an operation and a fault are
// written. The terminal log, the space-time diagram and the HTML page all call these.

import type { Observation } from '../../protocol/core.ts';
import type { Ending } from '../kernel/simulation.ts';
import type { Fault, WireMessage } from '../kernel/trace.ts';

/** Virtual time as seconds with milliseconds: 25009 -> "25.009s". */
export function formatTime(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  return `${sign}${Math.floor(abs / 1000)}.${String(abs % 1000).padStart(3, '0')}s`;
}

/** A count with its noun: `1 run`, `2 runs`. */
export function counted(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** 1st, 2nd, 3rd, 4th, …, 11th, 12th, 13th, 21st: a place in a row, counted from 1. */
export function ordinal(n: number): string {
  const teen = Math.floor(n / 10) % 10 === 1;
  const suffix = teen ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' }[n % 10] ?? 'th');
  return `${n}${suffix}`;
}

/** A span of virtual time in words: 10000 -> "10 s", 1500 -> "1.5 s", 40 -> "40 ms". */
export function formatSpan(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  // Rounded to a tenth first, so that 6993 ms reads "7 s", not "7.0 s".
  const tenths = Math.round(ms / 100);
  return `${tenths % 10 === 0 ? tenths / 10 : (tenths / 10).toFixed(1)} s`;
}

/** Where a run that ended at a bound stopped, as a sentence names it. */
export const BOUND_NAMES: Readonly<Record<Ending, string>> = {
  quiescent: 'its end',
  'time-limit': 'the time bound',
  'event-limit': 'the event bound',
  'queue-limit': 'the queue-size bound',
  'trace-limit': 'the bound on the trace kept in memory',
  'history-limit': 'the history-size bound',
};

// Shown elsewhere in the line, or bookkeeping a reader of the timeline does not need.
const HIDDEN = new Set(['type', 'requestId', 'key', 'value', 'attempt', 'origin', 'ackedBelow']);

function show(value: unknown): string {
  return value === null ? '∅' : typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Why a message was dropped for a node down. In the simulator that node is its receiver; on a
 * live network a crash also closes the crashed server's connections, so a reply it had sent is
 * lost while its receiver is up. `isDown` (a node down at the drop) tells the two apart.
 */
export function downDropWhy(from: string, to: string, isDown?: (node: string) => boolean): string {
  if (isDown === undefined || isDown(to)) return `${to} is down`;
  if (isDown(from)) return `${from} is down and its connection closed`;
  return 'its connection closed';
}

/**
 * A message with its fields: `PUT c1.2 x=2`, `GET c1.3 x tsClient=5`, `REPLICATION w2 x=2 ts=7`.
 * A tombstone is written `x=⊥`; a retry shows its attempt as `#2`.
 */
export function formatMessage(message: WireMessage): string {
  const m = message as unknown as Record<string, unknown>;
  const parts: string[] = [message.type];
  if (typeof m.requestId === 'string') {
    parts.push(`${m.requestId}${attemptMark(m.attempt)}`);
  }
  if (typeof m.key === 'string') {
    if ('value' in m) parts.push(`${m.key}=${m.value === null ? '⊥' : show(m.value)}`);
    else parts.push(m.key);
  }
  for (const [name, value] of Object.entries(m)) {
    if (!HIDDEN.has(name)) parts.push(`${name}=${show(value)}`);
  }
  return parts.join(' ');
}

/** An operation as the timeline writes it: `PUT x=1`, `GET x`, `DELETE x`. */
export function operationText(
  op: 'put' | 'get' | 'delete',
  key: string,
  value: string | null,
): string {
  return op === 'put' ? `PUT ${key}=${value}` : op === 'get' ? `GET ${key}` : `DELETE ${key}`;
}

/**
 * An observation in words. An operation is named by its number and its request id together,
 * `op 6 (c1.5)`, as the checkers' sentences name it, so a student can follow either: the reply
 * gives the request id when the caller knows it (from the operation's invoke).
 */
export function formatObservation(o: Observation, requestId: string | null = null): string {
  switch (o.kind) {
    case 'invoke': {
      const what = operationText(o.op, o.key, o.value);
      return `issues op ${o.opId} (${o.requestId}): ${what}`;
    }
    case 'complete': {
      const got = o.value === null ? '' : ` ${o.value}`;
      const ts = o.ts === null ? '' : ` ts=${o.ts}`;
      const request = requestId === null ? '' : ` (${requestId})`;
      return `op ${o.opId}${request} done: ${o.reply}${got}${ts} from ${o.server}`;
    }
    case 'apply':
      return `stores ${o.key}=${o.value === null ? '⊥' : o.value} ts=${o.ts}`;
    case 'note':
      return o.text;
  }
}

/**
 * A timer as its kind and fields: `replicate writeId=w1 follower=s2`. A request's timer names
 * the attempt it waited for as messages do (`requestTimeout c1.2#3`), so that the resend after
 * it, `#4`, reads as the next one.
 */
export function formatTimer(timer: unknown): string {
  if (typeof timer !== 'object' || timer === null) return String(timer);
  const t = timer as Record<string, unknown>;
  const request = typeof t.requestId === 'string';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(t)) {
    if (k === 'kind') parts.push(String(v));
    else if (k === 'requestId' && request) parts.push(`${v}${attemptMark(t.attempt)}`);
    else if (!(k === 'attempt' && request)) parts.push(`${k}=${String(v)}`);
  }
  return parts.join(' ');
}

/** `#2` for a second attempt; nothing for the first. */
function attemptMark(attempt: unknown): string {
  return typeof attempt === 'number' && attempt > 1 ? `#${attempt}` : '';
}

export function formatFault(fault: Fault): string {
  switch (fault.kind) {
    case 'crash':
      return `${fault.node} crashes`;
    case 'restart':
      return `${fault.node} restarts`;
    case 'partition':
      return `partition ${fault.groups.map((g) => g.join(' ')).join(' | ')}`;
    case 'cut':
      return `one-way cut ${fault.from.join(' ')} ↛ ${fault.to.join(' ')}`;
    case 'heal':
      return 'the network heals';
    case 'hold':
      return `the link ${fault.from} → ${fault.to} is held`;
    case 'release':
      return `the link ${fault.from} → ${fault.to} is released`;
    case 'clockStep':
      return `${fault.node}'s clock steps ${fault.byMs >= 0 ? '+' : ''}${fault.byMs} ms`;
    case 'drop':
      return `the next ${aimedAt(fault)} is lost`;
    case 'duplicate':
      return `the next ${aimedAt(fault)} is delivered twice`;
    case 'delay':
      return `the next ${aimedAt(fault)} is ${fault.byMs} ms late`;
  }
}

/** The message a fault aims at: "REPLICATION s1 → s3", or "message s1 → s3" for any type. */
function aimedAt(fault: { message: string; from: string; to: string }): string {
  return `${fault.message === '*' ? 'message' : fault.message} ${fault.from} → ${fault.to}`;
}
