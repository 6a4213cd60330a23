// Worlds that fork and runs that stay bounded: a run paused, snapshotted and resumed (even
// twice from one snapshot) gives the uninterrupted run byte for byte; hashing or streaming the
// trace gives the hash of the kept one; every memory bound ends a run cleanly and says which.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { machineOf } from '../protocol/core.ts';
import { benchWorkload } from '../sim/bench/workload.ts';
import { loadScenario, scenarioFiles } from '../sim/cli/load.ts';
import { type RunResult, Simulation } from '../sim/kernel/simulation.ts';
import { type TraceEvent, traceHash, type WireMessage } from '../sim/kernel/trace.ts';
import { prepareScenario, type RunOptions, runScenario, type Scenario } from '../sim/scenario.ts';

/** Everything a run leaves, as text: equal text, equal runs. */
function fingerprint(result: RunResult): string {
  const maps = (_key: string, v: unknown) => (v instanceof Map ? [...v] : v);
  return JSON.stringify(
    {
      ending: result.ending,
      endedAt: result.endedAt,
      events: result.events,
      hash: result.hash,
      trace: result.trace,
      history: result.history,
      networkHealed: result.networkHealed,
      faultsEndAt: result.faultsEndAt,
      finalStates: [...result.finalStates],
    },
    maps,
  );
}

function uninterrupted(scenario: Scenario, options: RunOptions = {}): string {
  return fingerprint(prepareScenario(scenario, options).sim.run());
}

const bench = benchWorkload(3, 600);

describe('a snapshot', () => {
  const cases: [string, () => Promise<Scenario>][] = [
    ['the bench workload (faults, drops, duplicates)', async () => bench],
    ...scenarioFiles().map((f): [string, () => Promise<Scenario>] => [f, () => loadScenario(f)]),
  ];
  it.each(cases)(
    'taken mid-run and resumed twice gives the uninterrupted run: %s',
    async (_n, load) => {
      const scenario = await load();
      const whole = uninterrupted(scenario);
      const sim = prepareScenario(scenario).sim;
      // Pause at a third of the script's span: messages in flight, timers armed, faults in force.
      const lastStep = Math.max(...scenario.steps.map((s) => s.at));
      expect(sim.runUntil(Math.floor(lastStep / 3))).toBeNull();
      const snapshot = sim.snapshot();
      expect(fingerprint(sim.run())).toBe(whole);
      expect(fingerprint(Simulation.resume(snapshot).run())).toBe(whole);
      expect(fingerprint(Simulation.resume(snapshot).run())).toBe(whole);
    },
  );

  it('is unchanged by the runs that go on from it', () => {
    const sim = prepareScenario(bench).sim;
    sim.runUntil(20_000);
    const snapshot = sim.snapshot();
    const first = fingerprint(Simulation.resume(snapshot).run());
    sim.run();
    expect(fingerprint(Simulation.resume(snapshot).run())).toBe(first);
  });

  it('taken at several points gives the same run from each', () => {
    const whole = uninterrupted(bench);
    const sim = prepareScenario(bench).sim;
    const snapshots = [5_000, 30_000, 60_000].map((t) => {
      sim.runUntil(t);
      return sim.snapshot();
    });
    for (const s of snapshots) expect(fingerprint(Simulation.resume(s).run())).toBe(whole);
  });
});

describe('the trace hash', () => {
  it('is the hash of the kept trace, and the same when only hashed or streamed', () => {
    const kept = prepareScenario(bench).sim.run();
    expect(kept.hash).toBe(traceHash(kept.trace));
    const hashed = prepareScenario(bench, { trace: 'hash' }).sim.run();
    expect(hashed.hash).toBe(kept.hash);
    expect(hashed.trace).toEqual([]);
    expect(fingerprint({ ...hashed, trace: kept.trace })).toBe(fingerprint(kept));
    const lines: string[] = [];
    const streamed = prepareScenario(bench, {
      trace: 'hash',
      traceSink: (json) => lines.push(json),
    }).sim.run();
    expect(streamed.hash).toBe(kept.hash);
    expect(lines).toEqual(kept.trace.map((e) => JSON.stringify(e)));
    // A saved trace read back hashes to the run's hash.
    expect(traceHash(lines.map((line) => JSON.parse(line) as TraceEvent))).toBe(kept.hash);
  });

  it('untraced, the history and the verdicts are those of the traced run', () => {
    const traced = runScenario(bench);
    const untraced = runScenario(bench, { trace: false });
    expect(untraced.result.history).toEqual(traced.result.history);
    expect(untraced.verdicts).toEqual(traced.verdicts);
    expect(untraced.result.trace).toEqual([]);
  });
});

