// The simulation kernel with tiny test machines: the scheduler's order, and each network fault
// and node fault doing what it says, under fixed seeds.

import { describe, expect, it } from 'vitest';
import type { Machine } from '../protocol/core.ts';
import { EventHeap } from '../sim/kernel/heap.ts';
import { DEFAULT_NETWORK, type NetworkConfig, resolveNetwork } from '../sim/kernel/network.ts';
import { Stream } from '../sim/kernel/rng.ts';
import { type NodeSpec, Simulation } from '../sim/kernel/simulation.ts';
import type { TraceEvent } from '../sim/kernel/trace.ts';

interface Ping {
  readonly type: 'PING' | 'PONG';
  readonly n: number;
}

/** A sender that sends `count` PINGs to `to` on invoke; a receiver that counts and answers PONG. */
const sender = (to: string): Machine<number, Ping, { kind: 'tick' }, number> => ({
  init: () => 0,
  recover: () => 0,
  step: (state, input) => {
    if (input.type === 'invoke') {
      return {
        state,
        effects: Array.from(
          { length: input.op },
          (_, i) => ({ type: 'send', to, message: { type: 'PING', n: i + 1 } }) as const,
        ),
      };
    }
    if (input.type === 'receive') return { state: state + 1, effects: [] };
    return { state, effects: [] };
  },
});

/** Counts PINGs; durable count survives a crash only when `durable`. Arms a timer on each PING. */
const receiver = (durable: boolean): Machine<number, Ping, { kind: 'tick' }, never> => ({
  init: () => 0,
  recover: (state) => (durable ? state : 0),
  step: (state, input, ctx) => {
    if (input.type === 'receive') {
      return {
        state: state + 1,
        effects: [
          { type: 'send', to: input.from, message: { type: 'PONG', n: ctx.clockMs } },
          { type: 'setTimer', key: 'tick', afterMs: 100, timer: { kind: 'tick' } },
        ],
      };
    }
    return { state, effects: [] };
  },
});

function world(network: Partial<NetworkConfig> = {}, seed = 7, durable = false) {
  const nodes: NodeSpec<Ping>[] = [
    { id: 'a', role: 'client', machine: sender('b') },
    { id: 'b', role: 'server', machine: receiver(durable) },
  ];
  return new Simulation<Ping>({ seed, nodes, network: { ...DEFAULT_NETWORK, ...network } });
}

const pings = (count: number) =>
  ({ kind: 'invoke', opId: 0, client: 'a', op: count, via: 'b' }) as const;
const count = (trace: readonly TraceEvent[], kind: TraceEvent['kind'], type?: string) =>
  trace.filter(
    (e) => e.kind === kind && (type === undefined || ('message' in e && e.message.type === type)),
  ).length;

describe('the scheduler', () => {
  it('orders by time, then by the order events were scheduled', () => {
    const heap = new EventHeap<string>();
    heap.push(5, 'late');
    heap.push(1, 'first at 1');
    heap.push(1, 'second at 1');
    heap.push(0, 'earliest');
    heap.push(1, 'third at 1');
    const out: string[] = [];
    for (let e = heap.pop(); e !== undefined; e = heap.pop()) out.push(e);
    expect(out).toEqual(['earliest', 'first at 1', 'second at 1', 'third at 1', 'late']);
  });

  it('pops a large random set in (time, seq) order', () => {
    const heap = new EventHeap<number>();
    const rng = new Stream('heap', 1);
    for (let i = 0; i < 5000; i++) heap.push(rng.below(100), i);
    let last = { time: -1, item: -1 };
    for (let time = heap.peekTime(); time !== undefined; time = heap.peekTime()) {
      const e = { time, item: heap.pop()! };
      const inOrder = e.time > last.time || (e.time === last.time && e.item > last.item);
      expect(inOrder).toBe(true);
      last = { time: e.time, item: e.item };
    }
  });

  it('after dropping some items in place, pops the rest as it would have', () => {
    const heap = new EventHeap<number>();
    const rng = new Stream('heap', 2);
    const times = new Map<number, number>();
    for (let i = 0; i < 3000; i++) {
      const t = rng.below(50);
      times.set(i, t);
      heap.push(t, i);
      if (i % 500 === 499) heap.retain((item) => item % 3 !== 0);
    }
    heap.pop();
    heap.retain((item) => item % 5 !== 0);
    const expected = [...times]
      .filter(([i]) => i % 3 !== 0)
      .sort(([a, ta], [b, tb]) => ta - tb || a - b)
      .map(([i]) => i)
      .slice(1)
      .filter((i) => i % 5 !== 0);
    const out: number[] = [];
    for (let e = heap.pop(); e !== undefined; e = heap.pop()) out.push(e);
    expect(out).toEqual(expected);
    expect(heap.size).toBe(0);
  });
});

