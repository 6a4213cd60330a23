// A verify world: every node's state, the messages in flight, each node's pending timers, what
// each client has still to do, the fault budgets spent and the history so far — and the moves that
// lead from one world to the next. Pure: a move returns a new world and leaves the old one as it was.
// Times are exact, so that a path of moves is a schedule the simulator can replay to the ms.

import {
  type Effects,
  type Machine,
  type NodeId,
  type Observation,
  playEffects,
} from '../../protocol/core.ts';
import type { WireMessage } from '../kernel/trace.ts';
import type { ClientOp } from '../stores/replicated.ts';
import type { Setup } from './setup.ts';

export interface InFlight {
  /** Send order; a copy made by a duplicate sits right after its original (seq + 0.5). */
  readonly seq: number;
  readonly from: number;
  readonly to: number;
  readonly message: WireMessage;
  readonly sentAt: number;
  /** It was duplicated or is the copy: it takes no further drop or duplicate. */
  readonly twin: boolean;
  /** It may arrive after timers fire (a delay fault); others arrive before the next timer. */
  readonly slow: boolean;
}

export interface PendingTimer {
  readonly node: number;
  readonly key: string;
  readonly deadline: number;
  /** When it was set (one set 2 ms or more before its deadline comes before every message due then). */
  readonly setAt: number;
  /**
   * The seq the next message sent after it was set would get: in the simulator's queue, the
   * messages due at its deadline that were sent before it (seq below this) run before it, the
   * rest after it (see World.inTimerMs).
   */
  readonly setSeq: number;
  readonly timer: unknown;
}

/** One line of the history: an observation when it happened, or a client's crash. */
export type Record =
  | { readonly t: number; readonly node: number; readonly observation: Observation }
  | { readonly t: number; readonly node: number; readonly abandon: true };

/** After the last move, messages still in flight arrive this much later than it (never, in the story). */
export const AFTER_END_MS = 1_000;

export interface Budgets {
  readonly drops: number;
  readonly duplicates: number;
  /** Messages that may arrive late: after timers that were due after their send. */
  readonly delays: number;
  /** Crashes of a server, each followed by its restart. */
  readonly crashes: number;
  /** Crashes of a client (it forgets its session, and what it held), each followed by its restart. */
  readonly clientCrashes: number;
  /** Crashes of a follower that never restarts (A11: the leader may wait for it forever). */
  readonly downForGood: number;
}

export interface World {
  readonly now: number;
  readonly states: readonly unknown[];
  readonly up: readonly boolean[];
  /** Down for good: it never restarts. */
  readonly gone: readonly boolean[];
  readonly clockOffsetMs: readonly number[];
  /** In send order. */
  readonly inFlight: readonly InFlight[];
  /** In firing order: by deadline, then the order they were set (as the simulator's queue). */
  readonly timers: readonly PendingTimer[];
  /** Per client (in Setup.clients order): how many of its operations it has issued. */
  readonly issued: readonly number[];
  /** Per clock step of the scenario: done yet. */
  readonly clockStepsDone: readonly boolean[];
  readonly used: Budgets;
  readonly records: readonly Record[];
  readonly nextSeq: number;
  /** The last move, when it was a delivery: another may follow in the same ms (same-ms mode). */
  readonly lastDelivery: { readonly t: number; readonly seq: number } | null;
  /**
   * In the ms `t` of a timer's deadline, the timer and the messages due then (sent at t - 1, not
   * slow) run in the simulator's queue order: the order they were queued in, a message when it
   * was sent, a timer when it was set (see positionOf). `pos` is the position of the last of
   * them that ran; what may still run on time in this ms comes after it. Messages due then and
   * queued before a timer (a 1 ms timer set after them) may arrive before it fires; the rest
   * after it, or late.
   */
  readonly inTimerMs: { readonly t: number; readonly pos: number } | null;
  /**
   * The latest time the schedule's story marks as a fault (PROTOCOL.md §3: liveness counts from
   * the last fault): a crash, restart or clock step, the send time of every message that is
   * dropped, duplicated or shares its link, type and ms with another, and 1 ms before a late
   * message arrives (the story delays it, and a delayed message is a fault until it leaves).
   */
  readonly faultAt: number;
  /** How this world was reached: the moves in reverse, shared with its ancestors. */
  readonly trail: Trail | null;
  readonly depth: number;
}

