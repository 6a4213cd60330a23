// The random search's part of `npm run bench`: runs to the first failure for each anomaly (median
// and worst of ten seeds, target: a median of at most 100), and the speed-up of worker threads,
// by CPU time and by wall time (machines are shared: CPU time is the figure to trust).

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
  }).run();
  const used = process.cpuUsage(cpu);
  return {
    wall: Number(process.hrtime.bigint() - start) / 1e9,
    cpu: (used.user + used.system) / 1e6,
  };
}

/** Wall and CPU seconds of `runs` runs on `workers` threads, less the threads' start-up. */
async function searchCost(workers: number, runs: number): Promise<{ wall: number; cpu: number }> {
  const startUp = await timedSearch(workers, workers);
  const whole = await timedSearch(workers, runs + workers);
  return { wall: whole.wall - startUp.wall, cpu: whole.cpu - startUp.cpu };
}

async function workerSpeedUp(): Promise<string[]> {
  const runs = 3_000;
  const cores = availableParallelism();
  const startUp = await timedSearch(cores, cores);
  const one = await searchCost(1, runs);
  const all = await searchCost(cores, runs);
  const perRun = (t: number) => `${((t / runs) * 1000).toFixed(2)} ms`;
  return [
    `  explore: ${runs} runs under fixed, start-up of the threads taken out (${cores} threads start in ${startUp.wall.toFixed(2)} s wall, ${startUp.cpu.toFixed(2)} CPU-s)`,
    `    1 worker    wall ${one.wall.toFixed(2)} s, CPU ${one.cpu.toFixed(2)} s (${perRun(one.cpu)} CPU a run)`,
    `    ${`${cores} workers`.padEnd(11)} wall ${all.wall.toFixed(2)} s, CPU ${all.cpu.toFixed(2)} s (${perRun(all.cpu)} CPU a run)`,
    `    speed-up    ${(one.wall / all.wall).toFixed(2)}× wall on this machine now; ${((cores * one.cpu) / all.cpu).toFixed(2)}× at most on ${cores} idle cores (CPU a run: ${cores} workers against 1)`,
  ];
}

export async function exploreBenchmarks(): Promise<string[]> {
  return [...runsToFailure(), ...(await workerSpeedUp())];
}
