// The scenario checker: it reads what a user wrote, field by field, and either accepts it as a
// Scenario or stops at the first mistake with one sentence (errors.ts). Every object of the format
// is a table of its fields (SCENARIO_FIELDS, STEP_KINDS, …), so a new field or step kind is one entry.

import type { NodeId } from '../../protocol/core.ts';
import { describeKnob, parseKnob } from '../../protocol/knobs.ts';
import { GUARANTEE_NAMES } from '../check/index.ts';
import { DEFAULT_NETWORK, resolveNetwork } from '../kernel/network.ts';
import { otherStoresKnob, STORES, type StoreAdapter } from '../stores/index.ts';
import type { Topology } from '../stores/replicated.ts';
import { hasUnsafeCharacters, SAY, ScenarioError } from './errors.ts';
import {
  MAX_CHARS,
  MAX_CLOCK_MS,
  MAX_NODES,
  MAX_SEED,
  MAX_STEP_TEXT_CHARS,
  MAX_STEPS,
  MAX_TIME_MS,
  NODE_NAME,
} from './limits.ts';
import { carriesValue, ENDINGS, MESSAGES, REPLIES, type ReplyName } from './replies.ts';
import type { AnyScenario, Scenario } from './types.ts';

/** What a field's check may ask about the scenario around it, worked out once when first asked. */
interface Scope {
  readonly scenario: Readonly<Record<string, unknown>>;
  store(): StoreAdapter;
  topology(): Topology;
}

/** One field of an object: whether it must be there, and how its value is checked. */
export interface Field {
  readonly required?: true;
  /** Shown when a required field is missing. */
  readonly example?: string;
  /** Throws a ScenarioError naming `where` when the value is wrong. */
  check(value: unknown, where: string, scope: Scope): void;
}

type Fields = Readonly<Record<string, Field>>;

const TOP = 'the scenario';

/** Where a field sits: `goal`, `step 3: expect.reply`, `network.delayMinMs`. */
function within(where: string, name: string): string {
  if (where === TOP) return name;
  return /^step \d+$/.test(where) ? `${where}: ${name}` : `${where}.${name}`;
}

function fail(message: string): never {
  throw new ScenarioError(message);
}

/** A plain object: not a list, not null, not an instance of some class. */
function isRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Checks an object against its table: unknown fields first (a typo), then missing, then each. */
function checkObject(
  value: unknown,
  fields: Fields,
  where: string,
  example: string,
  scope: Scope,
): Record<string, unknown> {
  if (!isRecord(value)) return fail(SAY.notObject(where, example, value));
  const names = Object.keys(fields);
  for (const name of Object.keys(value)) {
    if (!Object.hasOwn(fields, name)) fail(SAY.unknownField(name, where, names));
  }
  for (const [name, field] of Object.entries(fields)) {
    const v = value[name];
    if (v === undefined) {
      if (field.required) fail(SAY.missingField(name, where, field.example ?? example));
      continue;
    }
    field.check(v, within(where, name), scope);
  }
  return value;
}

// ---- values ----

function wholeNumber(min: number, max: number | ((scope: Scope) => number), unit = ''): Field {
  return {
    check(value, where, scope) {
      const top = typeof max === 'number' ? max : max(scope);
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > top)
        fail(SAY.notWholeNumber(where, min, top, unit, value));
    },
  };
}

function text(max: number, example: string, options: { empty?: boolean } = {}): Field {
  return {
    check(value, where) {
      checkText(value, where, max, example, options.empty ?? false);
    },
  };
}

function checkText(value: unknown, where: string, max: number, example: string, empty: boolean) {
  if (typeof value !== 'string') return fail(SAY.notText(where, example, value));
  if (!empty && value.trim() === '') fail(SAY.emptyText(where));
  if (value.length > max) fail(SAY.textTooLong(where, max, value.length));
  if (hasUnsafeCharacters(value)) fail(SAY.unsafeText(where, value));
}

function oneOf(valid: (scope: Scope) => readonly string[], what: string): Field {
  return {
    check(value, where, scope) {
      const names = valid(scope);
      if (typeof value !== 'string' || !names.includes(value))
        fail(SAY.notOneOf(where, value, names, what));
    },
  };
}

