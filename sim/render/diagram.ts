// The space-time diagram: one lane per node (servers, then clients), one row per event in virtual
// time, messages as arrows between lanes, long idle stretches folded into one row. The row model
// (`timeline`) is shared with the HTML page; `renderDiagram` draws it for a terminal and never
// writes a line wider than it was given. Both are pure functions of the trace document.

import type { ChalkInstance } from 'chalk';
import type { Fault, TraceEvent } from '../kernel/trace.ts';
import { downChange, unchangedNote } from './down.ts';
import {
  downDropWhy,
  formatFault,
  formatMessage,
  formatObservation,
  formatSpan,
  formatTime,
  formatTimer,
} from './format.ts';
import { type Highlight, highlightsOf, type TraceDocument, type TraceNode } from './json.ts';
import { displayText, WRAPPED_CHARS } from './safe-text.ts';

export type Tone =
  | 'plain'
  | 'dim'
  | 'invoke'
  | 'good'
  | 'warn'
  | 'bad'
  | 'finding'
  | 'copy'
  | 'held'
  | 'note';

export type Glyph =
  | 'invoke'
  | 'complete'
  | 'apply'
  | 'timer'
  | 'note'
  | 'crash'
  | 'restart'
  | 'clock'
  | 'cut'
  | 'heal'
  | 'link'
  | 'refused'
  | 'copy'
  | 'held';

export interface Arrow {
  readonly from: number;
  readonly to: number;
  /** The row of the event that sent the message; null when the trace does not show it. */
  readonly sentRow: number | null;
  readonly style: 'message' | 'copy' | 'lost';
}

interface RowBase {
  readonly t: number;
  /** Per lane: the node is down (crashed and not yet restarted) on this row. */
  readonly down: readonly boolean[];
}

export interface EventRow extends RowBase {
  readonly kind: 'event';
  /** Events are the steps of the HTML page, numbered from 0. */
  readonly step: number;
  readonly traceIndex: number;
  readonly arrow: Arrow | null;
  /** Lanes marked with `glyph`. */
  readonly marks: readonly number[];
  readonly glyph: Glyph | null;
  readonly text: string;
  /** Secondary words (latency, reason), shown dimmer. */
  readonly detail: string;
  readonly tone: Tone;
  readonly opId: number | null;
  readonly messageId: number | null;
  /** Indexes of the highlights whose witness includes this row. */
  readonly highlights: readonly number[];
}

export interface NoteRow extends RowBase {
  readonly kind: 'note';
  readonly text: string;
}

export interface FoldRow extends RowBase {
  readonly kind: 'fold';
  readonly until: number;
  readonly text: string;
}

export interface ExplainRow extends RowBase {
  readonly kind: 'explain';
  readonly highlight: number;
  readonly severity: Highlight['severity'];
  readonly text: string;
}

export type Row = EventRow | NoteRow | FoldRow | ExplainRow;

export interface Timeline {
  readonly lanes: readonly TraceNode[];
  readonly rows: readonly Row[];
  readonly highlights: readonly Highlight[];
  readonly steps: number;
  readonly foldMs: number;
}

export interface TimelineOptions {
  readonly highlights?: readonly Highlight[];
  /** Gaps at least this long become one fold row. */
  readonly foldMs?: number;
}

/** Idle stretches worth folding: a second, or ten of the slowest message delays. */
export function defaultFoldMs(doc: TraceDocument): number {
  return Math.max(1000, 10 * doc.network.delayMaxMs);
}

type Described = Pick<
  EventRow,
  'arrow' | 'marks' | 'glyph' | 'text' | 'detail' | 'tone' | 'opId' | 'messageId'
>;

const NOTHING: Pick<Described, 'arrow' | 'marks' | 'glyph' | 'detail' | 'opId' | 'messageId'> = {
  arrow: null,
  marks: [],
  glyph: null,
  detail: '',
  opId: null,
  messageId: null,
};

/** The message or operation an event shows, for matching it against a highlight's witness. */
function witnessIds(e: TraceEvent): { opId: number | null; messageId: number | null } {
  switch (e.kind) {
    case 'deliver':
    case 'drop':
    case 'duplicate':
    case 'hold':
      return { opId: null, messageId: e.id };
    case 'record':
      return e.observation.kind === 'invoke' || e.observation.kind === 'complete'
        ? { opId: e.observation.opId, messageId: null }
        : { opId: null, messageId: null };
    default:
      return { opId: null, messageId: null };
  }
}

/** The operation and the message a row shows (see witnessIds). */
type WitnessIds = { readonly opId: number | null; readonly messageId: number | null };

/**
 * The highlights a row belongs to (those whose witness holds its operation or its message), in
 * ascending order, each once: looked up, not searched, since a run may have thousands of
 * witnesses and each row asks.
 */