export interface Trail {
  readonly move: Move;
  readonly prev: Trail | null;
}

/** A move, with the time it happens at (drop and duplicate decide a message's fate, at no time). */
export type Move =
  | { readonly kind: 'deliver'; readonly seq: number; readonly at: number }
  | { readonly kind: 'timer'; readonly node: number; readonly key: string; readonly at: number }
  | {
      readonly kind: 'invoke';
      readonly client: number;
      readonly via: NodeId;
      readonly at: number;
    }
  | { readonly kind: 'drop'; readonly seq: number }
  | { readonly kind: 'duplicate'; readonly seq: number }
  | { readonly kind: 'slow'; readonly seq: number }
  | { readonly kind: 'crash'; readonly node: number; readonly at: number }
  | { readonly kind: 'restart'; readonly node: number; readonly at: number }
  | { readonly kind: 'downForGood'; readonly node: number; readonly at: number }
  | { readonly kind: 'clockStep'; readonly index: number; readonly at: number };

export function initialWorld(setup: Setup): World {
  return {
    now: 0,
    states: setup.nodes.map((n) => n.machine.init()),
    up: setup.nodes.map(() => true),
    gone: setup.nodes.map(() => false),
    clockOffsetMs: setup.nodes.map((n) => n.clockSkewMs ?? 0),
    inFlight: [],
    timers: [],
    issued: setup.clients.map(() => 0),
    clockStepsDone: setup.clockSteps.map(() => false),
    used: { drops: 0, duplicates: 0, delays: 0, crashes: 0, clientCrashes: 0, downForGood: 0 },
    records: [],
    nextSeq: 1,
    lastDelivery: null,
    inTimerMs: null,
    faultAt: 0,
    trail: null,
    depth: 0,
  };
}

/** Every node is up, or down for good: no restart is still to come. */
export function allBack(w: World): boolean {
  for (let i = 0; i < w.up.length; i++) if (!w.up[i] && !w.gone[i]) return false;
  return true;
}

/**
 * A complete schedule: every node is up (or down for good), no message or timer is left, and no
 * client can issue another operation (it has issued them all, or its session waits for an answer
 * that will never come). Only faults could still happen, and they would start another schedule.
 */
export function isComplete(setup: Setup, w: World): boolean {
  if (w.inFlight.length > 0 || w.timers.length > 0 || !allBack(w)) return false;
  return setup.clients.every(
    (c, i) => w.issued[i] === c.ops.length || !setup.sessionAllows(w.states[c.node]),
  );
}

/**
 * Every move the world allows. A timer fires at its deadline, and only the earliest; anything else
 * happens 1 ms after the last move, and only before that deadline (so the simulator, which runs a
 * due timer first, would run it in the same order). The network is faster than any timer and a
 * crash shorter: a timer fires only when every message in flight is slow (a fault) and every node
 * is up (or down for good), so that a timeout fires because a message was lost, slow, or sent to a
 * crashed node — or when it is due in the next ms, where nothing else fits before it; a message due
 * in that ms may then still arrive in it, before or after the timer as the simulator's queue
 * orders them (see World.inTimerMs).
 * In same-ms mode a delivery may also share the last delivery's ms, after it in send order, as
 * the simulator's queue orders a tie.
 */
