// The lock store's anomalies A5 and A6 against their fixes, and random workloads with faults: the
// `fixed` preset keeps mutual exclusion and liveness, while the `seed` preset is caught within a
// fixed budget of runs searched from seed 1 upward.

import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { brokenGuarantees, type GuaranteeId } from '../sim/check/index.ts';
import { loadScenario } from '../sim/cli/load.ts';
import { runScenario, type Scenario, type Step } from '../sim/scenario.ts';

const CLIENTS = ['c1', 'c2', 'c3'] as const;
const KEYS = ['x', 'y'] as const;
/** The guarantees of the lock store's own: whose breaking catches the seed preset. */
const LOCK_GUARANTEES: readonly GuaranteeId[] = ['mutual-exclusion', 'liveness'];

async function broken(file: string, knobs: Record<string, string> = {}, preset?: string) {
  const run = runScenario(await loadScenario(file), { knobs, preset, trace: false });
  return brokenGuarantees(run.verdicts);
}

function violation(run: ReturnType<typeof runScenario>, guarantee: GuaranteeId) {
  return run.verdicts.find((v) => v.guarantee === guarantee)?.violations[0];
}

describe('A5: a lock released by a stranger', () => {
  const file = 'scenarios/lock-released-by-stranger.ts';

  it('shows two holders under the seed, with the witness', async () => {
    const run = runScenario(await loadScenario(file), { trace: false });
    expect(brokenGuarantees(run.verdicts)).toEqual(['mutual-exclusion']);
    expect(violation(run, 'mutual-exclusion')).toMatchObject({
      ops: [2, 3],
      sentence:
        "c3 was granted x's lock for c3.1 at 1.105s while c1 still held it for c1.1 (c2 had released c1's lock at 1.025s)",
    });
  });

  it.each([
    ['lockOwnerCheck=holder', { lockOwnerCheck: 'holder' }, undefined],
    ['the fixed preset', {}, 'fixed'],
  ])('keeps every guarantee under %s', async (_, knobs, preset) => {
    expect(await broken(file, knobs, preset)).toEqual([]);
  });
});

describe('A6: a crashed holder blocks the key', () => {
  const file = 'scenarios/crashed-holder-blocks-key.ts';

  it('locks x forever under the seed, naming the crash and the first denied request', async () => {
    const run = runScenario(await loadScenario(file), { trace: false });
    expect(brokenGuarantees(run.verdicts)).toEqual(['liveness']);
    expect(violation(run, 'liveness')).toMatchObject({
      ops: [1, 2],
      sentence:
        "Key x is locked forever: its lock was granted to c1 for c1.1 at 0.005s, c1 crashed at 0.018s, and no release or lease will free it; c2's PUT x=2 (op 2, c2.1, issued at 2.000s) was denied",
    });
  });

  it.each([
    ['lockLease=5000', { lockLease: '5000' }, undefined],
    ['the fixed preset', {}, 'fixed'],
  ])('frees the key under %s', async (_, knobs, preset) => {
    expect(await broken(file, knobs, preset)).toEqual([]);
  });

  it('explains an operation left waiting while a crashed client holds the lock', () => {
    const run = runScenario(
      {
        goal: 'c2 waits for an answer while x is held by a crashed c1',
        store: 'lock',
        preset: 'seed',
        network: { delayMinMs: 5, delayMaxMs: 5 },
        steps: [
          { at: 0, client: 'c1', put: ['x', '1'] },
          { at: 18, crash: 'c1' },
          { at: 100, partition: [['c2'], ['s1', 'c1']] },
          { at: 101, client: 'c2', put: ['x', '2'] },
          { at: 200, heal: true },
        ],
      },
      { trace: false },
    );
    const sentences = run.verdicts.find((v) => v.guarantee === 'liveness')?.violations;
    expect(sentences?.map((v) => v.sentence)).toContain(
      "c2's PUT x=2 (op 2, c2.1, issued at 0.101s) never completed: c2 is acquiring x and waits for LOCK_GRANTED or LOCK_DENIED from s1, attempt 1; x's lock is held by c1 (c1 is down), granted for c1.1, and no lease will free it",
    );
  });
});

// ---- Random workloads with faults ------------------------------------------------------------

interface LockPlan {
  readonly seed: number;
  readonly network: {
    readonly delayMinMs: number;
    readonly delaySpreadMs: number;
    readonly dropPermille: number;
    readonly duplicatePermille: number;
  };
  readonly ops: readonly {
    readonly gapMs: number;
    readonly client: number;
    readonly kind: 'put' | 'get' | 'delete';
    readonly key: number;
  }[];
  /** A client crashes and restarts, or is cut off from the server for a while. */
  readonly faults: readonly {
    readonly kind: 'crash' | 'partition';
    readonly client: number;
    readonly atMs: number;
    readonly forMs: number;
  }[];
}

/** Zero shrinks first: a fault that is off is the simplest. */
const sometimes = (max: number) => fc.oneof(fc.constant(0), fc.integer({ min: 1, max }));