describe('memory bounds', () => {
  // A network that loses everything: clients retry for ever (issue 9's first reproducer).
  const lossy: Scenario = {
    ...bench,
    network: { ...bench.network, dropPermille: 1000 },
    runUntilMs: 1_000_000_000,
  };

  it('a run that keeps its trace stops at the trace bound, with what it has', () => {
    const result = prepareScenario(lossy, { bounds: { maxTraceChars: 200_000 } }).sim.run();
    expect(result.ending).toBe('trace-limit');
    const kept = result.trace.reduce((n, e) => n + JSON.stringify(e).length + 1, 0);
    expect(kept).toBeGreaterThan(200_000);
    expect(kept).toBeLessThan(201_000);
    expect(result.hash).toBe(traceHash(result.trace));
  });

  it('a run stops at the history bound', () => {
    const result = prepareScenario(bench, { bounds: { maxHistory: 100 } }).sim.run();
    expect(result.ending).toBe('history-limit');
    const h = result.history;
    expect(h.operations.length + h.applies.length + h.locks.length).toBe(101);
  });

  it('a run that only hashes its trace is bounded by events', () => {
    const result = prepareScenario(lossy, {
      trace: 'hash',
      bounds: { maxEvents: 50_000 },
    }).sim.run();
    expect(result.ending).toBe('event-limit');
    expect(result.events).toBe(50_000);
  });

  it('the queue bound counts what is live, not timers cancelled since', () => {
    const full = prepareScenario(bench).sim.run();
    expect(full.ending).toBe('quiescent');
    const tight = prepareScenario(bench, { bounds: { maxQueue: 3 } }).sim.run();
    expect(tight.ending).toBe('queue-limit');
  });
});

describe('a finished run', () => {
  /** A run of `steps` operations whose clients ignore them, each step's operation watched. */
  function watchedRun(steps: number, maxTimeMs: number) {
    const idle = machineOf<number, WireMessage, null, unknown>({
      init: () => 0,
      stepInto: (state) => state,
      recover: (state) => state,
    });
    const sim = new Simulation<WireMessage>({
      seed: 1,
      nodes: [
        { id: 's1', role: 'server', machine: idle },
        { id: 'c1', role: 'client', machine: idle },
      ],
      network: {
        delayMinMs: 1,
        delayMaxMs: 1,
        spikePermille: 0,
        spikeMs: 0,
        dropPermille: 0,
        duplicatePermille: 0,
        fifo: false,
      },
      bounds: { maxTimeMs },
    });
    const watched: WeakRef<object>[] = [];
    for (let i = 0; i < steps; i++) {
      const op = { kind: 'get', key: `k${i}` };
      watched.push(new WeakRef(op));
      sim.schedule(10 * (i + 1), { kind: 'invoke', opId: i + 1, client: 'c1', op, via: 's1' });
    }
    return { sim, watched };
  }

  /** Whether anything still holds what `watched` points to, after a full collection. */
  async function alive(watched: readonly WeakRef<object>[]): Promise<number> {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    // A WeakRef holds its object until the job that made or read it ends.
    await new Promise((resolve) => setTimeout(resolve, 0));
    gc();
    return watched.filter((w) => w.deref() !== undefined).length;
  }

  it('lets its script go once every step has run, so that its checks need not share the heap with it', async () => {
    const { sim, watched } = watchedRun(100, 3_600_000);
    const result = sim.run();
    expect(result.ending).toBe('quiescent');
    expect(await alive(watched)).toBe(0);
    // The simulation itself is still there, and says the same.
    expect(sim.run().events).toBe(result.events);
  });

  it('keeps its script when a bound stopped it before its last step', async () => {
    const { sim, watched } = watchedRun(100, 500);
    expect(sim.run().ending).toBe('time-limit');
    expect(await alive(watched)).toBe(100);
  });
});