describe('seeded streams', () => {
  it('are reproducible and independent by name', () => {
    const draw = (name: string, seed: number) => {
      const s = new Stream(name, seed);
      return Array.from({ length: 8 }, () => s.below(1000));
    };
    expect(draw('network', 1)).toEqual(draw('network', 1));
    expect(draw('network', 1)).not.toEqual(draw('network', 2));
    expect(draw('network', 1)).not.toEqual(draw('workload', 1));
  });
});

describe('the network', () => {
  it('delivers with delays inside the configured range', () => {
    const sim = world({ delayMinMs: 20, delayMaxMs: 30 });
    sim.schedule(0, pings(50));
    const delivered = sim
      .run()
      .trace.filter((e) => e.kind === 'deliver' && e.message.type === 'PING');
    expect(delivered).toHaveLength(50);
    for (const e of delivered) expect(e.t >= 20 && e.t <= 30).toBe(true);
  });

  it('reorders messages on a link unless fifo is set', () => {
    const order = (fifo: boolean) => {
      const sim = world({ delayMinMs: 1, delayMaxMs: 50, fifo });
      sim.schedule(0, pings(30));
      return sim
        .run()
        .trace.flatMap((e) =>
          e.kind === 'deliver' && e.message.type === 'PING' ? [(e.message as Ping).n] : [],
        );
    };
    const sorted = Array.from({ length: 30 }, (_, i) => i + 1);
    expect(order(false)).not.toEqual(sorted);
    expect(order(true)).toEqual(sorted);
  });

  it('drops everything at 1000 per mille and nothing at 0', () => {
    for (const [dropPermille, expected] of [
      [1000, 0],
      [0, 20],
    ] as const) {
      const sim = world({ dropPermille });
      sim.schedule(0, pings(20));
      const trace = sim.run().trace;
      expect(count(trace, 'deliver', 'PING')).toBe(expected);
      expect(count(trace, 'drop', 'PING')).toBe(20 - expected);
    }
  });

  it('drops about the configured share', () => {
    const sim = world({ dropPermille: 300 });
    sim.schedule(0, pings(2000));
    const dropped = count(sim.run().trace, 'drop', 'PING');
    expect(dropped).toBeGreaterThan(500);
    expect(dropped).toBeLessThan(700);
  });

  it('duplicates every message at 1000 per mille', () => {
    const sim = world({ duplicatePermille: 1000 });
    sim.schedule(0, pings(10));
    const trace = sim.run().trace;
    expect(count(trace, 'duplicate', 'PING')).toBe(10);
    expect(count(trace, 'deliver', 'PING')).toBe(20);
  });

  it('a symmetric partition cuts both directions until healed', () => {
    const sim = world({ delayMinMs: 5, delayMaxMs: 5 });
    sim.schedule(0, { kind: 'fault', fault: { kind: 'partition', groups: [['a'], ['b']] } });
    sim.schedule(1, pings(3));
    sim.schedule(10, { kind: 'fault', fault: { kind: 'heal' } });
    sim.schedule(11, pings(2));
    const trace = sim.run().trace;
    expect(count(trace, 'drop', 'PING')).toBe(3);
    expect(count(trace, 'deliver', 'PING')).toBe(2);
    expect(count(trace, 'deliver', 'PONG')).toBe(2);
  });

  it('a one-way cut loses one direction only', () => {
    const sim = world({ delayMinMs: 5, delayMaxMs: 5 });
    sim.schedule(0, { kind: 'fault', fault: { kind: 'cut', from: ['b'], to: ['a'] } });
    sim.schedule(1, pings(4));
    const trace = sim.run().trace;
    expect(count(trace, 'deliver', 'PING')).toBe(4);
    expect(count(trace, 'drop', 'PONG')).toBe(4);
  });

  it('drops a message in flight when a partition starts before it arrives', () => {
    const sim = world({ delayMinMs: 10, delayMaxMs: 10 });
    sim.schedule(0, pings(1));
    sim.schedule(5, { kind: 'fault', fault: { kind: 'partition', groups: [['a'], ['b']] } });
    const drop = sim.run().trace.find((e) => e.kind === 'drop');
    expect(drop).toMatchObject({ t: 10, reason: 'partition' });
  });

  it('holds a link until it is released', () => {
    const sim = world({ delayMinMs: 5, delayMaxMs: 5 });
    sim.schedule(0, { kind: 'fault', fault: { kind: 'hold', from: 'a', to: 'b' } });
    sim.schedule(1, pings(2));
    sim.schedule(1000, { kind: 'fault', fault: { kind: 'release', from: 'a', to: 'b' } });
    const delivered = sim
      .run()
      .trace.filter((e) => e.kind === 'deliver' && e.message.type === 'PING');
    expect(delivered.map((e) => e.t)).toEqual([1005, 1005]);
  });

  it('a planned drop loses exactly the next matching message on its link', () => {
    const sim = world({ delayMinMs: 5, delayMaxMs: 5 });
    sim.schedule(0, {
      kind: 'fault',
      fault: { kind: 'drop', message: 'PONG', from: 'b', to: 'a' },
    });
    sim.schedule(1, pings(3));
    const { trace } = sim.run();
    expect(count(trace, 'deliver', 'PING')).toBe(3);
    expect(count(trace, 'deliver', 'PONG')).toBe(2);
    const drops = trace.filter((e) => e.kind === 'drop');
    expect(drops).toMatchObject([{ reason: 'planned', from: 'b', to: 'a', message: { n: 6 } }]);
  });

  it('a planned fault waits for a message of its type, and * matches any', () => {
    const sim = world({ delayMinMs: 5, delayMaxMs: 5 });
    // Nothing of type PONG goes a -> b: the first fault never fires; the second takes the first PING.
    sim.schedule(0, {
      kind: 'fault',
      fault: { kind: 'drop', message: 'PONG', from: 'a', to: 'b' },
    });
    sim.schedule(0, { kind: 'fault', fault: { kind: 'drop', message: '*', from: 'a', to: 'b' } });
    sim.schedule(1, pings(2));
    const { trace } = sim.run();
    expect(trace.filter((e) => e.kind === 'drop')).toMatchObject([{ message: { n: 1 } }]);
    expect(count(trace, 'deliver', 'PING')).toBe(1);
  });

  it('a planned duplicate delivers the message twice; a planned delay makes it late', () => {
    const sim = world({ delayMinMs: 5, delayMaxMs: 5 });
    sim.schedule(0, {
      kind: 'fault',
      fault: { kind: 'duplicate', message: 'PING', from: 'a', to: 'b' },
    });
    sim.schedule(0, {
      kind: 'fault',
      fault: { kind: 'delay', message: 'PONG', from: 'b', to: 'a', byMs: 300 },
    });
    sim.schedule(1, pings(1));
    const { trace } = sim.run();
    expect(count(trace, 'deliver', 'PING')).toBe(2);
    const pongs = trace.filter((e) => e.kind === 'deliver' && e.message.type === 'PONG');
    // Only the first PONG is aimed at; the answer to the copy comes on time.
    expect(pongs.map((e) => e.t)).toEqual([11, 311]);
  });

  it('a planned duplicate may make the message and its copy late, each by its own amount', () => {
    const sim = world({ delayMinMs: 5, delayMaxMs: 5 });
    sim.schedule(0, {
      kind: 'fault',
      fault: { kind: 'duplicate', message: 'PING', from: 'a', to: 'b', byMs: 100, copyByMs: 40 },
    });
    sim.schedule(1, pings(1));
    const { trace } = sim.run();
    const pings1 = trace.filter((e) => e.kind === 'deliver' && e.message.type === 'PING');
    expect(pings1.map((e) => e.t)).toEqual([46, 106]);
  });

  it('rejects bad settings with a sentence', () => {
    expect(resolveNetwork({ dropPermille: 1001 })).toMatchObject({
      ok: false,
      error: expect.stringContaining('dropPermille'),
    });
    expect(resolveNetwork({ delayMinMs: 9, delayMaxMs: 3 })).toMatchObject({ ok: false });
    expect(resolveNetwork({ jitter: 3 })).toMatchObject({
      ok: false,
      error: expect.stringContaining("unknown network setting 'jitter'"),
    });
  });
});

