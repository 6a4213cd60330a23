// The protocol's immutable string table against a Map, as a model: after any sequence of sets
// and removes it holds the same entries, iterates in the same order, and leaves every earlier
// version as it was.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StringTable } from '../protocol/core.ts';

const command = fc.oneof(
  fc.record({ set: fc.string({ maxLength: 3 }), value: fc.integer() }),
  fc.record({ remove: fc.string({ maxLength: 3 }) }),
);

describe('StringTable', () => {
  it('behaves as a Map copied at every change', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 200 }), (commands) => {
        let table = StringTable.empty<number>();
        let model = new Map<string, number>();
        const versions: [StringTable<number>, Map<string, number>][] = [];
        for (const c of commands) {
          if ('set' in c) {
            table = table.with(c.set, c.value);
            model = new Map(model).set(c.set, c.value);
          } else {
            table = table.without(c.remove);
            model = new Map(model);
            model.delete(c.remove);
          }
          versions.push([table, model]);
        }
        for (const [t, m] of versions) {
          expect(t.size).toBe(m.size);
          expect(t.keys()).toEqual([...m.keys()]);
          expect(t.values()).toEqual([...m.values()]);
          for (const k of m.keys()) expect(t.get(k)).toBe(m.get(k));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('holds thousands of keys (the trie splits) and finds each', () => {
    let table = StringTable.empty<number>();
    for (let i = 0; i < 5000; i++) table = table.with(`c${i}`, i);
    expect(table.size).toBe(5000);
    for (let i = 0; i < 5000; i += 7) expect(table.get(`c${i}`)).toBe(i);
    expect(table.get('c5000')).toBeUndefined();
    const fewer = table.without('c42');
    expect(fewer.has('c42')).toBe(false);
    expect(table.has('c42')).toBe(true);
  });

  it('keeps Map order as it grows past a small list into a trie and shrinks back', () => {
    let table = StringTable.empty<number>();
    const model = new Map<string, number>();
    const check = () => {
      expect(table.keys()).toEqual([...model.keys()]);
      expect(table.values()).toEqual([...model.values()]);
      expect(table.size).toBe(model.size);
    };
    for (let i = 0; i < 20; i++) {
      table = table.with(`k${i}`, i);
      model.set(`k${i}`, i);
      check();
    }
    for (let i = 19; i >= 0; i -= 2) {
      table = table.without(`k${i}`).with('k3', 100 + i);
      model.delete(`k${i}`);
      model.set('k3', 100 + i);
      check();
    }
    for (let i = 0; i < 20; i++) {
      table = table.without(`k${i}`);
      model.delete(`k${i}`);
      check();
    }
  });
});