const onlyTrue: Field = {
  check(value, where) {
    if (value !== true) fail(SAY.onlyTrue(where, value));
  },
};

function listOf(
  where: string,
  value: unknown,
  example: string,
  min: number,
  max: number,
): readonly unknown[] {
  if (!Array.isArray(value)) return fail(SAY.notList(where, example, value));
  if (value.length < min || value.length > max) fail(SAY.listLength(where, min, max, value.length));
  return withoutHoles(value, where);
}

/**
 * A list with no empty place (`[a, , b]` in a scenario file): forEach and every later walk skip
 * one, so it would pass every check and reach the run as `undefined`. Its length is checked first.
 */
function withoutHoles(list: readonly unknown[], where: string): readonly unknown[] {
  for (let i = 0; i < list.length; i++) if (!(i in list)) fail(SAY.listHole(where, i + 1));
  return list;
}

/** The characters of a checked step's texts (its note, keys, values, node names), two levels deep. */
function textsIn(value: unknown, depth = 0): number {
  if (typeof value === 'string') return value.length;
  if (depth === 2 || typeof value !== 'object' || value === null) return 0;
  let chars = 0;
  for (const inner of Object.values(value)) chars += textsIn(inner, depth + 1);
  return chars;
}

// ---- nodes ----

function checkNodeName(value: unknown, where: string): string {
  checkText(value, where, MAX_CHARS.node, "'s1'", false);
  if (!NODE_NAME.test(value as string)) fail(SAY.badNodeName(where, value as string));
  return value as string;
}

/** A count of nodes, or their names; the names are the first thing a topology is built from. */
const nodes = (what: string): Field => ({
  check(value, where) {
    if (typeof value === 'number') {
      if (!Number.isInteger(value) || value < 1 || value > MAX_NODES)
        fail(SAY.nodesShape(what, MAX_NODES, value));
      return;
    }
    if (!Array.isArray(value) || value.length < 1 || value.length > MAX_NODES)
      fail(SAY.nodesShape(what, MAX_NODES, value));
    withoutHoles(value, where).forEach((name, i) => {
      checkNodeName(name, `${where} (name ${i + 1})`);
    });
  },
});

type NodeKind = 'node' | 'server' | 'client';

function namesOf(kind: NodeKind, scope: Scope): readonly NodeId[] {
  const t = scope.topology();
  return kind === 'server'
    ? t.servers
    : kind === 'client'
      ? t.clients
      : [...t.servers, ...t.clients];
}

function checkNode(value: unknown, where: string, kind: NodeKind, scope: Scope): void {
  if (typeof value !== 'string') fail(SAY.notText(where, "'s1'", value));
  const valid = namesOf(kind, scope);
  if (!valid.includes(value)) fail(SAY.notANode(where, value, kind, valid));
}

const node = (kind: NodeKind): Field => ({
  check: (value, where, scope) => checkNode(value, where, kind, scope),
});

function nodeList(value: unknown, where: string, example: string, scope: Scope): void {
  listOf(where, value, example, 1, MAX_NODES * 2).forEach((name, i) => {
    checkNode(name, `${where} (name ${i + 1})`, 'node', scope);
  });
}

const link: Field = {
  check(value, where, scope) {
    if (!Array.isArray(value) || value.length !== 2) fail(SAY.linkShape(where, value));
    withoutHoles(value, where).forEach((name, i) => {
      checkNode(name, `${where} (${i === 0 ? 'from' : 'to'})`, 'node', scope);
    });
    if (value[0] === value[1]) fail(SAY.linkToItself(where, value[0] as string));
  },
};

// ---- client operations ----

const keyText: Field = text(MAX_CHARS.key, "'x'");
const valueText: Field = text(MAX_CHARS.value, "'1'", { empty: true });

