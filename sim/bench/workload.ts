// The bench's workload: a long random run of the replicated store with faults, drawn from a
// seeded stream so that every bench run simulates the same thing.

import { Stream } from '../kernel/rng.ts';
import type { Scenario, Step } from '../scenario.ts';

/** A random workload of the replicated store: 3 servers, 5 clients, faults on. */
export function benchWorkload(seed: number, operations: number): Scenario {
  const rng = new Stream('bench-workload', seed);
  const clients = ['c1', 'c2', 'c3', 'c4', 'c5'];
  const keys = ['x', 'y', 'z'];
  const steps: Step[] = [];
  // Each client issues an operation every 50-250 ms: a little slower than an operation takes, so sessions do not pile up.
  const next = new Map(clients.map((c) => [c, rng.between(0, 20)] as const));
  let t = 0;
  for (let i = 0; i < operations; i++) {
    const client = clients[i % clients.length]!;
    t = next.get(client)!;
    next.set(client, t + rng.between(50, 250));
    const key = rng.pick(keys);
    const dice = rng.below(10);
    steps.push(
      dice < 4
        ? { at: t, client, put: [key, `v${i}`] }
        : dice < 9
          ? { at: t, client, get: key }
          : { at: t, client, delete: key },
    );
    if (i % 500 === 250) {
      const node = rng.pick(['s2', 's3']);
      steps.push({ at: t, crash: node }, { at: t + 300, restart: node });
      steps.push(
        {
          at: t + 100,
          partition: [
            ['s1', 'c1'],
            ['s2', 's3'],
          ],
        },
        { at: t + 400, heal: true },
      );
    }
  }
  return {
    goal: 'bench workload',
    preset: 'fixed',
    clients,
    network: { delayMinMs: 1, delayMaxMs: 20, dropPermille: 10, duplicatePermille: 10 },
    runUntilMs: t + 60_000,
    steps,
  };
}
