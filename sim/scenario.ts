// A scenario is a plain description of one story: the cluster, the protocol's knobs, the network,
// a short script of timed steps, and what the run must show. This file turns a description into a
// simulation, runs it, and judges its expectations; checking what a user wrote is scenario/check.ts.

import type { NodeId } from '../protocol/core.ts';
import type { KnobValue } from '../protocol/knobs.ts';
import {
  brokenGuarantees,
  type CheckInput,
  findings,
  GUARANTEE_NAMES,
  type GuaranteeId,
  type LivenessBound,
  runCheckers,
  type Verdict,
} from './check/index.ts';
import type { Operation } from './kernel/history.ts';
import { type NetworkConfig, resolveNetwork } from './kernel/network.ts';
import { type Bounds, type RunResult, Simulation } from './kernel/simulation.ts';
import type { Fault, WireMessage } from './kernel/trace.ts';
import { BOUND_NAMES, formatTime, operationText } from './render/format.ts';
import { storeOf, topologyOf } from './scenario/check.ts';
import { ScenarioError } from './scenario/errors.ts';
import type { AnyScenario, OpExpectation } from './scenario/types.ts';
import {
  type Knobs,
  resolveStoreKnobs,
  type StoreAdapter,
  type StoreName,
} from './stores/index.ts';
import type { ClientOp, Topology } from './stores/replicated.ts';

export { storeOf, topologyOf, validateScenario } from './scenario/check.ts';
export { ScenarioError } from './scenario/errors.ts';
export type { ReplyName } from './scenario/replies.ts';
export type {
  AnyScenario,
  LockStep,
  OpExpectation,
  ReplicatedStep,
  Scenario,
  Step,
} from './scenario/types.ts';

export interface RunOptions {
  readonly seed?: number | undefined;
  readonly preset?: string | undefined;
  readonly knobs?: Readonly<Record<string, string>> | undefined;
  /** true: keep and hash the trace; 'hash': only hash it (any length fits); false: none. */
  readonly trace?: boolean | 'hash';
  /** Receives each trace event's JSON as it happens (to stream it to a file). */
  readonly traceSink?: (json: string) => void;
  readonly bounds?: Partial<Bounds>;
}

export interface OpOutcome {
  readonly step: number;
  readonly opId: number;
  readonly label: string;
  readonly operation: Operation | undefined;
  readonly expected: OpExpectation | undefined;
  /** Why the expectation was not met; null when it was (or there was none). */
  readonly failure: string | null;
}

/**
 * An operation step's outcome. Its label is written when read: built for every step of a long
 * run, the labels were its largest part after the history (about 190 bytes an operation, in the
 * pieces a template string leaves joined), and most are never shown.
 */
class StepOutcome implements OpOutcome {
  readonly #source: OpStep;

  constructor(
    readonly step: number,
    readonly opId: number,
    source: OpStep,
    readonly operation: Operation | undefined,
    readonly expected: OpExpectation | undefined,
    readonly failure: string | null,
  ) {
    this.#source = source;
  }

  get label(): string {
    const s = this.#source;
    return `${s.client} ${describeOp(opOf(s)!)}${s.via ? ` via ${s.via}` : ''}`;
  }
}

export interface ScenarioRun {
  readonly seed: number;
  readonly preset: string;
  readonly store: StoreName;
  readonly knobs: Knobs;
  readonly topology: Topology;
  readonly network: NetworkConfig;
  readonly result: RunResult;
  readonly outcomes: readonly OpOutcome[];
  /** The bound liveness used for a run cut by its time bound (PROTOCOL.md §3). */
  readonly livenessBound: LivenessBound;
  /** One verdict per guarantee the store's checkers judge. */
  readonly verdicts: readonly Verdict[];
  /** What the scenario expected of the verdicts and did not get; empty when all was as expected. */
  readonly verdictFailures: readonly string[];
  /** Notes from the script, by virtual time. */
  readonly notes: readonly { readonly at: number; readonly text: string }[];
}

/** A step of any store's scenario. */
export type AnyStep = AnyScenario['steps'][number];
type OpStep = Extract<AnyStep, { readonly client: unknown }>;

