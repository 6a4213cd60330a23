// A random run as plain data: the workload and the fault schedule, both shrinkable by fast-check.
// `planToScenario` turns a plan into an ordinary scenario, the same thing a person writes, so that
// a counterexample can be saved as a file and replayed with `npm run sim`.

import type { NodeId } from '../../protocol/core.ts';
import type { Operation } from '../kernel/history.ts';
import type { AnyScenario, Scenario, Step } from '../scenario.ts';
import type { StoreName } from '../stores/index.ts';

export interface PlannedOp {
  /** Time since the previous operation, ms, before the run's pace divides it. */
  readonly gapMs: number;
  readonly client: number;
  /** An index into the run's operation kinds (swarm: each run draws which kinds it uses). */
  readonly kind: number;
  readonly key: number;
  /**
   * 0: its own client and key; 1: the previous operation's key (a read after a write, a write
   * after a read); 2: the previous operation's client and key at another server (ask again
   * elsewhere: do the replicas agree?).
   */
  readonly follow: number;
  /**
   * Which server to ask (an index). Always named, never the client's seeded pick: a case whose
   * operations say where they go stays the same run when a step is taken out of it.
   */
  readonly via: number;
}

export type OpKind = Operation['op'];

export type FaultKind = 'crash' | 'partition' | 'cut' | 'hold' | 'clockStep';

export interface PlannedFault {
  /** An index into the kinds this run uses (swarm: a run with one kind has only that kind). */
  readonly kind: number;
  /** When it starts, in thousandths of the workload's span (so it lands among the operations). */
  readonly atPermille: number;
  /** How long it lasts before it is undone (restart, heal, release); unused by clockStep. */
  readonly durationMs: number;
  /** Node indices (into servers then clients) the fault is about; bit masks for partitions. */
  readonly a: number;
  /**
   * crash: a server rather than a client; hold: a link between servers (a lagging follower)
   * rather than between a client and a server.
   */
  readonly onServers: boolean;
  readonly b: number;
  /** clockStep: the jump, ms. */
  readonly byMs: number;
}

export type MessageFaultKind = 'drop' | 'duplicate' | 'delay';

/** A fault aimed at one message: the next one sent on a link after its time. */
export interface PlannedMessageFault {
  /** An index into the message fault kinds this run uses. */
  readonly kind: number;
  /**
   * Which operation it lands at (an index into the workload): it takes effect when that operation
   * is issued, so it hits a message that operation causes, not one at a random time.
   */
  readonly op: number;
  /** Between the leader and a follower, or between the operation's client and its server. */
  readonly betweenServers: boolean;
  /** An index into those links (both ways). */
  readonly link: number;
  /** delay: how much later, ms. */
  readonly byMs: number;
}

export interface PlannedNetwork {
  readonly delayMinMs: number;
  readonly delaySpreadMs: number;
  readonly dropPermille: number;
  readonly duplicatePermille: number;
}

export interface Plan {
  readonly seed: number;
  readonly clients: number;
  readonly keys: number;
  /** Divides every gap: 1 spreads the operations out, larger packs them into bursts. */
  readonly pace: number;
  /** Each client's own mix of operation kinds (swarm: a reader, a writer, or both). */
  readonly mixes: readonly (readonly OpKind[])[];
  readonly network: PlannedNetwork;
  /** Which fault kinds this run uses (swarm testing: each run draws its own mix). */
  readonly faultKinds: readonly FaultKind[];
  readonly messageFaultKinds: readonly MessageFaultKind[];
  readonly ops: readonly PlannedOp[];
  readonly faults: readonly PlannedFault[];
  readonly messageFaults: readonly PlannedMessageFault[];
}

export interface PlanSettings {
  readonly store: StoreName;
  readonly preset: string;
  readonly knobs: Readonly<Record<string, string | number>>;
}

const NAMED_KEYS = ['x', 'y', 'z', 'w', 'u', 'v', 'p', 'q'];

