// The sequential clients' queue of held-back operations: whatever the order of adds and takes,
// and from whichever earlier version of a queue one goes on (verify branches on old states), it
// holds what a plain list would, in the same order, and an old version never changes.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fifo } from '../protocol/core.ts';

describe('Fifo', () => {
  it('behaves as a list that is added to at the end and taken from the front', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 99 }), fc.constant('take' as const)), {
          maxLength: 60,
        }),
        (moves) => {
          let queue = Fifo.empty<number>();
          let list: number[] = [];
          for (const move of moves) {
            if (move === 'take') {
              expect(queue.first()).toBe(list[0]);
              queue = queue.rest();
              list = list.slice(1);
            } else {
              queue = queue.push(move);
              list = [...list, move];
            }
            expect(queue.size).toBe(list.length);
            expect(queue.items()).toEqual(list);
          }
        },
      ),
    );
  });

  it('an earlier version is untouched by what is done to later ones, and can be gone on from', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.oneof(fc.nat(99), fc.constant('take' as const))), {
          maxLength: 80,
        }),
        (moves) => {
          const versions: { queue: Fifo<number>; list: number[] }[] = [
            { queue: Fifo.empty(), list: [] },
          ];
          for (const [pick, move] of moves) {
            const from = versions[pick % versions.length]!;
            versions.push(
              move === 'take'
                ? { queue: from.queue.rest(), list: from.list.slice(1) }
                : { queue: from.queue.push(move), list: [...from.list, move] },
            );
          }
          for (const { queue, list } of versions) {
            expect(queue.items()).toEqual(list);
            expect(queue.first()).toBe(list[0]);
          }
        },
      ),
    );
  });
});