describe('node faults', () => {
  it('a crashed node drops what arrives and loses its timers', () => {
    const sim = world({ delayMinMs: 5, delayMaxMs: 5 });
    sim.schedule(0, pings(1));
    sim.schedule(50, { kind: 'fault', fault: { kind: 'crash', node: 'b' } });
    sim.schedule(60, pings(1));
    const trace = sim.run().trace;
    expect(trace.find((e) => e.kind === 'drop')).toMatchObject({ t: 65, reason: 'down' });
    expect(count(trace, 'timer')).toBe(0);
  });

  it('a restart keeps the state only when the machine says it is durable', () => {
    for (const durable of [true, false]) {
      const sim = world({ delayMinMs: 5, delayMaxMs: 5 }, 7, durable);
      sim.schedule(0, pings(3));
      sim.schedule(50, { kind: 'fault', fault: { kind: 'crash', node: 'b' } });
      sim.schedule(60, { kind: 'fault', fault: { kind: 'restart', node: 'b' } });
      expect(sim.run().finalStates.get('b')).toEqual({ state: durable ? 3 : 0, up: true });
    }
  });

  it.each([
    ['small', 1, 'when the run starts'],
    ['huge', 2 ** 48, 'when the run starts'],
    ['small', 1, 'by orderScript once scheduled'],
    ['small', 1, 'by orderScript halfway, then at start'],
  ])(
    'runs a script given out of order by time, ties in the order scheduled (%s times, ordered %s)',
    (_, scale, ordered) => {
      const sim = new Simulation<Ping>({
        seed: 1,
        nodes: [
          { id: 'a', role: 'client', machine: sender('b') },
          { id: 'b', role: 'server', machine: receiver(false) },
        ],
        network: DEFAULT_NETWORK,
        bounds: { maxTimeMs: Number.MAX_SAFE_INTEGER },
      });
      // Clock steps of distinct sizes name the actions; the trace shows the order they ran in.
      const at = [30, 10, 20, 10, 0, 30, 10, 0].map((t) => t * scale);
      for (const [i, t] of at.entries()) {
        if (i === 4 && ordered.includes('halfway')) sim.orderScript();
        sim.schedule(t, { kind: 'fault', fault: { kind: 'clockStep', node: 'a', byMs: i + 1 } });
      }
      if (ordered.includes('once scheduled')) sim.orderScript();
      const ran = sim
        .run()
        .trace.flatMap((e) => (e.kind === 'fault' && e.fault.kind === 'clockStep' ? [e] : []))
        .map((e) => [e.t, e.fault.kind === 'clockStep' ? e.fault.byMs - 1 : -1]);
      const expected = at.map((t, i) => [t, i]).sort(([ta, a], [tb, b]) => ta! - tb! || a! - b!);
      expect(ran).toEqual(expected);
    },
  );

  it('a clock step moves the node clock the machine reads', () => {
    const sim = world({ delayMinMs: 5, delayMaxMs: 5 });
    sim.schedule(0, { kind: 'fault', fault: { kind: 'clockStep', node: 'b', byMs: -1000 } });
    sim.schedule(10, pings(1));
    const pong = sim.run().trace.find((e) => e.kind === 'deliver' && e.message.type === 'PONG');
    expect(pong && 'message' in pong ? (pong.message as Ping).n : null).toBe(15 - 1000);
  });
});

