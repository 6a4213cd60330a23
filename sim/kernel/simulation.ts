// The simulation kernel: integer virtual time, one queue, and the one interpreter of the
// machines' effects. It owns the network (delay, loss, duplication, reordering, partitions,
// held links), node crashes and restarts, per-node clocks, the trace and the history.
// Every random choice comes from a named seeded stream; nothing here reads a real clock.

import type { Effect, Machine, NodeId, Observation, StepContext } from '../../protocol/core.ts';
import { EventHeap } from './heap.ts';
import { History } from './history.ts';
import { drawDelay, type NetworkConfig } from './network.ts';
import { Stream } from './rng.ts';
import {
  type DropReason,
  type Fault,
  type MessageFault,
  type TraceEvent,
  traceHash,
  type WireMessage,
} from './trace.ts';

export interface NodeSpec<M extends WireMessage> {
  readonly id: NodeId;
  readonly role: 'server' | 'client';
  // biome-ignore lint/suspicious/noExplicitAny: each node has its own state and timer types.
  readonly machine: Machine<any, M, any, any>;
  /** Initial clock offset from virtual time, in ms. */
  readonly clockSkewMs?: number;
  /** A small JSON digest of the node's state for the trace (what it holds, what it has seen). */
  readonly summarize?: (state: unknown) => unknown;
}

export interface Bounds {
  /** Virtual time at which the run stops even if events remain. */
  readonly maxTimeMs: number;
  readonly maxEvents: number;
  readonly maxQueue: number;
}

export const DEFAULT_BOUNDS: Bounds = {
  maxTimeMs: 3_600_000,
  maxEvents: 5_000_000,
  maxQueue: 1_000_000,
};

export interface SimulationOptions<M extends WireMessage> {
  readonly seed: string | number;
  readonly nodes: readonly NodeSpec<M>[];
  readonly network: NetworkConfig;
  readonly bounds?: Partial<Bounds>;
  /** Record the full trace (true by default); the history is always recorded. */
  readonly trace?: boolean;
}

/** What the script can ask for at a given time. */
export type Action =
  | {
      readonly kind: 'invoke';
      readonly opId: number;
      readonly client: NodeId;
      readonly op: unknown;
      readonly via: NodeId | null;
    }
  | { readonly kind: 'fault'; readonly fault: Fault };

export type Ending =
  | 'quiescent'
  /** Events remained at the time bound: something (a retry, a retransmission) never stopped. */
  | 'time-limit'
  | 'event-limit'
  | 'queue-limit';

export interface RunResult {
  readonly seed: string | number;
  readonly ending: Ending;
  readonly endedAt: number;
  readonly events: number;
  readonly trace: readonly TraceEvent[];
  readonly hash: string;
  readonly history: History;
  /** At the end no partition or cut is in force and no link is held (crashed nodes aside). */
  readonly networkHealed: boolean;
  /** Each node's final state and whether it is up. */
  readonly finalStates: ReadonlyMap<NodeId, { readonly state: unknown; readonly up: boolean }>;
}

type Queued<M> =
  | {
      readonly kind: 'deliver';
      readonly id: number;
      readonly from: number;
      readonly to: number;
      readonly message: M;
      readonly sentAt: number;
      /** Extra delay a `delay` fault aimed at this message adds when it leaves (also after a hold). */
      readonly extraMs?: number;
    }
  | {
      readonly kind: 'timer';
      readonly node: number;
      readonly key: string;
      readonly generation: number;
      readonly timer: unknown;
    };

/** A script action, kept out of the heap until its time comes (see `nextFromScript`). */
interface Scripted {
  readonly at: number;
  readonly action: Action;
}

interface Slot<M extends WireMessage> {
  readonly spec: NodeSpec<M>;
  readonly index: number;
  state: unknown;
  up: boolean;
  clockOffsetMs: number;
  readonly timers: Map<string, number>;
}

