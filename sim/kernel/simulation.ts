// The simulation kernel: integer virtual time, one queue, and the one interpreter of the
// machines' effects. It owns the network (delay, loss, duplication, reordering, partitions,
// held links), node crashes and restarts, per-node clocks, the trace and the history.
// Every random choice comes from a named seeded stream; nothing here reads a real clock.

import {
  type ConfiguredStep,
  configuredStepOf,
  type Effects,
  type Machine,
  type NodeId,
  type Observation,
} from '../../protocol/core.ts';
import { ValueHash } from './hash.ts';
import { EventHeap } from './heap.ts';
import { History } from './history.ts';
import { drawDelay, type NetworkConfig } from './network.ts';
import { Stream, type StreamPosition } from './rng.ts';
import { TimerTable } from './timers.ts';
import {
  type DropReason,
  type Fault,
  hashDeliver,
  hashEvent,
  hashRecord,
  hashSend,
  jsonLength,
  type MessageFault,
  type TraceEvent,
  type WireMessage,
} from './trace.ts';

export interface NodeSpec<M extends WireMessage> {
  readonly id: NodeId;
  readonly role: 'server' | 'client';
  // biome-ignore lint/suspicious/noExplicitAny: each node has its own state and timer types.
  readonly machine: Machine<any, M, any, any>;
  /** Initial clock offset from virtual time, in ms. */
  readonly clockSkewMs?: number;
  /**
   * A small JSON digest of the node's state for the trace (what it holds, what it has seen). The
   * trace hash leaves digests out, so a run that only hashes its trace never calls this.
   */
  readonly summarize?: (state: unknown) => unknown;
}

export interface Bounds {
  /** Virtual time at which the run stops even if events remain. */
  readonly maxTimeMs: number;
  readonly maxEvents: number;
  /** Messages in flight and live timers (the script, allocated before the run, is not counted). */
  readonly maxQueue: number;
  /**
   * Characters of trace JSON kept in memory (the events themselves take about twice that) or
   * streamed: a run that keeps its trace stops here rather than exhausting the heap, and a run
   * that streams it stops at the same event, so that what it saves can be read back. Hashing the
   * trace keeps nothing, so this bound does not apply to it.
   */
  readonly maxTraceChars: number;
  /** Entries in the history: operations, replica changes and lock changes. */
  readonly maxHistory: number;
}

export const DEFAULT_BOUNDS: Bounds = {
  maxTimeMs: 3_600_000,
  maxEvents: 5_000_000,
  maxQueue: 1_000_000,
  maxTraceChars: 50_000_000,
  maxHistory: 4_000_000,
};

/**
 * The bounds on a run's size (the command line's --max-* flags): all but the time bound, which is
 * its scenario's own. A run made again from an edited scenario, or in a page's lab, keeps these.
 */
export type SizeBounds = Omit<Bounds, 'maxTimeMs'>;

export const SIZE_BOUNDS = ['maxEvents', 'maxQueue', 'maxTraceChars', 'maxHistory'] as const;

export function sizeBounds(bounds: Bounds): SizeBounds {
  const { maxEvents, maxQueue, maxTraceChars, maxHistory } = bounds;
  return { maxEvents, maxQueue, maxTraceChars, maxHistory };
}

