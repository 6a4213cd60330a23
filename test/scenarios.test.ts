// Every scenario in scenarios/ runs and meets its own expectations, as `npm run sim` judges them.

import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { loadScenario, scenarioFiles } from '../sim/cli/load.ts';
import { highlightsOf as terminalHighlights } from '../sim/render/highlights.ts';
import { highlightsOf as pageHighlights, traceDocument } from '../sim/render/json.ts';
import { renderSummary, runPassed } from '../sim/render/summary.ts';
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

describe('a step that never became an operation says why', () => {
  /** c1 PUTs x=1, asks GET x while busy, and crashes at `crashAt` (restarting 100 ms later). */
  function queuedThenCrash(crashAt: number, getAt = 1) {
    return runScenario({
      goal: 'a queued step and a crash',
      preset: 'fixed',
      servers: 3,
      clients: 1,
      knobs: { replicationDelay: 1_000 },
      steps: [
        { at: 0, client: 'c1', put: ['x', '1'] },
        { at: getAt, client: 'c1', get: 'x', expect: 'GET_OK' },
        { at: crashAt, crash: 'c1' },
        { at: crashAt + 100, restart: 'c1' },
      ],
    });
  }

  it('queued behind a pending operation when its client crashed: the crash dropped it', () => {
    const run = queuedThenCrash(100);
    expect(run.outcomes[1]!.failure).toBe(
      'it was never issued: c1 held it queued behind an earlier operation and crashed at 0.100s, which drops what a client has queued',
    );
    expect(run.notes.map((n) => n.text)).toContain(
      'c1 busy: GET x (step 2) queued, never issued: c1 held it queued behind an earlier operation and crashed at 0.100s, which drops what a client has queued',
    );
  });

  it('due while its client was down: the client refused it', () => {
    const run = queuedThenCrash(0, 50);
    expect(run.outcomes[1]!.failure).toBe(
      'it was never issued: c1 was down at its time (it crashed at 0.000s)',
    );
  });

  it('a client that crashes three times: each step names the crash that dropped it, or the one it was down after', () => {
    const get = (at: number) => ({ at, client: 'c1', get: 'x', expect: 'GET_OK' }) as const;
    const run = runScenario({
      goal: 'queued steps around three crashes',
      preset: 'fixed',
      servers: 3,
      clients: 1,
      knobs: { replicationDelay: 1_000 },
      runUntilMs: 1_000,
      steps: [
        { at: 0, client: 'c1', put: ['x', '1'] },
        get(1),
        get(2),
        { at: 100, crash: 'c1' },
        { at: 200, restart: 'c1' },
        { at: 210, client: 'c1', put: ['x', '2'] },
        get(220),
        { at: 300, crash: 'c1' },
        get(350),
        { at: 400, restart: 'c1' },
        { at: 410, client: 'c1', put: ['x', '3'] },
        get(420),
      ],
    });
    const dropped = (at: string) =>
      `it was never issued: c1 held it queued behind an earlier operation and crashed at ${at}, which drops what a client has queued`;
    expect(run.outcomes.filter((o) => o.expected !== undefined).map((o) => o.failure)).toEqual([
      dropped('0.100s'),
      dropped('0.100s'),
      dropped('0.300s'),
      'it was never issued: c1 was down at its time (it crashed at 0.300s)',
      'it was never issued: c1 still held it queued behind an earlier operation when the run ended',
    ]);
    // The step due while c1 was down was refused, as the timeline shows: no note of a queue.
    expect(run.notes.map((n) => n.text).filter((t) => t.includes('queued'))).toHaveLength(4);
  });

  it('a step the run never came to, stopped at a bound, is said to be so, and drawn nowhere', async () => {
    const scenario = await loadScenario('scenarios/stale-read.ts');
    const whole = runScenario(scenario);
    const run = runScenario(scenario, { bounds: { maxEvents: 5 } });
    expect(run.result.ending).toBe('event-limit');
    expect(run.result.endedAt).toBe(10_031);
    // Not queued behind an earlier operation (c1 pipelines; c2 has none): never come to.
    expect(run.outcomes.map((o) => o.failure)).toEqual([
      'it never completed',
      ...Array(5).fill('the run stopped at the event bound at 10.031s, before this step'),
    ]);
    // The narration of the steps past the end (25 s and later) is not drawn.
    expect(run.notes).toEqual(whole.notes.filter((n) => n.at <= 10_031));
    expect(run.notes.length).toBeGreaterThan(0);
    expect(run.notes.length).toBeLessThan(whole.notes.length);
  });

  it('the summary counts the crashed client’s operation as abandoned, not pending', () => {
    const lines = renderSummary(new Chalk({ level: 0 }), queuedThenCrash(100), 'replay').join('\n');
    expect(lines).toMatch(
      /operations 1 issued, 0 completed, 0 pending, 1 abandoned \(their client crashed\)/,
    );
  });
});

