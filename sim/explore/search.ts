// The random search shared by `npm run explore`, its worker threads, the property tests and the
// bench. Run i of a search draws its plan from its own seed (derived from the search's seed and i),
// so runs are independent: any number of workers, or shards on other machines, can split them,
// and "the first violation" is the one with the lowest run index, whoever finds it. A violating
// plan is shrunk by fast-check, then its scenario loses every step it does not need.

import fc from 'fast-check';
import { brokenGuarantees, type GuaranteeId } from '../check/index.ts';
import {
  type AnyScenario,
  type AnyStep,
  runScenario,
  type ScenarioRun,
  type Step,
} from '../scenario.ts';
import { type PlanBounds, planArb } from './arbitraries.ts';
import { type Plan, type PlanSettings, planToScenario, scenarioSize } from './plan.ts';

/** What `npm run explore` draws by default: up to 100 operations and 8 + 24 faults a run. */
export const DEFAULT_BOUNDS: PlanBounds = {
  minOps: 1,
  maxOps: 100,
  maxFaults: 8,
  maxMessageFaults: 24,
};

/** Which runs a search makes: run j of shard k (0-based) of n is global run k + n·j. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

export const WHOLE: Shard = { index: 0, count: 1 };

export function globalRun(shard: Shard, j: number): number {
  return shard.index + shard.count * j;
}

/**
 * A run's number as a person counts: global run 0 is run 1. Only what is shown; its plan still
 * comes from the index (runSeed), so a number shown names the same run on every machine.
 */
export function runNumber(run: number): number {
  return run + 1;
}

/** The fast-check seed of global run `run` of the search with seed `seed`: a 32-bit mix of both. */
export function runSeed(seed: number, run: number): number {
  let h = Math.imul((seed % 2 ** 32) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.floor(seed / 2 ** 32);
  // A run number past 2^32 (a shard of many, far along) folds its high part in too: the 32-bit
  // steps below read only its low part, and run r and r + 2^32 would draw one plan. Below 2^32
  // nothing changes, so every seed's runs are the ones they always were.
  const high = Math.floor(run / 2 ** 32);
  if (high > 0) h = Math.imul(h ^ high, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15) ^ run, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 13), 0x27d4eb2f) ^ Math.imul(run, 0x165667b1);
  return (h ^ (h >>> 16)) | 0;
}

/** The guarantees a scenario's run breaks (informative findings aside). */
export function brokenIn(scenario: AnyScenario): GuaranteeId[] {
  return brokenGuarantees(runScenario(scenario, { trace: false }).verdicts);
}

export interface Search extends PlanSettings {
  readonly seed: number;
  readonly bounds: PlanBounds;
}

/** Draws global run `run`'s plan and runs it: what it breaks (nothing shrunk). */
export function tryRun(search: Search, run: number): { plan: Plan; broken: GuaranteeId[] } {
  let plan: Plan | null = null;
  let broken: GuaranteeId[] = [];
  const property = fc.property(planArb(search.bounds), (p) => {
    plan = p;
    broken = brokenIn(planToScenario(p, search));
    return broken.length === 0;
  });
  fc.check(property, { seed: runSeed(search.seed, run), numRuns: 1, endOnFailure: true });
  return { plan: plan!, broken };
}

export interface Shrunk {
  readonly original: Plan;
  /**
   * The case: the smallest scenario shrinking reached, a shrunk plan's without the steps it does
   * not need.
   */
  readonly scenario: AnyScenario;
  /** The guarantees the first violating run broke; the case still breaks at least one of them. */
  readonly target: readonly GuaranteeId[];
  /** Smaller failing plans fast-check found, and runs the shrinking made in all. */
  readonly shrinks: number;
  readonly shrinkRuns: number;
  /** What stopped shrinking before it was done, if anything: the case is then as far as it got. */
  readonly cut: ShrinkCut;
}

/**
 * How far shrinking may go. It is bounded by a count of replays, so that a seed and its options
 * give the same case on a fast laptop and on a slow CI machine (as fast-check's numRuns, not its
 * interruptAfterTimeLimit); the wall clock is only a safety stop, and a case it cut says so.
 */
export interface ShrinkBudget {
  /** Replays shrinking may make in all. */
  readonly runs: number;
  /** performance.now() ms past which shrinking stops whatever is left of its replays. */
  readonly deadline: number;
}

/** What `npm run explore` allows shrinking by default: most anomalies' cases take under 3,000. */
export const DEFAULT_SHRINK_RUNS = 20_000;
export const DEFAULT_SHRINK_SECONDS = 300;