export function movesOf(setup: Setup, w: World): Move[] {
  const moves: Move[] = [];
  const deadline = w.timers[0]?.deadline ?? Number.POSITIVE_INFINITY;
  const next = w.now + 1;
  // Every message in flight has arrived (or is slow, or was dropped), and every node is up (or
  // down for good).
  const quiet = w.inFlight.every((m) => m.slow) && allBack(w);
  // Nothing else fits before a timer due in the next ms: it fires, and what is in flight (or
  // down) comes after it, late (else such a world would be a dead end, its schedules unexplored).
  // But for the messages due then that the simulator's queue runs before it (sent in the ms
  // before, before a 1 ms timer was set): on time, they arrive first, one by one in that order
  // (late only by a fault: slow, dropped).
  const first = firstQueuedBefore(w);
  if (w.timers[0] !== undefined && (quiet || next >= deadline) && first === undefined) {
    const t = w.timers[0];
    moves.push({ kind: 'timer', node: t.node, key: t.key, at: t.deadline });
  }
  const sameMs = setup.sameMs && w.lastDelivery !== null && w.lastDelivery.t === w.now;
  if (next < deadline || sameMs) {
    // A duplicate and its original (one message object) lead to the same world, unless one of
    // them is slow: try one of them.
    for (const m of w.inFlight) {
      if (m.twin && hasTwinBefore(w.inFlight, m)) continue;
      if (sameMs && m.seq > w.lastDelivery!.seq && m.sentAt < w.now && w.now < deadline)
        moves.push({ kind: 'deliver', seq: m.seq, at: w.now });
      if (next < deadline) moves.push({ kind: 'deliver', seq: m.seq, at: next });
    }
  }
  // On time in a timer's ms, in the simulator's queue order, rather than late after the timer
  // (see World.inTimerMs). Sharing the last delivery's ms before any deadline, the rule above
  // lets it already.
  for (const m of w.inFlight) {
    const at = onTimeInTimerMs(w, m);
    if (at < 0 || (at === deadline && m !== first)) continue;
    if (m.twin && hasTwinBefore(w.inFlight, m)) continue;
    if (at === w.now && sameMs && w.now < deadline) continue;
    moves.push({ kind: 'deliver', seq: m.seq, at });
  }
  if (next < deadline) scriptMoves(setup, w, next, moves);
  const budget = setup.budgets;
  for (const m of w.inFlight) {
    if (!m.slow && w.used.delays < budget.delays) moves.push({ kind: 'slow', seq: m.seq });
    if (m.twin) continue;
    if (w.used.drops < budget.drops) moves.push({ kind: 'drop', seq: m.seq });
    if (w.used.duplicates < budget.duplicates) moves.push({ kind: 'duplicate', seq: m.seq });
  }
  return moves;
}

/** A timer's place in the simulator's queue among the messages due at its deadline (their seq). */
export function positionOf(t: PendingTimer): number {
  return t.setSeq - 0.25;
}

/**
 * The ms at which `m` may arrive on time in a timer's ms, in the simulator's queue order, or -1:
 * now, after what ran on time in this ms and before the timer still due in it; or next ms, where a
 * timer is due, when it was sent before that timer was set (see World.inTimerMs).
 */
export function onTimeInTimerMs(w: World, m: InFlight): number {
  if (m.slow) return -1;
  const first = w.timers[0];
  const ran = w.inTimerMs;
  if (m.sentAt === w.now - 1 && ran !== null && ran.t === w.now && m.seq > ran.pos)
    return first === undefined || first.deadline > w.now || m.seq < positionOf(first) ? w.now : -1;
  if (m.sentAt === w.now && first?.deadline === w.now + 1 && m.seq < positionOf(first))
    return w.now + 1;
  return -1;
}

/**
 * The first message (in send order) due at the next timer's deadline that the simulator's queue
 * runs before that timer, if any: it arrives before anything else may happen.
 */
function firstQueuedBefore(w: World): InFlight | undefined {
  const deadline = w.timers[0]?.deadline;
  if (deadline === undefined || deadline > w.now + 1) return undefined;
  let first: InFlight | undefined;
  for (const m of w.inFlight)
    if (onTimeInTimerMs(w, m) === deadline && (first === undefined || m.seq < first.seq)) first = m;
  return first;
}

