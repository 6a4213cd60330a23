// The scenario format is strict: each typo a user made (issue 8) and each malformed value that used
// to crash further on (issue 9) is refused at load with one sentence naming the fix, and every
// valid field is still accepted. The checker is called directly; test/cli.test.ts runs the command.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadScenario, scenarioFiles } from '../sim/cli/load.ts';
import { parseKnobFlags, parseSeed } from '../sim/cli/usage.ts';
import { planArb } from '../sim/explore/arbitraries.ts';
import { planToScenario } from '../sim/explore/plan.ts';
import { DEFAULT_BOUNDS } from '../sim/explore/search.ts';
import { parseTraceDocument, serializeTraceDocument, traceDocument } from '../sim/render/json.ts';
import { clean, nearest } from '../sim/scenario/errors.ts';
import { MAX_CHARS, MAX_SEED, MAX_STEPS } from '../sim/scenario/limits.ts';
import { runScenario, type Scenario, ScenarioError, validateScenario } from '../sim/scenario.ts';

const OK_STEP = { at: 0, client: 'c1', put: ['x', '1'] };

/** The checker's sentence for a scenario, or null when it accepts it. */
function refusal(raw: unknown): string | null {
  try {
    validateScenario(raw);
    return null;
  } catch (error) {
    if (error instanceof ScenarioError) return error.message;
    throw error;
  }
}

/** A scenario with one step (or other fields) changed. */
const withStep = (step: unknown, more: object = {}) => ({ goal: 'g', steps: [step], ...more });
const withField = (more: object) => ({ goal: 'g', steps: [OK_STEP], ...more });

describe('each typo of issue 8 is refused with the fix', () => {
  it.each([
    [
      'expects: for expect: (the scenario)',
      withField({ expects: {} }),
      /unknown field 'expects' in the scenario; did you mean 'expect'\?/,
    ],
    [
      'expects: for expect: (a step)',
      withStep({ ...OK_STEP, expects: 'PUT_OK' }),
      /unknown field 'expects' in step 1; did you mean 'expect'\?/,
    ],
    [
      'expect: { rpely }',
      withStep({ ...OK_STEP, expect: { rpely: 'PUT_OK' } }),
      /unknown field 'rpely' in step 1's expect; did you mean 'reply'\?/,
    ],
    [
      'expect: 5',
      withStep({ ...OK_STEP, expect: 5 }),
      /step 1: expect must be a reply name such as 'PUT_OK'.*\(got 5\)/,
    ],
    [
      'netwrok:',
      withField({ netwrok: { delayMinMs: 5 } }),
      /unknown field 'netwrok' in the scenario; did you mean 'network'\?/,
    ],
    [
      'put: "xy"',
      withStep({ at: 0, client: 'c1', put: 'xy' }),
      /step 1: put takes a key and a value, e.g. put: \['x', '1'\] \(got 'xy'\)/,
    ],
    [
      'put: ["x","1","2"]',
      withStep({ at: 0, client: 'c1', put: ['x', '1', '2'] }),
      /step 1: put takes a key and a value.*\(got \['x', '1', '2'\]\)/,
    ],
    [
      'put: [1, 2]',
      withStep({ at: 0, client: 'c1', put: [1, 2] }),
      /step 1: put takes a key and a value.*\(got \[1, 2\]\)/,
    ],
    [
      'at: 0n',
      withStep({ at: 0n, client: 'c1', put: ['x', '1'] }),
      /step 1: at must be a whole number of ms .*\(got 0n\)/,
    ],
    [
      'heal: false',
      withStep({ at: 0, heal: false }),
      /step 1: heal takes only true; leave it out rather than give false/,
    ],
    [
      'GET_OKAY',
      withStep({ at: 0, client: 'c1', get: 'x', expect: 'GET_OKAY' }),
      /step 1: expect 'GET_OKAY' is not a reply of the replicated store; did you mean 'GET_OK'\?/,
    ],
    [
      'clockStep byMs: 1e300',
      withStep({ at: 0, clockStep: 's1', byMs: 1e300 }),
      /step 1: byMs must be a whole number of ms from -1000000000 to 1000000000 \(got 1e\+300\)/,
    ],
  ])('%s', (_, raw, message) => {
    expect(refusal(raw)).toMatch(message);
  });
});