/** What cut shrinking short: its budget of replays, or the wall-clock safety stop. */
export type ShrinkCut = 'runs' | 'seconds' | null;

/**
 * The replays a shrinking has made, against its budget: every one it makes is counted here, so
 * that the count it reports is never past the budget it was given.
 */
class Spending {
  made = 0;
  cut: ShrinkCut = null;

  constructor(private readonly budget: ShrinkBudget) {}

  /** Whether `n` more replays may be made (counted if so); once not, never again. */
  next(n = 1): boolean {
    if (this.cut !== null) return false;
    if (this.made + n > this.budget.runs) this.cut = 'runs';
    else if (performance.now() > this.budget.deadline) this.cut = 'seconds';
    else this.made += n;
    return this.cut === null;
  }
}

/**
 * Called with each smaller case as it is found, so that a caller never loses the best so far;
 * `settled` when a stage of shrinking has just ended on it (a caller that shows only some of the
 * cases should show this one).
 */
export type OnBetter = (scenario: AnyScenario, settled?: boolean) => void;

const breaksAnyOf = (scenario: AnyScenario, target: readonly GuaranteeId[]) =>
  brokenIn(scenario).some((g) => target.includes(g));

/**
 * Shrinks global run `run`'s plan until no smaller one breaks a guarantee it broke, or until its
 * budget is spent: fast-check first, then step by step. A violation that hangs on timing can keep
 * fast-check busy for thousands of replays, each plan a little plainer (a gap, a key), where
 * taking steps out goes much further in few: so at each checkpoint (after 1,000 replays, 2,000,
 * 4,000, …) the steps the violation does not need are taken out of the plan reached so far, and
 * fast-check stops at the first checkpoint that finds no smaller case than the one before. The
 * smallest case wins. (Lock store, lockOwnerCheck=none fencing=none requestIds=none, search seed
 * 4: 41 operations when the 20,000 replays ran out, before; 3 operations in 4,189 now.)
 */
export function shrinkRun(
  search: Search,
  run: number,
  budget: ShrinkBudget,
  onBetter?: OnBetter,
): Shrunk {
  let original: Plan | null = null;
  let best: Plan | null = null;
  let target: GuaranteeId[] = [];
  let shrinks = 0;
  const spending = new Spending(budget);
  // The smallest case so far, and what the caller has been shown: a checkpoint's case may be
  // smaller than the plans fast-check goes on to find, and the caller never sees a larger one.
  let smallest: AnyScenario | null = null;
  let shown: AnyScenario | null = null;
  const show = (scenario: AnyScenario) => {
    if (shown !== null && smaller(shown, scenario)) return;
    shown = scenario;
    onBetter?.(scenario);
  };
  let checkpoint = FIRST_CHECKPOINT;
  /** fast-check was stopped at a checkpoint, its last plan's steps taken out already. */
  let settled = false;
  const property = fc.property(planArb(search.bounds), (plan) => {
    if (original === null) {
      original = plan;
      best = plan;
      target = brokenIn(planToScenario(plan, search));
      return target.length === 0;
    }
    // Past the budget fast-check is told to stop, as its own time limit does: letting every
    // candidate pass at once would still walk all of them (minutes, on a plan of 3,000 operations).
    if (!spending.next()) throw new fc.PreconditionFailure(true);
    const scenario = planToScenario(plan, search);
    if (!breaksAnyOf(scenario, target)) return true;
    best = plan;
    shrinks++;
    show(scenario);
    if (spending.made >= checkpoint) {
      const found = minimizeSteps(scenario, target, spending, show);
      // The next one a doubling on, past what this one's steps took.
      while (checkpoint <= spending.made) checkpoint *= 2;
      onBetter?.(shown!, true);
      if (smallest !== null && !smaller(found, smallest)) {
        settled = true;
        throw new fc.PreconditionFailure(true);
      }
      smallest = found;
    }
    return false;
  });
  // The safety stop holds fast-check too: a long plan has many candidates, even ones that pass at once.
  const interruptAfterTimeLimit = Math.max(1, Math.ceil(budget.deadline - performance.now()));
  fc.check(property, { seed: runSeed(search.seed, run), numRuns: 1, interruptAfterTimeLimit });
  if (original === null || best === null) {
    // The safety stop came before fast-check ran even the first plan: the case is the run as found.
    const found = tryRun(search, run);
    original = found.plan;
    best = found.plan;
    target = found.broken;
    spending.cut = 'seconds';
  }
  if (target.length === 0)
    throw new Error(`run ${run} of seed ${search.seed} broke nothing when run again`);
  // Stopped at a checkpoint, the last plan's steps are out already: the smallest case is the one.
  const last = settled
    ? smallest!
    : minimizeSteps(planToScenario(best, search), target, spending, show);
  const scenario = smallest !== null && smaller(smallest, last) ? smallest : last;
  return {
    original,
    scenario,
    target,
    shrinks,
    shrinkRuns: spending.made,
    cut: spending.cut,
  };
}

