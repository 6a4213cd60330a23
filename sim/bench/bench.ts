// `npm run bench`: the simulator's speed against the targets in DESIGN.md, each figure measured
// in this process next to its baseline so that the ratio, not the noisy absolute number, is
// what to read. Prints a table; never fails on speed.

import { loadScenario } from '../cli/load.ts';
import { EventHeap } from '../kernel/heap.ts';
import { Stream } from '../kernel/rng.ts';
import { runScenario } from '../scenario.ts';
import { extraBenchmarks } from './extra.ts';
import { benchWorkload } from './workload.ts';

const REPEATS = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Wall-clock seconds of one call (the bench is the one place that reads a clock). */
function seconds(f: () => void): number {
  const start = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** The floor: a binary-heap loop whose step is a pure function drawing one delay per event. */
function bareHeapLoop(events: number): number {
  const heap = new EventHeap<{ readonly node: number; readonly n: number }>();
  const rng = new Stream('network', 1);
  const step = (e: { node: number; n: number }) => ({ node: (e.node + 1) % 8, n: e.n + 1 });
  for (let i = 0; i < 64; i++) heap.push(i, { node: i % 8, n: 0 });
  let done = 0;
  while (done < events) {
    const entry = heap.pop()!;
    heap.push(entry.time + rng.between(1, 20), step(entry.item));
    done++;
  }
  return done;
}

function measure(
  label: string,
  run: () => number,
): { label: string; perSecond: number; samples: number[] } {
  const samples: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    let count = 0;
    const s = seconds(() => {
      count = run();
    });
    samples.push(count / s);
  }
  return { label, perSecond: median(samples), samples };
}

function fmt(n: number): string {
  return n >= 1e6
    ? `${(n / 1e6).toFixed(2)}M`
    : n >= 1e3
      ? `${(n / 1e3).toFixed(1)}k`
      : n.toFixed(1);
}

async function main(): Promise<void> {
  const workload = benchWorkload(1, 20_000);
  let simEvents = 0;
  // Warm both paths before measuring, so that neither pays for compilation.
  bareHeapLoop(200_000);
  runScenario(workload, { trace: false });
  const rows: { label: string; perSecond: number }[] = [];
  const pairs: [ReturnType<typeof measure>, ReturnType<typeof measure>][] = [];
  for (let round = 0; round < 1; round++) {
    const bare = measure('bare heap loop, events/s', () => bareHeapLoop(2_000_000));
    const sim = measure('simulator (replicated store, faults, history), events/s', () => {
      const run = runScenario(workload, { trace: false });
      simEvents = run.result.events;
      return simEvents;
    });
    pairs.push([bare, sim]);
  }
  const [bare, sim] = pairs[0]!;
  rows.push(bare, sim);
  const ratio = sim.perSecond / bare.perSecond;

  const stale = await loadScenario('scenarios/stale-read.ts');
  const demo = runScenario(stale);
  const virtualSeconds = demo.result.endedAt / 1000;
  const demoRate = measure('stale-read replay, virtual s per wall s', () => {
    for (let i = 0; i < 50; i++) runScenario(stale);
    return 50 * virtualSeconds;
  });
  rows.push(demoRate);

  console.log('kvsim bench (medians of 5; machine: this one, now)');
  for (const row of rows)
    console.log(`  ${row.label.padEnd(58)} ${fmt(row.perSecond).padStart(9)}`);
  console.log(
    `  ${'simulator / bare heap loop (target ≥ 0.5)'.padEnd(58)} ${ratio.toFixed(2).padStart(9)}  ${ratio >= 0.5 ? 'meets target' : 'BELOW TARGET'}`,
  );
  console.log(
    `  (simulator workload: ${workload.steps.length} steps, ${simEvents} events per run)`,
  );
  for (const line of await extraBenchmarks()) console.log(line);
}

await main();