export function opOf(step: AnyStep): ClientOp | null {
  if ('put' in step) {
    const [key, value] = step.put;
    return { kind: 'put', key, value };
  }
  if ('get' in step) return { kind: 'get', key: step.get };
  if ('delete' in step) return { kind: 'delete', key: step.delete };
  return null;
}

export function describeOp(op: ClientOp): string {
  return operationText(op.kind, op.key, op.kind === 'put' ? op.value : null);
}

function faultOf(step: AnyStep): Fault | null {
  if ('crash' in step) return { kind: 'crash', node: step.crash };
  if ('restart' in step) return { kind: 'restart', node: step.restart };
  if ('partition' in step) return { kind: 'partition', groups: step.partition };
  if ('cut' in step) return { kind: 'cut', from: step.cut.from, to: step.cut.to };
  if ('heal' in step) return { kind: 'heal' };
  if ('hold' in step) return { kind: 'hold', from: step.hold[0], to: step.hold[1] };
  if ('release' in step) return { kind: 'release', from: step.release[0], to: step.release[1] };
  if ('clockStep' in step) return { kind: 'clockStep', node: step.clockStep, byMs: step.byMs };
  if ('drop' in step) return { kind: 'drop', message: step.drop, from: step.from, to: step.to };
  if ('duplicate' in step) {
    const { byMs, copyByMs } = step;
    return {
      kind: 'duplicate',
      message: step.duplicate,
      from: step.from,
      to: step.to,
      ...(byMs === undefined ? {} : { byMs }),
      ...(copyByMs === undefined ? {} : { copyByMs }),
    };
  }
  if ('delay' in step)
    return { kind: 'delay', message: step.delay, from: step.from, to: step.to, byMs: step.byMs };
  return null;
}

export function runScenario(scenario: AnyScenario, options: RunOptions = {}): ScenarioRun {
  const prepared = prepareScenario(scenario, options);
  return prepared.finish(prepared.sim.run());
}

/** A scenario built into a simulation with its script scheduled, not yet run. */
export interface PreparedRun {
  readonly sim: Simulation<WireMessage>;
  /** Judges the run's result: each operation's expectation and the checkers' verdicts. */
  finish(result: RunResult): ScenarioRun;
}

