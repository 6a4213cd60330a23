// The vocabulary every pure state machine in protocol/ shares: inputs arrive as data, effects
// leave as data. Nothing here reads a clock, draws a random number or performs I/O.

export type NodeId = string;
export type Key = string;

/** What the simulator tells a node each time it steps it. `clockMs` is the node's own clock. */
export interface StepContext {
  readonly nowMs: number;
  readonly clockMs: number;
}

/** Something the pure core wants recorded for the checkers (operations and replica changes). */
export type Observation =
  | {
      readonly kind: 'invoke';
      readonly opId: number;
      readonly client: NodeId;
      readonly op: 'put' | 'get' | 'delete';
      readonly key: Key;
      readonly value: string | null;
      readonly requestId: string;
    }
  | {
      readonly kind: 'complete';
      readonly opId: number;
      readonly client: NodeId;
      /** The wire reply that ended the operation, e.g. GET_OK or TRY_OTHER_SERVER_OR_LATER. */
      readonly reply: string;
      readonly server: NodeId;
      readonly value: string | null;
      /** The version the operation wrote or read; null when the reply carries none. */
      readonly ts: number | null;
    }
  | {
      readonly kind: 'apply';
      readonly node: NodeId;
      readonly key: Key;
      readonly value: string | null;
      readonly ts: number;
      /** The client request that created this version (client.seq), when known. */
      readonly origin: string | null;
    }
  | {
      readonly kind: 'note';
      readonly node: NodeId;
      readonly text: string;
      /** Set by the lock server: the change to its lock table that the text tells in words. */
      readonly lock?: LockChange;
      /**
       * Set by a replica that came back from a crash with an empty store (durability memory):
       * every version it held is gone, which the checkers must know (a replica that went back).
       */
      readonly emptied?: true;
    };

/**
 * A grant, release or expiry of a key's lock (the lock store), for the mutual-exclusion checker.
 * It rides on a `note` so that every renderer already shows it as a sentence.
 */
export interface LockChange {
  readonly key: Key;
  readonly event: 'grant' | 'release' | 'expire';
  /** The client the lock was granted to, and the operation (request id) it was granted for. */
  readonly holder: NodeId;
  readonly requestId: string;
  /**
   * The grant's number: it rises with every grant on the server (the fencing token). 0 on a
   * release that found the lock free already (lockOwnerCheck none answers it all the same): it
   * freed no grant, but its sender (`holder`, `requestId`: the release's own) stopped holding.
   */
  readonly token: number;
  /** release: the client that freed it (under lockOwnerCheck none, maybe not the holder). */
  readonly by: NodeId | null;
  /**
   * release: the request its RELEASE_LOCK was for. Not the holder's request when a late copy of
   * the holder's own earlier release freed a newer lock (lockOwnerCheck none); the holder then
   * goes on as if it held the lock, as after a stranger's release. Absent from older histories.
   */
  readonly byRequest?: string | null;
  /**
   * When the grant's lease runs out (the run's ms), null when it has none (lockLease 0). The
   * holder's hold ends then even when no expiry is recorded, because a stranger freed the lock
   * first. Absent from histories written before it was recorded.
   */
  readonly expiresAt?: number | null;
}

/** What a field of a wire message holds (a number: any finite one). */
export type FieldKind = 'string' | 'string|null' | 'number' | 'number|null';

/**
 * A store's wire vocabulary as data: for every message type, each of its fields (`type` aside) and
 * what it holds. Every field of the type must be listed and no other, so the compiler keeps the
 * table in step with the message types (a field written out that the type lacks is an error too).
 * What comes from outside (a live peer) is held to it.
 */
export type MessageShapes<M extends { readonly type: string }> = {
  readonly [T in M['type']]: {
    readonly [F in Exclude<keyof Extract<M, { readonly type: T }>, 'type'>]-?: FieldKind;
  };
};

export type Effect<M, T> =
  | { readonly type: 'send'; readonly to: NodeId; readonly message: M }
  | {
      readonly type: 'setTimer';
      /** Setting a timer whose key is already armed re-arms it. */
      readonly key: string;
      readonly afterMs: number;
      readonly timer: T;
    }
  | { readonly type: 'cancelTimer'; readonly key: string }
  | { readonly type: 'record'; readonly observation: Observation };

