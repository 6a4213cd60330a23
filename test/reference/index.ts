// The reference verdicts of one run: every guarantee of PROTOCOL.md §3 judged by the plain
// implementations beside this file, in the checkers' vocabulary, so that a test can compare them.

import type { ScenarioRun } from '../../sim/scenario.ts';
import { STORES } from '../../sim/stores/index.ts';
import { causality } from './causality.ts';
import { convergence } from './convergence.ts';
import type { RefVerdict } from './history.ts';
import { BRUTE_FORCE_LIMIT, linearizability } from './linearizability.ts';
import { liveness } from './liveness.ts';
import { mutualExclusion } from './mutual-exclusion.ts';
import { monotonicReads, monotonicWrites, readYourWrites, writesFollowReads } from './session.ts';
import { uniqueTimestamps } from './unique.ts';

export type { RefVerdict } from './history.ts';

export function referenceVerdicts(
  run: ScenarioRun,
  bruteForceLimit = BRUTE_FORCE_LIMIT,
): Map<string, RefVerdict> {
  const { history } = run.result;
  const ops = history.operations;
  const replicas = STORES[run.store].replicas(run.result.finalStates, run.topology);
  const down = new Set([...replicas].filter(([, r]) => !r.up).map(([node]) => node));
  const verdicts = new Map<string, RefVerdict>([
    ['monotonic-reads', monotonicReads(ops)],
    ['monotonic-writes', monotonicWrites(ops, history.applies)],
    ['read-your-writes', readYourWrites(ops)],
    ['writes-follow-reads', writesFollowReads(ops)],
    [
      'liveness',
      liveness({
        operations: ops,
        locks: history.locks,
        quiescent: run.result.ending === 'quiescent',
        networkHealed: run.result.networkHealed,
        endedAt: run.result.endedAt,
        faultsEndAt: run.result.faultsEndAt,
        boundMs: run.livenessBound.ms,
        down,
      }),
    ],
    ['unique-timestamps', uniqueTimestamps(ops)],
  ]);
  // §3 defines linearizability on a history, whatever the store.
  verdicts.set('linearizability', linearizability(ops, bruteForceLimit));
  if (run.store === 'lock') {
    verdicts.set('mutual-exclusion', mutualExclusion(ops, history.locks, history.applies));
    return verdicts;
  }
  verdicts.set(
    'convergence',
    convergence({
      operations: ops,
      applies: history.applies,
      replicas,
      quiescent: run.result.ending === 'quiescent',
      networkHealed: run.result.networkHealed,
    }),
  );
  verdicts.set('causality', causality(ops, history.applies, history.wipes));
  return verdicts;
}