export class Simulation<M extends WireMessage> {
  readonly history = new History();
  private readonly trace: TraceEvent[] = [];
  private readonly tracing: boolean;
  private readonly queue = new EventHeap<Queued<M>>();
  /**
   * The script, in (time, order scheduled) once the run starts. It stays out of the heap so that
   * the heap holds only what is in flight (a long script would make every push and pop slower);
   * an action goes before any queued event due at the same time, exactly as if it had been pushed
   * first, which it was.
   */
  private readonly script: Scripted[] = [];
  private scriptNext = 0;
  /** No action was scheduled before an earlier one: the script needs no sort. */
  private scriptInOrder = true;
  private readonly slots: Slot<M>[];
  private readonly index = new Map<NodeId, number>();
  private readonly servers: NodeId[];
  private readonly bounds: Bounds;
  private readonly net: Stream;
  private readonly workload: Stream;
  /** blocked[from * n + to]: the link is cut by a partition. */
  private readonly blocked: Uint8Array;
  private readonly held = new Map<number, Queued<M>[]>();
  /** Message faults waiting for their message, per link, in the order they were armed. */
  private readonly aimed = new Map<number, MessageFault[]>();
  private readonly lastArrival: Float64Array;
  private now = 0;
  private nextMessage = 1;
  private nextGeneration = 1;
  private started = false;

  constructor(private readonly options: SimulationOptions<M>) {
    this.tracing = options.trace ?? true;
    this.bounds = { ...DEFAULT_BOUNDS, ...options.bounds };
    this.net = new Stream('network', options.seed);
    this.workload = new Stream('workload', options.seed);
    this.slots = options.nodes.map((spec, index) => {
      if (this.index.has(spec.id)) throw new Error(`node ${spec.id} is declared twice`);
      this.index.set(spec.id, index);
      return {
        spec,
        index,
        state: spec.machine.init(),
        up: true,
        clockOffsetMs: spec.clockSkewMs ?? 0,
        timers: new Map(),
      };
    });
    this.servers = options.nodes.filter((n) => n.role === 'server').map((n) => n.id);
    const n = this.slots.length;
    this.blocked = new Uint8Array(n * n);
    this.lastArrival = new Float64Array(n * n);
  }

  /** Schedules a script action at virtual time `at` (ties run in the order they were added). */
  schedule(at: number, action: Action): void {
    if (this.started) throw new Error('actions are scheduled before the run starts');
    if (!Number.isInteger(at) || at < 0)
      throw new Error(`a step's time must be a whole number of ms >= 0 (got ${at})`);
    const last = this.script[this.script.length - 1];
    if (last !== undefined && at < last.at) this.scriptInOrder = false;
    this.script.push({ at, action });
  }

  run(): RunResult {
    this.started = true;
    // A stable sort: actions due at the same time keep the order they were scheduled in.
    if (!this.scriptInOrder) this.script.sort((a, b) => a.at - b.at);
    for (const slot of this.slots) this.emitState(slot);
    let events = 0;
    let ending: Ending = 'quiescent';
    // A timer cancelled long ago still leaves the queue at its time: the run ends at the last real event.
    let lastEventAt = 0;
    const { maxTimeMs, maxEvents, maxQueue } = this.bounds;
    for (;;) {
      const fromScript = this.nextFromScript();
      const time = fromScript ? this.script[this.scriptNext]!.at : this.queue.peekTime();
      if (time === undefined) break;
      // Past the bound, a timer cancelled long ago is no reason to say the run did not settle.
      if (time > maxTimeMs && !fromScript && this.isStale(this.queue.peekItem()!)) {
        this.queue.pop();
        continue;
      }
      if (time > maxTimeMs) {
        ending = 'time-limit';
        lastEventAt = maxTimeMs;
        break;
      }
      if (events >= maxEvents) {
        ending = 'event-limit';
        break;
      }
      if (this.queue.size + this.script.length - this.scriptNext > maxQueue) {
        ending = 'queue-limit';
        break;
      }
      this.now = time;
      if (fromScript) this.act(this.script[this.scriptNext++]!.action);
      else if (!this.dispatch(this.queue.pop()!.item)) continue;
      events++;
      lastEventAt = time;
    }
    const finalStates = new Map(
      this.slots.map((s) => [s.spec.id, { state: s.state, up: s.up }] as const),
    );
    return {
      seed: this.options.seed,
      ending,
      endedAt: lastEventAt,
      events,
      trace: this.trace,
      hash: traceHash(this.trace),
      history: this.history,
      networkHealed: this.held.size === 0 && this.blocked.every((b) => b === 0),
      finalStates,
    };
  }