/** runScenario in its phases, so that the bench can time the simulation apart from the rest. */
export function prepareScenario(scenario: AnyScenario, options: RunOptions = {}): PreparedRun {
  const store = storeOf(scenario);
  const topology = topologyOf(scenario);
  const { presetName, knobs } = knobsOf(scenario, options);
  const network = resolveNetwork(scenario.network);
  if (!network.ok) throw new ScenarioError(network.error);
  const seed = options.seed ?? scenario.seed ?? 1;
  // A loop, not Math.max(...steps): a long script would overflow the call's argument list.
  let lastStep = 0;
  for (const step of scenario.steps) lastStep = Math.max(lastStep, step.at);
  const sim = new Simulation<WireMessage>({
    seed,
    nodes: store.nodes(topology, knobs),
    network: network.value,
    trace: options.trace ?? true,
    ...(options.traceSink === undefined ? {} : { traceSink: options.traceSink }),
    bounds: { maxTimeMs: scenario.runUntilMs ?? lastStep + 120_000, ...options.bounds },
  });
  // The operation steps' places in the script, the n-th with opId n: what `finish` needs of them
  // is read there. Records and texts built here for every step made the prepared run twice the
  // size, and the run's first collections copied them all.
  const opStepIndex: number[] = [];
  const notes: { at: number; text: string }[] = [];
  /** Each note's step, by its place in the scenario. */
  const noteSteps: number[] = [];
  let nextOp = 1;
  scenario.steps.forEach((step, i) => {
    if (step.note !== undefined) {
      notes.push({ at: step.at, text: step.note });
      noteSteps.push(i);
    }
    const op = opOf(step);
    if (op !== null) {
      const s = step as OpStep;
      const opId = nextOp++;
      sim.schedule(step.at, { kind: 'invoke', opId, client: s.client, op, via: s.via ?? null });
      opStepIndex.push(i);
      return;
    }
    const fault = faultOf(step);
    if (fault !== null) sim.schedule(step.at, { kind: 'fault', fault });
  });
  sim.orderScript();
  const finish = (result: RunResult): ScenarioRun => {
    const whyNotIssued = notIssuedReasons(scenario.steps);
    const refused = refusals(result);
    const reached = stepsReached(scenario.steps, result);
    // One step at a time, its record let go after it: a list of them all stayed alive through
    // the checks (about 100 bytes an operation).
    const outcomes: OpOutcome[] = [];
    const busy: { at: number; text: string }[] = [];
    opStepIndex.forEach((i, k) => {
      const s = scenario.steps[i] as OpStep;
      const o: OpStepRecord = {
        step: i + 1,
        opId: k + 1,
        op: opOf(s)!,
        via: s.via,
        expected: s.expect,
        at: s.at,
        client: s.client,
      };
      const operation = result.history.get(o.opId);
      const failure =
        o.expected === undefined
          ? null
          : operation === undefined && o.at > result.bounds.maxTimeMs
            ? `the run was cut at its time bound (${formatTime(result.bounds.maxTimeMs)}) before this step's time`
            : operation === undefined && reached !== null && !reached(i)
              ? `the run stopped at ${BOUND_NAMES[result.ending]} at ${formatTime(result.endedAt)}, before this step`
              : operation === undefined
                ? `it was never issued: ${whyNotIssued(o)}`
                : judge(o.expected, operation);
      outcomes.push(new StepOutcome(o.step, o.opId, s, operation, o.expected, failure));
      // A step the run never came to was not queued by a busy client: nothing is drawn for it.
      if (reached === null || reached(i))
        for (const note of busyNote(o, result, whyNotIssued, refused)) busy.push(note);
    });
    // Nor is the narration of a step the run never came to, past the run's end.
    const told = reached === null ? notes : notes.filter((_, k) => reached(noteSteps[k]!));
    const livenessBound: LivenessBound =
      scenario.livenessBoundMs === undefined
        ? store.livenessBound(knobs, topology, network.value, downAtEnd(result, topology))
        : { ms: scenario.livenessBoundMs, from: "the scenario's livenessBoundMs" };
    const verdicts = checkRun(store, result, topology, knobs, livenessBound);
    const verdictFailures = judgeVerdicts(scenario.expect ?? {}, verdicts);
    return {
      seed,
      preset: presetName,
      store: store.name,
      knobs,
      topology,
      network: network.value,
      result,
      outcomes,
      livenessBound,
      verdicts,
      verdictFailures,
      notes: busy.length === 0 ? told : [...told, ...busy],
    };
  };
  return { sim, finish };
}

/**
 * A step given to a client still busy with an earlier operation (a sequential session) waits;
 * the views mark it where it was due, with when it was issued in the end.
 */
function busyNote(
  o: OpStepRecord,
  result: RunResult,
  whyNotIssued: (o: OpStepRecord) => string,
  refused: (t: number, node: NodeId) => boolean,
): { at: number; text: string }[] {
  const op = result.history.get(o.opId);
  if (op !== undefined && op.invokedAt <= o.at) return [];
  // A client that was down refused the step: the trace already says so.
  if (op === undefined && refused(o.at, o.client)) return [];
  const issued =
    op === undefined ? `never issued: ${whyNotIssued(o)}` : `issued at ${formatTime(op.invokedAt)}`;
  const what = `${o.client} busy: ${describeOp(o.op)} (step ${o.step}) queued`;
  // Joined, not a template string: a template keeps its pieces alive, linked (about 300 bytes a
  // note, where the joined text takes 80), and a long run has a note for every other step.
  return [{ at: o.at, text: [what, issued].join(', ') }];
}

/**
 * The places in the script of the steps `which` picks, in the order the run carries them out:
 * by time, ties in script order (the kernel's order of its script).
 */
export function runningOrder(
  steps: readonly AnyStep[],
  which: (step: AnyStep) => boolean,
): number[] {
  return steps
    .flatMap((step, i) => (which(step) ? [i] : []))
    .sort((a, b) => steps[a]!.at - steps[b]!.at || a - b);
}

/**
 * Whether the run came to step `i` (by its place in the scenario), when the run ended at a bound
 * with actions of its script left, the last ones in (time, place); null when it came to every
 * step. A step that is only a note is reached when one scheduled beside it, or before it in that
 * order, was.
 */
