// The protocol's immutable string table against a Map, as a model: after any sequence of sets
// and removes it holds the same entries, iterates in the same order, and leaves every earlier
// version as it was, whichever version is read or changed next.

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

  it('is the one shared empty table again once its last key is removed, and fills again', () => {
    const one = StringTable.empty<number>().with('c1.1', 1);
    const none = one.without('c1.1');
    expect(none).toBe(StringTable.empty());
    expect(none.size).toBe(0);
    expect(one.get('c1.1')).toBe(1);
    expect(none.with('c1.2', 2).keys()).toEqual(['c1.2']);
  });

  it('holds thousands of keys and finds each', () => {
    let table = StringTable.empty<number>();
    for (let i = 0; i < 5000; i++) table = table.with(`c${i}`, i);
    expect(table.size).toBe(5000);
    for (let i = 0; i < 5000; i += 7) expect(table.get(`c${i}`)).toBe(i);
    expect(table.get('c5000')).toBeUndefined();
    const fewer = table.without('c42');
    expect(fewer.has('c42')).toBe(false);
    expect(table.has('c42')).toBe(true);
  });

  it('keeps Map order as it grows past a small list into a shared Map and shrinks back', () => {
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

  it('reads every version as it was made when new ones branch from old ones and are read in any order', () => {
    // Keys from a small set, so that large tables (past the small list) lose keys and get them
    // back; most changes start from the newest version, the others from any made so far, as a
    // fork of a snapshot does (null: the newest).
    const change = fc.record({
      from: fc.oneof(
        { weight: 4, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.nat() },
      ),
      key: fc.integer({ min: 0, max: 40 }).map((i) => `k${i}`),
      remove: fc.boolean(),
      value: fc.integer(),
    });
    fc.assert(
      fc.property(
        fc.array(change, { minLength: 50, maxLength: 300 }),
        fc.array(fc.nat(), { minLength: 10, maxLength: 300 }),
        (changes, reads) => {
          const versions: [StringTable<number>, Map<string, number>][] = [
            [StringTable.empty<number>(), new Map()],
          ];
          const same = ([t, m]: [StringTable<number>, Map<string, number>]) => {
            expect(t.size).toBe(m.size);
            expect(t.entries()).toEqual([...m.entries()]);
            for (const k of ['k0', 'k7', 'k40', 'k41']) {
              expect(t.get(k)).toBe(m.get(k));
              expect(t.has(k)).toBe(m.has(k));
            }
          };
          for (const c of changes) {
            const [table, model] = versions[(c.from ?? versions.length - 1) % versions.length]!;
            const copy = new Map(model);
            if (c.remove) copy.delete(c.key);
            else copy.set(c.key, c.value);
            const next = c.remove ? table.without(c.key) : table.with(c.key, c.value);
            versions.push([next, copy]);
          }
          for (const r of reads) same(versions[r % versions.length]!);
          for (const v of versions) same(v);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('keeps a large table in Map order when keys leave and come back', () => {
    let table = StringTable.empty<number>();
    const model = new Map<string, number>();
    const versions: [StringTable<number>, string][] = [];
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 40; i++) {
        const key = `k${(i * 7 + round) % 40}`;
        if ((i + round) % 3 === 0) {
          table = table.without(key);
          model.delete(key);
        } else {
          table = table.with(key, round * 100 + i);
          model.set(key, round * 100 + i);
        }
        versions.push([table, JSON.stringify([...model])]);
      }
    }
    expect(table.entries()).toEqual([...model.entries()]);
    // The oldest first, then the newest: each as it was made.
    for (const [t, entries] of versions) expect(JSON.stringify(t.entries())).toBe(entries);
    for (const [t, entries] of versions.slice().reverse())
      expect(JSON.stringify(t.entries())).toBe(entries);
  });
});