export interface SimulationOptions<M extends WireMessage> {
  readonly seed: string | number;
  readonly nodes: readonly NodeSpec<M>[];
  readonly network: NetworkConfig;
  readonly bounds?: Partial<Bounds>;
  /**
   * The trace: kept in memory and hashed (true, the default), only hashed as it grows ('hash':
   * nothing kept, so a run of any length fits), or not recorded at all (false: the hash is the
   * empty trace's). The history is always recorded.
   */
  readonly trace?: boolean | 'hash';
  /** Receives each trace event's JSON as it happens (to stream the trace to a file). */
  readonly traceSink?: (json: string) => void;
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
  | 'queue-limit'
  | 'trace-limit'
  | 'history-limit';

export interface RunResult {
  readonly seed: string | number;
  readonly ending: Ending;
  readonly endedAt: number;
  readonly events: number;
  /** Every event, when the trace was kept (empty otherwise). */
  readonly trace: readonly TraceEvent[];
  readonly hash: string;
  readonly history: History;
  /** At the end no partition or cut is in force and no link is held (crashed nodes aside). */
  readonly networkHealed: boolean;
  /**
   * When the faults that ran had played out: the last fault action, or later when a message a
   * fault delayed leaves later (its extra delay counted from when it was sent or released).
   * 0 without faults. Liveness counts its bound from here (PROTOCOL.md §3: after faults heal).
   */
  readonly faultsEndAt: number;
  /** Each node's final state and whether it is up. */
  readonly finalStates: ReadonlyMap<NodeId, { readonly state: unknown; readonly up: boolean }>;
  /** The bounds the run had (an ending at a bound names which one). */
  readonly bounds: Bounds;
  /**
   * How many of the script's actions never ran, the run having ended at a bound first: the last
   * ones in (time, order scheduled). Absent where there is no script (a live run).
   */
  readonly scriptLeft?: number;
}

interface Delivery<M> {
  readonly kind: 'deliver';
  readonly id: number;
  readonly from: number;
  readonly to: number;
  readonly message: M;
  readonly sentAt: number;
  /** Extra delay a `delay` fault aimed at this message adds when it leaves (also after a hold). */
  readonly extraMs: number;
}

/**
 * A delivery, always built here with every field in the same order: deliveries of one shape keep
 * the kernel's loop monomorphic (spread copies and an optional field made four shapes, and V8
 * compiled the hottest functions again at each new one).
 */
function delivery<M>(
  id: number,
  from: number,
  to: number,
  message: M,
  sentAt: number,
  extraMs: number,
): Delivery<M> {
  return { kind: 'deliver', id, from, to, message, sentAt, extraMs };
}

/** An armed timer. Its node's table holds this very object while it is live: identity says stale. */
export interface Timer {
  readonly kind: 'timer';
  readonly node: number;
  readonly key: string;
  readonly timer: unknown;
}

type Queued<M> = Delivery<M> | Timer;

/**
 * A node as the kernel runs it. A slot is its node's timer table as well (it extends the table,
 * `timers` is itself): one object a node, so that arming a timer and telling a stale one, done
 * for every timer that leaves the queue, read no second object, a cold one with thousands of
 * clients.
 */
class Slot<M extends WireMessage> extends TimerTable {
  constructor(
    readonly spec: NodeSpec<M>,
    readonly index: number,
    /** The machine's step, given `config` first (its kind's step, shared by every node of it). */
    readonly step: ConfiguredStep<unknown, unknown, M, unknown, unknown>,
    readonly config: unknown,
    public state: unknown,
    public up: boolean,
    public clockOffsetMs: number,
  ) {
    super();
  }

