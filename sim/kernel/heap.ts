// The scheduler's queue: a binary min-heap ordered by (time, seq). `seq` is assigned at push, so
// two events due at the same virtual time always leave in the order they were scheduled. Times,
// seqs and items live in three parallel arrays: a push or a pop allocates nothing (an entry object
// per event was a fifth of the kernel's garbage). The arrays keep their length when entries leave
// (`n` counts the live ones): cut short at every pop or purge, V8 trimmed their storage and the
// next pushes grew it again, 4% of the simulator's allocation.

export class EventHeap<T> {
  private times: number[] = [];
  private seqs: number[] = [];
  private items: T[] = [];
  /** Live entries: the first n of each array. */
  private n = 0;
  private nextSeq = 0;

  get size(): number {
    return this.n;
  }

  push(time: number, item: T): void {
    const times = this.times;
    const seqs = this.seqs;
    const items = this.items;
    const seq = this.nextSeq++;
    let i = this.n++;
    if (i === items.length) {
      times.push(time);
      seqs.push(seq);
      items.push(item);
    }
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent]!;
      if (pt < time || (pt === time && seqs[parent]! < seq)) break;
      times[i] = pt;
      seqs[i] = seqs[parent]!;
      items[i] = items[parent]!;
      i = parent;
    }
    times[i] = time;
    seqs[i] = seq;
    items[i] = item;
  }

  peekTime(): number | undefined {
    return this.n === 0 ? undefined : this.times[0];
  }

  peekItem(): T | undefined {
    return this.n === 0 ? undefined : this.items[0];
  }

  /** Removes and returns the first item (read its time with peekTime before). */
  pop(): T | undefined {
    const items = this.items;
    if (this.n === 0) return undefined;
    const top = items[0]!;
    const last = --this.n;
    const time = this.times[last]!;
    const seq = this.seqs[last]!;
    const item = items[last]!;
    // The slot left behind holds nothing: a popped item must not stay reachable from the queue.
    items[last] = undefined as T;
    if (last > 0) this.siftDown(0, time, seq, item);
    return top;
  }

  /**
   * Keeps only the items `keep` accepts, in the same order: (time, seq) pairs are unique, so the
   * heap rebuilt from the survivors pops them exactly as the old one would have.
   */
  retain(keep: (item: T) => boolean): void {
    // In place: the survivors move down, the arrays are cut to their number, then re-heaped.
    const times = this.times;
    const seqs = this.seqs;
    const items = this.items;
    const was = this.n;
    let n = 0;
    for (let i = 0; i < was; i++) {
      if (!keep(items[i]!)) continue;
      times[n] = times[i]!;
      seqs[n] = seqs[i]!;
      items[n] = items[i]!;
      n++;
    }
    for (let i = n; i < was; i++) items[i] = undefined as T;
    this.n = n;
    for (let i = (n >> 1) - 1; i >= 0; i--) this.siftDown(i, times[i]!, seqs[i]!, items[i]!);
  }

  /** An independent copy (items are shared: the kernel never mutates a queued item). */
  clone(): EventHeap<T> {
    const copy = new EventHeap<T>();
    copy.times = this.times.slice(0, this.n);
    copy.seqs = this.seqs.slice(0, this.n);
    copy.items = this.items.slice(0, this.n);
    copy.n = this.n;
    copy.nextSeq = this.nextSeq;
    return copy;
  }

  /** Places (time, seq, item) at i or below, moving smaller children up. */
  private siftDown(i: number, time: number, seq: number, item: T): void {
    const times = this.times;
    const seqs = this.seqs;
    const items = this.items;
    const n = this.n;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      let ct = times[l]!;
      let cs = seqs[l]!;
      if (r < n) {
        const rt = times[r]!;
        if (rt < ct || (rt === ct && seqs[r]! < cs)) {
          c = r;
          ct = rt;
          cs = seqs[r]!;
        }
      }
      if (time < ct || (time === ct && seq < cs)) break;
      times[i] = ct;
      seqs[i] = cs;
      items[i] = items[c]!;
      i = c;
    }
    times[i] = time;
    seqs[i] = seq;
    items[i] = item;
  }
}