const putPair: Field = {
  check(pair, where, scope) {
    if (!Array.isArray(pair) || pair.length !== 2) return fail(SAY.putShape(where, pair));
    withoutHoles(pair, where);
    if (typeof pair[0] !== 'string' || typeof pair[1] !== 'string') fail(SAY.putShape(where, pair));
    keyText.check(pair[0], `${where} (key)`, scope);
    valueText.check(pair[1], `${where} (value)`, scope);
  },
};

function checkReply(name: unknown, where: string, scope: Scope): void {
  const store = scope.store();
  const valid = REPLIES[store.name];
  if (typeof name !== 'string') fail(SAY.notAReply(where, name));
  if (!valid.includes(name as never)) fail(SAY.unknownReply(where, name, store.name, valid));
}

/** A message type a fault may aim at: one of the store's wire types, or '*' for any. */
const messageType: Field = {
  check(name, where, scope) {
    const store = scope.store();
    if (typeof name !== 'string') fail(SAY.notText(where, "'REPLICATION'", name));
    if (name !== '*' && !MESSAGES[store.name].includes(name))
      fail(SAY.unknownMessage(where, name, store.name, MESSAGES[store.name]));
  },
};

const EXPECTATION_FIELDS: Fields = {
  reply: { check: checkReply },
  value: {
    check: (v, where, scope) => {
      if (v !== null) valueText.check(v, where, scope);
    },
  },
  server: node('server'),
  pending: onlyTrue,
};

const expectation: Field = {
  check(v, where, scope) {
    if (typeof v === 'string') return checkReply(v, where, scope);
    if (!isRecord(v)) return fail(SAY.notAReply(where, v));
    checkObject(v, EXPECTATION_FIELDS, where, "{ reply: 'GET_OK', value: '1' }", scope);
    const given = Object.keys(v).filter((k) => v[k] !== undefined);
    if (given.length === 0) fail(SAY.emptyExpectation(where));
    if (v.pending === true && given.length > 1) fail(SAY.pendingWithReply(where));
  },
};

const OP_FIELDS: Fields = {
  client: { required: true, example: "client: 'c1'", ...node('client') },
  via: node('server'),
  expect: expectation,
};

// ---- steps ----

/** Every step has a time and may have a note. */
const STEP_COMMON: Fields = {
  at: { required: true, example: 'at: 0', ...wholeNumber(0, MAX_TIME_MS, ' of ms') },
  note: text(MAX_CHARS.note, "note: 'what happens here'"),
};

/**
 * The step kinds, by the field that names the action: its own fields besides `at` and `note`.
 * A new kind is one entry here (and its translation in sim/scenario.ts's faultOf or opOf).
 */
export const STEP_KINDS: Readonly<Record<string, Fields>> = {
  put: { ...OP_FIELDS, put: putPair },
  get: { ...OP_FIELDS, get: keyText },
  delete: { ...OP_FIELDS, delete: keyText },
  crash: { crash: node('node') },
  restart: { restart: node('node') },
  partition: {
    partition: {
      check(groups, where, scope) {
        const example = "[['s1', 'c1'], ['s2', 's3']]";
        const groupOf = new Map<string, number>();
        listOf(where, groups, example, 1, MAX_NODES * 2).forEach((group, i) => {
          nodeList(group, `${where} (group ${i + 1})`, example, scope);
          for (const name of group as string[]) {
            const earlier = groupOf.get(name);
            if (earlier !== undefined) fail(SAY.nodeTwiceInPartition(where, name, earlier, i + 1));
            groupOf.set(name, i + 1);
          }
        });
      },
    },
  },
  cut: {
    cut: {
      check(v, where, scope) {
        const example = "{ from: ['s1'], to: ['s3'] }";
        const side: Field = {
          required: true,
          example,
          check: (names, w, s) => nodeList(names, w, "['s1']", s),
        };
        checkObject(v, { from: side, to: side }, where, example, scope);
      },
    },
  },
  heal: { heal: onlyTrue },
  hold: { hold: link },
  release: { release: link },
  clockStep: {
    clockStep: node('node'),
    byMs: {
      required: true,
      example: "{ clockStep: 's1', byMs: -5000 }",
      ...wholeNumber(-MAX_CLOCK_MS, MAX_CLOCK_MS, ' of ms'),
    },
  },
  drop: aimedAt('drop'),
  duplicate: {
    ...aimedAt('duplicate'),
    byMs: wholeNumber(0, MAX_TIME_MS, ' of ms'),
    copyByMs: wholeNumber(0, MAX_TIME_MS, ' of ms'),
  },
  delay: {
    ...aimedAt('delay'),
    byMs: {
      required: true,
      example: "{ delay: 'REPLICATION', from: 's1', to: 's3', byMs: 3000 }",
      ...wholeNumber(0, MAX_TIME_MS, ' of ms'),
    },
  },
};

