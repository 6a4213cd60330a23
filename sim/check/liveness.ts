// Liveness: once the network has healed, every operation a live client issued completes. One that
// never did is reported with what it still waits for (the store says which message).

import type { Checker, Violation } from './types.ts';
import { opText } from './words.ts';

export const LIVENESS: Checker = {
  guarantee: 'liveness',
  informative: false,
  check: (input) => {
    if (!input.networkHealed)
      return { notJudged: 'a partition or a held link was still in force at the end' };
    const violations: Violation[] = input.operations
      .filter((op) => op.completedAt === null && op.abandonedAt === null)
      .map((op) => ({
        guarantee: 'liveness',
        ops: [op.id],
        nodes: [],
        at: op.invokedAt,
        sentence: `${opText(op)} never completed: ${input.explainPending(op)}`,
      }));
    return { violations };
  },
};
