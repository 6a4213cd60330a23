// The HTML page: one self-contained file (no network, no external fonts) with the run's header,
// the space-time diagram as SVG, step-through controls, the per-node state at the selected step,
// and the failed expectations and violations linked to their witnesses. It is a pure function of
// the trace document, which it also carries (its events packed), so `npm run view` on a saved trace
// gives the same page.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { GUARANTEE_NAMES, type Verdict } from '../check/index.ts';
import {
  type Arrow,
  beginsStep,
  type EventRow,
  GLYPHS,
  type Glyph,
  MARKS,
  type Row,
  type Timeline,
  type TimelineOptions,
  timeline,
  wrapText,
} from './diagram.ts';
import { counted, formatTime } from './format.ts';
import type { TraceDocument } from './json.ts';
import { DISPLAY_CHARS, displayText, UNSAFE_SOURCE, WRAPPED_CHARS } from './safe-text.ts';

const asset = (name: string) => readFileSync(new URL(`./${name}`, import.meta.url), 'utf8');

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/**
 * The page's Content-Security-Policy: nothing may be fetched (no connection, image, font, frame
 * or form target: a shared trace cannot make the page call out), and only the page's own scripts
 * and style sheet, named by hash (exactly as they stand between their tags), may run or apply.
 * Inline event handlers and injected elements are refused by the browser even if an escape were
 * ever missed. `img-src data:` lets the empty favicon stand, so that the browser does not ask for
 * /favicon.ico.
 */
