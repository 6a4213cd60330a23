// The bench's workloads: long random runs of the replicated store with faults, drawn from a
// seeded stream so that every bench run simulates the same thing. The scaling table varies one
// dimension (clients, servers, length) and keeps the rate of operations the same.

import { Stream } from '../kernel/rng.ts';
import type { Scenario, Step } from '../scenario.ts';

export interface WorkloadShape {
  readonly clients: number;
  readonly servers: number;
}

/**
 * A random workload of the replicated store, with crashes, partitions, loss and duplication.
 * Operations arrive one every 30 ms on average whatever the number of clients (each client
 * waits clients × 10-50 ms between its own), so that only the dimension varied changes. Below
 * five clients each keeps the five-client pace: faster, a sequential client's queue would grow.
 */
export function benchWorkload(
  seed: number,
  operations: number,
  shape: WorkloadShape = { clients: 5, servers: 3 },
): Scenario {
  const rng = new Stream('bench-workload', seed);
  const clients = Array.from({ length: shape.clients }, (_, i) => `c${i + 1}`);
  const servers = Array.from({ length: shape.servers }, (_, i) => `s${i + 1}`);
  const followers = servers.slice(1);
  const keys = ['x', 'y', 'z'];
  const steps: Step[] = [];
  const n = Math.max(5, clients.length);
  // The clients' first operations come at the same density whatever their number: five in the
  // first 20 ms, 2,000 in the first 8 s. Drawn in the first 20 ms whatever the number, 2,000
  // clients' first operations came as one burst of 2,000 concurrent requests.
  const next = clients.map(() => rng.between(0, 4 * n));
  let t = 0;
  let last = 0;
  for (let i = 0; i < operations; i++) {
    const c = i % clients.length;
    const client = clients[c]!;
    t = next[c]!;
    next[c] = t + rng.between(10 * n, 50 * n);
    last = Math.max(last, t);
    const key = rng.pick(keys);
    const dice = rng.below(10);
    steps.push(
      dice < 4
        ? { at: t, client, put: [key, `v${i}`] }
        : dice < 9
          ? { at: t, client, get: key }
          : { at: t, client, delete: key },
    );
    if (i % 500 === 250 && followers.length > 0) {
      const node = rng.pick(followers);
      steps.push({ at: t, crash: node }, { at: t + 300, restart: node });
      steps.push(
        { at: t + 100, partition: [['s1', 'c1'], followers] },
        { at: t + 400, heal: true },
      );
      last = Math.max(last, t + 400);
    }
  }
  return {
    goal: 'bench workload',
    preset: 'fixed',
    servers,
    clients,
    network: { delayMinMs: 1, delayMaxMs: 20, dropPermille: 10, duplicatePermille: 10 },
    // A minute past the latest step (the last operation drawn is not always the latest in time).
    runUntilMs: last + 60_000,
    steps,
  };
}
