// The canonical form of a world, a short list of 32-bit words: two worlds with the same form
// behave alike from here on and are judged alike, so the search explores one of them. The form
// keeps only what the future and the checkers can tell apart (see `encode`), and renames
// interchangeable clients so that one world stands for all its mirror images.

import { Fifo, type NodeId, type Observation, StringTable, Subset } from '../../protocol/core.ts';
import { Forms, Words } from './forms.ts';
import type { Setup } from './setup.ts';
import { onTimeInTimerMs, timersBefore, type World } from './world.ts';

/** A renaming of nodes: position i of the world holds node `order[i]` after renaming. */
interface Renaming {
  /** Numbers of values under this renaming. */
  readonly ser: Serializer;
  /** For each node index, its index after renaming. */
  readonly index: readonly number[];
  /** For each index after renaming, the node index it came from. */
  readonly from: readonly number[];
}

/**
 * A number slot holds a 32-bit integer as itself (-0 as 0, as String writes it); any other number
 * is ESCAPE and then the number of its text, so that no two numbers share a form.
 */
const ESCAPE = -0x80000000;

export class Keyer {
  private readonly renamings: Renaming[];
  /** Replicated store: a replica's applies are judged per replica, so only their order there matters. */
  private readonly appliesPerReplica: boolean;
  /** Texts and forms met, numbered: a world's form names its parts by these numbers. */
  private readonly shared: Shared = {
    texts: new Map(),
    strings: [],
    forms: new Forms(),
    written: [],
  };
  /** Forms of histories, numbered. */
  private readonly histories = new Forms();
  /** For a node index, its place in Setup.clients (undefined for a server). */
  private readonly clientOfNode: (number | undefined)[] = [];
  /**
   * Liveness is judged against a bound (a follower may stay down for good): it subtracts times,
   * so the key keeps the history's times, messages' send times and the last fault's time.
   */
  private readonly timed: boolean;
  /** The least form so far, and the one being written: two buffers that trade places. */
  private best = new Words();
  private scratch = new Words();
  /** Where each message's words start in the form being written (to sort them as a multiset). */
  private readonly starts = new Words();

  constructor(
    private readonly setup: Setup,
    symmetric: readonly (readonly NodeId[])[],
  ) {
    this.appliesPerReplica = setup.store.name === 'replicated';
    this.timed = setup.livenessBound !== null;
    setup.clients.forEach((c, k) => {
      this.clientOfNode[c.node] = k;
    });
    const ids = setup.nodes.map((n) => n.id);
    const base = new Serializer(null, this.shared, null);
    this.renamings = permutations(symmetric).map((names) => {
      const index = ids.map((id) => setup.index.get(names.get(id) ?? id)!);
      const from: number[] = [];
      index.forEach((to, i) => {
        from[to] = i;
      });
      const ser = names.size === 0 ? base : new Serializer(names, this.shared, base);
      return { ser, index, from };
    });
  }

  /** How many renamings each world is compared under (1: no symmetry). */
  get symmetries(): number {
    return this.renamings.length;
  }

  /**
   * The world's canonical form: the least of its forms under every renaming. The words are the
   * keyer's own, good until its next call.
   */
  canonical(w: World): Words {
    this.encode(w, this.renamings[0]!, this.best);
    for (let i = 1; i < this.renamings.length; i++) {
      this.encode(w, this.renamings[i]!, this.scratch);
      if (this.scratch.compare(this.best) < 0) {
        const least = this.scratch;
        this.scratch = this.best;
        this.best = least;
      }
    }
    return this.best;
  }

  /** The canonical form as text: equal for two worlds exactly when their forms are equal. */
  key(w: World): string {
    const words = this.canonical(w);
    return words.buf.subarray(0, words.length).join(',');
  }