describe('bounds', () => {
  it('a timer cancelled long ago does not keep a run from settling', () => {
    const arms: Machine<number, Ping, { kind: 'tick' }, number> = {
      init: () => 0,
      recover: (s) => s,
      step: (s, input) =>
        input.type === 'invoke'
          ? {
              state: s + 1,
              effects: [
                { type: 'setTimer', key: 'late', afterMs: 1_000_000, timer: { kind: 'tick' } },
                { type: 'cancelTimer', key: 'late' },
              ],
            }
          : { state: s, effects: [] },
    };
    const sim = new Simulation<Ping>({
      seed: 1,
      nodes: [
        { id: 'a', role: 'client', machine: arms },
        { id: 'b', role: 'server', machine: receiver(false) },
      ],
      network: DEFAULT_NETWORK,
      bounds: { maxTimeMs: 1_000 },
    });
    sim.schedule(10, pings(1));
    const result = sim.run();
    expect(result.ending).toBe('quiescent');
    expect(result.endedAt).toBe(10);
  });

  it('stops at the event bound and says so', () => {
    const loop: Machine<number, Ping, { kind: 'tick' }, number> = {
      init: () => 0,
      recover: (s) => s,
      step: (s, input) =>
        input.type === 'invoke' || input.type === 'timer'
          ? {
              state: s + 1,
              effects: [{ type: 'setTimer', key: 't', afterMs: 1, timer: { kind: 'tick' } }],
            }
          : { state: s, effects: [] },
    };
    const sim = new Simulation<Ping>({
      seed: 1,
      nodes: [
        { id: 'a', role: 'client', machine: loop },
        { id: 'b', role: 'server', machine: receiver(false) },
      ],
      network: DEFAULT_NETWORK,
      bounds: { maxEvents: 100 },
    });
    sim.schedule(0, pings(1));
    const result = sim.run();
    expect(result.ending).toBe('event-limit');
    expect(result.events).toBe(100);
  });
});