describe('malformed values of issue 9 are refused, not crashed on', () => {
  it.each([
    [
      'put: null',
      withStep({ at: 0, client: 'c1', put: null }),
      /put takes a key and a value.*\(got null\)/,
    ],
    [
      'put: {}',
      withStep({ at: 0, client: 'c1', put: {} }),
      /put takes a key and a value.*\(got an empty object\)/,
    ],
    // What was given, as written: a date read '(got an empty object)', a BigInt 'a list of 2'.
    [
      'at: a date',
      withStep({ ...OK_STEP, at: new Date(0) }),
      /step 1: at must be a whole number .*\(got a date\)$/,
    ],
    [
      'a BigInt value',
      withStep({ at: 0, client: 'c1', put: ['x', 10n] }),
      /put takes a key and a value.*\(got \['x', 10n\]\)$/,
    ],
    [
      'expect: null',
      withStep({ ...OK_STEP, expect: null }),
      /step 1: expect must be a reply name.*\(got null\)/,
    ],
    [
      'a note that is a number',
      withStep({ ...OK_STEP, note: 5 }),
      /step 1: note must be a text.*\(got 5\)/,
    ],
    [
      'a note that is an object',
      withStep({ ...OK_STEP, note: { a: 1 } }),
      /step 1: note must be a text.*\(got an object\)/,
    ],
    [
      'a 1 MB key',
      withStep({ at: 0, client: 'c1', get: 'k'.repeat(1 << 20) }),
      /step 1: get is 1048576 characters long; at most 100 are allowed/,
    ],
    [
      'a 1 MB value',
      withStep({ at: 0, client: 'c1', put: ['x', 'v'.repeat(1 << 20)] }),
      /step 1: put \(value\) is 1048576 characters long; at most 1000/,
    ],
    [
      'a hundred thousand steps with a 500-character note each (three characters too many in all)',
      withField({
        steps: [
          ...Array.from({ length: 100_000 }, (_, i) => ({
            at: i,
            heal: true,
            note: 'n'.repeat(500),
          })),
          { at: 0, client: 'c1', get: 'x' },
        ],
      }),
      /^steps hold 50000003 characters of text \(notes, keys, values, names\) in all; at most 50000000 are allowed \(the format's limit\): shorten the notes, or use fewer steps$/,
    ],
    [
      '2000 server names',
      withField({ servers: Array.from({ length: 2000 }, (_, i) => `s${i + 1}`) }),
      /servers must be a count from 1 to 64 or a list of 1 to 64 names \(got a list of 2000\)/,
    ],
    ['65 clients', withField({ clients: 65 }), /clients must be a count from 1 to 64/],
    [
      'a seed past 2^53-1',
      withField({ seed: 2 ** 53 }),
      /seed must be a whole number from 0 to 9007199254740991/,
    ],
    [
      'a knob named __proto__',
      withField({ knobs: JSON.parse('{"__proto__": "x"}') }),
      /unknown field '__proto__' in knobs/,
    ],
    [
      'a knob of the wrong value',
      withField({ knobs: { followerApply: 'sideways' } }),
      /^knobs.followerApply must be one of overwrite, newer-wins \(got 'sideways'\)$/,
    ],
    // The command line's spelling of a number, in quotes, is refused in a file like '1e3' is.
    [
      'a number knob as text',
      withField({ knobs: { replicationDelay: '100' } }),
      /^knobs.replicationDelay must be an integer from 0 to 3600000 \(ms\), written as a number without quotes \(got '100'\)$/,
    ],
    [
      'a misspelt knob',
      withField({ knobs: { folowerApply: 'overwrite' } }),
      /unknown field 'folowerApply' in knobs; did you mean 'followerApply'\?/,
    ],
    [
      "the other store's knob",
      withField({ knobs: { lockLease: 5 } }),
      /knobs: lockLease is a knob of the lock store; this scenario's store is replicated; its knobs are: replicationDelay, .*\(a scenario chooses its store with store: 'replicated' or 'lock'\)/,
    ],
    [
      "a network delay past the network's range",
      withField({ network: { delayMaxMs: 1e12 } }),
      /network.delayMaxMs must be an integer from 1 to 3600000/,
    ],
    [
      'a network delay that is not a number',
      withField({ network: { delayMinMs: NaN } }),
      /network.delayMinMs must be a whole number \(got NaN\)/,
    ],
    [
      'a clock skew past the range',
      withField({ clockSkewMs: { s1: 1e10 } }),
      /clockSkewMs.s1 must be a whole number of ms from -1000000000 to 1000000000/,
    ],
    [
      'a clock skew for a node that is not there',
      withField({ clockSkewMs: { s11: 5 } }),
      /clockSkewMs 's11' is not a node; did you mean 's1'\?/,
    ],
    [
      'at past the time range',
      withStep({ ...OK_STEP, at: 2e9 }),
      /step 1: at must be a whole number of ms from 0 to 1000000000 \(got 2000000000\)/,
    ],
    [
      'a fractional at',
      withStep({ ...OK_STEP, at: 0.5 }),
      /step 1: at must be a whole number of ms/,
    ],
    [
      'runUntilMs: Infinity',
      withField({ runUntilMs: Infinity }),
      /runUntilMs must be a whole number of ms from 1 to 1000000000 \(got Infinity\)/,
    ],
    [
      'livenessBoundMs past runUntilMs',
      withField({ runUntilMs: 40_000, livenessBoundMs: 50_000 }),
      /livenessBoundMs must be a whole number of ms from 0 to 40000 \(got 50000\)/,
    ],
    [
      'a lock-store reply in a replicated scenario',
      withStep({ ...OK_STEP, expect: 'LOCK_DENIED' }),
      /'LOCK_DENIED' is not a reply of the replicated store/,
    ],
    [
      'a replicated reply in a lock scenario',
      withStep({ ...OK_STEP, expect: 'TRY_OTHER_SERVER_OR_LATER' }, { store: 'lock' }),
      /is not a reply of the lock store; the replies are: PUT_OK, GET_OK, NULL, DELETE_OK, LOCK_DENIED, LOCK_NOT_ACQUIRED, STALE_TOKEN/,
    ],
    [
      'pending: false',
      withStep({ ...OK_STEP, expect: { pending: false } }),
      /step 1: expect.pending takes only true/,
    ],
    ['an empty expectation', withStep({ ...OK_STEP, expect: {} }), /step 1: expect names nothing/],
    // Both ran before, and said nothing or failed only after the run.
    [
      'no steps at all',
      { goal: 'g', steps: [] },
      /^steps is empty: give a run at least one step, e.g. steps: \[\{ at: 0, client: 'c1', put: \['x', '1'\] \}\]$/,
    ],
    [
      'a step after runUntilMs',
      { goal: 'g', runUntilMs: 1000, steps: [OK_STEP, { ...OK_STEP, at: 1001 }] },
      /^step 2 is at 1001 ms, after runUntilMs \(1000 ms\), so the run would end before it; raise runUntilMs or take the step out$/,
    ],
    [
      'a step with two actions',
      withStep({ ...OK_STEP, get: 'x' }),
      /step 1 names put and get: give each its own step/,
    ],
    [
      'a misspelt action',
      withStep({ at: 0, client: 'c1', pu: ['x', '1'] }),
      /unknown field 'pu' in step 1; did you mean 'put'\?/,
    ],
    [
      'a step that does nothing',
      withStep({ at: 0 }),
      /step 1 does nothing: give it one of put, get, delete/,
    ],
    [
      'byMs on a crash',
      withStep({ at: 0, crash: 's2', byMs: 5 }),
      /unknown field 'byMs' in step 1; the fields are: at, note, crash/,
    ],
    ['a cut without to', withStep({ at: 0, cut: { from: ['s1'] } }), /step 1: cut needs 'to'/],
    [
      'a hold of one node',
      withStep({ at: 0, hold: ['s1'] }),
      /step 1: hold takes a link of two node names/,
    ],
    [
      'a node name with a control character',
      withField({ clients: ['c1', 'c\u001b[2J'] }),
      /clients \(name 2\) contains a control or invisible character \('c\\x1b\[2J'\)/,
    ],
    [
      'a goal with an OSC 52 clipboard write',
      { goal: '\u001b]52;c;aGk=\u0007', steps: [] },
      /goal contains a control or invisible character \('\\x1b\]52;c;aGk=\\x07'\)/,
    ],
    [
      'a class instance for network',
      withField({ network: new Map() }),
      /network must be an object such as \{ delayMinMs: 1, delayMaxMs: 10 \}/,
    ],
    ['no goal', { steps: [] }, /the scenario needs 'goal'/],
    [
      'stpes for steps',
      { goal: 'g', stpes: [] },
      /unknown field 'stpes' in the scenario; did you mean 'steps'\?/,
    ],
    [
      'a store that does not exist',
      withField({ store: 'lok' }),
      /store is 'lok', not one of the stores; did you mean 'lock'\?/,
    ],
    [
      'a lock store with three servers',
      withField({ store: 'lock', servers: 3 }),
      /the lock store has exactly one server \(got 3\)/,
    ],
    ['a node named twice', withField({ servers: ['s1', 'c1'] }), /node name 'c1' is used twice/],
  ])('%s', (_, raw, message) => {
    const said = refusal(raw);
    expect(said).toMatch(message);
    expect(said).not.toMatch(/\p{Cc}/u);
  });
});

describe('a list with an empty place ([a, , b] in a scenario file) is refused, naming it', () => {
  /** `items` with nothing at index `at`: what `[a, , b]` makes. */
  const holed = (items: unknown[], at: number) => {
    const list = [...items];
    delete list[at];
    return list;
  };
  const step2 = (step: object) => ({ goal: 'g', steps: [OK_STEP, step] });
  it.each([
    ['steps', { goal: 'g', steps: holed([OK_STEP, OK_STEP, OK_STEP], 1) }, 'steps', 2],
    ['servers', withField({ servers: holed(['s1', 's2', 's3'], 1) }), 'servers', 2],
    ['clients', withField({ clients: holed(['c1', 'c2', 'c3'], 0) }), 'clients', 1],
    [
      "a put's pair",
      withStep({ at: 0, client: 'c1', put: holed(['x', '1'], 1) }),
      'step 1: put',
      2,
    ],
    [
      'a partition',
      step2({ at: 1, partition: holed([['s1'], ['c1'], ['s2']], 1) }),
      'step 2: partition',
      2,
    ],
    [
      "a partition's group",
      step2({ at: 1, partition: [holed(['s1', 'c1', 's2'], 1), ['s3']] }),
      'step 2: partition (group 1)',
      2,
    ],
    [
      "a cut's side",
      step2({ at: 1, cut: { from: holed(['s1', 's2', 's3'], 1), to: ['c1'] } }),
      'step 2: cut.from',
      2,
    ],
    ['a held link', step2({ at: 1, hold: holed(['s1', 'c1'], 1) }), 'step 2: hold', 2],
    [
      'the violations expected',
      withField({ expect: { violations: holed(['convergence', 'liveness'], 0) } }),
      'expect.violations',
      1,
    ],
  ])('in %s', (_, raw, where, place) => {
    // Every later walk skips an empty place: it reached the run as undefined (a stack trace, or
    // a server list of three with two servers), or an expectation named "undefined".
    expect(refusal(raw)).toBe(
      `${where} has nothing at place ${place} (a comma with nothing before it): remove that comma`,
    );
  });
});

describe('what the format accepts', () => {
  it('every field at once, including livenessBoundMs, passed through untouched', () => {
    const full = {
      goal: 'every field',
      store: 'replicated',
      preset: 'seed',
      servers: ['s1', 's2', 's3'],
      leader: 's2',
      clients: 2,
      knobs: { followerApply: 'overwrite', replicationDelay: 0 },
      network: { delayMinMs: 5, delayMaxMs: 5, fifo: true },
      clockSkewMs: { s1: -200, c1: 3 },
      seed: MAX_SEED,
      runUntilMs: 60_000,
      livenessBoundMs: 30_000,
      steps: [
        { at: 0, client: 'c1', put: ['x', ''], via: 's1', expect: 'PUT_OK', note: 'n' },
        { at: 1, client: 'c2', get: 'x', expect: { reply: 'GET_OK', value: '', server: 's1' } },
        { at: 2, client: 'c2', delete: 'x', expect: { pending: true } },
        { at: 2, client: 'c1', get: 'x', expect: { value: null } },
        { at: 3, crash: 's3' },
        { at: 4, restart: 's3' },
        {
          at: 5,
          partition: [
            ['s1', 'c1'],
            ['s2', 's3', 'c2'],
          ],
        },
        { at: 6, cut: { from: ['s1'], to: ['s3'] } },
        { at: 7, heal: true },
        { at: 8, hold: ['s1', 's2'] },
        { at: 9, release: ['s1', 's2'] },
        { at: 10, clockStep: 's1', byMs: -1_000_000_000 },
      ],
      expect: { violations: ['convergence'], findings: [] },
    };
    expect(refusal(full)).toBeNull();
    expect(validateScenario(full).livenessBoundMs).toBe(30_000);
  });

  it('the lock store takes its own replies', () => {
    const lock = withStep(
      { at: 0, client: 'c1', get: 'x', expect: 'LOCK_DENIED' },
      { store: 'lock' },
    );
    expect(refusal(lock)).toBeNull();
  });

  it('a seed at the top of the range runs, and the command line takes the same seed back', () => {
    const run = runScenario(validateScenario(withField({ seed: MAX_SEED })), { trace: false });
    expect(run.seed).toBe(MAX_SEED);
    expect(parseSeed(String(run.seed))).toBe(MAX_SEED);
    expect(() => parseSeed(String(MAX_SEED + 1))).toThrow(
      /--seed must be a whole number from 0 to 9007199254740991/,
    );
  });

  it('--knob __proto__=… becomes a knob of its own name, which the run refuses', () => {
    const knobs = parseKnobFlags(['__proto__=1']);
    expect(Object.keys(knobs)).toEqual(['__proto__']);
    expect(() => runScenario(validateScenario(withField({})), { knobs })).toThrow(
      /unknown knob '__proto__'/,
    );
  });

  it('steps up to the limit, and not one more: a run costs memory for each', () => {
    const steps = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ at: i, client: 'c1', get: 'x' }));
    expect(refusal({ goal: 'g', steps: steps(MAX_STEPS + 1) })).toBe(
      `steps must list 1 to ${MAX_STEPS} items (got ${MAX_STEPS + 1})`,
    );
    expect(refusal({ goal: 'g', steps: steps(MAX_STEPS) })).toBeNull();
  });

  it('texts at the limits are accepted', () => {
    const step = {
      at: 0,
      client: 'c1',
      put: ['k'.repeat(MAX_CHARS.key), 'v'.repeat(MAX_CHARS.value)],
    };
    expect(refusal(withStep({ ...step, note: 'n'.repeat(MAX_CHARS.note) }))).toBeNull();
  });
});