/** Replays before fast-check's plan is first taken apart step by step (see shrinkRun). */
const FIRST_CHECKPOINT = 1000;

/** Fewer steps, or as many with fewer operations. */
function smaller(a: AnyScenario, b: AnyScenario): boolean {
  const x = scenarioSize(a);
  const y = scenarioSize(b);
  return x.steps < y.steps || (x.steps === y.steps && x.ops < y.ops);
}

/**
 * Removes one step at a time while the run still breaks one of `target`, until no step can go or
 * the budget is spent; then names the message each aimed fault hits instead of '*', where that
 * changes nothing. Every replay, these last ones too, is drawn from the budget.
 */
function minimizeSteps(
  scenario: AnyScenario,
  target: readonly GuaranteeId[],
  spending: Spending,
  onBetter?: OnBetter,
): AnyScenario {
  let current = scenario;
  const attempt = (candidate: AnyScenario) => {
    if (!breaksAnyOf(candidate, target)) return false;
    current = candidate;
    onBetter?.(current);
    return true;
  };
  /**
   * A few replays that make the case plainer, not smaller, while the budget lasts: the budget
   * counts every replay (`--shrink-runs` says at most N), so a case cut by it is left as it stands.
   */
  const polish = (candidate: AnyScenario) => spending.next() && attempt(candidate);
  const without = (...drop: number[]) => ({
    ...current,
    steps: current.steps.filter((_, j) => !drop.includes(j)),
  });
  // A fixed delay first: with no delay drawn at random, taking a step out shifts nothing else.
  for (const simpler of simplerNetworks(current)) polish(simpler);
  let changed = true;
  while (changed) {
    changed = false;
    for (let i = current.steps.length - 1; i >= 0; i--) {
      if (!spending.next()) return current;
      if (attempt(without(i))) changed = true;
    }
    // Two steps that only matter together (a crash and its restart; faults whose timing depends
    // on each other) go as a pair.
    for (let i = current.steps.length - 1; i > 0 && !changed; i--) {
      for (let j = i - 1; j >= 0 && !changed; j--) {
        if (!spending.next()) return current;
        if (attempt(without(i, j))) changed = true;
      }
    }
  }
  for (const simpler of simplerNetworks(current)) polish(simpler);
  const used = new Set(current.steps.flatMap((s) => ('client' in s ? [s.client] : [])));
  if (Array.isArray(current.clients) && current.clients.some((c) => !used.has(c))) {
    const fewer = { ...current, clients: current.clients.filter((c) => used.has(c)) };
    if (fewer.clients.length > 0) polish(fewer);
  }
  // A PUT shows what a DELETE would, and more: the value that comes back, or the one lost. Each
  // DELETE becomes a PUT of a value of its own where the violation survives it; then the values
  // are named v1, v2, … in the order the steps write them, and the clients c1, c2, … in the order
  // the steps name them.
  for (let i = current.steps.length - 1; i >= 0; i--) {
    const step = current.steps[i]!;
    if (!('delete' in step)) continue;
    // In the DELETE's place among the fields, so that the case reads as every other PUT does.
    const value = unusedValue(current);
    const fields = Object.entries(step).map(([f, v]) =>
      f === 'delete' ? ['put', [v, value]] : [f, v],
    );
    const put = Object.fromEntries(fields) as AnyStep;
    polish({ ...current, steps: current.steps.map((s, j) => (j === i ? put : s)) });
  }
  // A partition or cut that needs fewer nodes to do its harm names only those.
  for (let i = 0; i < current.steps.length; i++) {
    let narrowed = true;
    while (narrowed) {
      narrowed = false;
      for (const narrower of narrowerSplits(current.steps[i]!)) {
        const steps = current.steps.map((s, j) => (j === i ? narrower : s));
        if (polish({ ...current, steps })) {
          narrowed = true;
          break;
        }
      }
    }
  }
  const values = valuesInOrder(current);
  if (values !== current) polish(values);
  const clients = clientsInOrder(current);
  if (clients !== current) polish(clients);
  // Three replays when a fault is aimed at any message ('*'): the case's trace, to find the
  // messages they hit, then the case with them named and the case as it stands, to compare.
  if (current.steps.some((s) => aimedType(s) === '*') && spending.next(3)) {
    const named = nameAimedMessages(current);
    if (
      sameViolations(runScenario(named, { trace: false }), runScenario(current, { trace: false }))
    )
      current = named;
  }
  return current;
}