/** What locates a highlight's rows: its operations and their messages. */
type Witness = Pick<Highlight, 'opIds' | 'messageIds'>;

function highlightIndex(highlights: readonly Witness[]): (ids: WitnessIds) => number[] {
  const byOp = new Map<number, number[]>();
  const byMessage = new Map<number, number[]>();
  const add = (map: Map<number, number[]>, id: number, k: number) => {
    const list = map.get(id);
    if (list === undefined) map.set(id, [k]);
    else if (list[list.length - 1] !== k) list.push(k);
  };
  highlights.forEach((h, k) => {
    for (const id of h.opIds) add(byOp, id, k);
    for (const id of h.messageIds) add(byMessage, id, k);
  });
  return (ids) => {
    const a = (ids.opId === null ? undefined : byOp.get(ids.opId)) ?? [];
    const b = (ids.messageId === null ? undefined : byMessage.get(ids.messageId)) ?? [];
    if (b.length === 0) return a.slice();
    if (a.length === 0) return b.slice();
    // A row belongs to a handful of highlights at most.
    return [...new Set([...a, ...b])].sort((x, y) => x - y);
  };
}

/** Sends and state digests are not rows: a send is drawn where it arrives, state in the page. */
function hasRow(e: TraceEvent): e is Exclude<TraceEvent, { kind: 'send' | 'state' }> {
  return e.kind !== 'send' && e.kind !== 'state';
}

const DROP_WHY = {
  loss: 'lost on the network',
  planned: 'lost: a planned drop',
  partition: 'dropped by a partition',
} as const;

/** A retransmission storm: the row its first event has, and how many it folds. */
interface Storm {
  row: number;
  count: number;
  detail: string | null;
}

class TimelineBuilder {
  readonly rows: Row[] = [];
  private readonly lane = new Map<string, number>();
  private readonly sentRow = new Map<number, number>();
  private readonly copyOf = new Map<number, number>();
  private down: boolean[];
  private lastT: number | null = null;
  /** A message leaves on the row of the event that sent it: the latest event row. */
  private lastEventRow: number | null = null;
  private note = 0;
  private steps = 0;
  /** Lock store: the requests granted in the current step, each one's first LOCK_GRANTED, replays. */
  private readonly granted = new Set<string>();
  private readonly grantSent = new Map<string, number>();
  private readonly replays = new Set<number>();
  /** Each operation's request id, from its invoke: its reply names it too. */
  private readonly requestOf = new Map<number, string>();
  private readonly storms = new Map<string, Storm>();
  /** The storm whose first event is being drawn now: its row is known once it is drawn. */
  private stormStarting: Storm | null = null;
  /** The highlights a row belongs to. */
  private readonly marks: (ids: WitnessIds) => number[];

  constructor(
    private readonly doc: TraceDocument,
    private readonly highlights: readonly Highlight[],
    private readonly foldMs: number,
    private readonly closing: ReadonlyMap<number, readonly number[]>,
  ) {
    this.marks = highlightIndex(highlights);
    doc.nodes.forEach((n, i) => {
      this.lane.set(n.id, i);
    });
    this.down = doc.nodes.map(() => false);
  }

  build(): Timeline {
    const repeats = new Map<string, number>();
    for (const e of this.doc.events) {
      const sig = stormSignature(e);
      if (sig !== null) repeats.set(sig, (repeats.get(sig) ?? 0) + 1);
    }
    this.doc.events.forEach((e, i) => {
      if (e.kind === 'send') {
        if (this.lastEventRow !== null) this.sentRow.set(e.id, this.lastEventRow);
        this.noteReplay(e);
        return;
      }
      // A step begins with a delivery, a timer or a fault: the grants it makes are its own.
      if (e.kind === 'deliver' || e.kind === 'timer' || e.kind === 'fault') this.granted.clear();
      const lock =
        e.kind === 'record' && e.observation.kind === 'note' ? e.observation.lock : undefined;
      if (lock?.event === 'grant') this.granted.add(lock.requestId);
      if (!hasRow(e)) return;
      this.notesUntil(e.t);
      if (!this.foldStorm(e, repeats)) {
        this.event(e, i);
        // A storm's first event keeps its row: the one just drawn (a fold may have gone before it).
        if (this.stormStarting !== null) {
          let last = this.rows.length - 1;
          while (last >= 0 && this.rows[last]!.kind !== 'event') last--;
          this.stormStarting.row = last;
          this.stormStarting = null;
        }
      }
      for (const h of this.closing.get(i) ?? []) this.explain(e.t, h);
    });
    this.notesUntil(Number.POSITIVE_INFINITY);
    // A witness with no event (convergence judges the final stores) is told at the end.
    const placed = new Set([...this.closing.values()].flat());
    this.highlights.forEach((_, h) => {
      if (!placed.has(h)) this.explain(this.lastT ?? 0, h);
    });
    return {
      lanes: this.doc.nodes,
      rows: this.rows,
      highlights: this.highlights,
      steps: this.steps,
      foldMs: this.foldMs,
    };
  }

