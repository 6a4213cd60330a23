// The bench's stick: the bench workload's run done by hand-specialised code, with nothing the
// simulator's design asks for. No machine, and no object per message, timer, state change or
// operation: every node's state, the messages in flight and the history sit in typed arrays, and
// the replicated store under `fixed` is written out inline. It makes the same random draws in the
// same order and queues its events in the same (time, seq) order as the simulator, so its run is
// the simulator's own (test/lean.test.ts compares every operation and every replica write, and
// the end of the run, on the bench workload and on runs cut by their bounds).
//
// It is a measuring stick, not a simulator: the replicated store under `fixed` only, no trace, no
// client crash, no fault but crash, restart, partition and heal, and no bound on the queue. Set
// against the bare loop, it shows how near the simulator's target code written for this one
// workload comes; the simulator's readable machines, kernel and history cost the difference
// between its row and the simulator's.

import type { Operation } from '../kernel/history.ts';
import { resolveNetwork } from '../kernel/network.ts';
import { Stream } from '../kernel/rng.ts';
import { type Bounds, DEFAULT_BOUNDS, type Ending, type RunResult } from '../kernel/simulation.ts';
import { topologyOf } from '../scenario/check.ts';
import type { AnyScenario } from '../scenario.ts';

// Message types and replies.
const GET = 0;
const PUT = 1;
const DELETE = 2;
const REPLICATION = 3;
const REPLICATION_OK = 4;
const PUT_OK = 5;
const DELETE_OK = 6;
const GET_OK = 7;
const NULL = 8;
const TRY_OTHER = 9;

/** The replies as the history names them. */
export const REPLY_NAMES: Readonly<Record<number, string>> = {
  [PUT_OK]: 'PUT_OK',
  [DELETE_OK]: 'DELETE_OK',
  [GET_OK]: 'GET_OK',
  [NULL]: 'NULL',
  [TRY_OTHER]: 'TRY_OTHER_SERVER_OR_LATER',
};

// What a queued entry is.
const DELIVER = 0;
const CLIENT_TIMER = 1;
const ACK_TIMER = 2;

// The `fixed` preset's knobs, written in.
const REQUEST_TIMEOUT = 1_000;
const RETRY_BACKOFF = 100;
const RETRY_LIMIT = 3;
const REPLICATION_TIMEOUT = 500;

/** A typed array twice as long, holding what `a` held. */
function grown<A extends Int32Array | Float64Array>(a: A): A {
  const b = new (a.constructor as new (n: number) => A)(a.length * 2);
  b.set(a);
  return b;
}

/** The history a lean run records, one column an operation field (index: the operation, 0-based). */
export interface LeanHistory {
  readonly invokedAt: Float64Array;
  readonly invokedSeq: Float64Array;
  /** -1 while pending. */
  readonly completedAt: Float64Array;
  readonly completedSeq: Float64Array;
  /** A reply code (REPLY_NAMES); -1 while pending. */
  readonly reply: Int32Array;
  /** The node that answered (an index in `nodes`), -1 while pending. */
  readonly server: Int32Array;
  /** NaN: no ts. */
  readonly ts: Float64Array;
  /** The value a put wrote or a get returned: the put's operation index, -1 for none. */
  readonly result: Int32Array;
  /** Replica writes: how many, and each one's place in the order of events. */
  readonly applies: number;
  readonly applySeq: Float64Array;
}

export interface LeanResult {
  /** How the run ended, as the simulator says it (it has no queue or trace bound). */
  readonly ending: Extract<Ending, 'quiescent' | 'time-limit' | 'event-limit' | 'history-limit'>;
  readonly events: number;
  readonly endedAt: number;
  readonly nodes: readonly string[];
  readonly history: LeanHistory;
}

/** What the history says of an operation, by which two runs are compared. */
type Said = Pick<
  Operation,
  'invokedAt' | 'invokedSeq' | 'completedAt' | 'completedSeq' | 'reply' | 'server' | 'ts' | 'result'
>;

function said(op: Operation): Said {
  const { invokedAt, invokedSeq, completedAt, completedSeq, reply, server, ts, result } = op;
  return { invokedAt, invokedSeq, completedAt, completedSeq, reply, server, ts, result };
}

/** Operation `i` (0-based: the simulator's id i + 1) as the lean run recorded it, in the same words. */
function leanSaid(lean: LeanResult, i: number): Said {
  const h = lean.history;
  const done = h.completedSeq[i]! >= 0;
  return {
    invokedAt: h.invokedAt[i]!,
    invokedSeq: h.invokedSeq[i]!,
    completedAt: done ? h.completedAt[i]! : null,
    completedSeq: done ? h.completedSeq[i]! : null,
    reply: done ? REPLY_NAMES[h.reply[i]!]! : null,
    server: done ? lean.nodes[h.server[i]!]! : null,
    ts: Number.isNaN(h.ts[i]!) ? null : h.ts[i]!,
    result: h.result[i]! < 0 ? null : `v${h.result[i]}`,
  };
}