describe('an expectation no run can meet is refused at load, not after the run', () => {
  const get = { at: 0, client: 'c1', get: 'x' };
  const del = { at: 0, client: 'c1', delete: 'x' };
  it.each([
    [
      'NULL with a value',
      withStep({ ...get, expect: { reply: 'NULL', value: 'v' } }),
      "step 1: expect asks for NULL with value 'v', which a GET never ends with: it ends with GET_OK with the value read, or NULL or TRY_OTHER_SERVER_OR_LATER with no value",
    ],
    [
      'a PUT expecting GET_OK',
      withStep({ ...OK_STEP, expect: 'GET_OK' }),
      "step 1: expect asks for GET_OK, which a PUT never ends with: it ends with PUT_OK with value '1'",
    ],
    [
      'a GET expecting PUT_OK',
      withStep({ ...get, expect: { reply: 'PUT_OK' } }),
      'step 1: expect asks for PUT_OK, which a GET never ends with: it ends with GET_OK with the value read, or NULL or TRY_OTHER_SERVER_OR_LATER with no value',
    ],
    [
      'GET_OK with no value',
      withStep({ ...get, expect: { reply: 'GET_OK', value: null } }),
      /^step 1: expect asks for GET_OK with no value, which a GET never ends with/,
    ],
    [
      'a PUT expecting a value other than its own',
      withStep({ ...OK_STEP, expect: { value: '2' } }),
      "step 1: expect asks for a reply with value '2', which a PUT never ends with: it ends with PUT_OK with value '1'",
    ],
    [
      'a replicated PUT expecting no value (it is only ever answered PUT_OK)',
      withStep({ ...OK_STEP, expect: { value: null } }),
      /^step 1: expect asks for a reply with no value, which a PUT never ends with/,
    ],
    [
      'a lock-store DELETE expecting a value',
      withStep({ ...del, expect: { value: '1' } }, { store: 'lock' }),
      "step 1: expect asks for a reply with value '1', which a DELETE never ends with: it ends with DELETE_OK or LOCK_DENIED or LOCK_NOT_ACQUIRED or STALE_TOKEN with no value",
    ],
    [
      'a replicated DELETE refused as a GET is',
      withStep({ ...del, expect: 'TRY_OTHER_SERVER_OR_LATER' }),
      /^step 1: expect asks for TRY_OTHER_SERVER_OR_LATER, which a DELETE never ends with: it ends with DELETE_OK with no value$/,
    ],
  ])('%s', (_name, raw, message) => {
    if (typeof message === 'string') expect(refusal(raw)).toBe(message);
    else expect(refusal(raw)).toMatch(message);
  });

  it('what a run can end with stays allowed', () => {
    expect(refusal(withStep({ ...OK_STEP, expect: { reply: 'PUT_OK', value: '1' } }))).toBeNull();
    expect(refusal(withStep({ ...get, expect: { value: null } }))).toBeNull();
    expect(
      refusal(withStep({ ...OK_STEP, expect: { value: null } }, { store: 'lock' })),
    ).toBeNull();
    expect(refusal(withStep({ ...get, expect: { pending: true } }))).toBeNull();
  });

  it('every outcome a run records may be expected, and the run then meets it', async () => {
    const scenarios: Scenario[] = [];
    for (const file of scenarioFiles()) scenarios.push(await loadScenario(file));
    for (const plan of fc.sample(planArb(DEFAULT_BOUNDS), { numRuns: 60, seed: 7 }))
      for (const store of ['replicated', 'lock'] as const)
        for (const preset of ['seed', 'fixed'])
          scenarios.push(planToScenario(plan, { store, preset, knobs: {} }) as Scenario);
    const seen = new Set<string>();
    for (const scenario of scenarios) {
      const run = runScenario(scenario, { trace: false });
      const steps: Record<string, unknown>[] = scenario.steps.map((s) => ({ ...s }));
      for (const o of run.outcomes) {
        const op = o.operation;
        if (op === undefined) continue;
        const done = op.completedAt !== null;
        steps[o.step - 1]!.expect = done
          ? { reply: op.reply, value: op.result }
          : { pending: true };
        seen.add(`${op.op} ${done ? op.reply : 'pending'}${op.result === null ? '' : ' +value'}`);
      }
      const written = { ...scenario, steps };
      expect(refusal(written)).toBeNull();
      const again = runScenario(validateScenario(written), { trace: false });
      expect(again.outcomes.filter((o) => o.failure !== null)).toEqual([]);
    }
    // Refusals, answers without a value and pending operations are among them, not only PUT_OK.
    for (const outcome of [
      'get TRY_OTHER_SERVER_OR_LATER',
      'get NULL',
      'get GET_OK +value',
      'put PUT_OK +value',
      'delete DELETE_OK',
      'put LOCK_DENIED',
      'put pending',
    ])
      expect(seen).toContain(outcome);
  });
});

