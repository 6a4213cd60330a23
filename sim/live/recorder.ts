// What a live run leaves behind, in the simulator's own shapes: trace events stamped with real
// milliseconds since the run began (in the order this process observed them), and the history the
// checkers read. It is the observer every live node reports to.

import { performance } from 'node:perf_hooks';
import type { NodeId, Observation } from '../../protocol/core.ts';
import { History } from '../kernel/history.ts';
import type { NodeSpec } from '../kernel/simulation.ts';
import type { TraceEvent, WireMessage } from '../kernel/trace.ts';
import type { Clock } from './host.ts';
import type { LiveObserver } from './node.ts';
import type { Envelope } from './wire.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type SendEvent = Mutable<Extract<TraceEvent, { kind: 'send' }>>;

export class LiveRecorder implements LiveObserver {
  readonly events: TraceEvent[] = [];
  readonly history = new History();
  private readonly origin = performance.now();
  private nextMessage = 1;
  /** Each message's send event, so that the relay can say when it will arrive. */
  private readonly sends = new Map<number, SendEvent>();
  /** Messages the run's nodes sent that no relay has taken in yet, by number (see claim). */
  private readonly unclaimed = new Map<number, string>();
  /** What a relay has sent on and no node has taken in yet, by number: link and message as JSON. */
  private readonly onTheWire = new Map<number, string>();

  /** Real milliseconds since the run began, whole: the trace's time. */
  now(): number {
    return Math.floor(performance.now() - this.origin);
  }

  /** The nodes' clock: the run's time for nowMs, the wall clock for each node's own clock. */
  readonly clock: Clock = { nowMs: () => this.now(), clockMs: () => Date.now() };

  newMessageId(): number {
    return this.nextMessage++;
  }

  push(event: TraceEvent): void {
    this.events.push(event);
  }

  sent(from: NodeId, to: NodeId, message: WireMessage): { id: number; sentAt: number } {
    const id = this.newMessageId();
    const t = this.now();
    const event: SendEvent = { t, kind: 'send', id, from, to, message, deliverAt: null };
    this.sends.set(id, event);
    this.unclaimed.set(id, wireText(event));
    this.push(event);
    return { id, sentAt: t };
  }

  /**
   * A relay takes in an envelope only once, and only as the run's node sent it (its number, link
   * and message): anything else reached the relay's port from outside the run, and is no message
   * of it. False for such an envelope.
   */
  claim(envelope: Envelope): boolean {
    const { id } = envelope;
    if (id === undefined || this.unclaimed.get(id) !== wireText(envelope)) return false;
    this.unclaimed.delete(id);
    return true;
  }

  /** A relay sends `envelope` on (a copy has its own number): a node may take it in once. */
  departs(envelope: Envelope): void {
    if (envelope.id !== undefined) this.onTheWire.set(envelope.id, wireText(envelope));
  }

  /** Why a node does not take `envelope` in: none of the run's relays sent it on (null: one did). */
  foreign(envelope: Envelope): string | null {
    const { id } = envelope;
    if (id !== undefined && this.onTheWire.get(id) === wireText(envelope)) {
      this.onTheWire.delete(id);
      return null;
    }
    return 'it is no message of this run (a peer outside it sent it)';
  }

  /** The relay has chosen when message `id` arrives. */
  scheduled(id: number, deliverAt: number): void {
    const event = this.sends.get(id);
    if (event !== undefined && event.deliverAt === null) event.deliverAt = deliverAt;
  }

  delivered(envelope: Envelope): void {
    const { from, to, message } = envelope;
    const id = envelope.id ?? this.newMessageId();
    const sentAt = envelope.sentAt ?? this.now();
    this.push({ t: this.now(), kind: 'deliver', id, from, to, message, sentAt });
  }

  recorded(node: NodeId, observation: Observation): void {
    const t = this.now();
    this.history.observe(t, observation);
    this.push({ t, kind: 'record', node, observation });
  }

  timerFired(node: NodeId, timer: unknown): void {
    this.push({ t: this.now(), kind: 'timer', node, timer });
  }

  stateChanged(node: NodeId, spec: NodeSpec<WireMessage>, state: unknown): void {
    if (spec.summarize !== undefined)
      this.push({ t: this.now(), kind: 'state', node, summary: spec.summarize(state) });
  }
}

/** An envelope's link and message as JSON: what must match for it to be the run's. */
function wireText(e: { from: NodeId; to: NodeId; message: WireMessage }): string {
  return JSON.stringify([e.from, e.to, e.message]);
}
