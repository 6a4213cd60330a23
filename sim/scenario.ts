// A scenario is a plain description of one story: the cluster, the protocol's knobs, the network,
// a short script of timed steps, and what the run must show. This file checks a description
// (so that a mistake gets one clear sentence), turns it into a simulation, runs it, and judges
// its expectations.

import type { NodeId } from '../protocol/core.ts';
import { type KnobValue, resolveKnobs } from '../protocol/knobs.ts';
import type { LockKnobs } from '../protocol/lock/index.ts';
import type { ReplicatedKnobs } from '../protocol/replicated/index.ts';
import {
  brokenGuarantees,
  findings,
  GUARANTEE_NAMES,
  type GuaranteeId,
  runCheckers,
  type Verdict,
} from './check/index.ts';
import type { Operation } from './kernel/history.ts';
import { type NetworkConfig, resolveNetwork } from './kernel/network.ts';
import { type Bounds, type RunResult, Simulation } from './kernel/simulation.ts';
import type { Fault, WireMessage } from './kernel/trace.ts';
import { operationText } from './render/format.ts';
import { type Knobs, STORES, type StoreAdapter, type StoreName } from './stores/index.ts';
import type { ClientOp, Topology } from './stores/replicated.ts';

/** What an operation's reply must be: a wire reply (`'PUT_OK'`), or a reply with its value. */
export type OpExpectation =
  | string
  | {
      readonly reply?: string;
      readonly value?: string | null;
      readonly server?: NodeId;
      readonly pending?: boolean;
    };

interface StepBase {
  /** Virtual time in ms from the start of the run. */
  readonly at: number;
  /** Shown in the timeline beside the step. */
  readonly note?: string;
}

interface OpStepBase extends StepBase {
  readonly client: NodeId;
  /** The server to ask; omitted, the client picks one at random (the seeded workload stream). */
  readonly via?: NodeId;
  readonly expect?: OpExpectation;
}

export type Step =
  | (OpStepBase & { readonly put: readonly [key: string, value: string] })
  | (OpStepBase & { readonly get: string })
  | (OpStepBase & { readonly delete: string })
  | (StepBase & { readonly crash: NodeId })
  | (StepBase & { readonly restart: NodeId })
  | (StepBase & { readonly partition: readonly (readonly NodeId[])[] })
  | (StepBase & {
      readonly cut: { readonly from: readonly NodeId[]; readonly to: readonly NodeId[] };
    })
  | (StepBase & { readonly heal: true })
  | (StepBase & { readonly hold: readonly [from: NodeId, to: NodeId] })
  | (StepBase & { readonly release: readonly [from: NodeId, to: NodeId] })
  | (StepBase & { readonly clockStep: NodeId; readonly byMs: number })
  /** The next message of that type ('*': any) sent from → to after `at` is lost, … */
  | (StepBase & { readonly drop: string; readonly from: NodeId; readonly to: NodeId })
  /** … delivered twice (the message byMs late, its copy copyByMs late; both 0 by default), … */
  | (StepBase & {
      readonly duplicate: string;
      readonly from: NodeId;
      readonly to: NodeId;
      readonly byMs?: number;
      readonly copyByMs?: number;
    })
  /** … or byMs later than the network would deliver it. */
  | (StepBase & {
      readonly delay: string;
      readonly from: NodeId;
      readonly to: NodeId;
      readonly byMs: number;
    });

export interface Scenario {
  /** A one-line goal, shown by `--list` and at the top of the timeline. */
  readonly goal: string;
  /** Which protocol runs: the replicated store (the default) or the lock store. */
  readonly store?: StoreName;
  /** How many servers (s1..sN), or their names. Default 3. */
  readonly servers?: number | readonly NodeId[];
  /** Default: the first server. */
  readonly leader?: NodeId;
  /** How many clients (c1..cM), or their names. Default 2. */
  readonly clients?: number | readonly NodeId[];
  readonly preset?: 'seed' | 'fixed';
  /** Knob overrides over the preset; the store's own knob names (see the README). */
  readonly knobs?: Partial<ReplicatedKnobs> & Partial<LockKnobs>;
  readonly network?: Partial<NetworkConfig>;
  /** Initial clock offset per node, in ms. */
  readonly clockSkewMs?: Readonly<Record<NodeId, number>>;
  /** The seed used when the command line gives none. Default 1. */
  readonly seed?: number;
  /** Stop the run at this virtual time even if messages or timers remain. */
  readonly runUntilMs?: number;
  readonly steps: readonly Step[];
  /**
   * The guarantees this run must break — exactly these, no more — and the informative findings it
   * must show (linearizability, causality). Omitted: no guarantee may break.
   */
  readonly expect?: {
    readonly violations?: readonly GuaranteeId[];
    readonly findings?: readonly GuaranteeId[];
  };
}