export function pagePolicy(scripts: readonly string[], styles: readonly string[]): string {
  return [
    "default-src 'none'",
    `script-src ${scripts.map(sha256).join(' ')}`,
    `style-src ${styles.map(sha256).join(' ')}`,
    'img-src data:',
    "connect-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** Sizes in SVG pixels, chosen for a projector: large monospace text, wide lanes. */
const G = {
  gutter: 112,
  laneMin: 100,
  charW: 10.4,
  lineH: 24,
  rowPad: 12,
  head: 70,
  labelChars: 46,
  noteLineH: 26,
} as const;

function esc(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A text from the trace as the page shows it: controls and bidi overrides escaped, cut, escaped for HTML. */
function text(value: string, max?: number): string {
  return esc(displayText(value, max));
}

/** JSON inside a script element: `<` escaped so that no string can close the element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function num(n: number): string {
  return String(Math.round(n * 10) / 10);
}

interface Box {
  readonly top: number;
  readonly height: number;
  /** The baseline-centre of the row's first line: where its arrow and marks sit. */
  readonly mid: number;
  readonly lines: readonly string[];
}

interface Geometry {
  readonly laneW: number;
  readonly labelX: number;
  readonly width: number;
  readonly height: number;
  readonly boxes: readonly Box[];
  readonly stepOfRow: readonly (number | null)[];
}

function rowText(row: Row): string {
  switch (row.kind) {
    case 'event': {
      const severity = row.tone === 'bad' ? 'violation' : 'finding';
      const mark = row.highlights.length > 0 ? `${MARKS[severity]} ` : '';
      // No-break spaces keep the detail ("(13 ms)") on one line when the text wraps.
      const detail = row.detail === '' ? '' : ` ${row.detail.replace(/ /g, '\u00a0')}`;
      return `${mark}${row.text}${detail}`;
    }
    case 'explain':
      return `${MARKS[row.severity]} ${row.text}`;
    default:
      return row.text;
  }
}

function geometry(tl: Timeline): Geometry {
  const longest = Math.max(2, ...tl.lanes.map((l) => l.id.length));
  // Many lanes (a crowd of clients) get narrow ones, so that the labels stay near the screen.
  const crowded = tl.lanes.length > 10;
  const laneW = crowded
    ? Math.ceil(longest * G.charW * 1.2 + 10)
    : Math.max(G.laneMin, Math.ceil(longest * G.charW * 1.2 + 24));
  const labelX = G.gutter + tl.lanes.length * laneW + 18;
  const width = labelX + Math.ceil(G.labelChars * G.charW) + 24;
  const noteChars = Math.floor((width - G.gutter - 24) / G.charW);
  let top = G.head;
  const boxes = tl.rows.map((row) => {
    const note = row.kind === 'note';
    const lines = wrapText(rowText(row), note ? noteChars : G.labelChars, 2);
    const lineH = note ? G.noteLineH : G.lineH;
    const height = Math.max(34, lines.length * lineH + G.rowPad);
    const box = { top, height, mid: top + G.rowPad / 2 + lineH / 2, lines };
    top += height;
    return box;
  });
  const stepOfRow = tl.rows.map((row) => (row.kind === 'event' ? row.step : null));
  return { laneW, labelX, width, height: top + G.head, boxes, stepOfRow };
}

function laneCenter(g: Geometry, lane: number): number {
  return G.gutter + lane * g.laneW + g.laneW / 2;
}

type Segment = {
  readonly state: 'up' | 'down' | 'fold';
  readonly from: number;
  readonly to: number;
};

/** A lane as runs of rows in one state (up, down, folded), so each run is one SVG line. */
function laneSegments(tl: Timeline, g: Geometry, lane: number): Segment[] {
  const segments: Segment[] = [];
  tl.rows.forEach((row, i) => {
    const state = row.down[lane] === true ? 'down' : row.kind === 'fold' ? 'fold' : 'up';
    const box = g.boxes[i]!;
    const last = segments[segments.length - 1];
    if (last !== undefined && last.state === state) {
      segments[segments.length - 1] = { ...last, to: box.top + box.height };
    } else segments.push({ state, from: box.top, to: box.top + box.height });
  });
  return segments;
}

function laneHeads(tl: Timeline, g: Geometry, y: number): string {
  // The replicated store's other servers follow its leader; the lock store's one server is a server.
  const follower = tl.lanes.some((l) => l.leader) ? 'follower' : 'server';
  // A narrow lane has room for its name only; the state cards say each node's role.
  const narrow = g.laneW < 80;
  return tl.lanes
    .map((lane, k) => {
      const x = num(laneCenter(g, k));
      const role = lane.role === 'client' ? 'client' : lane.leader ? 'leader' : follower;
      return `<g class="lane-head" data-node="${esc(lane.id)}"><text class="lane-name" x="${x}" y="${y}">${text(lane.id)}</text>${narrow ? '' : `<text class="lane-role" x="${x}" y="${y + 22}">${role}</text>`}</g>`;
    })
    .join('');
}

function svgLanes(tl: Timeline, g: Geometry): string {
  const lines = tl.lanes.flatMap((lane, k) => {
    const x = num(laneCenter(g, k));
    return laneSegments(tl, g, k).map(
      (s) =>
        `<line class="lane lane-${s.state}" data-node="${esc(lane.id)}" x1="${x}" y1="${num(s.from)}" x2="${x}" y2="${num(s.to)}"/>`,
    );
  });
  return `${laneHeads(tl, g, 30)}${lines.join('')}${laneHeads(tl, g, g.height - G.head + 30)}`;
}

/** The attributes that tie an element to its step, operation, message and highlights. */
function dataOf(row: EventRow): string {
  // Ids come from the trace, which anyone may have written: escaped like any other text.
  const parts = [`data-step="${row.step}"`];
  if (row.opId !== null) parts.push(`data-op="${esc(String(row.opId))}"`);
  if (row.messageId !== null) parts.push(`data-msg="${esc(String(row.messageId))}"`);
  if (row.highlights.length > 0) parts.push(`data-h="${row.highlights.join(' ')}"`);
  return parts.join(' ');
}

function classOf(base: string, row: EventRow): string {
  const marked =
    row.highlights.length > 0 ? ` witness ${row.tone === 'bad' ? 'violation' : 'finding'}` : '';
  return `${base} tone-${row.tone}${marked}`;
}

function arrowHead(x: number, y: number, angle: number, lost: boolean): string {
  if (lost) {
    const d = 8;
    return `<path class="lost-x" d="M${num(x - d)} ${num(y - d)}L${num(x + d)} ${num(y + d)}M${num(x - d)} ${num(y + d)}L${num(x + d)} ${num(y - d)}"/>`;
  }
  const len = 14;
  const spread = 0.42;
  const p = (a: number) => `${num(x - len * Math.cos(a))},${num(y - len * Math.sin(a))}`;
  return `<polygon class="head" points="${num(x)},${num(y)} ${p(angle - spread)} ${p(angle + spread)}"/>`;
}

function svgArrow(g: Geometry, row: EventRow, rowIndex: number, arrow: Arrow): string {
  const box = g.boxes[rowIndex]!;
  const fromRow = arrow.sentRow ?? rowIndex;
  const y1 = g.boxes[fromRow]!.mid;
  const x1 = laneCenter(g, arrow.from);
  const xTo = laneCenter(g, arrow.to);
  const angle = Math.atan2(box.mid - y1, xTo - x1);
  // Stop short of the lane so the head touches it instead of covering it.
  const x2 = xTo - 5 * Math.cos(angle);
  const y2 = box.mid - 5 * Math.sin(angle);
  const fromStep = g.stepOfRow[fromRow] ?? row.step;
  const line = `d="M${num(x1)} ${num(y1)}L${num(x2)} ${num(y2)}"`;
  return `<g class="${classOf(`msg msg-${arrow.style}`, row)}" ${dataOf(row)} data-from-step="${fromStep}"><path class="shaft" ${line}/>${arrowHead(x2, y2, angle, arrow.style === 'lost')}<path class="hit" ${line}/></g>`;
}

const SHAPES: Readonly<Partial<Record<Glyph, (x: number, y: number) => string>>> = {
  invoke: (x, y) => `<circle class="hollow" cx="${x}" cy="${y}" r="8"/>`,
  complete: (x, y) => `<circle class="solid" cx="${x}" cy="${y}" r="8"/>`,
  apply: (x, y) => `<rect class="solid" x="${x - 7}" y="${y - 7}" width="14" height="14"/>`,
  copy: (x, y) =>
    `<path class="solid" d="M${x} ${y - 9}L${x + 9} ${y}L${x} ${y + 9}L${x - 9} ${y}Z"/>`,
  timer: (x, y) =>
    `<circle class="hollow" cx="${x}" cy="${y}" r="8"/><path class="hand" d="M${x} ${y - 5}V${y}H${x + 4}"/>`,
};

// The diagram's glyphs, but a heavier cross for a crash: the thin one vanishes in SVG at this size.
const GLYPH_TEXT: Readonly<Record<Glyph, string>> = { ...GLYPHS, crash: '✖' };

function svgMarks(g: Geometry, row: EventRow, rowIndex: number): string {
  if (row.glyph === null || row.marks.length === 0) return '';
  const glyph = row.glyph;
  const y = Math.round(g.boxes[rowIndex]!.mid);
  const shapes = row.marks.map((k) => {
    const x = Math.round(laneCenter(g, k));
    const shape = SHAPES[glyph];
    if (shape !== undefined) return shape(x, y);
    return `<rect class="glyph-bg" x="${x - 12}" y="${y - 13}" width="24" height="26"/><text class="glyph" x="${x}" y="${y}">${GLYPH_TEXT[glyph]}</text>`;
  });
  return `<g class="${classOf(`mark glyph-${glyph}`, row)}" ${dataOf(row)}>${shapes.join('')}</g>`;
}

function tspans(x: number, lines: readonly string[], lineH: number): string {
  // One line needs no tspan: the text element's own position holds it.
  if (lines.length === 1) return esc(lines[0]!);
  return lines
    .map((line, i) => `<tspan x="${num(x)}" dy="${i === 0 ? 0 : lineH}">${esc(line)}</tspan>`)
    .join('');
}

function svgRowBackground(g: Geometry, row: Row, i: number): string {
  const box = g.boxes[i]!;
  if (row.kind === 'event') {
    return `<rect class="row-bg" data-step="${row.step}" y="${num(box.top)}" width="${g.width}" height="${num(box.height)}"/>`;
  }
  const band = (cls: string, x: number, data = '') =>
    `<rect class="${cls}"${data} x="${x}" y="${num(box.top + 3)}" width="${num(g.width - x)}" height="${num(box.height - 6)}"/>`;
  if (row.kind === 'note') return band('note-bg', G.gutter);
  // A fold keeps the span it hides, so that the lab offers a time inside it.
  if (row.kind === 'fold')
    return band('fold-bg', 0, ` data-from="${row.t}" data-until="${row.until}"`);
  return band(`explain-bg ${row.severity}`, g.labelX - 8);
}

function svgEventRow(g: Geometry, row: EventRow, i: number): string {
  const box = g.boxes[i]!;
  const arrow = row.arrow === null ? '' : svgArrow(g, row, i, row.arrow);
  const label = `<text class="${classOf('label', row)}" ${dataOf(row)} x="${g.labelX}" y="${num(box.mid)}">${tspans(g.labelX, box.lines, G.lineH)}</text>`;
  return `${arrow}${svgMarks(g, row, i)}${label}`;
}

function svgOtherRow(g: Geometry, row: Exclude<Row, EventRow>, i: number): string {
  const box = g.boxes[i]!;
  switch (row.kind) {
    case 'note': {
      const x = G.gutter + 12;
      return `<text class="note" x="${x}" y="${num(box.mid)}">${tspans(x, box.lines, G.noteLineH)}</text>`;
    }
    case 'fold':
      return `<text class="fold" x="${g.labelX}" y="${num(box.mid)}">${tspans(g.labelX, box.lines, G.lineH)}</text>`;
    case 'explain':
      return `<text class="explain witness ${row.severity}" data-h="${row.highlight}" x="${g.labelX}" y="${num(box.mid)}">${tspans(g.labelX, box.lines, G.lineH)}</text>`;
  }
}

/** The rows that print their time: the first event or note at each instant. */
function timeRows(tl: Timeline): Map<number, number> {
  let shown: number | null = null;
  const out = new Map<number, number>();
  tl.rows.forEach((row, i) => {
    if ((row.kind !== 'event' && row.kind !== 'note') || row.t === shown) return;
    shown = row.t;
    out.set(i, row.t);
  });
  return out;
}

function svgTime(g: Geometry, t: number, i: number): string {
  return `<text class="time" x="${G.gutter - 12}" y="${num(g.boxes[i]!.mid)}">${esc(formatTime(t))}</text>`;
}

/** Rows per chunk of the diagram: a big run's page draws only the chunks near the window. */
const CHUNK_ROWS = 100;
/**
 * Above this many rows page.js keeps in the document only the chunks near the window (without
 * script, every row stays drawn).
 */
const LAZY_ROWS = 400;

/** The vertical extent of rows `from..to`, with the start of every arrow that ends in them. */
function chunkExtent(tl: Timeline, g: Geometry, from: number, to: number): [number, number] {
  let top = g.boxes[from]!.top;
  const last = g.boxes[to - 1]!;
  for (let i = from; i < to; i++) {
    const row = tl.rows[i]!;
    if (row.kind === 'event' && row.arrow?.sentRow != null) {
      top = Math.min(top, g.boxes[row.arrow.sentRow]!.mid);
    }
  }
  return [Math.floor(top) - 16, Math.ceil(last.top + last.height) + 16];
}

function svgDiagram(tl: Timeline, g: Geometry): string {
  // Backgrounds first, lanes over them, then each row's arrow, marks and words on top. Rows go in
  // chunks (one group in each layer) that the page takes out while they are out of view, so that
  // a big run costs the browser only the rows on screen; each chunk names the height it spans.
  const shownTimes = timeRows(tl);
  const bands: string[] = [];
  const rows: string[] = [];
  for (let from = 0, c = 0; from < tl.rows.length; from += CHUNK_ROWS, c++) {
    const to = Math.min(tl.rows.length, from + CHUNK_ROWS);
    const [y0, y1] = chunkExtent(tl, g, from, to);
    const chunk = `class="chunk" data-chunk="${c}" data-y0="${y0}" data-y1="${y1}"`;
    const back: string[] = [];
    const front: string[] = [];
    for (let i = from; i < to; i++) {
      const row = tl.rows[i]!;
      back.push(svgRowBackground(g, row, i));
      const t = shownTimes.get(i);
      if (t !== undefined) back.push(svgTime(g, t, i));
      front.push(row.kind === 'event' ? svgEventRow(g, row, i) : svgOtherRow(g, row, i));
    }
    bands.push(`<g ${chunk}>${back.join('')}</g>`);
    rows.push(`<g ${chunk}>${front.join('')}</g>`);
  }
  const lazy = tl.rows.length > LAZY_ROWS ? ' class="lazy"' : '';
  const size = `width="${g.width}" height="${num(g.height)}" viewBox="0 0 ${g.width} ${num(g.height)}"`;
  return `<svg id="diagram"${lazy} xmlns="http://www.w3.org/2000/svg" ${size} role="img" aria-label="space-time diagram"><g class="layer">${bands.join('')}</g>${svgLanes(tl, g)}<g class="layer">${rows.join('')}</g></svg>`;
}

function fact(name: string, value: string): string {
  return `<div class="fact"><dt>${esc(name)}</dt><dd>${value}</dd></div>`;
}

/**
 * How many steps the slider has, and how they relate to the events the kernel counts: a student
 * sees both numbers on the page and should not have to guess why they differ.
 */
function stepsFact(doc: TraceDocument, steps: number): string {
  // A live run's events were recorded on a real network: nothing in it was simulated or scripted.
  const live = doc.scenario.file === 'live' && doc.scenario.definition === undefined;
  const events = counted(doc.run.events, live ? 'recorded event' : 'simulator event');
  const kinds = live ? 'an arrival, a timer, a fault' : 'an arrival, a timer, a scripted action';
  return `${steps}, the diagram's rows, from ${events} (${kinds}): an event can draw several rows, and repeats folded as ×40 share one`;
}

function headerHtml(doc: TraceDocument, steps: number, warnings: readonly string[]): string {
  const knobs = Object.entries(doc.knobs)
    .map(([k, v]) => `<li><span class="knob">${text(k)}</span>=<b>${text(String(v))}</b></li>`)
    .join('');
  const n = doc.network;
  const network = `delay ${n.delayMinMs}–${n.delayMaxMs} ms, loss ${n.dropPermille}‰, duplicates ${n.duplicatePermille}‰, ${n.fifo ? 'FIFO' : 'reordering allowed'}`;
  const facts = [
    fact('seed', `<b>${esc(String(doc.seed))}</b>`),
    fact('preset', text(doc.preset)),
    fact('network', esc(network)),
    fact('run', text(`${doc.run.ending} at ${formatTime(doc.run.endedAt)}`)),
    fact('steps', text(stepsFact(doc, steps))),
    fact('trace hash', `<code>${text(doc.run.hash)}</code>`),
  ];
  return `<header>
<h1><span class="file">${text(doc.scenario.file)}</span></h1>
<p class="goal">${text(doc.scenario.goal)}</p>
<p class="replay">replay: <code id="replay">${text(doc.replay, 4000)}</code></p>
${warnings.map((w) => `<p class="finding warning">⚠ ${text(w, WRAPPED_CHARS)}</p>\n`).join('')}<dl class="facts">${facts.join('')}</dl>
<details class="knobs"><summary>knobs (${Object.keys(doc.knobs).length})</summary><ul>${knobs}</ul></details>
</header>`;
}

function verdictItem(v: Verdict): string {
  const name = esc(GUARANTEE_NAMES[v.guarantee]);
  const count = v.violations.length;
  switch (v.status) {
    case 'held':
      return `<li class="met">✓ ${name} held</li>`;
    case 'not-judged':
      return `<li class="unjudged">– ${name} not judged: ${text(v.reason ?? '', WRAPPED_CHARS)}</li>`;
    case 'broken':
      return v.informative
        ? `<li class="finding">${MARKS.finding} ${name}: ${count} finding${count === 1 ? '' : 's'}</li>`
        : `<li class="unmet">${MARKS.violation} ${name} broken (${count})</li>`;
  }
}

/** The findings' heading names what the list holds: an informative finding is not a failure. */
function findingsHeading(doc: TraceDocument): string {
  const failed = doc.expectations.filter((x) => x.expectedText !== null && x.failure !== null);
  const broken = doc.verdicts.filter((v) => v.status === 'broken');
  const kinds = [
    failed.length > 0 || doc.verdictFailures.length > 0 ? 'failed expectations' : '',
    broken.some((v) => !v.informative) ? 'broken guarantees' : '',
    broken.some((v) => v.informative) ? 'informative findings' : '',
  ].filter((k) => k !== '');
  if (kinds.length === 0) return 'Failures, violations and findings';
  const words =
    kinds.length === 1 ? kinds[0]! : `${kinds.slice(0, -1).join(', ')} and ${kinds.at(-1)}`;
  // A break the scenario set out to show is no failure of it (a run no scenario scripted counts
  // every break among its verdict failures, so never reads so). Beside a finding, which the
  // scenario may not have expected, it is not said.
  const expected =
    kinds.length === 1 && kinds[0] === 'broken guarantees' ? ', as the scenario expected' : '';
  return `${words[0]!.toUpperCase()}${words.slice(1)}${expected}`;
}

function findingsHtml(doc: TraceDocument, tl: Timeline): string {
  const expectations = doc.expectations
    .filter((x) => x.expectedText !== null)
    .map((x) => {
      const ok = x.failure === null;
      const line = `step ${x.step}: ${x.label} → ${x.expectedText}${ok ? '' : `, but ${x.failure}`}`;
      return `<li class="${ok ? 'met' : 'unmet'}">${ok ? '✓' : '✗'} ${text(line)}</li>`;
    });
  const unexpected = doc.verdictFailures.map((f) => `<li class="unmet">✗ ${text(f)}</li>`);
  const problems = tl.highlights.map(
    (h, i) =>
      `<li><button type="button" class="witness-link ${h.severity}" data-h="${i}">${MARKS[h.severity]} ${text(h.text, WRAPPED_CHARS)}</button></li>`,
  );
  const problemList =
    problems.length === 0
      ? '<p class="all-good">No failed expectation, no violation, no finding.</p>'
      : `<ul id="violations">${problems.join('')}</ul>`;
  const all = [...expectations, ...unexpected, ...doc.verdicts.map(verdictItem)];
  return `<section id="findings">
<h2>${text(findingsHeading(doc))} <span class="hint">(click one to see its witness)</span></h2>${problemList}
<details><summary>Expectations (${expectations.length}) and guarantees (${doc.verdicts.length})</summary><ul class="expectations">${all.join('')}</ul></details>
</section>`;
}

function panelHtml(tl: Timeline): string {
  const last = Math.max(0, tl.steps - 1);
  return `<aside id="panel">
<div class="controls">
<button type="button" id="first" title="first step (Home)">|◀</button>
<button type="button" id="prev" title="previous step (←)">◀</button>
<button type="button" id="next" title="next step (→)">▶</button>
<button type="button" id="last" title="last step (End)">▶|</button>
</div>
<input type="range" id="slider" min="0" max="${last}" value="${last}" aria-label="step">
<div id="step-info" aria-live="polite"></div>
<div id="lane-filter" class="lane-filter" aria-label="show only some nodes"></div>
<div id="state"></div>
<div class="legend">○ issues an operation · ● gets its reply · ■ a replica stores · ◇ a note from a server: a lock granted or freed, a store emptied by a restart · ◷ a timer fires · ◆ duplicated · ✗ lost, on the row when it left if stopped then, or when it was due if stopped on arrival · ‖ held · ✖ crash · ↺ restart · ≠ / = a partition / it heals · ± clock step · ⋯ idle time folded · ×40 a retransmission storm in one row</div>
</aside>`;
}

/**
 * The trace's events as the page carries them: an object as an array led by the index of its keys
 * in `shapes` (written once for all the events that share them, not once an event), an array as
 * one led by -1. page.js unpacks them (docs/trace-format.md, "In the HTML page").
 */
function packEvents(events: readonly unknown[]) {
  const shapes: string[][] = [];
  const known = new Map<string, number>();
  const pack = (value: unknown): unknown => {
    if (Array.isArray(value)) return [-1, ...value.map(pack)];
    if (value === null || typeof value !== 'object') return value;
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).filter((k) => record[k] !== undefined);
    const name = JSON.stringify(keys);
    let shape = known.get(name);
    if (shape === undefined) {
      shape = shapes.length;
      shapes.push(keys);
      known.set(name, shape);
    }
    return [shape, ...keys.map((k) => pack(record[k]))];
  };
  return { shapes, events: events.map(pack) };
}

/** What the page's script needs beyond the trace: which row each step is, and the witnesses. */
function viewModel(doc: TraceDocument, tl: Timeline) {
  const events = tl.rows.filter((row): row is EventRow => row.kind === 'event');
  const lane = (k: number) => tl.lanes[k]!.id;
  // A step's state is the nodes' state once the atomic step holding its event is over: up to
  // the next step that begins another (found walking back, so each step is looked at once). But
  // a delivery or a timer whose effect a later row of its atomic step records (a lock granted, a
  // version stored, a reply taken) shows the state as the step began: the cards change on the
  // row that says what changed, not the row before it.
  const until: number[] = [];
  let next = doc.events.length;
  let recordedLater = false;
  for (let k = events.length - 1; k >= 0; k--) {
    const i = events[k]!.traceIndex;
    const kind = doc.events[i]!.kind;
    until[k] = (kind === 'deliver' || kind === 'timer') && recordedLater ? i : next;
    if (kind === 'record') recordedLater = true;
    if (beginsStep(doc.events, i)) {
      next = i;
      recordedLater = false;
    }
  }
  // One list per field rather than one object per step: the field names are written once.
  const steps = {
    traceIndex: events.map((row) => row.traceIndex),
    stateUntil: until,
    // A lost message says so, as its row does: `s1 ✗ s3: REPLICATION … (dropped by a partition)`;
    // with → alone it read as delivered.
    text: events.map((row) => {
      const lost = row.arrow?.style === 'lost';
      const link =
        row.arrow === null
          ? ''
          : `${lane(row.arrow.from)} ${lost ? '✗' : '→'} ${lane(row.arrow.to)}: `;
      return displayText(`${link}${row.text}${lost ? ` (${row.detail})` : ''}`);
    }),
    // The lanes a row touches, for the lane filter.
    lanes: events.map((row) => [
      ...new Set([...row.marks, ...(row.arrow === null ? [] : [row.arrow.from, row.arrow.to])]),
    ]),
  };
  const lastStep = tl.highlights.map((): number | null => null);
  for (const row of events) for (const h of row.highlights) lastStep[h] = row.step;
  const highlights = tl.highlights.map((h, k) => ({ ...h, lastStep: lastStep[k] ?? null }));
  const lanes = tl.lanes.map((l) => l.id);
  // The page's script escapes and cuts the texts it draws from the trace by the same rule.
  const display = { unsafe: UNSAFE_SOURCE, chars: DISPLAY_CHARS };
  return { steps, eventCount: doc.events.length, highlights, lanes, display };
}

/** The lab a page can carry (sim/lab/bundle.ts), for a document that holds its scenario's definition. */
export interface PageLab {
  readonly script: string;
  readonly css: string;
}

/** The page for a trace document: the same document always gives the same bytes. */
/**
 * What the page shows besides the run: warnings under its header, one line each (view's, of a
 * trace edited after it was written, or of a lab it left out).
 */
export interface PageOptions extends TimelineOptions {
  readonly warnings?: readonly string[];
}

export function renderHtml(doc: TraceDocument, options: PageOptions = {}, lab?: PageLab): string {
  const tl = timeline(doc, options);
  const g = geometry(tl);
  const title = `kvsim — ${doc.scenario.file} (seed ${doc.seed})`;
  const pageScript = `\n${asset('page.js')}`;
  const labScript = lab === undefined ? '' : `\n${lab.script}`;
  const labBlocks = lab === undefined ? '' : `<script>${labScript}</script>\n`;
  const scripts = lab === undefined ? [pageScript] : [pageScript, labScript];
  const style = `\n${asset('page.css')}${lab?.css ?? ''}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${esc(pagePolicy(scripts, [style]))}">
<link rel="icon" href="data:,">
<title>${text(title)}</title>
<style>${style}</style>
</head>
<body>
${headerHtml(doc, tl.steps, options.warnings ?? [])}
${findingsHtml(doc, tl)}
<main>
<div id="diagram-wrap">${svgDiagram(tl, g)}</div>
${panelHtml(tl)}
</main>
<div id="tooltip" role="tooltip" hidden></div>
<script type="application/json" id="kvsim-trace">${scriptJson({ ...doc, events: packEvents(doc.events) })}</script>
<script type="application/json" id="kvsim-view">${scriptJson(viewModel(doc, tl))}</script>
<script>${pageScript}</script>
${labBlocks}</body>
</html>
`;
}