function stepsReached(
  steps: readonly AnyStep[],
  result: RunResult,
): ((i: number) => boolean) | null {
  const left = result.scriptLeft ?? 0;
  if (left === 0) return null;
  // The scheduled steps in running order, read only for a run that ended at a bound early.
  const scheduled = runningOrder(steps, (step) => opOf(step) !== null || faultOf(step) !== null);
  const first = scheduled[scheduled.length - left]!;
  const at = steps[first]!.at;
  return (i) => steps[i]!.at < at || (steps[i]!.at === at && i < first);
}

/**
 * Whether the trace has `node` refuse a step at `t` (its client was down), the trace read once
 * when first asked: each step never issued asks, and a trace may hold hundreds of thousands.
 */
function refusals(result: RunResult): (t: number, node: NodeId) => boolean {
  let refused: Set<string> | null = null;
  return (t, node) => {
    if (refused === null) {
      refused = new Set();
      for (const e of result.trace) if (e.kind === 'refused') refused.add(`${e.t}\u0000${e.node}`);
    }
    return refused.has(`${t}\u0000${node}`);
  };
}

/** A client's crashes and restarts in running order, with where the next crash is from each. */
interface ClientChanges {
  /** [time, place in the script, crashed?], by time, ties in the script's order. */
  readonly list: readonly (readonly [number, number, boolean])[];
  /** For each change, the index of the first crash at or after it (-1: none). */
  readonly nextCrash: Int32Array;
}

/**
 * Why an operation step never became an operation: its client was down at the step's time, or
 * the client was busy and still held it queued when it crashed (a crash drops what a client had
 * queued) or when the run ended. Steps run in time order, ties in the script's order. The
 * script's crashes and restarts are read once, when first asked, for every step asked about.
 */
function notIssuedReasons(steps: readonly AnyStep[]): (o: OpStepRecord) => string {
  let byClient: Map<NodeId, ClientChanges> | null = null;
  return (o) => {
    byClient ??= clientChanges(steps);
    const changes = byClient.get(o.client);
    const list = changes?.list ?? [];
    // The changes before the step: a prefix of the list, which is in running order.
    const place = o.step - 1;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const [at, i] = list[mid]!;
      if (at < o.at || (at === o.at && i < place)) lo = mid + 1;
      else hi = mid;
    }
    const last = lo > 0 ? list[lo - 1] : undefined;
    if (last?.[2] === true)
      return `${o.client} was down at its time (it crashed at ${formatTime(last[0])})`;
    const next = changes !== undefined && lo < list.length ? changes.nextCrash[lo]! : -1;
    return next === -1
      ? `${o.client} still held it queued behind an earlier operation when the run ended`
      : `${o.client} held it queued behind an earlier operation and crashed at ${formatTime(list[next]![0])}, which drops what a client has queued`;
  };
}

/** Each client's crashes and restarts (see ClientChanges). */
function clientChanges(steps: readonly AnyStep[]): Map<NodeId, ClientChanges> {
  const lists = new Map<NodeId, [number, number, boolean][]>();
  const add = (node: NodeId, change: [number, number, boolean]) => {
    const list = lists.get(node);
    if (list === undefined) lists.set(node, [change]);
    else list.push(change);
  };
  steps.forEach((step, i) => {
    if ('crash' in step) add(step.crash, [step.at, i, true]);
    if ('restart' in step) add(step.restart, [step.at, i, false]);
  });
  const byClient = new Map<NodeId, ClientChanges>();
  for (const [node, list] of lists) {
    list.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const nextCrash = new Int32Array(list.length);
    let crash = -1;
    for (let k = list.length - 1; k >= 0; k--) {
      if (list[k]![2]) crash = k;
      nextCrash[k] = crash;
    }
    byClient.set(node, { list, nextCrash });
  }
  return byClient;
}

/** An operation step of the script, as `finish` judges it. */
interface OpStepRecord {
  readonly step: number;
  readonly opId: number;
  readonly op: ClientOp;
  readonly via: NodeId | undefined;
  readonly expected: OpExpectation | undefined;
  readonly at: number;
  readonly client: NodeId;
}