/**
 * Where the lean run and the simulator's run of one scenario part, in words, or null when they do
 * not: how each ended and when, its events, each operation (times, places in the order of events,
 * reply, server, ts, value) and each replica write's place in the order of events.
 */
export function firstDifference(sim: RunResult, lean: LeanResult): string | null {
  const two = (what: string, a: unknown, b: unknown) =>
    `${what}: ${JSON.stringify(a)} in the simulator, ${JSON.stringify(b)} in the lean run`;
  if (sim.ending !== lean.ending) return two('ending', sim.ending, lean.ending);
  if (sim.events !== lean.events) return two('events', sim.events, lean.events);
  if (sim.endedAt !== lean.endedAt) return two('end', sim.endedAt, lean.endedAt);
  const ops = sim.history.operations;
  let issued = 0;
  for (const t of lean.history.invokedSeq) if (t >= 0) issued++;
  if (ops.length !== issued) return two('operations issued', ops.length, issued);
  for (const op of ops) {
    const a = JSON.stringify(said(op));
    const b = JSON.stringify(leanSaid(lean, op.id - 1));
    if (a !== b) return two(`operation ${op.id}`, JSON.parse(a), JSON.parse(b));
  }
  const applies = sim.history.applies;
  if (applies.length !== lean.history.applies)
    return two('replica writes', applies.length, lean.history.applies);
  for (let a = 0; a < applies.length; a++)
    if (applies[a]!.seq !== lean.history.applySeq[a])
      return two(`replica write ${a + 1}'s place`, applies[a]!.seq, lean.history.applySeq[a]);
  return null;
}

/**
 * The bench workload's run (benchWorkload under `fixed`), specialised by hand; see above. Built
 * from the scenario, untimed as the simulator's prepareScenario is; then `run()`, once.
 */
export class LeanRun {
  private readonly nodes: string[];
  private readonly servers: number;
  private readonly n: number;
  private readonly net: Stream;
  private readonly workload: Stream;
  private readonly delayMin: number;
  private readonly delayMax: number;
  private readonly dropPermille: number;
  private readonly duplicatePermille: number;
  private readonly bounds: Bounds;

  // The queue: a binary heap of (time, seq) over entries of the pool below, as the kernel's
  // EventHeap is, but in typed arrays over integer entries: the kernel's, given numbers, ran this
  // loop at 0.27-0.32 µs an event against 0.19 (CPU, medians of 5), its code shared with the
  // object items of the bare loop and the simulator in the same process.
  private heapTime = new Float64Array(1024);
  private heapSeq = new Float64Array(1024);
  private heapEntry = new Int32Array(1024);
  private size = 0;
  private nextSeq = 0;
  // Queued entries, by column: what, to and from whom, and the message's or the timer's fields.
  private kind = new Int32Array(1024);
  private to = new Int32Array(1024);
  private from = new Int32Array(1024);
  private type = new Int32Array(1024);
  /** A message's operation (a REPLICATION's: its write's); a client timer's operation, an ack timer's write. */
  private op = new Int32Array(1024);
  private attempt = new Int32Array(1024);
  /** A message's key; an ack timer's follower. */
  private key = new Int32Array(1024);
  private value = new Int32Array(1024);
  /** A message's ts (NaN: none); a timer's generation. */
  private ts = new Float64Array(1024);
  /** A write request's ackedBelow, a REPLICATION(_OK)'s write, a client timer's kind (1: retry). */
  private extra = new Int32Array(1024);
  private free: number[] = [];
  private used = 0;

  // The script: operation and fault steps, in time order.
  private readonly stepAt: Float64Array;
  private readonly stepOp: Int32Array;
  private readonly faults: readonly { readonly kind: string; readonly nodes: number[][] }[];
  private readonly opClient: Int32Array;
  private readonly opKind: Int32Array;
  private readonly opKey: Int32Array;

  private readonly up: Uint8Array;
  private readonly cut: Uint8Array;
  private cuts = 0;