  /** Live timers by key (a cancelled or re-armed timer's entry in the queue is stale). */
  get timers(): TimerTable {
    return this;
  }
}

/**
 * A whole world at one instant: every node's state, the queue (messages in flight, timers), the
 * network's partitions, held links and aimed faults, the random streams' positions, the history
 * and the trace so far. `Simulation.resume` runs on from it exactly as the original run did.
 * The machines' states are immutable values, so they are shared, not copied; so are completed
 * operations and queued items. A resumed run keeps the original's options, its trace sink too.
 */
export interface Snapshot<M extends WireMessage> {
  readonly options: SimulationOptions<M>;
  readonly now: number;
  readonly events: number;
  readonly lastEventAt: number;
  readonly nodes: readonly {
    readonly state: unknown;
    readonly up: boolean;
    readonly clockOffsetMs: number;
    readonly timers: TimerTable;
  }[];
  readonly queue: EventHeap<Queued<M>>;
  readonly stale: number;
  readonly scriptAt: readonly number[];
  readonly script: readonly Action[];
  readonly scriptSlot: readonly number[];
  readonly scriptNext: number;
  readonly cut: ReadonlySet<number>;
  readonly held: ReadonlyMap<number, readonly Queued<M>[]>;
  readonly aimed: ReadonlyMap<number, readonly MessageFault[]>;
  readonly lastArrival: ReadonlyMap<number, number>;
  readonly nextMessage: number;
  readonly net: StreamPosition;
  readonly workload: StreamPosition;
  readonly history: History;
  readonly trace: readonly TraceEvent[];
  readonly traceHash: ValueHash;
  readonly keptChars: number;
  readonly faultsEndAt: number;
}

export class Simulation<M extends WireMessage> {
  history = new History();
  private trace: TraceEvent[] = [];
  /** Trace events are built at all (kept, hashed or streamed). */
  private readonly tracing: boolean;
  private readonly keepTrace: boolean;
  /** The trace is kept or streamed: maxTraceChars bounds it. */
  private readonly boundTrace: boolean;
  /** The trace is only hashed: no event needs to be built as an object. */
  private readonly hashOnly: boolean;
  private readonly sink: ((json: string) => void) | undefined;
  private traceHash = new ValueHash();
  /** Characters of JSON (one line an event) the trace would write: what maxTraceChars bounds. */
  private keptChars = 0;
  private queue = new EventHeap<Queued<M>>();
  /** Timers in the queue that were cancelled, re-armed or lost in a crash since they were set. */
  private stale = 0;
  /**
   * The script, in (time, order scheduled) once ordered (by orderScript, or when the run starts).
   * It stays out of the heap so that the heap holds only what is in flight (a long script would
   * make every push and pop slower); an action goes before any queued event due at the same time,
   * exactly as if it had been pushed first, which it was.
   */
  private script: Action[] = [];
  /** When each action of the script is due (beside it rather than in a wrapper per action). */
  private scriptAt: number[] = [];
  /**
   * Each invocation's client as its slot index, found when the action is scheduled (-1 for a
   * fault, or a name no node has): at run time no invocation hashes its client's name, a cold
   * string with thousands of clients.
   */
  private scriptSlot: number[] = [];
  private scriptNext = 0;
  /** No action was scheduled before an earlier one: the script needs no sort. */
  private scriptInOrder = true;
  private readonly slots: Slot<M>[];
  private readonly index = new Map<NodeId, number>();
  /** Each node's name by slot: read here rather than through its slot and spec, two cold reads. */
  private readonly ids: NodeId[];
  private readonly servers: NodeId[];
  private readonly bounds: Bounds;
  private net: Stream;
  private workload: Stream;
  /**
   * Links (from * n + to) cut by a partition. A set, not an n × n table: with thousands of
   * clients a table is megabytes to clear at every heal and to copy at every snapshot.
   */
  private cut = new Set<number>();
  private held = new Map<number, Queued<M>[]>();
  /** Message faults waiting for their message, per link, in the order they were armed. */
  private aimed = new Map<number, MessageFault[]>();
  /** fifo: when the last message on each link arrives (a later one may not arrive before). */
  private lastArrival = new Map<number, number>();
  /** One context object, refilled at every step: machines read it and keep nothing of it. */
  private readonly ctx = { nowMs: 0, clockMs: 0 };
  /** The node being stepped, whose effects `out` carries out. */
  private stepping: Slot<M> | null = null;
  /** The sender of the message being delivered: a reply to it needs no lookup by name. */
  private senderName: NodeId | null = null;
  private senderIndex = 0;
  /** The sink a step hands its effects to: each is carried out at once, in the order given. */
  private readonly out: Effects<M, unknown> = {
    send: (to, message) =>
      this.send(
        this.stepping!.index,
        to === this.senderName ? this.senderIndex : this.indexOf(to),
        message,
      ),
    setTimer: (key, afterMs, timer) => this.setTimer(this.stepping!, key, afterMs, timer),
    cancelTimer: (key) => {
      if (this.stepping!.timers.delete(key)) this.unqueue(1);
    },
    record: (observation) => this.observe(this.stepping!, observation),
  };
  private now = 0;
  private nextMessage = 1;
  private events = 0;
  /** The time of the last event that ran (a stale timer is not an event). */
  private lastEventAt = 0;
  /** When the faults so far have played out (see RunResult.faultsEndAt). */
  private faultsEndAt = 0;
  private started = false;
  private ending: Ending | null = null;

  constructor(private readonly options: SimulationOptions<M>) {
    this.tracing = options.trace !== false || options.traceSink !== undefined;
    this.keepTrace = options.trace === true || options.trace === undefined;
    this.sink = options.traceSink;
    this.hashOnly = this.tracing && !this.keepTrace && this.sink === undefined;
    this.boundTrace = this.keepTrace || this.sink !== undefined;
    this.bounds = { ...DEFAULT_BOUNDS, ...options.bounds };
    this.net = new Stream('network', options.seed);
    this.workload = new Stream('workload', options.seed);
    this.slots = options.nodes.map((spec, index) => {
      if (this.index.has(spec.id)) throw new Error(`node ${spec.id} is declared twice`);
      this.index.set(spec.id, index);
      const { step, config } = configuredStepOf(spec.machine);
      const state = spec.machine.init();
      return new Slot(spec, index, step, config, state, true, spec.clockSkewMs ?? 0);
    });
    this.ids = options.nodes.map((n) => n.id);
    this.servers = options.nodes.filter((n) => n.role === 'server').map((n) => n.id);
  }

