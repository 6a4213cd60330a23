// The lab, the page's own simulator: it reruns the embedded scenario in the browser (the same
// protocol, kernel and checkers as `npm run sim`, bundled), applies what-if edits chosen on the
// page, and shows the edited run beside the recorded one. Edits live in the address's fragment;
// nothing is fetched, and every text goes in as text.

import { GUARANTEE_NAMES } from '../check/index.ts';
import { type Bounds, DEFAULT_BOUNDS, SIZE_BOUNDS } from '../kernel/simulation.ts';
import type { TraceEvent } from '../kernel/trace.ts';
import { downAt } from '../render/down.ts';
import { counted, formatMessage, formatTime } from '../render/format.ts';
import type { TraceDocument } from '../render/json.ts';
import { shellWord } from '../render/safe-text.ts';
import { MAX_SEED } from '../scenario/limits.ts';
import {
  runScenario,
  type Scenario,
  ScenarioError,
  type ScenarioRun,
  validateScenario,
} from '../scenario.ts';
import { STORES } from '../stores/index.ts';
import { button, byId, el, eventText, rovingList } from './dom.ts';
import {
  addedTo,
  againText,
  boxNumber,
  type DiffEvent,
  diffRuns,
  type Edit,
  EditError,
  editText,
  foldStorms,
  type HeldMessage,
  heldBack,
  inFlight,
  LOST_AS_SENT,
  lostAsSent,
  MAX_MS,
  messageText,
  parseEdit,
  partsAt,
  type RunDiff,
  refusalOf,
  runWritten,
  sameMessage,
  scenarioSource,
  stepEnd,
  stepName,
  takenFrom,
  verdictText,
  type WhatIf,
  whatIfFileName,
} from './whatif.ts';

/** The page's trace document; its events are packed (page.js reads them), the lab needs none. */
const doc = JSON.parse(byId('kvsim-trace').textContent ?? '') as Omit<TraceDocument, 'events'>;
/** The scenario file the page was made from, for the downloaded file's header and name. */
const origin = doc.scenario.file;
/**
 * The scenario the lab reruns, checked as sim checks a scenario file; or why it cannot be rerun
 * (a page made by hand or by an earlier view from a trace whose definition sim would refuse),
 * which the lab then says in one sentence where it would have been, and does nothing else.
 */
const checked = ((): { scenario: Scenario } | { why: string } => {
  try {
    return { scenario: validateScenario(doc.scenario.definition) };
  } catch (error) {
    if (!(error instanceof ScenarioError)) throw error;
    return { why: error.message };
  }
})();
/** Read only once mount() runs, which it does only for a scenario that passed. */
const scenario = 'scenario' in checked ? checked.scenario : ({ goal: '', steps: [] } as Scenario);
const store = STORES[scenario.store ?? 'replicated'];
/** The page's run, rerun here: after the page is drawn, so that a long run does not hold it up. */
let rerun: ScenarioRun | null = null;
function baseRun(): ScenarioRun {
  rerun ??= runScenario(scenario, { bounds: pageBounds() });
  return rerun;
}

/**
 * The bounds the page's run had (a run `--max-events` cut short is rerun to the same event), none
 * above the defaults: a page may come from anyone, and a bound raised without end could keep the
 * tab busy. A run that needed a raised bound is rerun within the default, and the status says
 * the hashes differ.
 */
function pageBounds(): Partial<Bounds> {
  const given = doc.run.bounds;
  const bounds: { -readonly [K in keyof Bounds]?: number } = {};
  if (given !== undefined)
    for (const k of SIZE_BOUNDS) bounds[k] = Math.min(given[k], DEFAULT_BOUNDS[k]);
  return bounds;
}

let edits: Edit[] = [];
let outcome: { w: WhatIf; diff: RunDiff } | null = null;
/** The last edit refused, and why: the status says it above the run still shown. */
let refusal: string | null = null;
/** AnyStep by hand: the trace event (of the run shown last) after which a message is chosen. */
let hand: number | null = null;

const section = el('section', { attrs: { id: 'lab' } });
const status = el('p', { class: 'lab-status', attrs: { id: 'lab-status' } });
const editList = el('ol', { class: 'lab-edits', attrs: { id: 'lab-edits' } });
const result = el('div', { attrs: { id: 'lab-result' } });
const handView = el('div', { attrs: { id: 'lab-hand' } });
/** Opens step by hand, and closes it: pressed while it is open. */
const handToggle = button('step by hand', () => toggleHand());
handToggle.setAttribute('aria-pressed', 'false');
/** Step by hand's way on, fixed to the window's top while its own buttons are out of sight. */
const handBar = el('div', {
  class: 'lab-hand-bar',
  attrs: { id: 'lab-hand-bar', hidden: '', 'data-covers': 'top' },
});
const menu = el('div', { class: 'lab-menu', attrs: { id: 'lab-menu', hidden: '' } });
const toast = el('div', {
  class: 'lab-toast',
  attrs: { id: 'lab-toast', hidden: '', role: 'status' },
});

/** The run the lab shows last: the edited one when there are edits, else the page's own. */
function shown(): ScenarioRun {
  return outcome?.w.edited ?? baseRun();
}

function readFragment(): Edit[] {
  const params = new URLSearchParams(window.location.hash.slice(1));
  const raw = params.get('whatif');
  if (raw === null || raw === '') return [];
  return raw.split(',').map(parseEdit);
}

/**
 * Why the address's what-if was not read, while it stays in the address for the user to mend;
 * the lab goes on showing the run it showed (the page's own on opening), and says which.
 */
let addressError: string | null = null;

/** The address's edits as written; null, with the reason kept for the status line, when one is not an edit. */
function fragmentEdits(): Edit[] | null {
  try {
    const wanted = readFragment();
    addressError = null;
    return wanted;
  } catch (error) {
    if (!(error instanceof EditError)) throw error;
    addressError = error.message;
    return null;
  }
}

/**
 * The address says the edits shown, written by the page's script beside its step. `push`: an edit
 * made here, which the browser's Back then takes back (the address is followed on the way, as when
 * it is typed); the address followed is kept.
 */
function writeFragment(push: boolean): void {
  const value = edits.length === 0 ? null : edits.map(editText).join(',');
  const detail = { name: 'whatif', value, push };
  document.dispatchEvent(new CustomEvent('kvsim:address', { detail }));
}

/** The what-if `make` gives, or the reason it cannot be made (naming which of `edits` it is about). */
function compute(make: () => WhatIf, edits: readonly Edit[] = []): WhatIf | string {
  try {
    return make();
  } catch (error) {
    if (!(error instanceof EditError)) throw error;
    return refusalOf(error, edits);
  }
}

/**
 * Shows a what-if (its edits as it applied them, each on its message), and the address says it:
 * in a new entry of the browser's history when `push` (an edit made on the page).
 */
function show(w: WhatIf | null, push: boolean): void {
  // The address is written from the edits below: what it held is no longer the question.
  addressError = null;
  refusal = null;
  edits = [...(w?.edits ?? [])];
  outcome = w === null || edits.length === 0 ? null : { w, diff: diffRuns(w) };
  writeFragment(push);
  render();
}

/** The what-if shown changed by `make`; refused, with the sentence why, when it cannot be made. */
function change(make: (prior: WhatIf | null) => WhatIf): boolean {
  hideMenu();
  const next = compute(() => make(outcome?.w ?? null));
  if (typeof next === 'string') {
    refuse(next);
    return false;
  }
  show(next, true);
  return true;
}

/**
 * The edits the address holds, when they can be applied; otherwise the lab keeps the run it
 * shows (the page's own on opening) and says why, leaving the address for the user to mend.
 * `opening`: the page has just loaded, and the lab has shown nothing yet.
 */
