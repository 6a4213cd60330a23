// What a run leaves behind: the trace (every event, in the order the scheduler ran them) and the
// faults a script can inject. The trace's hash is its fingerprint: same scenario and seed, same hash.

import type { NodeId, Observation } from '../../protocol/core.ts';
import { leftOutOfJson, TextHash, ValueHash } from './hash.ts';

/** A message as the trace knows it: any object with a wire `type`. */
export interface WireMessage {
  readonly type: string;
}

export type Fault =
  | { readonly kind: 'crash'; readonly node: NodeId }
  | { readonly kind: 'restart'; readonly node: NodeId }
  /** Symmetric: nodes in different groups cannot reach each other. Nodes in no group are untouched. */
  | { readonly kind: 'partition'; readonly groups: readonly (readonly NodeId[])[] }
  /** One-way: messages from `from` to `to` are lost; the other direction still works. */
  | { readonly kind: 'cut'; readonly from: readonly NodeId[]; readonly to: readonly NodeId[] }
  /** Every partition and cut is lifted. */
  | { readonly kind: 'heal' }
  /** Messages on the link from → to are held back until it is released. */
  | { readonly kind: 'hold'; readonly from: NodeId; readonly to: NodeId }
  | { readonly kind: 'release'; readonly from: NodeId; readonly to: NodeId }
  /** The node's clock jumps by byMs (negative: back in time). */
  | { readonly kind: 'clockStep'; readonly node: NodeId; readonly byMs: number }
  /**
   * A fault aimed at one message: the next message of that type (`message`, or '*' for any) sent
   * on the link from → to after this point is lost, delivered twice, or late by byMs. The network
   * would otherwise draw these by chance; a plan that names them can be shrunk one by one.
   */
  | MessageFault;

export type MessageFault =
  | {
      readonly kind: 'drop';
      readonly message: string;
      readonly from: NodeId;
      readonly to: NodeId;
    }
  | {
      readonly kind: 'duplicate';
      readonly message: string;
      readonly from: NodeId;
      readonly to: NodeId;
      /** Extra delay of the message itself and of its copy (0 when absent), as `delay` gives one. */
      readonly byMs?: number;
      readonly copyByMs?: number;
    }
  | {
      readonly kind: 'delay';
      readonly message: string;
      readonly from: NodeId;
      readonly to: NodeId;
      readonly byMs: number;
    };

/** loss: the network's drop rate; planned: a drop fault aimed at this message. */
export type DropReason = 'loss' | 'planned' | 'partition' | 'down';

export type TraceEvent =
  | {
      readonly t: number;
      readonly kind: 'send';
      readonly id: number;
      readonly from: NodeId;
      readonly to: NodeId;
      readonly message: WireMessage;
      /** When it will arrive; null when it was dropped at once or held. */
      readonly deliverAt: number | null;
    }
  | {
      readonly t: number;
      readonly kind: 'duplicate';
      readonly id: number;
      readonly of: number;
      readonly from: NodeId;
      readonly to: NodeId;
      readonly message: WireMessage;
      readonly deliverAt: number;
    }
  | {
      readonly t: number;
      readonly kind: 'deliver';
      readonly id: number;
      readonly from: NodeId;
      readonly to: NodeId;
      readonly message: WireMessage;
      readonly sentAt: number;
    }
  | {
      readonly t: number;
      readonly kind: 'drop';
      readonly id: number;
      readonly from: NodeId;
      readonly to: NodeId;
      readonly message: WireMessage;
      readonly reason: DropReason;
    }
  | {
      readonly t: number;
      readonly kind: 'hold';
      readonly id: number;
      readonly from: NodeId;
      readonly to: NodeId;
      readonly message: WireMessage;
    }
  | { readonly t: number; readonly kind: 'timer'; readonly node: NodeId; readonly timer: unknown }
  | {
      readonly t: number;
      readonly kind: 'record';
      readonly node: NodeId;
      readonly observation: Observation;
    }
  | { readonly t: number; readonly kind: 'fault'; readonly fault: Fault }
  /** A node's state changed; `summary` is its store-specific digest (what it holds, what it has seen). */
  | { readonly t: number; readonly kind: 'state'; readonly node: NodeId; readonly summary: unknown }
  /** The script asked a client to do something it could not (it was down). */
  | { readonly t: number; readonly kind: 'refused'; readonly node: NodeId; readonly why: string };

/**
 * Adds one event to a trace's hash. Each kind is a tag, then its fields in a fixed order without
 * their names. What the trace says twice is hashed once: a message where it enters the network
 * (`send`, `duplicate`), and `deliver`, `drop` and `hold` name it by its id; a `state` digest,
 * which follows from the events before it, is not hashed at all, so a run that only hashes its
 * trace never builds one (docs/trace-format.md, "The trace hash").
 */