describe('an expected verdict the store never gives is refused at load, not after the run', () => {
  it.each([
    [
      'a guarantee of the other store',
      withField({ expect: { violations: ['mutual-exclusion'] } }),
      "expect.violations (item 1) is mutual-exclusion, which the replicated store's checkers never judge; its violations are monotonic-reads, monotonic-writes, read-your-writes, writes-follow-reads, convergence, liveness, unique-timestamps",
    ],
    [
      "the lock store's missing finding",
      withField({ store: 'lock', expect: { findings: ['causality'] } }),
      "expect.findings (item 1) is causality, which the lock store's checkers never judge; its findings are linearizability",
    ],
    [
      'a guarantee as a finding',
      withField({ expect: { findings: ['convergence'] } }),
      'expect.findings (item 1) is convergence, which is a guarantee, never an informative finding: list it under violations',
    ],
    [
      'a finding as a violation (the second item)',
      withField({ expect: { violations: ['liveness', 'linearizability'] } }),
      'expect.violations (item 2) is linearizability, which is an informative finding, never a violation: list it under findings',
    ],
  ])('%s', (_name, raw, message) => {
    expect(refusal(raw)).toBe(message);
  });

  it('every verdict a run gives may be expected, and the run then meets it', async () => {
    const scenarios: Scenario[] = [];
    for (const file of scenarioFiles()) scenarios.push(await loadScenario(file));
    for (const plan of fc.sample(planArb(DEFAULT_BOUNDS), { numRuns: 20, seed: 9 }))
      for (const store of ['replicated', 'lock'] as const)
        scenarios.push(planToScenario(plan, { store, preset: 'seed', knobs: {} }) as Scenario);
    const seen = new Set<string>();
    for (const scenario of scenarios) {
      const run = runScenario(scenario, { trace: false });
      const broken = (informative: boolean) =>
        run.verdicts
          .filter((v) => v.status === 'broken' && v.informative === informative)
          .map((v) => v.guarantee);
      const wanted = { violations: broken(false), findings: broken(true) };
      for (const g of [...wanted.violations, ...wanted.findings]) seen.add(g);
      const written = { ...scenario, expect: wanted };
      expect(refusal(written)).toBeNull();
      expect(runScenario(validateScenario(written), { trace: false }).verdictFailures).toEqual([]);
    }
    expect(seen).toContain('mutual-exclusion');
    expect(seen).toContain('causality');
    expect(seen).toContain('linearizability');
  });
});

