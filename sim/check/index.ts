// The checkers a store runs, and the verdict per guarantee. A store names its checkers here; the
// lock store adds mutual exclusion the same way.

import { CAUSALITY } from './causality.ts';
import { CONVERGENCE, UNIQUE_TIMESTAMPS } from './convergence.ts';
import { LINEARIZABILITY } from './linearizability.ts';
import { LIVENESS } from './liveness.ts';
import { LOCK_LIVENESS, MUTUAL_EXCLUSION } from './mutual-exclusion.ts';
import { SESSION_CHECKERS } from './session.ts';
import type { Checker, CheckInput, GuaranteeId, Verdict } from './types.ts';

export const REPLICATED_CHECKERS: readonly Checker[] = [
  ...SESSION_CHECKERS,
  CONVERGENCE,
  LIVENESS,
  UNIQUE_TIMESTAMPS,
  LINEARIZABILITY,
  CAUSALITY,
];

/**
 * The lock store: one server, so convergence is trivial; its own guarantee is mutual exclusion.
 * Linearizability is judged per key as for the replicated store (PROTOCOL.md §3 defines it for a
 * history, whatever the store): one server serialising each key keeps it, unless a write lands
 * outside its lock (a stray or late PUT under `lockOwnerCheck: none`), which mutual exclusion
 * fails the run for and the finding explains.
 */
export const LOCK_CHECKERS: readonly Checker[] = [
  ...SESSION_CHECKERS,
  LOCK_LIVENESS,
  UNIQUE_TIMESTAMPS,
  MUTUAL_EXCLUSION,
  LINEARIZABILITY,
];

export function runCheckers(checkers: readonly Checker[], input: CheckInput): Verdict[] {
  return checkers.map((checker) => {
    const result = checker.check(input);
    if ('notJudged' in result) {
      return {
        guarantee: checker.guarantee,
        informative: checker.informative,
        status: 'not-judged',
        reason: result.notJudged,
        violations: [],
      };
    }
    const violations = [...result.violations].sort((a, b) => a.at - b.at);
    const undecided = result.undecided ?? null;
    return {
      guarantee: checker.guarantee,
      informative: checker.informative,
      status: violations.length > 0 ? 'broken' : undecided === null ? 'held' : 'not-judged',
      reason: undecided,
      violations,
      ...(result.linearizations === undefined ? {} : { linearizations: result.linearizations }),
    };
  });
}

/** The guarantees a run broke, informative findings left out. */
export function brokenGuarantees(verdicts: readonly Verdict[]): GuaranteeId[] {
  return verdicts.filter((v) => !v.informative && v.status === 'broken').map((v) => v.guarantee);
}

export function findings(verdicts: readonly Verdict[]): GuaranteeId[] {
  return verdicts.filter((v) => v.informative && v.status === 'broken').map((v) => v.guarantee);
}

export type {
  Checker,
  CheckInput,
  GuaranteeId,
  Linearization,
  LivenessBound,
  ReplicaState,
  Verdict,
  Violation,
} from './types.ts';
export { GUARANTEE_NAMES } from './types.ts';
