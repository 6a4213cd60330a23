// The Jepsen-style live test, short: a real cluster on loopback behind fault-injecting relays,
// judged by the simulator's checkers. Under `fixed` with every kind of fault it finds nothing;
// with followerApply=overwrite and duplicated messages it finds the convergence violation (A1).
// Its trace is the simulator's format: it reads back, and the page renders from it.

import { describe, expect, it } from 'vitest';
import { resolveKnobs } from '../protocol/knobs.ts';
import { brokenGuarantees, GUARANTEE_NAMES, type GuaranteeId } from '../sim/check/index.ts';
import type { ClusterSpec } from '../sim/live/node.ts';
import { FAULT_KINDS, type FaultKind, type LiveRun, runLive } from '../sim/live/runner.ts';
import { paletteFor } from '../sim/render/colors.ts';
import { renderHtml } from '../sim/render/html.ts';
import { parseTraceDocument, serializeTraceDocument, traceDocument } from '../sim/render/json.ts';
import { renderSummary } from '../sim/render/summary.ts';
import { STORES } from '../sim/stores/index.ts';

function cluster(
  store: 'replicated' | 'lock',
  knobs: Record<string, string | number>,
  clients: number,
): ClusterSpec {
  const adapter = STORES[store];
  const resolved = resolveKnobs(adapter.knobSpecs, adapter.presets, 'fixed', knobs);
  if (!resolved.ok) throw new Error(resolved.error);
  return {
    store: adapter,
    preset: 'fixed',
    knobs: resolved.value,
    servers: store === 'lock' ? ['s1'] : ['s1', 's2', 's3'],
    leader: 's1',
    clients: Array.from({ length: clients }, (_, i) => `c${i + 1}`),
  };
}

// Shorter protocol timeouts than the preset's, so that a lost message costs a fraction of a second.
const QUICK = { requestTimeout: 300, replicationTimeout: 150 };

function run(
  spec: ClusterSpec,
  faults: readonly FaultKind[],
  seed: number,
  ops = 30,
  shape = { keys: 2, spanMs: 300 },
): Promise<LiveRun> {
  const { keys, spanMs } = shape;
  return runLive({
    cluster: spec,
    ops,
    keys,
    seed,
    faults,
    spanMs,
    settleMs: 10_000,
    giveUpMs: 2_000,
  });
}

/** Timing decides whether a run shows an anomaly: the first of a few seeds that breaks `guarantee`. */
async function search(
  spec: ClusterSpec,
  faults: readonly FaultKind[],
  guarantee: GuaranteeId,
  shape = { keys: 2, spanMs: 300 },
): Promise<LiveRun | null> {
  for (let seed = 1; seed <= 5; seed++) {
    const attempt = await run(spec, faults, seed, 40, shape);
    if (brokenGuarantees(attempt.run.verdicts).includes(guarantee)) return attempt;
  }
  return null;
}