  /** Schedules a script action at virtual time `at` (ties run in the order they were added). */
  schedule(at: number, action: Action): void {
    if (this.started) throw new Error('actions are scheduled before the run starts');
    if (!Number.isInteger(at) || at < 0)
      throw new Error(`a step's time must be a whole number of ms >= 0 (got ${at})`);
    const n = this.scriptAt.length;
    if (n > 0 && at < this.scriptAt[n - 1]!) this.scriptInOrder = false;
    this.scriptAt.push(at);
    this.script.push(action);
    this.scriptSlot.push(action.kind === 'invoke' ? (this.index.get(action.client) ?? -1) : -1);
  }

  /**
   * Puts the script in time order now, so that the run starts at once (a prepared scenario calls
   * this after scheduling its steps). Without it the run does it when it starts; actions
   * scheduled after it are ordered then.
   */
  orderScript(): void {
    if (this.scriptInOrder) return;
    this.sortScript();
    this.scriptInOrder = true;
  }

  /** Runs to the end: quiescence or a bound. */
  run(): RunResult {
    this.runUntil(Number.POSITIVE_INFINITY);
    return this.result(this.ending ?? 'quiescent');
  }

  /**
   * Runs every event due at or before `untilMs`, then stops (to take a snapshot, say); `run()`
   * goes on from there. Returns the ending when the run ended on the way, else null.
   */
  runUntil(untilMs: number): Ending | null {
    this.start();
    this.ending ??= this.advance(untilMs);
    if (this.ending !== null && this.scriptNext === this.script.length) this.dropScript();
    return this.ending;
  }

  /**
   * Lets the script go once the run has ended with every action of it carried out: nothing reads
   * it again, and what follows a long run (its checks) need not share the heap with it (a step
   * and its operation, about 140 bytes an operation: 240 MB at 1.7M operations).
   */
  private dropScript(): void {
    this.script = [];
    this.scriptAt = [];
    this.scriptSlot = [];
    this.scriptNext = 0;
  }

  /** The world as it is now; `Simulation.resume(snapshot)` runs on from it. */
  snapshot(): Snapshot<M> {
    this.start();
    const lists = <T>(map: ReadonlyMap<number, readonly T[]>) =>
      new Map([...map].map(([k, v]) => [k, v.slice()] as const));
    return {
      options: this.options,
      now: this.now,
      events: this.events,
      lastEventAt: this.lastEventAt,
      nodes: this.slots.map((s) => ({
        state: s.state,
        up: s.up,
        clockOffsetMs: s.clockOffsetMs,
        timers: s.timers.clone(),
      })),
      queue: this.queue.clone(),
      stale: this.stale,
      scriptAt: this.scriptAt,
      script: this.script,
      scriptSlot: this.scriptSlot,
      scriptNext: this.scriptNext,
      cut: new Set(this.cut),
      held: lists(this.held),
      aimed: lists(this.aimed),
      lastArrival: new Map(this.lastArrival),
      nextMessage: this.nextMessage,
      net: this.net.position(),
      workload: this.workload.position(),
      history: this.history.clone(),
      trace: this.trace.slice(),
      traceHash: this.traceHash.clone(),
      keptChars: this.keptChars,
      faultsEndAt: this.faultsEndAt,
    };
  }