function followAddress(opening: boolean): void {
  const hadError = addressError !== null;
  const wanted = fragmentEdits();
  const same = wanted !== null && wanted.map(editText).join(',') === edits.map(editText).join(',');
  // The address moved to another step (#step=N) or was written again as it was: nothing to do.
  if (same && !hadError && !opening) return;
  // The note and the menu are of the run shown before (Back may have taken that edit away).
  hideMenu();
  toast.hidden = true;
  if (wanted !== null && !same) {
    const next = compute(() => runWritten(scenario, wanted, baseRun()), wanted);
    if (typeof next !== 'string') {
      // The knob box shows the last knob the address sets (a link opened with a knob flipped).
      const knob = [...next.edits].reverse().find((e) => e.kind === 'knob');
      if (knob !== undefined) showKnob(knob.name);
      show(next, false);
      return;
    }
    addressError = next;
  }
  // Nothing rerun: the status says whether the address was followed.
  render();
}

/** An edit added (true); one that cannot be applied is not, and the reason stays on screen. */
function addEdit(edit: Edit): boolean {
  const added = change((prior) => addedTo(scenario, baseRun(), prior, edit));
  if (added) announce();
  return added;
}

/** An edit made from what was typed in boxes; refused, with the sentence why, when it is bad. */
function addTyped(make: () => Edit): void {
  let edit: Edit;
  try {
    edit = make();
  } catch (error) {
    if (!(error instanceof EditError)) throw error;
    refuse(error.message);
    return;
  }
  addEdit(edit);
}

/** An edit not made: why, in the lab's status line and in the note where the click was. */
function refuse(why: string): void {
  hideMenu();
  refusal = why;
  // Only the status: the comparison stays as it is (an open event list stays open).
  renderStatus();
  announce(`Not applied: ${why}`);
}

/** `convergence held → broken (1); 1 expectation changed` */
function changeSummary(diff: RunDiff): string {
  const verdicts = diff.verdicts.map((v) => `${GUARANTEE_NAMES[v.guarantee]} ${v.was} → ${v.now}`);
  const n = diff.expectations.length;
  if (n > 0) verdicts.push(`${counted(n, 'expectation')} changed`);
  return verdicts.join('; ') || 'no verdict and no expectation changed';
}

/**
 * The lab sits above the diagram; an edit made far down it is answered where the eye is, in a
 * note fixed to the window, with a way up to the full comparison.
 */
function announce(refused?: string): void {
  const text =
    refused !== undefined
      ? refused
      : outcome === null
        ? 'No edit: the run is the page’s own.'
        : `What if ${outcome.w.edits.map(editText).join(', ')}: ${changeSummary(outcome.diff)}.${movedText(outcome.w)}`;
  toast.replaceChildren(
    el('span', {}, text),
    button('see the comparison', () => {
      toast.hidden = true;
      section.scrollIntoView({ block: 'start' });
    }),
    button(
      '×',
      () => {
        toast.hidden = true;
      },
      'lab-remove',
    ),
  );
  // With the lab's status line in the window (an edit made in the settings row) the status and the
  // comparison say it already, and the note would cover the status.
  const line = status.getBoundingClientRect();
  toast.hidden = line.top >= 0 && line.bottom <= window.innerHeight;
  // Left of the step panel where it stands in the window's right column: not over its buttons.
  const panel = document.body.classList.contains('dock')
    ? undefined
    : document.getElementById('panel')?.getBoundingClientRect();
  const beside =
    panel !== undefined &&
    panel.left > window.innerWidth / 2 &&
    panel.top < window.innerHeight &&
    panel.bottom > 0;
  toast.style.right = beside ? `${window.innerWidth - panel.left + 16}px` : '';
}

/** The page's view model (html.ts): its steps' trace events and the trace's length. */
const pageView = JSON.parse(byId('kvsim-view').textContent ?? '') as {
  steps: { traceIndex: number[] };
  eventCount: number;
};
/** The trace event each page step shows (a folded storm has no step of its own). */
const pageSteps = pageView.steps.traceIndex;

/**
 * Moves the page's diagram to the step showing a trace event, or the last step before it, and
 * brings it into view; with `scroll` 'nudge' the window moves only if the row is out of sight,
 * and only as far as that needs; with false it stays.
 */
function goToEvent(traceIndex: number, scroll: boolean | 'nudge' = true): void {
  let step = 0;
  while (step + 1 < pageSteps.length && pageSteps[step + 1]! <= traceIndex) step++;
  // page.js listens for this event.
  document.dispatchEvent(new CustomEvent('kvsim:step', { detail: { step, scroll } }));
}

/** Whether the diagram's selected step's row is in sight, as the page's script judges it. */
function stepInSight(): boolean {
  const detail = { inSight: false };
  // page.js answers in `detail`, at once.
  document.dispatchEvent(new CustomEvent('kvsim:in-sight', { detail }));
  return detail.inSight;
}

function currentTraceIndex(): number {
  const info = document.getElementById('step-info');
  const raw = info?.dataset.traceIndex;
  return raw === undefined ? pageView.eventCount - 1 : Number(raw);
}

/** The time of the diagram's selected step: an event of the page's run, whatever the edits. */
function selectedTime(): number | undefined {
  return baseRun().result.trace[currentTraceIndex()]?.t;
}

// ---- the menu opened by clicking a message or a node in the diagram ----

/** What had the keyboard's focus when Enter or Space opened the menu: it has it back after. */
let menuOpener: HTMLElement | SVGElement | null = null;

function hideMenu(): void {
  menu.hidden = true;
  const opener = menuOpener;
  menuOpener = null;
  const inMenu = menu.contains(document.activeElement) || document.activeElement === document.body;
  if (opener?.isConnected && inMenu) opener.focus({ preventScroll: true });
}

function openMenu(x: number, y: number, title: string, items: Node[]): void {
  menu.replaceChildren(el('div', { class: 'lab-menu-title' }, title), ...items);
  menu.hidden = false;
  // Beside the click, inside the window: above it when there is no room below, down to the
  // docked panel where that panel is on screen below the click (it sticks to the window's foot
  // only while the diagram is in view; elsewhere it is further down the page, or above).
  const panel = document.body.classList.contains('dock')
    ? document.getElementById('panel')?.getBoundingClientRect().top
    : undefined;
  const foot =
    panel !== undefined && panel > y ? Math.min(panel, window.innerHeight) : window.innerHeight;
  const room = foot - 8;
  const below = y + 12 + menu.offsetHeight <= room;
  menu.style.left = `${Math.max(8, Math.min(x, window.innerWidth - 380))}px`;
  menu.style.top = `${below ? y + 12 : Math.max(8, y - 12 - menu.offsetHeight)}px`;
}

type SendEvent = Extract<TraceEvent, { kind: 'send' }>;

function sendOf(trace: readonly TraceEvent[], id: number): SendEvent | undefined {
  return trace.find((e): e is SendEvent => e.kind === 'send' && e.id === id);
}

/**
 * The page's message `id` in the run the lab shows last. An edit numbers messages as the run
 * before it does, and a copy or a lost message renumbers the what-if run (and may move its
 * times and versions), so a message clicked in the page's diagram is found there as the same
 * one of its link and type: the third REPLICATION from s1 to s3 is the third there too.
 * Undefined when the what-if run has no such message.
 */
function shownIdOf(id: number): number | undefined {
  if (outcome === null) return id;
  if (sendOf(baseRun().result.trace, id) === undefined) return undefined;
  return sameMessage(baseRun().result.trace, outcome.w.edited.result.trace, id);
}