  // Servers: each key's version (has, value, ts) per server; forwarded requests per follower.
  private readonly has: Uint8Array;
  private readonly storeValue: Int32Array;
  private readonly storeTs: Float64Array;
  private readonly forwardedBy: Int32Array;
  /** Per follower and node, the operation it last forwarded for that client (-1: none). */
  private readonly lastForwarded: Int32Array;
  // The leader: its clock's floor, its writes (in flight or done), the requests it has stamped.
  private lastIssued = 0;
  private writes = 0;
  // Sized for one write an operation, the most there can be: nothing grows while the run runs.
  private readonly writeOp: Int32Array;
  private readonly writeKey: Int32Array;
  private readonly writeValue: Int32Array;
  private readonly writeTs: Float64Array;
  /** Whether write w awaits server s's acknowledgement (at w × servers + s), and how many it awaits. */
  private readonly awaits: Uint8Array;
  private readonly awaiting: Int32Array;
  /** The nodes to answer, in order, and each one's attempt: one slot a node, per write. */
  private readonly replyNode: Int32Array;
  private readonly replyAttempt: Int32Array;
  private readonly replyCount: Int32Array;
  /** Each (write, follower)'s acknowledgement timer's generation (at w × servers + follower). */
  private readonly ackGeneration: Float64Array;
  /** The write stamped for each operation's request (-1: none), and whether it is answered. */
  private readonly writeOf: Int32Array;
  private readonly answered: Uint8Array;
  /** Per client, the sequence number below which it has every answer. */
  private readonly ackedBelow: Int32Array;
  /** Writes in flight, in the order they were stamped (the leader's restart resends them). */
  private inFlight: number[] = [];

  // Clients: one pending operation (sequential sessions), its server, attempt and retries; a FIFO
  // of queued operations; the largest ts seen of each key; the client's timer's generation.
  private readonly pending: Int32Array;
  private readonly pendingServer: Int32Array;
  private readonly pendingAttempt: Int32Array;
  private readonly pendingRetries: Int32Array;
  private readonly queued: number[][];
  private readonly queuedVia: number[][];
  private readonly seen: Float64Array;
  private readonly timerGeneration: Float64Array;
  /** The sequence number of each operation's request (its client's n-th: n). */
  private readonly opSeq: Int32Array;
  private readonly nextRequest: Int32Array;
  private readonly keyCount: number;
  /** Operation steps in the script (each array by operation is this long). */
  private readonly count: number;

  private readonly history: {
    invokedAt: Float64Array;
    invokedSeq: Float64Array;
    completedAt: Float64Array;
    completedSeq: Float64Array;
    reply: Int32Array;
    server: Int32Array;
    ts: Float64Array;
    result: Int32Array;
    applySeq: Float64Array;
  };
  private applies = 0;
  /** Operations issued: with the applies, what the simulator's maxHistory bounds. */
  private invoked = 0;
  private historySeq = 0;
  private now = 0;
  private events = 0;
  private lastEventAt = 0;