describe('npm run live, in process', () => {
  it('under fixed, with every kind of fault (clock steps too), keeps every guarantee and ends quiescent', async () => {
    const { run: live, faultsEndAt } = await run(cluster('replicated', QUICK, 3), FAULT_KINDS, 1);
    const kinds = new Set(
      live.result.trace.map((e) => (e.kind === 'fault' ? e.fault.kind : e.kind)),
    );
    // The faults really happened on the wire: a crash, a partition, a held link, a duplicate.
    for (const kind of [
      'crash',
      'restart',
      'partition',
      'heal',
      'hold',
      'release',
      'duplicate',
      'clockStep',
    ])
      expect(kinds).toContain(kind);
    expect(live.result.ending).toBe('quiescent');
    expect(live.result.history.operations).toHaveLength(30);
    expect(live.result.history.operations.every((o) => o.completedAt !== null)).toBe(true);
    expect(brokenGuarantees(live.verdicts)).toEqual([]);
    expect(live.verdicts.find((v) => v.guarantee === 'convergence')!.status).toBe('held');
    expect(faultsEndAt).toBeGreaterThan(0);
  });

  it('under followerApply=overwrite with duplication, finds the convergence violation', async () => {
    // A late copy of an older REPLICATION must land last at a follower: eight clients on one
    // key write close together up to the end, within the copies' lag (up to 300 ms). Four on two
    // keys spread their last writes out on a loaded machine: on one core with three busy loops,
    // 8 seeds of 20 broke convergence that way against 14 this way, and in one of three runs of
    // this file on a busy core, none of the five seeds tried did.
    const spec = cluster('replicated', { ...QUICK, followerApply: 'overwrite' }, 8);
    const found = await search(spec, ['delay', 'duplicate'], 'convergence', {
      keys: 1,
      spanMs: 300,
    });
    expect(found).not.toBeNull();
    const convergence = found!.run.verdicts.find((v) => v.guarantee === 'convergence')!;
    expect(convergence.violations[0]!.sentence).toMatch(/s[123]/);
    // The summary `npm run live` prints marks each broken guarantee once, then counts them.
    const plain = paletteFor({ isTTY: false }, {});
    const summary = renderSummary(plain, found!.run, 'npm run live', 100, undefined, false);
    const marked = summary.filter((l) => l.startsWith('    ✗ '));
    const broken = brokenGuarantees(found!.run.verdicts);
    expect(marked.filter((l) => l.includes(GUARANTEE_NAMES.convergence))).toHaveLength(1);
    expect(marked).toHaveLength(broken.length + 1);
    expect(marked.at(-1)).toBe(
      `    ✗ ${broken.length} guarantee${broken.length === 1 ? '' : 's'} the store promises did not hold`,
    );
  });

  it('under clientSession=pipelined with reordering, finds monotonic writes broken (A2)', async () => {
    // One key: with a core shared with a busy loop, 34 seeds of 60 broke it on two keys (five
    // in a row missing it one time in 70), 33 of 40 on one.
    const spec = cluster('replicated', { ...QUICK, clientSession: 'pipelined' }, 3);
    const found = await search(spec, ['delay', 'duplicate'], 'monotonic-writes', {
      keys: 1,
      spanMs: 1_300,
    });
    expect(found).not.toBeNull();
  });

  it('under durability=memory with a crash, finds the restarted server has forgotten (A9)', async () => {
    // Six clients: with a core shared with a busy loop, three broke convergence in 30 seeds of
    // 40 (five in a row missing it one time in 1,000), six in 36 of 40.
    const spec = cluster('replicated', { ...QUICK, durability: 'memory' }, 6);
    const found = await search(spec, ['delay', 'crash'], 'convergence', { keys: 9, spanMs: 2_500 });
    expect(found).not.toBeNull();
    const crashed = found!.run.result.trace.find(
      (e) => e.kind === 'fault' && e.fault.kind === 'crash',
    );
    expect(crashed).toBeDefined();
  });

  it("under leaderClock=wall with the leader's clock stepped back, finds monotonic writes broken (A3)", async () => {
    const spec = cluster('replicated', { ...QUICK, leaderClock: 'wall' }, 3);
    const found = await search(spec, ['delay', 'clock'], 'monotonic-writes', {
      keys: 2,
      spanMs: 1_300,
    });
    expect(found).not.toBeNull();
    const steps = found!.run.result.trace.filter(
      (e) => e.kind === 'fault' && e.fault.kind === 'clockStep',
    );
    expect(steps).toHaveLength(2);
  });

  it('runs the lock store under fixed with faults and keeps mutual exclusion', async () => {
    const { run: live } = await run(
      cluster('lock', { requestTimeout: 300 }, 3),
      FAULT_KINDS,
      2,
      20,
    );
    expect(live.result.ending).toBe('quiescent');
    expect(brokenGuarantees(live.verdicts)).toEqual([]);
    expect(live.verdicts.map((v) => v.guarantee)).toContain('mutual-exclusion');
  });

  it('writes the simulator trace format: it reads back and renders the page', async () => {
    const { run: live } = await run(cluster('replicated', QUICK, 2), ['delay'], 3, 10);
    const doc = traceDocument(live, { file: 'live', goal: 'a live run', replay: 'npm run live' });
    const text = serializeTraceDocument(doc);
    const back = parseTraceDocument(text);
    expect(back.history.operations).toHaveLength(10);
    expect(back.events.some((e) => e.kind === 'deliver')).toBe(true);
    // Every delivery names a message that was sent first: ids tie the two ends together.
    const sent = new Set<number>();
    for (const e of back.events) {
      if (e.kind === 'send' || e.kind === 'duplicate') sent.add(e.id);
      if (e.kind === 'deliver') expect(sent.has(e.id)).toBe(true);
    }
    // Real time runs forward through the trace.
    const times = back.events.map((e) => e.t);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const page = renderHtml(back);
    expect(page).toContain('<svg');
    expect(page).toContain('a live run');
    // Its events were recorded on a real network, not simulated nor scripted.
    expect(page).toContain(
      `from ${back.run.events} recorded events (an arrival, a timer, a fault)`,
    );
    expect(page).not.toContain('simulator event');
  });
});
