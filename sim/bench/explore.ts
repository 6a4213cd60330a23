// The random search's part of `npm run bench`: runs to the first failure for each anomaly (median
// and worst of ten seeds, target: a median of at most 100), and the speed-up of worker threads,
// measured by wall time on searches of two lengths, with the CPU time they took beside it.

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
 * Searches of a fixed length on one worker and on every core, alternated: the median of three
 * each, or one each for the long search of the full bench. Wall time is the speed-up a user sees;
 * CPU time says what the threads cost in all. Each worker compiles the simulator afresh (about a
 * CPU-second of V8's compilers before it runs at full speed, much of it on background threads),
 * and one worker already keeps part of a second core busy with them and the collector: on few
 * cores the speed-up only shows on long searches.
 */
async function workerSpeedUp(quick: boolean): Promise<string[]> {
  const cores = availableParallelism();
  const lines = [
    '  explore under fixed, a clean search (wall and CPU seconds; medians of 3, the longest once)',
  ];
  const lengths: [number, number][] = [
    [5_000, 3],
    [20_000, 3],
  ];
  if (!quick) lengths.push([100_000, 1]);
  for (const [runs, repeats] of lengths) {
    const one: { wall: number; cpu: number }[] = [];
    const all: { wall: number; cpu: number }[] = [];
    for (let i = 0; i < repeats; i++) {
      one.push(await timedSearch(1, runs));
      all.push(await timedSearch(cores, runs));
    }
    const w1 = median(one.map((c) => c.wall));
    const wn = median(all.map((c) => c.wall));
    const c1 = median(one.map((c) => c.cpu));
    const cn = median(all.map((c) => c.cpu));
    lines.push(
      `    ${String(runs).padStart(6)} runs: 1 worker ${w1.toFixed(2)} s wall (${c1.toFixed(2)} CPU), ${cores} workers ${wn.toFixed(2)} s wall (${cn.toFixed(2)} CPU): speed-up ${(w1 / wn).toFixed(2)}×`,
    );
  }
  return lines;
}

export async function exploreBenchmarks(quick: boolean): Promise<string[]> {
  return [...runsToFailure(), ...(await workerSpeedUp(quick))];
}
