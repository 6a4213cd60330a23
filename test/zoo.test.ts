// The replicated store's bug zoo (PROTOCOL.md §4): one scenario per anomaly, each the `fixed`
// preset with only the anomaly's knob flipped, so that flipping it back must keep every guarantee.
// That every scenario meets its own expectations with its own seed is test/scenarios.test.ts's job.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REPLICATED_PRESETS } from '../protocol/replicated/index.ts';
import { brokenGuarantees } from '../sim/check/index.ts';
import { loadScenario, scenarioFiles } from '../sim/cli/load.ts';
import { type AnyScenario, runScenario } from '../sim/scenario.ts';

const SEEDS = [undefined, 1, 2, 3, 4, 5];

/** What flipping back looks like: the knob's `fixed` value, or none when no knob is the cause. */
interface Exhibit {
  readonly anomaly: string;
  readonly file: string;
  readonly fix: Readonly<Record<string, string>> | null;
}

const ZOO: readonly Exhibit[] = [
  {
    anomaly: 'A1',
    file: 'scenarios/follower-keeps-older-write.ts',
    fix: { followerApply: 'newer-wins' },
  },
  {
    anomaly: 'A2',
    file: 'scenarios/pipelined-puts-overtake.ts',
    fix: { clientSession: 'sequential' },
  },
  { anomaly: 'A3', file: 'scenarios/leader-clock-steps-back.ts', fix: { leaderClock: 'hybrid' } },
  { anomaly: 'A4', file: 'scenarios/read-old-value-after-another-client.ts', fix: null },
  { anomaly: 'A7', file: 'scenarios/same-millisecond-writes.ts', fix: { leaderClock: 'hybrid' } },
  {
    anomaly: 'A8',
    file: 'scenarios/missing-key-answers-null.ts',
    fix: { missingKeyReply: 'ts-first' },
  },
  { anomaly: 'A9', file: 'scenarios/restarted-server-forgets.ts', fix: { durability: 'disk' } },
  { anomaly: 'A10', file: 'scenarios/duplicated-put-overwrites.ts', fix: { requestIds: 'dedupe' } },
  { anomaly: 'A11', file: 'scenarios/follower-down-blocks-puts.ts', fix: null },
  { anomaly: 'A12', file: 'scenarios/write-overtakes-its-cause.ts', fix: null },
];

/** The comment a scenario file opens with: its Goal / Method / Expected. */
function header(file: string): string {
  const text = readFileSync(file, 'utf8');
  return text.slice(0, text.indexOf('*/'));
}

function namesAnomaly(text: string, anomaly: string): boolean {
  return new RegExp(`\\b${anomaly}\\b`).test(text);
}

describe.each(ZOO)('$anomaly: $file', ({ anomaly, file, fix }) => {
  it('names its anomaly in its header, with Goal, Method and Expected', () => {
    const text = header(file);
    expect(namesAnomaly(text, anomaly)).toBe(true);
    for (const part of ['Goal:', 'Method:', 'Expected:']) expect(text).toContain(part);
  });

  it('meets its expectations under seeds 1 to 5 as well', async () => {
    const scenario = await loadScenario(file);
    for (const seed of SEEDS) {
      const run = runScenario(scenario, { seed });
      expect(run.outcomes.filter((o) => o.failure !== null).map((o) => o.label)).toEqual([]);
      expect(run.verdictFailures).toEqual([]);
    }
  });

  it('runs the fixed preset with at most the anomaly knob flipped', async () => {
    const run = runScenario(await loadScenario(file), { knobs: fix ?? {} });
    expect(run.knobs).toEqual(REPLICATED_PRESETS.fixed);
  });
});

const KNOB_CAUSED = ZOO.flatMap(({ anomaly, file, fix }) =>
  fix === null ? [] : [{ anomaly, file, fix }],
);

describe.each(KNOB_CAUSED)('$anomaly under --preset fixed', ({ file, fix }) => {
  it('keeps every guarantee once its knob is set back', async () => {
    const scenario = await loadScenario(file);
    for (const seed of SEEDS) {
      const run = runScenario(scenario, { seed, knobs: fix });
      expect(brokenGuarantees(run.verdicts)).toEqual([]);
    }
  });
});

describe('A11: follower-down-blocks-puts', () => {
  it('completes every PUT when the follower restarts instead of staying down', async () => {
    const scenario = await loadScenario('scenarios/follower-down-blocks-puts.ts');
    const restarted: AnyScenario = {
      ...scenario,
      steps: [...scenario.steps, { at: 5_000, restart: 's3' }],
    };
    for (const seed of SEEDS) {
      const run = runScenario(restarted, { seed });
      expect(run.result.ending).toBe('quiescent');
      expect(run.verdicts.find((v) => v.guarantee === 'liveness')?.status).toBe('held');
      expect(brokenGuarantees(run.verdicts)).toEqual([]);
    }
  });
});

describe('the zoo', () => {
  it('has a scenario naming each replicated-store anomaly in its header', () => {
    const headers = scenarioFiles().map(header);
    const missing = ['A1', 'A2', 'A3', 'A4', 'A7', 'A8', 'A9', 'A10', 'A11', 'A12'].filter(
      (anomaly) => !headers.some((text) => namesAnomaly(text, anomaly)),
    );
    expect(missing).toEqual([]);
  });
});