export function hashEvent(h: ValueHash, e: TraceEvent): void {
  switch (e.kind) {
    case 'send':
      hashSend(h, e.t, e.id, e.from, e.to, e.message, e.deliverAt);
      return;
    case 'duplicate':
      h.tag(2).number(e.t).number(e.id).number(e.of).string(e.from).string(e.to);
      h.value(e.message).number(e.deliverAt);
      return;
    case 'deliver':
      hashDeliver(h, e.t, e.id, e.from, e.to, e.sentAt);
      return;
    case 'drop':
      h.tag(4).number(e.t).number(e.id).string(e.from).string(e.to).string(e.reason);
      return;
    case 'hold':
      h.tag(5).number(e.t).number(e.id).string(e.from).string(e.to);
      return;
    case 'timer':
      h.tag(6).number(e.t).string(e.node).value(e.timer);
      return;
    case 'record':
      hashRecord(h, e.t, e.node, e.observation);
      return;
    case 'fault':
      h.tag(8).number(e.t).value(e.fault);
      return;
    case 'refused':
      h.tag(9).number(e.t).string(e.node).string(e.why);
      return;
    case 'state':
      return;
  }
}

// The three commonest events hashed from their fields: a run that only hashes its trace calls
// these without building the event (hashEvent calls them with one).

export function hashSend(
  h: ValueHash,
  t: number,
  id: number,
  from: NodeId,
  to: NodeId,
  message: WireMessage,
  deliverAt: number | null,
): void {
  h.tag(1).number(t).number(id).string(from).string(to);
  h.value(message).value(deliverAt);
}

export function hashDeliver(
  h: ValueHash,
  t: number,
  id: number,
  from: NodeId,
  to: NodeId,
  sentAt: number,
): void {
  h.tag(3).number(t).number(id).string(from).string(to).number(sentAt);
}

export function hashRecord(h: ValueHash, t: number, node: NodeId, observation: Observation): void {
  h.tag(7).number(t).string(node).value(observation);
}

/**
 * The characters JSON.stringify writes for a value, counted without writing them (a string's
 * escapes aside, so a little under for text full of quotes or control characters): what a kept
 * trace's bound counts, at a fraction of the cost of stringifying every event.
 */
export function jsonLength(v: unknown): number {
  switch (typeof v) {
    case 'string':
      return v.length + 2;
    case 'number':
      return v >= 0 && v < 1e9 && Math.floor(v) === v
        ? digits(v)
        : Number.isFinite(v)
          ? String(v).length
          : 4;
    case 'boolean':
      return v ? 4 : 5;
    case 'object':
      if (v === null) return 4;
      if (Array.isArray(v)) {
        let n = v.length > 0 ? v.length + 1 : 2; // brackets and commas
        for (const item of v) n += item === undefined ? 4 : jsonLength(item);
        return n;
      }
      if (typeof (v as { toJSON?: unknown }).toJSON === 'function')
        return jsonLength((v as { toJSON: () => unknown }).toJSON());
      return objectLength(v as Record<string, unknown>);
    default:
      // A function or a symbol: null in an array (a field holding one is left out before this).
      return 4;
  }
}

function objectLength(record: Record<string, unknown>): number {
  let n = 1;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    const v = record[key];
    if (leftOutOfJson(v)) continue;
    n += key.length + 4 + jsonLength(v); // `"key":` and a comma or the closing brace
  }
  return n === 1 ? 2 : n;
}

/** Decimal digits of a whole number below 10^9. */
function digits(n: number): number {
  let d = 1;
  for (let p = 10; p <= n; p *= 10) d++;
  return d;
}

/**
 * The hash of a trace: its fingerprint, the same as the run's hash whether the run kept its trace,
 * streamed it or only hashed it, and the same for the events read back from a saved trace.
 */
export function traceHash(trace: readonly TraceEvent[]): string {
  const h = new ValueHash();
  for (const event of trace) hashEvent(h, event);
  return h.hex();
}

/**
 * The trace hash as kvsim wrote it before the hash by structure: the JSON text of every event,
 * state digests included, each followed by a newline. Traces saved then (still kvsim-trace/1) carry
 * it as their `run.hash`; view computes it only to tell such a trace from an edited one.
 */
export function earlierTraceHash(trace: readonly TraceEvent[]): string {
  const h = new TextHash();
  for (const event of trace) h.update(JSON.stringify(event)).update('\n');
  return h.hex();
}
