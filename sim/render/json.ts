// The JSON trace: one versioned document (`kvsim-trace/1`, docs/trace-format.md) that holds
// everything a run showed — seed, knobs, network, nodes, every trace event, the history, the
// expectations and the verdicts. The diagram and the HTML page read this document, never the run,
// so a saved trace gives the same page as the run that wrote it.

import type { NodeId } from '../../protocol/core.ts';
import { GUARANTEE_NAMES, type Verdict } from '../check/index.ts';
import type { Apply, LockEvent, Operation, Wipe } from '../kernel/history.ts';
import type { NetworkConfig } from '../kernel/network.ts';
import { type SizeBounds, sizeBounds } from '../kernel/simulation.ts';
import type { TraceEvent } from '../kernel/trace.ts';
import {
  type AnyScenario,
  expectationText,
  type OpExpectation,
  type ScenarioRun,
} from '../scenario.ts';
import { clockSkewOf } from '../stores/common.ts';
import { clip } from './safe-text.ts';
import { checkTraceDocument, TraceFormatError } from './trace-check.ts';

export const TRACE_SCHEMA = 'kvsim-trace/1';

export interface TraceNode {
  readonly id: NodeId;
  readonly role: 'server' | 'client';
  /** The replicated store's leader (fixed when the cluster starts). */
  readonly leader: boolean;
  readonly clockSkewMs: number;
}

export interface TraceExpectation {
  /** The scenario step (1-based) that issued the operation. */
  readonly step: number;
  readonly opId: number;
  /** `c1 GET x via s3` */
  readonly label: string;
  /** The expectation as the scenario wrote it. */
  readonly expected: OpExpectation | null;
  /** The same in words: `GET_OK with value 2`. */
  readonly expectedText: string | null;
  /** Why it was not met; null when it was met or there was none. */
  readonly failure: string | null;
}

export interface TraceDocument {
  readonly schema: typeof TRACE_SCHEMA;
  readonly scenario: {
    readonly file: string;
    readonly goal: string;
    /** The scenario itself, with the run's seed, preset and knobs written in: the page's lab reruns it. */
    readonly definition?: AnyScenario;
  };
  /** The command that replays this run. */
  readonly replay: string;
  readonly seed: number;
  /** Which protocol ran: `replicated` or `lock`. */
  readonly store: string;
  readonly preset: string;
  readonly knobs: Readonly<Record<string, string | number>>;
  readonly network: NetworkConfig;
  /** Servers first, then clients, in the order the scenario declared them. */
  readonly nodes: readonly TraceNode[];
  readonly run: {
    readonly ending: string;
    readonly endedAt: number;
    readonly events: number;
    readonly hash: string;
    /**
     * What liveness is judged by besides the history (absent from traces written before them):
     * no partition, cut or held link at the end; when the faults had played out; the stated
     * bound, ms (null when none bounds the run).
     */
    readonly networkHealed?: boolean;
    readonly faultsEndAt?: number;
    readonly livenessBoundMs?: number | null;
    /**
     * The bounds on events, the queue, the trace kept and the history the run had (absent from
     * traces written before them): the page's lab reruns the scenario within them, so that a run
     * `--max-events` cut short is rerun to the same event.
     */
    readonly bounds?: SizeBounds;
  };
  readonly notes: readonly { readonly at: number; readonly text: string }[];
  readonly events: readonly TraceEvent[];
  readonly history: {
    readonly operations: readonly Operation[];
    readonly applies: readonly Apply[];
    readonly locks: readonly LockEvent[];
    /** Absent from traces written before restarts that empty a store were recorded. */
    readonly wipes?: readonly Wipe[];
  };
  readonly expectations: readonly TraceExpectation[];
  /** One per guarantee the store's checkers judge, with each violation's witness and sentence. */
  readonly verdicts: readonly Verdict[];
  /** What the scenario expected of the verdicts and did not get. */
  readonly verdictFailures: readonly string[];
}

