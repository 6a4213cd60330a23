// The search spread over worker threads. The coordinator hands out small ranges of runs in order
// and keeps the lowest run index that broke a guarantee; a range above it is never handed out,
// and every range below it is finished, so the first violation is the same for any number of
// workers. That run is then shrunk in one worker, within a budget of replays (the same case on
// any machine), while this thread stays free for Ctrl-C.

import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { bundledSync } from '../cli/bundled.ts';
import { DEFAULT_SHRINK_RUNS, type Search, type Shard, type Shrunk } from './search.ts';
import type { FoundRun, FromWorker, ToWorker, WorkerSetup } from './worker.ts';

let workerScript: string | undefined;

/**
 * The worker's code, bundled from the same sources and kept in the cache of bundles while they
 * are unchanged (sim/cli/bundled.ts). Each thread then starts on plain JavaScript: registering
 * tsx in every thread and compiling each module there again cost about half a CPU-second per
 * worker, which ate most of the speed-up of a search of a few thousand runs.
 */
function workerSource(): string {
  workerScript ??= bundledSync('explore-worker', {
    entryPoints: [fileURLToPath(new URL('./worker.ts', import.meta.url))],
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    logLevel: 'silent',
    // The case writer finds the scenario module from its own folder.
    define: { 'import.meta.dirname': JSON.stringify(fileURLToPath(new URL('.', import.meta.url))) },
  });
  return workerScript;
}

/** Runs a worker is given at a time: small, so that a violation stops the others soon. */
const RANGE = 8;

export type Found = FoundRun;

export interface PoolOptions {
  readonly search: Search;
  readonly shard: Shard;
  readonly runs: number;
  readonly workers: number;
  /** The wall-clock safety stop on shrinking, and its budget of replays (see ShrinkBudget). */
  readonly shrinkSeconds: number;
  readonly shrinkRuns?: number;
  /** The command that searched, for the case's header. */
  readonly command: string;
  /** Runs made so far (by all workers). */
  readonly onProgress?: (made: number) => void;
  /** The first violation, as found, before shrinking. */
  readonly onFound?: (found: Found) => void;
  /** The source of a smaller failing case, now and then while shrinking goes on. */
  readonly onBetter?: (source: string) => void;
}

export interface PoolResult {
  readonly made: number;
  readonly found: Found | null;
  readonly shrunk: { readonly shrunk: Shrunk; readonly source: string } | null;
}

export class SearchPool {
  private readonly workers: Worker[] = [];
  private stopped = false;

  constructor(private readonly options: PoolOptions) {}

  /** Ends every worker at once (Ctrl-C); the promise of `run` then never settles. */
  stop(): void {
    this.stopped = true;
    for (const w of this.workers) void w.terminate();
  }

  async run(): Promise<PoolResult> {
    const o = this.options;
    const setup: WorkerSetup = { search: o.search, shard: o.shard, command: o.command };
    const count = threadsFor(o.workers, o.runs);
    for (let i = 0; i < count; i++) {
      const worker = new Worker(workerSource(), { eval: true, workerData: setup });
      this.workers.push(worker);
    }
    try {
      const { made, found } = await this.search();
      if (found === null || this.stopped) return { made, found, shrunk: null };
      o.onFound?.(found);
      const shrunk = await this.shrink(this.workers[0]!, found.run);
      return { made, found, shrunk };
    } finally {
      for (const w of this.workers) void w.terminate();
    }
  }

  private search(): Promise<{ made: number; found: Found | null }> {
    const o = this.options;
    let next = 0;
    let made = 0;
    let best: Found | null = null;
    const busy = new Map<Worker, number>();
    return new Promise((resolve, reject) => {
      const give = (worker: Worker) => {
        const limit = best === null ? o.runs : best.j;
        if (next < limit && !this.stopped) {
          const to = Math.min(next + RANGE, limit);
          busy.set(worker, next);
          worker.postMessage({ type: 'runs', from: next, to } satisfies ToWorker);
          next = to;
        } else busy.delete(worker);
        if (busy.size === 0) resolve({ made, found: best });
      };
      for (const worker of this.workers) {
        worker.on('error', reject);
        worker.on('message', (m: FromWorker) => {
          if (m.type !== 'ran') return;
          made += m.made;
          if (m.found !== null && (best === null || m.found.j < best.j)) best = m.found;
          o.onProgress?.(made);
          give(worker);
        });
      }
      for (const worker of this.workers) give(worker);
    });
  }

  private shrink(worker: Worker, run: number): Promise<PoolResult['shrunk'] & object> {
    const o = this.options;
    return new Promise((resolve, reject) => {
      worker.removeAllListeners('message');
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'better') o.onBetter?.(m.source);
        if (m.type === 'shrunk') resolve({ shrunk: m.shrunk, source: m.source });
      });
      worker.on('error', reject);
      const runs = o.shrinkRuns ?? DEFAULT_SHRINK_RUNS;
      worker.postMessage({
        type: 'shrink',
        run,
        runs,
        seconds: o.shrinkSeconds,
      } satisfies ToWorker);
    });
  }
}

/**
 * Runs a worker must have to be started by default. On this repository's 2-core machine, two
 * workers against one on clean searches under `fixed`, wall time: 5,000 runs 0.82x (slower),
 * 20,000 runs 1.18x, 60,000 runs 1.43x: each worker compiles the simulator afresh (about a
 * CPU-second), more than a short search gains from another core.
 */
export const RUNS_PER_WORKER = 10_000;

/** The worker threads a search of `runs` starts when asked for `workers`: no more than it can use. */
export function threadsFor(workers: number, runs: number): number {
  return Math.max(1, Math.min(workers, Math.ceil(runs / RANGE)));
}

/** Workers when none are asked for: one a core, but no more than one per RUNS_PER_WORKER runs. */
export function defaultWorkers(runs: number, cores: number): number {
  return Math.max(1, Math.min(cores, Math.floor(runs / RUNS_PER_WORKER)));
}