/** The knobs a run uses: the preset (the caller's, the scenario's, or fixed) with the overrides. */
export function knobsOf(
  scenario: AnyScenario,
  options: Pick<RunOptions, 'preset' | 'knobs'>,
): { presetName: string; overrides: Record<string, unknown>; knobs: Knobs } {
  const store = storeOf(scenario);
  const presetName = options.preset ?? scenario.preset ?? 'fixed';
  const overrides: Record<string, unknown> = {
    ...(scenario.knobs ?? {}),
    ...(options.knobs ?? {}),
  };
  const knobs = resolveStoreKnobs(store, presetName, overrides, "this scenario's store");
  if (!knobs.ok) throw new ScenarioError(knobs.error);
  return { presetName, overrides, knobs: knobs.value };
}

/** The servers down at the end of a run: crashed, and not restarted before it ended. */
export function downAtEnd(result: RunResult, topology: Topology): NodeId[] {
  return topology.servers.filter((id) => result.finalStates.get(id)?.up === false);
}

export function checkRun(
  store: StoreAdapter,
  result: RunResult,
  topology: Topology,
  knobs: Knobs,
  livenessBound: LivenessBound,
): Verdict[] {
  return runCheckers(store.checkers, checkInput(store, result, topology, knobs, livenessBound));
}

/** What the checkers read of a run. */
export function checkInput(
  store: StoreAdapter,
  result: RunResult,
  topology: Topology,
  knobs: Knobs,
  livenessBound: LivenessBound,
): CheckInput {
  return {
    operations: result.history.operations,
    applies: result.history.applies,
    locks: result.history.locks,
    wipes: result.history.wipes,
    replicas: store.replicas(result.finalStates, topology),
    quiescent: result.ending === 'quiescent',
    endedAt: result.endedAt,
    faultsEndAt: result.faultsEndAt,
    networkHealed: result.networkHealed,
    livenessBound,
    explainPending: (op) =>
      store.explainPending(result.finalStates, topology, op, knobs, result.history.applies),
  };
}

/** Compares the broken guarantees with what the scenario expected: exactly those, no others. */
export function judgeVerdicts(
  expected: NonNullable<AnyScenario['expect']>,
  verdicts: readonly Verdict[],
): string[] {
  const broken = brokenGuarantees(verdicts);
  const wanted = expected.violations ?? [];
  const failures: string[] = [];
  // In the words of the verdict lines above them, not the ids the scenario's expect holds.
  const name = (g: GuaranteeId) => GUARANTEE_NAMES[g];
  for (const g of wanted) {
    const v = verdicts.find((x) => x.guarantee === g);
    if (v?.status === 'not-judged')
      failures.push(`${name(g)} was expected to break but could not be judged: ${v.reason}`);
    else if (!broken.includes(g)) failures.push(`${name(g)} was expected to break but held`);
  }
  for (const g of broken) if (!wanted.includes(g)) failures.push(`${name(g)} broke unexpectedly`);
  const found = findings(verdicts);
  for (const g of expected.findings ?? [])
    if (!found.includes(g)) failures.push(`the finding ${name(g)} was expected but not found`);
  return failures;
}

export function expectationText(expected: OpExpectation): string {
  if (typeof expected === 'string') return expected;
  // Pending at the end, or abandoned by its client's crash: either way no reply came.
  if (expected.pending) return 'never answered';
  const parts = [expected.reply ?? 'a reply'];
  if (expected.value !== undefined)
    parts.push(expected.value === null ? 'with no value' : `with value ${expected.value}`);
  if (expected.server !== undefined) parts.push(`from ${expected.server}`);
  return parts.join(' ');
}

function judge(expected: OpExpectation, op: Operation): string | null {
  const want = typeof expected === 'string' ? { reply: expected } : expected;
  if (want.pending === true)
    return op.completedAt === null ? null : `it completed with ${op.reply}`;
  if (op.completedAt === null) return 'it never completed';
  if (want.reply !== undefined && op.reply !== want.reply) return `the reply was ${op.reply}`;
  if (want.value !== undefined && op.result !== want.value)
    return `the value was ${op.result ?? 'none'}`;
  if (want.server !== undefined && op.server !== want.server) return `${op.server} answered`;
  return null;
}

export function knobsText(knobs: object): string {
  return Object.entries(knobs as Record<string, KnobValue>)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}
