// Checks a trace read from disk before any view touches it: every field the views read has the
// type docs/trace-format.md gives it, every node an event names is one of the trace's nodes, and
// times are whole non-negative milliseconds in order. A trace may be shared by anyone, so nothing
// in it is trusted; the first thing wrong is named in one sentence ("events[12].t must be ...").

import { GUARANTEE_NAMES } from '../check/index.ts';

export class TraceFormatError extends Error {}

/** The scenario checker allows 64 servers and 64 clients. */
export const MAX_TRACE_NODES = 128;

type Check = (value: unknown, path: string) => void;

function fail(path: string, what: string): never {
  throw new TraceFormatError(`${path} must be ${what}`);
}

/** `a.b`, `a[3]`, or `a["odd key"]` for a key that is not a plain name. */
function child(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  const name = /^[A-Za-z_$][\w$]{0,40}$/.test(key) ? key : null;
  return name === null ? `${path}[${JSON.stringify(key.slice(0, 40))}]` : `${path}.${name}`;
}

const string: Check = (v, p) => {
  if (typeof v !== 'string') fail(p, 'a string');
};
const boolean: Check = (v, p) => {
  if (typeof v !== 'boolean') fail(p, 'true or false');
};
const integer: Check = (v, p) => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(p, 'a whole number');
};
const count: Check = (v, p) => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    fail(p, 'a whole number, 0 or more');
};
const time: Check = (v, p) => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    fail(p, 'a time: whole milliseconds, 0 or more');
};
const anything: Check = () => {};

function nullable(check: Check): Check {
  return (v, p) => {
    if (v !== null) check(v, p);
  };
}

function oneOf(...values: readonly string[]): Check {
  return (v, p) => {
    if (typeof v !== 'string' || !values.includes(v)) fail(p, `one of ${values.join(', ')}`);
  };
}

/** A JSON object: not a list, not null. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function object(fields: Readonly<Record<string, Check>>): Check {
  return (v, p) => {
    if (!isObject(v)) fail(p, 'an object');
    for (const [name, check] of Object.entries(fields)) {
      if (!Object.hasOwn(v, name)) throw new TraceFormatError(`${child(p, name)} is missing`);
      check(v[name], child(p, name));
    }
  };
}

function optional(check: Check): Check {
  return (v, p) => {
    if (v !== undefined) check(v, p);
  };
}

function arrayOf(check: Check, max = Number.POSITIVE_INFINITY): Check {
  return (v, p) => {
    if (!Array.isArray(v)) fail(p, 'an array');
    if (v.length > max) fail(p, `an array of at most ${max} entries (it has ${v.length})`);
    for (let i = 0; i < v.length; i++) check(v[i], child(p, i));
  };
}

function recordOf(check: Check): Check {
  return (v, p) => {
    if (!isObject(v)) fail(p, 'an object');
    for (const [k, x] of Object.entries(v)) check(x, child(p, k));
  };
}

/** Checks that a field names one of the trace's nodes (and is a string first). */
type NodeRef = Check;

function nodeRef(nodes: ReadonlySet<string>): NodeRef {
  return (v, p) => {
    string(v, p);
    if (!nodes.has(v as string)) {
      throw new TraceFormatError(
        `${p} names ${JSON.stringify((v as string).slice(0, 40))}, which is not among the trace's nodes`,
      );
    }
  };
}

/** A wire message: a `type`, and the fields every view reads with their types; the rest is free. */
const message: Check = (v, p) => {
  object({ type: string })(v, p);
  const m = v as Record<string, unknown>;
  optional(string)(m.requestId, child(p, 'requestId'));
  optional(integer)(m.attempt, child(p, 'attempt'));
  optional(string)(m.key, child(p, 'key'));
  optional(nullable(string))(m.value, child(p, 'value'));
};

const lockChange = object({
  key: string,
  event: oneOf('grant', 'release', 'expire'),
  holder: string,
  requestId: string,
  token: integer,
  by: nullable(string),
});

function observation(node: NodeRef): Check {
  const kinds: Readonly<Record<string, Check>> = {
    invoke: object({
      opId: integer,
      client: node,
      op: oneOf('put', 'get', 'delete'),
      key: string,
      value: nullable(string),
      requestId: string,
    }),
    complete: object({
      opId: integer,
      client: node,
      reply: string,
      server: node,
      value: nullable(string),
      ts: nullable(integer),
    }),
    apply: object({
      node,
      key: string,
      value: nullable(string),
      ts: integer,
      origin: nullable(string),
    }),
    note: (v, p) => {
      object({ node, text: string })(v, p);
      optional(lockChange)((v as Record<string, unknown>).lock, child(p, 'lock'));
      optional(boolean)((v as Record<string, unknown>).emptied, child(p, 'emptied'));
    },
  };
  return byKind(kinds);
}