/** A value no PUT of the scenario writes. */
function unusedValue(scenario: AnyScenario): string {
  const used = new Set(putValues(scenario));
  let n = 1;
  while (used.has(`v${n}`)) n++;
  return `v${n}`;
}

/** The values the scenario's PUTs write, in step order. */
const putValues = (scenario: AnyScenario) =>
  scenario.steps.flatMap((s) => ('put' in s ? [s.put[1]] : []));

/** The scenario with its PUTs' values named v1, v2, … in step order (itself when they are). */
function valuesInOrder(scenario: AnyScenario): AnyScenario {
  const names = new Map<string, string>();
  for (const value of putValues(scenario))
    if (!names.has(value)) names.set(value, `v${names.size + 1}`);
  if ([...names].every(([value, name]) => value === name)) return scenario;
  const steps = scenario.steps.map((s) =>
    'put' in s ? { ...s, put: [s.put[0], names.get(s.put[1])!] as const } : s,
  );
  return { ...scenario, steps };
}

/**
 * The scenario with its clients named c1, c2, … in the order its steps first name them (itself
 * when they are): wherever a step names one (its operations, a crash, a partition's groups, a
 * link), but in a note's words.
 */
function clientsInOrder(scenario: AnyScenario): AnyScenario {
  if (!Array.isArray(scenario.clients)) return scenario;
  const order = [...new Set(scenario.steps.flatMap((s) => ('client' in s ? [s.client] : [])))];
  for (const c of scenario.clients) if (!order.includes(c)) order.push(c);
  const names = new Map(order.map((c, i) => [c, `c${i + 1}`]));
  if ([...names].every(([client, name]) => client === name)) return scenario;
  const rename = (v: unknown): unknown => {
    if (typeof v === 'string') return names.get(v) ?? v;
    if (Array.isArray(v)) return v.map(rename);
    if (v === null || typeof v !== 'object') return v;
    return Object.fromEntries(
      Object.entries(v).map(([field, x]) => [field, field === 'note' ? x : rename(x)]),
    );
  };
  const steps = scenario.steps.map((s) => rename(s) as AnyStep);
  return { ...scenario, clients: order.map((c) => names.get(c)!), steps };
}

/**
 * A partition or cut with one node fewer on a side, each way of taking one out (a side keeps one
 * node at least); nothing for any other step. Tried in turn while one still breaks the run.
 */
function* narrowerSplits(step: AnyStep): Generator<AnyStep> {
  const fewer = (side: readonly string[], n: string) => side.filter((m) => m !== n);
  if ('cut' in step) {
    const { from, to } = step.cut;
    for (const n of from) if (from.length > 1) yield { ...step, cut: { from: fewer(from, n), to } };
    for (const n of to) if (to.length > 1) yield { ...step, cut: { from, to: fewer(to, n) } };
  } else if ('partition' in step) {
    const groups = step.partition;
    for (const [g, group] of groups.entries())
      for (const n of group)
        if (group.length > 1)
          yield {
            ...step,
            partition: groups.map((other, k) => (k === g ? fewer(other, n) : other)),
          };
  }
}

/** The scenario with one fixed delay, kept only if it still fails. */
function* simplerNetworks(scenario: AnyScenario): Generator<AnyScenario> {
  const n = scenario.network ?? {};
  if (n.delayMinMs !== undefined && n.delayMaxMs !== n.delayMinMs)
    yield { ...scenario, network: { ...n, delayMaxMs: n.delayMinMs } };
}

function sameViolations(a: ScenarioRun, b: ScenarioRun): boolean {
  const text = (r: ScenarioRun) =>
    JSON.stringify(r.verdicts.map((v) => [v.status, v.violations.map((w) => w.sentence)]));
  return text(a) === text(b);
}

type Aimed = Extract<Step, { from: string }>;
const aimedType = (s: AnyStep): string | null =>
  'drop' in s ? s.drop : 'duplicate' in s ? s.duplicate : 'delay' in s ? s.delay : null;

/**
 * Each '*' of an aimed fault replaced by the type of the message it hit: the first message sent
 * on its link after the fault took effect (and not cut off by a partition first), as the kernel
 * takes them, in order.
 */