  /** A simulation in the state a snapshot holds (the snapshot stays as it was: fork it again). */
  static resume<M extends WireMessage>(snapshot: Snapshot<M>): Simulation<M> {
    const sim = new Simulation<M>(snapshot.options);
    sim.started = true;
    sim.now = snapshot.now;
    sim.events = snapshot.events;
    sim.lastEventAt = snapshot.lastEventAt;
    snapshot.nodes.forEach((node, i) => {
      const slot = sim.slots[i]!;
      slot.state = node.state;
      slot.up = node.up;
      slot.clockOffsetMs = node.clockOffsetMs;
      slot.timers.copy(node.timers);
    });
    sim.queue = snapshot.queue.clone();
    sim.stale = snapshot.stale;
    sim.scriptAt = snapshot.scriptAt as number[];
    sim.script = snapshot.script as Action[];
    sim.scriptSlot = snapshot.scriptSlot as number[];
    sim.scriptNext = snapshot.scriptNext;
    sim.cut = new Set(snapshot.cut);
    sim.held = new Map([...snapshot.held].map(([k, v]) => [k, v.slice()]));
    sim.aimed = new Map([...snapshot.aimed].map(([k, v]) => [k, v.slice()]));
    sim.lastArrival = new Map(snapshot.lastArrival);
    sim.nextMessage = snapshot.nextMessage;
    sim.net = new Stream('network', snapshot.options.seed, snapshot.net);
    sim.workload = new Stream('workload', snapshot.options.seed, snapshot.workload);
    sim.history = snapshot.history.clone();
    sim.trace = snapshot.trace.slice();
    sim.traceHash = snapshot.traceHash.clone();
    sim.keptChars = snapshot.keptChars;
    sim.faultsEndAt = snapshot.faultsEndAt;
    return sim;
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.orderScript();
    for (const slot of this.slots) this.emitState(slot);
  }

  /** Puts the script in time order; actions due at the same time keep the order they were added. */
  private sortScript(): void {
    const at = this.scriptAt;
    const script = this.script;
    const slots = this.scriptSlot;
    const n = at.length;
    let last = 0;
    for (let i = 0; i < n; i++) last = Math.max(last, at[i]!);
    let order: ArrayLike<number>;
    if (last * n + n <= Number.MAX_SAFE_INTEGER) {
      // Each action's time and place in one exact number: a typed array sorts numbers natively,
      // several times faster than a comparator.
      const keys = new Float64Array(n);
      for (let i = 0; i < n; i++) keys[i] = at[i]! * n + i;
      keys.sort();
      for (let i = 0; i < n; i++) keys[i] = keys[i]! % n;
      order = keys;
    } else order = at.map((_, i) => i).sort((a, b) => at[a]! - at[b]! || a - b);
    const sortedAt = new Array<number>(n);
    const sorted = new Array<Action>(n);
    const sortedSlot = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const k = order[i]!;
      sortedAt[i] = at[k]!;
      sorted[i] = script[k]!;
      sortedSlot[i] = slots[k]!;
    }
    this.scriptAt = sortedAt;
    this.script = sorted;
    this.scriptSlot = sortedSlot;
  }

  /** Runs items due at or before `untilMs`; null when it stopped there, else how the run ended. */
  private advance(untilMs: number): Ending | null {
    const { maxTimeMs, maxEvents, maxQueue, maxTraceChars, maxHistory } = this.bounds;
    const queue = this.queue;
    const script = this.script;
    const scriptAt = this.scriptAt;
    const scriptSlot = this.scriptSlot;
    const history = this.history;
    for (;;) {
      // The script's next action goes first when it is due no later than the queue's first item.
      let time = queue.peekTime();
      let fromScript = false;
      if (this.scriptNext < script.length) {
        const at = scriptAt[this.scriptNext]!;
        if (time === undefined || at <= time) {
          time = at;
          fromScript = true;
        }
      }
      if (time === undefined) return 'quiescent';
      if (time > untilMs) return null;
      if (time > maxTimeMs) {
        // Past the bound, a timer cancelled long ago is no reason to say the run did not settle.
        if (!fromScript && this.isStale(queue.peekItem()!)) {
          queue.pop();
          this.stale--;
          continue;
        }
        this.lastEventAt = maxTimeMs;
        return 'time-limit';
      }
      if (this.events >= maxEvents) return 'event-limit';
      if (queue.size - this.stale > maxQueue) return 'queue-limit';
      if (this.boundTrace && this.keptChars > maxTraceChars) return 'trace-limit';
      if (history.size > maxHistory) return 'history-limit';
      this.now = time;
      if (fromScript) {
        const next = this.scriptNext++;
        this.act(script[next]!, scriptSlot[next]!);
      } else {
        const item = queue.pop()!;
        if (item.kind === 'deliver') this.deliver(item);
        else if (!this.fire(item)) continue;
      }
      this.events++;
      this.lastEventAt = time;
    }
  }

