// The shell is the only difference: the simulation kernel and the live host interpret the same
// machines' effects the same way. Each run below goes through the kernel with every node's inputs
// logged; the same inputs (with the same clock readings) then drive a live MachineHost, and what it
// sends, records and keeps armed must match what the kernel did, node by node. A scan also keeps
// real sockets inside sim/live/.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Input, Machine, NodeId, Observation, StepContext } from '../protocol/core.ts';
import { resolveKnobs } from '../protocol/knobs.ts';
import { DEFAULT_NETWORK } from '../sim/kernel/network.ts';
import { Stream } from '../sim/kernel/rng.ts';
import { type NodeSpec, Simulation } from '../sim/kernel/simulation.ts';
import type { Fault, TraceEvent, WireMessage } from '../sim/kernel/trace.ts';
import { MachineHost, type TimerService } from '../sim/live/host.ts';
import { STORES, type StoreName } from '../sim/stores/index.ts';

type Logged =
  | {
      readonly kind: 'step';
      readonly input: Input<WireMessage, unknown, unknown>;
      readonly ctx: StepContext;
    }
  | { readonly kind: 'recover' };

// biome-ignore lint/suspicious/noExplicitAny: the machines' own state and timer types vary.
type AnyMachine = Machine<any, WireMessage, any, any>;

/** The machine with every input it is given (and every recovery) written to `log`. */
function logged(machine: AnyMachine, log: Logged[]): AnyMachine {
  return {
    init: () => machine.init(),
    recover: (state) => {
      log.push({ kind: 'recover' });
      return machine.recover(state);
    },
    step: (state, input, ctx) => {
      // Copied: the kernel may hand every step the same context object, refilled.
      log.push({ kind: 'step', input, ctx: { ...ctx } });
      return machine.step(state, input, ctx);
    },
  };
}

interface KernelRun {
  readonly specs: readonly NodeSpec<WireMessage>[];
  readonly logs: ReadonlyMap<NodeId, Logged[]>;
  readonly trace: readonly TraceEvent[];
  readonly up: ReadonlyMap<NodeId, boolean>;
}

/** A random workload under loss, duplication, a crash and a held link, through the kernel. */
function kernelRun(
  store: StoreName,
  preset: string,
  knobs: Record<string, string | number>,
  seed: number,
): KernelRun {
  const adapter = STORES[store];
  const resolved = resolveKnobs(adapter.knobSpecs, adapter.presets, preset, knobs);
  if (!resolved.ok) throw new Error(resolved.error);
  const servers = store === 'lock' ? ['s1'] : ['s1', 's2', 's3'];
  const clients = ['c1', 'c2', 'c3'];
  const plain = adapter.nodes(
    { servers, leader: 's1', clients, clockSkewMs: { s1: 1_000 } },
    resolved.value,
  );
  const logs = new Map<NodeId, Logged[]>();
  const specs = plain.map((spec) => {
    const log: Logged[] = [];
    logs.set(spec.id, log);
    return { ...spec, machine: logged(spec.machine, log) };
  });
  const network = { ...DEFAULT_NETWORK, delayMaxMs: 40, dropPermille: 100, duplicatePermille: 100 };
  const sim = new Simulation<WireMessage>({
    seed,
    nodes: specs,
    network,
    bounds: { maxTimeMs: 120_000 },
  });
  const rng = new Stream('contract', seed);
  for (let i = 1; i <= 40; i++) {
    const key = rng.pick(['x', 'y']);
    const roll = rng.below(3);
    const op =
      roll === 0
        ? { kind: 'put', key, value: String(i) }
        : roll === 1
          ? { kind: 'get', key }
          : { kind: 'delete', key };
    sim.schedule(i * 25, {
      kind: 'invoke',
      opId: i,
      client: rng.pick(clients),
      op,
      via: rng.pick(servers),
    });
  }
  const victim = servers[servers.length - 1]!;
  const faults: [number, Fault][] = [
    [300, { kind: 'crash', node: victim }],
    [500, { kind: 'restart', node: victim }],
    [600, { kind: 'crash', node: 'c2' }],
    [700, { kind: 'restart', node: 'c2' }],
    ...clients.flatMap((c): [number, Fault][] => [
      [400, { kind: 'hold', from: c, to: 's1' }],
      [800, { kind: 'release', from: c, to: 's1' }],
    ]),
  ];
  for (const [at, fault] of faults.sort((a, b) => a[0] - b[0]))
    sim.schedule(at, { kind: 'fault', fault });
  const result = sim.run();
  expect(result.ending).toBe('quiescent');
  const up = new Map([...result.finalStates].map(([id, s]) => [id, s.up]));
  return { specs: plain, logs, trace: result.trace, up };
}

/** Timers that fire only when the test says so, found by the machine's record of them. */
class ManualTimers implements TimerService {
  readonly armed: { fire: () => void; timer: unknown; live: boolean }[] = [];

  set(_afterMs: number, fire: () => void, timer: unknown): unknown {
    const handle = { fire, timer, live: true };
    this.armed.push(handle);
    return handle;
  }