/** How many of the timers due when `m` arrives on time come before it in the simulator's queue. */
export function timersBefore(w: World, m: InFlight): number {
  let n = 0;
  for (const t of w.timers) {
    if (t.deadline > m.sentAt + 1) break;
    if (t.deadline === m.sentAt + 1 && positionOf(t) < m.seq) n++;
  }
  return n;
}

/** Whether a copy of the same message, as slow as `m`, comes before it in flight. */
function hasTwinBefore(inFlight: readonly InFlight[], m: InFlight): boolean {
  for (const o of inFlight) {
    if (o === m) return false;
    if (o.twin && o.message === m.message && o.slow === m.slow) return true;
  }
  return false;
}

function crashable(setup: Setup, w: World, node: number): boolean {
  return setup.nodes[node]!.role === 'client'
    ? w.used.clientCrashes < setup.budgets.clientCrashes
    : w.used.crashes < setup.budgets.crashes;
}

function isFollower(setup: Setup, node: number): boolean {
  const spec = setup.nodes[node]!;
  return spec.role !== 'client' && spec.id !== setup.topology.leader;
}

/** What the scenario's script stands for: clients' operations, crashes, restarts, clock steps. */
function scriptMoves(setup: Setup, w: World, at: number, moves: Move[]): void {
  setup.clients.forEach((client, i) => {
    const op = client.ops[w.issued[i]!];
    const node = client.node;
    if (op === undefined || !w.up[node] || !setup.sessionAllows(w.states[node])) return;
    for (const via of op.via === null ? setup.servers : [op.via])
      moves.push({ kind: 'invoke', client: i, via, at });
  });
  w.up.forEach((up, node) => {
    if (!up) {
      if (!w.gone[node]) moves.push({ kind: 'restart', node, at });
      return;
    }
    if (crashable(setup, w, node)) moves.push({ kind: 'crash', node, at });
    if (w.used.downForGood < setup.budgets.downForGood && isFollower(setup, node))
      moves.push({ kind: 'downForGood', node, at });
  });
  w.clockStepsDone.forEach((done, index) => {
    if (!done) moves.push({ kind: 'clockStep', index, at });
  });
}

/** The world after a move. */
export function play(setup: Setup, w: World, move: Move): World {
  const b = new Builder(setup, w, move);
  switch (move.kind) {
    case 'deliver':
      b.deliver(move.seq);
      break;
    case 'timer':
      b.fire(move.node, move.key);
      break;
    case 'invoke': {
      const client = setup.clients[move.client]!;
      const op = client.ops[w.issued[move.client]!]!;
      b.issued = withAt(w.issued, move.client, w.issued[move.client]! + 1);
      b.step(client.node, { type: 'invoke', opId: b.nextOpId(), op: op.op, via: move.via });
      break;
    }
    case 'drop':
      b.faultOf(move.seq);
      b.inFlight = w.inFlight.filter((m) => m.seq !== move.seq);
      b.used = { ...w.used, drops: w.used.drops + 1 };
      break;
    case 'duplicate':
      b.duplicate(move.seq);
      break;
    case 'slow':
      // A fault only if it does arrive late (or not before the story ends): see deliver.
      b.inFlight = w.inFlight.map((m) => (m.seq === move.seq ? { ...m, slow: true } : m));
      b.used = { ...w.used, delays: w.used.delays + 1 };
      break;
    case 'crash':
      b.crash(move.node);
      break;
    case 'restart':
      b.restart(move.node);
      break;
    case 'downForGood':
      b.crash(move.node, true);
      break;
    case 'clockStep': {
      const step = setup.clockSteps[move.index]!;
      b.clockOffsetMs = withAt(w.clockOffsetMs, step.node, w.clockOffsetMs[step.node]! + step.byMs);
      b.clockStepsDone = withAt(w.clockStepsDone, move.index, true);
      b.faultAt = b.now;
      break;
    }
  }
  return b.build();
}

/**
 * Collects one move's changes; copies a field of the world only when the move touches it. It is
 * also the sink of the effects of the node it steps.
 */