export class ScenarioError extends Error {}

export interface RunOptions {
  readonly seed?: number | undefined;
  readonly preset?: string | undefined;
  readonly knobs?: Readonly<Record<string, string>> | undefined;
  readonly trace?: boolean;
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

export interface ScenarioRun {
  readonly seed: number;
  readonly preset: string;
  readonly store: StoreName;
  readonly knobs: Knobs;
  readonly topology: Topology;
  readonly network: NetworkConfig;
  readonly result: RunResult;
  readonly outcomes: readonly OpOutcome[];
  /** One verdict per guarantee the store's checkers judge. */
  readonly verdicts: readonly Verdict[];
  /** What the scenario expected of the verdicts and did not get; empty when all was as expected. */
  readonly verdictFailures: readonly string[];
  /** Notes from the script, by virtual time. */
  readonly notes: readonly { readonly at: number; readonly text: string }[];
}

function names(
  spec: number | readonly NodeId[] | undefined,
  fallback: number,
  prefix: string,
  what: string,
): NodeId[] {
  const value = spec ?? fallback;
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 1 || value > 64) {
      throw new ScenarioError(
        `${what} must be a count from 1 to 64 or a list of names (got ${value})`,
      );
    }
    return Array.from({ length: value }, (_, i) => `${prefix}${i + 1}`);
  }
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    value.some((v) => typeof v !== 'string' || v === '')
  ) {
    throw new ScenarioError(`${what} must be a count or a non-empty list of names`);
  }
  return [...value];
}

export function storeOf(scenario: Scenario): StoreAdapter {
  const name = scenario.store ?? 'replicated';
  if (!Object.hasOwn(STORES, name)) {
    throw new ScenarioError(
      `store must be one of ${Object.keys(STORES).join(', ')} (got '${String(name)}')`,
    );
  }
  return STORES[name];
}

export function topologyOf(scenario: Scenario): Topology {
  const store = storeOf(scenario);
  const servers = names(scenario.servers, store.defaultServers, 's', 'servers');
  const clients = names(scenario.clients, 2, 'c', 'clients');
  const all = [...servers, ...clients];
  const dup = all.find((n, i) => all.indexOf(n) !== i);
  if (dup !== undefined) throw new ScenarioError(`node name '${dup}' is used twice`);
  const leader = scenario.leader ?? servers[0]!;
  if (!servers.includes(leader))
    throw new ScenarioError(`leader '${leader}' is not one of the servers (${servers.join(', ')})`);
  const clockSkewMs = scenario.clockSkewMs ?? {};
  for (const [node, skew] of Object.entries(clockSkewMs)) {
    if (!all.includes(node))
      throw new ScenarioError(`clockSkewMs names '${node}', which is not a node`);
    if (!Number.isInteger(skew))
      throw new ScenarioError(`clockSkewMs.${node} must be a whole number of ms`);
  }
  const topology = { servers, leader, clients, clockSkewMs };
  const unsuitable = store.topologyError(topology);
  if (unsuitable !== null) throw new ScenarioError(unsuitable);
  return topology;
}