/** x, y, … for the first eight keys, then k9, k10, …: many keys leave some no server has seen. */
const keyName = (i: number) => NAMED_KEYS[i] ?? `k${i + 1}`;

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
  kind: FaultKind,
  f: PlannedFault,
  at: number,
  servers: readonly NodeId[],
  nodes: readonly NodeId[],
  links: Links,
  held: Set<string>,
): Step[] {
  const end = at + f.durationMs;
  switch (kind) {
    case 'crash': {
      const clients = nodes.slice(servers.length);
      const pool = f.onServers || clients.length === 0 ? servers : clients;
      const target = pool[f.a % pool.length]!;
      return [
        { at, crash: target },
        { at: end, restart: target },
      ];
    }
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
      const [from, to] = linkOf(links, f.onServers, f.a);
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

/**
 * The links a fault on one link can aim at: those that carry messages, between the leader and
 * each follower both ways, or between a client and a server both ways.
 */
function linksOf(servers: readonly NodeId[], clients: readonly NodeId[]) {
  const [leader, ...followers] = servers;
  const betweenServers: [NodeId, NodeId][] = [];
  for (const f of followers) betweenServers.push([leader!, f]);
  for (const f of followers) betweenServers.push([f, leader!]);
  const withClients: [NodeId, NodeId][] = [];
  for (const c of clients)
    for (const s of servers) {
      withClients.push([c, s]);
      withClients.push([s, c]);
    }
  return { betweenServers, withClients };
}

type Links = ReturnType<typeof linksOf>;

function linkOf(links: Links, betweenServers: boolean, i: number): [NodeId, NodeId] {
  const pool =
    betweenServers && links.betweenServers.length > 0 ? links.betweenServers : links.withClients;
  return pool[i % pool.length]!;
}

function messageFaultStep(
  kind: MessageFaultKind,
  f: PlannedMessageFault,
  op: { readonly at: number; readonly client: NodeId; readonly via: NodeId },
  links: Links,
): Step {
  const { at, client, via } = op;
  const [from, to] =
    f.betweenServers && links.betweenServers.length > 0
      ? linkOf(links, true, f.link)
      : f.link % 2 === 0
        ? [client, via]
        : [via, client];
  if (kind === 'drop') return { at, drop: '*', from, to };
  if (kind === 'duplicate') return { at, duplicate: '*', from, to };
  return { at, delay: '*', from, to, byMs: f.byMs };
}

/** The scenario a plan stands for; at the end every fault is undone so that the run can settle. */
export function planToScenario(plan: Plan, settings: PlanSettings): Scenario {
  const servers = serversOf(settings.store);
  const clients = Array.from({ length: plan.clients }, (_, i) => `c${i + 1}`);
  const nodes = [...servers, ...clients];
  const steps: Step[] = [];
  let t = 0;
  let key = keyName(0);
  let client = clients[0]!;
  let server = 0;
  const issued: { at: number; client: NodeId; via: NodeId }[] = [];
  plan.ops.forEach((op, i) => {
    t += Math.floor(op.gapMs / plan.pace);
    if (op.follow < 2 || i === 0) client = clients[op.client % clients.length]!;
    if (op.follow < 1 || i === 0) key = keyName(op.key % plan.keys);
    server =
      op.follow < 2 || i === 0 || servers.length === 1
        ? op.via % servers.length
        : (server + 1 + (op.via % (servers.length - 1))) % servers.length;
    const via = servers[server]!;
    issued.push({ at: t, client, via });
    const mix = plan.mixes[clients.indexOf(client) % plan.mixes.length] ?? [];
    const kind = mix[op.kind % mix.length] ?? 'put';
    if (kind === 'put') steps.push({ at: t, client, put: [key, `v${i + 1}`], via });
    else if (kind === 'get') steps.push({ at: t, client, get: key, via });
    else steps.push({ at: t, client, delete: key, via });
  });
  const atOf = (permille: number) => Math.floor((permille * t) / 1000);
  const held = new Set<string>();
  const links = linksOf(servers, clients);
  for (const f of activeFaults(plan)) {
    const kind = plan.faultKinds[f.kind % plan.faultKinds.length]!;
    steps.push(...faultSteps(kind, f, atOf(f.atPermille), servers, nodes, links, held));
  }
  for (const f of activeMessageFaults(plan)) {
    const kind = plan.messageFaultKinds[f.kind % plan.messageFaultKinds.length]!;
    const op = issued[f.op % issued.length];
    if (op !== undefined) steps.push(messageFaultStep(kind, f, op, links));
  }
  let last = t;
  for (const s of steps) last = Math.max(last, s.at);
  const end = last + 1;
  // Undo only what is still in force, so that a small case has no step that does nothing.
  if (steps.some((s) => 'partition' in s || 'cut' in s))
    steps.push({ at: end, heal: true, note: 'the end: every fault is undone' });
  for (const link of [...held].sort()) {
    const [from, to] = link.split(' ') as [NodeId, NodeId];
    steps.push({ at: end, release: [from, to] });
  }
  for (const n of nodes)
    if (steps.some((s) => 'crash' in s && s.crash === n)) steps.push({ at: end, restart: n });
  // A stable sort: steps at the same time keep the order above (operations, faults, the end).
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
      ...(n.dropPermille > 0 ? { dropPermille: n.dropPermille } : {}),
      ...(n.duplicatePermille > 0 ? { duplicatePermille: n.duplicatePermille } : {}),
    },
    seed: plan.seed,
    // Generous: virtual time is free, and a sequential client on a lossy network is slow to drain.
    runUntilMs: end + 600_000,
    steps,
  };
}

/** How big a scenario is, for reports: operations, the other steps (faults), all steps. */
export function scenarioSize(scenario: AnyScenario): {
  ops: number;
  faults: number;
  steps: number;
} {
  const ops = scenario.steps.filter((s) => 'client' in s).length;
  return { ops, faults: scenario.steps.length - ops, steps: scenario.steps.length };
}

/** The planned faults that take part: none when the run uses no kind of them. */
const activeFaults = (plan: Plan) => (plan.faultKinds.length === 0 ? [] : plan.faults);
const activeMessageFaults = (plan: Plan) =>
  plan.messageFaultKinds.length === 0 ? [] : plan.messageFaults;