export type Input<M, T, O> =
  | { readonly type: 'receive'; readonly from: NodeId; readonly message: M }
  | { readonly type: 'timer'; readonly timer: T }
  /** A client is asked to perform an operation (the sim assigns the history id). */
  | { readonly type: 'invoke'; readonly opId: number; readonly op: O; readonly via: NodeId }
  /** The node comes back after a crash; `durable` is what survived, already chosen by the machine. */
  | { readonly type: 'restart' };

export interface StepResult<S, M, T> {
  readonly state: S;
  readonly effects: readonly Effect<M, T>[];
}

/**
 * Where a step hands its effects, one call per effect, in the order it means them: the same four
 * effects as `Effect`, without building each as an object and the step's list of them. A step
 * still performs nothing itself; whoever holds the sink decides what a send or a timer does.
 */
export interface Effects<M, T> {
  send(to: NodeId, message: M): void;
  /** Setting a timer whose key is already armed re-arms it. */
  setTimer(key: string, afterMs: number, timer: T): void;
  cancelTimer(key: string): void;
  record(observation: Observation): void;
}

/** A step that hands its effects to a sink and returns the new state (the same object: unchanged). */
export type StepInto<S, M, T, O> = (
  state: S,
  input: Input<M, T, O>,
  ctx: StepContext,
  out: Effects<M, T>,
) => S;

/**
 * A node's behaviour: its initial state, its step function, and what survives a crash.
 * `recover` receives the state at the moment of the crash and returns the state the node
 * restarts with (before its `restart` input). A machine may also give `stepInto`, the same step
 * handing its effects to a sink as they arise: the simulator then uses it, sparing a list and an
 * object per effect. The stores write `stepInto` and derive `step` from it (`machineOf`).
 */
export interface Machine<S, M, T, O> {
  init(): S;
  step(state: S, input: Input<M, T, O>, ctx: StepContext): StepResult<S, M, T>;
  stepInto?(state: S, input: Input<M, T, O>, ctx: StepContext, out: Effects<M, T>): S;
  recover(state: S): S;
}

/** A sink that keeps the effects as data, in order. */
class EffectList<M, T> implements Effects<M, T> {
  readonly list: Effect<M, T>[] = [];
  send(to: NodeId, message: M): void {
    this.list.push({ type: 'send', to, message });
  }
  setTimer(key: string, afterMs: number, timer: T): void {
    this.list.push({ type: 'setTimer', key, afterMs, timer });
  }
  cancelTimer(key: string): void {
    this.list.push({ type: 'cancelTimer', key });
  }
  record(observation: Observation): void {
    this.list.push({ type: 'record', observation });
  }
}

/**
 * What every node of a kind shares: its initial state, its step and its recovery, each given the
 * node's configuration (its name, its peers, the knobs).
 */
export interface MachineParts<C, S, M, T, O> {
  readonly init: () => S;
  readonly stepInto: ConfiguredStep<C, S, M, T, O>;
  readonly recover: (config: C, state: S) => S;
}

/** A kind's step, given the configuration of the node it steps first. */
export type ConfiguredStep<C, S, M, T, O> = (
  config: C,
  state: S,
  input: Input<M, T, O>,
  ctx: StepContext,
  out: Effects<M, T>,
) => S;

/**
 * A node's machine: its configuration and its kind's parts, `step` derived from `stepInto`
 * (effects returned as data). A class holding the two rather than closures over the
 * configuration: a machine per client, with thousands of clients, is one small object, and the
 * simulator calls the kind's step with the configuration (`configuredStepOf`) without going
 * through a closure and its context, two more cold reads a step.
 */
class MachineOfParts<C, S, M, T, O> implements Machine<S, M, T, O> {
  constructor(
    readonly config: C,
    readonly parts: MachineParts<C, S, M, T, O>,
  ) {}

  init(): S {
    return this.parts.init();
  }

  stepInto(state: S, input: Input<M, T, O>, ctx: StepContext, out: Effects<M, T>): S {
    return this.parts.stepInto(this.config, state, input, ctx, out);
  }

  recover(state: S): S {
    return this.parts.recover(this.config, state);
  }

  step(state: S, input: Input<M, T, O>, ctx: StepContext): StepResult<S, M, T> {
    return stepListing((s, i, c, out) => this.stepInto(s, i, c, out), state, input, ctx);
  }
}

