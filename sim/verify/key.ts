// The canonical text of a world, hashed: two worlds with the same key behave alike from here on
// and are judged alike, so the search explores one of them. The key keeps only what the future and
// the checkers can tell apart (see `canonicalText`), and renames interchangeable clients so that
// one world stands for all its mirror images.

import { Fifo, type NodeId, StringTable, Subset } from '../../protocol/core.ts';
import { TextHash } from '../kernel/hash.ts';
import type { Setup } from './setup.ts';
import type { World } from './world.ts';

/** A renaming of nodes: position i of the world holds node `order[i]` after renaming. */
interface Renaming {
  readonly names: ReadonlyMap<NodeId, NodeId> | null;
  /** Texts under this renaming, kept per object: worlds share their unchanged parts. */
  readonly ser: Serializer;
  /** For each node index, its index after renaming. */
  readonly index: readonly number[];
  /** For each index after renaming, the node index it came from. */
  readonly from: readonly number[];
}

export class Keyer {
  private readonly renamings: Renaming[];
  /** Replicated store: a replica's applies are judged per replica, so only their order there matters. */
  private readonly appliesPerReplica: boolean;
  /** Every object text met, numbered: an object's text names its parts by their numbers. */
  private readonly texts = new Map<string, number>();
  /** The history's text per records list and renaming: worlds share the list until it grows. */
  private readonly histories: WeakMap<readonly unknown[], string>[] = [];
  /** For a node index, its place in Setup.clients (undefined for a server). */
  private readonly clientOfNode: (number | undefined)[] = [];
  /**
   * Liveness is judged against a bound (a follower may stay down for good): it subtracts times,
   * so the key keeps the history's times, messages' send times and the last fault's time.
   */
  private readonly timed: boolean;

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
    this.renamings = permutations(symmetric).map((names) => {
      const index = ids.map((id) => setup.index.get(names.get(id) ?? id)!);
      const from: number[] = [];
      index.forEach((to, i) => {
        from[to] = i;
      });
      const renamed = names.size === 0 ? null : names;
      return { names: renamed, ser: new Serializer(renamed, this.texts), index, from };
    });
  }

  /** How many renamings each world is compared under (1: no symmetry). */
  get symmetries(): number {
    return this.renamings.length;
  }

  key(w: World): string {
    let best: string | null = null;
    for (const r of this.renamings) {
      const text = this.canonicalText(w, r);
      if (best === null || text < best) best = text;
    }
    return new TextHash().update(best!).hex();
  }

  /**
   * What the key keeps: the time; each node's state, whether it is up and its clock; the messages
   * in flight as a multiset (in send order, with whether each was sent this ms, when deliveries
   * may share a ms); the timers in firing order; operations issued, clock steps done, budgets spent;
   * and the history. Of the history it keeps the order of records and which share a ms, not their
   * times (the checkers compare places in that order, and times, but never subtract times); with
   * `appliesPerReplica`, a replica's applies are kept in their order on that replica only, so
   * deliveries to different replicas in either order meet in one world (this is the partial-order
   * reduction: see README).
   */
  canonicalText(w: World, r: Renaming): string {
    const ser = r.ser;
    const parts: string[] = [String(w.now)];
    for (let j = 0; j < r.from.length; j++) {
      const i = r.from[j]!;
      parts.push(
        `${w.up[i] ? 'U' : w.gone[i] ? 'G' : 'D'}${w.clockOffsetMs[i]}${ser.value(w.states[i])}`,
      );
    }
    const sameMs = this.setup.sameMs && w.lastDelivery !== null && w.lastDelivery.t === w.now;
    const messages = w.inFlight.map((m) => {
      const flags = sameMs
        ? `${m.sentAt === w.now ? 'f' : ''}${m.seq > w.lastDelivery!.seq ? 'a' : ''}`
        : '';
      const sent = this.timed ? `@${m.sentAt}` : '';
      return `${r.index[m.from]}>${r.index[m.to]}${m.twin ? 't' : ''}${m.slow ? 's' : ''}${flags}${sent}${ser.value(m.message)}`;
    });
    if (!this.setup.sameMs) messages.sort();
    parts.push(messages.join(','));
    parts.push(
      w.timers
        .map((t) => `${r.index[t.node]}${ser.text(t.key)}@${t.deadline}${ser.value(t.timer)}`)
        .join(','),
    );
    const issued: number[] = [];
    for (let j = 0; j < r.from.length; j++) {
      const k = this.clientOfNode[r.from[j]!];
      if (k !== undefined) issued.push(w.issued[k]!);
    }
    parts.push(issued.join(','));
    parts.push(w.clockStepsDone.map((d) => (d ? 1 : 0)).join(''));
    const u = w.used;
    parts.push(
      `${u.drops},${u.duplicates},${u.delays},${u.crashes},${u.clientCrashes},${u.downForGood}`,
    );
    if (this.timed) parts.push(String(w.faultAt));
    const r0 = this.renamings.indexOf(r);
    let cache = this.histories[r0];
    if (cache === undefined) {
      cache = new WeakMap();
      this.histories[r0] = cache;
    }
    let history = cache.get(w.records);
    if (history === undefined) {
      history = this.history(w, r, ser);
      cache.set(w.records, history);
    }
    parts.push(history);
    return parts.join('|');
  }

  private history(w: World, r: Renaming, ser: Serializer): string {
    const ordered: string[] = [];
    const perReplica: string[][] = r.from.map(() => []);
    let lastT = -1;
    for (const rec of w.records) {
      const node = r.index[rec.node]!;
      if ('abandon' in rec) {
        ordered.push(`${this.timed ? `@${rec.t}` : rec.t === lastT ? '=' : ''}A${node}`);
        lastT = rec.t;
      } else if (this.appliesPerReplica && rec.observation.kind === 'apply') {
        perReplica[node]!.push(ser.value(rec.observation));
      } else {
        ordered.push(
          `${this.timed ? `@${rec.t}` : rec.t === lastT ? '=' : ''}${node}${ser.value(rec.observation)}`,
        );
        lastT = rec.t;
      }
    }
    return `${ordered.join(',')}/${perReplica.map((l) => l.join(',')).join('/')}`;
  }
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

