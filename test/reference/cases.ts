// The runs the differential test and its standalone script compare: random plans drawn the way
// `npm run explore` draws them, cycling through the settings, and every scenario file under both
// presets and a few seeds.

import { join } from 'node:path';
import fc from 'fast-check';
import { loadScenario, SCENARIO_DIR, scenarioFiles } from '../../sim/cli/load.ts';
import { planArb } from '../../sim/explore/arbitraries.ts';
import {
  type Plan,
  type PlannedFault,
  type PlanSettings,
  planToScenario,
} from '../../sim/explore/plan.ts';
import { DEFAULT_BOUNDS } from '../../sim/explore/search.ts';
import type { AnyScenario, RunOptions } from '../../sim/scenario.ts';
import { LOCK_SETTINGS_COUNT, lockSettings, SETTINGS } from './settings.ts';

export interface Case {
  readonly label: string;
  readonly scenario: AnyScenario;
  readonly options: RunOptions;
}

const SHORT = { minOps: 4, maxOps: 14, maxFaults: 3, maxMessageFaults: 8, lossy: true };

/** Random run i of the search with this seed: its settings cycle, one in three on a lossy network. */
export function randomCase(seed: number, i: number): Case {
  const settings: PlanSettings = SETTINGS[i % SETTINGS.length]!;
  const bounds = { ...DEFAULT_BOUNDS, lossy: i % 3 === 0 };
  // One run in two puts its operations on one or two keys, and half of those are short bursts:
  // contention is where linearizability and mutual exclusion are decided, and a plan of 32 keys
  // rarely has any; a short one stays within the reference's brute-force search.
  const short = i % 4 === 3;
  const [drawn] = fc.sample(planArb(short ? SHORT : bounds), {
    seed: seed * 100_003 + i,
    numRuns: 1,
  });
  const squeezed = i % 2 === 1 ? { ...drawn!, keys: 1 + (drawn!.keys % 2) } : drawn!;
  // The lock store's squeezed runs also burst and copy messages: a stray or late copy of a
  // request is what lets two clients in (A5).
  const plan =
    settings.store === 'lock' && i % 2 === 1
      ? {
          ...squeezed,
          keys: 1,
          clients: 2 + (squeezed.clients % 3),
          pace: 16,
          network: { ...squeezed.network, duplicatePermille: 200, delaySpreadMs: 40 },
        }
      : squeezed;
  const knobs = Object.entries(settings.knobs).map(([k, v]) => `${k}=${v}`);
  return {
    label: `random ${seed}/${i} ${settings.store} ${settings.preset} ${knobs.join(' ')}`.trim(),
    scenario: planToScenario(plan, settings),
    options: { trace: false },
  };
}

const CONTENDED = { minOps: 30, maxOps: 80, maxFaults: 4, maxMessageFaults: 12, lossy: true };
const REPLICATED = SETTINGS.filter((s) => s.store === 'replicated');

/**
 * Contended run i with this seed: 30 to 80 operations on one key of the replicated store, from 2
 * to 6 clients, on a network that loses and copies messages, with crashes among its faults: the
 * large keys where linearizability is hardest to decide.
 */
export function contendedCase(seed: number, i: number): Case {
  const settings = REPLICATED[i % REPLICATED.length]!;
  const [drawn] = fc.sample(planArb(CONTENDED), { seed: seed * 100_003 + i, numRuns: 1 });
  const plan = {
    ...drawn!,
    keys: 1,
    clients: 2 + (drawn!.clients % 5),
    faultKinds: [...new Set([...drawn!.faultKinds, 'crash' as const])],
    network: { ...drawn!.network, dropPermille: Math.max(20, drawn!.network.dropPermille) },
  };
  const knobs = Object.entries(settings.knobs).map(([k, v]) => `${k}=${v}`);
  return {
    label: `contended ${seed}/${i} ${settings.preset} ${knobs.join(' ')}`.trim(),
    scenario: planToScenario(plan, settings),
    options: { trace: false },
  };
}

const labelOf = (mode: string, seed: number, i: number, settings: PlanSettings) => {
  const knobs = Object.entries(settings.knobs).map(([k, v]) => `${k}=${v}`);
  return `${mode} ${seed}/${i} ${settings.store} ${settings.preset} ${knobs.join(' ')}`.trim();
};

const CORNERS = { minOps: 6, maxOps: 40, maxFaults: 4, maxMessageFaults: 12, lossy: true };

/** The kinds a drawn plan uses, with these first: a fault of kind index 0 is then `kinds[0]`. */
const withFirst = <T>(first: readonly T[], drawn: readonly T[]): T[] => [
  ...first,
  ...drawn.filter((k) => !first.includes(k)),
];

/**
 * Two endings plans never have, chosen by `i`, one in three: cut by its time bound soon after the
 * workload, with a short stated liveness bound one time in two (operations still pending are
 * judged, or not, on time alone); or with the node crashed last left down (a lock table, a
 * follower, a client that never comes back).
 */
function roughen(scenario: AnyScenario, i: number, drawn: number): AnyScenario {
  const last = Math.max(0, ...scenario.steps.map((s) => s.at));
  if (i % 6 === 2)
    return {
      ...scenario,
      runUntilMs: last + (drawn % 3_000),
      ...(drawn % 2 === 0 ? { livenessBoundMs: 100 + (drawn % 1_500) } : {}),
    };
  if (i % 6 !== 4) return scenario;
  const crashes = scenario.steps.filter((s) => 'crash' in s);
  const down = crashes.at(-1);
  if (down === undefined || !('crash' in down)) return scenario;
  const node = down.crash;
  const steps = scenario.steps.filter(
    (s) => !('restart' in s && s.restart === node && s.at >= down.at),
  );
  return { ...scenario, steps };
}

