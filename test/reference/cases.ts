// The runs the differential test and its standalone script compare: random plans drawn the way
// `npm run explore` draws them, cycling through the settings, and every scenario file under both
// presets and a few seeds.

import { join } from 'node:path';
import fc from 'fast-check';
import { loadScenario, SCENARIO_DIR, scenarioFiles } from '../../sim/cli/load.ts';
import { planArb } from '../../sim/explore/arbitraries.ts';
import { type PlanSettings, planToScenario } from '../../sim/explore/plan.ts';
import { DEFAULT_BOUNDS } from '../../sim/explore/search.ts';
import type { AnyScenario, RunOptions } from '../../sim/scenario.ts';
import { SETTINGS } from './settings.ts';

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