  /** Whether the next item is the script's: it is due no later than the queue's first. */
  private nextFromScript(): boolean {
    if (this.scriptNext >= this.script.length) return false;
    const queued = this.queue.peekTime();
    return queued === undefined || this.script[this.scriptNext]!.at <= queued;
  }

  private slot(id: NodeId): Slot<M> {
    const i = this.index.get(id);
    if (i === undefined) throw new Error(`unknown node '${id}'`);
    return this.slots[i]!;
  }

  /** Runs one queued item; false when it was a timer cancelled or re-armed since (not an event). */
  /** A timer that was cancelled, re-armed, or belongs to a node that crashed since. */
  private isStale(item: Queued<M>): boolean {
    if (item.kind !== 'timer') return false;
    const slot = this.slots[item.node]!;
    return !slot.up || slot.timers.get(item.key) !== item.generation;
  }

  private dispatch(item: Queued<M>): boolean {
    switch (item.kind) {
      case 'deliver':
        this.deliver(item);
        return true;
      case 'timer': {
        if (this.isStale(item)) return false;
        const slot = this.slots[item.node]!;
        slot.timers.delete(item.key);
        if (this.tracing)
          this.trace.push({ t: this.now, kind: 'timer', node: slot.spec.id, timer: item.timer });
        this.step(slot, { type: 'timer', timer: item.timer });
        return true;
      }
    }
  }

  private deliver(item: Extract<Queued<M>, { kind: 'deliver' }>): void {
    const target = this.slots[item.to]!;
    const n = this.slots.length;
    if (!target.up || this.blocked[item.from * n + item.to] === 1) {
      this.drop(item.id, item.from, item.to, item.message, target.up ? 'partition' : 'down');
      return;
    }
    const from = this.slots[item.from]!.spec.id;
    if (this.tracing) {
      this.trace.push({
        t: this.now,
        kind: 'deliver',
        id: item.id,
        from,
        to: target.spec.id,
        message: item.message,
        sentAt: item.sentAt,
      });
    }
    this.step(target, { type: 'receive', from, message: item.message });
  }

  private drop(id: number, from: number, to: number, message: M, reason: DropReason): void {
    if (!this.tracing) return;
    this.trace.push({
      t: this.now,
      kind: 'drop',
      id,
      from: this.slots[from]!.spec.id,
      to: this.slots[to]!.spec.id,
      message,
      reason,
    });
  }

  private step(slot: Slot<M>, input: unknown): void {
    const ctx: StepContext = { nowMs: this.now, clockMs: this.now + slot.clockOffsetMs };
    const before = slot.state;
    // biome-ignore lint/suspicious/noExplicitAny: the input matches the machine by construction.
    const result = slot.spec.machine.step(before, input as any, ctx);
    slot.state = result.state;
    this.interpret(slot, result.effects);
    if (result.state !== before) this.emitState(slot);
  }

  private emitState(slot: Slot<M>): void {
    if (this.tracing && slot.spec.summarize !== undefined) {
      this.trace.push({
        t: this.now,
        kind: 'state',
        node: slot.spec.id,
        summary: slot.spec.summarize(slot.state),
      });
    }
  }

  private interpret(slot: Slot<M>, effects: readonly Effect<M, unknown>[]): void {
    for (let i = 0; i < effects.length; i++) {
      const effect = effects[i]!;
      switch (effect.type) {
        case 'send':
          this.send(slot.index, this.slot(effect.to).index, effect.message);
          break;
        case 'setTimer': {
          const generation = this.nextGeneration++;
          slot.timers.set(effect.key, generation);
          this.queue.push(this.now + effect.afterMs, {
            kind: 'timer',
            node: slot.index,
            key: effect.key,
            generation,
            timer: effect.timer,
          });
          break;
        }
        case 'cancelTimer':
          slot.timers.delete(effect.key);
          break;
        case 'record':
          this.observe(slot, effect.observation);
          break;
      }
    }
  }