  private result(ending: Ending): RunResult {
    const finalStates = new Map(
      this.slots.map((s) => [s.spec.id, { state: s.state, up: s.up }] as const),
    );
    return {
      seed: this.options.seed,
      ending,
      endedAt: this.lastEventAt,
      events: this.events,
      trace: this.trace,
      hash: this.traceHash.hex(),
      history: this.history,
      networkHealed: this.held.size === 0 && this.cut.size === 0,
      faultsEndAt: this.faultsEndAt,
      finalStates,
      bounds: this.bounds,
      scriptLeft: this.script.length - this.scriptNext,
    };
  }

  /** Records one trace event: hashed as it comes, kept and streamed when asked. */
  private emit(event: TraceEvent): void {
    hashEvent(this.traceHash, event);
    if (this.sink !== undefined) this.sink(JSON.stringify(event));
    // Counted alike kept or streamed: a streamed run ends where the same run keeping it ends.
    if (this.boundTrace) this.keptChars += jsonLength(event) + 1;
    if (this.keepTrace) this.trace.push(event);
  }

  private slot(id: NodeId): Slot<M> {
    return this.slots[this.indexOf(id)]!;
  }

  /** A node's slot index by name (a send reads no slot: with thousands of clients, a cold one). */
  private indexOf(id: NodeId): number {
    const i = this.index.get(id);
    if (i === undefined) throw new Error(`unknown node '${id}'`);
    return i;
  }

  /** A timer that was cancelled, re-armed, or belongs to a node that crashed since. */
  private isStale(item: Queued<M>): boolean {
    if (item.kind !== 'timer') return false;
    const slot = this.slots[item.node]!;
    return !slot.up || slot.timers.get(item.key) !== item;
  }

  /** Fires a timer; false when it was stale (not an event). */
  private fire(item: Timer): boolean {
    if (this.isStale(item)) {
      this.stale--;
      return false;
    }
    const slot = this.slots[item.node]!;
    slot.timers.delete(item.key);
    if (this.tracing)
      this.emit({ t: this.now, kind: 'timer', node: slot.spec.id, timer: item.timer });
    this.step(slot, { type: 'timer', timer: item.timer });
    return true;
  }

  private deliver(item: Delivery<M>): void {
    const target = this.slots[item.to]!;
    const n = this.slots.length;
    if (!target.up || (this.cut.size > 0 && this.cut.has(item.from * n + item.to))) {
      this.drop(item.id, item.from, item.to, item.message, target.up ? 'partition' : 'down');
      return;
    }
    const from = this.ids[item.from]!;
    if (this.tracing) {
      if (this.hashOnly)
        hashDeliver(this.traceHash, this.now, item.id, from, target.spec.id, item.sentAt);
      else
        this.emit({
          t: this.now,
          kind: 'deliver',
          id: item.id,
          from,
          to: target.spec.id,
          message: item.message,
          sentAt: item.sentAt,
        });
    }
    this.senderName = from;
    this.senderIndex = item.from;
    this.step(target, { type: 'receive', from, message: item.message });
    this.senderName = null;
  }

  private drop(id: number, from: number, to: number, message: M, reason: DropReason): void {
    if (!this.tracing) return;
    this.emit({
      t: this.now,
      kind: 'drop',
      id,
      from: this.ids[from]!,
      to: this.ids[to]!,
      message,
      reason,
    });
  }

  private step(slot: Slot<M>, input: unknown): void {
    const ctx = this.ctx;
    ctx.nowMs = this.now;
    ctx.clockMs = this.now + slot.clockOffsetMs;
    const before = slot.state;
    this.stepping = slot;
    // biome-ignore lint/suspicious/noExplicitAny: the input matches the machine by construction.
    slot.state = slot.step(slot.config, before, input as any, ctx, this.out);
    this.stepping = null;
    if (slot.state !== before) this.emitState(slot);
  }

  private emitState(slot: Slot<M>): void {
    // The hash leaves digests out: a run that only hashes its trace needs none.
    if (this.tracing && !this.hashOnly && slot.spec.summarize !== undefined) {
      this.emit({
        t: this.now,
        kind: 'state',
        node: slot.spec.id,
        summary: slot.spec.summarize(slot.state),
      });
    }
  }