  /**
   * A retransmission storm (the same timer, or the same message on the same link, again and
   * again) is one row with a count: the first keeps its place, the rest add to its count. A
   * witness's row folds only into a row marked with the same witness.
   */
  private foldStorm(
    e: Exclude<TraceEvent, { kind: 'send' | 'state' }>,
    repeats: Map<string, number>,
  ): boolean {
    const sig = stormSignature(e);
    if (sig === null || (repeats.get(sig) ?? 0) < STORM_MIN) return false;
    const ids = witnessIds(e);
    const marked = this.marks(ids);
    const storm = this.storms.get(sig);
    if (storm === undefined) {
      this.stormStarting = { row: -1, count: 1, detail: null };
      this.storms.set(sig, this.stormStarting);
      return false;
    }
    const row = this.rows[storm.row];
    if (row?.kind !== 'event') return false;
    // Folded only into a row that already shows every witness this event belongs to.
    if (!marked.every((k) => row.highlights.includes(k))) return false;
    storm.detail ??= row.detail;
    storm.count++;
    const again = `×${storm.count}, the last at ${formatTime(e.t)}`;
    this.rows[storm.row] = {
      ...row,
      detail: storm.detail === '' ? again : `${storm.detail} ${again}`,
    };
    // What the folded event sends leaves from the storm's row.
    this.lastEventRow = storm.row;
    return true;
  }

  /**
   * A LOCK_GRANTED the server sends again for a request it granted before, with no new grant: a
   * replay from its dedupe cache of the answer it gave then. The lock may have passed on since.
   */
  private noteReplay(e: Extract<TraceEvent, { kind: 'send' }>): void {
    const m = e.message as { readonly type: string; readonly requestId?: string };
    if (m.type !== 'LOCK_GRANTED' || m.requestId === undefined) return;
    const first = this.grantSent.get(m.requestId);
    if (first === undefined) this.grantSent.set(m.requestId, e.id);
    else if (first !== e.id && !this.granted.has(m.requestId)) this.replays.add(e.id);
  }

  private notesUntil(t: number): void {
    const notes = this.doc.notes;
    while (this.note < notes.length && notes[this.note]!.at <= t) {
      const { at, text } = notes[this.note++]!;
      this.foldBefore(at);
      this.rows.push({ kind: 'note', t: at, text, down: this.down });
    }
  }

  private foldBefore(t: number): void {
    if (this.lastT !== null && t - this.lastT >= this.foldMs) {
      const text = `⋯ ${formatSpan(t - this.lastT)} skipped`;
      this.rows.push({ kind: 'fold', t: this.lastT, until: t, text, down: this.down });
    }
    this.lastT = t;
  }

  private explain(t: number, highlight: number): void {
    const { text, severity } = this.highlights[highlight]!;
    this.rows.push({ kind: 'explain', t, highlight, severity, text, down: this.down });
  }

  private event(e: Exclude<TraceEvent, { kind: 'send' | 'state' }>, traceIndex: number): void {
    this.foldBefore(e.t);
    const described = this.describe(e);
    const ids = witnessIds(e);
    const highlights = this.marks(ids);
    const tone = highlights.length > 0 ? this.toneOf(highlights) : described.tone;
    // A restart's row is drawn up already, a crash's still up: the lane is dashed between them.
    const change = downChange(e);
    if (change?.down === false) this.setDown(change.node, false);
    if (e.kind === 'duplicate') {
      this.sentRow.set(e.id, this.rows.length);
      this.copyOf.set(e.id, e.of);
    }
    const step = this.steps++;
    this.lastEventRow = this.rows.length;
    this.rows.push({
      kind: 'event',
      t: e.t,
      step,
      traceIndex,
      ...described,
      tone,
      highlights,
      down: this.down,
    });
    if (change?.down === true) this.setDown(change.node, true);
  }

  /** A violation outranks a finding: a row in both is drawn as the violation. */
  private toneOf(highlights: readonly number[]): Tone {
    const red = highlights.some((h) => this.highlights[h]!.severity === 'violation');
    return red ? 'bad' : 'finding';
  }

  private setDown(node: string, down: boolean): void {
    const i = this.lane.get(node);
    if (i === undefined || this.down[i] === down) return;
    this.down = this.down.map((d, j) => (j === i ? down : d));
  }

  private laneOf(node: string): number {
    const i = this.lane.get(node);
    if (i === undefined) throw new Error(`the trace names '${node}', which is not among its nodes`);
    return i;
  }

