// The bench's scaling table: CPU µs per event of sim.run() as the clients, the servers or the run's
// length grow, each row against the first of its dimension. Every row is measured in fresh
// processes of its own (a world of one size, as a user runs it), each warmed on the row's own
// workload and timing several runs; the row is the median over its processes, and its ratio the
// median over rounds in which every row ran once. Measured one after another in one process, a
// row's figure depended on the rows before it: the 2-client row read 0.445 and 0.590 µs in two
// processes, and the 10M-event row up to 1.54× in a heap the earlier sections had grown.

import { fileURLToPath } from 'node:url';
import type { Scenario } from '../scenario.ts';
import { childLines, median, num, pad, perEvent, phases, runAsChild } from './measure.ts';
import { benchWorkload } from './workload.ts';

export type Dimension = 'clients' | 'servers' | 'events';

const DIMENSIONS: readonly Dimension[] = ['clients', 'servers', 'events'];

interface Row {
  readonly label: string;
  readonly workload: () => Scenario;
  /** Runs timed in each process (after three to warm up). */
  readonly repeats: number;
  /** Fresh processes the row is measured in. */
  readonly processes: number;
}

function rowsOf(dimension: Dimension, quick: boolean): Row[] {
  switch (dimension) {
    case 'clients':
      return [2, 20, 200, 2000].map((c) => ({
        label: String(c),
        workload: () => benchWorkload(1, 20_000, { clients: c, servers: 3 }),
        repeats: 5,
        processes: 3,
      }));
    case 'servers':
      return [3, 9, 33, 99].map((s) => ({
        label: String(s),
        workload: () => benchWorkload(1, Math.round(60_000 / (s + 2)), { clients: 5, servers: s }),
        repeats: 5,
        processes: 3,
      }));
    case 'events': {
      const lengths: [string, number, number, number][] = [
        ['1e5', 17_000, 5, 3],
        ['1e6', 170_000, 3, 3],
      ];
      // One run a process at 1e7 (about 7 s each), but three processes: a single one read from
      // 1.19 to 1.65 times the 1e5 row on the same tree.
      if (!quick) lengths.push(['1e7', 1_700_000, 1, 3]);
      return lengths.map(([label, ops, repeats, processes]) => ({
        label,
        workload: () => benchWorkload(1, ops),
        repeats,
        processes,
      }));
    }
  }
}

/** One row in this process: warmed on its own workload (a small one past 1e6 events), then timed. */
function measureRow(row: Row): { events: number; cpuUs: number } {
  const workload = row.workload();
  // Cold, a row would pay for compiling the simulator; three runs of a long one cost minutes.
  const warm = workload.steps.length > 200_000 ? benchWorkload(1, 20_000) : workload;
  // Only sim.run() is read: the checkers are left out, as they take as long again.
  for (let i = 0; i < 3; i++) phases(warm, undefined, false);
  return perEvent(workload, row.repeats, undefined, false);
}

/**
 * The rows of one dimension, each the median over fresh processes, against the first row. The
 * rows take turns, one process each a round, and a row's ratio is the median of its rounds' (its
 * process's figure over the first row's in the same round): a host whose load drifts during the
 * table weighs on both sides of each ratio alike, not on the later rows alone.
 */
export function dimensionRows(dimension: Dimension, quick: boolean): string[] {
  const self = fileURLToPath(import.meta.url);
  const rows = rowsOf(dimension, quick);
  const rounds = Math.max(...rows.map((r) => r.processes));
  const measured = rows.map((): { events: number; cpuUs: number }[] => []);
  for (let round = 0; round < rounds; round++) {
    rows.forEach((row, i) => {
      if (round >= row.processes) return;
      const [line] = childLines(self, [dimension, row.label, ...(quick ? ['--quick'] : [])]);
      const [events, cpuUs] = line!.split(' ').map(Number);
      measured[i]!.push({ events: events!, cpuUs: cpuUs! });
    });
  }
  const first = measured[0]!;
  return rows.map((row, i) => {
    const mine = measured[i]!;
    const cpuUs = median(mine.map((m) => m.cpuUs));
    const x = median(mine.map((m, round) => m.cpuUs / first[round]!.cpuUs));
    return `  ${pad(`${dimension} ${row.label}`, 26)} ${String(mine[0]!.events).padStart(9)} events ${num(cpuUs, 3)} µs  ${num(x)}×  ${x <= 1.5 ? 'ok' : 'OVER 1.5×'}`;
  });
}

/** The whole table. */
export function scalingSection(quick: boolean): string[] {
  return [
    'cost per event as the world grows (CPU µs per event of sim.run(), target: within 1.5× of the first row;',
    '  each row in 3 fresh processes warmed on its own workload, the median of their medians of 5 runs',
    '  (of 3 at 1e6 events; of one at 1e7); the rows take turns, and a ratio is the median of the',
    "  three rounds' ratios to the first row)",
    ...DIMENSIONS.flatMap((dimension) => dimensionRows(dimension, quick)),
  ];
}

// As a child: `node --import tsx sim/bench/scaling.ts DIMENSION LABEL [--quick]` prints the row's
// events and CPU µs per event; with DIMENSION alone, the dimension's table.
if (runAsChild(import.meta.url)) {
  const [dimension, label] = process.argv.slice(2) as [Dimension, string | undefined];
  const quick = process.argv.includes('--quick');
  if (!DIMENSIONS.includes(dimension)) {
    process.stderr.write(`usage: scaling.ts ${DIMENSIONS.join('|')} [ROW] [--quick]\n`);
    process.exit(2);
  }
  const row = rowsOf(dimension, quick).find((r) => r.label === label);
  if (row === undefined) console.log(dimensionRows(dimension, quick).join('\n'));
  else {
    const r = measureRow(row);
    console.log(`${r.events} ${r.cpuUs}`);
  }
}