  private setTimer(slot: Slot<M>, key: string, afterMs: number, payload: unknown): void {
    const timer: Timer = { kind: 'timer', node: slot.index, key, timer: payload };
    const rearmed = slot.timers.set(timer);
    this.queue.push(this.now + afterMs, timer);
    if (rearmed) this.unqueue(1);
  }

  /**
   * Counts timers made stale; once they outnumber the live items, the queue drops them (a client
   * cancels a timeout at every answer: left in place, they would grow the heap with the clients).
   * A small floor: on the bench workload, 256 kept the heap at 56 entries for 7 live ones, and
   * every push and pop paid for the depth; at 16 it holds about 15, and dropping is in place.
   */
  private unqueue(count: number): void {
    this.stale += count;
    if (this.stale > 16 && this.stale * 2 > this.queue.size) {
      this.queue.retain((item) => !this.isStale(item));
      this.stale = 0;
    }
  }

  private observe(slot: Slot<M>, observation: Observation): void {
    this.history.observe(this.now, observation);
    if (!this.tracing) return;
    if (this.hashOnly) hashRecord(this.traceHash, this.now, slot.spec.id, observation);
    else this.emit({ t: this.now, kind: 'record', node: slot.spec.id, observation });
  }

  /** A send as the trace tells it; deliverAt null: dropped at once or held. */
  private emitSend(id: number, from: number, to: number, message: M, deliverAt: number | null) {
    const ids = this.ids;
    if (this.hashOnly) {
      hashSend(this.traceHash, this.now, id, ids[from]!, ids[to]!, message, deliverAt);
      return;
    }
    this.emit({
      t: this.now,
      kind: 'send',
      id,
      from: ids[from]!,
      to: ids[to]!,
      message,
      deliverAt,
    });
  }