  private arrow(id: number, from: string, to: string, style: Arrow['style']): Arrow {
    const sentRow = this.sentRow.get(id) ?? null;
    return { from: this.laneOf(from), to: this.laneOf(to), sentRow, style };
  }

  private describe(e: Exclude<TraceEvent, { kind: 'send' | 'state' }>): Described {
    switch (e.kind) {
      case 'deliver': {
        const copy = this.copyOf.has(e.id);
        return {
          ...NOTHING,
          arrow: this.arrow(e.id, e.from, e.to, copy ? 'copy' : 'message'),
          text: `${formatMessage(e.message)}${copy ? ' (copy)' : ''}`,
          detail: `(${formatSpan(e.t - e.sentAt)})${this.replayNote(e.id)}`,
          tone: copy ? 'copy' : 'plain',
          messageId: e.id,
        };
      }
      case 'drop': {
        const down = (node: string) => this.down[this.lane.get(node) ?? -1] === true;
        const why =
          e.reason === 'down' ? `dropped: ${downDropWhy(e.from, e.to, down)}` : DROP_WHY[e.reason];
        const arrow = this.arrow(e.id, e.from, e.to, 'lost');
        return {
          ...NOTHING,
          arrow,
          text: formatMessage(e.message),
          detail: why,
          tone: 'bad',
          messageId: e.id,
        };
      }
      case 'duplicate':
        return {
          ...NOTHING,
          marks: [this.laneOf(e.from)],
          glyph: 'copy',
          text: `${formatMessage(e.message)} duplicated`,
          detail: `a copy arrives ${formatTime(e.deliverAt)}`,
          tone: 'copy',
          messageId: e.id,
        };
      case 'hold':
        return {
          ...NOTHING,
          marks: [this.laneOf(e.from)],
          glyph: 'held',
          text: `${formatMessage(e.message)} held`,
          detail: `on the link ${e.from}→${e.to}`,
          tone: 'held',
          messageId: e.id,
        };
      default:
        return this.describeNodeEvent(e);
    }
  }

  private replayNote(id: number): string {
    const original = this.copyOf.get(id) ?? id;
    return this.replays.has(original)
      ? ' replayed by the dedupe cache: the earlier grant again, not a new one'
      : '';
  }

  private describeNodeEvent(
    e: Extract<TraceEvent, { kind: 'timer' | 'record' | 'fault' | 'refused' }>,
  ): Described {
    switch (e.kind) {
      case 'timer':
        return {
          ...NOTHING,
          marks: [this.laneOf(e.node)],
          glyph: 'timer',
          text: `${e.node} timer: ${formatTimer(e.timer)}`,
          tone: 'dim',
        };
      case 'refused':
        return {
          ...NOTHING,
          marks: [this.laneOf(e.node)],
          glyph: 'refused',
          text: `${e.node} cannot act: ${e.why}`,
          tone: 'bad',
        };
      case 'fault':
        return {
          ...NOTHING,
          ...this.faultMarks(e.fault),
          text: formatFault(e.fault) + unchangedNote(e, (node) => this.down[this.laneOf(node)]!),
          tone: FAULT_TONE[e.fault.kind],
        };
      case 'record':
        return this.describeRecord(e);
    }
  }

  private describeRecord(e: Extract<TraceEvent, { kind: 'record' }>): Described {
    const o = e.observation;
    const marks = [this.laneOf(e.node)];
    if (o.kind === 'invoke') this.requestOf.set(o.opId, o.requestId);
    const request = o.kind === 'complete' ? (this.requestOf.get(o.opId) ?? null) : null;
    const text = `${e.node} ${formatObservation(o, request)}`;
    switch (o.kind) {
      case 'invoke':
        return { ...NOTHING, marks, glyph: 'invoke', text, tone: 'invoke', opId: o.opId };
      case 'complete': {
        const tone = o.reply === 'TRY_OTHER_SERVER_OR_LATER' ? 'warn' : 'good';
        return { ...NOTHING, marks, glyph: 'complete', text, tone, opId: o.opId };
      }
      case 'apply':
        return { ...NOTHING, marks, glyph: 'apply', text, tone: 'dim' };
      case 'note':
        // A node's note is its own sentence: the node is named apart from it.
        return {
          ...NOTHING,
          marks,
          glyph: 'note',
          text: `${e.node}: ${this.noteText(o.text)}`,
          tone: 'plain',
        };
    }
  }

  /**
   * Under fencing=none no token goes on the wire: a trace written before the lock server stopped
   * naming one in its notes has "(token 3)" taken off.
   */
  private noteText(text: string): string {
    return this.doc.knobs.fencing === 'none' ? text.replace(/ \(token \d+\)$/, '') : text;
  }