function fault(node: NodeRef): Check {
  const nodes = arrayOf(node, MAX_TRACE_NODES);
  return byKind({
    crash: object({ node }),
    restart: object({ node }),
    partition: object({ groups: arrayOf(nodes, MAX_TRACE_NODES) }),
    cut: object({ from: nodes, to: nodes }),
    heal: anything,
    hold: object({ from: node, to: node }),
    release: object({ from: node, to: node }),
    clockStep: object({ node, byMs: integer }),
    // Aimed at the next message of a type on a link (a scenario's, a case's, a what-if's).
    drop: object({ message: string, from: node, to: node }),
    duplicate: (v, p) => {
      object({ message: string, from: node, to: node })(v, p);
      const { byMs, copyByMs } = v as Record<string, unknown>;
      optional(integer)(byMs, child(p, 'byMs'));
      optional(integer)(copyByMs, child(p, 'copyByMs'));
    },
    delay: object({ message: string, from: node, to: node, byMs: integer }),
  });
}

/** A record whose `kind` picks its shape. */
function byKind(kinds: Readonly<Record<string, Check>>): Check {
  return (v, p) => {
    if (!isObject(v)) fail(p, 'an object');
    const kind = v.kind;
    if (typeof kind !== 'string' || !Object.hasOwn(kinds, kind)) {
      fail(child(p, 'kind'), `one of ${Object.keys(kinds).join(', ')}`);
    }
    kinds[kind]!(v, p);
  };
}

/** A node's state digest, as far as the page reads it; any other shape is shown as raw JSON. */
const stateSummary: Check = (v, p) => {
  if (!isObject(v)) fail(p, 'an object');
  optional(recordOf(object({ value: nullable(string), ts: integer })))(v.store, child(p, 'store'));
  optional(arrayOf(string))(v.replicating, child(p, 'replicating'));
  optional(recordOf(object({ holder: string, token: integer, expiresAt: nullable(integer) })))(
    v.locks,
    child(p, 'locks'),
  );
  optional(recordOf(integer))(v.seen, child(p, 'seen'));
  optional(integer)(v.keys, child(p, 'keys'));
  if (v.seen !== undefined) arrayOf(string)(v.pending, child(p, 'pending'));
};

function event(node: NodeRef): Check {
  const link = { t: time, id: integer, from: node, to: node, message };
  return byKind({
    send: object({ ...link, deliverAt: nullable(time) }),
    duplicate: object({ ...link, of: integer, deliverAt: time }),
    deliver: object({ ...link, sentAt: time }),
    drop: object({ ...link, reason: oneOf('loss', 'planned', 'partition', 'down') }),
    hold: object(link),
    timer: object({ t: time, node, timer: anything }),
    record: object({ t: time, node, observation: observation(node) }),
    fault: object({ t: time, fault: fault(node) }),
    state: object({ t: time, node, summary: stateSummary }),
    refused: object({ t: time, node, why: string }),
  });
}

const traceNode = object({
  id: string,
  role: oneOf('server', 'client'),
  leader: boolean,
  clockSkewMs: integer,
});

const network = object({
  delayMinMs: count,
  delayMaxMs: count,
  spikePermille: count,
  spikeMs: count,
  dropPermille: count,
  duplicatePermille: count,
  fifo: boolean,
});

function operation(node: NodeRef): Check {
  return object({
    id: integer,
    client: node,
    op: oneOf('put', 'get', 'delete'),
    key: string,
    value: nullable(string),
    requestId: string,
    invokedAt: time,
    completedAt: nullable(time),
    reply: nullable(string),
    server: nullable(string),
    result: nullable(string),
    ts: nullable(integer),
    abandonedAt: nullable(time),
    session: string,
  });
}

const verdict = object({
  guarantee: oneOf(...Object.keys(GUARANTEE_NAMES)),
  informative: boolean,
  status: oneOf('held', 'broken', 'not-judged'),
  reason: nullable(string),
  violations: arrayOf(
    object({
      guarantee: string,
      ops: arrayOf(integer),
      nodes: arrayOf(string),
      at: integer,
      sentence: string,
    }),
  ),
});

const expectation = object({
  step: integer,
  opId: integer,
  label: string,
  expected: anything,
  expectedText: nullable(string),
  failure: nullable(string),
});

/** The trace's nodes: at most MAX_TRACE_NODES, each id once. */
function nodesOf(doc: Record<string, unknown>): Set<string> {
  arrayOf(traceNode, MAX_TRACE_NODES)(doc.nodes, 'nodes');
  const ids = new Set<string>();
  (doc.nodes as { id: string }[]).forEach((n, i) => {
    if (ids.has(n.id)) {
      throw new TraceFormatError(
        `nodes[${i}].id ${JSON.stringify(n.id.slice(0, 40))} appears twice; each node once`,
      );
    }
    ids.add(n.id);
  });
  return ids;
}

/** Each entry's time no earlier than the one before: the views draw time running down. */
function inOrder(list: readonly Record<string, unknown>[], path: string, field: string): void {
  for (let i = 1; i < list.length; i++) {
    if ((list[i]![field] as number) < (list[i - 1]![field] as number)) {
      throw new TraceFormatError(
        `${path}[${i}].${field} is earlier than ${path}[${i - 1}].${field}; a trace is in time order`,
      );
    }
  }
}

