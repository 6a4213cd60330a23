// Every scenario in scenarios/ runs and meets its own expectations, as `npm run sim` judges them.

import { describe, expect, it } from 'vitest';
import { loadScenario, scenarioFiles } from '../sim/cli/load.ts';
import { runPassed } from '../sim/render/summary.ts';
import { runScenario } from '../sim/scenario.ts';

describe.each(scenarioFiles())('%s', (file) => {
  it('meets its expectations with its own seed', async () => {
    const run = runScenario(await loadScenario(file));
    expect(
      run.outcomes.filter((o) => o.failure !== null).map((o) => `${o.label}: ${o.failure}`),
    ).toEqual([]);
    expect(runPassed(run)).toBe(true);
  });
});

describe('stale-read', () => {
  it('shows the refusal and the old value under every seed tried', async () => {
    const scenario = await loadScenario('scenarios/stale-read.ts');
    for (const seed of [1, 2, 3, 4, 5, 99, 12345]) {
      const run = runScenario(scenario, { seed });
      const replies = run.outcomes.map((o) =>
        `${o.operation?.client} ${o.operation?.reply} ${o.operation?.result ?? ''}`.trim(),
      );
      expect(replies).toEqual([
        'c1 PUT_OK 1',
        'c1 PUT_OK 2',
        'c1 GET_OK 2',
        'c1 TRY_OTHER_SERVER_OR_LATER',
        'c2 GET_OK 1',
        'c1 GET_OK 2',
      ]);
    }
  });

  it('under the fixed preset the follower is up to date, so there is nothing stale to see', async () => {
    const run = runScenario(await loadScenario('scenarios/stale-read.ts'), { preset: 'fixed' });
    const c2 = run.outcomes.find((o) => o.operation?.client === 'c2');
    expect(c2?.operation?.result).toBe('2');
  });

  it('cut at 40 s, a step due later is named as cut off by the time bound, not as never issued', async () => {
    const run = runScenario({
      ...(await loadScenario('scenarios/stale-read.ts')),
      runUntilMs: 40_000,
    });
    const last = run.outcomes.at(-1)!;
    expect(last.failure).toBe(
      "the run was cut at its time bound (40.000s) before this step's time",
    );
  });
});