/** A machine from parts that need no configuration (the bench's floor machines). */
export function machineOf<S, M, T, O>(parts: {
  readonly init: () => S;
  readonly stepInto: StepInto<S, M, T, O>;
  readonly recover: (state: S) => S;
}): Machine<S, M, T, O> {
  const { init, stepInto, recover } = parts;
  return new MachineOfParts<undefined, S, M, T, O>(undefined, {
    init,
    stepInto: (_config, state, input, ctx, out) => stepInto(state, input, ctx, out),
    recover: (_config, state) => recover(state),
  });
}

/**
 * A node's machine from its configuration and its kind's parts: no function is made per node
 * (tsx gives each function written in an object literal a `name` property of its own, which made
 * every client's machine several hundred bytes larger when each client's literal held its own).
 */
export function machineFor<C, S, M, T, O>(
  config: C,
  parts: MachineParts<C, S, M, T, O>,
): Machine<S, M, T, O> {
  return new MachineOfParts(config, parts);
}

/**
 * The machine's step as its kind's step and the node's configuration: the parts' own for a
 * machine made by `machineFor`, else its `stepInto` (or `step` replayed) with no configuration.
 */
export function configuredStepOf<S, M, T, O>(
  machine: Machine<S, M, T, O>,
): { readonly config: unknown; readonly step: ConfiguredStep<unknown, S, M, T, O> } {
  if (machine instanceof MachineOfParts)
    return { config: machine.config, step: machine.parts.stepInto };
  const stepInto = stepIntoOf(machine);
  return {
    config: undefined,
    step: (_config, state, input, ctx, out) => stepInto(state, input, ctx, out),
  };
}

/** A request id is `<client>.<seq>`: the client's name and its operation's sequence number. */
export function requestIdOf(client: string, seq: number): string {
  return `${client}.${seq}`;
}

export function clientOfRequestId(requestId: string): string {
  return requestId.slice(0, requestId.lastIndexOf('.'));
}

/** Whether request `a` was issued before request `b` in the same session (`c1.2` before `c1.10`). */
export function issuedBefore(a: string, b: string): boolean {
  return clientOfRequestId(a) === clientOfRequestId(b) && seqOfRequestId(a) < seqOfRequestId(b);
}

/** The sequence number after the last dot: Number(that text), read digit by digit when it can be. */
export function seqOfRequestId(requestId: string): number {
  const start = requestId.lastIndexOf('.') + 1;
  // Up to 15 digits are exact in a double; anything longer or stranger goes to Number().
  if (requestId.length - start > 15) return Number(requestId.slice(start));
  let seq = 0;
  for (let i = start; i < requestId.length; i++) {
    const digit = requestId.charCodeAt(i) - 48;
    // Digit by digit because Number(slice) costs a string per call, on every write the leader sees.
    if (digit < 0 || digit > 9) return Number(requestId.slice(start));
    seq = seq * 10 + digit;
  }
  return seq;
}

/** What a client records when it issues an operation (the history's invocation). */
export function invocation(
  client: NodeId,
  opId: number,
  op:
    | { readonly kind: 'put'; readonly key: Key; readonly value: string }
    | { readonly kind: 'get' | 'delete'; readonly key: Key },
  requestId: string,
): Observation {
  const value = op.kind === 'put' ? op.value : null;
  return { kind: 'invoke', opId, client, op: op.kind, key: op.key, value, requestId };
}

/** The machine's step handing its effects to a sink: its own `stepInto`, or `step` replayed. */
export function stepIntoOf<S, M, T, O>(machine: Machine<S, M, T, O>): StepInto<S, M, T, O> {
  if (machine.stepInto !== undefined) return machine.stepInto.bind(machine);
  return (state, input, ctx, out) => {
    const result = machine.step(state, input, ctx);
    playEffects(result.effects, out);
    return result.state;
  };
}

/** Hands a step's effects, as a list, to a sink, in order. */
export function playEffects<M, T>(effects: readonly Effect<M, T>[], out: Effects<M, T>): void {
  for (const effect of effects) {
    switch (effect.type) {
      case 'send':
        out.send(effect.to, effect.message);
        break;
      case 'setTimer':
        out.setTimer(effect.key, effect.afterMs, effect.timer);
        break;
      case 'cancelTimer':
        out.cancelTimer(effect.key);
        break;
      case 'record':
        out.record(effect.observation);
        break;
      default:
        assertNever(effect, 'effect');
    }
  }
}

/** The step of `stepInto` with its effects returned as a list. */
function stepListing<S, M, T, O>(
  stepInto: StepInto<S, M, T, O>,
  state: S,
  input: Input<M, T, O>,
  ctx: StepContext,
): StepResult<S, M, T> {
  const out = new EffectList<M, T>();
  const next = stepInto(state, input, ctx, out);
  return { state: next, effects: out.list.length === 0 ? NO_EFFECTS : out.list };
}

