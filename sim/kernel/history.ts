// The history of client operations, built from the clients' `record` effects: when each was
// issued and completed (or is still pending), which server answered, and the version it wrote or
// read. It also keeps every change a replica made to its store, and every change to the lock
// store's locks, in order, for the checkers. Every entry gets its place in the run's order of
// events from one counter (PROTOCOL.md §3: real time is that order, not the millisecond).

import type { Key, LockChange, NodeId, Observation } from '../../protocol/core.ts';

export interface Operation {
  readonly id: number;
  readonly client: NodeId;
  readonly op: 'put' | 'get' | 'delete';
  readonly key: Key;
  /** The value a put wrote. */
  readonly value: string | null;
  readonly requestId: string;
  readonly invokedAt: number;
  completedAt: number | null;
  /**
   * Where the invocation and the completion fall in the run's order of events (one counter for
   * both): real time for linearizability, since two events in the same millisecond still happen
   * one after the other (PROTOCOL.md §3).
   */
  readonly invokedSeq: number;
  completedSeq: number | null;
  /** The reply that completed it (PUT_OK, GET_OK, NULL, TRY_OTHER_SERVER_OR_LATER, …). */
  reply: string | null;
  server: NodeId | null;
  /** The value a get returned (null: none). */
  result: string | null;
  /** The version written or read; null when the reply carried none. */
  ts: number | null;
  /** The client crashed while this operation was pending. */
  abandonedAt: number | null;
  /**
   * The crash's place in the order of events (the counter of `invokedSeq`). Absent in a history
   * not recorded by a History; a checker that needs it then orders by the millisecond.
   */
  abandonedSeq?: number | null;
  /** The client's session: its name, with `#n` after its n-th crash (a restart starts afresh). */
  readonly session: string;
}

export interface Apply {
  readonly t: number;
  readonly node: NodeId;
  readonly key: Key;
  readonly value: string | null;
  readonly ts: number;
  readonly origin: string | null;
  /**
   * Where the write it stores sits in the history's operations: the last write issued by then
   * with `origin` as its request id, -1 when none was. Absent when the apply was not recorded by
   * a History; the checkers then look the origin up.
   */
  readonly opIndex?: number;
  /**
   * Where the write landed in the order of events (the counter of `invokedSeq`). Absent when the
   * apply was not recorded by a History; a checker that needs it then orders by `t`.
   */
  readonly seq?: number;
}

/** A change to the lock server's lock table, when it happened. */
export interface LockEvent extends LockChange {
  readonly t: number;
  readonly node: NodeId;
  /**
   * Where the change fell in the order of events (the counter of `invokedSeq`). Absent when not
   * recorded by a History; a checker that needs it then orders by `t`.
   */
  readonly seq?: number;
}

/** A replica's store emptied, every version in it gone: a restart under durability=memory. */
export interface Wipe {
  readonly t: number;
  readonly node: NodeId;
  /**
   * Where it fell in the order of events (the counter of `invokedSeq`). Absent when not recorded
   * by a History; a checker that needs it then orders by `t`.
   */
  readonly seq?: number;
}

/** An apply as recorded: its write is noted (`opIndex`) when the applies are first read after it. */
type Recorded = { -readonly [F in keyof Apply]: Apply[F] };

export class History {
  readonly operations: Operation[] = [];
  private readonly recorded: Recorded[] = [];
  /** The lock store's grants, releases and expiries, in order. */
  readonly locks: LockEvent[] = [];
  /** Replicas whose store a restart emptied, in order. */
  readonly wipes: Wipe[] = [];
  /**
   * Operations by id: an array for the usual ids (0, 1, 2, …), a Map for any other. A Map of
   * tens of thousands of numbers costs more to grow than the rest of recording an operation.
   */
  private readonly byIndex: (Operation | undefined)[] = [];
  private readonly byOtherId = new Map<number, Operation>();
  /**
   * Writes by request id: the index in `operations` of the last one issued with it, among the
   * first `mapped` operations. Filled when the applies are read rather than at every write: kept
   * up during the run, this map cost about 7% of sim.run() on the bench workload.
   */
  private readonly writesByRequest = new Map<string, number>();
  private mapped = 0;
  /** How many operations had been issued when each apply was recorded (what "by then" means). */
  private readonly issuedBefore: number[] = [];
  /** Applies whose write is noted already. */
  private noted = 0;
  /**
   * The next entry's place in the order of events: invocations, completions, replica writes,
   * lock changes and client crashes all count, so only the order of two places means anything.
   */
  private nextSeq = 0;

