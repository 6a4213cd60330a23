// The one-line-per-event view of a run: virtual time, who, what. Notes from the scenario appear
// at their time; drops, duplicates, faults and failed expectations stand out in colour.

import type { ChalkInstance } from 'chalk';
import type { TraceEvent } from '../kernel/trace.ts';
import type { ScenarioRun } from '../scenario.ts';
import {
  formatFault,
  formatMessage,
  formatObservation,
  formatTime,
  formatTimer,
} from './format.ts';
import { anchorOp, type Highlight, highlightsOf } from './highlights.ts';
import { displayText as safe } from './safe-text.ts';

const TIME_WIDTH = 10;
const WHO_WIDTH = 10;

/** `who` is escaped here; `text` arrives painted, its data already escaped by `safe`. */
function row(c: ChalkInstance, t: number, who: string, text: string): string {
  return `${c.dim(formatTime(t).padStart(TIME_WIDTH))}  ${safe(who).padEnd(WHO_WIDTH)} ${text}`;
}

/** The lines for one trace event; empty when the event is not shown in this view. */
export function logLine(
  c: ChalkInstance,
  e: TraceEvent,
  failedOps: ReadonlySet<number>,
  requestOf: ReadonlyMap<number, string> = new Map(),
): string | null {
  switch (e.kind) {
    case 'deliver':
      return row(
        c,
        e.t,
        `${e.from} → ${e.to}`,
        `${safe(formatMessage(e.message))} ${c.dim(`(sent ${formatTime(e.sentAt)}, msg ${e.id})`)}`,
      );
    case 'drop': {
      const why =
        e.reason === 'loss'
          ? 'lost'
          : e.reason === 'planned'
            ? 'planned drop'
            : e.reason === 'partition'
              ? 'partition'
              : `${e.to} is down`;
      return row(
        c,
        e.t,
        `${e.from} ✗ ${e.to}`,
        `${c.red(`${safe(formatMessage(e.message))}  DROPPED (${safe(why)})`)} ${c.dim(`msg ${e.id}`)}`,
      );
    }
    case 'duplicate':
      return row(
        c,
        e.t,
        `${e.from} → ${e.to}`,
        `${c.magenta(
          `${safe(formatMessage(e.message))}  DUPLICATED, copy arrives ${formatTime(e.deliverAt)}`,
        )} ${c.dim(`msg ${e.id}, a copy of ${e.of}`)}`,
      );
    case 'hold':
      return row(
        c,
        e.t,
        `${e.from} ⏸ ${e.to}`,
        `${c.yellow(`${safe(formatMessage(e.message))}  held on the link`)} ${c.dim(`msg ${e.id}`)}`,
      );
    case 'timer':
      return row(c, e.t, e.node, c.dim(`timer: ${safe(formatTimer(e.timer))}`));
    case 'record': {
      const o = e.observation;
      const text = safe(
        formatObservation(o, o.kind === 'complete' ? (requestOf.get(o.opId) ?? null) : null),
      );
      if (o.kind === 'invoke') return row(c, e.t, e.node, c.cyan(`▶ ${text}`));
      if (o.kind === 'apply') return row(c, e.t, e.node, c.dim(text));
      if (o.kind === 'complete') {
        if (failedOps.has(o.opId))
          return row(c, e.t, e.node, c.red.bold(`◀ ${text}  ✗ not as expected`));
        const colour = o.reply === 'TRY_OTHER_SERVER_OR_LATER' ? c.yellow : c.green;
        return row(c, e.t, e.node, colour(`◀ ${text}`));
      }
      return row(c, e.t, e.node, text);
    }
    case 'fault':
      return row(c, e.t, '⚡', c.red.bold(safe(formatFault(e.fault))));
    case 'refused':
      return row(c, e.t, e.node, c.red(`cannot act: ${safe(e.why)}`));
    case 'send':
    case 'state':
      return null;
  }
}

export function renderLog(c: ChalkInstance, run: ScenarioRun): string[] {
  const failed = new Set(run.outcomes.filter((o) => o.failure !== null).map((o) => o.opId));
  const { atOp, atEnd } = sentencesByOp(run);
  const notes = [...run.notes].sort((a, b) => a.at - b.at);
  const lines: string[] = [];
  const requestOf = new Map(run.result.history.operations.map((o) => [o.id, o.requestId]));
  let n = 0;
  for (const e of run.result.trace) {
    while (n < notes.length && notes[n]!.at <= e.t) lines.push(noteLine(c, notes[n++]!));
    const line = logLine(c, e, failed, requestOf);
    if (line !== null) lines.push(line);
    if (e.kind === 'record' && e.observation.kind === 'complete') {
      for (const h of atOp.get(e.observation.opId) ?? []) lines.push(highlightLine(c, h));
    }
  }
  while (n < notes.length) lines.push(noteLine(c, notes[n++]!));
  for (const h of atEnd) lines.push(highlightLine(c, h));
  return lines;
}

/** Each violation's sentence goes under the completion of the last operation of its witness. */
function sentencesByOp(run: ScenarioRun): { atOp: Map<number, Highlight[]>; atEnd: Highlight[] } {
  const atOp = new Map<number, Highlight[]>();
  const atEnd: Highlight[] = [];
  for (const h of highlightsOf(run)) {
    if (h.text.startsWith('step ')) continue;
    const id = anchorOp(run, h);
    const op = id === null ? undefined : run.result.history.get(id);
    if (id === null || op?.completedAt === null || op === undefined) atEnd.push(h);
    else atOp.set(id, [...(atOp.get(id) ?? []), h]);
  }
  return { atOp, atEnd };
}

function highlightLine(c: ChalkInstance, h: Highlight): string {
  const mark = h.informative ? 'ℹ' : '✗';
  return `${' '.repeat(TIME_WIDTH + 2 + WHO_WIDTH + 1)}${(h.informative ? c.yellow : c.red.bold)(`${mark} ${safe(h.text)}`)}`;
}

function noteLine(c: ChalkInstance, note: { at: number; text: string }): string {
  return `${c.dim(formatTime(note.at).padStart(TIME_WIDTH))}  ${c.bold.blue(`── ${safe(note.text)}`)}`;
}