export const NO_EFFECTS: readonly never[] = Object.freeze([]);

export function assertNever(value: never, what: string): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(value)}`);
}

// An immutable table from strings, for state that grows with the cluster (the leader keeps one
// session per client, and writes in flight pile up while a follower is away). It iterates in
// Map's order: a new key goes last, a key set again keeps its place.
//
// A small table (most are) is one flat list of its keys and values: copying a few references
// costs less than anything else, and one array is what a client's table leaves alive between
// its operations. A large one is a version of one Map shared by the versions derived from each
// other, a set or a remove costing about what the Map's own does (Baker's "shallow binding"):
// the newest version holds the Map; each older one holds how it differs from the next newer
// one, a single key and that key's value in it. Reading a version first brings the Map to it,
// undoing the newer changes one key at a time (and noting each as the difference of the newer
// version), so every version reads as it was made, whichever is read and in whatever order; a
// run reads only its newest states, so the Map stays where they are. An older version kept (in
// a snapshot, say) keeps the differences of the versions made after it alive, one small object
// each. With 2,000 clients, the hash trie this replaces copied and read four arrays at every
// write to the leader's sessions (the bench's 2,000-client row took 0.87 times as long without).
//
// A key removed from the Map stays there, as GONE, so that undoing the removal puts it back in
// its place. A key set again after its removal, or too many GONE keys, gives the new version a
// Map of its own, built afresh (the older versions keep the one they share).

/** A removed key's value in a shared Map: it keeps the key's place while it is out. */
const GONE: unique symbol = Symbol('gone');
/** A version's difference on a key the Map does not hold at all in that version. */
const ABSENT: unique symbol = Symbol('absent');
type Held<V> = V | typeof GONE;

/** Up to this many entries a table is a list; past it, a shared Map (and a list again at half). */
const LIST_MAX = 8;

/** A small table's entries in order: key, value, key, value, … (values typed by the table). */
type List = readonly unknown[];

/** How an older version of a large table differs from the next newer one: on one key. */
interface Change<V> {
  readonly newer: StringTable<V>;
  readonly key: string;
  /** The key's value in the older version: a value, GONE, or ABSENT (not in the Map). */
  readonly held: Held<V> | typeof ABSENT;
}

export class StringTable<V> {
  private constructor(
    /**
     * A small table's list; a large one's Map while this is the version it holds; else how this
     * version differs from the next newer one. One field, so that a client's small table is
     * the list and its size.
     */
    private data: List | Map<string, Held<V>> | Change<V>,
    readonly size: number,
  ) {}

  private static readonly EMPTY = new StringTable<never>([], 0);

  static empty<V>(): StringTable<V> {
    return StringTable.EMPTY;
  }

  get(key: string): V | undefined {
    const data = this.data;
    if (Array.isArray(data)) {
      const i = indexOfKey(data, key);
      return i < 0 ? undefined : (data[i + 1] as V);
    }
    const held = this.current().get(key);
    return held === GONE ? undefined : held;
  }

  has(key: string): boolean {
    const data = this.data;
    if (Array.isArray(data)) return indexOfKey(data, key) >= 0;
    const held = heldIn(this.current(), key);
    return held !== ABSENT && held !== GONE;
  }

  /** A table with `key` set to `value`; this one is left as it was. */
  with(key: string, value: V): StringTable<V> {
    const list = this.data;
    if (Array.isArray(list)) {
      const i = indexOfKey(list, key);
      if (i >= 0) {
        const copy = list.slice();
        copy[i + 1] = value;
        return new StringTable<V>(copy, this.size);
      }
      if (this.size < LIST_MAX) {
        // Built at its final length: a push after a copy would grow it by 16 slots.
        const n = list.length;
        const copy = new Array<unknown>(n + 2);
        for (let j = 0; j < n; j++) copy[j] = list[j];
        copy[n] = key;
        copy[n + 1] = value;
        return new StringTable<V>(copy, this.size + 1);
      }
      const map = new Map<string, Held<V>>();
      for (let j = 0; j < list.length; j += 2) map.set(list[j] as string, list[j + 1] as V);
      return new StringTable<V>(map.set(key, value), this.size + 1);
    }
    const map = this.current();
    const held = heldIn(map, key);
    // Removed earlier: set again, it goes last, which undoing could not put back in its place.
    if (held === GONE) return new StringTable<V>(this.live().set(key, value), this.size + 1);
    const next = new StringTable<V>(map, held === ABSENT ? this.size + 1 : this.size);
    map.set(key, value);
    this.data = { newer: next, key, held };
    return next;
  }

  /** A table without `key` (this one when it has no such key). */
  without(key: string): StringTable<V> {
    const list = this.data;
    if (Array.isArray(list)) {
      const i = indexOfKey(list, key);
      if (i < 0) return this;
      // Its last key gone, the one shared empty table stands for it: a client's pending requests
      // empty at every answer, and with thousands of clients each empty one made would live on.
      if (this.size === 1) return StringTable.empty();
      const copy = new Array<unknown>(list.length - 2);
      for (let j = 0; j < copy.length; j++) copy[j] = list[j < i ? j : j + 2];
      return new StringTable<V>(copy, this.size - 1);
    }
    if (!this.has(key)) return this;
    if (this.size - 1 <= LIST_MAX / 2) {
      const rest: unknown[] = [];
      for (const [k, v] of this.entries()) if (k !== key) rest.push(k, v);
      return new StringTable<V>(rest, this.size - 1);
    }
    const map = this.current();
    // Mostly GONE keys: the new version gets a Map of its live ones.
    if (map.size > 2 * this.size + LIST_MAX) {
      const live = this.live();
      live.delete(key);
      return new StringTable<V>(live, this.size - 1);
    }
    const held = map.get(key) as V;
    const next = new StringTable<V>(map, this.size - 1);
    map.set(key, GONE);
    this.data = { newer: next, key, held };
    return next;
  }

  /** Keys in Map's order (first set first). */
  keys(): string[] {
    const list = this.data;
    if (!Array.isArray(list)) return this.entries().map(([key]) => key);
    // A small table's keys straight from its list (a client reads its pending requests' ids at
    // every write it sends).
    const out = new Array<string>(this.size);
    for (let j = 0; j < out.length; j++) out[j] = list[2 * j] as string;
    return out;
  }

  /** Values in Map's order (first set first). */
  values(): V[] {
    return this.entries().map(([, value]) => value);
  }

  /** Key and value pairs in Map's order (first set first). */
  entries(): [string, V][] {
    const out: [string, V][] = [];
    const list = this.data;
    if (Array.isArray(list)) {
      for (let j = 0; j < list.length; j += 2) out.push([list[j] as string, list[j + 1] as V]);
      return out;
    }
    for (const [key, held] of this.current()) if (held !== GONE) out.push([key, held]);
    return out;
  }

  /** A new Map of this version's entries, without GONE keys. */
  private live(): Map<string, Held<V>> {
    return new Map<string, Held<V>>(this.entries());
  }

  /**
   * The shared Map, brought to this version: from the version holding it back to this one, each
   * newer version's change is undone and noted as that version's difference from the older.
   */
  private current(): Map<string, Held<V>> {
    if (this.data instanceof Map) return this.data;
    const path: StringTable<V>[] = [];
    let at: StringTable<V> = this;
    while (!(at.data instanceof Map)) {
      path.push(at);
      at = (at.data as Change<V>).newer;
    }
    const map = at.data;
    for (let i = path.length - 1; i >= 0; i--) {
      const older = path[i]!;
      const { newer, key, held } = older.data as Change<V>;
      newer.data = { newer: older, key, held: heldIn(map, key) };
      if (held === ABSENT) map.delete(key);
      else map.set(key, held);
      older.data = map;
    }
    return map;
  }
}

/** What a shared Map holds under `key`: a value, GONE, or ABSENT when it has no such key. */
function heldIn<V>(map: Map<string, Held<V>>, key: string): Held<V> | typeof ABSENT {
  const held = map.get(key);
  return held !== undefined || map.has(key) ? (held as Held<V>) : ABSENT;
}

/** Where `key` sits in a list (its value is next), or -1. */
function indexOfKey(list: List, key: string): number {
  for (let i = 0; i < list.length; i += 2) if (list[i] === key) return i;
  return -1;
}

// An immutable subset of a fixed list (the followers a leader's write still awaits), as bits over
// the list's positions. Asking whether it holds an item is one lookup, and taking one out copies
// one word per 30 items: an array searched and filtered at every acknowledgement made a write to
// 98 followers cost a number of steps quadratic in them. Its items come in the list's order.

/** A list and each item's position in it, made once per list. */
interface Universe<T> {
  readonly items: readonly T[];
  readonly position: ReadonlyMap<T, number>;
}

/** Each list's whole subset, made once (a leader starts every write from its followers'). */
const wholes = new WeakMap<readonly unknown[], Subset<unknown>>();

/** Bits a word of a subset holds: 30, so that every word is a small integer to the engine. */
const WORD = 30;

export class Subset<T> {
  private constructor(
    private readonly universe: Universe<T>,
    /** Bit i % WORD of word ⌊i / WORD⌋: the list's i-th item is in the subset. */
    private readonly words: readonly number[],
    readonly size: number,
  ) {}

  /** Every item of `items` (which must hold each item once). */
  static all<T>(items: readonly T[]): Subset<T> {
    let whole = wholes.get(items) as Subset<T> | undefined;
    if (whole === undefined) {
      const position = new Map(items.map((item, i) => [item, i] as const));
      const words: number[] = [];
      for (let left = items.length; left > 0; left -= WORD)
        words.push(2 ** Math.min(left, WORD) - 1);
      whole = new Subset({ items, position }, words, items.length);
      wholes.set(items, whole);
    }
    return whole;
  }

  has(item: T): boolean {
    const i = this.universe.position.get(item);
    return i !== undefined && this.holds(i);
  }

  /** The subset without `item` (this one when it does not hold it). */
  without(item: T): Subset<T> {
    const i = this.universe.position.get(item);
    if (i === undefined || !this.holds(i)) return this;
    const words = this.words.slice();
    const w = Math.floor(i / WORD);
    words[w] = words[w]! & ~(1 << (i % WORD));
    return new Subset(this.universe, words, this.size - 1);
  }

  /** The first item, in the list's order. */
  first(): T | undefined {
    const { items } = this.universe;
    for (let i = 0; i < items.length; i++) if (this.holds(i)) return items[i];
    return undefined;
  }

  /** The items, in the list's order. */
  items(): T[] {
    const { items } = this.universe;
    // The whole list (every write starts with all its followers) is a copy of it.
    if (this.size === items.length) return items.slice();
    const out: T[] = [];
    for (let i = 0; i < items.length; i++) if (this.holds(i)) out.push(items[i]!);
    return out;
  }

  private holds(i: number): boolean {
    return (this.words[Math.floor(i / WORD)]! & (1 << (i % WORD))) !== 0;
  }
}

// An immutable first-in first-out queue, for the operations a sequential client holds back. A
// list copied at every step made a client with thousands of operations waiting quadratic (30,000
// queued: 11 s; 100,000: 2 minutes); here adding and taking cost O(1), amortized. Items taken
// come from `front` (read from `at` on); items added go on `back`, newest first, and become the
// next front once the front is used up. Two queues holding the same items may be built
// differently: compare them by `items()`.

interface Cell<T> {
  readonly item: T;
  readonly next: Cell<T> | null;
}

export class Fifo<T> {
  private constructor(
    private readonly front: readonly T[],
    private readonly at: number,
    private readonly back: Cell<T> | null,
    readonly size: number,
  ) {}

  private static readonly EMPTY = new Fifo<never>([], 0, null, 0);

  static empty<T>(): Fifo<T> {
    return Fifo.EMPTY;
  }

  /** The queue with `item` added last. */
  push(item: T): Fifo<T> {
    if (this.size === 0) return new Fifo([item], 0, null, 1);
    return new Fifo(this.front, this.at, { item, next: this.back }, this.size + 1);
  }

  /** The item that has waited longest (undefined when empty). */
  first(): T | undefined {
    return this.size === 0 ? undefined : this.front[this.at];
  }

  /** The queue without its first item. */
  rest(): Fifo<T> {
    if (this.size <= 1) return Fifo.empty();
    if (this.at + 1 < this.front.length)
      return new Fifo(this.front, this.at + 1, this.back, this.size - 1);
    return new Fifo(newestLast(this.back), 0, null, this.size - 1);
  }

  /** The items, first to last. */
  items(): T[] {
    const out = this.front.slice(this.at);
    for (const item of newestLast(this.back)) out.push(item);
    return out;
  }
}

/** A `back` list's items, oldest first. */
function newestLast<T>(cell: Cell<T> | null): T[] {
  const out: T[] = [];
  for (let c = cell; c !== null; c = c.next) out.push(c.item);
  return out.reverse();
}
