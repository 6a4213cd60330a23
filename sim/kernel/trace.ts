// What a run leaves behind: the trace (every event, in the order the scheduler ran them) and the
// faults a script can inject. The trace's hash is its fingerprint: same scenario and seed, same hash.

import type { NodeId, Observation } from '../../protocol/core.ts';
import { TextHash } from './hash.ts';

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
 * The hash of a trace: the JSON of every event, in order. It is stable because every event and
 * message is built with its fields in a fixed order (a test compares runs); reordering the fields
 * of a message type changes every hash that contains it.
 */
export function traceHash(trace: readonly TraceEvent[]): string {
  const h = new TextHash();
  for (const event of trace) h.update(JSON.stringify(event)).update('\n');
  return h.hex();
}
