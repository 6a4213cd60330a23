// sortedIndices orders a key's operations for the checkers by radix sort where the keys allow it:
// it must give exactly the order a stable comparator sort gives, for every kind of key.

import { describe, expect, it } from 'vitest';
import { sortedIndices } from '../sim/check/sorted.ts';

/** The order a stable comparator sort gives: by key, ties by index. */
function expected(keys: readonly number[]): number[] {
  return keys.map((_, i) => i).sort((a, b) => keys[a]! - keys[b]! || a - b);
}

/** Deterministic pseudo-random numbers in [0, 1). */
function stream(seed: number): () => number {
  let x = seed;
  return () => {
    x = (Math.imul(x, 1_103_515_245) + 12_345) | 0;
    return (x >>> 8) / 2 ** 24;
  };
}

describe('sortedIndices', () => {
  const random = stream(7);
  const shapes: Record<string, (n: number) => number[]> = {
    'sequence numbers, nearly in order': (n) =>
      Array.from({ length: n }, (_, i) => i * 3 + Math.floor(random() * 40)),
    'many ties': (n) => Array.from({ length: n }, () => Math.floor(random() * 5)),
    'negative and positive': (n) =>
      Array.from({ length: n }, () => Math.floor(random() * 2000) - 1000),
    'spread over 2^31': (n) => Array.from({ length: n }, () => Math.floor(random() * 2 ** 31) * 2),
    'spread beyond 2^32': (n) => Array.from({ length: n }, () => Math.floor(random() * 2 ** 40)),
    'fractions and infinity': (n) =>
      Array.from({ length: n }, (_, i) =>
        i % 17 === 0 ? Number.POSITIVE_INFINITY : random() * 100,
      ),
    'already in order': (n) => Array.from({ length: n }, (_, i) => Math.floor(i / 3)),
    descending: (n) => Array.from({ length: n }, (_, i) => n - i),
  };
  for (const [shape, make] of Object.entries(shapes)) {
    it(`gives a stable comparator sort's order: ${shape}`, () => {
      for (const n of [0, 1, 2, 100, 255, 256, 257, 1000, 5000]) {
        const keys = make(n);
        expect(Array.from(sortedIndices(keys))).toEqual(expected(keys));
        expect(Array.from(sortedIndices(Float64Array.from(keys)))).toEqual(expected(keys));
      }
    });
  }

  it('reads only the first n keys when told n', () => {
    const keys = [5, 3, 9, 1, -4, 2];
    expect(Array.from(sortedIndices(keys, 4))).toEqual([3, 1, 0, 2]);
  });
});
