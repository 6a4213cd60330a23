// One search worker thread: it runs the ranges of runs its coordinator hands it, stopping at the
// first run that breaks a guarantee, and shrinks the run it is told to. It also writes each case's
// source (which runs the scenario once more), so that the coordinator's thread only writes files
// and stays free to answer Ctrl-C at once.

import { parentPort, workerData } from 'node:worker_threads';
import type { GuaranteeId } from '../check/index.ts';
import type { AnyScenario } from '../scenario.ts';
import { type CaseInfo, type CaseStage, caseSource } from './case.ts';
import { planToScenario, scenarioSize } from './plan.ts';
import {
  globalRun,
  type Search,
  type Shard,
  type Shrunk,
  shrinkBudget,
  shrinkRun,
  tryRun,
} from './search.ts';

export type ToWorker =
  | { readonly type: 'runs'; readonly from: number; readonly to: number }
  | {
      readonly type: 'shrink';
      readonly run: number;
      /** The shrinking's budget of replays, and its wall-clock safety stop. */
      readonly runs: number;
      readonly seconds: number;
    };

export interface FoundRun {
  /** The index of the run within this shard (0-based), and its global index. */
  readonly j: number;
  readonly run: number;
  readonly broken: readonly GuaranteeId[];
  readonly scenario: AnyScenario;
  /** The case's source as found (see caseSource). */
  readonly source: string;
}

export type FromWorker =
  | {
      readonly type: 'ran';
      readonly from: number;
      /** How many runs of the range it made (fewer than asked when one broke a guarantee). */
      readonly made: number;
      readonly found: FoundRun | null;
    }
  | { readonly type: 'better'; readonly source: string }
  | { readonly type: 'shrunk'; readonly shrunk: Shrunk; readonly source: string };

export interface WorkerSetup {
  readonly search: Search;
  readonly shard: Shard;
  /** The command that searched, for the case's header. */
  readonly command: string;
}

/** A smaller case is sent at most this often while shrinking goes on (ms). */
const BETTER_EVERY_MS = 1_000;

const { search, shard, command } = workerData as WorkerSetup;
const port = parentPort!;

function source(
  scenario: AnyScenario,
  run: number,
  stage: CaseStage,
  found?: AnyScenario,
  cut?: CaseInfo['cut'],
): string {
  const info: CaseInfo = {
    scenario,
    command,
    seed: search.seed,
    run,
    stage,
    foundSize: found === undefined ? undefined : scenarioSize(found),
    cut,
  };
  return caseSource(info);
}

function runRange(from: number, to: number): void {
  for (let j = from; j < to; j++) {
    const run = globalRun(shard, j);
    const { plan, broken } = tryRun(search, run);
    if (broken.length > 0) {
      const scenario = planToScenario(plan, search);
      const found = { j, run, broken, scenario, source: source(scenario, run, 'found') };
      port.postMessage({ type: 'ran', from, made: j - from + 1, found } satisfies FromWorker);
      return;
    }
  }
  port.postMessage({ type: 'ran', from, made: to - from, found: null } satisfies FromWorker);
}

function shrink(run: number, runs: number, seconds: number): void {
  const found = planToScenario(tryRun(search, run).plan, search);
  let last = performance.now();
  let sent: AnyScenario | null = null;
  const budget = shrinkBudget({ shrinkRuns: runs, shrinkSeconds: seconds });
  const shrunk = shrinkRun(search, run, budget, (scenario, settled) => {
    // A case a stage of shrinking ended on goes at once: the ones after it may all be larger.
    if (!settled && performance.now() - last < BETTER_EVERY_MS) return;
    if (scenario === sent) return;
    last = performance.now();
    sent = scenario;
    const better = source(scenario, run, 'shrinking', found);
    port.postMessage({ type: 'better', source: better } satisfies FromWorker);
  });
  const cut = shrunk.cut === null ? undefined : { by: shrunk.cut, runs, seconds };
  const final = source(shrunk.scenario, run, cut ? 'cut' : 'shrunk', found, cut);
  port.postMessage({ type: 'shrunk', shrunk, source: final } satisfies FromWorker);
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'runs') runRange(message.from, message.to);
  else shrink(message.run, message.runs, message.seconds);
});
