// A stable 64-bit hash (two FNV-1a lanes) of text, for trace fingerprints that must not change
// between runs, machines or Node versions. `json` hashes a value's JSON text without building
// it: the same characters as JSON.stringify, in the same order, so the same hash (a traced run
// spent more time building strings to hash than running).

export class TextHash {
  private a = 0x811c9dc5;
  private b = 0xcbf29ce4;
  /** Characters hashed so far. */
  chars = 0;

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
    this.chars += text.length;
    return this;
  }

  /** Hashes JSON.stringify(value)'s text (value: what JSON.stringify turns into text). */
  json(value: unknown): this {
    switch (typeof value) {
      case 'string':
        return this.string(value);
      case 'number':
        return this.number(value);
      case 'boolean':
        return this.update(value ? 'true' : 'false');
      case 'object':
        if (value === null) return this.update('null');
        if (Array.isArray(value)) return this.array(value);
        if (typeof (value as { toJSON?: unknown }).toJSON === 'function')
          return this.update(JSON.stringify(value));
        return this.object(value as Record<string, unknown>);
      default:
        // undefined, a function or a symbol: what JSON.stringify writes for them in an array.
        return this.update('null');
    }
  }

  /** A hash that goes on from where this one stands (a snapshot of a run keeps one). */
  clone(): TextHash {
    const copy = new TextHash();
    copy.a = this.a;
    copy.b = this.b;
    copy.chars = this.chars;
    return copy;
  }

  hex(): string {
    return (
      (this.a >>> 0).toString(16).padStart(8, '0') + (this.b >>> 0).toString(16).padStart(8, '0')
    );
  }

  private char(c: number): void {
    const a = Math.imul(this.a ^ c, 0x01000193);
    this.b = Math.imul(this.b ^ c, 0x01000193) ^ (a >>> 15);
    this.a = a;
    this.chars++;
  }

  /** A quoted string: plain characters hashed as they are, anything JSON escapes via JSON. */
  private string(text: string): this {
    let a = this.a;
    let b = this.b;
    a = Math.imul(a ^ 34, 0x01000193);
    b = Math.imul(b ^ 34, 0x01000193) ^ (a >>> 15);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      // Control characters, `"`, `\` and surrogates (lone ones are escaped) take the slow road.
      if (c < 0x20 || c === 34 || c === 92 || (c >= 0xd800 && c <= 0xdfff))
        return this.update(JSON.stringify(text));
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x01000193) ^ (a >>> 15);
    }
    a = Math.imul(a ^ 34, 0x01000193);
    b = Math.imul(b ^ 34, 0x01000193) ^ (a >>> 15);
    this.a = a;
    this.b = b;
    this.chars += text.length + 2;
    return this;
  }

  private number(n: number): this {
    // String(n) is JSON's text for every finite number (-0 included).
    return this.update(Number.isFinite(n) ? String(n) : 'null');
  }

  private array(items: readonly unknown[]): this {
    this.char(91);
    for (let i = 0; i < items.length; i++) {
      if (i > 0) this.char(44);
      this.json(items[i]);
    }
    this.char(93);
    return this;
  }

  private object(record: Record<string, unknown>): this {
    let sep = 123; // `{` before the first field, `,` before the others
    for (const key in record) {
      if (!Object.hasOwn(record, key)) continue;
      const v = record[key];
      // JSON leaves out what it cannot write as a field's value.
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
      this.field(sep, key);
      sep = 44;
      this.json(v);
    }
    if (sep === 123) this.char(123);
    this.char(125);
    return this;
  }

  /** `{"key":` or `,"key":` in one pass (a key that JSON escapes goes the slow road). */
  private field(sep: number, key: string): void {
    let a = this.a;
    let b = this.b;
    a = Math.imul(a ^ sep, 0x01000193);
    b = Math.imul(b ^ sep, 0x01000193) ^ (a >>> 15);
    a = Math.imul(a ^ 34, 0x01000193);
    b = Math.imul(b ^ 34, 0x01000193) ^ (a >>> 15);
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      if (c < 0x20 || c === 34 || c === 92 || (c >= 0xd800 && c <= 0xdfff)) {
        this.char(sep);
        this.update(JSON.stringify(key)).char(58);
        return;
      }
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x01000193) ^ (a >>> 15);
    }
    a = Math.imul(a ^ 34, 0x01000193);
    b = Math.imul(b ^ 34, 0x01000193) ^ (a >>> 15);
    a = Math.imul(a ^ 58, 0x01000193);
    b = Math.imul(b ^ 58, 0x01000193) ^ (a >>> 15);
    this.a = a;
    this.b = b;
    this.chars += key.length + 4;
  }
}
