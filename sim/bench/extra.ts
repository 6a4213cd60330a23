// The checkers' speed on a long history (target: 1M operations checked in at most 1 s of CPU),
// measured on a synthetic history of a correct run, and on the history the bench workload
// records, faults and all: there no key is linearizable, and each key's witness is searched for.

import { fileURLToPath } from 'node:url';
import { type CheckInput, REPLICATED_CHECKERS, runCheckers } from '../check/index.ts';
import { decideKey, LINEARIZABILITY } from '../check/linearizability.ts';
import { fastPath, REGISTER_VIEW, type RegisterOp } from '../check/register.ts';
import { applyColumns, columns } from '../check/versions.ts';
import type { Apply, Operation } from '../kernel/history.ts';
import { Stream } from '../kernel/rng.ts';
import { checkInput, checkRun, prepareScenario, type ScenarioRun } from '../scenario.ts';
import { STORES } from '../stores/index.ts';
import { childLines, measureCost, median, runAsChild } from './measure.ts';
import { overlappingKey } from './overlap.ts';
import { benchWorkload } from './workload.ts';

/**
 * n operations by 8 clients over 16 keys, each write replicated to three servers in order. As in
 * a recorded run, a name is one string wherever it appears, and a value is the very string its
 * write carried wherever it is stored or read (messages and states pass it on, never copy it):
 * a history that made each again would make every comparison of two read two strings.
 */
export function syntheticHistory(n: number): { operations: Operation[]; applies: Apply[] } {
  const rng = new Stream('bench-history', 1);
  const operations: Operation[] = [];
  const applies: Apply[] = [];
  const latest = new Map<string, { ts: number; value: string }>();
  const names = (prefix: string, from: number, count: number) =>
    Array.from({ length: count }, (_, i) => `${prefix}${from + i}`);
  const clients = names('c', 1, 8);
  const keys = names('k', 0, 16);
  const servers = names('s', 1, 3);
  let ts = 0;
  for (let i = 0; i < n; i++) {
    const client = clients[i % 8]!;
    const key = keys[rng.below(16)]!;
    const t = i * 3;
    const write = rng.below(10) < 4;
    const value = `v${i}`;
    if (write) ts++;
    if (write) latest.set(key, { ts, value });
    const version = latest.get(key)?.ts ?? 0;
    const requestId = `${client}.${i}`;
    operations.push({
      id: i + 1,
      client,
      op: write ? 'put' : 'get',
      key,
      value: write ? value : null,
      requestId,
      invokedAt: t,
      completedAt: t + 2,
      invokedSeq: 2 * i,
      completedSeq: 2 * i + 1,
      reply: write ? 'PUT_OK' : version === 0 ? 'NULL' : 'GET_OK',
      server: servers[i % 3]!,
      result: version === 0 ? null : latest.get(key)!.value,
      ts: version === 0 ? null : version,
      abandonedAt: null,
      session: client,
    });
    if (write)
      // As a History records it: the write's place in the operations, noted when it is stored.
      for (const node of servers)
        applies.push({ t: t + 1, node, key, value, ts, origin: requestId, opIndex: i });
  }
  return { operations, applies };
}

export async function extraBenchmarks(): Promise<string[]> {
  return [
    ...millionLines(),
    // In a fresh process of its own, as the scaling rows are: the checks of a recorded run
    // allocate as a run's do, and in this process's heap (grown by the sections before, the 1M
    // history among them) the collections they set off cost far more: the row read 1.26 µs/op
    // here where a fresh process read 0.84-0.92.
    ...childLines(fileURLToPath(import.meta.url), ['recorded']),
    '  linearizability of one key whose operations all overlap, CPU ms (each < 1000):',
    ...[20, 40, 60].map(overlapLine),
  ];
}

