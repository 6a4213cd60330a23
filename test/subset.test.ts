// The protocol's immutable subset of a fixed list (the followers a write still awaits) against
// the array it replaced, as a model: after any sequence of removals it holds the same items in
// the list's order, answers `has` and `first` alike, and leaves every earlier version as it was.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Subset } from '../protocol/core.ts';

/** A list of distinct names (across several words of bits), and names to remove, some not in it. */
const plan = fc.integer({ min: 0, max: 100 }).chain((n) => {
  const items = Array.from({ length: n }, (_, i) => `s${i + 2}`);
  return fc.record({
    items: fc.constant(items),
    removals: fc.array(fc.integer({ min: 0, max: n + 3 }), { maxLength: 2 * n + 3 }),
  });
});

describe('Subset', () => {
  it('behaves as the array filtered one removal at a time, every version kept as it was', () => {
    fc.assert(
      fc.property(plan, ({ items, removals }) => {
        let subset = Subset.all(items);
        let model: readonly string[] = items;
        const versions: [Subset<string>, readonly string[]][] = [[subset, model]];
        for (const r of removals) {
          const name = `s${r + 2}`;
          subset = subset.without(name);
          model = model.filter((x) => x !== name);
          versions.push([subset, model]);
        }
        for (const [s, m] of versions) {
          expect(s.items()).toEqual(m);
          expect(s.size).toBe(m.length);
          expect(s.first()).toBe(m[0]);
          for (const name of [...items, 'nobody']) expect(s.has(name)).toBe(m.includes(name));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('gives back itself when the item is not in it, and the whole list for every write', () => {
    const items = ['s2', 's3'];
    const all = Subset.all(items);
    expect(all.without('s9')).toBe(all);
    expect(all.without('s2').without('s2').items()).toEqual(['s3']);
    expect(Subset.all(items)).toBe(all);
    expect(Subset.all([]).size).toBe(0);
    expect(Subset.all([]).first()).toBeUndefined();
  });
});
