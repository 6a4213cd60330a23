// The random search's part of `npm run bench`: runs to the first failure for each anomaly (median
// and worst of ten seeds, target: a median of at most 100), and the speed-up of worker threads:
// measured by wall time, and worked out from CPU time (machines are shared: CPU time is the
// figure to trust; each thread warms up its own compiled code, a fixed cost per worker).

import { availableParallelism } from 'node:os';
import { ANOMALIES, median } from '../explore/anomalies.ts';
import { SearchPool } from '../explore/pool.ts';
import { DEFAULT_BOUNDS, firstViolation, WHOLE } from '../explore/search.ts';

const SEEDS = Array.from({ length: 10 }, (_, i) => i + 1);
const MAX_RUNS = 5_000;
const TARGET = 100;

function runsToFailure(): string[] {
  const lines = [
    `  runs to the first violation, ${SEEDS.length} seeds (target: median ≤ ${TARGET})`,
  ];
  for (const a of ANOMALIES) {
    const runs = SEEDS.map(
      (seed) =>
        firstViolation({ ...a.settings, seed, bounds: DEFAULT_BOUNDS, runs: MAX_RUNS })
          ?.runsToFind ?? Number.POSITIVE_INFINITY,
    );
    const m = median(runs);
    lines.push(
      `    ${a.name.padEnd(34)} median ${String(m).padStart(5)}  max ${String(Math.max(...runs)).padStart(5)}  ${m <= TARGET ? 'meets target' : 'ABOVE TARGET'}`,
    );
  }
  return lines;
}

/** A clean search (nothing to find) of `runs` runs on `workers` threads: wall and CPU seconds. */
async function timedSearch(workers: number, runs: number): Promise<{ wall: number; cpu: number }> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await new SearchPool({
    search: { store: 'replicated', preset: 'fixed', knobs: {}, seed: 1, bounds: DEFAULT_BOUNDS },
    shard: WHOLE,
    runs,
    workers,
    shrinkSeconds: 1,
    command: 'npm run bench',
  }).run();
  const used = process.cpuUsage(cpu);
  return {
    wall: Number(process.hrtime.bigint() - start) / 1e9,
    cpu: (used.user + used.system) / 1e6,
  };
}

/**
 * The cost of a search on `workers` threads, from two searches of R and 2R runs: CPU a run once
 * warm (the difference), the fixed cost of starting and warming the threads (the rest), and the
 * wall time of the longer search.
 */
async function searchCost(workers: number, runs: number) {
  const short = await timedSearch(workers, runs);
  const long = await timedSearch(workers, 2 * runs);
  const perRun = Math.max(0, (long.cpu - short.cpu) / runs);
  return { perRun, fixed: Math.max(0, short.cpu - runs * perRun), wall: long.wall, cpu: long.cpu };
}

async function workerSpeedUp(): Promise<string[]> {
  const runs = 3_000;
  const cores = availableParallelism();
  const one = await searchCost(1, runs);
  const all = await searchCost(cores, runs);
  const ms = (s: number) => `${(s * 1000).toFixed(2)} ms`;
  /** Wall time of a search of n runs on idle cores, from its CPU costs. */
  const idle = (c: typeof one, threads: number, n: number) => (c.fixed + n * c.perRun) / threads;
  const projected = [10_000, 100_000].map(
    (n) => `${n} runs ${(idle(one, 1, n) / idle(all, cores, n)).toFixed(2)}×`,
  );
  return [
    `  explore under fixed, ${2 * runs} runs (CPU time; the machine may be shared)`,
    `    1 worker    ${ms(one.perRun)} CPU a run once warm, ${one.fixed.toFixed(2)} CPU-s to start and warm; wall ${one.wall.toFixed(2)} s, CPU ${one.cpu.toFixed(2)} s`,
    `    ${`${cores} workers`.padEnd(11)} ${ms(all.perRun)} CPU a run once warm, ${all.fixed.toFixed(2)} CPU-s to start and warm; wall ${all.wall.toFixed(2)} s, CPU ${all.cpu.toFixed(2)} s`,
    `    speed-up    measured ${(one.wall / all.wall).toFixed(2)}× wall; on ${cores} idle cores (from CPU costs): ${projected.join(', ')}`,
  ];
}

export async function exploreBenchmarks(): Promise<string[]> {
  return [...runsToFailure(), ...(await workerSpeedUp())];
}
