// Lists of 32-bit words, each numbered the first time it is met: the canonical forms of worlds
// (the worlds the search has met) and of the objects in them. A list is found by its hash and then
// compared word for word, so two different lists never share a number (a proof stays a proof,
// whatever the hash). Lists are kept packed, a few bits a word, in one byte arena off the heap.

/** A growable list of 32-bit words, reused from one form to the next. */
export class Words {
  buf = new Int32Array(64);
  length = 0;

  push(x: number): void {
    if (this.length === this.buf.length) {
      const bigger = new Int32Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.length++] = x;
  }

  /** Adds one to the word at `at` (a count written before its items). */
  bump(at: number): void {
    this.buf[at] = this.buf[at]! + 1;
  }

  /** Lexicographic order, a prefix first: < 0, 0 or > 0. */
  compare(other: Words): number {
    const a = this.buf;
    const b = other.buf;
    const n = Math.min(this.length, other.length);
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return this.length - other.length;
  }
}

export class Forms {
  /** The lists, one after another: each is its byte length (a varint), then its words (varints). */
  private arena = new Uint8Array(1 << 16);
  private end = 0;
  /**
   * Open addressing, three words a slot side by side (a probe reads one cache line, mostly): a
   * list's place in the arena + 1 (0: empty), its hash and its number.
   */
  private slots = new Int32Array(3 << 10);
  /** The list being looked up, packed. */
  private packed = new Uint8Array(1024);
  /** Lists met: the next one's number. */
  size = 0;

  /** The arena is near the most its slots can point into (2^31 bytes): stop adding. */
  get full(): boolean {
    return this.end > 2 ** 30;
  }

  /** The list's number: a new one (`size` before the call) when it was not met before. */
  number(words: Words): number {
    const n = this.pack(words);
    const h = this.hash;
    const slots = this.slots;
    const mask = slots.length / 3 - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const s = i * 3;
      const at = slots[s]!;
      if (at === 0) {
        const number = this.size++;
        slots[s] = this.store(n) + 1;
        slots[s + 1] = h;
        slots[s + 2] = number;
        if (this.size * 2 > mask + 1) this.grow();
        return number;
      }
      if (slots[s + 1] === h && this.equal(at - 1, n)) return slots[s + 2]!;
    }
  }

  /** The hash by which a list is looked up (two lists may share one). */
  hashOf(words: Words): number {
    this.pack(words);
    return this.hash;
  }

  /** The hash of the list last packed. */
  private hash = 0;

  /**
   * Packs the words into `packed` (zigzag varints) and hashes them (MurmurHash3's steps, a word
   * at a time) into `hash`; returns how many bytes.
   */
  private pack(words: Words): number {
    if (this.packed.length < words.length * 5) this.packed = new Uint8Array(words.length * 10);
    const out = this.packed;
    const buf = words.buf;
    let n = 0;
    let h = words.length;
    for (let i = 0; i < words.length; i++) {
      const x = buf[i]!;
      let k = Math.imul(x, 0xcc9e2d51);
      k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
      h ^= k;
      h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
      let z = ((x << 1) ^ (x >> 31)) >>> 0;
      while (z >= 0x80) {
        out[n++] = (z & 0x7f) | 0x80;
        z >>>= 7;
      }
      out[n++] = z;
    }
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    this.hash = h ^ (h >>> 16);
    return n;
  }

  private store(n: number): number {
    const at = this.end;
    if (at + n + 5 > this.arena.length) {
      const bigger = new Uint8Array(Math.max(this.arena.length * 2, at + n + 5));
      bigger.set(this.arena.subarray(0, at));
      this.arena = bigger;
    }
    const arena = this.arena;
    let p = at;
    let z = n;
    while (z >= 0x80) {
      arena[p++] = (z & 0x7f) | 0x80;
      z >>>= 7;
    }
    arena[p++] = z;
    const packed = this.packed;
    for (let i = 0; i < n; i++) arena[p + i] = packed[i]!;
    this.end = p + n;
    return at;
  }

  private equal(at: number, n: number): boolean {
    const arena = this.arena;
    let p = at;
    let length = 0;
    let shift = 0;
    for (;;) {
      const b = arena[p++]!;
      length |= (b & 0x7f) << shift;
      if (b < 0x80) break;
      shift += 7;
    }
    if (length !== n) return false;
    const packed = this.packed;
    for (let i = 0; i < n; i++) if (arena[p + i] !== packed[i]) return false;
    return true;
  }

  private grow(): void {
    const old = this.slots;
    const slots = new Int32Array(old.length * 2);
    const mask = slots.length / 3 - 1;
    for (let s = 0; s < old.length; s += 3) {
      if (old[s] === 0) continue;
      let i = old[s + 1]! & mask;
      while (slots[i * 3] !== 0) i = (i + 1) & mask;
      slots[i * 3] = old[s]!;
      slots[i * 3 + 1] = old[s + 1]!;
      slots[i * 3 + 2] = old[s + 2]!;
    }
    this.slots = slots;
  }
}
