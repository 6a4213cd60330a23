// The one-line-per-event view of a run: virtual time, who, what. Notes from the scenario appear
// at their time; drops, duplicates, faults and failed expectations stand out in colour.

import type { ChalkInstance } from 'chalk';
import type { TraceEvent } from '../kernel/trace.ts';
import type { ScenarioRun } from '../scenario.ts';
import { closingRows, paintSegs, type Seg, splitWords, textWidth, wrapSegs } from './diagram.ts';
import { downChange, unchangedNote } from './down.ts';
import {
  downDropWhy,
  formatFault,
  formatMessage,
  formatObservation,
  formatTime,
  formatTimer,
} from './format.ts';
import { type Highlight, highlightsOf } from './highlights.ts';
import { messageIndex } from './json.ts';
import { displayText as safe, WRAPPED_CHARS } from './safe-text.ts';

const TIME_WIDTH = 10;
const WHO_WIDTH = 10;

/** A run of text and the colour it is painted in. */
type Part = Seg<(text: string) => string>;

/** One line of the log: what opens it (time and who), then the words that may wrap. */
interface LogRow {
  readonly lead: Part;
  readonly body: readonly Part[];
}

const plain = (text: string) => text;

/** `who` is escaped here; the body's data arrives already escaped by `safe`. */
function row(c: ChalkInstance, t: number, who: string, ...body: Part[]): LogRow {
  const time = formatTime(t).padStart(TIME_WIDTH);
  const text = `${time}  ${safe(who).padEnd(WHO_WIDTH)}`;
  const painted = `${c.dim(time)}${text.slice(time.length)}`;
  return { lead: { text, ink: () => painted }, body };
}

/** The row as one line, however long. */
function joined(r: LogRow): string {
  return [r.lead, ...r.body].map((p) => p.ink(p.text)).join(' ');
}

/** Continuation lines of a wrapped row start this many columns past its first word. */
const HANG = 2;
/** The fewest columns a wrapped row's text keeps beside its time and node. */
const MIN_ROOM = 12;

/**
 * The row in lines no wider than `width`: as one line when it fits, else its words wrapped, the
 * further lines indented past the time and who.
 */
function fitted(r: LogRow, width: number): string[] {
  const leadW = textWidth(r.lead.text);
  const bodyW = r.body.reduce((w, p) => w + 1 + textWidth(p.text), 0);
  if (leadW + bodyW <= width) return [joined(r)];
  const words = r.body.flatMap(wordsOf);
  // Nodes with long names (two of 32 characters) leave no room: the lead wraps as words too.
  if (leadW + 1 + HANG + MIN_ROOM > width)
    return wrapSegs(
      [...wordsOf({ text: r.lead.text, ink: plain }), ...words],
      width,
      HANG,
      plain,
    ).map((segs) => paintSegs(segs, (ink) => ink));
  return wrapSegs(words, width, leadW + 1 + HANG, plain, r.lead).map((segs) =>
    paintSegs(segs, (ink) => ink),
  );
}

/** A part's words, each painted as the part is. */
const wordsOf = (p: Part): Part[] => splitWords(p.text, p.ink);

/**
 * The line for one trace event; null when the event is not shown in this view. An event read
 * alone, not in its run's order (no `down`), says nothing of whether a crash or restart changed
 * anything: that depends on the events before it.
 */
export function logLine(
  c: ChalkInstance,
  e: TraceEvent,
  failedOps: ReadonlySet<number>,
  requestOf: ReadonlyMap<number, string> = new Map(),
): string | null {
  const r = logRow(c, e, failedOps, requestOf);
  return r === null ? null : joined(r);
}