/** A fault aimed at the next message of a type on one link: its type and both ends. */
function aimedAt(kind: string): Fields {
  const example = `{ ${kind}: 'REPLICATION', from: 's1', to: 's3' }`;
  return {
    [kind]: messageType,
    from: { required: true, example, ...node('node') },
    to: { required: true, example, ...node('node') },
  };
}

const ACTIONS = Object.keys(STEP_KINDS);
const STEP_FIELDS: Readonly<Record<string, Fields>> = Object.fromEntries(
  ACTIONS.map((action) => [action, { ...STEP_COMMON, ...STEP_KINDS[action] }]),
);
const ANY_STEP_FIELD = [
  ...new Set([...Object.keys(STEP_COMMON), ...ACTIONS.flatMap((a) => Object.keys(STEP_KINDS[a]!))]),
];

function checkStep(step: unknown, index: number, scope: Scope): void {
  const where = `step ${index + 1}`;
  const example = "{ at: 0, client: 'c1', put: ['x', '1'] }";
  if (!isRecord(step)) fail(SAY.notObject(where, example, step));
  const actions = ACTIONS.filter((a) => step[a] !== undefined);
  if (actions.length > 1) fail(SAY.stepDoesTwo(where, actions));
  if (actions.length === 0) {
    // A field no step has is likelier a misspelt action than a step without one.
    const stray = Object.keys(step).find((f) => !ANY_STEP_FIELD.includes(f));
    if (stray !== undefined) fail(SAY.unknownField(stray, where, ANY_STEP_FIELD));
    fail(SAY.stepDoesNothing(where, ACTIONS));
  }
  const action = actions[0]!;
  checkObject(step, STEP_FIELDS[action]!, where, example, scope);
  if (action === 'put' || action === 'get' || action === 'delete')
    checkPossible(step, action, where, scope);
}

/**
 * An expectation no run can meet is refused at load, not reported after the run: a reply its
 * operation never ends with (a GET answered PUT_OK), or a value that reply never carries (NULL
 * with a value, a PUT_OK with a value other than the one written).
 */
function checkPossible(
  step: Readonly<Record<string, unknown>>,
  op: 'put' | 'get' | 'delete',
  where: string,
  scope: Scope,
): void {
  const expect = step.expect;
  if (expect === undefined) return;
  const want = (typeof expect === 'string' ? { reply: expect } : expect) as {
    readonly reply?: ReplyName;
    readonly value?: string | null;
    readonly pending?: true;
  };
  if (want.pending === true) return;
  const endings = ENDINGS[scope.store().name][op];
  const written = op === 'put' ? (step.put as readonly [string, string])[1] : undefined;
  const meets = (reply: ReplyName) =>
    (want.reply === undefined || want.reply === reply) &&
    (want.value === undefined ||
      (carriesValue(reply)
        ? want.value !== null && (written === undefined || want.value === written)
        : want.value === null));
  if (!endings.some(meets))
    fail(SAY.impossibleExpectation(within(where, 'expect'), want, op, endings, written));
}

// ---- the scenario's own fields ----

const guarantees: Field = {
  check(v, where) {
    const valid = Object.keys(GUARANTEE_NAMES);
    listOf(where, v, "['convergence']", 0, valid.length).forEach((g, i) => {
      if (typeof g !== 'string' || !valid.includes(g))
        fail(SAY.notOneOf(`${where} (item ${i + 1})`, g, valid, 'guarantees'));
    });
  },
};