class Builder implements Effects<WireMessage, unknown> {
  /** The node whose effects the sink methods (send, setTimer, cancelTimer, record) carry out. */
  private stepping = -1;
  now: number;
  states: unknown[] | null = null;
  up: readonly boolean[];
  gone: readonly boolean[];
  clockOffsetMs: readonly number[];
  inFlight: readonly InFlight[];
  timers: readonly PendingTimer[];
  issued: readonly number[];
  clockStepsDone: readonly boolean[];
  used: Budgets;
  records: readonly Record[];
  nextSeq: number;
  faultAt: number;

  constructor(
    private readonly setup: Setup,
    private readonly w: World,
    private readonly move: Move,
  ) {
    this.now = 'at' in move ? move.at : w.now;
    this.up = w.up;
    this.gone = w.gone;
    this.clockOffsetMs = w.clockOffsetMs;
    this.inFlight = w.inFlight;
    this.timers = w.timers;
    this.issued = w.issued;
    this.clockStepsDone = w.clockStepsDone;
    this.used = w.used;
    this.records = w.records;
    this.nextSeq = w.nextSeq;
    this.faultAt = w.faultAt;
  }

  /** The message is not on time: its send is a fault in the story (a step aimed at it). */
  faultOf(seq: number): void {
    const m = this.w.inFlight.find((x) => x.seq === seq)!;
    if (m.sentAt > this.faultAt) this.faultAt = m.sentAt;
  }

  /** Operation ids go in the order operations are issued, as a replay's script numbers them. */
  nextOpId(): number {
    let n = 1;
    for (const r of this.w.records) if ('observation' in r && r.observation.kind === 'invoke') n++;
    return n;
  }

  deliver(seq: number): void {
    const m = this.w.inFlight.find((x) => x.seq === seq)!;
    this.inFlight = this.w.inFlight.filter((x) => x !== m);
    // Late, it is a fault until it leaves: the story delays it to arrive now, on a 1 ms network.
    if (this.now !== m.sentAt + 1 && this.now - 1 > this.faultAt) this.faultAt = this.now - 1;
    // A message to a node that is down is lost on arrival, as in the simulator.
    if (!this.w.up[m.to]) return;
    const from = this.setup.nodes[m.from]!.id;
    this.step(m.to, { type: 'receive', from, message: m.message });
  }

  fire(node: number, key: string): void {
    const t = this.w.timers[0]!;
    this.timers = this.w.timers.slice(1);
    if (t.node !== node || t.key !== key) throw new Error('verify: a timer fired out of its order');
    this.step(node, { type: 'timer', timer: t.timer });
  }

  duplicate(seq: number): void {
    this.faultOf(seq);
    const list = this.w.inFlight.slice();
    const i = list.findIndex((x) => x.seq === seq);
    const m = list[i]!;
    list.splice(i, 1, { ...m, twin: true }, { ...m, seq: m.seq + 0.5, twin: true });
    this.inFlight = list;
    this.used = { ...this.w.used, duplicates: this.w.used.duplicates + 1 };
  }

  crash(node: number, forGood = false): void {
    this.up = withAt(this.up, node, false);
    this.timers = this.timers.filter((t) => t.node !== node);
    this.faultAt = this.now;
    const u = this.w.used;
    if (forGood) {
      this.gone = withAt(this.gone, node, true);
      this.used = { ...u, downForGood: u.downForGood + 1 };
    } else if (this.setup.nodes[node]!.role === 'client') {
      this.used = { ...u, clientCrashes: u.clientCrashes + 1 };
      this.records = [...this.records, { t: this.now, node, abandon: true }];
    } else this.used = { ...u, crashes: u.crashes + 1 };
  }

  restart(node: number): void {
    this.up = withAt(this.up, node, true);
    this.faultAt = this.now;
    const machine = this.setup.nodes[node]!.machine as Machine<
      unknown,
      WireMessage,
      unknown,
      unknown
    >;
    this.setState(node, machine.recover(this.w.states[node]));
    this.step(node, { type: 'restart' });
  }