function nameAimedMessages(scenario: AnyScenario): AnyScenario {
  if (!scenario.steps.some((s) => aimedType(s) === '*')) return scenario;
  const trace = runScenario(scenario).result.trace;
  const hit = new Map<number, string>();
  const waiting = new Map<string, number[]>();
  const armed = new Set<number>();
  trace.forEach((e, i) => {
    if (e.kind === 'fault' && 'message' in e.fault) {
      const f = e.fault;
      const step = scenario.steps.findIndex(
        (s, j) =>
          !armed.has(j) && s.at === e.t && 'from' in s && s.from === f.from && s.to === f.to,
      );
      if (step < 0) return;
      armed.add(step);
      const link = `${f.from} ${f.to}`;
      waiting.set(link, [...(waiting.get(link) ?? []), step]);
      return;
    }
    if (e.kind !== 'send') return;
    const queue = waiting.get(`${e.from} ${e.to}`);
    if (queue === undefined || queue.length === 0) return;
    const next = trace[i + 1];
    if (next?.kind === 'drop' && next.id === e.id && next.reason === 'partition') return;
    const step = queue.findIndex((j) => {
      const type = aimedType(scenario.steps[j]!);
      return type === '*' || type === e.message.type;
    });
    if (step < 0) return;
    const [j] = queue.splice(step, 1);
    hit.set(j!, e.message.type);
  });
  const steps = scenario.steps.map((step, j) => {
    const type = hit.get(j);
    if (aimedType(step) !== '*' || type === undefined) return step;
    const s = step as Aimed;
    if ('drop' in s) return { ...s, drop: type };
    if ('duplicate' in s) return { ...s, duplicate: type };
    return { ...s, delay: type };
  });
  return { ...scenario, steps };
}

export interface Counterexample {
  /** The global index of the first violating run, and how many runs this search made to reach it. */
  readonly run: number;
  readonly runsToFind: number;
  readonly shrunk: Shrunk;
  /** The case run again with its trace, and what it breaks. */
  readonly replay: ScenarioRun;
  readonly broken: readonly GuaranteeId[];
  /** Operations and fault steps of the case, and of the run as found. */
  readonly size: ReturnType<typeof scenarioSize>;
  readonly originalSize: ReturnType<typeof scenarioSize>;
}

export function counterexampleOf(
  search: Search,
  run: number,
  runsToFind: number,
  shrunk: Shrunk,
): Counterexample {
  const replay = runScenario(shrunk.scenario);
  return {
    run,
    runsToFind,
    shrunk,
    replay,
    broken: brokenGuarantees(replay.verdicts),
    size: scenarioSize(shrunk.scenario),
    originalSize: scenarioSize(planToScenario(shrunk.original, search)),
  };
}

export interface ExploreOptions extends Search {
  readonly runs: number;
  readonly shard?: Shard;
  /** Replays shrinking may make (default DEFAULT_SHRINK_RUNS). */
  readonly shrinkRuns?: number;
  /** The wall-clock safety stop on shrinking, seconds (default DEFAULT_SHRINK_SECONDS). */
  readonly shrinkSeconds?: number;
  /** Called after every run of the search (not of the shrinking). */
  readonly onRun?: (runs: number) => void;
}

export interface ExploreResult {
  readonly runs: number;
  readonly counterexample: Counterexample | null;
}

/** The first run (of this shard) that breaks a guarantee, or null; no shrinking. */
export function firstViolation(
  options: ExploreOptions,
): { run: number; runsToFind: number; broken: GuaranteeId[] } | null {
  const shard = options.shard ?? WHOLE;
  for (let j = 0; j < options.runs; j++) {
    const run = globalRun(shard, j);
    const { broken } = tryRun(options, run);
    options.onRun?.(j + 1);
    if (broken.length > 0) return { run, runsToFind: j + 1, broken };
  }
  return null;
}

/** The whole search in this thread: find, shrink, replay. */
export function explore(options: ExploreOptions): ExploreResult {
  const found = firstViolation(options);
  if (found === null) return { runs: options.runs, counterexample: null };
  const shrunk = shrinkRun(options, found.run, shrinkBudget(options));
  return {
    runs: found.runsToFind,
    counterexample: counterexampleOf(options, found.run, found.runsToFind, shrunk),
  };
}

/** The budget of a shrinking that starts now. */
export function shrinkBudget(options: {
  readonly shrinkRuns?: number | undefined;
  readonly shrinkSeconds?: number | undefined;
}): ShrinkBudget {
  const seconds = options.shrinkSeconds ?? DEFAULT_SHRINK_SECONDS;
  return {
    runs: options.shrinkRuns ?? DEFAULT_SHRINK_RUNS,
    deadline: performance.now() + seconds * 1000,
  };
}