const knobs: Field = {
  check(v, where, scope) {
    const store = scope.store();
    const specs = store.knobSpecs;
    // The other store's knob is a likelier mistake than a typo: say whose it is.
    if (isRecord(v))
      for (const name of Object.keys(v)) {
        const other = otherStoresKnob(store, name, "this scenario's store");
        const stores = Object.keys(STORES).map((n) => `'${n}'`);
        if (other !== null)
          fail(
            `${where}: ${other} (a scenario chooses its store with store: ${stores.join(' or ')})`,
          );
      }
    const names = Object.keys(specs);
    const table: Fields = Object.fromEntries(
      names.map((name) => [
        name,
        {
          check(raw: unknown, w: string) {
            const spec = specs[name]!;
            // '100' is the command line's spelling; in a file a number is written as one.
            if (spec.kind === 'int' && typeof raw === 'string')
              fail(SAY.knobAsText(w, describeKnob(spec), raw));
            if (!parseKnob(specs, name, raw).ok) fail(SAY.knobValue(w, describeKnob(spec), raw));
          },
        },
      ]),
    );
    checkObject(v, table, where, "{ followerApply: 'overwrite' }", scope);
  },
};

const network: Field = {
  check(v, where, scope) {
    const table: Fields = Object.fromEntries(
      Object.entries(DEFAULT_NETWORK).map(([name, fallback]) => [
        name,
        typeof fallback === 'boolean'
          ? {
              check: (b: unknown, w: string) => {
                if (typeof b !== 'boolean') fail(SAY.notBoolean(w, b));
              },
            }
          : {
              check: (n: unknown, w: string) => {
                if (typeof n !== 'number' || !Number.isInteger(n)) fail(SAY.notInteger(w, n));
              },
            },
      ]),
    );
    checkObject(v, table, where, '{ delayMinMs: 1, delayMaxMs: 10 }', scope);
    // The ranges are the network's own (sim/kernel/network.ts); only numbers reach its sentence.
    const resolved = resolveNetwork(v);
    if (!resolved.ok) fail(resolved.error);
  },
};

const clockSkew: Field = {
  check(v, where, scope) {
    if (!isRecord(v)) return fail(SAY.notObject(where, '{ s1: 200 }', v));
    const skew = wholeNumber(-MAX_CLOCK_MS, MAX_CLOCK_MS, ' of ms');
    for (const [name, ms] of Object.entries(v)) {
      checkNode(name, where, 'node', scope);
      skew.check(ms, within(where, name), scope);
    }
  },
};

