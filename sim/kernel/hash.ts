// A stable 64-bit hash (two FNV-1a lanes) of text, for trace fingerprints that must not change
// between runs, machines or Node versions.

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

  /** A hash that goes on from where this one stands (a snapshot of a run keeps one). */
  clone(): TextHash {
    const copy = new TextHash();
    copy.a = this.a;
    copy.b = this.b;
    return copy;
  }

  hex(): string {
    return (
      (this.a >>> 0).toString(16).padStart(8, '0') + (this.b >>> 0).toString(16).padStart(8, '0')
    );
  }
}