export function opOf(step: Step): ClientOp | null {
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

function faultOf(step: Step): Fault | null {
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

function faultNodes(fault: Fault): NodeId[] {
  switch (fault.kind) {
    case 'crash':
    case 'restart':
    case 'clockStep':
      return [fault.node];
    case 'partition':
      return fault.groups.flat();
    case 'cut':
      return [...fault.from, ...fault.to];
    case 'hold':
    case 'release':
    case 'drop':
    case 'duplicate':
    case 'delay':
      return [fault.from, fault.to];
    case 'heal':
      return [];
  }
}

const ACTIONS = [
  'put',
  'get',
  'delete',
  'crash',
  'restart',
  'partition',
  'cut',
  'heal',
  'hold',
  'release',
  'clockStep',
  'drop',
  'duplicate',
  'delay',
] as const;

/** The longest virtual time a step may name: about eleven days. */
const MAX_AT_MS = 1_000_000_000;

const isNames = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((n) => typeof n === 'string');

/** Faults whose fields are lists: a wrong shape gets a sentence, not a crash further on. */
function checkShapes(step: Step, where: string): void {
  if ('partition' in step && !(Array.isArray(step.partition) && step.partition.every(isNames))) {
    throw new ScenarioError(
      `${where}: partition takes groups of node names, e.g. partition: [['s1', 'c1'], ['s2', 's3']]`,
    );
  }
  if ('cut' in step && !(isNames(step.cut?.from) && isNames(step.cut?.to))) {
    throw new ScenarioError(
      `${where}: cut takes { from: [...], to: [...] }, e.g. cut: { from: ['s1'], to: ['s3'] }`,
    );
  }
  for (const link of ['hold', 'release'] as const) {
    if (link in step) {
      const pair = (step as unknown as Record<string, unknown>)[link];
      if (!isNames(pair) || pair.length !== 2)
        throw new ScenarioError(`${where}: ${link} takes a link, e.g. ${link}: ['s1', 's3']`);
    }
  }
}

function checkStep(step: Step, index: number, topology: Topology): void {
  const where = `step ${index + 1}`;
  if (typeof step !== 'object' || step === null)
    throw new ScenarioError(`${where} must be an object`);
  if (!Number.isInteger(step.at) || step.at < 0 || step.at > MAX_AT_MS) {
    throw new ScenarioError(
      `${where}: 'at' must be a whole number of ms from 0 to ${MAX_AT_MS} (got ${JSON.stringify(step.at)})`,
    );
  }
  const actions = ACTIONS.filter((a) => a in step);
  if (actions.length > 1) {
    throw new ScenarioError(`${where} names ${actions.join(' and ')}: give each its own step`);
  }
  checkShapes(step, where);
  const servers = topology.servers;
  const nodes = [...servers, ...topology.clients];
  const op = opOf(step);
  if (op !== null) {
    const s = step as OpStepBase;
    if (!topology.clients.includes(s.client)) {
      throw new ScenarioError(
        `${where}: client '${String(s.client)}' is not one of ${topology.clients.join(', ')}`,
      );
    }
    if (s.via !== undefined && !servers.includes(s.via)) {
      throw new ScenarioError(
        `${where}: via '${s.via}' is not one of the servers ${servers.join(', ')}`,
      );
    }
    if (typeof op.key !== 'string' || (op.kind === 'put' && typeof op.value !== 'string')) {
      throw new ScenarioError(`${where}: keys and values are strings, e.g. put: ['x', '1']`);
    }
    return;
  }
  const fault = faultOf(step);
  if (fault === null) {
    throw new ScenarioError(
      `${where} does nothing: give it one of put, get, delete (with a client), ${ACTIONS.slice(3).join(', ')}`,
    );
  }
  for (const node of faultNodes(fault)) {
    if (!nodes.includes(node))
      throw new ScenarioError(`${where}: '${node}' is not a node (${nodes.join(', ')})`);
  }
  if (fault.kind === 'clockStep' && !Number.isInteger(fault.byMs)) {
    throw new ScenarioError(`${where}: clockStep needs byMs, a whole number of ms`);
  }
  if (fault.kind === 'drop' || fault.kind === 'duplicate' || fault.kind === 'delay') {
    if (typeof fault.message !== 'string' || fault.message === '') {
      throw new ScenarioError(
        `${where}: ${fault.kind} names a message type, e.g. ${fault.kind}: 'REPLICATION', from: 's1', to: 's3' ('*' for any)`,
      );
    }
    if (
      fault.kind === 'delay' &&
      !(Number.isInteger(fault.byMs) && fault.byMs >= 0 && fault.byMs <= MAX_AT_MS)
    ) {
      throw new ScenarioError(
        `${where}: delay needs byMs, a whole number of ms from 0 to ${MAX_AT_MS}`,
      );
    }
    if (fault.kind === 'duplicate') {
      for (const [name, ms] of [
        ['byMs', fault.byMs],
        ['copyByMs', fault.copyByMs],
      ] as const) {
        if (ms !== undefined && !(Number.isInteger(ms) && ms >= 0 && ms <= MAX_AT_MS))
          throw new ScenarioError(
            `${where}: duplicate's ${name} must be a whole number of ms from 0 to ${MAX_AT_MS}`,
          );
      }
    }
  }
}

/** Checks a scenario against its type at run time: a scenario may be plain JS, or cast. */
export function validateScenario(raw: unknown): Scenario {
  if (typeof raw !== 'object' || raw === null) {
    throw new ScenarioError(
      'the scenario file must default-export an object (export default { goal, steps, … })',
    );
  }
  const s = raw as Scenario;
  if (typeof s.goal !== 'string' || s.goal.trim() === '')
    throw new ScenarioError("the scenario needs a one-line 'goal'");
  if (!Array.isArray(s.steps))
    throw new ScenarioError("the scenario needs 'steps', a list of timed steps");
  checkSettings(s);
  const topology = topologyOf(s);
  s.steps.forEach((step, i) => {
    checkStep(step, i, topology);
  });
  return s;
}

/** The scenario's own fields other than its steps: each wrong one is the author's to mend. */
function checkSettings(s: Scenario): void {
  if (
    s.seed !== undefined &&
    !(Number.isInteger(s.seed) && s.seed >= 0 && s.seed <= Number.MAX_SAFE_INTEGER)
  ) {
    throw new ScenarioError(`seed must be a whole number >= 0 (got ${JSON.stringify(s.seed)})`);
  }
  if (
    s.runUntilMs !== undefined &&
    !(Number.isInteger(s.runUntilMs) && s.runUntilMs >= 1 && s.runUntilMs <= MAX_AT_MS)
  ) {
    throw new ScenarioError(
      `runUntilMs must be a whole number of ms from 1 to ${MAX_AT_MS} (got ${JSON.stringify(s.runUntilMs)})`,
    );
  }
  if (
    s.knobs !== undefined &&
    (typeof s.knobs !== 'object' || s.knobs === null || Array.isArray(s.knobs))
  ) {
    throw new ScenarioError(
      "knobs must be an object of knob overrides, e.g. knobs: { followerApply: 'overwrite' }",
    );
  }
  for (const field of ['violations', 'findings'] as const) {
    const listed = s.expect?.[field];
    if (listed === undefined) continue;
    const unknown = Array.isArray(listed)
      ? listed.find((g) => !Object.hasOwn(GUARANTEE_NAMES, g))
      : listed;
    if (unknown !== undefined) {
      throw new ScenarioError(
        `expect.${field} names '${String(unknown)}', which is not a guarantee; the guarantees are: ${Object.keys(GUARANTEE_NAMES).join(', ')}`,
      );
    }
  }
}

export function runScenario(scenario: Scenario, options: RunOptions = {}): ScenarioRun {
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
export function prepareScenario(scenario: Scenario, options: RunOptions = {}): PreparedRun {
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
    bounds: { maxTimeMs: scenario.runUntilMs ?? lastStep + 120_000, ...options.bounds },
  });
  const opSteps: {
    step: number;
    opId: number;
    label: string;
    expected: OpExpectation | undefined;
  }[] = [];
  const notes: { at: number; text: string }[] = [];
  let nextOp = 1;
  scenario.steps.forEach((step, i) => {
    if (step.note !== undefined) notes.push({ at: step.at, text: step.note });
    const op = opOf(step);
    if (op !== null) {
      const s = step as OpStepBase;
      const opId = nextOp++;
      sim.schedule(step.at, { kind: 'invoke', opId, client: s.client, op, via: s.via ?? null });
      opSteps.push({
        step: i + 1,
        opId,
        label: `${s.client} ${describeOp(op)}${s.via ? ` via ${s.via}` : ''}`,
        expected: s.expect,
      });
      return;
    }
    const fault = faultOf(step);
    if (fault !== null) sim.schedule(step.at, { kind: 'fault', fault });
  });
  const finish = (result: RunResult): ScenarioRun => {
    // A literal in the spread's key order, not {...o}: this runs once per operation.
    const outcomes = opSteps.map((o) => {
      const operation = result.history.get(o.opId);
      return {
        step: o.step,
        opId: o.opId,
        label: o.label,
        expected: o.expected,
        operation,
        failure: o.expected === undefined ? null : judge(o.expected, operation),
      };
    });
    const verdicts = checkRun(store, result, topology, lastFaultAt(scenario));
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
      verdicts,
      verdictFailures,
      notes,
    };
  };
  return { sim, finish };
}