/** The scenario's fields, checked in this order (store and nodes before what refers to them). */
export const SCENARIO_FIELDS: Fields = {
  goal: {
    required: true,
    example: "goal: 'what this run shows'",
    ...text(MAX_CHARS.goal, "'what this run shows'"),
  },
  store: oneOf(() => Object.keys(STORES), 'stores'),
  preset: oneOf((scope) => Object.keys(scope.store().presets), 'presets'),
  servers: nodes('servers'),
  clients: nodes('clients'),
  leader: node('server'),
  knobs,
  network,
  clockSkewMs: clockSkew,
  seed: wholeNumber(0, MAX_SEED),
  runUntilMs: wholeNumber(1, MAX_TIME_MS, ' of ms'),
  livenessBoundMs: wholeNumber(
    0,
    (scope) => (scope.scenario.runUntilMs as number | undefined) ?? MAX_TIME_MS,
    ' of ms',
  ),
  steps: {
    required: true,
    example: "steps: [{ at: 0, client: 'c1', put: ['x', '1'] }]",
    check(v, where, scope) {
      if (Array.isArray(v) && v.length === 0) fail(SAY.noSteps(where));
      listOf(where, v, "[{ at: 0, client: 'c1', put: ['x', '1'] }]", 1, MAX_STEPS);
      (v as unknown[]).forEach((step, i) => {
        checkStep(step, i, scope);
      });
      // A step past the run's end would never run: said now, not after the run. (Steps listed
      // out of time order are the format's: they run by time, and a lab edit's steps keep the
      // script's numbers by going last, unless a step of the script shares their instant.)
      const until = scope.scenario.runUntilMs as number | undefined;
      const steps = v as readonly { readonly at: number }[];
      const late = until === undefined ? -1 : steps.findIndex((step) => step.at > until);
      if (late >= 0) fail(SAY.stepAfterEnd(late + 1, steps[late]!.at, until!));
      // Each text within its own limit, and all of them within one: a million steps of long notes
      // would be drawn, saved and put in a page whole.
      let chars = 0;
      for (const step of v as readonly Readonly<Record<string, unknown>>[]) chars += textsIn(step);
      if (chars > MAX_STEP_TEXT_CHARS)
        fail(SAY.stepTextsTooLong(where, MAX_STEP_TEXT_CHARS, chars));
    },
  },
  expect: {
    check(v, where, scope) {
      const fields = { violations: guarantees, findings: guarantees };
      checkObject(v, fields, where, "{ violations: ['convergence'] }", scope);
      // A guarantee the store does not judge never breaks, and a finding is never a violation
      // (nor a violation a finding): said now, not as "expected to break but held" after the run.
      const store = scope.store();
      const judged = (informative: boolean): string[] =>
        store.checkers.filter((c) => c.informative === informative).map((c) => c.guarantee);
      const lists = { violations: judged(false), findings: judged(true) };
      const expected = v as Partial<Record<keyof typeof lists, readonly string[]>>;
      for (const [field, other] of [
        ['violations', 'findings'],
        ['findings', 'violations'],
      ] as const)
        (expected[field] ?? []).forEach((g, i) => {
          if (lists[field].includes(g)) return;
          const at = `${where}.${field} (item ${i + 1})`;
          const elsewhere = lists[other].includes(g);
          fail(SAY.unjudgedExpectation(at, field, g, store.name, elsewhere, lists[field]));
        });
    },
  },
};

/** Checks what a scenario file exported; returns it as a Scenario, or throws a ScenarioError. */
export function validateScenario(raw: unknown): Scenario {
  if (!isRecord(raw)) return fail(SAY.notAScenario(raw));
  let store: StoreAdapter | undefined;
  let topology: Topology | undefined;
  const scope: Scope = {
    scenario: raw,
    store: () => {
      store ??= storeOf(raw as unknown as AnyScenario);
      return store;
    },
    topology: () => {
      topology ??= topologyOf(raw as unknown as AnyScenario);
      return topology;
    },
  };
  checkObject(raw, SCENARIO_FIELDS, TOP, "{ goal: '…', steps: [...] }", scope);
  // The nodes are checked as a whole even when no field refers to them (duplicates, the store's shape).
  scope.topology();
  return raw as unknown as Scenario;
}

export function storeOf(scenario: AnyScenario): StoreAdapter {
  const name = scenario.store ?? 'replicated';
  if (!Object.hasOwn(STORES, name))
    fail(SAY.notOneOf('store', name, Object.keys(STORES), 'stores'));
  return STORES[name];
}

function names(spec: number | readonly NodeId[] | undefined, fallback: number, prefix: string) {
  const value = spec ?? fallback;
  return typeof value === 'number'
    ? Array.from({ length: value }, (_, i) => `${prefix}${i + 1}`)
    : [...value];
}

/** The scenario's nodes; its servers and clients fields must have passed their checks. */
export function topologyOf(scenario: AnyScenario): Topology {
  const store = storeOf(scenario);
  const servers = names(scenario.servers, store.defaultServers, 's');
  const clients = names(scenario.clients, 2, 'c');
  const all = [...servers, ...clients];
  const seen = new Set<string>();
  for (const n of all) {
    if (seen.has(n)) fail(SAY.nodeTwice(n));
    seen.add(n);
  }
  const leader = scenario.leader ?? servers[0]!;
  if (!servers.includes(leader)) fail(SAY.notANode('leader', leader, 'server', servers));
  const topology = { servers, leader, clients, clockSkewMs: scenario.clockSkewMs ?? {} };
  const unsuitable = store.topologyError(topology);
  if (unsuitable !== null) fail(unsuitable);
  return topology;
}
