// The bench's demo row: the seed's own demo (stale-read.ts: 10 s replication delays) replayed as
// `npm run sim` replays it (scenario checked, trace kept, every checker), in virtual seconds per
// CPU second. Measured in a fresh process: after the speed rows it read a third slower, and run
// before them it left the kernel's compiled code less fit for the untraced rows.

import { fileURLToPath } from 'node:url';
import staleRead from '../../scenarios/stale-read.ts';
import { runScenario } from '../scenario.ts';
import { childLines, measureCost, median, num, pad, runAsChild, verdict } from './measure.ts';

const REPEATS = 5;

/** The row, measured in this process. */
function demoRow(): string {
  // Replayed until V8 has compiled it (after 500 runs a run still cost twice what it does after
  // 2,000: the checkers' witness code is large), then measured in batches of 200.
  const batch = 200;
  for (let i = 0; i < 10 * batch; i++) runScenario(staleRead);
  let endedAt = 0;
  const cpu = median(
    Array.from({ length: REPEATS }, () =>
      measureCost(() => {
        for (let i = 0; i < batch; i++) endedAt = runScenario(staleRead).result.endedAt;
      }),
    ).map((c) => c.cpu / batch),
  );
  const rate = endedAt / 1000 / cpu;
  const label = `the seed's demo (stale-read.ts, ${(endedAt / 1000).toFixed(0)} virtual s) replayed, virtual s per CPU s (≥ 1e5)`;
  return `  ${pad(label, 58)}${num(rate, 0)}  ${verdict(rate >= 1e5)} (${(cpu * 1000).toFixed(2)} ms CPU a run)`;
}

/** The row, measured in a child process. */
export function demoSection(): string[] {
  return childLines(fileURLToPath(import.meta.url), []);
}

// Run as a child: `node --import tsx sim/bench/demo.ts` prints the row.
if (runAsChild(import.meta.url)) console.log(demoRow());