/**
 * A stable text of a machine's state: maps and objects in their own order (a machine may iterate
 * a map, so two maps that differ only in order may behave differently), with node names renamed
 * wherever they appear, inside request ids (`c1.3`) and timer keys (`timeout:c1.3`) too.
 */
class Serializer {
  /**
   * The machines never change a state, message or observation once made: its text holds, and is
   * kept as the number it has in `texts` (equal texts, equal numbers), so that an object's text
   * stays short however deep it is.
   */
  private readonly cache = new WeakMap<object, string>();
  /** The same, kept on the object itself under a key of this serializer's own (faster to read). */
  private readonly mark = Symbol('verify key');

  constructor(
    private readonly names: ReadonlyMap<NodeId, NodeId> | null,
    private readonly texts: Map<string, number>,
  ) {}

  /** Texts of strings met (request ids, timer keys, node names: a small vocabulary). */
  private readonly strings = new Map<string, string>();

  text(s: string): string {
    let known = this.strings.get(s);
    if (known === undefined) {
      const renamed =
        this.names === null
          ? s
          : s
              .split(/([.:#])/)
              .map((part) => this.names!.get(part) ?? part)
              .join('');
      known = JSON.stringify(renamed);
      this.strings.set(s, known);
    }
    return known;
  }

  value(v: unknown): string {
    if (v === null) return 'n';
    switch (typeof v) {
      case 'string':
        return this.text(v);
      case 'number':
        return String(v);
      case 'boolean':
        return v ? 'T' : 'F';
      case 'undefined':
        return 'u';
      case 'object': {
        const known = (v as Record<symbol, string | undefined>)[this.mark] ?? this.cache.get(v);
        if (known !== undefined) return known;
        const full = this.object(v);
        let n = this.texts.get(full);
        if (n === undefined) {
          n = this.texts.size;
          this.texts.set(full, n);
        }
        const text = `#${n}`;
        if (Object.isExtensible(v))
          Object.defineProperty(v, this.mark, { value: text, enumerable: false });
        else this.cache.set(v, text);
        return text;
      }
      default:
        throw new Error(`verify: cannot key a ${typeof v}`);
    }
  }

  private list(items: readonly unknown[]): string {
    return `[${items.map((x) => this.value(x)).join(',')}]`;
  }

  private object(v: object): string {
    if (Array.isArray(v)) return this.list(v);
    // Two queues of the same items may be built differently: the items are what count.
    if (v instanceof Fifo) return `Q${this.value(v.items())}`;
    // So are a table's entries in their order, not how it was built (a list, or a shared Map).
    if (v instanceof StringTable) return `T${this.value(v.entries())}`;
    // A subset is its items, in its list's order (as the array it replaced was).
    if (v instanceof Subset) return this.list(v.items());
    const parts: string[] = [];
    if (v instanceof Map) {
      for (const [k, x] of v) parts.push(`${this.value(k)}:${this.value(x)}`);
      return `M{${parts.join(',')}}`;
    }
    for (const k in v) parts.push(`${k}:${this.value((v as Record<string, unknown>)[k])}`);
    return `{${parts.join(',')}}`;
  }
}