  private faultMarks(fault: Fault): { marks: number[]; glyph: Glyph } {
    const lanes = (nodes: readonly string[]) => nodes.map((n) => this.laneOf(n));
    switch (fault.kind) {
      case 'crash':
        return { marks: lanes([fault.node]), glyph: 'crash' };
      case 'restart':
        return { marks: lanes([fault.node]), glyph: 'restart' };
      case 'clockStep':
        return { marks: lanes([fault.node]), glyph: 'clock' };
      case 'partition':
        return { marks: lanes(fault.groups.flat()), glyph: 'cut' };
      case 'cut':
        return { marks: lanes([...fault.from, ...fault.to]), glyph: 'cut' };
      case 'heal':
        return { marks: this.doc.nodes.map((_, i) => i), glyph: 'heal' };
      case 'hold':
      case 'release':
      case 'drop':
      case 'duplicate':
      case 'delay':
        return { marks: lanes([fault.from, fault.to]), glyph: 'link' };
    }
  }
}

const FAULT_TONE: Readonly<Record<Fault['kind'], Tone>> = {
  crash: 'bad',
  restart: 'good',
  partition: 'bad',
  cut: 'bad',
  heal: 'good',
  hold: 'held',
  release: 'good',
  clockStep: 'warn',
  drop: 'bad',
  duplicate: 'warn',
  delay: 'warn',
};

/**
 * Whether a trace event begins one atomic step of a node (a delivery, a timer, a fault, an
 * operation issued); the rest (stores, replies recorded, duplicates, drops as a message leaves)
 * happen inside the step that caused them, whose state digest the trace writes only at its end.
 */
export function beginsStep(events: readonly TraceEvent[], index: number): boolean {
  const e = events[index]!;
  switch (e.kind) {
    case 'deliver':
    case 'timer':
    case 'fault':
    case 'refused':
      return true;
    case 'record':
      return e.observation.kind === 'invoke';
    case 'drop': {
      const before = events[index - 1];
      return !(before?.kind === 'send' && before.id === e.id);
    }
    default:
      return false;
  }
}

/** A storm is this many or more of the same retransmission. */
export const STORM_MIN = 4;

/** What stays the same from one retransmission to the next: the timer, or the message and link. */
export function stormSignature(e: TraceEvent): string | null {
  switch (e.kind) {
    case 'timer':
      return `timer ${e.node} ${formatTimer(e.timer).replace(/#\d+/, '')}`;
    case 'deliver':
    case 'drop': {
      const why = e.kind === 'drop' ? e.reason : '';
      return `${e.kind} ${e.from} ${e.to} ${why} ${formatMessage(e.message).replace(/#\d+/, '')}`;
    }
    default:
      return null;
  }
}

/**
 * For each trace index, the highlights whose last witness row it is: their sentence goes after it,
 * in the diagram and the log alike (a highlight with no row is in no list).
 */
export function closingRows(
  events: readonly TraceEvent[],
  highlights: readonly Witness[],
): Map<number, number[]> {
  const marks = highlightIndex(highlights);
  const last = new Map<number, number>();
  events.forEach((e, i) => {
    if (!hasRow(e)) return;
    for (const k of marks(witnessIds(e))) last.set(k, i);
  });
  const closing = new Map<number, number[]>();
  for (const [k, i] of [...last.entries()].sort((a, b) => a[0] - b[0])) {
    const list = closing.get(i);
    if (list === undefined) closing.set(i, [k]);
    else list.push(k);
  }
  return closing;
}

/** The rows of a run's diagram, shared by the terminal and the HTML page. */
export function timeline(doc: TraceDocument, options: TimelineOptions = {}): Timeline {
  const highlights = options.highlights ?? highlightsOf(doc);
  const foldMs = options.foldMs ?? defaultFoldMs(doc);
  return new TimelineBuilder(doc, highlights, foldMs, closingRows(doc.events, highlights)).build();
}

// ---- The terminal drawing ----------------------------------------------------------------------

/** Below this the lanes cannot be drawn with room for a word of text. */
export const MIN_WIDTH = 40;
const MIN_LABEL = 24;
/** Columns per lane, widest first: the widest that leaves the text this share of the line. */
const GAPS = [12, 10, 8, 7, 6, 5, 4, 3] as const;
const LABEL_SHARE = 0.5;
/** Continuation lines of an entry start this many columns in. */
const HANG = 2;

export const GLYPHS: Readonly<Record<Glyph, string>> = {
  invoke: '○',
  complete: '●',
  apply: '■',
  timer: '•',
  note: '◇',
  crash: '╳',
  restart: '↺',
  clock: '±',
  cut: '≠',
  heal: '=',
  link: '‖',
  refused: '✗',
  copy: '◆',
  held: '‖',
};