/** All the checkers, then linearizability alone, on a synthetic correct history of 1M operations. */
function millionLines(): string[] {
  const n = 1_000_000;
  const { operations, applies } = syntheticHistory(n);
  const input = {
    operations,
    applies,
    locks: [],
    replicas: new Map(),
    quiescent: true,
    endedAt: n * 3,
    faultsEndAt: 0,
    networkHealed: true,
    explainPending: () => '',
  };
  runCheckers(REPLICATED_CHECKERS, {
    ...input,
    operations: operations.slice(0, 10_000),
    applies: applies.slice(0, 12_000),
  });
  let verdicts: ReturnType<typeof runCheckers> = [];
  const all: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    // Fresh arrays each time: the checkers keep what they derive per history (the grouping by
    // session, the replicas' writes resolved), and each measure must pay for it, as a run would.
    const fresh = { ...input, operations: [...operations], applies: [...applies] };
    all.push(
      cpuSeconds(() => {
        verdicts = runCheckers(REPLICATED_CHECKERS, fresh);
      }),
    );
  }
  const seconds = median(all);
  const broken = verdicts.filter((v) => v.status === 'broken').map((v) => v.guarantee);
  const lin: number[] = [];
  let linVerdict = '';
  for (let i = 0; i < REPEATS; i++) {
    // Fresh arrays here too: alone, linearizability pays for the reading it shares with the others.
    const fresh = { ...input, operations: [...operations], applies: [...applies] };
    lin.push(
      cpuSeconds(() => {
        const r = LINEARIZABILITY.check(fresh);
        linVerdict = 'violations' in r && r.violations.length === 0 ? 'linearizable' : 'UNEXPECTED';
      }),
    );
  }
  const linSeconds = median(lin);
  const parts = checkerParts(input);
  return [
    `  ${'checkers on 1M operations (all guarantees), CPU s (≤ 1)'.padEnd(58)} ${seconds.toFixed(2).padStart(9)}  ${seconds <= 1 ? 'meets target' : 'ABOVE TARGET'}, ${broken.length === 0 ? 'no violation, as built' : `UNEXPECTED: ${broken.join(', ')}`}`,
    `    of which, CPU s: ${parts}`,
    `  ${'linearizability alone on 1M operations, CPU s (< 0.5)'.padEnd(58)} ${linSeconds.toFixed(3).padStart(9)}  ${linSeconds < 0.5 ? 'meets target' : 'ABOVE TARGET'}, ${linVerdict}`,
  ];
}

/** Operations in the recorded history the checkers are timed on. */
const RECORDED_OPERATIONS = 100_000;

/**
 * Every checker on the history the bench workload records (crashes, partitions, loss, copies):
 * CPU µs per operation against the same target, with the verdicts it reached and where the time
 * went. Median of 5, each on fresh copies of the history's lists, as a run would check it, after
 * the run's own check and WARM_UPS more untimed: the first checks after a run also pay for
 * compiling the checkers and for collecting the run's own garbage (several times the steady cost),
 * which is not a cost per operation. The run's own check's cost is shown beside it.
 */
function recordedLines(): string[] {
  const { run, ownSeconds } = recordedRun();
  const { result, topology, knobs, livenessBound } = run;
  const store = STORES.replicated;
  const fresh = () => {
    const { operations, applies, locks } = result.history;
    const history = { operations: [...operations], applies: [...applies], locks: [...locks] };
    return { ...result, history: history as unknown as typeof result.history };
  };
  const n = result.history.operations.length;
  const all: number[] = [];
  let verdicts = run.verdicts;
  for (let i = 0; i < WARM_UPS + REPEATS; i++) {
    const copy = fresh();
    all.push(
      cpuSeconds(() => {
        verdicts = checkRun(store, copy, topology, knobs, livenessBound);
      }),
    );
  }
  const us = (median(all.slice(WARM_UPS)) * 1e6) / n;
  const ownUs = (ownSeconds * 1e6) / n;
  const informative = new Set(store.checkers.filter((c) => c.informative).map((c) => c.guarantee));
  const broken = verdicts.filter((v) => v.status === 'broken').map((v) => v.guarantee);
  const found = (kind: boolean) => broken.filter((g) => informative.has(g) === kind).join(', ');
  const input = checkInput(store, fresh(), topology, knobs, livenessBound);
  const split = checkerParts(input, (seconds) => ((seconds * 1e6) / n).toFixed(3));
  return [
    `  ${`checkers on a recorded run's ${n.toLocaleString('en')} ops, CPU µs/op (≤ 1)`.padEnd(58)} ${us.toFixed(3).padStart(9)}  ${us <= 1 ? 'meets target' : 'ABOVE TARGET'}, broken: ${found(false) || 'none'}; findings: ${found(true) || 'none'}`,
    `    of which, CPU µs/op: ${split}; the run's own check (its first, with its judging of each step): ${ownUs.toFixed(3)}`,
  ];
}

