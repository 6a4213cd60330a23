// The live shell's interpreter of a machine's effects: it holds one node's state, steps the
// unchanged protocol machine on each input, and carries out what it returns — a send goes to the
// transport, a timer to the timer service, a record to the observer. Sockets, clocks and timers are
// passed in, so that a test can drive this host and the simulation kernel with the same inputs.

import {
  type Effects,
  type Input,
  type Machine,
  type NodeId,
  type Observation,
  playEffects,
  type StepContext,
} from '../../protocol/core.ts';
import type { WireMessage } from '../kernel/trace.ts';

/** The real world as the host sees it: a clock and a timer service. */
export interface Clock {
  /** Milliseconds since the shell started (monotonic): the machine's `nowMs`. */
  nowMs(): number;
  /** The node's own clock (the wall clock on a real network): the machine's `clockMs`. */
  clockMs(): number;
}

export interface TimerService {
  /** `timer` is the machine's own record of the timer: a test shell can tell timers apart by it. */
  set(afterMs: number, fire: () => void, timer: unknown): unknown;
  clear(handle: unknown): void;
}

/** Where the host's effects go, and what it tells about each step (for a trace). */
export interface HostPorts {
  send(to: NodeId, message: WireMessage): void;
  record(observation: Observation): void;
  /** A timer fired and the machine is about to step on it. */
  timerFired?(timer: unknown): void;
  /** The step changed the node's state. */
  stateChanged?(state: unknown): void;
}

export const REAL_TIMERS: TimerService = {
  set: (afterMs, fire) => setTimeout(fire, afterMs),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class MachineHost {
  private state: unknown;
  private isUp = true;
  private readonly timers = new Map<string, unknown>();
  /** Where a step's effects go: the transport, the timer service, the observer. */
  private readonly out: Effects<WireMessage, unknown> = {
    send: (to, message) => this.ports.send(to, message),
    setTimer: (key, afterMs, timer) => this.arm(key, afterMs, timer),
    cancelTimer: (key) => this.disarm(key),
    record: (observation) => this.ports.record(observation),
  };

  constructor(
    readonly id: NodeId,
    // biome-ignore lint/suspicious/noExplicitAny: each node has its own state and timer types.
    private readonly machine: Machine<any, WireMessage, any, any>,
    private readonly clock: Clock,
    private readonly timerService: TimerService,
    private readonly ports: HostPorts,
  ) {
    this.state = machine.init();
  }

  get up(): boolean {
    return this.isUp;
  }

  get current(): unknown {
    return this.state;
  }

  /** How many timers are armed: none, and nothing in flight, means the node is idle. */
  get armedTimers(): number {
    return this.timers.size;
  }

  receive(from: NodeId, message: WireMessage): void {
    if (this.isUp) this.step({ type: 'receive', from, message });
  }

  invoke(opId: number, op: unknown, via: NodeId): void {
    if (this.isUp) this.step({ type: 'invoke', opId, op, via });
  }

  /** The node stops: its timers are dropped, and its state waits for `restart`. */
  crash(): void {
    if (!this.isUp) return;
    this.isUp = false;
    for (const handle of this.timers.values()) this.timerService.clear(handle);
    this.timers.clear();
  }

  /** The node comes back with what its machine says survives, then steps on `restart`. */
  restart(): void {
    if (this.isUp) return;
    this.isUp = true;
    const before = this.state;
    this.state = this.machine.recover(before);
    if (this.state !== before) this.ports.stateChanged?.(this.state);
    this.step({ type: 'restart' });
  }

  /** Stops every timer for good (the shell is shutting down). */
  stop(): void {
    this.crash();
  }

  private step(input: Input<WireMessage, unknown, unknown>): void {
    const ctx: StepContext = { nowMs: this.clock.nowMs(), clockMs: this.clock.clockMs() };
    const before = this.state;
    const result = this.machine.step(before, input, ctx);
    // The new state first, then the effects: one of them may step this host again.
    this.state = result.state;
    playEffects(result.effects, this.out);
    if (result.state !== before) this.ports.stateChanged?.(result.state);
  }

  /** Setting a key already armed re-arms it, as in the kernel. */
  private arm(key: string, afterMs: number, timer: unknown): void {
    this.disarm(key);
    const handle = this.timerService.set(
      afterMs,
      () => {
        if (this.timers.get(key) !== handle || !this.isUp) return;
        this.timers.delete(key);
        this.ports.timerFired?.(timer);
        this.step({ type: 'timer', timer });
      },
      timer,
    );
    this.timers.set(key, handle);
  }

  private disarm(key: string): void {
    const handle = this.timers.get(key);
    if (handle === undefined) return;
    this.timerService.clear(handle);
    this.timers.delete(key);
  }
}
