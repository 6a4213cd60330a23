// The JSON trace: one versioned document (`kvsim-trace/1`, docs/trace-format.md) that holds
// everything a run showed — seed, knobs, network, nodes, every trace event, the history, the
// expectations and the verdicts. The diagram and the HTML page read this document, never the run,
// so a saved trace gives the same page as the run that wrote it.

import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import type { NodeId } from '../../protocol/core.ts';
import { GUARANTEE_NAMES, type Verdict } from '../check/index.ts';
import type { Apply, LockEvent, Operation } from '../kernel/history.ts';
import type { NetworkConfig } from '../kernel/network.ts';
import type { TraceEvent } from '../kernel/trace.ts';
import { expectationText, type OpExpectation, type ScenarioRun } from '../scenario.ts';
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
  readonly scenario: { readonly file: string; readonly goal: string };
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
  };
  readonly notes: readonly { readonly at: number; readonly text: string }[];
  readonly events: readonly TraceEvent[];
  readonly history: {
    readonly operations: readonly Operation[];
    readonly applies: readonly Apply[];
    readonly locks: readonly LockEvent[];
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
}

/** A copy that is plain JSON, so that the document in memory and the one read back are equal. */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export function traceDocument(run: ScenarioRun, source: DocumentSource): TraceDocument {
  const { topology } = run;
  const node = (id: NodeId, role: TraceNode['role']): TraceNode => ({
    id,
    role,
    // Only the replicated store has a leader; the lock store's one server is just the server.
    leader: run.store === 'replicated' && role === 'server' && id === topology.leader,
    clockSkewMs: topology.clockSkewMs[id] ?? 0,
  });
  const history = run.result.history;
  // The events are plain JSON already (the kernel builds them as literals); copying them through
  // one JSON string would need the whole run in one string, which a long run exceeds.
  const doc = plain({
    schema: TRACE_SCHEMA,
    scenario: { file: source.file, goal: source.goal },
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
    },
    notes: [...run.notes].sort((a, b) => a.at - b.at),
    events: [],
    history: {
      operations: history.operations,
      applies: history.applies,
      locks: history.locks,
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

/** The messages of an operation: its requests (and retries) and the replies that name it. */
function messagesOf(doc: TraceDocument, opId: number): number[] {
  const op = doc.history.operations.find((o) => o.id === opId);
  if (op === undefined) return [];
  const ids: number[] = [];
  for (const e of doc.events) {
    if (e.kind !== 'send' && e.kind !== 'duplicate') continue;
    const m = e.message as { readonly requestId?: unknown };
    if (m.requestId === op.requestId && !ids.includes(e.id)) ids.push(e.id);
  }
  return ids;
}

/** Every failed expectation, broken guarantee and informative finding, with its witness. */
export function highlightsOf(doc: TraceDocument): Highlight[] {
  const failed = doc.expectations
    .filter((x) => x.failure !== null)
    .map(
      (x): Highlight => ({
        severity: 'violation',
        opIds: [x.opId],
        messageIds: messagesOf(doc, x.opId),
        text: `step ${x.step}: ${x.label} should get ${x.expectedText ?? 'a reply'}, but ${x.failure}.`,
      }),
    );
  const found = doc.verdicts.flatMap((v) =>
    v.violations.map(
      (violation): Highlight => ({
        severity: v.informative ? 'finding' : 'violation',
        opIds: violation.ops,
        messageIds: violation.ops.flatMap((op) => messagesOf(doc, op)),
        text: `${GUARANTEE_NAMES[v.guarantee]}: ${violation.sentence}`,
      }),
    ),
  );
  return [...failed, ...found];
}

// Arrays of records are written one record a line: the file stays readable, diffable and greppable.
// The text goes to `out` in pieces, so that a long run's document is never one string.
function layout(out: (text: string) => void, value: unknown, indent: string, depth: number): void {
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

/** Where a document's pieces go: a file being written whole (sim/cli/output.ts), or anything like it. */
export interface ChunkSink {
  write(chunk: string | Uint8Array): void;
}

/**
 * The trace's events as they happen, spooled to a file beside the output in the document's own
 * layout (one event a line), so that a run of any length is saved without being held: pass
 * `add` as the run's trace sink, then `writeTraceDocument(sink, doc, spool)`.
 */
export class TraceSpool {
  readonly path: string;
  private readonly out: Buffered;
  private readonly fd: number;
  count = 0;

  constructor(beside: string) {
    this.path = `${beside}.events-${process.pid}.tmp`;
    this.fd = openSync(this.path, 'w');
    this.out = new Buffered({
      write: (chunk) => {
        if (typeof chunk === 'string') writeSync(this.fd, chunk);
        else writeSync(this.fd, chunk);
      },
    });
  }

  readonly add = (json: string): void => {
    this.out.write(this.count === 0 ? `    ${json}` : `,\n    ${json}`);
    this.count++;
  };

  /** Hands the spooled events to `sink`, a megabyte at a time. */
  copyTo(sink: ChunkSink): void {
    this.out.flush();
    const input = openSync(this.path, 'r');
    try {
      const chunk = Buffer.alloc(1 << 20);
      for (let n = readSync(input, chunk); n > 0; n = readSync(input, chunk))
        sink.write(chunk.subarray(0, n));
    } finally {
      closeSync(input);
    }
  }

  dispose(): void {
    try {
      closeSync(this.fd);
    } catch {
      // Closed already.
    }
    rmSync(this.path, { force: true });
  }
}

/** Text gathered into pieces of about a megabyte before it goes to the sink. */
class Buffered {
  private parts: string[] = [];
  private size = 0;

  constructor(private readonly sink: ChunkSink) {}

  readonly write = (text: string): void => {
    this.parts.push(text);
    this.size += text.length;
    if (this.size > 1 << 20) this.flush();
  };

  flush(): void {
    if (this.parts.length > 0) this.sink.write(this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
}

/**
 * Writes the document exactly as serializeTraceDocument would, in pieces, to `sink` (a file written
 * whole: see sim/cli/output.ts). The events come from `spool` when the run streamed them there.
 */
export function writeTraceDocument(sink: ChunkSink, doc: TraceDocument, spool?: TraceSpool): void {
  const buffer = new Buffered(sink);
  const out = buffer.write;
  if (spool === undefined) layout(out, doc, '', 0);
  else {
    out('{\n');
    Object.entries(doc).forEach(([k, v], i) => {
      out(`${i === 0 ? '' : ',\n'}  ${JSON.stringify(k)}: `);
      if (k !== 'events') layout(out, v, '  ', 1);
      else if (spool.count === 0) out('[]');
      else {
        out('[\n');
        buffer.flush();
        spool.copyTo(sink);
        out('\n  ]');
      }
    });
    out('\n}');
  }
  out('\n');
  buffer.flush();
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