/** `fromPage`: `id` is a message of the page's diagram, not of the what-if run's own list. */
function messageMenu(clicked: number, x: number, y: number, fromPage: boolean): void {
  const pageCopy = baseRun().result.trace.some((e) => e.kind === 'duplicate' && e.id === clicked);
  const id = fromPage && !pageCopy ? (shownIdOf(clicked) ?? -1) : clicked;
  const run = fromPage && pageCopy ? baseRun() : shown();
  const send = sendOf(run.result.trace, id);
  const copy = run.result.trace.find((e) => e.kind === 'duplicate' && e.id === id);
  if (send === undefined) {
    const why =
      copy !== undefined
        ? 'This is a copy the network made; click the message it copies.'
        : 'This message is not in the what-if run; pick it in the what-if run below.';
    openMenu(x, y, `message #${clicked}`, [el('p', {}, why)]);
    return;
  }
  const delay = el('input', {
    class: 'lab-number',
    attrs: { type: 'number', min: '0', value: '1000', 'aria-label': 'delay in ms' },
  });
  const title = `What if message #${id} (${messageText(send)})…`;
  const holdMs = el('input', {
    class: 'lab-number',
    attrs: { type: 'number', min: '0', value: '2000', 'aria-label': 'hold for ms' },
  });
  // From the diagram's selected step, but no later than the message leaves: a click selects the
  // step the message arrives at, and a hold from then let the message clicked through. A message
  // of the what-if run's list has its own time.
  const from = fromPage ? Math.min(selectedTime() ?? send.t, send.t) : send.t;
  const hold = () =>
    addTyped(() => {
      // It must end by the latest time an edit takes, or the address could not hold it.
      const until = from + boxNumber(holdMs.value, 'the hold in ms', MAX_MS - from);
      return { kind: 'hold', from: send.from, to: send.to, at: from, until };
    });
  // A message its link already holds is offered to be let go at once instead of held again.
  const held = run.result.trace.find((e) => e.kind === 'hold' && e.id === id);
  const link =
    held === undefined
      ? el(
          'span',
          { class: 'lab-inline' },
          button(
            `its link ${send.from} → ${send.to} holds messages from ${formatTime(from)} for`,
            hold,
          ),
          el('span', { class: 'lab-amount' }, holdMs, ' ms'),
        )
      : button(
          `its held link ${send.from} → ${send.to} lets it go at once (${formatTime(held.t + 1)})`,
          () => addEdit({ kind: 'release', from: send.from, to: send.to, at: held.t + 1 }),
        );
  // A message lost as it leaves never flies: an edit aimed at it would fall on the next one.
  const lost = lostAsSent(run.result.trace, send);
  const own =
    lost !== null
      ? [
          el(
            'p',
            { class: 'lab-hint', attrs: { id: 'lab-lost-as-sent' } },
            `It is lost as it leaves (${LOST_AS_SENT[lost]}): it never flies, so it cannot be lost again, copied or made late.`,
          ),
        ]
      : [
          button('is lost', () => addEdit({ kind: 'drop', message: id })),
          button('is delivered twice', () => addEdit({ kind: 'duplicate', message: id })),
          el(
            'span',
            { class: 'lab-inline' },
            button('arrives later by', () =>
              addTyped(() => ({
                kind: 'delay',
                message: id,
                byMs: boxNumber(delay.value, 'the delay in ms'),
              })),
            ),
            el('span', { class: 'lab-amount' }, delay, ' ms'),
          ),
        ];
  openMenu(x, y, title, [...own, link]);
}

/**
 * A node's menu: it crashes or restarts at the time of the row clicked on its lane (`row`, a page
 * step), or else at the selected step's time; the box beside says when, and takes another time.
 */
function nodeMenu(node: string, x: number, y: number, row?: number, fold?: Fold): void {
  const clicked = row === undefined ? undefined : baseRun().result.trace[pageSteps[row]!]?.t;
  const inFold = fold === undefined ? undefined : Math.min(fold.from + 1, fold.until - 1);
  const at = clicked ?? inFold ?? selectedTime() ?? 0;
  const atEnd = currentTraceIndex() === pageSteps[pageSteps.length - 1];
  const why =
    clicked !== undefined
      ? 'the time of the row clicked'
      : fold !== undefined
        ? `just after the skipped time begins: nothing happens from ${formatTime(fold.from)} to ${formatTime(fold.until)}, so any time between tells the same story`
        : atEnd
          ? `the selected step's time, the run's end (click ${node}'s lane at a row for that row's time)`
          : "the selected step's time";
  const box = el('input', {
    class: 'lab-number',
    attrs: { type: 'number', min: '0', value: String(at), 'aria-label': 'when, in ms' },
  });
  const hint = el('span', { class: 'lab-hint' }, why);
  const edit = (kind: 'crash' | 'restart') =>
    button('', () => addTyped(() => ({ kind, node, at: boxNumber(box.value, 'the time in ms') })));
  const crash = edit('crash');
  const restart = edit('restart');
  // The buttons say the time the box holds, and whether the node is already as the edit would
  // leave it then (the kernel ignores a restart of a node that is up, a crash of one that is down).
  const label = (ms: number | undefined) => {
    const when = ms === undefined ? 'the time in the box' : formatTime(ms);
    const down = ms !== undefined && downAt(shown().result.trace, node, ms);
    const up = ms !== undefined && !down;
    crash.textContent = `crashes at ${when}${down ? ` (${node} is down then: nothing changes)` : ''}`;
    restart.textContent = `restarts at ${when}${up ? ` (${node} is up then: nothing changes)` : ''}`;
  };
  label(at);
  box.addEventListener('input', () => {
    let ms: number | undefined;
    try {
      ms = boxNumber(box.value, 'the time in ms');
    } catch (error) {
      if (!(error instanceof EditError)) throw error;
    }
    label(ms);
    hint.textContent = '';
  });
  openMenu(x, y, `What if ${node}…`, [
    crash,
    restart,
    el(
      'span',
      { class: 'lab-inline' },
      el('span', { class: 'lab-amount' }, 'at ', box, ' ms'),
      hint,
    ),
  ]);
}

/** The diagram's band of class `cls` under a point, if any (lanes and arrows are drawn over it). */
function bandUnder(x: number, y: number, cls: string): SVGElement | undefined {
  return document
    .elementsFromPoint(x, y)
    .find((e): e is SVGElement => e instanceof SVGElement && e.matches(`#diagram .${cls}`));
}

/** The page step whose row lies under a point of the diagram, if any. */
function rowUnder(x: number, y: number): number | undefined {
  const row = bandUnder(x, y, 'row-bg');
  return row === undefined ? undefined : Number(row.dataset.step);
}

/** A folded stretch of idle time (`⋯ 10 s skipped`): from the last event before it to the next. */
interface Fold {
  readonly from: number;
  readonly until: number;
}

/** The folded idle time under a point of the diagram, if any. */
function foldUnder(x: number, y: number): Fold | undefined {
  const band = bandUnder(x, y, 'fold-bg');
  if (band === undefined) return undefined;
  return { from: Number(band.dataset.from), until: Number(band.dataset.until) };
}

/** How far beside a lane (in pixels) a click still means that lane: a lane is a thin line. */
const LANE_REACH = 10;

/** The node whose lane runs within reach of `x`, if any. */
function laneNear(x: number): string | undefined {
  let best: { node: string; off: number } | undefined;
  for (const head of document.querySelectorAll<SVGElement>('#diagram .lane-head[data-node]')) {
    const box = head.getBoundingClientRect();
    const off = Math.abs(box.left + box.width / 2 - x);
    if (off <= LANE_REACH && (best === undefined || off < best.off))
      best = { node: head.dataset.node ?? '', off };
  }
  return best?.node;
}

