// Stable 64-bit hashes for fingerprints that must not change between runs, machines, Node versions
// or browsers. TextHash hashes text a character at a time; ValueHash hashes JSON-like values by
// their structure, a 32-bit word at a time (a number is one word, a string two characters a word),
// so that the trace hash costs a fraction of hashing the trace's JSON text.

export class TextHash {
  private a = 0x811c9dc5;
  private b = 0xcbf29ce4;

  update(text: string): this {
    let a = this.a;
    let b = this.b;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x01000193) ^ (a >>> 15);
    }
    this.a = a;
    this.b = b;
    return this;
  }

  hex(): string {
    return hex64(this.a, this.b);
  }
}

function hex64(a: number, b: number): string {
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

/**
 * The words a value is written as. The low three bits say what follows, so that no two values
 * (or sequences of values) are written the same way:
 * 1 a string (length × 8 + 1, then its UTF-16 units two a word), 2 a whole number from 0 to
 * 2^29 - 1 (n × 8 + 2), 3 any other number (then its IEEE-754 bits, low word first), 4 null,
 * false or true, 5 an array (length × 8 + 5, then its items), 6 an object's start, then name and
 * value per field, then OBJECT_END; 7 a tag the caller chooses (a known record shape); 0 a field
 * name met before (slot × 8, see ValueHash.name).
 */
const STRING = 1;
const SMALL = 2;
const FLOAT = 3;
const NULL = 4;
const FALSE = 12;
const TRUE = 20;
const ARRAY = 5;
const OBJECT = 6;
const OBJECT_END = 14;
const TAG = 7;
const NAME = 0;
const NAME_SLOTS = 256;
const SMALL_LIMIT = 0x20000000;

/** What JSON leaves out when it is a field's value (and writes as null in an array). */
export function leftOutOfJson(v: unknown): boolean {
  return v === undefined || typeof v === 'function' || typeof v === 'symbol';
}

/** The bits of a float, little-endian whatever the machine (a rare path: big or fractional). */
const bits = new DataView(new ArrayBuffer(8));

/**
 * Hashes values as JSON would write them, by structure: what JSON.stringify leaves out (an
 * undefined field, a function) is left out, what it writes as null (NaN, ±Infinity, undefined
 * in an array) is null, -0 is 0, and a field's key comes before its value in the object's own
 * order; so a value and its JSON round trip hash the same.
 */
export class ValueHash {
  /**
   * The two 32-bit lanes. In a typed array, not in fields: a field holding a number beyond 2^30
   * is a boxed double in V8, and storing one cost 7 ns a word against 2.
   */
  private readonly lanes = Int32Array.of(0x6a09e667, 0xbb67ae85);
  /** Words hashed so far (what a trace's hash costs). */
  words = 0;
  /**
   * Field names met lately, each in a slot its characters pick (see name): a trace repeats a few
   * dozen names, and hashing each in full was a third of its words.
   */
  private names: (string | undefined)[] = new Array(NAME_SLOTS);

  /** Each step is a bijection of a lane for a given word; the second lane adds in the first. */
  private word(w: number): void {
    const lanes = this.lanes;
    let a = Math.imul(lanes[0]! ^ w, 0xcc9e2d51);
    a ^= a >>> 15;
    let b = Math.imul(lanes[1]! ^ w, 0x1b873593);
    b = ((b ^ (b >>> 13)) + a) | 0;
    lanes[0] = a;
    lanes[1] = b;
    this.words++;
  }

  /** A tag (0 to 2^28 - 1) naming a record shape whose fields follow in an order the caller fixes. */
  tag(n: number): this {
    this.word(n * 8 + TAG);
    return this;
  }

  string(text: string): this {
    const n = text.length;
    this.word(n * 8 + STRING);
    const lanes = this.lanes;
    let a = lanes[0]!;
    let b = lanes[1]!;
    for (let i = 0; i < n; i += 2) {
      // Two UTF-16 units a word (the last one alone when the length is odd).
      const w = text.charCodeAt(i) | (i + 1 < n ? text.charCodeAt(i + 1) << 16 : 0);
      a = Math.imul(a ^ w, 0xcc9e2d51);
      a ^= a >>> 15;
      b = Math.imul(b ^ w, 0x1b873593);
      b = ((b ^ (b >>> 13)) + a) | 0;
    }
    lanes[0] = a;
    lanes[1] = b;
    this.words += (n + 1) >> 1;
    return this;
  }

  number(n: number): this {
    if (n >= 0 && n < SMALL_LIMIT && Math.floor(n) === n) {
      this.word(n * 8 + SMALL);
    } else if (!Number.isFinite(n)) {
      this.word(NULL);
    } else {
      bits.setFloat64(0, n, true);
      this.word(FLOAT);
      this.word(bits.getInt32(0, true));
      this.word(bits.getInt32(4, true));
    }
    return this;
  }

  /** Any value JSON.stringify can write. */
  value(v: unknown): this {
    switch (typeof v) {
      case 'string':
        return this.string(v);
      case 'number':
        return this.number(v);
      case 'boolean':
        this.word(v ? TRUE : FALSE);
        return this;
      case 'object':
        if (v === null) break;
        if (Array.isArray(v)) return this.array(v);
        if (typeof (v as { toJSON?: unknown }).toJSON === 'function')
          return this.value((v as { toJSON: () => unknown }).toJSON());
        return this.object(v as Record<string, unknown>);
    }
    // null, and what JSON writes as null in an array (undefined, a function, a symbol).
    this.word(NULL);
    return this;
  }

  /** A hash that goes on from where this one stands (a snapshot of a run keeps one). */
  clone(): ValueHash {
    const copy = new ValueHash();
    copy.lanes.set(this.lanes);
    copy.words = this.words;
    copy.names = this.names.slice();
    return copy;
  }

  hex(): string {
    return hex64(this.lanes[0]!, this.lanes[1]!);
  }

  /**
   * A field's name: the number of its slot when the slot holds it already, else the string (which
   * then takes the slot). The words say which name it is to anyone who replays the same values.
   */
  private name(key: string): this {
    const n = key.length;
    if (n === 0) return this.string(key);
    const slot = (n * 31 + key.charCodeAt(0) * 7 + key.charCodeAt(n - 1)) & (NAME_SLOTS - 1);
    if (this.names[slot] === key) {
      this.word(slot * 8 + NAME);
      return this;
    }
    this.names[slot] = key;
    return this.string(key);
  }

  private array(items: readonly unknown[]): this {
    this.word(items.length * 8 + ARRAY);
    for (let i = 0; i < items.length; i++) this.value(items[i]);
    return this;
  }

  private object(record: Record<string, unknown>): this {
    this.word(OBJECT);
    const keys = Object.keys(record);
    const values = Object.values(record);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const v = values[i];
      // Strings and numbers first, without a call to value (most fields are one or the other).
      if (typeof v === 'string') this.name(key).string(v);
      else if (typeof v === 'number') this.name(key).number(v);
      else if (!leftOutOfJson(v)) this.name(key).value(v);
    }
    this.word(OBJECT_END);
    return this;
  }
}
