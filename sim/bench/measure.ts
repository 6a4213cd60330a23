// How the bench measures: CPU time (process.cpuUsage) beside wall time, medians, and what a
// snapshot of a world costs in time and in heap. The bench is the one place that reads a clock.

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { median } from '../explore/anomalies.ts';
import { type Bounds, type RunResult, Simulation, type Snapshot } from '../kernel/simulation.ts';
import type { WireMessage } from '../kernel/trace.ts';
import { type PreparedRun, prepareScenario, type RunOptions, type Scenario } from '../scenario.ts';

export { median };

/** Seconds of CPU (user + system) and of wall clock, and the minor page faults taken. */
export interface Cost {
  readonly cpu: number;
  readonly wall: number;
  /** Pages of memory the process touched for the first time (or again after V8 gave them back). */
  readonly faults: number;
}

export function measureCost(f: () => void): Cost {
  const faults = process.resourceUsage().minorPageFault;
  const wall = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  f();
  const used = process.cpuUsage(cpu);
  return {
    cpu: (used.user + used.system) / 1e6,
    wall: Number(process.hrtime.bigint() - wall) / 1e9,
    faults: process.resourceUsage().minorPageFault - faults,
  };
}

/**
 * CPU µs per page fault on this machine: 32 MiB of fresh memory touched a page at a time (median
 * of 5). Memory a run keeps (its history) is memory the process touches for the first time, and
 * the bare loop keeps none: where a fault is dear (14-22 µs in the virtual machine this was first
 * read on, where a run of the bench workload took about 2,000), it weighs on the ratio.
 */
export function faultCostUs(): number {
  const each = Array.from({ length: 5 }, () => {
    let fresh: Uint8Array | null = null;
    const cost = measureCost(() => {
      fresh = new Uint8Array(32 << 20);
      for (let i = 0; i < fresh.length; i += 4096) fresh[i] = 1;
    });
    return cost.faults === 0 ? 0 : (cost.cpu * 1e6) / cost.faults;
  });
  return median(each);
}

/** A table's label column, its figure column, and a row's word on its target. */
export const pad = (s: string, n: number) => s.padEnd(n);
export const num = (x: number, digits = 2) => x.toFixed(digits).padStart(8);
export const verdict = (ok: boolean) => (ok ? 'meets target' : 'MISSES TARGET');

/** One run of a workload in its phases: build and schedule (setup), sim.run(), checkers. */
export interface PhaseCosts {
  readonly events: number;
  readonly setup: Cost;
  readonly run: Cost;
  readonly judge: Cost;
}

// Long rows need more than the defaults (10M events; their history holds millions of entries).
export const BIG: Partial<Bounds> = { maxEvents: 20_000_000, maxHistory: 40_000_000 };

/** `judge` false leaves the checkers out (their cost reads 0). */
export function phases(
  workload: Scenario,
  options: RunOptions = { trace: false, bounds: BIG },
  judge = true,
): PhaseCosts {
  let prepared: PreparedRun | undefined;
  let result: RunResult | undefined;
  const setup = measureCost(() => {
    prepared = prepareScenario(workload, options);
  });
  const run = measureCost(() => {
    result = prepared!.sim.run();
  });
  const checkers = measureCost(() => {
    if (judge) prepared!.finish(result!);
  });
  return { events: result!.events, setup, run, judge: checkers };
}

/** CPU and wall µs per event of sim.run(), medians of `repeats` runs. */
export function perEvent(
  workload: Scenario,
  repeats: number,
  options: RunOptions = { trace: false, bounds: BIG },
  judge = true,
): { events: number; cpuUs: number; wallUs: number } {
  const runs = Array.from({ length: repeats }, () => phases(workload, options, judge));
  const events = runs[0]!.events;
  return {
    events,
    cpuUs: (median(runs.map((r) => r.run.cpu)) / events) * 1e6,
    wallUs: (median(runs.map((r) => r.run.wall)) / events) * 1e6,
  };
}

/** A full garbage collection, so that heap figures count only what is held. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

export interface SnapshotCost {
  readonly snapshotUs: number;
  readonly resumeUs: number;
  /** Heap held by one snapshot, beyond the running world it was taken from. */
  readonly bytes: number;
  readonly events: number;
  readonly operations: number;
  readonly queued: number;
}

/** The workload paused half-way through its script, snapshotted and resumed many times. */
export function snapshotCost(workload: Scenario, count = 50): SnapshotCost {
  const sim = prepareScenario(workload).sim;
  const lastStep = workload.steps.reduce((t, s) => Math.max(t, s.at), 0);
  sim.runUntil(Math.floor(lastStep / 2));
  sim.snapshot(); // warm
  collectGarbage();
  const before = process.memoryUsage().heapUsed;
  const held: Snapshot<WireMessage>[] = [];
  const taking = measureCost(() => {
    for (let i = 0; i < count; i++) held.push(sim.snapshot());
  });
  collectGarbage();
  const bytes = (process.memoryUsage().heapUsed - before) / count;
  const resuming = measureCost(() => {
    for (const s of held) Simulation.resume(s);
  });
  const first = held[0]!;
  return {
    snapshotUs: (taking.cpu / count) * 1e6,
    resumeUs: (resuming.cpu / count) * 1e6,
    bytes,
    events: first.events,
    operations: first.history.operations.length,
    queued: first.queue.size,
  };
}

/**
 * This process's Node flags (`--import tsx`) for a child, without an `--eval` or `--print`: its
 * code would run again in the child, which would start the measurement again.
 */
function nodeFlags(): string[] {
  const flags: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (['-e', '--eval', '-p', '--print'].includes(flag)) i++;
    else if (!/^(-e|--eval|-p|--print)=/.test(flag)) flags.push(flag);
  }
  return flags;
}

/**
 * The lines a bench module prints when run as a child process (`node --import tsx FILE ARGS`): a
 * measurement in a fresh process, out of reach of the heap and the compiled code the others left.
 */
export function childLines(file: string, args: readonly string[]): string[] {
  const out = execFileSync(process.execPath, [...nodeFlags(), file, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return out.trimEnd().split('\n');
}

/** The module at `moduleUrl` is the one Node was asked to run (`node --import tsx FILE`). */
export function runAsChild(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && fileURLToPath(moduleUrl) === process.argv[1];
}