  step(node: number, input: unknown): void {
    const spec = this.setup.nodes[node]!;
    const state = (this.states ?? this.w.states)[node];
    const ctx = { nowMs: this.now, clockMs: this.now + this.clockOffsetMs[node]! };
    // biome-ignore lint/suspicious/noExplicitAny: the input matches the machine by construction.
    const result = spec.machine.step(state, input as any, ctx);
    if (result.state !== state) this.setState(node, result.state);
    this.stepping = node;
    playEffects(result.effects, this);
  }

  private setState(node: number, state: unknown): void {
    if (this.states === null) this.states = this.w.states.slice();
    this.states[node] = state;
  }

  send(to: NodeId, message: WireMessage): void {
    const node = this.stepping;
    const target = this.setup.index.get(to)!;
    // Two messages of one type on one link in one ms: the story aims a step at each.
    const type = message.type;
    for (const o of this.inFlight)
      if (o.sentAt === this.now && o.from === node && o.to === target && o.message.type === type)
        this.faultAt = this.now;
    const m: InFlight = {
      seq: this.nextSeq++,
      from: node,
      to: target,
      message,
      sentAt: this.now,
      twin: false,
      slow: false,
    };
    this.inFlight = [...this.inFlight, m];
  }

  setTimer(key: string, afterMs: number, payload: unknown): void {
    const node = this.stepping;
    const deadline = this.now + afterMs;
    const others = this.timers.filter((t) => t.node !== node || t.key !== key);
    let at = others.length;
    while (at > 0 && others[at - 1]!.deadline > deadline) at--;
    const timer = { node, key, deadline, setAt: this.now, setSeq: this.nextSeq, timer: payload };
    this.timers = [...others.slice(0, at), timer, ...others.slice(at)];
  }

  cancelTimer(key: string): void {
    const node = this.stepping;
    this.timers = this.timers.filter((t) => t.node !== node || t.key !== key);
  }

  record(observation: Observation): void {
    this.records = [...this.records, { t: this.now, node: this.stepping, observation }];
  }

  /** See World.inTimerMs: set by a timer that fires, or a delivery in its ms (before or after it). */
  private inTimerMs(): World['inTimerMs'] {
    const move = this.move;
    if (move.kind === 'timer') return { t: move.at, pos: positionOf(this.w.timers[0]!) };
    if (
      move.kind === 'deliver' &&
      (this.w.inTimerMs?.t === move.at || this.w.timers[0]?.deadline === move.at)
    )
      return { t: move.at, pos: move.seq };
    return 'at' in move ? null : this.w.inTimerMs;
  }

  build(): World {
    const move = this.move;
    return {
      now: this.now,
      states: this.states ?? this.w.states,
      up: this.up,
      gone: this.gone,
      clockOffsetMs: this.clockOffsetMs,
      inFlight: this.inFlight,
      timers: this.timers,
      issued: this.issued,
      clockStepsDone: this.clockStepsDone,
      used: this.used,
      records: this.records,
      nextSeq: this.nextSeq,
      // A drop or duplicate takes no time: a delivery after it may still share the last one's ms.
      lastDelivery:
        move.kind === 'deliver'
          ? { t: move.at, seq: move.seq }
          : 'at' in move
            ? null
            : this.w.lastDelivery,
      inTimerMs: this.inTimerMs(),
      faultAt: this.faultAt,
      trail: { move, prev: this.w.trail },
      depth: this.w.depth + 1,
    };
  }
}

function withAt<T>(list: readonly T[], i: number, value: T): T[] {
  const copy = list.slice();
  copy[i] = value;
  return copy;
}

/** The moves from the first world to this one, in order. */
export function movesTo(w: World): Move[] {
  const moves: Move[] = [];
  for (let t = w.trail; t !== null; t = t.prev) moves.push(t.move);
  return moves.reverse();
}

export type { ClientOp };