  /**
   * What the form keeps: the time; each node's state, whether it is up and its clock; the messages
   * in flight as a multiset (in send order, with whether each was sent this ms, when deliveries
   * may share a ms); the timers in firing order; operations issued, clock steps done, budgets spent;
   * and the history. Of the history it keeps the order of records and which share a ms, not their
   * times (the checkers compare places in that order, and times, but never subtract times); with
   * `appliesPerReplica`, a replica's applies are kept in their order on that replica only, so
   * deliveries to different replicas in either order meet in one world (this is the partial-order
   * reduction: see README). A list of varying length is preceded by its length.
   */
  private encode(w: World, r: Renaming, out: Words): void {
    const ser = r.ser;
    out.length = 0;
    this.num(out, w.now);
    for (let j = 0; j < r.from.length; j++) {
      const i = r.from[j]!;
      out.push(w.up[i] ? 0 : w.gone[i] ? 1 : 2);
      this.num(out, w.clockOffsetMs[i]!);
      ser.write(out, w.states[i]);
    }
    this.messages(w, r, out);
    out.push(w.timers.length);
    for (const t of w.timers) {
      out.push(r.index[t.node]!);
      // Whether it was set in time to come before every message due at its deadline (inTimerMs).
      out.push(ser.stringId(t.key) * 2 + (t.setAt < t.deadline - 1 ? 1 : 0));
      this.num(out, t.deadline);
      ser.write(out, t.timer);
    }
    for (let j = 0; j < r.from.length; j++) {
      const k = this.clientOfNode[r.from[j]!];
      if (k !== undefined) out.push(w.issued[k]!);
    }
    for (const done of w.clockStepsDone) out.push(done ? 1 : 0);
    const u = w.used;
    out.push(u.drops);
    out.push(u.duplicates);
    out.push(u.delays);
    out.push(u.crashes);
    out.push(u.clientCrashes);
    out.push(u.downForGood);
    if (this.timed) this.num(out, w.faultAt);
    // The history's number is kept on its list, which worlds share until it grows.
    let history = ser.known(w.records);
    if (history === undefined) {
      const words = ser.frame();
      this.history(w, r, words);
      ser.up();
      history = ser.keep(w.records, this.histories.number(words));
    }
    out.push(history);
  }

  /** The messages in flight; a multiset (sorted) unless deliveries may share a ms. */
  private messages(w: World, r: Renaming, out: Words): void {
    const sameMs = this.setup.sameMs && w.lastDelivery !== null && w.lastDelivery.t === w.now;
    out.push(w.inFlight.length);
    const starts = this.starts;
    starts.length = 0;
    // With a timer due in the next ms, the messages sent in this one may arrive in its ms, before
    // or after it: each is marked with how many timers due then come before it in the simulator's
    // queue. Those that may arrive on time in a timer's ms from here are numbered in their send
    // order, which is the order they may arrive in (see World.inTimerMs). The timer due in the
    // next ms may come after one still due in this one.
    const soon = w.timers.some((t) => t.deadline === w.now + 1);
    const firing = w.timers[0]?.deadline === w.now;
    let due = 0;
    for (const m of w.inFlight) {
      starts.push(out.length);
      out.push(r.index[m.from]!);
      out.push(r.index[m.to]!);
      let flags = (m.twin ? 1 : 0) | (m.slow ? 2 : 0);
      if (sameMs) {
        if (m.sentAt === w.now) flags |= 4;
        if (m.seq > w.lastDelivery!.seq) flags |= 8;
        // Kept in send order: whether it is due now is what a timer due now asks.
        if (firing && m.sentAt === w.now - 1 && !m.slow) flags |= 16;
      } else {
        if (soon && m.sentAt === w.now) flags |= 4;
        if (onTimeInTimerMs(w, m) >= 0) flags |= 16 + 32 * due++;
      }
      // A slow message never arrives on time in a timer's ms: its place in the queue is moot.
      if (!m.slow && ((soon && m.sentAt === w.now) || (firing && m.sentAt === w.now - 1)))
        flags |= timersBefore(w, m) << 24;
      out.push(flags);
      if (this.timed) this.num(out, m.sentAt);
      r.ser.write(out, m.message);
    }
    if (!this.setup.sameMs && starts.length > 1) sortRuns(out, starts);
  }

  private num(out: Words, x: number): void {
    if ((x | 0) === x && x !== ESCAPE) out.push(x);
    else {
      out.push(ESCAPE);
      out.push(numberOf(this.shared.texts, String(x)));
    }
  }