/**
 * One to three crashes of clients (fault kind 0, a crash: see withFirst), each back up within
 * 400 ms, at places in the workload drawn from `drawn`: operations cut off mid-flight whose
 * messages still arrive, and new sessions (c1#1) right after.
 */
function clientCrashes(drawn: number): PlannedFault[] {
  return [0, 1, 2].slice(0, 1 + (drawn % 3)).map((n) => ({
    kind: 0,
    byMs: 0,
    b: 0,
    atPermille: (drawn >> (4 * n)) % 1000,
    durationMs: 1 + ((drawn >> (2 * n)) % 400),
    a: n + (drawn % 7),
    onServers: false,
  }));
}

/**
 * Lock run i with this seed, aimed at the lock store's corners: 2 to 6 clients on one or two
 * keys, crashes of clients and of the server among its faults, copied and late messages (a stray
 * ACQUIRE_LOCK, RELEASE_LOCK or write), and settings cycling through every lock knob, with leases
 * and request timeouts from none to shorter than a late message (see lockSettings).
 */
export function lockCase(seed: number, i: number): Case {
  const settings = lockSettings(i % LOCK_SETTINGS_COUNT);
  const [drawn] = fc.sample(planArb(CORNERS), { seed: seed * 100_003 + i, numRuns: 1 });
  const plan: Plan = {
    ...drawn!,
    keys: 1 + (drawn!.keys % 2),
    clients: 2 + (drawn!.seed % 5),
    // Bursts three runs in four: operations overlap, and so do their locks.
    pace: i % 4 === 0 ? drawn!.pace : 16,
    faultKinds: withFirst(['crash'], drawn!.faultKinds),
    messageFaultKinds: withFirst(['duplicate', 'delay'], drawn!.messageFaultKinds),
    // Clients crash mid-operation in odd runs (even ones may end roughened, see roughen): a lock
    // granted, freed or used around a crash.
    faults: i % 2 === 1 ? [...drawn!.faults, ...clientCrashes(drawn!.seed)] : drawn!.faults,
    network: {
      ...drawn!.network,
      duplicatePermille: Math.max(60, drawn!.network.duplicatePermille),
      delaySpreadMs: Math.max(20, drawn!.network.delaySpreadMs),
    },
  };
  return {
    label: labelOf('lock', seed, i, settings),
    scenario: roughen(planToScenario(plan, settings), i, drawn!.seed),
    options: { trace: false },
  };
}

/**
 * Session run i with this seed: a few clients on one to three keys that crash and restart (new
 * sessions, c1#1, ...) while operations are in flight, pipelined clients one run in two, and a
 * follower crashed near the end of the workload (convergence as the run settles). One run in four
 * is the lock store's, under the lock settings.
 */
export function sessionsCase(seed: number, i: number): Case {
  const replicated = i % 4 !== 3;
  const base = replicated ? REPLICATED[(i >> 1) % REPLICATED.length]! : lockSettings(i >> 2);
  const settings =
    replicated && i % 2 === 1
      ? { ...base, knobs: { ...base.knobs, clientSession: 'pipelined' } }
      : base;
  const [drawn] = fc.sample(planArb({ ...CORNERS, lossy: i % 3 === 0 }), {
    seed: seed * 100_003 + i,
    numRuns: 1,
  });
  const d = drawn!;
  // Kind 0 is a crash (see withFirst); on a server, a = 1 or 2 names a follower.
  const lateCrash = {
    kind: 0,
    byMs: 0,
    b: 0,
    atPermille: 850 + (d.seed % 350),
    durationMs: 1 + (d.seed % 1500),
    a: 1 + (d.seed % 2),
    onServers: true,
  };
  const plan: Plan = {
    ...d,
    keys: 1 + (d.keys % 3),
    clients: 2 + (d.clients % 3),
    pace: i % 2 === 1 ? 16 : d.pace,
    faultKinds: withFirst(['crash'], d.faultKinds),
    faults: [...d.faults, ...clientCrashes(d.seed), ...(replicated ? [lateCrash] : [])],
  };
  return {
    label: labelOf('sessions', seed, i, settings),
    // i >> 1: pipelined (odd) runs end roughened too, as often as sequential ones.
    scenario: roughen(planToScenario(plan, settings), i >> 1, d.seed),
    options: { trace: false },
  };
}

/**
 * Every scenario file (the verify folder's too) under both presets and the given seeds; with
 * `flipped`, also under each of the differential settings of its store (a preset and knobs).
 */
export async function scenarioCases(seeds: readonly number[], flipped = false): Promise<Case[]> {
  const files = [...scenarioFiles(), ...scenarioFiles(join(SCENARIO_DIR, 'verify'))];
  const cases: Case[] = [];
  for (const file of files) {
    const scenario = await loadScenario(file);
    const settings = [
      { preset: 'seed', knobs: {} },
      { preset: 'fixed', knobs: {} },
      ...(flipped ? SETTINGS.filter((s) => s.store === (scenario.store ?? 'replicated')) : []),
    ];
    for (const { preset, knobs } of settings) {
      const flags = Object.entries(knobs).map(([k, v]) => [k, String(v)] as const);
      const text = flags.map(([k, v]) => ` --knob ${k}=${v}`).join('');
      for (const seed of seeds)
        cases.push({
          label: `${file} --preset ${preset}${text} --seed ${seed}`,
          scenario,
          options: { preset, seed, trace: false, knobs: Object.fromEntries(flags) },
        });
    }
  }
  return cases;
}
