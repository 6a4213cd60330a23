// A node's live timers by key. Most nodes hold none or one at a time (a client's request timer),
// a few hold several (a leader's acknowledgement timers). One timer sits in a field of the table,
// with no array to read: with thousands of clients, each array a client's operation touched was
// a cache miss. Two to SMALL sit in a short array searched in place (a Map there grew and shrank
// its table at almost every set and cancel); beyond, a Map, until every timer is disarmed.

import type { Timer } from './simulation.ts';

const SMALL = 8;

export class TimerTable {
  /** The one timer armed, while no more than one ever was at a time (else null). */
  private one: Timer | null = null;
  /** Used instead of `one` once two timers were armed at once: each knows its key. */
  private items: Timer[] | null = null;
  /** Used instead of the array once more than SMALL timers were armed at once. */
  private map: Map<string, Timer> | null = null;

  get size(): number {
    if (this.map !== null) return this.map.size;
    if (this.items !== null) return this.items.length;
    return this.one === null ? 0 : 1;
  }

  get(key: string): Timer | undefined {
    if (this.map !== null) return this.map.get(key);
    const items = this.items;
    if (items === null) return this.one !== null && this.one.key === key ? this.one : undefined;
    for (let i = 0; i < items.length; i++) if (items[i]!.key === key) return items[i];
    return undefined;
  }

  /** Arms `timer` under its key; true when it replaced one armed there. */
  set(timer: Timer): boolean {
    const key = timer.key;
    if (this.map !== null) {
      const had = this.map.has(key);
      this.map.set(key, timer);
      return had;
    }
    const items = this.items;
    if (items === null) {
      const one = this.one;
      if (one === null || one.key === key) {
        this.one = timer;
        return one !== null;
      }
      this.items = [one, timer];
      this.one = null;
      return false;
    }
    for (let i = 0; i < items.length; i++) {
      if (items[i]!.key === key) {
        items[i] = timer;
        return true;
      }
    }
    if (items.length === SMALL) {
      this.map = new Map();
      for (const item of items) this.map.set(item.key, item);
      this.map.set(key, timer);
      this.items = null;
      return false;
    }
    items.push(timer);
    return false;
  }

  /** Disarms `key`; true when a timer was armed there. */
  delete(key: string): boolean {
    const map = this.map;
    if (map !== null) {
      if (!map.delete(key)) return false;
      // All disarmed (a leader whose follower came back): small again, the array's way is cheaper.
      if (map.size === 0) this.map = null;
      return true;
    }
    const items = this.items;
    if (items === null) {
      if (this.one === null || this.one.key !== key) return false;
      this.one = null;
      return true;
    }
    for (let i = 0; i < items.length; i++) {
      if (items[i]!.key === key) {
        items[i] = items[items.length - 1]!;
        items.pop();
        return true;
      }
    }
    return false;
  }

  clear(): void {
    this.one = null;
    this.items = null;
    this.map = null;
  }

  /** An independent copy (the timers themselves are shared: the kernel never changes one). */
  clone(): TimerTable {
    const copy = new TimerTable();
    copy.copy(this);
    return copy;
  }

  /** Holds what `other` holds instead of its own timers, independently of it. */
  copy(other: TimerTable): void {
    this.one = other.one;
    this.items = other.items === null ? null : other.items.slice();
    this.map = other.map === null ? null : new Map(other.map);
  }
}
