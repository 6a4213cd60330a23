// A random run as plain data: the workload and the fault schedule, both shrinkable by fast-check.
// `planToScenario` turns a plan into an ordinary scenario, the same thing a person writes, so that
// a counterexample can be saved as a file and replayed with `npm run sim`.

import type { NodeId } from '../../protocol/core.ts';
import type { Scenario, Step } from '../scenario.ts';
import type { StoreName } from '../stores/index.ts';

export interface PlannedOp {
  /** Time since the previous operation, ms. */
  readonly gapMs: number;
  readonly client: number;
  readonly kind: 'put' | 'get' | 'delete';
  readonly key: number;
  /** Which server to ask (an index); null: the client picks at random (the seeded stream). */
  readonly via: number | null;
}

export type FaultKind = 'crash' | 'partition' | 'cut' | 'hold' | 'clockStep';

export interface PlannedFault {
  readonly kind: FaultKind;
  /** When it starts, in thousandths of the workload's span (so it lands among the operations). */
  readonly atPermille: number;
  /** How long it lasts before it is undone (restart, heal, release); unused by clockStep. */
  readonly durationMs: number;
  /** Node indices (into servers then clients) the fault is about; bit masks for partitions. */
  readonly a: number;
  readonly b: number;
  /** clockStep: the jump, ms. */
  readonly byMs: number;
}

export interface PlannedNetwork {
  readonly delayMinMs: number;
  readonly delaySpreadMs: number;
  readonly dropPermille: number;
  readonly duplicatePermille: number;
  readonly spikePermille: number;
  readonly spikeMs: number;
}

export interface Plan {
  readonly seed: number;
  readonly clients: number;
  readonly keys: number;
  readonly network: PlannedNetwork;
  /** Which fault kinds this run may use (swarm testing: each run draws its own mix). */
  readonly faultKinds: readonly FaultKind[];
  readonly ops: readonly PlannedOp[];
  readonly faults: readonly PlannedFault[];
}

export interface PlanSettings {
  readonly store: StoreName;
  readonly preset: string;
  readonly knobs: Readonly<Record<string, string | number>>;
}

const KEYS = ['x', 'y', 'z', 'w', 'u', 'v', 'p', 'q'];

function serversOf(store: StoreName): NodeId[] {
  return store === 'lock' ? ['s1'] : ['s1', 's2', 's3'];
}

/** Splits the nodes by a bit mask into two non-empty groups, or null when one side is empty. */
function split(nodes: readonly NodeId[], mask: number): [NodeId[], NodeId[]] | null {
  const a = nodes.filter((_, i) => (mask >> i) & 1);
  const b = nodes.filter((_, i) => !((mask >> i) & 1));
  return a.length > 0 && b.length > 0 ? [a, b] : null;
}

function faultSteps(
  f: PlannedFault,
  spanMs: number,
  servers: readonly NodeId[],
  nodes: readonly NodeId[],
  held: Set<string>,
): Step[] {
  const at = Math.floor((f.atPermille * spanMs) / 1000);
  const end = at + f.durationMs;
  const node = (i: number) => nodes[i % nodes.length]!;
  switch (f.kind) {
    case 'crash':
      return [
        { at, crash: node(f.a) },
        { at: end, restart: node(f.a) },
      ];
    case 'partition': {
      const groups = split(nodes, f.a);
      return groups === null
        ? []
        : [
            { at, partition: groups },
            { at: end, heal: true },
          ];
    }
    case 'cut': {
      const groups = split(nodes, f.a);
      return groups === null
        ? []
        : [
            { at, cut: { from: groups[0], to: groups[1] } },
            { at: end, heal: true },
          ];
    }
    case 'hold': {
      const from = node(f.a);
      const to = node(f.b);
      if (from === to) return [];
      held.add(`${from} ${to}`);
      return [
        { at, hold: [from, to] },
        { at: end, release: [from, to] },
      ];
    }
    case 'clockStep':
      return [{ at, clockStep: servers[f.a % servers.length]!, byMs: f.byMs }];
  }
}

/** The scenario a plan stands for; at the end every fault is undone so that the run can settle. */
export function planToScenario(plan: Plan, settings: PlanSettings): Scenario {
  const servers = serversOf(settings.store);
  const clients = Array.from({ length: plan.clients }, (_, i) => `c${i + 1}`);
  const nodes = [...servers, ...clients];
  const steps: Step[] = [];
  let t = 0;
  plan.ops.forEach((op, i) => {
    t += op.gapMs;
    const client = clients[op.client % clients.length]!;
    const key = KEYS[op.key % plan.keys]!;
    const via = op.via === null ? {} : { via: servers[op.via % servers.length]! };
    if (op.kind === 'put') steps.push({ at: t, client, put: [key, `v${i + 1}`], ...via });
    else if (op.kind === 'get') steps.push({ at: t, client, get: key, ...via });
    else steps.push({ at: t, client, delete: key, ...via });
  });
  const held = new Set<string>();
  for (const f of plan.faults)
    if (plan.faultKinds.includes(f.kind)) steps.push(...faultSteps(f, t, servers, nodes, held));
  const last = Math.max(t, ...steps.map((s) => s.at));
  const end = last + 1;
  steps.push({ at: end, heal: true, note: 'the end: every fault is undone' });
  for (const link of [...held].sort()) {
    const [from, to] = link.split(' ') as [NodeId, NodeId];
    steps.push({ at: end, release: [from, to] });
  }
  for (const n of nodes)
    if (steps.some((s) => 'crash' in s && s.crash === n)) steps.push({ at: end, restart: n });
  steps.sort((a, b) => a.at - b.at);
  const n = plan.network;
  return {
    goal: 'a random workload and fault schedule',
    store: settings.store,
    servers,
    clients,
    preset: settings.preset as 'seed' | 'fixed',
    knobs: settings.knobs as NonNullable<Scenario['knobs']>,
    network: {
      delayMinMs: n.delayMinMs,
      delayMaxMs: n.delayMinMs + n.delaySpreadMs,
      dropPermille: n.dropPermille,
      duplicatePermille: n.duplicatePermille,
      spikePermille: n.spikePermille,
      spikeMs: n.spikeMs,
    },
    seed: plan.seed,
    // Generous: virtual time is free, and a sequential client on a lossy network is slow to drain.
    runUntilMs: end + 600_000,
    steps,
  };
}

/** How big a plan is, for reports: operations and fault steps that take part. */
export function planSize(plan: Plan): { ops: number; faults: number } {
  return {
    ops: plan.ops.length,
    faults: plan.faults.filter((f) => plan.faultKinds.includes(f.kind)).length,
  };
}
