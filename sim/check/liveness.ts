// Liveness: once the network has healed, every operation a live client issued completes within a
// bound. One that never did is reported with what it still waits for (the store says which
// message). A run that stopped at its time bound may end with an operation still under way: it is
// judged only once it has been pending for LIVENESS_BOUND_MS since it was issued and since the
// last fault ended; in a run that went quiet, any pending operation will never complete.

import type { Checker, Violation } from './types.ts';
import { opText } from './words.ts';

export const LIVENESS_BOUND_MS = 10_000;

export const LIVENESS: Checker = {
  guarantee: 'liveness',
  informative: false,
  check: (input) => {
    if (!input.networkHealed)
      return { notJudged: 'a partition or a held link was still in force at the end' };
    const violations: Violation[] = input.operations
      .filter((op) => op.completedAt === null && op.abandonedAt === null)
      .filter(
        (op) =>
          input.quiescent ||
          Math.max(op.invokedAt, input.faultsEndAt) <= input.endedAt - LIVENESS_BOUND_MS,
      )
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