describe('a fault on links whose links are unclear is refused at load', () => {
  it.each([
    [
      'a node in two groups of a partition',
      withStep({
        at: 0,
        partition: [
          ['s1', 'c1'],
          ['s1', 's2'],
        ],
      }),
      "step 1: partition names 's1' in groups 1 and 2, so which of its links are cut is unclear; keep it in one group",
    ],
    [
      'a node twice in one group',
      withStep({ at: 0, partition: [['s2', 's2'], ['s1']] }),
      "step 1: partition names 's2' twice in group 1; name it once",
    ],
    [
      'a held link from a node to itself',
      withStep({ at: 0, hold: ['s1', 's1'] }),
      "step 1: hold is a link from 's1' to itself, which no message takes; name two nodes, e.g. ['s1', 's3']",
    ],
  ])('%s', (_name, raw, message) => {
    expect(refusal(raw)).toBe(message);
  });

  it('disjoint groups, sides and two nodes stay allowed', () => {
    expect(
      refusal(
        withStep({
          at: 0,
          partition: [
            ['s1', 'c1'],
            ['s2', 's3'],
          ],
        }),
      ),
    ).toBeNull();
    expect(refusal(withStep({ at: 0, cut: { from: ['s1'], to: ['s2', 's3'] } }))).toBeNull();
    // A cut is every from → to link: a node on both sides cuts its links each way, itself aside.
    expect(refusal(withStep({ at: 0, cut: { from: ['c1', 's1'], to: ['s1', 's2'] } }))).toBeNull();
    expect(refusal(withStep({ at: 0, release: ['s1', 's3'] }))).toBeNull();
  });
});