  /**
   * The history: the records in order but for a replica's applies (with `appliesPerReplica`),
   * each as its time (or whether it shares the previous one's ms), its node and its observation
   * (-1: a client's crash); then each replica's applies in their order there.
   */
  private history(w: World, r: Renaming, out: Words): void {
    const ser = r.ser;
    const count = out.length;
    out.push(0);
    let lastT = -1;
    for (const rec of w.records) {
      const abandon = 'abandon' in rec;
      if (!abandon && this.appliesPerReplica && ofReplica(rec.observation)) continue;
      if (this.timed) this.num(out, rec.t);
      else out.push(rec.t === lastT ? 1 : 0);
      lastT = rec.t;
      out.push(r.index[rec.node]!);
      out.push(abandon ? -1 : ser.id(rec.observation));
      out.bump(count);
    }
    if (!this.appliesPerReplica) return;
    for (let j = 0; j < r.from.length; j++) {
      const at = out.length;
      out.push(0);
      for (const rec of w.records) {
        if ('abandon' in rec || !ofReplica(rec.observation) || r.index[rec.node] !== j) continue;
        out.push(ser.id(rec.observation));
        out.bump(at);
      }
    }
  }
}

/** What a replica's own store went through: its applies, and a restart that emptied it. */
function ofReplica(o: Observation): boolean {
  return o.kind === 'apply' || (o.kind === 'note' && o.emptied === true);
}

/** Scratch space of sortRuns: the runs' order, and a copy of the words being reordered. */
const order = new Words();
let copy = new Int32Array(256);

/**
 * Sorts the runs of words that start at `starts` (each ends where the next starts, the last at
 * the end) into lexicographic order, in place: a multiset's canonical order. Few runs: insertion.
 */
function sortRuns(out: Words, starts: Words): void {
  const buf = out.buf;
  const runs = starts.length;
  const first = starts.buf[0]!;
  const end = out.length;
  starts.push(end);
  const at = starts.buf;
  // place[k]: the run in place k.
  order.length = 0;
  for (let k = 0; k < runs; k++) order.push(k);
  const place = order.buf;
  let moved = false;
  for (let k = 1; k < runs; k++) {
    const x = place[k]!;
    let p = k;
    while (p > 0 && runBefore(buf, at, x, place[p - 1]!)) {
      place[p] = place[p - 1]!;
      p--;
    }
    place[p] = x;
    if (p !== k) moved = true;
  }
  if (!moved) return;
  if (copy.length < end - first) copy = new Int32Array(2 * (end - first));
  for (let i = first; i < end; i++) copy[i - first] = buf[i]!;
  let to = first;
  for (let k = 0; k < runs; k++) {
    const run = place[k]!;
    for (let i = at[run]!; i < at[run + 1]!; i++) buf[to++] = copy[i - first]!;
  }
}

/** Whether run a comes before run b (runs as in sortRuns, `at` closed by the end). */
function runBefore(buf: Int32Array, at: Int32Array, a: number, b: number): boolean {
  const aEnd = at[a + 1]!;
  const bEnd = at[b + 1]!;
  let i = at[a]!;
  let j = at[b]!;
  for (; i < aEnd && j < bEnd; i++, j++) if (buf[i] !== buf[j]) return buf[i]! < buf[j]!;
  return aEnd - i < bEnd - j;
}

/** The number of a text among those met: the next one when it is new. */
function numberOf(texts: Map<string, number>, text: string): number {
  let n = texts.get(text);
  if (n === undefined) {
    n = texts.size;
    texts.set(text, n);
  }
  return n;
}

/** Every renaming that permutes each class of interchangeable nodes among itself. */
function permutations(classes: readonly (readonly NodeId[])[]): Map<NodeId, NodeId>[] {
  let out: Map<NodeId, NodeId>[] = [new Map()];
  for (const cls of classes) {
    const next: Map<NodeId, NodeId>[] = [];
    for (const order of orders(cls)) {
      for (const base of out) {
        const m = new Map(base);
        cls.forEach((id, i) => {
          if (order[i] !== id) m.set(id, order[i]!);
        });
        next.push(m);
      }
    }
    out = next;
  }
  return out;
}