  private observe(slot: Slot<M>, observation: Observation): void {
    this.history.observe(this.now, observation);
    if (this.tracing)
      this.trace.push({ t: this.now, kind: 'record', node: slot.spec.id, observation });
  }

  private send(from: number, to: number, message: M): void {
    const id = this.nextMessage++;
    const n = this.slots.length;
    const link = from * n + to;
    const source = this.slots[from]!.spec.id;
    const target = this.slots[to]!.spec.id;
    if (this.blocked[link] === 1) {
      if (this.tracing)
        this.trace.push({
          t: this.now,
          kind: 'send',
          id,
          from: source,
          to: target,
          message,
          deliverAt: null,
        });
      this.drop(id, from, to, message, 'partition');
      return;
    }
    const aimed = this.aimed.size === 0 ? undefined : this.takeAimed(link, message);
    if (aimed?.kind === 'drop') {
      if (this.tracing)
        this.trace.push({
          t: this.now,
          kind: 'send',
          id,
          from: source,
          to: target,
          message,
          deliverAt: null,
        });
      this.drop(id, from, to, message, 'planned');
      return;
    }
    const extraMs = aimed?.kind === 'delay' || aimed?.kind === 'duplicate' ? aimed.byMs : undefined;
    const item: Queued<M> =
      extraMs !== undefined
        ? { kind: 'deliver', id, from, to, message, sentAt: this.now, extraMs }
        : { kind: 'deliver', id, from, to, message, sentAt: this.now };
    const copyExtraMs = aimed?.kind === 'duplicate' ? (aimed.copyByMs ?? 0) : 0;
    const held = this.held.get(link);
    if (held !== undefined) {
      held.push(item);
      const copy = aimed?.kind === 'duplicate' ? this.nextMessage++ : 0;
      if (copy !== 0) held.push({ ...item, id: copy, extraMs: copyExtraMs });
      if (this.tracing) {
        this.trace.push({
          t: this.now,
          kind: 'send',
          id,
          from: source,
          to: target,
          message,
          deliverAt: null,
        });
        this.trace.push({ t: this.now, kind: 'hold', id, from: source, to: target, message });
        if (copy !== 0)
          this.trace.push({
            t: this.now,
            kind: 'hold',
            id: copy,
            from: source,
            to: target,
            message,
          });
      }
      return;
    }
    const net = this.options.network;
    if (aimed === undefined && this.net.chance(net.dropPermille)) {
      if (this.tracing)
        this.trace.push({
          t: this.now,
          kind: 'send',
          id,
          from: source,
          to: target,
          message,
          deliverAt: null,
        });
      this.drop(id, from, to, message, 'loss');
      return;
    }
    const deliverAt = this.arrival(link, item.extraMs);
    if (this.tracing)
      this.trace.push({
        t: this.now,
        kind: 'send',
        id,
        from: source,
        to: target,
        message,
        deliverAt,
      });
    this.queue.push(deliverAt, item);
    if (aimed === undefined ? this.net.chance(net.duplicatePermille) : aimed.kind === 'duplicate') {
      const copy = this.nextMessage++;
      const copyAt = this.arrival(link, copyExtraMs);
      if (this.tracing) {
        this.trace.push({
          t: this.now,
          kind: 'duplicate',
          id: copy,
          of: id,
          from: source,
          to: target,
          message,
          deliverAt: copyAt,
        });
      }
      this.queue.push(copyAt, { ...item, id: copy });
    }
  }

  /**
   * The first fault aimed at this link whose type matches the message, taken so that it applies
   * once. A message a fault names draws neither loss nor duplication by chance: the plan decides.
   */
  private takeAimed(link: number, message: M): MessageFault | undefined {
    const list = this.aimed.get(link);
    if (list === undefined) return undefined;
    const i = list.findIndex((f) => f.message === '*' || f.message === message.type);
    if (i < 0) return undefined;
    const [fault] = list.splice(i, 1);
    if (list.length === 0) this.aimed.delete(link);
    return fault;
  }