  /** `bounds` as a run of the simulator takes them (RunOptions); the queue's is not kept. */
  constructor(scenario: AnyScenario, bounds: Partial<Bounds> = {}) {
    if ((scenario.store ?? 'replicated') !== 'replicated')
      throw new Error('the lean run is written for the replicated store only');
    if (scenario.preset !== 'fixed' || scenario.knobs !== undefined)
      throw new Error('the lean run is written for the fixed preset only');
    const { servers, clients, leader, clockSkewMs } = topologyOf(scenario);
    if (leader !== servers[0] || Object.keys(clockSkewMs).length > 0)
      throw new Error('the lean run takes the first server as leader, and no clock skew');
    this.nodes = [...servers, ...clients];
    this.net = new Stream('network', scenario.seed ?? 1);
    this.workload = new Stream('workload', scenario.seed ?? 1);
    this.servers = servers.length;
    this.n = this.nodes.length;
    const index = new Map(this.nodes.map((id, i) => [id, i] as const));
    const nodeOf = (id: string) => {
      const i = index.get(id);
      if (i === undefined) throw new Error(`unknown node ${id}`);
      return i;
    };
    const resolved = resolveNetwork(scenario.network);
    if (!resolved.ok) throw new Error(resolved.error);
    const net = resolved.value;
    this.delayMin = net.delayMinMs;
    this.delayMax = net.delayMaxMs;
    this.dropPermille = net.dropPermille;
    this.duplicatePermille = net.duplicatePermille;
    if (net.spikePermille > 0 || net.fifo || this.delayMin === this.delayMax)
      throw new Error('the lean run draws a delay from a range, with no spikes and no FIFO links');
    const keys = new Map<string, number>();
    const ops: { client: number; kind: number; key: number }[] = [];
    const steps: { at: number; op: number }[] = [];
    const faults: { kind: string; nodes: number[][] }[] = [];
    let lastStep = 0;
    for (const step of scenario.steps) {
      lastStep = Math.max(lastStep, step.at);
      const keyOf = (k: string) => keys.get(k) ?? keys.set(k, keys.size).get(k)!;
      if ('client' in step && step.client !== undefined) {
        if (step.via !== undefined || step.expect !== undefined)
          throw new Error('the lean run takes no via and no expect');
        const client = nodeOf(step.client);
        const kind = 'put' in step ? PUT : 'get' in step ? GET : DELETE;
        const key = 'put' in step ? step.put[0] : 'get' in step ? step.get : step.delete;
        if ('put' in step && step.put[1] !== `v${ops.length}`)
          throw new Error('the lean run names each put value v<its operation index>');
        steps.push({ at: step.at, op: ops.length });
        ops.push({ client, kind, key: keyOf(key) });
        continue;
      }
      const fault =
        'crash' in step
          ? { kind: 'crash', nodes: [[nodeOf(step.crash)]] }
          : 'restart' in step
            ? { kind: 'restart', nodes: [[nodeOf(step.restart)]] }
            : 'partition' in step
              ? { kind: 'partition', nodes: step.partition.map((g) => g.map(nodeOf)) }
              : 'heal' in step
                ? { kind: 'heal', nodes: [] }
                : null;
      if (fault === null)
        throw new Error('the lean run takes crashes, restarts, partitions, heals');
      if (fault.kind === 'crash' && fault.nodes[0]![0]! >= this.servers)
        throw new Error('the lean run crashes servers only');
      steps.push({ at: step.at, op: -1 - faults.length });
      faults.push(fault);
    }
    const maxTimeMs = scenario.runUntilMs ?? lastStep + 120_000;
    this.bounds = { ...DEFAULT_BOUNDS, maxTimeMs, ...bounds };
    // Time order, ties in the script's order, as the simulator's script.
    const order = steps.map((_, i) => i).sort((a, b) => steps[a]!.at - steps[b]!.at || a - b);
    this.stepAt = Float64Array.from(order, (i) => steps[i]!.at);
    this.stepOp = Int32Array.from(order, (i) => steps[i]!.op);
    this.faults = faults;
    const count = ops.length;
    this.count = count;
    this.opClient = Int32Array.from(ops, (o) => o.client);
    this.opKind = Int32Array.from(ops, (o) => o.kind);
    this.opKey = Int32Array.from(ops, (o) => o.key);
    this.keyCount = keys.size;
    this.up = new Uint8Array(this.n).fill(1);
    this.cut = new Uint8Array(this.n * this.n);
    this.has = new Uint8Array(this.servers * this.keyCount);
    this.storeValue = new Int32Array(this.servers * this.keyCount);
    this.storeTs = new Float64Array(this.servers * this.keyCount);
    this.forwardedBy = new Int32Array(this.servers * count).fill(-1);
    this.lastForwarded = new Int32Array(this.servers * this.n).fill(-1);
    this.writeOp = new Int32Array(count);
    this.writeKey = new Int32Array(count);
    this.writeValue = new Int32Array(count);
    this.writeTs = new Float64Array(count);
    this.awaits = new Uint8Array(count * this.servers);
    this.awaiting = new Int32Array(count);
    this.replyCount = new Int32Array(count);
    this.replyNode = new Int32Array(count * this.n);
    this.replyAttempt = new Int32Array(count * this.n);
    this.ackGeneration = new Float64Array(count * this.servers).fill(Number.NaN);
    this.writeOf = new Int32Array(count).fill(-1);
    this.answered = new Uint8Array(count);
    this.ackedBelow = new Int32Array(this.n);
    this.pending = new Int32Array(this.n).fill(-1);
    this.pendingServer = new Int32Array(this.n);
    this.pendingAttempt = new Int32Array(this.n);
    this.pendingRetries = new Int32Array(this.n);
    this.queued = this.nodes.map(() => []);
    this.queuedVia = this.nodes.map(() => []);
    this.seen = new Float64Array(this.n * this.keyCount).fill(Number.NaN);
    this.timerGeneration = new Float64Array(this.n).fill(Number.NaN);
    this.opSeq = new Int32Array(count);
    this.nextRequest = new Int32Array(this.n).fill(1);
    this.history = {
      invokedAt: new Float64Array(count).fill(-1),
      invokedSeq: new Float64Array(count).fill(-1),
      completedAt: new Float64Array(count).fill(-1),
      completedSeq: new Float64Array(count).fill(-1),
      reply: new Int32Array(count).fill(-1),
      server: new Int32Array(count).fill(-1),
      ts: new Float64Array(count).fill(Number.NaN),
      result: new Int32Array(count).fill(-1),
      // A replica stores a write at most once: the leader when it stamps it, a follower when newer.
      applySeq: new Float64Array(count * this.servers),
    };
  }

