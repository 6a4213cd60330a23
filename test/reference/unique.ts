// Unique timestamps (PROTOCOL.md §3, under convergence, and anomaly A7): no two acknowledged writes
// of one key share a ts.

import type { Operation } from '../../sim/kernel/history.ts';
import { type RefVerdict, verdictOf, writeVersion } from './history.ts';

export function uniqueTimestamps(operations: readonly Operation[]): RefVerdict {
  const pairs: number[][] = [];
  for (let i = 0; i < operations.length; i++)
    for (let j = i + 1; j < operations.length; j++) {
      const a = operations[i]!;
      const b = operations[j]!;
      const va = writeVersion(a);
      if (a.key === b.key && va !== null && va === writeVersion(b)) pairs.push([a.id, b.id]);
    }
  return verdictOf(pairs);
}