function onDiagramClick(event: MouseEvent): void {
  const target = event.target as Element | null;
  if (target === null || target.closest('#lab-menu') !== null) return;
  const opener = document.activeElement;
  openedBy(event, opener instanceof HTMLElement || opener instanceof SVGElement ? opener : null);
  const message = target.closest('[data-msg]') as HTMLElement | SVGElement | null;
  const node = target.closest(
    '.lane-head[data-node], .lane-bar-name[data-node], line.lane[data-node], #state .node[data-node] h3',
  );
  if (message !== null && message.closest('#diagram, #lab') !== null) {
    const fromPage = message.closest('#diagram') !== null;
    messageMenu(Number(message.dataset.msg), event.clientX, event.clientY, fromPage);
    return;
  }
  // On a lane, or beside it, among the rows: the node then, at that row's time.
  // On a lane, or beside it, across a fold: the node at a time inside the skipped stretch.
  const inDiagram = target.closest('#diagram') !== null;
  const row = inDiagram ? rowUnder(event.clientX, event.clientY) : undefined;
  const fold = inDiagram && row === undefined ? foldUnder(event.clientX, event.clientY) : undefined;
  const lane =
    (row === undefined && fold === undefined) || (node !== null && !node.matches('line.lane'))
      ? undefined
      : laneNear(event.clientX);
  if (lane !== undefined) {
    nodeMenu(lane, event.clientX, event.clientY, row, fold);
    return;
  }
  if (node !== null) {
    const owner = node.closest('[data-node]') as HTMLElement | SVGElement;
    nodeMenu(owner.dataset.node ?? '', event.clientX, event.clientY);
    return;
  }
  hideMenu();
}

/**
 * A menu opened from the keyboard (a click of detail 0: Enter or Space on the diagram's focused
 * cell) takes the focus to its first control, and gives it back when it closes.
 */
function openedBy(event: MouseEvent, opener: HTMLElement | SVGElement | null): void {
  menuOpener = null;
  if (event.detail !== 0 || opener === null) return;
  // Opened at once by the click's handler below; the focus moves once it is drawn.
  queueMicrotask(() => {
    if (menu.hidden) return;
    menuOpener = opener;
    menu.querySelector<HTMLElement>('button, input')?.focus({ preventScroll: true });
  });
}

// ---- settings: a knob, the preset, the seed ----

function settings(): HTMLElement {
  const knob = el('select', { attrs: { id: 'lab-knob', 'aria-label': 'knob' } });
  for (const name of Object.keys(store.knobSpecs))
    knob.append(el('option', { attrs: { value: name } }, name));
  const value = el('select', { attrs: { id: 'lab-knob-value', 'aria-label': 'value' } });
  const number = el('input', {
    class: 'lab-number',
    attrs: { id: 'lab-knob-number', type: 'number', 'aria-label': 'value' },
  });
  const fill = () => {
    const spec = store.knobSpecs[knob.value]!;
    const knobs = outcome?.w.edited.knobs ?? doc.knobs;
    const now = String(knobs[knob.value] ?? '');
    value.hidden = spec.kind !== 'enum';
    number.hidden = spec.kind === 'enum';
    if (spec.kind === 'enum') {
      value.replaceChildren(...spec.values.map((v) => el('option', { attrs: { value: v } }, v)));
      value.value = now;
    } else number.value = now;
  };
  knob.addEventListener('change', fill);
  fill();
  showKnob = (name) => {
    knob.value = name;
  };
  syncSettings = () => {
    fill();
    preset.value = shown().preset;
    seed.value = String(shown().seed);
  };
  const preset = el('select', { attrs: { id: 'lab-preset', 'aria-label': 'preset' } });
  for (const name of Object.keys(store.presets))
    preset.append(el('option', { attrs: { value: name } }, PRESET_WORDS[name] ?? name));
  preset.value = doc.preset;
  const seed = el('input', {
    class: 'lab-number',
    attrs: {
      id: 'lab-seed',
      type: 'number',
      min: '0',
      value: String(doc.seed),
      'aria-label': 'seed',
    },
  });
  const knobValue = () =>
    store.knobSpecs[knob.value]!.kind === 'enum' ? value.value : number.value;
  return el(
    'div',
    { class: 'lab-settings' },
    // Each setting with its own button, so that a narrow window wraps between settings only.
    el(
      'span',
      { class: 'lab-setting' },
      'knob ',
      knob,
      ' = ',
      value,
      number,
      ' ',
      button('rerun', () => addEdit({ kind: 'knob', name: knob.value, value: knobValue() })),
    ),
    el(
      'span',
      { class: 'lab-setting' },
      'preset ',
      preset,
      ' ',
      button('rerun', () => addEdit({ kind: 'preset', preset: preset.value })),
    ),
    el(
      'span',
      { class: 'lab-setting' },
      'random seed ',
      seed,
      ' ',
      // A box left empty, a negative or a fractional seed is refused, never read as another seed.
      button('rerun', () =>
        addTyped(() => ({ kind: 'seed', seed: boxNumber(seed.value, 'the seed', MAX_SEED) })),
      ),
    ),
  );
}

/**
 * A preset as the settings row names it: beside the random seed, a preset called `seed` reads as
 * another seed unless it says what it is (README, --preset).
 */
const PRESET_WORDS: Readonly<Record<string, string>> = {
  seed: "seed: the students' choices",
  fixed: 'fixed: the corrected ones',
};

/** Puts the boxes back to the settings of the run shown, once an edit is made or taken back. */
let syncSettings = (): void => {};
/** Chooses a knob in the knob box (its value is the run shown's once the boxes are synced). */
let showKnob = (_name: string): void => {};

// ---- what the lab shows ----

function render(): void {
  const refocus = keptFocus();
  // Asked before anything above the diagram is redrawn, which may move the row.
  const watched = hand !== null && stepInSight();
  renderEdits();
  syncSettings();
  const kept = keptOpen();
  result.replaceChildren();
  renderStatus();
  if (outcome !== null) {
    result.append(...comparison(outcome.w, outcome.diff));
    kept();
  }
  handToggle.setAttribute('aria-pressed', String(hand !== null));
  if (hand !== null) renderHand(shown(), watched);
  else {
    handView.replaceChildren();
    placeHandBar();
  }
  refocus();
}

/**
 * The lab's control that has the keyboard's focus, given it back once the lab is redrawn: the
 * control of the same words in the same place (the n-th '×' stays the n-th), or else the first
 * that can be pressed around it. Redrawn, the control pressed was gone, and the keyboard's next
 * Enter went nowhere (step by hand's 'later event ▶' moved once).
 */
function keptFocus(): () => void {
  const was = document.activeElement;
  if (!(was instanceof HTMLElement)) return () => {};
  const region = [handBar, handView, editList, result].find((r) => r.contains(was));
  if (region === undefined) return () => {};
  const text = was.textContent;
  const alike = (): HTMLElement[] =>
    [...region.querySelectorAll<HTMLElement>(was.tagName)].filter((e) => e.textContent === text);
  const place = alike().indexOf(was);
  // A row of the what-if run's list: the new run's row at the same place (its words may differ).
  const listed = was.matches('#lab-run > li')
    ? [...region.querySelectorAll('#lab-run > li')].indexOf(was)
    : -1;
  return () => {
    if (was.isConnected && document.activeElement === was) return;
    if (listed >= 0) {
      const rows = region.querySelectorAll<HTMLElement>('#lab-run > li');
      const row = rows[Math.min(listed, rows.length - 1)];
      if (row !== undefined && row.offsetParent !== null) {
        row.focus({ preventScroll: true });
        scrollIntoList(row);
        return;
      }
    }
    const usable = (e: HTMLElement) =>
      !(e as HTMLButtonElement).disabled && e.offsetParent !== null;
    const same = alike().filter(usable);
    let next: HTMLElement | undefined = same[Math.min(place, same.length - 1)];
    for (let around: HTMLElement | null = region; next === undefined && around !== null; ) {
      next = [...around.querySelectorAll<HTMLElement>('button, a[href]')].find(usable);
      // No further than the lab: the bar, fixed outside it, looks in itself alone.
      around = around === section || !section.contains(around) ? null : around.parentElement;
    }
    next?.focus({ preventScroll: true });
  };
}

/**
 * The what-if run's own list as the reader left it, to be put back once the comparison is drawn
 * again: open if it was, and scrolled where it was while the run is the same. Step by hand redraws
 * at every move, and the list shut under it, pulling step by hand up the page.
 */
