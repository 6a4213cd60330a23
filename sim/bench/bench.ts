// `npm run bench`: the simulator's speed against the targets in DESIGN.md, each figure measured
// in this process next to its baseline so that the ratio, not the noisy absolute number, is
// what to read. Prints a table; never fails on speed.

import { loadScenario } from '../cli/load.ts';
import { EventHeap } from '../kernel/heap.ts';
import { Stream } from '../kernel/rng.ts';
import type { RunResult } from '../kernel/simulation.ts';
import { type PreparedRun, prepareScenario, runScenario, type Scenario } from '../scenario.ts';
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

function ms(s: number): string {
  return `${(s * 1000).toFixed(1)} ms`;
}

function fmt(n: number): string {
  return n >= 1e6
    ? `${(n / 1e6).toFixed(2)}M`
    : n >= 1e3
      ? `${(n / 1e3).toFixed(1)}k`
      : n.toFixed(1);
}

/** One bench run of the workload, in its three phases: build and schedule, run, judge. */
function simulatorPhases(workload: Scenario): { events: number; phases: Phases } {
  let prepared: PreparedRun | undefined;
  let result: RunResult | undefined;
  const setup = seconds(() => {
    prepared = prepareScenario(workload, { trace: false });
  });
  const run = seconds(() => {
    result = prepared!.sim.run();
  });
  const judge = seconds(() => {
    prepared!.finish(result!);
  });
  return { events: result!.events, phases: { setup, run, judge } };
}

interface Phases {
  readonly setup: number;
  readonly run: number;
  readonly judge: number;
}

async function main(): Promise<void> {
  const workload = benchWorkload(1, 20_000);
  // Warm both paths before measuring, so that neither pays for compilation.
  bareHeapLoop(200_000);
  for (let i = 0; i < 2; i++) runScenario(workload, { trace: false });
  const bare = measure('bare heap loop, events/s', () => bareHeapLoop(2_000_000));
  // The events/s figure times sim.run() alone: building the simulation and scheduling the
  // script (setup) and the checkers (judge) are not events; they are shown on their own lines.
  const runs: { events: number; phases: Phases }[] = [];
  for (let i = 0; i < REPEATS; i++) runs.push(simulatorPhases(workload));
  const simEvents = runs[0]!.events;
  const phase = (f: (p: Phases) => number) => median(runs.map((r) => f(r.phases)));
  const sim = {
    label: 'simulator, sim.run() only (faults, history), events/s',
    perSecond: simEvents / phase((p) => p.run),
  };
  const endToEnd = {
    label: '  end to end (setup + run + checkers), events/s',
    perSecond: simEvents / phase((p) => p.setup + p.run + p.judge),
  };
  const rows: { label: string; perSecond: number }[] = [bare, sim, endToEnd];
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
    `  (simulator workload: ${workload.steps.length} steps, ${simEvents} events per run;` +
      ` per run: setup ${ms(phase((p) => p.setup))}, sim.run() ${ms(phase((p) => p.run))},` +
      ` checkers and expectations ${ms(phase((p) => p.judge))})`,
  );
  for (const line of await extraBenchmarks()) console.log(line);
  for (const line of (await import('./verify.ts')).verifyBenchmarks()) console.log(line);
}

await main();