/** Every operation an event or a verdict names must be in history.operations. */
function checkOperationIds(doc: Record<string, unknown>): void {
  const history = doc.history as { operations: { id: number }[] };
  const ids = new Set<number>();
  history.operations.forEach((o, i) => {
    if (ids.has(o.id))
      throw new TraceFormatError(`history.operations[${i}].id ${o.id} appears twice`);
    ids.add(o.id);
  });
  const known = (id: number, path: string) => {
    if (!ids.has(id)) {
      throw new TraceFormatError(
        `${path} names operation ${id}, which is not in history.operations`,
      );
    }
  };
  (doc.events as { kind: string; observation?: { kind: string; opId?: number } }[]).forEach(
    (e, i) => {
      const o = e.observation;
      if (e.kind === 'record' && (o?.kind === 'invoke' || o?.kind === 'complete')) {
        known(o.opId!, `events[${i}].observation.opId`);
      }
    },
  );
  // An expectation is not checked against the history: a step never issued (its client crashed
  // with it queued, or the run stopped at a bound first) keeps its operation's id, and the views
  // draw its expectation without an operation (with `expect` or without).
  (doc.verdicts as { violations: { ops: number[] }[] }[]).forEach((v, i) => {
    v.violations.forEach((w, j) => {
      w.ops.forEach((op, k) => {
        known(op, `verdicts[${i}].violations[${j}].ops[${k}]`);
      });
    });
  });
}

/** Levels of values within values a trace may hold: kvsim's go a few down (a state digest, a step). */
const MAX_NESTING = 64;

/**
 * A value nested deeper than any kvsim trace holds, named by where it sits (`events[6]`): walked
 * without recursion, since every reader that recurses (the hash, the views' text, the page's
 * data) would exhaust the stack on one thousands of levels deep.
 */
function checkNesting(doc: Record<string, unknown>): void {
  const stack: [value: unknown, depth: number, where: string][] = [[doc, 0, '']];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [value, depth, where] = top;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > MAX_NESTING)
      throw new TraceFormatError(
        `${where} holds a value nested deeper than a kvsim trace ever does, too deep to read`,
      );
    const list = Array.isArray(value);
    for (const [key, child] of Object.entries(value)) {
      // Named down to an entry of a top-level list (events[6]) or a field of a top-level object.
      const here =
        depth === 0 ? key : depth === 1 ? (list ? `${where}[${key}]` : `${where}.${key}`) : where;
      stack.push([child, depth + 1, here]);
    }
  }
}

/** Throws a TraceFormatError naming the first field that is not as docs/trace-format.md says. */
export function checkTraceDocument(doc: Record<string, unknown>): void {
  checkNesting(doc);
  object({ file: string, goal: string })(doc.scenario, 'scenario');
  string(doc.replay, 'replay');
  count(doc.seed, 'seed');
  oneOf('replicated', 'lock')(doc.store, 'store');
  string(doc.preset, 'preset');
  recordOf((v, p) => {
    if (typeof v !== 'string' && !(typeof v === 'number' && Number.isFinite(v))) {
      fail(p, 'a string or a number');
    }
  })(doc.knobs, 'knobs');
  network(doc.network, 'network');
  const node = nodeRef(nodesOf(doc));
  object({
    ending: oneOf(
      'quiescent',
      'time-limit',
      'event-limit',
      'queue-limit',
      'trace-limit',
      'history-limit',
    ),
    endedAt: time,
    events: count,
    hash: string,
  })(doc.run, 'run');
  optional(object({ maxEvents: count, maxQueue: count, maxTraceChars: count, maxHistory: count }))(
    (doc.run as Record<string, unknown>).bounds,
    'run.bounds',
  );
  arrayOf(object({ at: time, text: string }))(doc.notes, 'notes');
  inOrder(doc.notes as Record<string, unknown>[], 'notes', 'at');
  arrayOf(event(node))(doc.events, 'events');
  inOrder(doc.events as Record<string, unknown>[], 'events', 't');
  object({
    operations: arrayOf(operation(node)),
    applies: arrayOf(
      object({
        t: time,
        node,
        key: string,
        value: nullable(string),
        ts: integer,
        origin: nullable(string),
      }),
    ),
    locks: arrayOf((v, p) => {
      lockChange(v, p);
      object({ t: time, node })(v, p);
    }),
  })(doc.history, 'history');
  optional(arrayOf(object({ t: time, node })))(
    (doc.history as Record<string, unknown>).wipes,
    'history.wipes',
  );
  arrayOf(expectation)(doc.expectations, 'expectations');
  arrayOf(verdict)(doc.verdicts, 'verdicts');
  arrayOf(string)(doc.verdictFailures, 'verdictFailures');
  checkOperationIds(doc);
}