function keptOpen(): () => void {
  const box = document.querySelector<HTMLDetailsElement>('#lab-run-box');
  const open = box?.open === true;
  const top = box?.querySelector('ol')?.scrollTop ?? 0;
  return () => {
    const now = document.querySelector<HTMLDetailsElement>('#lab-run-box');
    if (now === null || !open) return;
    now.open = true;
    const list = now.querySelector('ol');
    if (list !== null && now.dataset.hash === box?.dataset.hash) list.scrollTop = top;
  };
}

/** Which run the lab shows, said after what it did not do. */
function stillShows(): string {
  return edits.length === 0
    ? "it shows the page's own run"
    : `it still shows the what-if ${edits.map(editText).join(', ')}`;
}

/** The edit refused last, and the run the lab shows instead. */
function refusalLine(): Node[] {
  if (refusal === null) return [];
  return [
    el(
      'span',
      { class: 'lab-bad', attrs: { id: 'lab-refused' } },
      `Not applied: ${refusal.replace(/\.$/, '')}. The lab keeps the run it showed: ${stillShows()}.`,
    ),
    el('br'),
  ];
}

/** ` drop:16 is now drop:18: …` after the note, when a change moved a message edit's number. */
function movedText(w: WhatIf): string {
  return w.moved.map((m) => ` ${m}.`).join('');
}

/** The message edits that now number their messages otherwise, on the status line. */
function movedLine(): Node[] {
  const text = outcome === null ? '' : movedText(outcome.w).trim();
  return text === '' ? [] : [el('br'), el('span', { attrs: { id: 'lab-moved' } }, text)];
}

function renderStatus(): void {
  status.replaceChildren(...refusalLine(), ...addressLine(), hashLine(), ...movedLine());
}

/** The address's what-if that was not read, and which run the lab shows instead. */
function addressLine(): Node[] {
  if (addressError === null) return [];
  const shows = stillShows();
  return [
    el(
      'span',
      { class: 'lab-bad', attrs: { id: 'lab-address' } },
      `The address's what-if was not applied: ${addressError}. Mend it in the address, or make an edit here; ${shows}.`,
    ),
    el('br'),
  ];
}

function hashLine(): Node {
  const base = baseRun();
  const same = base.result.hash === doc.run.hash;
  return el(
    'span',
    { class: same ? 'lab-good' : 'lab-bad' },
    same
      ? `Rerun in this browser: trace hash ${base.result.hash}, the same as the page's ✓`
      : `Rerun in this browser gave trace hash ${base.result.hash}, but the page shows ${doc.run.hash}: this page's scenario is not the run it draws`,
  );
}

function renderEdits(): void {
  editList.replaceChildren(
    ...edits.map((edit, i) =>
      el(
        'li',
        { class: 'lab-edit' },
        // Its place among the edits, which apply in this order, each to the run of those before it.
        el('span', { class: 'lab-edit-n' }, `${i + 1}. `),
        el('code', { attrs: { title: describedEdit(i) } }, editText(edit)),
        button(
          '×',
          () => {
            // The edits after it stay on their messages, or the × is refused saying which.
            if (outcome !== null && change((prior) => takenFrom(scenario, baseRun(), prior!, i))) {
              hand = null;
              if (outcome?.w.moved.length) announce();
            }
          },
          'lab-remove',
        ),
      ),
    ),
  );
  if (edits.length === 0) editList.append(el('li', { class: 'lab-none' }, 'no edit yet'));
}

/** The verdicts, changed ones first and in bold; the unchanged ones counted on one line. */
function describedEdit(i: number): string {
  return outcome?.w.described[i] ?? '';
}

function verdictList(run: ScenarioRun, diff: RunDiff, side: 'was' | 'now'): HTMLElement {
  const list = el('ul', { class: 'lab-verdicts' });
  const same: string[] = [];
  for (const v of run.verdicts) {
    const change = diff.verdicts.find((c) => c.guarantee === v.guarantee);
    if (change === undefined) {
      same.push(`${GUARANTEE_NAMES[v.guarantee]} ${verdictText(v)}`);
      continue;
    }
    list.append(
      el(
        'li',
        // Coloured by which way it goes, as 'What changed' colours it: a guarantee the change made
        // hold as good news, a finding (or a verdict no longer judged) in amber, a break in red.
        {
          class: `lab-changed lab-${change.tone}`,
          attrs: { 'data-g': v.guarantee },
        },
        `${GUARANTEE_NAMES[v.guarantee]}: ${change[side]}`,
      ),
    );
  }
  if (same.length > 0)
    list.append(el('li', { class: 'lab-same' }, `unchanged: ${same.join(', ')}`));
  return list;
}

/**
 * A run's size as the page counts it, beside the kernel's count of events: the page's run in the
 * diagram's steps (the slider's), the what-if run in the rows of its own list below.
 */
function runSize(run: ScenarioRun, side: 'was' | 'now'): string {
  const events = counted(run.result.events, 'simulator event');
  if (side === 'was')
    return `${events}, drawn as the diagram's ${counted(pageSteps.length, 'step')}`;
  const rows = run.result.trace.filter(isRow).length;
  return `${events}, listed as ${counted(rows, 'row')} below`;
}

function column(title: string, run: ScenarioRun, diff: RunDiff, side: 'was' | 'now'): HTMLElement {
  const failed = run.outcomes.filter((o) => o.expected !== undefined && o.failure !== null).length;
  const judged = run.outcomes.filter((o) => o.expected !== undefined).length;
  return el(
    'div',
    { class: 'lab-col', attrs: { 'data-side': side } },
    el('h3', {}, title),
    el('p', {}, 'trace hash ', el('code', { class: 'lab-hash' }, run.result.hash)),
    el(
      'p',
      { class: 'lab-size' },
      `${run.result.ending} at ${formatTime(run.result.endedAt)}, ${runSize(run, side)}; ${judged - failed} of ${judged} expectations met`,
    ),
    verdictList(run, diff, side),
  );
}

function comparison(w: WhatIf, diff: RunDiff): Node[] {
  const replay = scenarioSource(w.scenario, origin, w.edits, w.edited, doc.replay);
  const name = whatIfFileName(origin);
  const download = el(
    'a',
    {
      class: 'lab-button',
      attrs: {
        id: 'lab-download',
        download: name,
        href: `data:text/plain;charset=utf-8,${encodeURIComponent(replay)}`,
      },
    },
    'download as scenario',
  );
  return [
    el(
      'div',
      { class: 'lab-compare' },
      column('this run (the page)', w.base, diff, 'was'),
      column(`what if: ${w.edits.map(editText).join(', ')}`, w.edited, diff, 'now'),
    ),
    // A message edit that the edits after it moved off its message says so where it is seen.
    ...w.drifts.flatMap((drift, i) =>
      drift === null ? [] : [el('p', { class: 'lab-drift' }, `${editText(w.edits[i]!)}: ${drift}`)],
    ),
    el(
      'p',
      { class: 'lab-download' },
      download,
      // Quoted as a shell word: the name comes from the scenario's file name, which the trace
      // holds (a page of a hand-edited trace may say anything there).
      ` then: npm run sim -- ${shellWord(name)} (trace hash ${w.edited.result.hash})`,
    ),
    divergence(diff),
    changes(w, diff),
    differing(diff),
    editedRun(w),
  ];
}

function divergence(diff: RunDiff): HTMLElement {
  const d = diff.divergence;
  const box = (...children: HTMLElement[]) =>
    el('div', { class: 'lab-divergence', attrs: { id: 'lab-divergence' } }, ...children);
  if (d === null)
    return box(
      el('h3', {}, 'First divergence'),
      el('p', {}, 'None: the edit changed nothing that happened.'),
    );
  const was = d.base;
  // The two next events may be at different times: the runs agree until the earlier one.
  return box(
    el('h3', {}, `First divergence, at ${formatTime(partsAt(d))}`),
    el('p', { class: 'lab-hint' }, 'The runs agree until then; the next event of each:'),
    el(
      'p',
      {},
      'was: ',
      was === null
        ? '(this run had ended)'
        : button(eventText(was.event), () => goToEvent(was.traceIndex), 'lab-link'),
    ),
    el('p', {}, 'now: ', d.edited === null ? '(the what-if run had ended)' : editedLink(d.edited)),
  );
}