  run(): LeanResult {
    const { stepAt, stepOp } = this;
    const { maxTimeMs, maxEvents, maxHistory } = this.bounds;
    let next = 0;
    let ending: LeanResult['ending'] = 'quiescent';
    for (;;) {
      let time = this.size > 0 ? this.heapTime[0]! : Number.POSITIVE_INFINITY;
      const fromScript = next < stepAt.length && stepAt[next]! <= time;
      if (fromScript) time = stepAt[next]!;
      if (time === Number.POSITIVE_INFINITY) break;
      if (time > maxTimeMs) {
        // As the simulator: a stale timer past the bound is no reason to say the run went on.
        if (!fromScript && this.isStale(this.heapEntry[0]!)) {
          this.free.push(this.pop());
          continue;
        }
        this.lastEventAt = maxTimeMs;
        ending = 'time-limit';
        break;
      }
      if (this.events >= maxEvents) {
        ending = 'event-limit';
        break;
      }
      if (this.invoked + this.applies > maxHistory) {
        ending = 'history-limit';
        break;
      }
      this.now = time;
      if (fromScript) {
        const op = stepOp[next++]!;
        if (op >= 0) this.invoke(op);
        else this.fault(this.faults[-1 - op]!);
      } else if (!this.take()) continue;
      this.events++;
      this.lastEventAt = time;
    }
    const h = this.history;
    return {
      ending,
      events: this.events,
      endedAt: this.lastEventAt,
      nodes: this.nodes,
      history: { ...h, applies: this.applies, applySeq: h.applySeq.subarray(0, this.applies) },
    };
  }

  // ---- The queue ------------------------------------------------------------------------------

  private entry(kind: number, to: number): number {
    let e = this.free.pop();
    if (e === undefined) {
      e = this.used++;
      if (e === this.kind.length) {
        this.kind = grown(this.kind);
        this.to = grown(this.to);
        this.from = grown(this.from);
        this.type = grown(this.type);
        this.op = grown(this.op);
        this.attempt = grown(this.attempt);
        this.key = grown(this.key);
        this.value = grown(this.value);
        this.ts = grown(this.ts);
        this.extra = grown(this.extra);
      }
    }
    this.kind[e] = kind;
    this.to[e] = to;
    return e;
  }

