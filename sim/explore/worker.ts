// One search worker thread: it runs the ranges of runs its coordinator hands it, stopping at the
// first run that breaks a guarantee, and shrinks the run it is told to. Everything it sends back
// is plain data (plans, scenarios), so the coordinator can write a case at any moment.

import { parentPort, workerData } from 'node:worker_threads';
import type { Scenario } from '../scenario.ts';
import { planToScenario } from './plan.ts';
import { globalRun, type Search, type Shard, shrinkRun, tryRun } from './search.ts';

export type ToWorker =
  | { readonly type: 'runs'; readonly from: number; readonly to: number }
  | { readonly type: 'shrink'; readonly run: number; readonly seconds: number };

export type FromWorker =
  | {
      readonly type: 'ran';
      readonly from: number;
      /** How many runs of the range it made (fewer than asked when one broke a guarantee). */
      readonly made: number;
      readonly found: {
        readonly j: number;
        readonly run: number;
        readonly broken: readonly string[];
        readonly scenario: Scenario;
      } | null;
    }
  | { readonly type: 'better'; readonly scenario: Scenario }
  | { readonly type: 'shrunk'; readonly shrunk: ReturnType<typeof shrinkRun> };

export interface WorkerSetup {
  readonly search: Search;
  readonly shard: Shard;
}

const { search, shard } = workerData as WorkerSetup;
const port = parentPort!;

port.on('message', (message: ToWorker) => {
  if (message.type === 'runs') {
    for (let j = message.from; j < message.to; j++) {
      const run = globalRun(shard, j);
      const { plan, broken } = tryRun(search, run);
      if (broken.length > 0) {
        const scenario = planToScenario(plan, search);
        const found = { j, run, broken, scenario };
        port.postMessage({ type: 'ran', from: message.from, made: j - message.from + 1, found });
        return;
      }
    }
    port.postMessage({
      type: 'ran',
      from: message.from,
      made: message.to - message.from,
      found: null,
    } satisfies FromWorker);
    return;
  }
  const deadline = performance.now() + message.seconds * 1000;
  const shrunk = shrinkRun(search, message.run, deadline, (scenario) =>
    port.postMessage({ type: 'better', scenario } satisfies FromWorker),
  );
  port.postMessage({ type: 'shrunk', shrunk } satisfies FromWorker);
});