const planArb: fc.Arbitrary<LockPlan> = fc.record({
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  network: fc.record({
    delayMinMs: fc.integer({ min: 1, max: 10 }),
    delaySpreadMs: sometimes(40),
    dropPermille: sometimes(100),
    duplicatePermille: sometimes(500),
  }),
  ops: fc.array(
    fc.record({
      gapMs: fc.integer({ min: 0, max: 15 }),
      client: fc.nat({ max: CLIENTS.length - 1 }),
      kind: fc.constantFrom('put', 'get', 'delete'),
      key: fc.nat({ max: KEYS.length - 1 }),
    }),
    { minLength: 1, maxLength: 40, size: 'large' },
  ),
  faults: fc.array(
    fc.record({
      kind: fc.constantFrom('crash', 'partition'),
      client: fc.nat({ max: CLIENTS.length - 1 }),
      atMs: fc.nat({ max: 400 }),
      forMs: fc.integer({ min: 1, max: 8_000 }),
    }),
    { maxLength: 3 },
  ),
});

/** The plan as a scenario: the operations, each fault and its end, and a heal after everything. */
function scenarioOf(plan: LockPlan): Scenario {
  const steps: Step[] = [];
  let at = 0;
  plan.ops.forEach((o, i) => {
    at += o.gapMs;
    const client = CLIENTS[o.client]!;
    const key = KEYS[o.key]!;
    if (o.kind === 'put') steps.push({ at, client, put: [key, String(i + 1)] });
    else if (o.kind === 'get') steps.push({ at, client, get: key });
    else steps.push({ at, client, delete: key });
  });
  let end = at;
  for (const f of plan.faults) {
    const client = CLIENTS[f.client]!;
    const over = f.atMs + f.forMs;
    end = Math.max(end, over);
    if (f.kind === 'crash')
      steps.push({ at: f.atMs, crash: client }, { at: over, restart: client });
    else steps.push({ at: f.atMs, partition: [[client], ['s1']] }, { at: over, heal: true });
  }
  steps.push({ at: end + 1, heal: true });
  const { delayMinMs, delaySpreadMs, dropPermille, duplicatePermille } = plan.network;
  return {
    goal: 'a random lock-store workload with faults',
    store: 'lock',
    clients: [...CLIENTS],
    network: {
      delayMinMs,
      delayMaxMs: delayMinMs + delaySpreadMs,
      dropPermille,
      duplicatePermille,
    },
    seed: plan.seed,
    steps: [...steps].sort((a, b) => a.at - b.at),
  };
}

function lockGuaranteesBroken(plan: LockPlan, preset: 'seed' | 'fixed'): GuaranteeId[] {
  const run = runScenario(scenarioOf(plan), { preset, trace: false });
  return brokenGuarantees(run.verdicts).filter((g) => LOCK_GUARANTEES.includes(g));
}

/** The same plan with no loss, no crash and no partition: only duplicates and reordering remain. */
function lockFlawsOnly(plan: LockPlan): LockPlan {
  return { ...plan, network: { ...plan.network, dropPermille: 0 }, faults: [] };
}

/** Plan number n of a search: the plan fast-check draws from seed n, so n replays it. */
function planNumber(n: number): LockPlan {
  const [plan] = fc.sample(planArb, { seed: n, numRuns: 1 });
  return plan!;
}

/** The first plan, from 1 upward within the budget, under which the seed preset breaks each guarantee. */
function search(budget: number, shape: (plan: LockPlan) => LockPlan) {
  const first = new Map<GuaranteeId, number>();
  for (let n = 1; n <= budget && first.size < LOCK_GUARANTEES.length; n++) {
    for (const g of lockGuaranteesBroken(shape(planNumber(n)), 'seed'))
      if (!first.has(g)) first.set(g, n);
  }
  return first;
}

describe('random workloads with faults', () => {
  test.prop([planArb], { numRuns: 400 })(
    'the fixed preset keeps mutual exclusion and liveness',
    (plan) => {
      expect(lockGuaranteesBroken(plan, 'fixed')).toEqual([]);
    },
  );

  it('the seed preset is caught within 20 runs, searching from plan 1 upward', () => {
    // Measured: plan 2 breaks liveness (a lost message that nobody resends leaves an operation
    // waiting, its lock held); mutual exclusion first breaks at plan 216.
    expect(search(20, (plan) => plan).get('liveness')).toBeLessThanOrEqual(20);
  });

  it('the seed preset is caught by its lock flaws alone, with only duplicates and reordering', () => {
    // Measured: plan 75 breaks liveness (a late copy of an ACQUIRE_LOCK takes the lock again after
    // its operation released it: A6 without a crash); plan 110 breaks mutual exclusion (a late copy
    // of a RELEASE_LOCK frees another client's lock: A5).
    const first = search(300, lockFlawsOnly);
    expect(first.get('liveness')).toBeLessThanOrEqual(300);
    expect(first.get('mutual-exclusion')).toBeLessThanOrEqual(300);
  });

  it('fast-check finds such a run from seed 1 and shrinks it', () => {
    const keeps = fc.property(
      planArb.map(lockFlawsOnly),
      (plan) => lockGuaranteesBroken(plan, 'seed').length === 0,
    );
    const result = fc.check(keeps, { seed: 1, numRuns: 300 });
    // Measured: found on run 10 and shrunk (38 steps) to 8 operations on two keys, 5‰ duplicates;
    // the simulator's seed is part of the plan, so fewer operations rarely keep the same copies.
    expect(result.failed).toBe(true);
    expect(result.counterexample?.[0].ops.length).toBeLessThanOrEqual(8);
  });
});