  clear(handle: unknown): void {
    (handle as { live: boolean }).live = false;
  }

  /** Fires the armed timer equal to `timer`; false when the host holds no such timer. */
  fire(timer: unknown): boolean {
    const handle = this.armed.find(
      (h) => h.live && JSON.stringify(h.timer) === JSON.stringify(timer),
    );
    if (handle === undefined) return false;
    handle.live = false;
    handle.fire();
    return true;
  }
}

interface HostEffects {
  readonly sends: { to: NodeId; message: WireMessage }[];
  readonly records: Observation[];
  readonly missingTimers: unknown[];
  readonly armedAtEnd: number;
}

/** Drives a live host with one node's logged inputs, each at the clock reading it had. */
function replayOnHost(spec: NodeSpec<WireMessage>, log: readonly Logged[]): HostEffects {
  let ctx: StepContext = { nowMs: 0, clockMs: 0 };
  const timers = new ManualTimers();
  const out: HostEffects = { sends: [], records: [], missingTimers: [], armedAtEnd: 0 };
  const host = new MachineHost(
    spec.id,
    spec.machine,
    { nowMs: () => ctx.nowMs, clockMs: () => ctx.clockMs },
    timers,
    {
      send: (to, message) => out.sends.push({ to, message }),
      record: (observation) => out.records.push(observation),
    },
  );
  for (let i = 0; i < log.length; i++) {
    const entry = log[i]!;
    if (entry.kind === 'recover') {
      // The kernel recovers, then steps the restart: the host does both in restart().
      const next = log[++i]!;
      if (next.kind !== 'step' || next.input.type !== 'restart')
        throw new Error('recover without restart');
      ctx = next.ctx;
      host.crash();
      host.restart();
      continue;
    }
    ctx = entry.ctx;
    const input = entry.input;
    switch (input.type) {
      case 'receive':
        host.receive(input.from, input.message);
        break;
      case 'invoke':
        host.invoke(input.opId, input.op, input.via);
        break;
      case 'timer':
        if (!timers.fire(input.timer)) out.missingTimers.push(input.timer);
        break;
      case 'restart':
        throw new Error('restart without recover');
    }
  }
  return { ...out, armedAtEnd: host.armedTimers };
}

/** What the kernel did for one node: its sends (each message once) and its records, in order. */
function kernelEffects(trace: readonly TraceEvent[], node: NodeId) {
  const seen = new Set<number>();
  const sends: { to: NodeId; message: WireMessage }[] = [];
  const records: Observation[] = [];
  for (const e of trace) {
    if (e.kind === 'send' && e.from === node && !seen.has(e.id)) {
      // A held message is sent again on release under the same id: it left its node once.
      seen.add(e.id);
      sends.push({ to: e.to, message: e.message });
    }
    if (e.kind === 'record' && e.node === node) records.push(e.observation);
  }
  return { sends, records };
}

const RUNS: [string, StoreName, string, Record<string, string | number>][] = [
  ['replicated, fixed', 'replicated', 'fixed', {}],
  [
    'replicated, seed with a short replication delay',
    'replicated',
    'seed',
    { replicationDelay: 50, requestTimeout: 200 },
  ],
  [
    'replicated, fixed with pipelined clients',
    'replicated',
    'fixed',
    { clientSession: 'pipelined', requestIds: 'none' },
  ],
  ['lock, fixed', 'lock', 'fixed', {}],
  ['lock, seed with timeouts', 'lock', 'seed', { requestTimeout: 150, lockLease: 300 }],
];

describe.each(RUNS)('the kernel and the live host agree: %s', (_name, store, preset, knobs) => {
  const run = kernelRun(store, preset, knobs, 7);

  it.each(run.specs.map((s) => [s.id, s] as const))(
    '%s sends, records and arms the same',
    (id, spec) => {
      const log = run.logs.get(id)!;
      expect(log.length).toBeGreaterThan(0);
      const host = replayOnHost(spec, log);
      const kernel = kernelEffects(run.trace, id);
      expect(host.missingTimers).toEqual([]);
      expect(host.sends).toEqual(kernel.sends);
      expect(host.records).toEqual(kernel.records);
      // The kernel ran until nothing was left: a node still up has no timer armed in either shell.
      if (run.up.get(id)) expect(host.armedAtEnd).toBe(0);
    },
  );

  it('exercised timers, sends and records', () => {
    const kinds = new Set(run.trace.map((e) => e.kind));
    for (const kind of ['timer', 'send', 'record', 'duplicate', 'drop', 'hold'])
      expect(kinds).toContain(kind);
  });
});

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('real sockets live in sim/live/ only', () => {
  const root = join(import.meta.dirname, '..');
  it.each(['protocol', 'sim'])('%s/ outside sim/live/ imports no socket module', (dir) => {
    const offenders = sources(join(root, dir))
      .filter((path) => !path.includes(`${join('sim', 'live')}`))
      .filter((path) =>
        /from 'node:(net|dgram|http|https|http2|tls)'/.test(readFileSync(path, 'utf8')),
      );
    expect(offenders).toEqual([]);
  });
});