describe('step times', () => {
  it('a step at runUntilMs runs, and so do steps listed out of time order (a lab edit goes last)', () => {
    const at = (t: number) => ({ ...OK_STEP, at: t });
    const run = runScenario(
      validateScenario({ goal: 'g', runUntilMs: 1000, steps: [at(500), at(0), at(1000)] }),
      { trace: false },
    );
    // Each by its own time: the one at the bound too.
    expect(run.outcomes.map((o) => o.operation?.invokedAt)).toEqual([500, 0, 1000]);
  });
});

describe('scenarios written by a program', () => {
  it('every case the explorer can write is a scenario the checker accepts', () => {
    const plans = fc.sample(planArb(DEFAULT_BOUNDS), { numRuns: 200, seed: 1 });
    for (const plan of plans) {
      for (const store of ['replicated', 'lock'] as const) {
        const knobs = store === 'lock' ? { fencing: 'token' } : { followerApply: 'overwrite' };
        const scenario = planToScenario(plan, { store, preset: 'fixed', knobs });
        // Through JSON, as the case file holds it.
        expect(refusal(JSON.parse(JSON.stringify(scenario)))).toBeNull();
      }
    }
  });
});

describe('the sentences themselves', () => {
  it('suggest the nearest name only when it is near', () => {
    expect(nearest('expects', ['goal', 'steps', 'expect'])).toBe('expect');
    expect(nearest('netwrok', ['network', 'knobs'])).toBe('network');
    expect(nearest('GET_OKAY', ['GET_OK', 'PUT_OK', 'NULL'])).toBe('GET_OK');
    expect(nearest('put_ok', ['GET_OK', 'PUT_OK'])).toBe('PUT_OK');
    expect(nearest('banana', ['goal', 'steps', 'expect'])).toBeNull();
  });

  it('never show a control character or a lone surrogate raw, and cut long texts', () => {
    expect(clean('a\u001b[2Jb\u009b\u202e\ud800')).toBe('a\\x1b[2Jb\\x9b\\u202e\\ud800');
    // Cut to 60 characters, the ellipsis included.
    expect(clean('x'.repeat(100))).toBe(`${'x'.repeat(59)}…`);
  });
});