function orders<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [items.slice()];
  const out: T[][] = [];
  items.forEach((item, i) => {
    for (const rest of orders([...items.slice(0, i), ...items.slice(i + 1)]))
      out.push([item, ...rest]);
  });
  return out;
}

/** A value's words: what it is, then its number (an int's own, a text's, an object's). */
const OBJECT = 0;
const INT = 1;
/** Any other number: its text's. */
const NUMBER = 2;
const STRING = 3;
const BOOLEAN = 4;
const NULL = 5;
const UNDEFINED = 6;

/** An object with this serializer's number on it. */
type Marked = Record<symbol, unknown>;

/** What an object's form starts with. */
const LIST = 1;
const QUEUE = 2;
const TABLE = 3;
const MAP = 4;
const RECORD = 5;

/** What the serializers of one keyer share. */
interface Shared {
  /** Every text met (a string's, a field name's, an odd number's), numbered. */
  readonly texts: Map<string, number>;
  /** The string each text number in a form stands for (before JSON), to rename it. */
  readonly strings: string[];
  /** Forms of objects, numbered, and each form's words by its number (to rename it). */
  readonly forms: Forms;
  readonly written: Int32Array[];
}

/**
 * Numbers a machine's values by their content: maps and objects in their own order (a machine may
 * iterate a map, so two maps that differ only in order may behave differently), with node names
 * renamed wherever they appear, inside request ids (`c1.3`) and timer keys (`timeout:c1.3`) too.
 * The serializer that renames nothing numbers objects; one that renames takes that number and
 * renames the form it stands for, once per form (a search meets a few thousand forms, and
 * millions of objects).
 */
class Serializer {
  /**
   * The machines never change a state, message or observation once made: its number holds, and
   * is kept on it (under a key of this serializer's own), so an object's form names its parts by
   * their numbers and stays short however deep it is.
   */
  private readonly mark = Symbol('verify key');
  private readonly owner = Symbol('verify key owner');
  /** For the rare object that takes no new property. */
  private readonly cache = new WeakMap<object, number>();
  /** Numbers of strings met (request ids, timer keys, node names: a small vocabulary), renamed. */
  private readonly strings = new Map<string, number>();
  /** For a form's number, the number of the form renamed. */
  private readonly renames: number[] = [];
  /** The forms being written, one per depth of objects within objects. */
  private readonly stack: Words[] = [];
  private depth = 0;

  constructor(
    private readonly names: ReadonlyMap<NodeId, NodeId> | null,
    private readonly shared: Shared,
    /** The serializer that renames nothing (null: this one). */
    private readonly base: Serializer | null,
  ) {}

