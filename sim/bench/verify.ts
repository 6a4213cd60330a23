// Exhaustive verification's figures for `npm run bench` (DESIGN.md): distinct states per CPU
// second, and the largest configuration of `fixed` (servers × clients × operations per client,
// with 1 drop, 1 duplicate and 1 crash of a server) that verify proves within 60 s of CPU time.

import type { Scenario, Step } from '../scenario.ts';
import { type Progress, type SearchResult, search } from '../verify/search.ts';
import { setupOf } from '../verify/setup.ts';

const BUDGETS = {
  drops: 1,
  duplicates: 1,
  delays: 0,
  crashes: 1,
  clientCrashes: 0,
  downForGood: 0,
};
const LIMIT_CPU_MS = 60_000;

/** Configurations from small to large; the ladder stops at the first one not proved in time. */
const LADDER: readonly (readonly [servers: number, clients: number, opsPerClient: number])[] = [
  [2, 1, 1],
  [2, 1, 2],
  [3, 1, 2],
  [3, 1, 3],
  [3, 1, 4],
  [2, 2, 1],
  [3, 2, 1],
  [3, 2, 2],
];

/** Every client writes x at the leader, then reads it at the last server, and so on. */
export function benchConfiguration(
  servers: number,
  clients: number,
  opsPerClient: number,
): Scenario {
  const names = Array.from({ length: servers }, (_, i) => `s${i + 1}`);
  const last = names[names.length - 1]!;
  const steps: Step[] = [];
  for (let c = 1; c <= clients; c++) {
    for (let i = 0; i < opsPerClient; i++) {
      const client = `c${c}`;
      steps.push(
        i % 2 === 0
          ? { at: i, client, put: ['x', '1'], via: 's1' }
          : { at: i, client, get: 'x', via: last },
      );
    }
  }
  return {
    goal: `${servers} servers × ${clients} clients × ${opsPerClient} operations each`,
    preset: 'fixed',
    servers: names,
    clients,
    steps,
  };
}

function rate(p: Progress): number {
  return p.cpuMs > 0 ? (p.distinct * 1000) / p.cpuMs : 0;
}

export function verifyBenchmarks(): string[] {
  const lines: string[] = [];
  let largest: string | null = null;
  let best: SearchResult | null = null;
  for (const [servers, clients, ops] of LADDER) {
    const setup = setupOf(benchConfiguration(servers, clients, ops), { budgets: BUDGETS });
    const result = search(setup, { bounds: { maxCpuMs: LIMIT_CPU_MS } });
    const label = `${servers}×${clients}×${ops}`;
    // An unfinished search says which bound stopped it: the 60 s, or the states or memory bound.
    const kind = result.kind === 'unfinished' ? `${result.kind} (${result.bound})` : result.kind;
    lines.push(
      `    ${label.padEnd(7)} ${kind.padEnd(10)} ${String(result.distinct).padStart(9)} distinct states, depth ${result.depth}, ${(result.cpuMs / 1000).toFixed(1)} s CPU, ${Math.round(rate(result))} distinct states/s`,
    );
    if (result.kind !== 'verified') break;
    largest = label;
    best = result;
  }
  return [
    `  ${'verify, distinct states per CPU second (largest proved)'.padEnd(58)} ${String(Math.round(best === null ? 0 : rate(best))).padStart(9)}`,
    `  ${'verify, largest fixed configuration proved in 60 s CPU'.padEnd(58)} ${(largest ?? 'none').padStart(9)}  (servers×clients×ops, 1 drop, 1 duplicate, 1 server crash)`,
    ...lines,
  ];
}
