// The bench's scaling table: CPU µs per event of sim.run() as the clients, the servers or the run's
// length grow, each row against the first of its dimension. Each dimension is measured in a fresh
// process: run after the rest of the bench, the 10M-event row read up to 1.54× in a heap the
// earlier sections had grown, against 1.18-1.25× on its own.

import { fileURLToPath } from 'node:url';
import type { Scenario } from '../scenario.ts';
import { childLines, perEvent, phases, runAsChild } from './measure.ts';
import { benchWorkload } from './workload.ts';

export type Dimension = 'clients' | 'servers' | 'events';

const DIMENSIONS: readonly Dimension[] = ['clients', 'servers', 'events'];

function rowsOf(dimension: Dimension, quick: boolean): [string, Scenario, number][] {
  switch (dimension) {
    case 'clients':
      return [2, 20, 200, 2000].map((c) => [
        String(c),
        benchWorkload(1, 20_000, { clients: c, servers: 3 }),
        5,
      ]);
    case 'servers':
      return [3, 9, 33, 99].map((s) => [
        String(s),
        benchWorkload(1, Math.round(60_000 / (s + 2)), { clients: 5, servers: s }),
        5,
      ]);
    case 'events': {
      const lengths: [string, number, number][] = [
        ['1e5', 17_000, 5],
        ['1e6', 170_000, 3],
      ];
      if (!quick) lengths.push(['1e7', 1_700_000, 1]);
      return lengths.map(([label, ops, repeats]) => [label, benchWorkload(1, ops), repeats]);
    }
  }
}

/** The rows of one dimension, measured in this process once its code is compiled. */
export function dimensionRows(dimension: Dimension, quick: boolean): string[] {
  // Cold, the first row would pay for compiling the simulator and read as the cheapest world.
  for (let i = 0; i < 3; i++) phases(benchWorkload(1, 20_000));
  const lines: string[] = [];
  let first = 0;
  for (const [label, workload, repeats] of rowsOf(dimension, quick)) {
    const r = perEvent(workload, repeats);
    if (first === 0) first = r.cpuUs;
    const x = r.cpuUs / first;
    const name = `${dimension} ${label}`.padEnd(26);
    lines.push(
      `  ${name} ${String(r.events).padStart(9)} events ${r.cpuUs.toFixed(3).padStart(8)} µs  ${x.toFixed(2).padStart(8)}×  ${x <= 1.5 ? 'ok' : 'OVER 1.5×'}`,
    );
  }
  return lines;
}

/** The whole table, each dimension in a child process of its own. */
export function scalingSection(quick: boolean): string[] {
  const self = fileURLToPath(import.meta.url);
  const lines = [
    'cost per event as the world grows (CPU µs per event of sim.run(), target: within 1.5× of the first row;',
    '  each dimension in a fresh process; medians of 5 runs, of 3 at 1e6 events, one run at 1e7)',
  ];
  for (const dimension of DIMENSIONS)
    lines.push(...childLines(self, [dimension, ...(quick ? ['--quick'] : [])]));
  return lines;
}

// Run as a child: `node --import tsx sim/bench/scaling.ts DIMENSION [--quick]` prints its rows.
if (runAsChild(import.meta.url)) {
  const dimension = process.argv[2] as Dimension;
  if (!DIMENSIONS.includes(dimension)) {
    process.stderr.write(`usage: scaling.ts ${DIMENSIONS.join('|')} [--quick]\n`);
    process.exit(2);
  }
  console.log(dimensionRows(dimension, process.argv.includes('--quick')).join('\n'));
}