type Ink = Tone | 'lane' | 'name';

/** How a witness row and its sentence are marked, so that they show without colour too. */
export const MARKS: Readonly<Record<Highlight['severity'], string>> = {
  violation: '✗',
  finding: 'ℹ',
};

/** A word (or a run of words) and how it is painted. */
export interface Seg<I = Ink> {
  readonly text: string;
  readonly ink: I;
}

interface Layout {
  readonly width: number;
  readonly timeW: number;
  /** Columns per lane; 0 draws no lanes (the compact list form). */
  readonly gap: number;
  readonly lanesW: number;
  readonly labelW: number;
  readonly whoW: number;
}

function styler(c: ChalkInstance, ink: Ink): (s: string) => string {
  switch (ink) {
    case 'plain':
      return (s) => s;
    case 'dim':
    case 'lane':
      return c.dim;
    case 'invoke':
      return c.cyan;
    case 'good':
      return c.green;
    case 'warn':
    case 'held':
      return c.yellow;
    case 'bad':
      return c.red.bold;
    case 'finding':
      return c.yellow.bold;
    case 'copy':
      return c.magenta;
    case 'note':
      return c.bold.blue;
    case 'name':
      return c.bold;
  }
}

/** Columns a code point takes in a terminal: East Asian wide and emoji take two. */
function cellWidth(cp: number): number {
  if (cp >= 0x300 && cp <= 0x36f) return 0;
  const wide =
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd);
  return wide ? 2 : 1;
}

export function textWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += cellWidth(ch.codePointAt(0)!);
  return w;
}

/** Names, keys, values and notes are data: escaped and cut before they are measured or drawn. */
const printable = (text: string) => displayText(text);

/** Cuts a word into pieces no wider than `width`. */
function splitWord(word: string, width: number): string[] {
  const pieces: string[] = [];
  let piece = '';
  let w = 0;
  for (const ch of word) {
    const cw = cellWidth(ch.codePointAt(0)!);
    if (w + cw > width && piece !== '') {
      pieces.push(piece);
      piece = '';
      w = 0;
    }
    piece += ch;
    w += cw;
  }
  if (piece !== '') pieces.push(piece);
  return pieces;
}

function wordsOf(text: string, ink: Ink): Seg[] {
  return splitWords(displayText(text, WRAPPED_CHARS), ink);
}

/** Text already safe to show, as its words, each painted `ink`. */
export function splitWords<I>(text: string, ink: I): Seg<I>[] {
  return text
    .split(' ')
    .filter((w) => w !== '')
    .map((w) => ({ text: w, ink }));
}

function wrap(words: readonly Seg[], width: number, indent = 0): Seg[][] {
  return wrapSegs(words, width, indent, 'plain');
}

/**
 * Greedy word wrap that keeps each word's ink; a word wider than the line is cut. Lines after the
 * first start `indent` columns in (a hanging indent, painted `blank`), so a wrapped entry still
 * reads as one. A `lead` (a row's time and node) opens the first line whole, a space before the
 * first word.
 */
export function wrapSegs<I>(
  words: readonly Seg<I>[],
  width: number,
  indent: number,
  blank: I,
  lead?: Seg<I>,
): Seg<I>[][] {
  const lines: Seg<I>[][] = [];
  let line: Seg<I>[] = lead === undefined ? [] : [lead];
  let used = lead === undefined ? 0 : textWidth(lead.text);
  let empty = lead === undefined;
  for (const word of words) {
    for (const piece of splitWord(word.text, width - indent)) {
      const w = textWidth(piece);
      if (!empty && used + 1 + w > width) {
        lines.push(line);
        line = [{ text: ' '.repeat(indent), ink: blank }];
        used = indent;
        empty = true;
      }
      line.push({ text: empty ? piece : ` ${piece}`, ink: word.ink });
      used += (empty ? 0 : 1) + w;
      empty = false;
    }
  }
  if (!empty || lines.length === 0) lines.push(line);
  return lines;
}

/** Plain text wrapped to `width` columns, for views that measure text in characters. */
export function wrapText(text: string, width: number, indent = 0): string[] {
  return wrap(wordsOf(text, 'plain'), width, indent).map((line) =>
    line.map((seg) => seg.text).join(''),
  );
}

function paint(c: ChalkInstance, segs: readonly Seg[]): string {
  return paintSegs(segs, (ink) => styler(c, ink));
}

/** A line of segments as text, each run of one ink painted once. */
export function paintSegs<I>(
  segs: readonly Seg<I>[],
  styleOf: (ink: I) => (text: string) => string,
): string {
  let out = '';
  let i = 0;
  while (i < segs.length) {
    const ink = segs[i]!.ink;
    let text = '';
    while (i < segs.length && segs[i]!.ink === ink) text += segs[i++]!.text;
    out += styleOf(ink)(text);
  }
  return out;
}