function logRow(
  c: ChalkInstance,
  e: TraceEvent,
  failedOps: ReadonlySet<number>,
  requestOf: ReadonlyMap<number, string>,
  /** The nodes down at this event, when the whole run is read in order. */
  down?: ReadonlySet<string>,
): LogRow | null {
  switch (e.kind) {
    case 'deliver':
      return row(
        c,
        e.t,
        `${e.from} → ${e.to}`,
        { text: safe(formatMessage(e.message)), ink: plain },
        { text: `(sent ${formatTime(e.sentAt)}, msg ${e.id})`, ink: c.dim },
      );
    case 'drop': {
      const why =
        e.reason === 'loss'
          ? 'lost'
          : e.reason === 'planned'
            ? 'planned drop'
            : e.reason === 'partition'
              ? 'partition'
              : downDropWhy(e.from, e.to, down && ((node) => down.has(node)));
      return row(
        c,
        e.t,
        `${e.from} ✗ ${e.to}`,
        { text: `${safe(formatMessage(e.message))}  DROPPED (${safe(why)})`, ink: c.red },
        { text: `msg ${e.id}`, ink: c.dim },
      );
    }
    case 'duplicate':
      return row(
        c,
        e.t,
        `${e.from} → ${e.to}`,
        {
          text: `${safe(formatMessage(e.message))}  DUPLICATED, copy arrives ${formatTime(e.deliverAt)}`,
          ink: c.magenta,
        },
        { text: `msg ${e.id}, a copy of ${e.of}`, ink: c.dim },
      );
    case 'hold':
      return row(
        c,
        e.t,
        `${e.from} ⏸ ${e.to}`,
        { text: `${safe(formatMessage(e.message))}  held on the link`, ink: c.yellow },
        { text: `msg ${e.id}`, ink: c.dim },
      );
    case 'timer':
      return row(c, e.t, e.node, { text: `timer: ${safe(formatTimer(e.timer))}`, ink: c.dim });
    case 'record': {
      const o = e.observation;
      const text = safe(
        formatObservation(o, o.kind === 'complete' ? (requestOf.get(o.opId) ?? null) : null),
      );
      if (o.kind === 'invoke') return row(c, e.t, e.node, { text: `▶ ${text}`, ink: c.cyan });
      if (o.kind === 'apply') return row(c, e.t, e.node, { text, ink: c.dim });
      if (o.kind === 'complete') {
        if (failedOps.has(o.opId))
          return row(c, e.t, e.node, { text: `◀ ${text}  ✗ not as expected`, ink: c.red.bold });
        const colour = o.reply === 'TRY_OTHER_SERVER_OR_LATER' ? c.yellow : c.green;
        return row(c, e.t, e.node, { text: `◀ ${text}`, ink: colour });
      }
      return row(c, e.t, e.node, { text, ink: plain });
    }
    case 'fault':
      return row(c, e.t, '⚡', {
        text: safe(
          formatFault(e.fault) +
            (down === undefined ? '' : unchangedNote(e, (node) => down.has(node))),
        ),
        ink: c.red.bold,
      });
    case 'refused':
      return row(c, e.t, e.node, { text: `cannot act: ${safe(e.why)}`, ink: c.red });
    case 'send':
    case 'state':
      return null;
  }
}

/** The log of a run; with a `width`, no line is wider (a long one wraps). */
export function renderLog(c: ChalkInstance, run: ScenarioRun, width = Infinity): string[] {
  const failed = new Set(run.outcomes.filter((o) => o.failure !== null).map((o) => o.opId));
  const { atEvent, atEnd } = sentencesByEvent(run);
  const notes = [...run.notes].sort((a, b) => a.at - b.at);
  const lines: string[] = [];
  const add = (r: LogRow) => {
    for (const line of fitted(r, width)) lines.push(line);
  };
  const requestOf = new Map(run.result.history.operations.map((o) => [o.id, o.requestId]));
  let n = 0;
  const down = new Set<string>();
  run.result.trace.forEach((e, i) => {
    while (n < notes.length && notes[n]!.at <= e.t) add(noteRow(c, notes[n++]!));
    // The row first: a crash or restart says whether it changed anything, from the state before it.
    const r = logRow(c, e, failed, requestOf, down);
    if (r !== null) add(r);
    const change = downChange(e);
    if (change?.down === true) down.add(change.node);
    if (change?.down === false) down.delete(change.node);
    for (const h of atEvent.get(i) ?? []) add(highlightRow(c, h));
  });
  while (n < notes.length) add(noteRow(c, notes[n++]!));
  for (const h of atEnd) add(highlightRow(c, h));
  return lines;
}

/**
 * Each violation's sentence goes under the last row of its witness (an operation's invocation or
 * completion, or a message of one of its requests), as in the diagram; one with no row, at the end.
 */
function sentencesByEvent(run: ScenarioRun): {
  atEvent: Map<number, Highlight[]>;
  atEnd: Highlight[];
} {
  const { trace, history } = run.result;
  const sentences = highlightsOf(run).filter((h) => !h.text.startsWith('step '));
  const messagesOf = messageIndex(history.operations, trace);
  const witnesses = sentences.map((h) => ({
    opIds: h.opIds,
    messageIds: h.opIds.flatMap(messagesOf),
  }));
  const atEvent = new Map<number, Highlight[]>();
  const placed = new Set<number>();
  for (const [i, ks] of closingRows(trace, witnesses)) {
    atEvent.set(
      i,
      ks.map((k) => sentences[k]!),
    );
    for (const k of ks) placed.add(k);
  }
  return { atEvent, atEnd: sentences.filter((_, k) => !placed.has(k)) };
}

/** A witness's sentence, under the row it explains. */
function highlightRow(c: ChalkInstance, h: Highlight): LogRow {
  const mark = h.informative ? 'ℹ' : '✗';
  const text = ' '.repeat(TIME_WIDTH + 2 + WHO_WIDTH);
  return {
    lead: { text, ink: plain },
    // A checker's sentence is wrapped, as the diagram wraps it: cut only past WRAPPED_CHARS.
    body: [
      {
        text: `${mark} ${safe(h.text, WRAPPED_CHARS)}`,
        ink: h.informative ? c.yellow : c.red.bold,
      },
    ],
  };
}

/** The scenario's narration, at its time. */
function noteRow(c: ChalkInstance, note: { at: number; text: string }): LogRow {
  const time = formatTime(note.at).padStart(TIME_WIDTH);
  const painted = `${c.dim(time)} `;
  return {
    lead: { text: `${time} `, ink: () => painted },
    body: [{ text: `── ${safe(note.text)}`, ink: c.bold.blue }],
  };
}