function changes(w: WhatIf, diff: RunDiff): HTMLElement {
  const list = el('ul', { class: 'lab-changes', attrs: { id: 'lab-changes' } });
  for (const v of diff.verdicts) {
    const item = el(
      'li',
      { class: `lab-${v.tone}`, attrs: { 'data-g': v.guarantee } },
      el('b', {}, `${GUARANTEE_NAMES[v.guarantee]}: ${v.was} → ${v.now}`),
    );
    for (const sentence of v.witnesses.slice(0, 3)) {
      item.append(
        el('br'),
        button(
          `witness${v.witnessRun === 'base' ? ' (this run)' : ''}: ${sentence}`,
          () => showWitness(w, v.witnessRun, v.ops),
          'lab-link',
        ),
      );
    }
    list.append(item);
  }
  for (const x of diff.expectations) {
    list.append(
      el(
        'li',
        { class: `lab-${x.tone}`, attrs: { 'data-step': String(x.step) } },
        el('b', {}, `${stepName(x)}: ${x.label} → ${x.expected}: ${x.was} → ${x.now}; ${x.why}`),
        el('br'),
        button(
          'witness: the operation in the what-if run',
          () => showWitness(w, 'edited', [x.opId]),
          'lab-link',
        ),
      ),
    );
  }
  const was = diff.unmet.was.join('; ') || 'as expected';
  const now = diff.unmet.now.join('; ') || 'as expected';
  if (was !== now)
    list.append(
      el(
        'li',
        { class: `lab-${diff.unmet.tone}`, attrs: { id: 'lab-unmet' } },
        el('b', {}, `the scenario's verdicts: ${was} → ${now}`),
      ),
    );
  if (list.childElementCount === 0)
    list.append(el('li', {}, 'No verdict and no expectation changed.'));
  return el('div', {}, el('h3', {}, 'What changed'), list);
}

/** A witness: in this run, the diagram's step; in the what-if run, its rows in the list below. */
function showWitness(w: WhatIf, run: 'base' | 'edited', ops: readonly number[]): void {
  const trace = (run === 'base' ? w.base : w.edited).result.trace;
  const rows = rowsOfOps(trace, ops);
  // A witness of how the run ended (convergence compares the final stores) names no operation:
  // it is shown at the run's last row.
  if (rows.length === 0) {
    let last = trace.length - 1;
    while (last >= 0 && !isRow(trace[last]!)) last--;
    if (last >= 0) rows.push(last);
  }
  if (run === 'base') {
    const last = rows[rows.length - 1];
    if (last !== undefined) goToEvent(last);
    return;
  }
  markEditedRows(rows);
}

/** Rows of the what-if run's own list (by trace event), marked and brought into view, list open. */
function markEditedRows(rows: readonly number[]): void {
  for (const li of document.querySelectorAll('#lab-run li.lab-witness'))
    li.classList.remove('lab-witness');
  for (const row of rows)
    document.querySelector(`#lab-run li[data-trace="${row}"]`)?.classList.add('lab-witness');
  const details = document.querySelector('#lab-run-box') as HTMLDetailsElement | null;
  if (details !== null) details.open = true;
  document.querySelector('#lab-run li.lab-witness')?.scrollIntoView({ block: 'center' });
}

/** The trace events where the operations are issued and answered. */
function rowsOfOps(trace: readonly TraceEvent[], ops: readonly number[]): number[] {
  const out: number[] = [];
  trace.forEach((e, i) => {
    const o = e.kind === 'record' ? e.observation : null;
    if (o !== null && (o.kind === 'invoke' || o.kind === 'complete') && ops.includes(o.opId))
      out.push(i);
  });
  return out;
}

/** Lines listed per side of the events that differ; the rest are counted. */
const SHOWN_LINES = 200;

/** An event of the what-if run that, clicked, is shown in that run's own list below. */
function editedLink(e: DiffEvent, again = ''): HTMLElement {
  return button(`${eventText(e.event)}${again}`, () => markEditedRows([e.traceIndex]), 'lab-link');
}

function differing(diff: RunDiff): HTMLElement {
  // The heading counts events, and so do the lists' numbers: a storm folded into one line takes
  // the numbers of all its events (`5–44.`), so that the last number is the heading's count.
  const list = (events: RunDiff['onlyBase'], side: string, base: boolean) => {
    const lines = foldStorms(events);
    let next = 1;
    const items = lines.slice(0, SHOWN_LINES).map((line) => {
      const again = againText(line);
      const { first } = line;
      const item = el(
        'li',
        { attrs: { value: String(next) } },
        base
          ? button(
              `${eventText(first.event)}${again}`,
              () => goToEvent(first.traceIndex),
              'lab-link',
            )
          : editedLink(first, again),
      );
      if (line.count > 1) item.dataset.n = `${next}–${next + line.count - 1}`;
      next += line.count;
      return item;
    });
    const rest = events.length - (next - 1);
    const ol = el(
      'ol',
      { class: 'lab-events', attrs: { 'data-side': side } },
      ...items,
      rest > 0 ? el('li', { class: 'lab-more' }, `… and ${counted(rest, 'more event')}`) : null,
    );
    // Room on the left for the widest number (a range is wider than the list's usual margin).
    const widest = Math.max(0, ...items.map((li) => (li.dataset.n ?? li.value.toString()).length));
    ol.style.paddingLeft = `max(48px, ${widest + 3}ch)`;
    // One tab stop a list, not one a line: up to 200 lines a side stood between Tab and the rest.
    rovingList(ol, () => [...ol.querySelectorAll<HTMLElement>('li > button')]);
    return ol;
  };
  return el(
    'div',
    { class: 'lab-differ', attrs: { id: 'lab-differ' } },
    el(
      'h3',
      {},
      `Events that differ (${diff.onlyBase.length} only in this run, ${diff.onlyEdited.length} only in the what-if)`,
    ),
    el(
      'div',
      { class: 'lab-compare' },
      el(
        'div',
        { class: 'lab-col' },
        el('h4', {}, 'only in this run'),
        list(diff.onlyBase, 'base', true),
      ),
      el(
        'div',
        { class: 'lab-col' },
        el('h4', {}, 'only in the what-if'),
        list(diff.onlyEdited, 'edited', false),
      ),
    ),
  );
}

/** The what-if run event by event; its messages can be edited in turn, like the diagram's. */
function editedRun(w: WhatIf): HTMLElement {
  const items: HTMLElement[] = [];
  w.edited.result.trace.forEach((e, i) => {
    if (!isRow(e)) return;
    const attrs: Record<string, string> = { 'data-trace': String(i) };
    if ('id' in e) attrs['data-msg'] = String(e.id);
    items.push(el('li', { attrs }, eventText(e)));
  });
  const list = el('ol', { class: 'lab-events', attrs: { id: 'lab-run' } }, ...items);
  rovingList(list);
  return el(
    'details',
    { attrs: { id: 'lab-run-box', 'data-hash': w.edited.result.hash } },
    el(
      'summary',
      {},
      `The what-if run, event by event (${items.length} rows; click a message to edit it)`,
    ),
    list,
  );
}

// ---- step by hand ----