  private send(from: number, to: number, message: M): void {
    const id = this.nextMessage++;
    const n = this.slots.length;
    const link = from * n + to;
    if (this.cut.size > 0 && this.cut.has(link)) {
      if (this.tracing) this.emitSend(id, from, to, message, null);
      this.drop(id, from, to, message, 'partition');
      return;
    }
    const aimed = this.aimed.size === 0 ? undefined : this.takeAimed(link, message);
    if (aimed?.kind === 'drop') {
      // A drop planned earlier is a fault now, when it takes this message.
      this.faultLastsUntil(this.now);
      if (this.tracing) this.emitSend(id, from, to, message, null);
      this.drop(id, from, to, message, 'planned');
      return;
    }
    const extraMs = aimed?.kind === 'delay' || aimed?.kind === 'duplicate' ? (aimed.byMs ?? 0) : 0;
    const item = delivery(id, from, to, message, this.now, extraMs);
    const copyExtraMs = aimed?.kind === 'duplicate' ? (aimed.copyByMs ?? 0) : 0;
    const held = this.held.size === 0 ? undefined : this.held.get(link);
    // What a fault delays is its doing until it leaves late (a held one: when released).
    if (held === undefined && aimed !== undefined)
      this.faultLastsUntil(this.now + Math.max(extraMs, copyExtraMs));
    if (held !== undefined) {
      held.push(item);
      const copy = aimed?.kind === 'duplicate' ? this.nextMessage++ : 0;
      if (copy !== 0) held.push(delivery(copy, from, to, message, this.now, copyExtraMs));
      if (this.tracing) {
        this.emitSend(id, from, to, message, null);
        const source = this.ids[from]!;
        const target = this.ids[to]!;
        this.emit({ t: this.now, kind: 'hold', id, from: source, to: target, message });
        if (copy !== 0)
          this.emit({ t: this.now, kind: 'hold', id: copy, from: source, to: target, message });
      }
      return;
    }
    const net = this.options.network;
    if (aimed === undefined && this.net.chance(net.dropPermille)) {
      if (this.tracing) this.emitSend(id, from, to, message, null);
      this.drop(id, from, to, message, 'loss');
      return;
    }
    const deliverAt = this.arrival(link, item.extraMs);
    if (this.tracing) this.emitSend(id, from, to, message, deliverAt);
    this.queue.push(deliverAt, item);
    if (aimed === undefined ? this.net.chance(net.duplicatePermille) : aimed.kind === 'duplicate') {
      const copy = this.nextMessage++;
      const copyAt = this.arrival(link, copyExtraMs);
      if (this.tracing) {
        this.emit({
          t: this.now,
          kind: 'duplicate',
          id: copy,
          of: id,
          from: this.ids[from]!,
          to: this.ids[to]!,
          message,
          deliverAt: copyAt,
        });
      }
      this.queue.push(copyAt, delivery(copy, from, to, message, this.now, extraMs));
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
    const fifoAt = Math.max(at, this.lastArrival.get(link) ?? 0);
    this.lastArrival.set(link, fifoAt);
    return fifoAt;
  }

  /** Carries out a script action; `slot` is an invocation's client's slot index (else -1). */
  private act(action: Action, slot: number): void {
    if (action.kind === 'invoke') {
      this.invoke(action, slot);
      return;
    }
    const fault = action.fault;
    if (this.tracing) this.emit({ t: this.now, kind: 'fault', fault });
    // A step that changes nothing is no fault (a crash of a node already down, a restart of one
    // up, a heal with nothing cut, a hold of a link held already, a release of one not held, a
    // partition or cut of links cut already, a clock step of 0), and a fault aimed at a message is
    // one when it takes its message (see send), not when it is armed: liveness counts its bound
    // from the last fault (README, livenessBoundMs).
    let changed = true;
    switch (fault.kind) {
      case 'crash':
      case 'restart': {
        const slot = this.slot(fault.node);
        changed = slot.up !== (fault.kind === 'restart');
        if (fault.kind === 'crash') this.crash(slot);
        else this.restart(slot);
        break;
      }
      case 'drop':
      case 'duplicate':
      case 'delay': {
        const link = this.link(fault.from, fault.to);
        const list = this.aimed.get(link);
        if (list === undefined) this.aimed.set(link, [fault]);
        else list.push(fault);
        return;
      }
      case 'partition':
        changed = this.partition(fault.groups);
        break;
      case 'cut':
        changed = false;
        for (const a of fault.from) for (const b of fault.to) if (this.block(a, b)) changed = true;
        break;
      case 'heal':
        changed = this.cut.size > 0;
        this.cut.clear();
        break;
      case 'hold': {
        const link = this.link(fault.from, fault.to);
        changed = !this.held.has(link);
        if (changed) this.held.set(link, []);
        break;
      }
      case 'release': {
        const link = this.link(fault.from, fault.to);
        changed = this.held.has(link);
        this.release(link);
        break;
      }
      case 'clockStep':
        changed = fault.byMs !== 0;
        this.slot(fault.node).clockOffsetMs += fault.byMs;
        break;
    }
    if (changed) this.faultLastsUntil(this.now);
  }

  private invoke(action: Extract<Action, { kind: 'invoke' }>, slot: number): void {
    // A name no node has is refused here, when it is due, as it always was.
    const client = slot >= 0 ? this.slots[slot]! : this.slot(action.client);
    if (!client.up) {
      if (this.tracing)
        this.emit({
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
    const armed = slot.timers.size;
    slot.timers.clear();
    this.unqueue(armed);
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

  /** Cuts every link between two groups; whether any was not cut already. */
  private partition(groups: readonly (readonly NodeId[])[]): boolean {
    let changed = false;
    for (const [i, group] of groups.entries()) {
      for (const [j, other] of groups.entries()) {
        if (i === j) continue;
        for (const a of group) for (const b of other) if (this.block(a, b)) changed = true;
      }
    }
    return changed;
  }

  private faultLastsUntil(t: number): void {
    if (t > this.faultsEndAt) this.faultsEndAt = t;
  }

  private link(from: NodeId, to: NodeId): number {
    return this.indexOf(from) * this.slots.length + this.indexOf(to);
  }

  /** Cuts a link; whether it was not cut already. */
  private block(from: NodeId, to: NodeId): boolean {
    const link = this.link(from, to);
    if (this.cut.has(link)) return false;
    this.cut.add(link);
    return true;
  }

  /** Held messages leave now, each with a fresh delay: they may arrive in any order. */
  private release(link: number): void {
    const held = this.held.get(link);
    this.held.delete(link);
    for (const item of held ?? []) {
      if (item.kind !== 'deliver') continue;
      this.faultLastsUntil(this.now + item.extraMs);
      const deliverAt = this.arrival(link, item.extraMs);
      if (this.tracing) this.emitSend(item.id, item.from, item.to, item.message, deliverAt);
      this.queue.push(
        deliverAt,
        delivery(item.id, item.from, item.to, item.message, this.now, item.extraMs),
      );
    }
  }
}