describe("types: a scenario may expect only its own store's replies", () => {
  it('is checked by the compiler (npm run check fails if these lines compile wrongly)', () => {
    const replicated = {
      goal: 'g',
      steps: [
        // @ts-expect-error GET_OKAY is no reply of the replicated store
        { at: 0, client: 'c1', get: 'x', expect: 'GET_OKAY' },
      ],
    } satisfies Scenario;
    const lock = {
      goal: 'g',
      store: 'lock',
      steps: [{ at: 0, client: 'c1', get: 'x', expect: 'TRY_OTHER_SERVER_OR_LATER' }],
      // @ts-expect-error TRY_OTHER_SERVER_OR_LATER is no reply of the lock store
    } satisfies Scenario;
    const good = {
      goal: 'g',
      store: 'lock',
      steps: [{ at: 0, client: 'c1', get: 'x', expect: { reply: 'LOCK_DENIED' } }],
    } satisfies Scenario;
    expect([replicated, lock, good].map(refusal).map((m) => m === null)).toEqual([
      false,
      false,
      true,
    ]);
  });
});

describe('node names that are fields of every JavaScript object', () => {
  const names = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf'];

  it.each(names)('a leader named %s stamps its writes and answers them', (name) => {
    const run = runScenario(
      {
        goal: `a leader named ${name}`,
        servers: [name, 's2', 's3'],
        clients: ['c1'],
        steps: [{ at: 0, client: 'c1', put: ['x', '1'], via: name, expect: 'PUT_OK' }],
      },
      { trace: false },
    );
    const [put] = run.result.history.operations;
    expect(put).toMatchObject({ reply: 'PUT_OK', server: name });
    expect(Number.isInteger(put!.ts)).toBe(true);
    expect(run.verdicts.filter((v) => v.status !== 'held')).toEqual([]);
  });

  it.each(['replicated', 'lock'] as const)(
    '%s store: a saved trace gives every such node its clock skew, and reads back',
    (store) => {
      const scenario: Scenario = {
        goal: 'prototype names everywhere',
        store,
        servers: store === 'lock' ? ['constructor'] : ['constructor', 'toString'],
        clients: ['valueOf', 'hasOwnProperty'],
        clockSkewMs: { hasOwnProperty: 7 },
        steps: [{ at: 0, client: 'valueOf', put: ['x', '1'] }],
      };
      const run = runScenario(scenario);
      const doc = traceDocument(run, { file: 'names.ts', goal: scenario.goal, replay: '' });
      // Servers, then clients, each with its skew (hasOwnProperty's the only one set).
      expect(doc.nodes.map((n) => [n.id, n.clockSkewMs])).toEqual([
        ['constructor', 0],
        ...(store === 'lock' ? [] : [['toString', 0]]),
        ['valueOf', 0],
        ['hasOwnProperty', 7],
      ]);
      expect(() => parseTraceDocument(serializeTraceDocument(doc))).not.toThrow();
    },
  );
});