  observe(t: number, observation: Observation): void {
    switch (observation.kind) {
      case 'invoke': {
        const op: Operation = {
          id: observation.opId,
          client: observation.client,
          op: observation.op,
          key: observation.key,
          value: observation.value,
          requestId: observation.requestId,
          invokedAt: t,
          completedAt: null,
          invokedSeq: this.nextSeq++,
          completedSeq: null,
          reply: null,
          server: null,
          result: null,
          ts: null,
          abandonedAt: null,
          abandonedSeq: null,
          session: this.sessionOf(observation.client),
        };
        this.operations.push(op);
        if (isIndex(op.id)) this.byIndex[op.id] = op;
        else this.byOtherId.set(op.id, op);
        return;
      }
      case 'complete': {
        const op = this.get(observation.opId);
        if (op === undefined || op.completedAt !== null) return;
        op.completedAt = t;
        op.completedSeq = this.nextSeq++;
        op.reply = observation.reply;
        op.server = observation.server;
        op.result = observation.value;
        op.ts = observation.ts;
        return;
      }
      case 'apply': {
        // A literal in the observation's key order, not { t, ...observation }: one per replica write.
        const { kind, node, key, value, ts, origin } = observation;
        const seq = this.nextSeq++;
        this.recorded.push({ t, kind, node, key, value, ts, origin, opIndex: -1, seq } as Recorded);
        this.issuedBefore.push(this.operations.length);
        return;
      }
      case 'note':
        if (observation.lock !== undefined)
          this.locks.push({ t, node: observation.node, ...observation.lock, seq: this.nextSeq++ });
        if (observation.emptied === true)
          this.wipes.push({ t, node: observation.node, seq: this.nextSeq++ });
        return;
    }
  }

  /**
   * Every change a replica made to its store, in order, each with the write it stores: the last
   * write issued by then with its origin as request id (-1 when none was).
   */
  get applies(): readonly Apply[] {
    const recorded = this.recorded;
    const ops = this.operations;
    const byRequest = this.writesByRequest;
    for (let a = this.noted; a < recorded.length; a++) {
      const upTo = this.issuedBefore[a]!;
      for (let i = this.mapped; i < upTo; i++) {
        const op = ops[i]!;
        if (op.op !== 'get') byRequest.set(op.requestId, i);
      }
      if (this.mapped < upTo) this.mapped = upTo;
      const apply = recorded[a]!;
      apply.opIndex = apply.origin === null ? -1 : (byRequest.get(apply.origin) ?? -1);
    }
    this.noted = recorded.length;
    return recorded;
  }

  /** What the history holds, without the bookkeeping kept to note the applies' writes. */
  toJSON(): {
    operations: readonly Operation[];
    applies: readonly Apply[];
    locks: readonly LockEvent[];
    wipes: readonly Wipe[];
  } {
    const { operations, applies, locks, wipes } = this;
    return { operations, applies, locks, wipes };
  }

  /** Entries recorded: operations, replica changes, wipes and lock changes (what maxHistory bounds). */
  get size(): number {
    return this.operations.length + this.recorded.length + this.locks.length + this.wipes.length;
  }

  /** A client crashed: what it had pending will never complete. */
  private readonly crashes = new Map<NodeId, number>();

  private sessionOf(client: NodeId): string {
    // Most runs crash no client: no lookup, which with thousands of clients read a cold name.
    if (this.crashes.size === 0) return client;
    const n = this.crashes.get(client) ?? 0;
    return n === 0 ? client : `${client}#${n}`;
  }

  abandon(t: number, client: NodeId): void {
    this.crashes.set(client, (this.crashes.get(client) ?? 0) + 1);
    const seq = this.nextSeq++;
    for (const op of this.operations) {
      if (op.client === client && op.completedAt === null && op.abandonedAt === null) {
        op.abandonedAt = t;
        op.abandonedSeq = seq;
      }
    }
  }

  /**
   * An independent copy, for a snapshot of the world: pending operations are copied (they change
   * when they complete or are abandoned); completed ones, applies and lock changes never change
   * again, so they are shared.
   */
  clone(): History {
    const copy = new History();
    const ops = new Map<Operation, Operation>();
    for (const op of this.operations) ops.set(op, op.completedAt === null ? { ...op } : op);
    const same = (op: Operation | undefined) => (op === undefined ? undefined : ops.get(op)!);
    // Loops, not push(...all): a long history would overflow the call's argument list.
    for (const op of ops.values()) copy.operations.push(op);
    for (const apply of this.applies) copy.recorded.push(apply);
    for (const n of this.issuedBefore) copy.issuedBefore.push(n);
    for (const lock of this.locks) copy.locks.push(lock);
    for (const wipe of this.wipes) copy.wipes.push(wipe);
    this.byIndex.forEach((op, i) => {
      copy.byIndex[i] = same(op);
    });
    for (const [id, op] of this.byOtherId) copy.byOtherId.set(id, same(op)!);
    for (const [request, i] of this.writesByRequest) copy.writesByRequest.set(request, i);
    for (const [client, n] of this.crashes) copy.crashes.set(client, n);
    // Counters kept beside the collections (plain numbers) go along as they are.
    for (const [field, value] of Object.entries(this))
      if (typeof value === 'number') Object.assign(copy, { [field]: value });
    return copy;
  }

  get(id: number): Operation | undefined {
    return isIndex(id) ? this.byIndex[id] : this.byOtherId.get(id);
  }
}

/** An id that can index an array without making it sparse beyond reason. */
function isIndex(id: number): boolean {
  return Number.isInteger(id) && id >= 0 && id < 0x4000_0000;
}