/**
 * What a view marks: a witness (operations and messages) and the sentence that explains it. A
 * violation (a failed expectation, a broken guarantee) is red; an informative finding is amber.
 */
export interface Highlight {
  readonly severity: 'violation' | 'finding';
  readonly opIds: readonly number[];
  readonly messageIds: readonly number[];
  readonly text: string;
}

export interface DocumentSource {
  readonly file: string;
  readonly goal: string;
  readonly replay: string;
  readonly definition?: AnyScenario;
}

/** How many items of a list are copied through one string: a few MB at most. */
const COPY_ITEMS = 4096;

/**
 * A copy that is plain JSON, so that the document in memory and the one read back are equal. The
 * top `depth` levels of objects are copied field by field and lists a slice at a time: a long
 * run's history (or a long scenario's steps) in one string would exceed the longest string
 * JavaScript holds.
 */
function plain<T>(value: T, depth = 3): T {
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    for (let i = 0; i < value.length; i += COPY_ITEMS)
      for (const item of JSON.parse(JSON.stringify(value.slice(i, i + COPY_ITEMS))))
        copy.push(item);
    return copy as T;
  }
  if (depth === 0 || typeof value !== 'object' || value === null)
    return JSON.parse(JSON.stringify(value)) as T;
  const copy: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value))
    if (field !== undefined && typeof field !== 'function') copy[key] = plain(field, depth - 1);
  return copy as T;
}

export function traceDocument(run: ScenarioRun, source: DocumentSource): TraceDocument {
  const { topology } = run;
  const node = (id: NodeId, role: TraceNode['role']): TraceNode => ({
    id,
    role,
    // Only the replicated store has a leader; the lock store's one server is just the server.
    leader: run.store === 'replicated' && role === 'server' && id === topology.leader,
    clockSkewMs: clockSkewOf(topology.clockSkewMs, id),
  });
  const history = run.result.history;
  // The events are plain JSON already (the kernel builds them as literals); copying them through
  // one JSON string would need the whole run in one string, which a long run exceeds.
  const doc = plain({
    schema: TRACE_SCHEMA,
    scenario:
      source.definition === undefined
        ? { file: source.file, goal: source.goal }
        : { file: source.file, goal: source.goal, definition: source.definition },
    replay: source.replay,
    seed: run.seed,
    store: run.store,
    preset: run.preset,
    knobs: { ...run.knobs },
    network: run.network,
    nodes: [
      ...topology.servers.map((id) => node(id, 'server')),
      ...topology.clients.map((id) => node(id, 'client')),
    ],
    run: {
      ending: run.result.ending,
      endedAt: run.result.endedAt,
      events: run.result.events,
      hash: run.result.hash,
      networkHealed: run.result.networkHealed,
      faultsEndAt: run.result.faultsEndAt,
      livenessBoundMs: run.livenessBound.ms,
      bounds: sizeBounds(run.result.bounds),
    },
    notes: [...run.notes].sort((a, b) => a.at - b.at),
    events: [],
    history: {
      operations: history.operations,
      applies: history.applies,
      locks: history.locks,
      wipes: history.wipes,
    },
    expectations: run.outcomes.map((o) => ({
      step: o.step,
      opId: o.opId,
      label: o.label,
      expected: o.expected ?? null,
      expectedText: o.expected === undefined ? null : expectationText(o.expected),
      failure: o.failure,
    })),
    verdicts: run.verdicts,
    verdictFailures: run.verdictFailures,
  });
  return { ...doc, schema: TRACE_SCHEMA, events: run.result.trace };
}

/**
 * The messages of each operation: its requests (and retries) and the replies that name it. The
 * trace and the operations are read once, when first asked: a run may have thousands of
 * witnesses and a trace of hundreds of thousands of events.
 */