function renderHand(run: ScenarioRun, watched: boolean): void {
  const trace = run.result.trace;
  const at = Math.min(hand ?? 0, trace.length - 1);
  const after = stepEnd(trace, at);
  const flying = inFlight(trace, after).sort((a, b) => a.deliverAt - b.deliverAt || a.id - b.id);
  const held = heldBack(trace, after);
  const choices = flying.map((m, i) =>
    el(
      'li',
      {},
      button(
        `deliver #${m.id}: ${flyingText(trace, m.event)} (due ${formatTime(m.deliverAt)}${i === 0 ? ', the first due: the run delivers it next anyway' : ''})`,
        () => chooseNext(m.id, after),
        'lab-link',
      ),
    ),
  );
  handView.replaceChildren(
    el('h3', {}, 'Step by hand: choose the message delivered next'),
    el(
      'div',
      { class: 'lab-row' },
      button('◀ earlier event', () => moveHand(trace, at, -1)),
      laterButton('later event ▶', trace, after),
      button('leave step by hand', toggleHand),
    ),
    el(
      'p',
      { attrs: { id: 'lab-hand-at' } },
      `After: ${trace[at] === undefined ? 'the start' : eventText(trace[at]!) || 'the start'}`,
    ),
    handTrail(trace, at),
    choices.length === 0
      ? el(
          'p',
          { attrs: { id: 'lab-hand-none' } },
          // The diagram's own step does not move this cursor: its buttons above do.
          held.length === 0
            ? lastRowBy(trace, after)
              ? "This is the run's last event: nothing is in flight and nothing comes after it. Go back with ◀ earlier event, or leave step by hand."
              : 'Nothing is in flight after this event: go to a later event ▶, or leave step by hand.'
            : `Nothing is in flight after this event, but ${counted(held.length, 'message')} ${held.length === 1 ? 'waits' : 'wait'} on a held link, below: none can be delivered until its link is released. Release ${new Set(held.map((m) => `${m.from}:${m.to}`)).size === 1 ? 'it' : 'one'} now, or go to a later event ▶.`,
        )
      : el('ol', { class: 'lab-choices', attrs: { id: 'lab-choices' } }, ...choices),
    ...heldList(held, trace[after]?.t ?? 0),
    stateTable(run, after),
  );
  handBar.replaceChildren(
    el('b', {}, 'Step by hand:'),
    button('◀ earlier', () => moveHand(trace, at, -1)),
    laterButton('later ▶', trace, after),
    button('the choices ↑', () => {
      bringHand();
      // The keyboard follows the eye: to the first message to choose, else the way on.
      const choice = handView.querySelector<HTMLElement>('#lab-choices button');
      const ways = [...handView.querySelectorAll<HTMLButtonElement>('.lab-row button')];
      (
        choice ??
        ways.find((b) => b.textContent === 'later event ▶' && !b.disabled) ??
        ways[0]
      )?.focus({ preventScroll: true });
    }),
  );
  showHandStep(at, watched);
  placeHandBar();
}

/** The bar is up while step by hand is open and its own buttons are not in the window. */
function placeHandBar(): void {
  const box = handView.querySelector('.lab-row')?.getBoundingClientRect();
  handBar.hidden = box === undefined || (box.bottom > 0 && box.top < window.innerHeight);
  // An edit's note stands under the bar, not over its buttons (at 1024 px they meet).
  toast.style.top = handBar.hidden ? '' : `${handBar.getBoundingClientRect().bottom + 8}px`;
}

/**
 * The event step by hand is after, where else it is shown, kept in sight as the hand moves: the
 * diagram's selected step (the page's own run), the window moving to keep its row in sight only
 * when the row before was (`watched`), or the row of the what-if run's own list, which scrolls
 * inside itself. Neither pulls the window to a place the reader was not looking at.
 */
function showHandStep(at: number, watched: boolean): void {
  if (outcome === null) {
    goToEvent(at, watched ? 'nudge' : false);
    return;
  }
  for (const li of document.querySelectorAll('#lab-run li.lab-here'))
    li.classList.remove('lab-here');
  const row = document.querySelector(`#lab-run li[data-trace="${at}"]`);
  row?.classList.add('lab-here');
  if (row !== null) scrollIntoList(row);
}

/** Scrolls a row's list (only the list, never the window) just enough to show the row. */
function scrollIntoList(row: Element): void {
  const list = row.closest('ol');
  if (list === null || list.clientHeight === 0) return;
  const box = row.getBoundingClientRect();
  const frame = list.getBoundingClientRect();
  if (box.top < frame.top) list.scrollTop -= frame.top - box.top;
  else if (box.bottom > frame.bottom) list.scrollTop += box.bottom - frame.bottom;
}

/** Rows shown in step by hand's trail: the event it is after, and those just before. */
const TRAIL_ROWS = 5;

/**
 * Where step by hand is, in the run it walks: its last rows up to the event it is after, that one
 * marked. The page's own run is the diagram's, so the diagram's selected step follows it there;
 * a what-if run is not drawn, so the trail says so and its own list below marks the event too.
 */
function handTrail(trace: readonly TraceEvent[], at: number): HTMLElement {
  const rows: number[] = [];
  for (let i = at; i >= 0 && rows.length < TRAIL_ROWS; i--)
    if (i === at || isRow(trace[i]!)) rows.unshift(i);
  const items = rows.map((i) => {
    const text = (trace[i] === undefined ? '' : eventText(trace[i]!)) || 'the start';
    return el(
      'li',
      { class: i === at ? 'lab-here' : '', attrs: { 'data-trace': String(i) } },
      i === at ? `${text}  ◀ step by hand is here` : text,
    );
  });
  const own = outcome === null;
  const which = own
    ? "The page's own run: the diagram's selected step follows step by hand. "
    : `The what-if run (${edits.map(editText).join(', ')}), which the diagram does not draw: it shows the page's run. Its last rows here; its own list marks this one too. `;
  const see = own
    ? button('see it in the diagram', () => goToEvent(at), 'lab-link')
    : button('see it in its list', () => markEditedRows([at]), 'lab-link');
  return el(
    'div',
    { class: 'lab-trail', attrs: { id: 'lab-hand-where' } },
    el('p', {}, which, see),
    el('ol', { class: 'lab-events' }, ...items),
  );
}

/** A message in flight in words: when it was sent, and when its held link let it go if it was held. */
function flyingText(trace: readonly TraceEvent[], flying: SendEvent): string {
  const first = sendOf(trace, flying.id) ?? flying;
  const held = first.t === flying.t ? '' : `, held until ${formatTime(flying.t)}`;
  return `${messageText(first)}${held}`;
}

/**
 * The messages a held link keeps back, link by link: when the run lets them go, and a button
 * that lets them go now instead (a `release` edit), after which they are in flight to choose from.
 */
function heldList(held: readonly HeldMessage[], now: number): HTMLElement[] {
  if (held.length === 0) return [];
  // A millisecond on: a release at the event's own instant would come before it (the script's
  // steps go first), undoing the very event step by hand stands after.
  const at = now + 1;
  const links = new Map<string, HeldMessage[]>();
  for (const m of held) {
    const link = `${m.from} → ${m.to}`;
    links.set(link, [...(links.get(link) ?? []), m]);
  }
  const items = [...links].map(([link, messages]) => {
    const { from, to, until } = messages[0]!;
    const when =
      until === null ? 'the run never releases it' : `the run releases it at ${formatTime(until)}`;
    return el(
      'li',
      { attrs: { 'data-link': `${from}:${to}` } },
      `held on the link ${link} (${when}): `,
      messages
        .map((m) => `#${m.id} ${formatMessage(m.event.message)} (since ${formatTime(m.event.t)})`)
        .join(', '),
      ' ',
      button(`release ${link} now (at ${formatTime(at)})`, () => releaseNow(from, to, at)),
    );
  });
  // The kernel lets a held link go whole: a release edit cannot pick one message out of several.
  const several = [...links.values()].some((messages) => messages.length > 1);
  const whole = several
    ? el(
        'p',
        { class: 'lab-hint', attrs: { id: 'lab-held-whole' } },
        'A release lets every message its link holds go at once, each with its own delay: there is no letting just one through. To see one arrive first, release the link, then choose it among the messages in flight.',
      )
    : null;
  return [
    el('h4', {}, 'Waiting on a held link (not in flight until the link is released)'),
    el('ul', { class: 'lab-held', attrs: { id: 'lab-held' } }, ...items),
    ...(whole === null ? [] : [whole]),
  ];
}