describe("the summary's last verdict line", () => {
  const summary = (expect: 'NULL' | 'GET_OK') =>
    renderSummary(
      new Chalk({ level: 0 }),
      runScenario({
        goal: 'g',
        steps: [
          { at: 0, client: 'c1', put: ['x', '1'], via: 's1' },
          { at: 500, client: 'c1', get: 'x', via: 's2', expect },
        ],
      }),
      'replay',
    ).join('\n');

  it("says the guarantees alone were as expected when a step's reply was not", () => {
    const text = summary('NULL');
    expect(text).toContain('✗ step 2: c1 GET x via s2 → NULL, but the reply was GET_OK');
    expect(text).toMatch(
      /\n {4}the guarantees are as the scenario expected; 1 step not \(✗ above\)\n/,
    );
  });

  it('says the run was as expected when every step was', () => {
    expect(summary('GET_OK')).toMatch(/\n {4}as the scenario expected\n/);
  });
});

describe('a guarantee with more witnesses than the summary shows', () => {
  it('shows one of each kind before a second of any: pipelined PUTs show their ts witness', async () => {
    const run = runScenario(await loadScenario('scenarios/pipelined-puts-overtake.ts'));
    const text = renderSummary(new Chalk({ level: 0 }), run, 'replay', 200).join('\n');
    const section = text.slice(text.indexOf('✗ monotonic writes'), text.indexOf('✓ read your'));
    // Three replicas holding x=2 before x=1 are one kind; the leader's stamps another.
    expect(section).toContain("c1's PUT x=2 (op 2, c1.2, issued at 0.001s) got ts 6, not newer");
    expect(section.match(/^ {8}s\d stored c1's PUT x=1/gm)).toHaveLength(2);
    expect(section).toContain('… and 1 more');
  });
});

describe('an operation expected never to be answered', () => {
  it('reads so in the summary, whether it was pending at the end or abandoned by a crash', async () => {
    // c1 crashes holding x's lock: its PUT is abandoned, not pending, and the summary counts it so.
    const run = runScenario(await loadScenario('scenarios/crashed-holder-blocks-key.ts'));
    const text = renderSummary(new Chalk({ level: 0 }), run, 'replay', 200).join('\n');
    expect(text).toContain('0 pending, 1 abandoned (their client crashed)');
    expect(text).toContain('✓ step 1: c1 PUT x=1 → never answered');
    expect(text).not.toMatch(/→ still pending/);
  });
});

describe('an operation expected never to be answered that was', () => {
  it('says it should never have been answered, in the summary, the diagram and the page', async () => {
    const scenario = await loadScenario('scenarios/stale-read.ts');
    const steps = scenario.steps.map((s, i) => (i === 0 ? { ...s, expect: { pending: true } } : s));
    const run = runScenario({ ...scenario, steps } as typeof scenario);
    const text = renderSummary(new Chalk({ level: 0 }), run, 'replay', 200).join('\n');
    expect(text).toContain(
      '✗ step 1: c1 PUT x=1 via s1 → never answered, but it completed with PUT_OK',
    );
    expect(terminalHighlights(run).map((h) => h.text)).toContain(
      'step 1: expected no answer, but it completed with PUT_OK',
    );
    const doc = traceDocument(run, { file: 'x.ts', goal: scenario.goal, replay: '' });
    expect(pageHighlights(doc).map((h) => h.text)).toContain(
      'step 1: c1 PUT x=1 via s1 should never be answered, but it completed with PUT_OK.',
    );
  });
});