export function messageIndex(
  operations: readonly { readonly id: number; readonly requestId: unknown }[],
  events: readonly TraceEvent[],
): (opId: number) => number[] {
  let byId: Map<number, { readonly requestId: unknown }> | null = null;
  let byRequest: Map<unknown, Set<number>> | null = null;
  return (opId) => {
    if (byId === null) {
      byId = new Map();
      // The first operation of an id, should two share one.
      for (const o of operations) if (!byId.has(o.id)) byId.set(o.id, o);
    }
    const op = byId.get(opId);
    if (op === undefined) return [];
    if (byRequest === null) {
      byRequest = new Map();
      for (const e of events) {
        if (e.kind !== 'send' && e.kind !== 'duplicate') continue;
        const request = (e.message as { readonly requestId?: unknown }).requestId;
        const ids = byRequest.get(request);
        if (ids === undefined) byRequest.set(request, new Set([e.id]));
        else ids.add(e.id);
      }
    }
    return [...(byRequest.get(op.requestId) ?? [])];
  };
}

/** Every failed expectation, broken guarantee and informative finding, with its witness. */
export function highlightsOf(doc: TraceDocument): Highlight[] {
  const messagesOf = messageIndex(doc.history.operations, doc.events);
  const failed = doc.expectations
    .filter((x) => x.failure !== null)
    .map(
      (x): Highlight => ({
        severity: 'violation',
        opIds: [x.opId],
        messageIds: messagesOf(x.opId),
        text: `step ${x.step}: ${x.label} ${shouldText(x.expectedText)}, but ${x.failure}.`,
      }),
    );
  const found = doc.verdicts.flatMap((v) =>
    v.violations.map(
      (violation): Highlight => ({
        severity: v.informative ? 'finding' : 'violation',
        opIds: violation.ops,
        messageIds: violation.ops.flatMap((op) => messagesOf(op)),
        text: `${GUARANTEE_NAMES[v.guarantee]}: ${violation.sentence}`,
      }),
    ),
  );
  return [...failed, ...found];
}

// Arrays of records are written one record a line: the file stays readable, diffable and greppable.
// The text goes to `out` in pieces, so that a long run's document is never one string.
export function layout(
  out: (text: string) => void,
  value: unknown,
  indent: string,
  depth: number,
): void {
  const inner = `${indent}  `;
  if (Array.isArray(value) && value.length > 0) {
    out('[\n');
    for (let i = 0; i < value.length; i++)
      out(`${i === 0 ? '' : ',\n'}${inner}${JSON.stringify(value[i])}`);
    out(`\n${indent}]`);
  } else if (Array.isArray(value)) out('[]');
  else if (typeof value === 'object' && value !== null && depth < 2) {
    const fields = Object.entries(value);
    if (fields.length === 0) out('{}');
    else {
      out('{\n');
      fields.forEach(([k, v], i) => {
        out(`${i === 0 ? '' : ',\n'}${inner}${JSON.stringify(k)}: `);
        layout(out, v, inner, depth + 1);
      });
      out(`\n${indent}}`);
    }
  } else out(JSON.stringify(value));
}

export function serializeTraceDocument(doc: TraceDocument): string {
  const parts: string[] = [];
  layout((text) => parts.push(text), doc, '', 0);
  return `${parts.join('')}\n`;
}

export { TraceFormatError };

/** Reads a saved trace; a file that is not one says so in one sentence. */
export function parseTraceDocument(text: string): TraceDocument {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new TraceFormatError(`it is not JSON (${clip(why.split('\n')[0]!, 200)})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new TraceFormatError('it is not a JSON object');
  }
  const doc = raw as Record<string, unknown>;
  if (doc.schema !== TRACE_SCHEMA) {
    throw new TraceFormatError(
      `its schema is ${clip(JSON.stringify(doc.schema ?? null) ?? 'not set', 60)}, and this version reads '${TRACE_SCHEMA}'`,
    );
  }
  checkTraceDocument(doc);
  return raw as TraceDocument;
}

/** What a step should have got, from its expectation's text ('still pending' in older traces). */
function shouldText(expected: string | null): string {
  if (expected === expectationText({ pending: true }) || expected === 'still pending')
    return 'should never be answered';
  return `should get ${expected ?? 'a reply'}`;
}