  private arrival(link: number, extraMs = 0): number {
    const at = this.now + drawDelay(this.options.network, this.net) + extraMs;
    if (!this.options.network.fifo) return at;
    const fifoAt = Math.max(at, this.lastArrival[link]!);
    this.lastArrival[link] = fifoAt;
    return fifoAt;
  }

  private act(action: Action): void {
    if (action.kind === 'invoke') {
      this.invoke(action);
      return;
    }
    const fault = action.fault;
    if (this.tracing) this.trace.push({ t: this.now, kind: 'fault', fault });
    switch (fault.kind) {
      case 'crash':
        this.crash(this.slot(fault.node));
        return;
      case 'restart':
        this.restart(this.slot(fault.node));
        return;
      case 'partition':
        this.partition(fault.groups);
        return;
      case 'cut':
        for (const a of fault.from) for (const b of fault.to) this.block(a, b);
        return;
      case 'heal':
        this.blocked.fill(0);
        return;
      case 'hold': {
        const link = this.link(fault.from, fault.to);
        if (!this.held.has(link)) this.held.set(link, []);
        return;
      }
      case 'release':
        this.release(this.link(fault.from, fault.to));
        return;
      case 'clockStep':
        this.slot(fault.node).clockOffsetMs += fault.byMs;
        return;
      case 'drop':
      case 'duplicate':
      case 'delay': {
        const link = this.link(fault.from, fault.to);
        const list = this.aimed.get(link);
        if (list === undefined) this.aimed.set(link, [fault]);
        else list.push(fault);
        return;
      }
    }
  }

  private invoke(action: Extract<Action, { kind: 'invoke' }>): void {
    const client = this.slot(action.client);
    if (!client.up) {
      if (this.tracing)
        this.trace.push({
          t: this.now,
          kind: 'refused',
          node: client.spec.id,
          why: `${client.spec.id} is down`,
        });
      return;
    }
    const via = action.via ?? this.workload.pick(this.servers);
    this.step(client, { type: 'invoke', opId: action.opId, op: action.op, via });
  }

  private crash(slot: Slot<M>): void {
    if (!slot.up) return;
    slot.up = false;
    slot.timers.clear();
    if (slot.spec.role === 'client') this.history.abandon(this.now, slot.spec.id);
  }

  private restart(slot: Slot<M>): void {
    if (slot.up) return;
    slot.up = true;
    const before = slot.state;
    slot.state = slot.spec.machine.recover(before);
    if (slot.state !== before) this.emitState(slot);
    this.step(slot, { type: 'restart' });
  }

  private partition(groups: readonly (readonly NodeId[])[]): void {
    for (const [i, group] of groups.entries()) {
      for (const [j, other] of groups.entries()) {
        if (i === j) continue;
        for (const a of group) for (const b of other) this.block(a, b);
      }
    }
  }

  private link(from: NodeId, to: NodeId): number {
    return this.slot(from).index * this.slots.length + this.slot(to).index;
  }

  private block(from: NodeId, to: NodeId): void {
    this.blocked[this.link(from, to)] = 1;
  }

  /** Held messages leave now, each with a fresh delay: they may arrive in any order. */
  private release(link: number): void {
    const held = this.held.get(link);
    this.held.delete(link);
    for (const item of held ?? []) {
      if (item.kind !== 'deliver') continue;
      const deliverAt = this.arrival(link, item.extraMs);
      if (this.tracing) {
        const from = this.slots[item.from]!.spec.id;
        const to = this.slots[item.to]!.spec.id;
        this.trace.push({
          t: this.now,
          kind: 'send',
          id: item.id,
          from,
          to,
          message: item.message,
          deliverAt,
        });
      }
      this.queue.push(deliverAt, { ...item, sentAt: this.now });
    }
  }
}