function chooseLayout(tl: Timeline, width: number): Layout {
  let timeW = 0;
  for (const row of tl.rows) timeW = Math.max(timeW, formatTime(row.t).length);
  const n = tl.lanes.length;
  const fixed = timeW + 2;
  const target = Math.max(MIN_LABEL, Math.ceil(width * LABEL_SHARE));
  const gap =
    GAPS.find((g) => width - fixed - n * g >= target) ??
    GAPS.find((g) => width - fixed - n * g >= MIN_LABEL) ??
    0;
  const longest = Math.max(1, ...tl.lanes.map((l) => textWidth(l.id)));
  const whoW = gap === 0 ? Math.min(2 * longest + 1, 13) : 0;
  const lanesW = n * gap;
  const labelW = gap === 0 ? width - timeW - whoW - 2 : width - fixed - lanesW;
  return { width, timeW, gap, lanesW, labelW, whoW };
}

function laneX(layout: Layout, lane: number): number {
  return lane * layout.gap + ((layout.gap - 1) >> 1);
}

function drawArrow(chars: string[], inks: Ink[], layout: Layout, row: EventRow): void {
  const arrow = row.arrow!;
  const fx = laneX(layout, arrow.from);
  const tx = laneX(layout, arrow.to);
  const strong = row.highlights.length > 0;
  const right = tx >= fx;
  const line = arrow.style === 'copy' ? '┄' : strong ? '━' : '─';
  for (let x = Math.min(fx, tx) + 1; x < Math.max(fx, tx); x++) {
    chars[x] = line;
    inks[x] = row.tone;
  }
  chars[fx] = strong ? (right ? '┣' : '┫') : right ? '├' : '┤';
  chars[tx] = arrow.style === 'lost' ? '✗' : right ? '▶' : '◀';
  inks[fx] = row.tone;
  inks[tx] = row.tone;
}

/** The lanes part of a line: each node's lane, and the row's arrow or marks drawn over them. */
function laneSegs(layout: Layout, row: Row, first: boolean): Seg[] {
  const chars: string[] = Array.from({ length: layout.lanesW }, () => ' ');
  const inks: Ink[] = Array.from({ length: layout.lanesW }, () => 'lane');
  row.down.forEach((down, k) => {
    chars[laneX(layout, k)] = down ? '╎' : row.kind === 'fold' ? '⋮' : '│';
  });
  if (first && row.kind === 'event') {
    if (row.arrow !== null) drawArrow(chars, inks, layout, row);
    for (const k of row.marks) {
      chars[laneX(layout, k)] = GLYPHS[row.glyph!];
      inks[laneX(layout, k)] = row.tone;
    }
  }
  return chars.map((text, x) => ({ text, ink: inks[x]! }));
}

function labelWords(row: Row): Seg[] {
  switch (row.kind) {
    case 'event': {
      const mark: Seg[] =
        row.highlights.length > 0
          ? [{ text: MARKS[row.tone === 'bad' ? 'violation' : 'finding'], ink: row.tone }]
          : [];
      // The detail ("(13 ms)") is one word, so that a wrap never splits it.
      const detail: Seg[] = row.detail === '' ? [] : [{ text: printable(row.detail), ink: 'dim' }];
      return [...mark, ...wordsOf(row.text, row.tone), ...detail];
    }
    case 'fold':
      return wordsOf(row.text, 'dim');
    case 'explain':
      return wordsOf(
        `${MARKS[row.severity]} ${row.text}`,
        row.severity === 'violation' ? 'bad' : 'finding',
      );
    case 'note':
      return wordsOf(row.text, 'note');
  }
}

/** What the compact form writes in its "who" column. */
function whoOf(tl: Timeline, row: Row): string {
  if (row.kind !== 'event') return '';
  const id = (k: number) => tl.lanes[k]!.id;
  if (row.arrow !== null) {
    const link = row.arrow.style === 'lost' ? '✗' : '→';
    return `${id(row.arrow.from)}${link}${id(row.arrow.to)}`;
  }
  return row.marks.length === 1 ? id(row.marks[0]!) : row.marks.length > 1 ? '*' : '';
}

function padTo(text: string, width: number): string {
  const plain = printable(text);
  if (textWidth(plain) <= width) return plain + ' '.repeat(width - textWidth(plain));
  const cut = splitWord(plain, Math.max(1, width - 1))[0] ?? '';
  return `${cut}…${' '.repeat(Math.max(0, width - 1 - textWidth(cut)))}`;
}

interface Painter {
  readonly c: ChalkInstance;
  readonly tl: Timeline;
  readonly layout: Layout;
}

