// The scheduler's queue: a binary min-heap ordered by (time, seq). `seq` is assigned at push, so
// two events due at the same virtual time always leave in the order they were scheduled.

export interface Entry<T> {
  readonly time: number;
  readonly seq: number;
  readonly item: T;
}

export class EventHeap<T> {
  private readonly entries: Entry<T>[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.entries.length;
  }

  push(time: number, item: T): void {
    const entry: Entry<T> = { time, seq: this.nextSeq++, item };
    const a = this.entries;
    let i = a.length;
    a.push(entry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = a[parent]!;
      if (p.time < time || (p.time === time && p.seq < entry.seq)) break;
      a[i] = p;
      i = parent;
    }
    a[i] = entry;
  }

  peekTime(): number | undefined {
    return this.entries[0]?.time;
  }

  peekItem(): T | undefined {
    return this.entries[0]?.item;
  }

  pop(): Entry<T> | undefined {
    const a = this.entries;
    const top = a[0];
    const last = a.pop();
    if (top === undefined || last === undefined || a.length === 0) return top;
    const n = a.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      let child = a[l]!;
      if (r < n) {
        const right = a[r]!;
        if (right.time < child.time || (right.time === child.time && right.seq < child.seq)) {
          c = r;
          child = right;
        }
      }
      if (last.time < child.time || (last.time === child.time && last.seq < child.seq)) break;
      a[i] = child;
      i = c;
    }
    a[i] = last;
    return top;
  }
}