/**
 * The bench workload's run, and the CPU seconds its own check took: as a user's run makes it
 * (with the rest of its judging, each step's expectation), the first the checkers make of this
 * history. The simulation is let go on return, as runScenario lets it go.
 */
function recordedRun(): { run: ScenarioRun; ownSeconds: number } {
  const prepared = prepareScenario(benchWorkload(1, RECORDED_OPERATIONS), {
    trace: false,
    bounds: { maxEvents: 50_000_000, maxHistory: 50_000_000 },
  });
  const ran = prepared.sim.run();
  let run: ScenarioRun | undefined;
  const ownSeconds = cpuSeconds(() => {
    run = prepared.finish(ran);
  });
  return { run: run!, ownSeconds };
}

/** Checks of the recorded run made untimed after its own, before the timed ones (see recordedLines). */
const WARM_UPS = 3;

const REPEATS = 5;

/**
 * Where the checkers' time goes: the shared reading of the history into columns, then each
 * checker on it (median of 5 each, a fresh input each time, as in the row above).
 */
function checkerParts(
  input: CheckInput,
  shown: (seconds: number) => string = (seconds) => seconds.toFixed(3),
): string {
  const parts = new Map<string, number[]>([['reading', []]]);
  for (let i = 0; i < REPEATS; i++) {
    const fresh = { ...input, operations: [...input.operations], applies: [...input.applies] };
    parts.get('reading')!.push(
      cpuSeconds(() => {
        columns(fresh);
        applyColumns(fresh);
      }),
    );
    for (const checker of REPLICATED_CHECKERS) {
      const times = parts.get(checker.guarantee) ?? [];
      times.push(cpuSeconds(() => checker.check(fresh)));
      parts.set(checker.guarantee, times);
    }
  }
  return [...parts].map(([name, times]) => `${name} ${shown(median(times))}`).join(', ');
}

/** CPU seconds (user + system) of one call: the machine is shared, so wall time would lie. */
function cpuSeconds(f: () => void): number {
  return measureCost(f).cpu;
}

/** The checker's path for one key: the timestamp order, then the exact decision. */
function decideOne(ops: readonly RegisterOp[]): string {
  if (fastPath(ops, REGISTER_VIEW)) return 'linearizable';
  const d = decideKey(ops);
  return d.kind === 'not-linearizable' ? `not (witness ${d.witness.length} ops)` : d.kind;
}

/** One line per size: distinct and repeated values, linearizable and not, median of 5 each. */
function overlapLine(n: number): string {
  const cells: string[] = [];
  let worst = 0;
  for (const distinct of [true, false]) {
    for (const broken of [false, true]) {
      const ops = overlappingKey(n, { distinct, broken });
      let verdict = '';
      const cpu = median(
        Array.from({ length: REPEATS }, () =>
          cpuSeconds(() => {
            verdict = decideOne(ops);
          }),
        ),
      );
      worst = Math.max(worst, cpu);
      cells.push(`${distinct ? 'own values' : '3 values'}, ${verdict}: ${(cpu * 1000).toFixed(2)}`);
    }
  }
  return `    ${String(n).padStart(2)} ops: ${cells.join('; ')}  ${worst < 1 ? 'meets target' : 'ABOVE TARGET'}`;
}

// As a child: `node --import tsx sim/bench/extra.ts recorded` prints the recorded run's rows.
if (runAsChild(import.meta.url)) {
  if (process.argv[2] !== 'recorded') {
    process.stderr.write('usage: extra.ts recorded\n');
    process.exit(2);
  }
  console.log(recordedLines().join('\n'));
}