  private push(time: number, e: number): void {
    if (this.size === this.heapTime.length) {
      this.heapTime = grown(this.heapTime);
      this.heapSeq = grown(this.heapSeq);
      this.heapEntry = grown(this.heapEntry);
    }
    const times = this.heapTime;
    const seqs = this.heapSeq;
    const entries = this.heapEntry;
    const seq = this.nextSeq++;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent]!;
      if (pt < time || (pt === time && seqs[parent]! < seq)) break;
      times[i] = pt;
      seqs[i] = seqs[parent]!;
      entries[i] = entries[parent]!;
      i = parent;
    }
    times[i] = time;
    seqs[i] = seq;
    entries[i] = e;
  }

  private pop(): number {
    const times = this.heapTime;
    const seqs = this.heapSeq;
    const entries = this.heapEntry;
    const top = entries[0]!;
    const n = --this.size;
    const time = times[n]!;
    const seq = seqs[n]!;
    const e = entries[n]!;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      let c = l;
      let ct = times[l]!;
      let cs = seqs[l]!;
      const r = l + 1;
      if (r < n && (times[r]! < ct || (times[r] === ct && seqs[r]! < cs))) {
        c = r;
        ct = times[r]!;
        cs = seqs[r]!;
      }
      if (time < ct || (time === ct && seq < cs)) break;
      times[i] = ct;
      seqs[i] = cs;
      entries[i] = entries[c]!;
      i = c;
    }
    times[i] = time;
    seqs[i] = seq;
    entries[i] = e;
    return top;
  }

  /** Whether queued entry e is a timer disarmed since (cancelled, re-armed, or its node crashed). */
  private isStale(e: number): boolean {
    const kind = this.kind[e]!;
    if (kind === DELIVER) return false;
    const to = this.to[e]!;
    if (this.up[to] === 0) return true;
    if (kind === CLIENT_TIMER) return this.ts[e] !== this.timerGeneration[to];
    return this.ts[e] !== this.ackGeneration[this.op[e]! * this.servers + this.key[e]!];
  }

  /** Runs the queue's first entry; false when it was a stale timer (not an event). */
  private take(): boolean {
    const e = this.pop();
    const ran = this.carryOut(e);
    // Freed once carried out: what it carries out may queue entries of its own.
    this.free.push(e);
    return ran;
  }

  private carryOut(e: number): boolean {
    const kind = this.kind[e]!;
    const to = this.to[e]!;
    if (kind === DELIVER) {
      const from = this.from[e]!;
      if (this.up[to] === 0 || (this.cuts > 0 && this.cut[from * this.n + to] === 1)) return true;
      if (to < this.servers) this.serverReceives(to, from, e);
      else this.clientReceives(to, from, e);
      return true;
    }
    if (this.isStale(e)) return false;
    if (kind === CLIENT_TIMER) {
      this.timerGeneration[to] = Number.NaN;
      this.clientTimer(to, this.op[e]!, this.attempt[e]!, this.extra[e]!);
      return true;
    }
    const w = this.op[e]!;
    const follower = this.key[e]!;
    this.ackGeneration[w * this.servers + follower] = Number.NaN;
    if (this.awaits[w * this.servers + follower] === 1) this.sendReplication(w, follower);
    return true;
  }

  // ---- The network ----------------------------------------------------------------------------

  /** A message, drawn as the simulator draws: loss, delay, then duplication and its delay. */
  private send(
    from: number,
    to: number,
    type: number,
    op: number,
    attempt: number,
    key: number,
    value: number,
    ts: number,
    extra: number,
  ): void {
    if (this.cuts > 0 && this.cut[from * this.n + to] === 1) return;
    if (this.net.chance(this.dropPermille)) return;
    const e = this.entry(DELIVER, to);
    this.from[e] = from;
    this.type[e] = type;
    this.op[e] = op;
    this.attempt[e] = attempt;
    this.key[e] = key;
    this.value[e] = value;
    this.ts[e] = ts;
    this.extra[e] = extra;
    this.push(this.now + this.net.between(this.delayMin, this.delayMax), e);
    if (this.net.chance(this.duplicatePermille))
      this.push(this.now + this.net.between(this.delayMin, this.delayMax), this.copyOf(e));
  }

  /** A new entry carrying what entry e carries. */
  private copyOf(e: number): number {
    const c = this.entry(this.kind[e]!, this.to[e]!);
    for (const column of [
      this.from,
      this.type,
      this.op,
      this.attempt,
      this.key,
      this.value,
      this.ts,
      this.extra,
    ])
      column[c] = column[e]!;
    return c;
  }

  private arm(client: number, op: number, attempt: number, afterMs: number, retry: number): void {
    const e = this.entry(CLIENT_TIMER, client);
    const generation = this.nextSeq;
    this.timerGeneration[client] = generation;
    this.op[e] = op;
    this.attempt[e] = attempt;
    this.ts[e] = generation;
    this.extra[e] = retry;
    this.push(this.now + afterMs, e);
  }

  // ---- Faults ---------------------------------------------------------------------------------

  private fault(f: { readonly kind: string; readonly nodes: number[][] }): void {
    switch (f.kind) {
      case 'crash': {
        const node = f.nodes[0]![0]!;
        if (this.up[node] === 0) return;
        this.up[node] = 0;
        // Every timer it had is stale: generations no timer carries.
        if (node === 0) this.ackGeneration.fill(Number.NaN);
        return;
      }
      case 'restart': {
        const node = f.nodes[0]![0]!;
        if (this.up[node] === 1) return;
        this.up[node] = 1;
        this.forwardedBy.fill(-1, node * this.count, (node + 1) * this.count);
        if (node === 0)
          for (const w of this.inFlight)
            for (let s = 1; s < this.servers; s++)
              if (this.awaits[w * this.servers + s] === 1) this.sendReplication(w, s);
        return;
      }
      case 'partition':
        for (const [i, group] of f.nodes.entries())
          for (const [j, other] of f.nodes.entries()) {
            if (i === j) continue;
            for (const a of group)
              for (const b of other) {
                if (this.cut[a * this.n + b] === 0) this.cuts++;
                this.cut[a * this.n + b] = 1;
              }
          }
        return;
      default:
        this.cut.fill(0);
        this.cuts = 0;
    }
  }

  // ---- Clients --------------------------------------------------------------------------------

  private invoke(op: number): void {
    const client = this.opClient[op]!;
    const via = this.workload.below(this.servers);
    if (this.pending[client]! >= 0) {
      this.queued[client]!.push(op);
      this.queuedVia[client]!.push(via);
      return;
    }
    this.issue(client, op, via);
  }

  private issue(client: number, op: number, via: number): void {
    const h = this.history;
    this.opSeq[op] = this.nextRequest[client]!++;
    this.pending[client] = op;
    this.pendingServer[client] = via;
    this.pendingAttempt[client] = 1;
    this.pendingRetries[client] = 0;
    this.invoked++;
    h.invokedAt[op] = this.now;
    h.invokedSeq[op] = this.historySeq++;
    this.request(client, op);
  }

  /** Sends the pending request and arms its timeout. */
  private request(client: number, op: number): void {
    const kind = this.opKind[op]!;
    const key = this.opKey[op]!;
    const attempt = this.pendingAttempt[client]!;
    const seen = kind === GET ? this.seen[client * this.keyCount + key]! : Number.NaN;
    // A sequential client's only pending request is this one: it has every answer below it.
    const acked = this.opSeq[op]!;
    const value = kind === PUT ? op : -1;
    this.send(client, this.pendingServer[client]!, kind, op, attempt, key, value, seen, acked);
    this.arm(client, op, attempt, REQUEST_TIMEOUT, 0);
  }

  private nextServer(client: number): void {
    this.pendingServer[client] = (this.pendingServer[client]! + 1) % this.servers;
  }

  private clientTimer(client: number, op: number, attempt: number, retry: number): void {
    if (this.pending[client] !== op) return;
    if (retry === 0 && attempt !== this.pendingAttempt[client]) return;
    this.nextServer(client);
    if (retry === 0) this.pendingAttempt[client]!++;
    this.request(client, op);
  }

  private clientReceives(client: number, from: number, e: number): void {
    const type = this.type[e]!;
    const op = this.op[e]!;
    if (type < PUT_OK || this.pending[client] !== op) return;
    const kind = this.opKind[op]!;
    const expected =
      type === PUT_OK ? kind === PUT : type === DELETE_OK ? kind === DELETE : kind === GET;
    if (!expected) return;
    if (type === TRY_OTHER) {
      if (this.attempt[e] !== this.pendingAttempt[client]) return;
      if (this.pendingRetries[client]! < RETRY_LIMIT) {
        this.arm(client, op, 0, RETRY_BACKOFF, 1);
        this.pendingAttempt[client]!++;
        this.pendingRetries[client]!++;
        return;
      }
      this.complete(client, op, from, type, -1, Number.NaN);
      return;
    }
    const ts = this.ts[e]!;
    const key = this.key[e]!;
    const at = client * this.keyCount + key;
    if (!Number.isNaN(ts) && !(this.seen[at]! >= ts)) this.seen[at] = ts;
    this.complete(
      client,
      op,
      from,
      type,
      type === PUT_OK || type === GET_OK ? this.value[e]! : -1,
      ts,
    );
  }

  private complete(
    client: number,
    op: number,
    from: number,
    reply: number,
    result: number,
    ts: number,
  ): void {
    const h = this.history;
    this.timerGeneration[client] = Number.NaN;
    h.completedAt[op] = this.now;
    h.completedSeq[op] = this.historySeq++;
    h.reply[op] = reply;
    h.server[op] = from;
    h.result[op] = result;
    h.ts[op] = ts;
    this.pending[client] = -1;
    const queue = this.queued[client]!;
    if (queue.length > 0) this.issue(client, queue.shift()!, this.queuedVia[client]!.shift()!);
  }

  // ---- Servers --------------------------------------------------------------------------------

  private serverReceives(server: number, from: number, e: number): void {
    const type = this.type[e]!;
    if (type === GET) this.answerGet(server, from, e);
    else if (type === PUT || type === DELETE) {
      if (server === 0) this.leaderWrite(from, e);
      else {
        // Forwarded as it came; the leader's answer is relayed to whoever sent it. A client waits
        // for each answer, so its write's ackedBelow drops the one it forwarded before.
        const op = this.op[e]!;
        const last = server * this.n + this.opClient[op]!;
        const before = this.lastForwarded[last]!;
        if (before >= 0 && this.opSeq[before]! < this.extra[e]!)
          this.forwardedBy[server * this.count + before] = -1;
        this.pass(e, server, 0, this.extra[e]!);
        this.forwardedBy[server * this.count + op] = from;
        this.lastForwarded[last] = op;
      }
    } else if (type === REPLICATION) {
      if (server !== 0) this.replicate(server, from, e);
    } else if (type === REPLICATION_OK) {
      if (server === 0) this.acknowledged(from, e);
    } else if ((type === PUT_OK || type === DELETE_OK) && server !== 0) {
      const op = this.op[e]!;
      const at = server * this.count + op;
      const client = this.forwardedBy[at]!;
      if (client < 0) return;
      this.pass(e, server, client, 0);
      this.forwardedBy[at] = -1;
    }
  }

  /** Sends on, from `from` to `to`, the message queued entry e brought (with `extra` its last field). */
  private pass(e: number, from: number, to: number, extra: number): void {
    const { type, op, attempt, key, value, ts } = this;
    this.send(from, to, type[e]!, op[e]!, attempt[e]!, key[e]!, value[e]!, ts[e]!, extra);
  }

  private answerGet(server: number, from: number, e: number): void {
    const key = this.key[e]!;
    const tsClient = this.ts[e]!;
    const op = this.op[e]!;
    const attempt = this.attempt[e]!;
    const at = server * this.keyCount + key;
    if (this.has[at] === 0) {
      const reply = Number.isNaN(tsClient) ? NULL : TRY_OTHER;
      this.send(server, from, reply, op, attempt, key, -1, Number.NaN, 0);
      return;
    }
    const held = this.storeTs[at]!;
    if (!Number.isNaN(tsClient) && held < tsClient) {
      this.send(server, from, TRY_OTHER, op, attempt, key, -1, Number.NaN, 0);
      return;
    }
    const value = this.storeValue[at]!;
    this.send(server, from, value < 0 ? NULL : GET_OK, op, attempt, key, value, held, 0);
  }

  private leaderWrite(from: number, e: number): void {
    const op = this.op[e]!;
    const attempt = this.attempt[e]!;
    const client = this.opClient[op]!;
    const seq = this.opSeq[op]!;
    // requestIds=dedupe: a request seen before gets its first answer, or joins its write.
    if (seq < this.ackedBelow[client]!) return;
    const w0 = this.writeOf[op]!;
    if (w0 >= 0 && this.answered[op] === 1) {
      this.send(
        0,
        from,
        this.writeValue[w0]! < 0 ? DELETE_OK : PUT_OK,
        op,
        attempt,
        this.writeKey[w0]!,
        this.writeValue[w0]!,
        this.writeTs[w0]!,
        0,
      );
      return;
    }
    if (w0 >= 0) {
      this.answerTo(w0, from, attempt);
      return;
    }
    if (this.extra[e]! > this.ackedBelow[client]!) this.ackedBelow[client] = this.extra[e]!;
    const w = this.writes++;
    const key = this.key[e]!;
    const value = this.type[e] === PUT ? this.value[e]! : -1;
    const ts = Math.max(this.now, this.lastIssued + 1);
    this.lastIssued = ts;
    this.writeOf[op] = w;
    this.writeOp[w] = op;
    this.writeKey[w] = key;
    this.writeValue[w] = value;
    this.writeTs[w] = ts;
    this.replyCount[w] = 0;
    this.answerTo(w, from, attempt);
    this.store(0, key, value, ts);
    this.awaits.fill(1, w * this.servers + 1, (w + 1) * this.servers);
    this.awaiting[w] = this.servers - 1;
    this.inFlight.push(w);
    if (this.servers === 1) this.finish(w);
    for (let s = 1; s < this.servers; s++) this.sendReplication(w, s);
  }

  /** One answer a node, to its latest attempt, last in the order of answers. */
  private answerTo(w: number, node: number, attempt: number): void {
    const base = w * this.n;
    let count = this.replyCount[w]!;
    let j = 0;
    for (let i = 0; i < count; i++) {
      if (this.replyNode[base + i] === node) continue;
      this.replyNode[base + j] = this.replyNode[base + i]!;
      this.replyAttempt[base + j] = this.replyAttempt[base + i]!;
      j++;
    }
    count = j;
    this.replyNode[base + count] = node;
    this.replyAttempt[base + count] = attempt;
    this.replyCount[w] = count + 1;
  }

  private store(server: number, key: number, value: number, ts: number): void {
    const at = server * this.keyCount + key;
    this.has[at] = 1;
    this.storeValue[at] = value;
    this.storeTs[at] = ts;
    this.history.applySeq[this.applies++] = this.historySeq++;
  }

  private sendReplication(w: number, follower: number): void {
    this.send(
      0,
      follower,
      REPLICATION,
      this.writeOp[w]!,
      0,
      this.writeKey[w]!,
      this.writeValue[w]!,
      this.writeTs[w]!,
      w,
    );
    const e = this.entry(ACK_TIMER, 0);
    const generation = this.nextSeq;
    this.ackGeneration[w * this.servers + follower] = generation;
    this.op[e] = w;
    this.key[e] = follower;
    this.ts[e] = generation;
    this.push(this.now + REPLICATION_TIMEOUT, e);
  }

  private replicate(follower: number, from: number, e: number): void {
    const key = this.key[e]!;
    const ts = this.ts[e]!;
    const at = follower * this.keyCount + key;
    if (this.has[at] === 0 || ts > this.storeTs[at]!) this.store(follower, key, this.value[e]!, ts);
    this.send(follower, from, REPLICATION_OK, this.op[e]!, 0, key, -1, ts, this.extra[e]!);
  }

  private acknowledged(follower: number, e: number): void {
    const w = this.extra[e]!;
    if (w >= this.writes || this.awaits[w * this.servers + follower] === 0) return;
    if (this.writeTs[w] !== this.ts[e] || this.writeKey[w] !== this.key[e]) return;
    this.ackGeneration[w * this.servers + follower] = Number.NaN;
    this.awaits[w * this.servers + follower] = 0;
    if (--this.awaiting[w]! === 0) this.finish(w);
  }

  /** Every follower has the write: answer whoever asked, and file the answer. */
  private finish(w: number): void {
    this.inFlight.splice(this.inFlight.indexOf(w), 1);
    const op = this.writeOp[w]!;
    const base = w * this.n;
    const reply = this.writeValue[w]! < 0 ? DELETE_OK : PUT_OK;
    for (let i = 0; i < this.replyCount[w]!; i++)
      this.send(
        0,
        this.replyNode[base + i]!,
        reply,
        op,
        this.replyAttempt[base + i]!,
        this.writeKey[w]!,
        this.writeValue[w]!,
        this.writeTs[w]!,
        0,
      );
    if (this.opSeq[op]! >= this.ackedBelow[this.opClient[op]!]!) this.answered[op] = 1;
  }
}