/** The knobs a run uses: the preset (the caller's, the scenario's, or fixed) with the overrides. */
export function knobsOf(
  scenario: Scenario,
  options: Pick<RunOptions, 'preset' | 'knobs'>,
): { presetName: string; overrides: Record<string, unknown>; knobs: Knobs } {
  const store = storeOf(scenario);
  const presetName = options.preset ?? scenario.preset ?? 'fixed';
  const overrides: Record<string, unknown> = {
    ...(scenario.knobs ?? {}),
    ...(options.knobs ?? {}),
  };
  const knobs = resolveKnobs(store.knobSpecs, store.presets, presetName, overrides);
  if (!knobs.ok) throw new ScenarioError(knobs.error);
  return { presetName, overrides, knobs: knobs.value };
}

/** When the script's last fault step (a crash, a heal, a release, …) happens; 0 without faults. */
export function lastFaultAt(scenario: Scenario): number {
  let last = 0;
  for (const step of scenario.steps) if (faultOf(step) !== null && step.at > last) last = step.at;
  return last;
}

export function checkRun(
  store: StoreAdapter,
  result: RunResult,
  topology: Topology,
  faultsEndAt: number,
): Verdict[] {
  return runCheckers(store.checkers, {
    operations: result.history.operations,
    applies: result.history.applies,
    locks: result.history.locks,
    replicas: store.replicas(result.finalStates, topology),
    quiescent: result.ending === 'quiescent',
    endedAt: result.endedAt,
    faultsEndAt,
    networkHealed: result.networkHealed,
    explainPending: (op) => store.explainPending(result.finalStates, topology, op),
  });
}

