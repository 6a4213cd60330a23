// The kernel's table of a node's live timers against a Map, as a model: whatever the sequence of
// arms, re-arms and cancels (through one timer, a few, and more than fit its short array), it
// finds the same timers, counts them alike, and a clone goes its own way.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Timer } from '../sim/kernel/simulation.ts';
import { TimerTable } from '../sim/kernel/timers.ts';

const keys = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l');
const command = fc.oneof(
  fc.record({ set: keys }),
  fc.record({ cancel: keys }),
  fc.record({ clear: fc.constant(true) }),
  fc.record({ clone: fc.constant(true) }),
);

function timer(key: string, n: number): Timer {
  return { kind: 'timer', node: 0, key, timer: n };
}

describe('TimerTable', () => {
  it('behaves as a Map of the armed timers', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 300 }), (commands) => {
        let table = new TimerTable();
        let model = new Map<string, Timer>();
        commands.forEach((c, n) => {
          if ('set' in c) {
            const t = timer(c.set, n);
            expect(table.set(t)).toBe(model.has(c.set));
            model.set(c.set, t);
          } else if ('cancel' in c) {
            expect(table.delete(c.cancel)).toBe(model.delete(c.cancel));
          } else if ('clear' in c) {
            table.clear();
            model.clear();
          } else {
            // The original goes on changing; the clone must keep what it held.
            const before = new Map(model);
            const copy = table.clone();
            table.clear();
            for (const [k, t] of before) expect(copy.get(k)).toBe(t);
            expect(copy.size).toBe(before.size);
            table = copy;
            model = before;
          }
          expect(table.size).toBe(model.size);
          for (const k of 'abcdefghijkl') expect(table.get(k)).toBe(model.get(k));
        });
      }),
      { numRuns: 300 },
    );
  });
});
