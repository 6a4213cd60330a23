// A node's live timers by key. Most nodes hold one to three (a client's timeout and retry), and a
// Map there grew and shrank its table at almost every set and cancel: a tenth of the simulator's
// allocation. Up to SMALL timers sit in two short arrays searched in place; beyond, a Map.

import type { Timer } from './simulation.ts';

const SMALL = 8;

export class TimerTable {
  private keys: string[] = [];
  private items: Timer[] = [];
  /** Used instead of the arrays once more than SMALL timers were armed at once. */
  private map: Map<string, Timer> | null = null;

  get size(): number {
    return this.map === null ? this.keys.length : this.map.size;
  }

  get(key: string): Timer | undefined {
    if (this.map !== null) return this.map.get(key);
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) if (keys[i] === key) return this.items[i];
    return undefined;
  }

  /** Arms `timer` under `key`; true when it replaced one armed there. */
  set(key: string, timer: Timer): boolean {
    if (this.map !== null) {
      const had = this.map.has(key);
      this.map.set(key, timer);
      return had;
    }
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] === key) {
        this.items[i] = timer;
        return true;
      }
    }
    if (keys.length === SMALL) {
      this.map = new Map();
      for (let i = 0; i < keys.length; i++) this.map.set(keys[i]!, this.items[i]!);
      this.map.set(key, timer);
      this.keys = [];
      this.items = [];
      return false;
    }
    keys.push(key);
    this.items.push(timer);
    return false;
  }

  /** Disarms `key`; true when a timer was armed there. */
  delete(key: string): boolean {
    if (this.map !== null) return this.map.delete(key);
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] === key) {
        const last = keys.length - 1;
        keys[i] = keys[last]!;
        this.items[i] = this.items[last]!;
        keys.pop();
        this.items.pop();
        return true;
      }
    }
    return false;
  }

  clear(): void {
    this.keys = [];
    this.items = [];
    this.map = null;
  }

  /** An independent copy (the timers themselves are shared: the kernel never changes one). */
  clone(): TimerTable {
    const copy = new TimerTable();
    copy.keys = this.keys.slice();
    copy.items = this.items.slice();
    copy.map = this.map === null ? null : new Map(this.map);
    return copy;
  }
}