/** Lets a held link's messages go at `at`; step by hand goes on from the release, where they fly. */
function releaseNow(from: string, to: string, at: number): void {
  if (!addEdit({ kind: 'release', from, to, at })) return;
  handAt(
    (e) =>
      e.kind === 'fault' &&
      e.fault.kind === 'release' &&
      e.fault.from === from &&
      e.fault.to === to &&
      e.t === at,
  );
}

/** Step by hand moved to the first event of the run shown that `found` picks (kept if none), in view. */
function handAt(found: (e: TraceEvent, i: number) => boolean): void {
  const i = shown().result.trace.findIndex(found);
  if (i >= 0) hand = i;
  render();
  // The comparison that now opens above it would push it out of sight.
  bringHand();
}

/** An event the timeline draws as a row: not a send (its arrival is) or a state digest. */
function isRow(e: TraceEvent): boolean {
  return e.kind !== 'send' && e.kind !== 'state';
}

/** The cursor to the previous or next event that is a timeline row. */
function moveHand(trace: readonly TraceEvent[], from: number, by: 1 | -1): void {
  let i = from + by;
  while (i > 0 && i < trace.length && !isRow(trace[i]!)) i += by;
  // Past the last row there is none to go to: it stayed on the run's last event.
  if (i >= trace.length) return;
  hand = Math.max(0, i);
  render();
}

/** Whether no timeline row comes after trace event `after`: the run's last event. */
function lastRowBy(trace: readonly TraceEvent[], after: number): boolean {
  for (let i = after + 1; i < trace.length; i++) if (isRow(trace[i]!)) return false;
  return true;
}

/** Step by hand's way on: none past the run's last event. */
function laterButton(text: string, trace: readonly TraceEvent[], after: number): HTMLElement {
  const later = button(text, () => moveHand(trace, after, 1));
  (later as HTMLButtonElement).disabled = lastRowBy(trace, after);
  return later;
}

function chooseNext(message: number, after: number): void {
  if (!addEdit({ kind: 'deliver', message, after })) return;
  handAt((e, i) => i > after && (e.kind === 'deliver' || e.kind === 'drop') && e.id === message);
}

/** Step by hand at the window's top, below the note when the note is up (it covered its buttons). */
function bringHand(): void {
  handView.scrollIntoView({ block: 'start' });
  if (!toast.hidden) window.scrollBy(0, -(toast.getBoundingClientRect().bottom + 8));
  // Its buttons are in sight now: the bar goes at once, not at the scroll event.
  placeHandBar();
}

/** A node's state digest (trace `state` events): a server's store, a client's session. */
interface Digest {
  store?: Record<string, { value: string | null; ts: number }>;
  seen?: Record<string, number>;
  keys?: number;
  pending?: string[];
  replicating?: string[];
  locks?: Record<string, { holder: string; token: number; expiresAt: number | null }>;
}

/**
 * What a server is busy with, as the page's state cards say it: the replicated store's writes in
 * flight, the lock store's locks (who holds each, its token where tokens go on the wire, its lease).
 */
function serverBusy(s: Digest, knobs: ScenarioRun['knobs']): string[] {
  const lines: string[] = [];
  const replicating = s.replicating ?? [];
  if (replicating.length > 0) lines.push(`replicating ${replicating.join(', ')}`);
  for (const [key, lock] of Object.entries(s.locks ?? {})) {
    const about = [
      (knobs as { fencing?: string }).fencing === 'none' ? '' : `token ${lock.token}`,
      lock.expiresAt === null ? '' : `until ${formatTime(lock.expiresAt)}`,
    ].filter((part) => part !== '');
    lines.push(
      `lock ${key} held by ${lock.holder}${about.length > 0 ? ` (${about.join(', ')})` : ''}`,
    );
  }
  return lines;
}

/** Each node's state digest once trace event `after` is over, as a small table. */
function stateTable(run: ScenarioRun, after: number): HTMLElement {
  const latest = new Map<string, unknown>();
  run.result.trace.slice(0, after + 1).forEach((e) => {
    if (e.kind === 'state') latest.set(e.node, e.summary);
  });
  const rows = [...latest].map(([node, summary]) => {
    const s = summary as Digest;
    // Past its size a digest lists no key, only how many there are.
    const many = s.keys === undefined ? null : `${s.keys} keys`;
    const text =
      s.store !== undefined
        ? Object.entries(s.store)
            .map(([k, v]) => `${k}=${v.value ?? '⊥'} ts ${v.ts}`)
            .join(', ') ||
          many ||
          'stores nothing'
        : `seen ${
            Object.entries(s.seen ?? {})
              .map(([k, ts]) => `${k} ts ${ts}`)
              .join(', ') ||
            many ||
            'nothing'
          }; pending ${(s.pending ?? []).join(', ') || 'nothing'}`;
    const busy = serverBusy(s, run.knobs);
    return el(
      'tr',
      { attrs: { 'data-node': node } },
      el('th', {}, node),
      el('td', {}, busy.length === 0 ? text : `${text}; ${busy.join('; ')}`),
    );
  });
  return el('table', { class: 'lab-state', attrs: { id: 'lab-state' } }, ...rows);
}

/**
 * Step by hand starts at the diagram's selected step: in a what-if run, at its last event by the
 * selected step's time.
 */
function toggleHand(): void {
  if (hand !== null) hand = null;
  else if (outcome === null) hand = currentTraceIndex();
  else {
    const trace = shown().result.trace;
    const t = selectedTime() ?? 0;
    // Its last timeline row by then.
    let at = 0;
    trace.forEach((e, i) => {
      if (e.t <= t && isRow(e)) at = i;
    });
    hand = at;
  }
  // The note is of the last edit, not of this; left up, it covered the way on and out.
  toast.hidden = true;
  render();
  // Below a comparison it opens far down the page: brought up to where the click was.
  if (hand !== null) bringHand();
}

// ---- putting it on the page ----

function mount(): void {
  const help = el(
    'p',
    { class: 'lab-help' },
    "Click a message in the diagram to lose, copy, delay it or hold its link; click a node's lane at a row to crash or restart it at that row's time (or its name, then say when); or change a setting. The new run appears beside this one.",
  );
  section.append(
    el('h2', {}, 'Lab: what if…?'),
    status,
    help,
    settings(),
    el(
      'div',
      { class: 'lab-row' },
      el('span', {}, 'edits: '),
      editList,
      button('clear', () => {
        hand = null;
        show(null, true);
      }),
      handToggle,
    ),
    result,
    handView,
  );
  place();
  document.body.append(menu, toast, handBar);
  window.addEventListener('scroll', placeHandBar, { passive: true });
  window.addEventListener('resize', placeHandBar);
  document.addEventListener('click', onDiagramClick);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') hideMenu();
    // Enter in a box runs the button beside it (a seed's rerun, a delay's 'arrives later by').
    if (
      e.key === 'Enter' &&
      e.target instanceof HTMLInputElement &&
      e.target.closest('#lab, #lab-menu')
    )
      e.target.closest('.lab-inline, .lab-setting')?.querySelector('button')?.click();
  });
  window.addEventListener('hashchange', () => followAddress(false));
  status.replaceChildren('Rerunning the scenario in this browser…');
  // After the page has been drawn: a long run should not hold up the first view.
  setTimeout(() => followAddress(true), 0);
}

/** The lab's section, where the page has it: after the findings, else at the end. */
function place(): void {
  const findings = document.getElementById('findings');
  if (findings !== null) findings.after(section);
  else document.body.append(section);
}

if ('scenario' in checked) mount();
else {
  section.append(
    el('h2', {}, 'Lab: what if…?'),
    el(
      'p',
      { class: 'lab-status', attrs: { id: 'lab-status' } },
      `The lab cannot rerun this page's scenario: its definition is not one kvsim can run (${checked.why}). The diagram above is the run as recorded; npm run sim -- <scenario.ts> --html writes a page with a lab that runs.`,
    ),
  );
  place();
}