/** Compares the broken guarantees with what the scenario expected: exactly those, no others. */
export function judgeVerdicts(
  expected: NonNullable<Scenario['expect']>,
  verdicts: readonly Verdict[],
): string[] {
  const broken = brokenGuarantees(verdicts);
  const wanted = expected.violations ?? [];
  const failures: string[] = [];
  for (const g of wanted) {
    const v = verdicts.find((x) => x.guarantee === g);
    if (v?.status === 'not-judged')
      failures.push(`${g} was expected to break but could not be judged: ${v.reason}`);
    else if (!broken.includes(g)) failures.push(`${g} was expected to break but held`);
  }
  for (const g of broken) if (!wanted.includes(g)) failures.push(`${g} broke unexpectedly`);
  const found = findings(verdicts);
  for (const g of expected.findings ?? [])
    if (!found.includes(g)) failures.push(`the ${g} finding was expected but not found`);
  return failures;
}

export function expectationText(expected: OpExpectation): string {
  if (typeof expected === 'string') return expected;
  if (expected.pending) return 'still pending';
  const parts = [expected.reply ?? 'a reply'];
  if (expected.value !== undefined)
    parts.push(expected.value === null ? 'with no value' : `with value ${expected.value}`);
  if (expected.server !== undefined) parts.push(`from ${expected.server}`);
  return parts.join(' ');
}

function judge(expected: OpExpectation, op: Operation | undefined): string | null {
  const want = typeof expected === 'string' ? { reply: expected } : expected;
  if (op === undefined) return 'it was never issued (was the client down?)';
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