/** One row as lines: time, lanes (or who), then the wrapped text; notes run over the lanes. */
function rowLines(p: Painter, row: Row, time: string): string[] {
  const { c, layout } = p;
  const timeCol = time === '' ? ' '.repeat(layout.timeW) : c.dim(time.padStart(layout.timeW));
  const blank = ' '.repeat(layout.timeW);
  if (row.kind === 'note') {
    // A note is the story's heading: it runs over the lanes, its lines aligned after the rule.
    const lines = wrap(wordsOf(row.text, 'note'), layout.width - layout.timeW - 4);
    return lines.map(
      (line, i) =>
        `${i === 0 ? timeCol : blank} ${c.bold.blue(i === 0 ? '──' : '  ')} ${paint(c, line)}`,
    );
  }
  if (layout.gap === 0) {
    const who = `${padTo(whoOf(p.tl, row), layout.whoW)} `;
    return wrap(labelWords(row), layout.labelW, HANG).map((line, i) =>
      withoutPadding(
        `${i === 0 ? timeCol : blank} ${i === 0 ? who : ' '.repeat(layout.whoW + 1)}${paint(c, line)}`,
      ),
    );
  }
  return wrap(labelWords(row), layout.labelW, HANG).map((line, i) => {
    const lanes = paint(c, laneSegs(layout, row, i === 0));
    return withoutPadding(`${i === 0 ? timeCol : blank} ${lanes} ${paint(c, line)}`);
  });
}

/**
 * A row without the spaces the layout pads it with. Only those: trimEnd would also take a key or
 * value that is a Unicode space (U+2000) off a plain line, but not off a coloured one, where the
 * colour's closing code follows it.
 */
function withoutPadding(row: string): string {
  return row.replace(/ +$/, '');
}

/** Writes `text` into a row of cells from `start`; a wide character fills two cells. */
function place(cells: string[], start: number, text: string): void {
  let x = start;
  for (const ch of text) {
    const w = cellWidth(ch.codePointAt(0)!);
    cells[x] = ch;
    if (w === 2) cells[x + 1] = '';
    x += w;
  }
}

/**
 * The lanes' names, centred on their lanes. Names too long for one lane alternate between two
 * lines, so each may take two lanes' room before it is shortened.
 */
function laneNames(p: Painter): string[] {
  const { layout, tl } = p;
  const fits = tl.lanes.every((l) => textWidth(l.id) <= layout.gap - 1);
  const rows = fits ? 1 : 2;
  const room = rows * layout.gap - 1;
  const cells = Array.from({ length: rows }, () =>
    Array.from({ length: layout.lanesW }, () => ' '),
  );
  tl.lanes.forEach((lane, k) => {
    const name = padTo(lane.id, room).trimEnd();
    const w = textWidth(name);
    const start = Math.min(layout.lanesW - w, Math.max(0, laneX(layout, k) - ((w - 1) >> 1)));
    place(cells[k % rows]!, start, name);
  });
  const indent = ' '.repeat(layout.timeW + 1);
  return cells.map((row) => `${indent}${p.c.bold(row.join('').trimEnd())}`);
}

function legend(p: Painter): string[] {
  const servers = p.tl.lanes.filter((l) => l.role === 'server');
  const clients = p.tl.lanes.filter((l) => l.role === 'client');
  const list = (nodes: readonly TraceNode[]) =>
    nodes.map((n) => (n.leader ? `${n.id} (leader)` : n.id)).join(', ');
  const text = `servers: ${list(servers)} · clients: ${list(clients)} · one row per event`;
  return wrap(wordsOf(text, 'dim'), p.layout.width).map((line) => paint(p.c, line));
}

export interface DiagramOptions extends TimelineOptions {
  /** Columns available; no line is wider. At least MIN_WIDTH. */
  readonly width: number;
}

/** The diagram of a run as terminal lines, none wider than `options.width`. */
export function renderDiagram(
  c: ChalkInstance,
  doc: TraceDocument,
  options: DiagramOptions,
): string[] {
  if (!Number.isInteger(options.width) || options.width < MIN_WIDTH) {
    throw new Error(
      `the diagram needs a width of at least ${MIN_WIDTH} columns (got ${options.width})`,
    );
  }
  const tl = timeline(doc, options);
  const p: Painter = { c, tl, layout: chooseLayout(tl, options.width) };
  const lines = legend(p);
  if (p.layout.gap > 0) lines.push(...laneNames(p));
  let shown: number | null = null;
  for (const row of tl.rows) {
    const timed = row.kind === 'event' || row.kind === 'note';
    const time = timed && row.t !== shown ? formatTime(row.t) : '';
    if (time !== '') shown = row.t;
    lines.push(...rowLines(p, row, time));
  }
  if (p.layout.gap > 0) lines.push(...laneNames(p));
  return lines;
}