  /** The number of a string's text after renaming. */
  stringId(s: string): number {
    let n = this.strings.get(s);
    if (n === undefined) {
      const renamed =
        this.names === null
          ? s
          : s
              .split(/([.:#])/)
              .map((part) => this.names!.get(part) ?? part)
              .join('');
      n = numberOf(this.shared.texts, JSON.stringify(renamed));
      this.shared.strings[n] = renamed;
      this.strings.set(s, n);
    }
    return n;
  }

  /** A value as two words: what it is and its number. */
  write(out: Words, v: unknown): void {
    switch (typeof v) {
      case 'object':
        if (v === null) {
          out.push(NULL);
          out.push(0);
        } else {
          out.push(OBJECT);
          out.push(this.id(v));
        }
        return;
      case 'number':
        if ((v | 0) === v) {
          out.push(INT);
          out.push(v);
        } else {
          out.push(NUMBER);
          out.push(numberOf(this.shared.texts, String(v)));
        }
        return;
      case 'string':
        out.push(STRING);
        out.push(this.stringId(v));
        return;
      case 'boolean':
        out.push(BOOLEAN);
        out.push(v ? 1 : 0);
        return;
      case 'undefined':
        out.push(UNDEFINED);
        out.push(0);
        return;
      default:
        throw new Error(`verify: cannot key a ${typeof v}`);
    }
  }

  /** The number of an object's form (kept on it). */
  id(v: object): number {
    if (this.base !== null) return this.renamed(this.base.id(v));
    const known = this.known(v);
    if (known !== undefined) return known;
    const out = this.frame();
    this.describe(v, out);
    this.depth--;
    return this.keep(v, this.formNumber(out));
  }

  /** The number of form n renamed: its strings renamed, the forms it names renamed. */
  private renamed(n: number): number {
    const known = this.renames[n];
    if (known !== undefined) return known;
    const form = this.shared.written[n]!;
    const out = this.frame();
    const kind = form[0]!;
    const count = form[1]!;
    out.push(kind);
    out.push(count);
    let i = 2;
    for (let k = 0; k < count; k++) {
      if (kind === TABLE) out.push(this.stringId(this.shared.strings[form[i++]!]!));
      else if (kind === RECORD) out.push(form[i++]!);
      else if (kind === MAP) i = this.renameValue(form, i, out);
      i = this.renameValue(form, i, out);
    }
    this.depth--;
    const m = this.formNumber(out);
    this.renames[n] = m;
    return m;
  }

  /** Writes the value at form[i] (two words, as `write` wrote it) renamed; returns where it ends. */
  private renameValue(form: Int32Array, i: number, out: Words): number {
    const tag = form[i]!;
    const x = form[i + 1]!;
    out.push(tag);
    if (tag === OBJECT) out.push(this.renamed(x));
    else if (tag === STRING) out.push(this.stringId(this.shared.strings[x]!));
    else out.push(x);
    return i + 2;
  }

  /** The number of an object's form, its words kept when it is new. */
  private formNumber(out: Words): number {
    const forms = this.shared.forms;
    const size = forms.size;
    const n = forms.number(out);
    if (n === size) this.shared.written[n] = out.buf.slice(0, out.length);
    return n;
  }

  /**
   * The number kept on an object. It is kept under two plain properties (a non-enumerable one
   * costs ten times as much to add): its number and the object itself, since a copy made by
   * spreading (`{ ...state, term }`) takes both along, and is told apart by the second.
   */
  known(v: object): number | undefined {
    const o = v as Marked;
    return o[this.owner] === v ? (o[this.mark] as number) : this.cache.get(v);
  }

  /** Empty words for a form, one depth down: the caller steps back up (`up`) once it is written. */
  frame(): Words {
    const out = this.stack[this.depth] ?? new Words();
    this.stack[this.depth++] = out;
    out.length = 0;
    return out;
  }

  up(): void {
    this.depth--;
  }

  /** Keeps a number on the object it stands for. */
  keep(v: object, n: number): number {
    if (Object.isExtensible(v)) {
      const o = v as Marked;
      o[this.mark] = n;
      o[this.owner] = v;
    } else this.cache.set(v, n);
    return n;
  }

  private describe(v: object, out: Words): void {
    // A subset is its items, in its list's order (as the array it replaced was).
    if (Array.isArray(v) || v instanceof Subset) {
      const items: readonly unknown[] = Array.isArray(v) ? v : v.items();
      out.push(LIST);
      out.push(items.length);
      for (const x of items) this.write(out, x);
    } else if (v instanceof Fifo) {
      // Two queues of the same items may be built differently: the items are what count.
      const items = v.items();
      out.push(QUEUE);
      out.push(items.length);
      for (const x of items) this.write(out, x);
    } else if (v instanceof StringTable) {
      // So are a table's entries in their order, not how it was built (a list, or a shared Map).
      const entries = v.entries();
      out.push(TABLE);
      out.push(entries.length);
      for (const [k, x] of entries) {
        out.push(this.stringId(k));
        this.write(out, x);
      }
    } else if (v instanceof Map) {
      out.push(MAP);
      out.push(v.size);
      for (const [k, x] of v) {
        this.write(out, k);
        this.write(out, x);
      }
    } else {
      out.push(RECORD);
      const count = out.length;
      out.push(0);
      for (const k in v) {
        out.push(numberOf(this.shared.texts, k));
        this.write(out, (v as Record<string, unknown>)[k]);
        out.bump(count);
      }
    }
  }
}
