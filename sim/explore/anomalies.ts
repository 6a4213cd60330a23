// The anomalies the random search must find fast, each as the settings that cause it alone (a
// knob of PROTOCOL.md §4 over `fixed`; the lock store's `seed` preset) and the guarantees it may
// break. The property tests assert the budget on them; `npm run bench` prints runs to failure.

import type { GuaranteeId } from '../check/index.ts';
import type { PlanSettings } from './plan.ts';

export interface Anomaly {
  readonly name: string;
  readonly settings: PlanSettings;
  readonly breaks: readonly GuaranteeId[];
}

const fixed = (knobs: Record<string, string | number>): PlanSettings => ({
  store: 'replicated',
  preset: 'fixed',
  knobs,
});

export const ANOMALIES: readonly Anomaly[] = [
  {
    name: 'A1 followerApply=overwrite',
    settings: fixed({ followerApply: 'overwrite' }),
    breaks: ['convergence', 'monotonic-writes'],
  },
  {
    name: 'A2 clientSession=pipelined',
    settings: fixed({ clientSession: 'pipelined' }),
    breaks: ['monotonic-writes'],
  },
  {
    name: 'A3/A7 leaderClock=wall',
    settings: fixed({ leaderClock: 'wall' }),
    breaks: ['unique-timestamps', 'convergence'],
  },
  {
    name: 'A8 missingKeyReply=null-first',
    settings: fixed({ missingKeyReply: 'null-first' }),
    breaks: ['monotonic-reads'],
  },
  {
    name: 'A9 durability=memory',
    settings: fixed({ durability: 'memory' }),
    breaks: ['convergence', 'monotonic-reads'],
  },
  {
    name: 'A10 requestIds=none',
    settings: fixed({ requestIds: 'none' }),
    breaks: ['monotonic-writes', 'convergence'],
  },
  {
    name: 'ackPolicy=ignore-failures',
    settings: fixed({ ackPolicy: 'ignore-failures' }),
    breaks: ['convergence'],
  },
  // No lease and no timeout: a lost message blocks a key (liveness); a stray or duplicated
  // request lets two clients in (mutual exclusion, A5).
  {
    name: 'lock store, seed preset',
    settings: { store: 'lock', preset: 'seed', knobs: {} },
    breaks: ['mutual-exclusion', 'liveness'],
  },
  {
    name: 'A6 lock lockLease=0',
    settings: { store: 'lock', preset: 'fixed', knobs: { lockLease: 0 } },
    breaks: ['liveness'],
  },
];

/** The median of a list of numbers (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
