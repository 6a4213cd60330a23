// What-if edits: one change to a run (lose, copy or delay one message; crash or restart a node;
// flip a knob, the preset or the seed; deliver a chosen message next), turned into an ordinary
// scenario so that `npm run sim` replays the edited run byte for byte. Pure: the terminal and the
// page's lab both call it, so both see the same edited run and the same hash.

import type { NodeId } from '../../protocol/core.ts';
import { GUARANTEE_NAMES, type GuaranteeId, type Verdict } from '../check/index.ts';
import { sizeBounds } from '../kernel/simulation.ts';
import type { DropReason, TraceEvent } from '../kernel/trace.ts';
import { beginsStep, STORM_MIN, stormSignature, wrapText } from '../render/diagram.ts';
import { formatMessage, formatTime, ordinal } from '../render/format.ts';
import { MAX_SEED } from '../scenario/limits.ts';
import {
  type AnyScenario,
  type AnyStep,
  expectationText,
  runningOrder,
  runScenario,
  ScenarioError,
  type ScenarioRun,
  validateScenario,
} from '../scenario.ts';
import { parseStoreKnob, STORES } from '../stores/index.ts';

export type Edit =
  | { readonly kind: 'drop' | 'duplicate'; readonly message: number }
  | { readonly kind: 'delay'; readonly message: number; readonly byMs: number }
  | { readonly kind: 'crash' | 'restart'; readonly node: NodeId; readonly at: number }
  /** The link from → to holds every message from `at` and lets them go at `until`. */
  | {
      readonly kind: 'hold';
      readonly from: NodeId;
      readonly to: NodeId;
      readonly at: number;
      readonly until: number;
    }
  /** The link from → to lets the messages it holds go at `at`, and holds no more. */
  | { readonly kind: 'release'; readonly from: NodeId; readonly to: NodeId; readonly at: number }
  | { readonly kind: 'knob'; readonly name: string; readonly value: string }
  | { readonly kind: 'seed'; readonly seed: number }
  | { readonly kind: 'preset'; readonly preset: string }
  /** AnyStep by hand: after trace event `after`, `message` is delivered before every other in flight. */
  | { readonly kind: 'deliver'; readonly message: number; readonly after: number };

/** A what-if the user wrote that cannot be applied: one sentence saying why and how to mend it. */
export class EditError extends Error {
  /** The edit that could not be applied, when one of several was (its sentence may not name it). */
  edit?: Edit;
}

/**
 * Why `edits` could not be run: the error's sentence, after the edit it is about when there are
 * several (or `lone`, also when it is the only one) and the sentence does not already say which
 * ('crash:s9@10: 's9' is not a node …').
 */
export function refusalOf(error: EditError, edits: readonly Edit[], lone = false): string {
  const edit = error.edit ?? (edits.length === 1 ? edits[0] : undefined);
  if (edit === undefined || (edits.length < 2 && !lone)) return error.message;
  const text = editText(edit);
  return error.message.includes(text) ? error.message : `${text}: ${error.message}`;
}

export const EDIT_FORMS =
  'drop:<message id>, duplicate:<id>, delay:<id>:<ms>, crash:<node>@<ms>, restart:<node>@<ms>, hold:<from>:<to>@<ms>-<ms>, release:<from>:<to>@<ms>, knob:<name>=<value>, seed:<n>, preset:<name>';

/** The latest time, and the longest delay, an edit takes. */
export const MAX_MS = 1_000_000_000;

function isWhole(raw: string | undefined, max: number): raw is string {
  return raw !== undefined && /^\d{1,16}$/.test(raw) && Number(raw) <= max;
}

/**
 * A number typed in one of the lab's boxes (a seed, a delay, a hold): empty, negative, fractional
 * or a word is refused with a sentence, never read as 0 or as another number.
 */
export function boxNumber(raw: string, what: string, max = MAX_MS): number {
  const typed = raw.trim();
  if (isWhole(typed, max)) return Number(typed);
  // A number box holding a word reads as empty.
  const got = typed === '' ? 'the box is empty or holds no number' : `got '${typed}'`;
  throw new EditError(`${what} must be a whole number from 0 to ${max} (${got})`);
}

function wholeNumber(raw: string | undefined, what: string, text: string, max = MAX_MS): number {
  if (!isWhole(raw, max)) {
    throw new EditError(
      `'${text}': ${what} must be a whole number from 0 to ${max} (the edits are: ${EDIT_FORMS})`,
    );
  }
  return Number(raw);
}

/** Reads one edit as the command line and the page's address write it: `drop:12`, `crash:s2@500`. */
export function parseEdit(text: string): Edit {
  const colon = text.indexOf(':');
  const kind = colon < 0 ? text : text.slice(0, colon);
  const rest = colon < 0 ? '' : text.slice(colon + 1);
  switch (kind) {
    case 'drop':
    case 'duplicate':
      return { kind, message: wholeNumber(rest, 'the message id', text) };
    case 'delay': {
      const [id, ms] = rest.split(':');
      return {
        kind,
        message: wholeNumber(id, 'the message id', text),
        byMs: wholeNumber(ms, 'the delay in ms', text),
      };
    }
    case 'deliver': {
      const [id, after] = rest.split('@');
      return {
        kind,
        message: wholeNumber(id, 'the message id', text),
        after: wholeNumber(after, 'the event it follows', text),
      };
    }
    case 'crash':
    case 'restart': {
      const at = rest.lastIndexOf('@');
      if (at <= 0) throw new EditError(`'${text}': write ${kind}:<node>@<ms>, e.g. ${kind}:s2@500`);
      return {
        kind,
        node: rest.slice(0, at),
        at: wholeNumber(rest.slice(at + 1), 'the time', text),
      };
    }
    case 'hold': {
      const link = /^([^:@]+):([^:@]+)@(\d+)-(\d+)$/.exec(rest);
      if (link === null)
        throw new EditError(
          `'${text}': write hold:<from>:<to>@<ms>-<ms>, e.g. hold:s1:s3@45000-47000`,
        );
      const at = wholeNumber(link[3], 'the time it starts', text);
      const until = wholeNumber(link[4], 'the time it ends', text);
      if (until < at) throw new EditError(`'${text}': the hold must end after it starts`);
      return { kind, from: link[1]!, to: link[2]!, at, until };
    }
    case 'release': {
      const link = /^([^:@]+):([^:@]+)@(.*)$/.exec(rest);
      if (link === null)
        throw new EditError(`'${text}': write release:<from>:<to>@<ms>, e.g. release:s3:s1@350`);
      return { kind, from: link[1]!, to: link[2]!, at: wholeNumber(link[3], 'the time', text) };
    }
    case 'knob': {
      const eq = rest.indexOf('=');
      if (eq <= 0)
        throw new EditError(
          `'${text}': write knob:<name>=<value>, e.g. knob:followerApply=newer-wins`,
        );
      return { kind, name: rest.slice(0, eq), value: rest.slice(eq + 1) };
    }
    case 'seed':
      // The range --seed and a scenario's seed take, so that any run's seed can be edited to.
      return { kind, seed: wholeNumber(rest, 'the seed', text, MAX_SEED) };
    case 'preset':
      if (rest === '') throw new EditError(`'${text}': write preset:seed or preset:fixed`);
      return { kind, preset: rest };
    default:
      throw new EditError(`'${text}' is not an edit; the edits are: ${EDIT_FORMS}`);
  }
}

/** A seed, the preset or a knob: it shapes the whole run, from its first event. */
function isSetting(edit: Edit): boolean {
  return edit.kind === 'seed' || edit.kind === 'preset' || edit.kind === 'knob';
}

/**
 * Where each edit goes once `edit` is added, as indices into [...edits, edit]. A run has one seed
 * and one preset, and each knob one value, so such an edit takes the place of the earlier one of
 * its kind; a new one goes after the other settings and before every message fault, crash, hold
 * and hand-chosen delivery, since it shapes the run those are aimed at. Those add to the others.
 */
function placing(edits: readonly Edit[], edit: Edit): number[] {
  const n = edits.length;
  const all = edits.map((_, i) => i);
  const replaces = (e: Edit): boolean =>
    e.kind === edit.kind &&
    (e.kind === 'seed' || e.kind === 'preset' || (e.kind === 'knob' && e.name === knobName(edit)));
  const at = edits.findIndex(replaces);
  if (at >= 0) return all.map((i) => (i === at ? n : i));
  const first = isSetting(edit) ? edits.findIndex((e) => !isSetting(e)) : -1;
  return first < 0 ? [...all, n] : [...all.slice(0, first), n, ...all.slice(first)];
}

/** The edits with one more, as a box typed in again means it (see `placing`). */
export function withEdit(edits: readonly Edit[], edit: Edit): Edit[] {
  const all = [...edits, edit];
  return placing(edits, edit).map((i) => all[i]!);
}

function knobName(edit: Edit): string | undefined {
  return edit.kind === 'knob' ? edit.name : undefined;
}

/** Which of the edits written one after another stay, in their order: `seed:0,seed:2` is `seed:2`. */
export function foldOrder(written: readonly Edit[]): number[] {
  let order: number[] = [];
  written.forEach((edit, w) => {
    const kept = order.map((i) => written[i]!);
    order = placing(kept, edit).map((j) => (j === kept.length ? w : order[j]!));
  });
  return order;
}

/** The edits one after another as `withEdit` folds them: `seed:0,seed:2` is `seed:2`. */
export function foldEdits(edits: readonly Edit[]): Edit[] {
  return foldOrder(edits).map((i) => edits[i]!);
}

/** The edit as `parseEdit` reads it back. */
export function editText(edit: Edit): string {
  switch (edit.kind) {
    case 'drop':
    case 'duplicate':
      return `${edit.kind}:${edit.message}`;
    case 'delay':
      return `delay:${edit.message}:${edit.byMs}`;
    case 'deliver':
      return `deliver:${edit.message}@${edit.after}`;
    case 'crash':
    case 'restart':
      return `${edit.kind}:${edit.node}@${edit.at}`;
    case 'hold':
      return `hold:${edit.from}:${edit.to}@${edit.at}-${edit.until}`;
    case 'release':
      return `release:${edit.from}:${edit.to}@${edit.at}`;
    case 'knob':
      return `knob:${edit.name}=${edit.value}`;
    case 'seed':
      return `seed:${edit.seed}`;
    case 'preset':
      return `preset:${edit.preset}`;
  }
}

type Sent = Extract<TraceEvent, { kind: 'send' }>;

/** A message's first send in a trace (a held message is sent again when its link is released). */
function sendOf(trace: readonly TraceEvent[], id: number): Sent {
  for (const e of trace) {
    if (e.kind === 'duplicate' && e.id === id) {
      throw new EditError(
        `message #${id} is a copy the network made of #${e.of}; edit #${e.of} instead`,
      );
    }
    if (e.kind === 'send' && e.id === id) return e;
  }
  throw new EditError(
    `there is no message #${id} in this run (the page's tooltip and --view log show each message's id)`,
  );
}

type FaultKind = 'drop' | 'duplicate' | 'delay';

/** A fault aimed at one message: an edit, or a step's fault as the trace records it. */
const isMessageFault = <T extends { readonly kind: string }>(
  x: T,
): x is Extract<T, { readonly kind: FaultKind }> =>
  x.kind === 'drop' || x.kind === 'duplicate' || x.kind === 'delay';

/** A step that aims a fault at a message. */
const isAimed = (s: AnyStep) => 'drop' in s || 'duplicate' in s || 'delay' in s;

/** The fields that carry a timestamp or a token, which a message keeps its identity without. */
const STAMPS = new Set(['ts', 'tsClient', 'token', 'latest']);

/** A message without the timestamps and tokens it carries: what makes it the same message. */
function messageSays(send: Sent): string {
  const fields = Object.entries(send.message).filter(([name]) => !STAMPS.has(name));
  return `${send.from} ${send.to} ${JSON.stringify(fields)}`;
}

/**
 * The message each fault aimed at a message took in a run, in the order the faults were armed
 * (their `fault` events): the first message of its type sent on its link from then on, as the
 * kernel takes it (a message a cut lost at once takes none; a held one, when sent, not released).
 * null: none was sent after it.
 */
function aimedTakes(trace: readonly TraceEvent[]): (Sent | null)[] {
  const takes: (Sent | null)[] = [];
  const waiting = new Map<string, { type: string; j: number }[]>();
  const seen = new Set<number>();
  trace.forEach((e, i) => {
    if (e.kind === 'fault') {
      const f = e.fault;
      if (!isMessageFault(f)) return;
      const link = `${f.from} ${f.to}`;
      const list = waiting.get(link) ?? [];
      list.push({ type: f.message, j: takes.length });
      waiting.set(link, list);
      takes.push(null);
      return;
    }
    if (e.kind === 'hold') seen.add(e.id);
    if (e.kind !== 'send' || seen.has(e.id)) return;
    seen.add(e.id);
    const next = trace[i + 1];
    if (next?.kind === 'drop' && next.id === e.id && next.reason === 'partition') return;
    const list = waiting.get(`${e.from} ${e.to}`);
    const k = list?.findIndex((w) => w.type === '*' || w.type === e.message.type) ?? -1;
    if (k < 0) return;
    takes[list!.splice(k, 1)[0]!.j] = e;
  });
  return takes;
}

/** The steps that aim a fault at a message, each by its place in the order they run. */
function aimedOrder(steps: readonly AnyStep[]): Map<AnyStep, number> {
  return new Map(runningOrder(steps, isAimed).map((i, j) => [steps[i]!, j]));
}

/**
 * What a message fault's description adds when the edits after it changed the run under it, so
 * that its step now takes another message, or none: null when it still takes the one chosen.
 */
function driftText(chosen: Sent, took: Sent | null, kind: FaultKind): string | null {
  // The same message by what it says, though it may leave a little later (the network's draws
  // moved) under another id, and carry another timestamp for it (a clock read later).
  if (took !== null && messageSays(took) === messageSays(chosen)) return null;
  const type = chosen.message.type;
  const aim = `the next ${type} ${chosen.from} → ${chosen.to} from ${formatTime(chosen.t)}`;
  const done = kind === 'drop' ? 'lost' : kind === 'duplicate' ? 'copied' : 'late';
  return took === null
    ? `the edits after it change the run: no ${type} leaves ${chosen.from} → ${chosen.to} from ${formatTime(chosen.t)} on, so nothing is ${done}`
    : `the edits after it change the run: the fault, aimed at ${aim}, takes #${took.id} (${messageText(took)}) instead`;
}

/** A message as its send time, link, type and place among its twins: the same in every rerun. */
function messageKey(trace: readonly TraceEvent[], id: number): string {
  const send = sendOf(trace, id);
  return `${send.t} ${send.from} ${send.to} ${send.message.type} ${earlierTwins(trace, send)}`;
}

/** Same-type sends on the message's link at its instant, before it (an aimed fault takes the first). */
function earlierTwins(trace: readonly TraceEvent[], send: Sent): number {
  let n = 0;
  for (const e of trace) {
    if (e.kind !== 'send' || e.t !== send.t) continue;
    if (e.id === send.id) return n;
    if (
      e.from === send.from &&
      e.to === send.to &&
      e.message.type === send.message.type &&
      e.id < send.id
    )
      n++;
  }
  return n;
}

/**
 * Steps aimed at exactly one sent message: `at` is its send time, and a zero delay for each
 * same-type message that left on the link at that instant before it, so that the aimed fault
 * passes them by (with no loss or duplication by chance, a zero delay changes nothing).
 */
function aimedSteps(
  trace: readonly TraceEvent[],
  id: number,
  fault: { drop: string } | { duplicate: string } | { delay: string; byMs: number },
): AnyStep[] {
  const send = sendOf(trace, id);
  const link = { from: send.from, to: send.to };
  const skips: AnyStep[] = Array.from({ length: earlierTwins(trace, send) }, () => ({
    at: send.t,
    delay: send.message.type,
    ...link,
    byMs: 0,
  }));
  return [...skips, { at: send.t, ...fault, ...link } as AnyStep];
}

/**
 * Where added steps go in the script. The simulation runs steps in time order, ties in script
 * order: with no step at the same instant they go at the end, so the script's own steps keep their
 * numbers; otherwise message faults go before the script's actions at that instant (a client may
 * send then), after any fault already aimed there, and node faults after them.
 */
function insertSteps(
  steps: readonly AnyStep[],
  added: readonly AnyStep[],
  early: boolean,
): AnyStep[] {
  if (added.length === 0) return [...steps];
  const at = added[0]!.at;
  if (!steps.some((s) => s.at === at)) return [...steps, ...added];
  let i = early
    ? steps.findIndex((s) => s.at > at || (s.at === at && !isAimed(s)))
    : steps.findIndex((s) => s.at > at);
  if (i < 0) i = steps.length;
  return [...steps.slice(0, i), ...added, ...steps.slice(i)];
}

/** The last event of the atomic step holding event i: the messages it sends are sent by then. */
export function stepEnd(trace: readonly TraceEvent[], i: number): number {
  let j = i;
  while (j + 1 < trace.length && !beginsStep(trace, j + 1)) j++;
  return j;
}

/** The messages in flight once trace event `after` is over: sent (or released), not yet arrived. */
export function inFlight(
  trace: readonly TraceEvent[],
  after: number,
): { id: number; deliverAt: number; event: Sent }[] {
  const flying = new Map<number, { id: number; deliverAt: number; event: Sent }>();
  for (let i = 0; i <= after && i < trace.length; i++) {
    const e = trace[i]!;
    if (e.kind === 'send' && e.deliverAt !== null)
      flying.set(e.id, { id: e.id, deliverAt: e.deliverAt, event: e });
    else if (e.kind === 'deliver' || e.kind === 'drop') flying.delete(e.id);
  }
  return [...flying.values()];
}

/** A message kept back on a held link: since when, and when the run releases the link (null: never). */
export interface HeldMessage {
  readonly id: number;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly event: Extract<TraceEvent, { kind: 'hold' }>;
  readonly until: number | null;
}

/** The messages waiting on a held link once trace event `after` is over: held, not yet released. */
export function heldBack(trace: readonly TraceEvent[], after: number): HeldMessage[] {
  const held = new Map<number, Extract<TraceEvent, { kind: 'hold' }>>();
  for (let i = 0; i <= after && i < trace.length; i++) {
    const e = trace[i]!;
    if (e.kind === 'hold') held.set(e.id, e);
    // Released: sent again with a time to arrive (or lost, or delivered, whatever came first).
    else if (
      (e.kind === 'send' && e.deliverAt !== null) ||
      e.kind === 'deliver' ||
      e.kind === 'drop'
    )
      held.delete(e.id);
  }
  return [...held.values()].map((event) => {
    const release = trace.find(
      (e, i) =>
        i > after &&
        e.kind === 'fault' &&
        e.fault.kind === 'release' &&
        e.fault.from === event.from &&
        e.fault.to === event.to,
    );
    return { id: event.id, from: event.from, to: event.to, event, until: release?.t ?? null };
  });
}

/** The position of a message's arrival (delivery or drop on arrival) in the trace; -1 if none. */
function arrivalIndex(trace: readonly TraceEvent[], id: number, from: number): number {
  for (let i = from; i < trace.length; i++) {
    const e = trace[i]!;
    if ((e.kind === 'deliver' || e.kind === 'drop') && e.id === id) return i;
  }
  return -1;
}

/** Steps that let `message` arrive before every message in flight with it that would come first. */
function deliverSteps(
  trace: readonly TraceEvent[],
  edit: Extract<Edit, { kind: 'deliver' }>,
): AnyStep[][] {
  const flying = inFlight(trace, edit.after);
  const chosen = flying.find((m) => m.id === edit.message);
  if (chosen === undefined) {
    throw new EditError(
      flying.length === 0
        ? `message #${edit.message} is not in flight at that step: nothing is`
        : `message #${edit.message} is not in flight at that step; choose one of ${flying.map((m) => `#${m.id}`).join(', ')}`,
    );
  }
  const arrives = arrivalIndex(trace, chosen.id, edit.after + 1);
  const groups: AnyStep[][] = [];
  for (const m of flying) {
    if (m.id === chosen.id) continue;
    const at = arrivalIndex(trace, m.id, edit.after + 1);
    if (at < 0 || at > arrives) continue;
    const byMs = chosen.deliverAt - m.deliverAt + 1;
    groups.push(aimedSteps(trace, m.id, { delay: m.event.message.type, byMs }));
  }
  return groups;
}

/**
 * Why a message is lost the moment it is sent (a partition in force, the network's loss rate, a
 * planned drop), or null when it flies (or waits on a held link). Such a message never flies: a
 * fault aimed at it would wait for the next message of its link and type and fall on that one.
 */
export function lostAsSent(trace: readonly TraceEvent[], sent: Sent): DropReason | null {
  if (sent.deliverAt !== null) return null;
  for (const e of trace) {
    if (e.t > sent.t) break;
    if ((e.kind === 'drop' || e.kind === 'hold') && e.id === sent.id)
      return e.kind === 'drop' ? e.reason : null;
  }
  return null;
}

export const LOST_AS_SENT: Readonly<Record<DropReason, string>> = {
  partition: 'a partition cuts its link',
  loss: "the network's loss rate takes it",
  planned: 'a planned drop takes it',
  down: 'its receiver is down',
};

/** A message edit refused because its message is lost as it leaves, in words. */
function lostAsSentText(edit: Edit, sent: Sent, why: DropReason): string {
  const what = `#${sent.id} (${sent.message.type} ${sent.from} → ${sent.to}, sent at ${formatTime(sent.t)})`;
  const lost = `${what} is lost as it leaves (${LOST_AS_SENT[why]})`;
  return edit.kind === 'drop'
    ? `${lost}: it is lost already`
    : `${lost}, so it never flies to be ${edit.kind === 'delay' ? 'made late' : 'copied'}; the edit would fall on the next ${sent.message.type} ${sent.from} → ${sent.to} instead; choose a message that flies`;
}

export interface Applied {
  readonly scenario: AnyScenario;
  /** The steps the edit added to the script (empty for a knob, the preset or the seed). */
  readonly added: readonly AnyStep[];
}

/** The scenario with one edit, read against the run it edits (message ids are that run's). */
export function applyEdit(scenario: AnyScenario, base: ScenarioRun, edit: Edit): Applied {
  const trace = base.result.trace;
  const nodes = [...base.topology.servers, ...base.topology.clients];
  const steps = scenario.steps;
  switch (edit.kind) {
    case 'drop':
    case 'duplicate':
    case 'delay': {
      const sent = sendOf(trace, edit.message);
      const type = sent.message.type;
      const lost = lostAsSent(trace, sent);
      if (lost !== null) throw new EditError(lostAsSentText(edit, sent, lost));
      const fault =
        edit.kind === 'delay'
          ? { delay: type, byMs: edit.byMs }
          : edit.kind === 'drop'
            ? { drop: type }
            : { duplicate: type };
      const added = aimedSteps(trace, edit.message, fault);
      return { scenario: { ...scenario, steps: insertSteps(steps, added, true) }, added };
    }
    case 'deliver': {
      const groups = deliverSteps(trace, edit);
      // Each message's steps go in at its own send time.
      const out = groups.reduce((all, group) => insertSteps(all, group, true), steps);
      return { scenario: { ...scenario, steps: out }, added: groups.flat() };
    }
    case 'crash':
    case 'restart': {
      if (!nodes.includes(edit.node)) {
        throw new EditError(`'${edit.node}' is not a node of this run (${nodes.join(', ')})`);
      }
      const added: AnyStep[] = [
        edit.kind === 'crash'
          ? { at: edit.at, crash: edit.node }
          : { at: edit.at, restart: edit.node },
      ];
      return { scenario: { ...scenario, steps: insertSteps(steps, added, false) }, added };
    }
    case 'hold': {
      const link = linkOf(edit, nodes);
      const held = insertSteps(steps, [{ at: edit.at, hold: link }], false);
      const added: AnyStep[] = [
        { at: edit.at, hold: link },
        { at: edit.until, release: link },
      ];
      return {
        scenario: { ...scenario, steps: insertSteps(held, [added[1]!], false) },
        added,
      };
    }
    case 'release': {
      const added: AnyStep[] = [{ at: edit.at, release: linkOf(edit, nodes) }];
      return { scenario: { ...scenario, steps: insertSteps(steps, added, false) }, added };
    }
    case 'knob': {
      // Read as --knob reads it, so that a mistake is worded as there, not as a scenario's field.
      const parsed = parseStoreKnob(
        STORES[base.store],
        edit.name,
        edit.value,
        "this scenario's store",
      );
      if (!parsed.ok) throw new EditError(parsed.error);
      return {
        scenario: {
          ...scenario,
          knobs: { ...scenario.knobs, [parsed.value.name]: parsed.value.value },
        },
        added: [],
      };
    }
    case 'seed':
      return { scenario: { ...scenario, seed: edit.seed }, added: [] };
    case 'preset':
      return { scenario: { ...scenario, preset: edit.preset as 'seed' | 'fixed' }, added: [] };
  }
}

/** A hold's or a release's link, refused when it names a node the run does not have. */
function linkOf(edit: { from: NodeId; to: NodeId }, nodes: readonly NodeId[]): [NodeId, NodeId] {
  for (const node of [edit.from, edit.to]) {
    if (!nodes.includes(node))
      throw new EditError(`'${node}' is not a node of this run (${nodes.join(', ')})`);
  }
  return [edit.from, edit.to];
}

/** A run and the same run with edits, each edit read against the run before it. */
export interface WhatIf {
  /** The edits applied, each message edit numbered as the run before it numbers its message. */
  readonly edits: readonly Edit[];
  readonly base: ScenarioRun;
  /** The base scenario with every edit in it: `npm run sim` replays it to `edited`'s hash. */
  readonly scenario: AnyScenario;
  readonly edited: ScenarioRun;
  /** Every step the edits added, in the order they were added. */
  readonly added: readonly AnyStep[];
  /** Each edit in words, read against the run before it. */
  readonly described: readonly string[];
  /**
   * For each edit, when it aims a fault at a message and the edits after it changed the run under
   * it: which message its fault takes in the edited run instead, or that it takes none; else null.
   */
  readonly drifts: readonly (string | null)[];
  /** The run each edit was read against (the base run, then the run after each edit before it). */
  readonly readAgainst: readonly ScenarioRun[];
  /** Each message edit that now numbers its message otherwise, in words: `drop:16 is now drop:18 …`. */
  readonly moved: readonly string[];
}

/**
 * A run of `scenario`; given the run it edits (`base`), within that run's bounds (a bound the command line
 * set, `--max-events` say, holds for the edited run too), all but the time bound, which is the
 * edited scenario's own.
 */
function rerun(scenario: AnyScenario, base?: ScenarioRun): ScenarioRun {
  try {
    if (base === undefined) return runScenario(validateScenario(scenario));
    return runScenario(validateScenario(scenario), { bounds: sizeBounds(base.result.bounds) });
  } catch (error) {
    if (error instanceof ScenarioError) throw new EditError(error.message);
    throw error;
  }
}

/** A message as a user picks it: the n-th (from 0) of its link and type in a run. */
interface Aim {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly type: string;
  readonly nth: number;
}

/** The ids of a link's messages of one type, in the order they were first sent. */
function idsLike(trace: readonly TraceEvent[], aim: Omit<Aim, 'nth'>): number[] {
  const ids = new Set<number>();
  for (const e of trace) {
    if (e.kind === 'send' && e.from === aim.from && e.to === aim.to && e.message.type === aim.type)
      ids.add(e.id);
  }
  return [...ids];
}

function aimOf(trace: readonly TraceEvent[], id: number): Aim {
  const send = sendOf(trace, id);
  const link = { from: send.from, to: send.to, type: send.message.type };
  return { ...link, nth: idsLike(trace, link).indexOf(id) };
}

/**
 * Message `id` of run `from` in run `to`: the same one of its link and type (the third
 * REPLICATION from s1 to s3 is the third there too); undefined when `to` has no such message.
 */
export function sameMessage(
  from: readonly TraceEvent[],
  to: readonly TraceEvent[],
  id: number,
): number | undefined {
  const aim = aimOf(from, id);
  return idsLike(to, aim)[aim.nth];
}

/**
 * A message edit read against `against`, moved onto the same message (by link, type and place
 * among those) of `now`, the run it is now read against: a seed, preset or knob before it was
 * changed, or an edit before it taken away. Refused with what to do when `now` has no such
 * message, or when it is a delivery chosen by hand after an event of another run.
 */
function moveEdit(edit: Edit, against: ScenarioRun, now: ScenarioRun): Edit {
  if (!('message' in edit) || against.result.hash === now.result.hash) return edit;
  const text = editText(edit);
  if (edit.kind === 'deliver')
    throw new EditError(
      `${text} was chosen by hand in a run that the change before it replaces; take ${text} off first, then step by hand again`,
    );
  const aim = aimOf(against.result.trace, edit.message);
  const id = idsLike(now.result.trace, aim)[aim.nth];
  if (id === undefined)
    throw new EditError(
      `${text} is the ${ordinal(aim.nth + 1)} ${aim.type} ${aim.from} → ${aim.to}, and the run it would now edit has no such message; take ${text} off first, or choose its message again in the new run`,
    );
  return { ...edit, message: id };
}

/** A message edit moved onto the same message of another run, in words. */
function movedWords(written: Edit, edit: Edit, trace: readonly TraceEvent[]): string {
  const aim = aimOf(trace, (edit as { message: number }).message);
  return `${editText(written)} is now ${editText(edit)}: the same message (the ${ordinal(aim.nth + 1)} ${aim.type} ${aim.from} → ${aim.to}) in the run it now edits`;
}

/**
 * Applies the edits one after another; `base` is the scenario's own run when already at hand.
 * `against[i]`, when given, is the run edit i was written against: a message edit is then moved
 * onto the same message of the run it is read against now (see `moveEdit`).
 */
export function runWhatIf(
  scenario: AnyScenario,
  edits: readonly Edit[],
  base: ScenarioRun = rerun(scenario),
  against: readonly (ScenarioRun | undefined)[] = [],
): WhatIf {
  let current = scenario;
  let run = base;
  const added: AnyStep[] = [];
  const described: string[] = [];
  const readAgainst: ScenarioRun[] = [];
  const applied: Edit[] = [];
  const moved: string[] = [];
  // The message each fault edit is aimed at, by when and where it left (its id may change).
  const aimedAt = new Map<string, Edit>();
  // Each message fault's step, with the message it was chosen on, to say so if later edits move it.
  const faults: { index: number; step: AnyStep; chosen: Sent; kind: FaultKind }[] = [];
  edits.forEach((written, i) => {
    const was = against[i];
    const edit = was === undefined ? written : moveEdit(written, was, run);
    const move =
      editText(edit) === editText(written) ? null : movedWords(written, edit, run.result.trace);
    if (move !== null) moved.push(move);
    let step: Applied;
    let next: ScenarioRun;
    try {
      if (isMessageFault(edit)) {
        const key = messageKey(run.result.trace, edit.message);
        const earlier = aimedAt.get(key);
        if (earlier !== undefined)
          throw new EditError(
            `#${edit.message} is the message ${editText(earlier)} is aimed at already, and a message takes one fault (lost, copied or late); take one of them off`,
          );
        aimedAt.set(key, edit);
      }
      step = applyEdit(current, run, edit);
      described.push(describeEdit(edit, run));
      next = rerun(step.scenario, base);
    } catch (error) {
      if (!(error instanceof EditError)) throw error;
      error.edit ??= edit;
      // Refused on the message it moved to: say so, or the number refused is one never chosen.
      if (move !== null)
        error.message = `${move}, but ${error.message}, or take ${editText(written)} off`;
      throw error;
    }
    readAgainst.push(run);
    const missed = missedAim(edit, run, next);
    if (missed !== null) throw new EditError(`${editText(edit)}: ${missed}`);
    if (isMessageFault(edit))
      faults.push({
        index: applied.length,
        step: step.added[step.added.length - 1]!,
        chosen: sendOf(run.result.trace, edit.message),
        kind: edit.kind,
      });
    current = step.scenario;
    run = next;
    added.push(...step.added);
    applied.push(edit);
  });
  const takes = faults.length === 0 ? [] : aimedTakes(run.result.trace);
  const order = faults.length === 0 ? new Map<AnyStep, number>() : aimedOrder(current.steps);
  const drifts: (string | null)[] = applied.map(() => null);
  for (const f of faults) {
    const j = order.get(f.step);
    const took = j === undefined ? undefined : takes[j];
    if (took === undefined) continue;
    const text = driftText(f.chosen, took, f.kind);
    if (text === null) continue;
    drifts[f.index] = text;
    described[f.index] += ` — but ${text}`;
  }
  return {
    edits: applied,
    base,
    scenario: current,
    edited: run,
    added,
    described,
    drifts,
    readAgainst,
    moved,
  };
}

/**
 * The what-if `prior` (none: the page's own run) changed: its edits in `order`, as indices, where
 * `prior.edits.length` is `edit`; each message edit stays on the message it was chosen for.
 */
function reordered(
  scenario: AnyScenario,
  base: ScenarioRun,
  prior: WhatIf | null,
  order: readonly number[],
  edit?: Edit,
): WhatIf {
  const edits = [...(prior?.edits ?? []), ...(edit === undefined ? [] : [edit])];
  const against = [...(prior?.readAgainst ?? []), prior?.edited ?? base];
  return runWhatIf(
    scenario,
    order.map((i) => edits[i]!),
    base,
    order.map((i) => against[i]),
  );
}

/** The what-if with one more edit, placed as `withEdit` places it. */
export function addedTo(
  scenario: AnyScenario,
  base: ScenarioRun,
  prior: WhatIf | null,
  edit: Edit,
): WhatIf {
  return reordered(scenario, base, prior, placing(prior?.edits ?? [], edit), edit);
}

/** The what-if without its edit `i`. */
export function takenFrom(
  scenario: AnyScenario,
  base: ScenarioRun,
  prior: WhatIf,
  i: number,
): WhatIf {
  const order = prior.edits.map((_, k) => k).filter((k) => k !== i);
  return reordered(scenario, base, prior, order);
}

/**
 * Edits as the command line and the address write them, one after another, each read against the
 * run of those before it: folded as `withEdit` folds them (a seed given again replaces the first,
 * and goes before the message edits), each message edit kept on the message it was written for.
 */
export function runWritten(
  scenario: AnyScenario,
  written: readonly Edit[],
  base: ScenarioRun = rerun(scenario),
): WhatIf {
  const order = foldOrder(written);
  if (order.every((w, i) => w === i) && order.length === written.length)
    return runWhatIf(scenario, written, base);
  // A message edit names a message of the run before it as written: that run is replayed only as
  // far as the last message edit, to learn which message each names; then the edits run once, in
  // their order. An edit of no message needs no run of its own to be read against.
  let last = -1;
  written.forEach((edit, i) => {
    if ('message' in edit) last = i;
  });
  const asWritten = last < 0 ? [] : runsBefore(scenario, written.slice(0, last), base);
  return runWhatIf(
    scenario,
    order.map((i) => written[i]!),
    base,
    order.map((i) => ('message' in written[i]! ? asWritten[i] : undefined)),
  );
}

/** The run before each of `edits` applied one after another, and the run after the last. */
function runsBefore(
  scenario: AnyScenario,
  edits: readonly Edit[],
  base: ScenarioRun,
): ScenarioRun[] {
  const w = runWhatIf(scenario, edits, base);
  return [...w.readAgainst, w.edited];
}

/** Why an aimed edit did not land on its message in the new run; null when it did. */
function missedAim(edit: Edit, before: ScenarioRun, after: ScenarioRun): string | null {
  const trace = after.result.trace;
  const sent = (t: readonly TraceEvent[], id: number) =>
    t.find((e): e is Sent => e.kind === 'send' && e.id === id);
  const another = 'another fault aimed at the same link and message type was waiting, so it';
  switch (edit.kind) {
    case 'drop':
      return trace.some((e) => e.kind === 'drop' && e.id === edit.message && e.reason === 'planned')
        ? null
        : `${another} could not be aimed at #${edit.message} alone`;
    case 'duplicate':
      return trace.some((e) => e.kind === 'duplicate' && e.of === edit.message)
        ? null
        : `${another} could not be aimed at #${edit.message} alone`;
    case 'delay': {
      const was = sent(before.result.trace, edit.message)?.deliverAt ?? null;
      const now = sent(trace, edit.message)?.deliverAt ?? null;
      return was === null || (now !== null && now >= was + edit.byMs)
        ? null
        : `${another} could not be aimed at #${edit.message} alone`;
    }
    case 'deliver': {
      const chosen = arrivalIndex(trace, edit.message, 0);
      const first = inFlight(before.result.trace, edit.after).filter((m) => {
        const at = arrivalIndex(trace, m.id, 0);
        return m.id !== edit.message && at >= 0 && at < chosen;
      });
      return first.length === 0
        ? null
        : `#${first.map((m) => m.id).join(', #')} still arrived before #${edit.message}`;
    }
    default:
      return null;
  }
}

/** An event of one run as the diff shows it, with its place in that run's trace. */
export interface DiffEvent {
  readonly traceIndex: number;
  readonly event: TraceEvent;
}

/**
 * Which way a change goes for the store: a guarantee that now holds is good news, one now broken
 * bad news, an informative finding neither. Every view colours a change by it.
 */
export type Tone = 'better' | 'worse' | 'finding';

/** Several changes' tone: bad news if any is, else good news if any is, else a finding. */
function toneOf(tones: readonly Tone[]): Tone {
  return tones.includes('worse') ? 'worse' : tones.includes('better') ? 'better' : 'finding';
}

/** The tone of a verdict that is now `now` (as `verdictText` writes it). */
export function verdictTone(now: string): Tone {
  if (now === 'held') return 'better';
  return now.startsWith('broken') ? 'worse' : 'finding';
}

export interface VerdictChange {
  readonly guarantee: GuaranteeId;
  readonly was: string;
  readonly now: string;
  readonly tone: Tone;
  /** The sentences of the edited run's violations (the base run's when they went away). */
  readonly witnesses: readonly string[];
  /** Their operations, in the run the sentences come from. */
  readonly ops: readonly number[];
  /** Which run the witnesses belong to. */
  readonly witnessRun: 'base' | 'edited';
}

export interface ExpectationChange {
  /** The step's number in the scenario as written. */
  readonly step: number;
  /** Its number in the edited scenario, which the edited run's summary and diagram use. */
  readonly editedStep: number;
  readonly opId: number;
  readonly label: string;
  readonly expected: string;
  readonly was: string;
  readonly now: string;
  /**
   * Which way the edit moved it: an expectation it defeats is news either way. When the step's
   * operation witnesses a verdict that changed (the anomaly it expected went away, or came),
   * the change goes that verdict's way; otherwise a defeat is bad news and a new match good.
   */
  readonly tone: Tone;
  /** The same in words: `the edit defeats it, taking away the anomaly it showed: …`. */
  readonly why: string;
}

/** When two runs part: the earlier of their first differing events (an edit may make one sooner). */
export function partsAt(d: NonNullable<RunDiff['divergence']>): number {
  return Math.min(d.base?.event.t ?? Infinity, d.edited?.event.t ?? Infinity);
}

export interface RunDiff {
  readonly baseHash: string;
  readonly editedHash: string;
  /** The first row where the runs part (null when they never do); `null` on a side that ended. */
  readonly divergence: {
    readonly base: DiffEvent | null;
    readonly edited: DiffEvent | null;
  } | null;
  /** Events only one run has, from the divergence on (message ids aside). */
  readonly onlyBase: readonly DiffEvent[];
  readonly onlyEdited: readonly DiffEvent[];
  readonly verdicts: readonly VerdictChange[];
  readonly expectations: readonly ExpectationChange[];
  /**
   * What the scenario expected of the verdicts and did not get, in each run; when they differ,
   * the way the verdicts that changed went.
   */
  readonly unmet: {
    readonly was: readonly string[];
    readonly now: readonly string[];
    readonly tone: Tone;
  };
}

/** A differing event, and the repeats of it folded into its line (as a storm in the diagram). */
export interface Folded {
  readonly first: DiffEvent;
  count: number;
  last: number;
}

/**
 * One side's differing events with each storm folded as the diagram folds it: the same timer, or
 * the same message on the same link, STORM_MIN times or more, is its first event with a count.
 */
export function foldStorms(events: readonly DiffEvent[]): Folded[] {
  const times = new Map<string, number>();
  for (const e of events) {
    const sig = stormSignature(e.event);
    if (sig !== null) times.set(sig, (times.get(sig) ?? 0) + 1);
  }
  const storms = new Map<string, Folded>();
  const out: Folded[] = [];
  for (const e of events) {
    const sig = stormSignature(e.event);
    const storm = sig === null || times.get(sig)! < STORM_MIN ? undefined : storms.get(sig);
    if (storm !== undefined) {
      storm.count++;
      storm.last = e.event.t;
      continue;
    }
    const line: Folded = { first: e, count: 1, last: e.event.t };
    if (sig !== null) storms.set(sig, line);
    out.push(line);
  }
  return out;
}

/** A folded line's count in the diagram's words (` ×56, the last at 29.510s`), or nothing. */
export function againText(line: Folded): string {
  return line.count > 1 ? ` ×${line.count}, the last at ${formatTime(line.last)}` : '';
}

/** An event without its message ids: a copy made earlier shifts every later id by one. */
function eventKey(e: TraceEvent): string {
  return JSON.stringify({ ...e, id: undefined, of: undefined });
}

/** The timeline's rows of a run (no sends, no state digests), minus the faults the edits added. */
function shownEvents(trace: readonly TraceEvent[], added: readonly AnyStep[]): DiffEvent[] {
  const addedFaults = new Map<string, number>();
  for (const step of added) {
    if (!('drop' in step || 'duplicate' in step || 'delay' in step)) continue;
    const kind = 'drop' in step ? 'drop' : 'duplicate' in step ? 'duplicate' : 'delay';
    const key = faultKey(step.at, kind, (step as unknown as Record<string, string>)[kind]!, step);
    addedFaults.set(key, (addedFaults.get(key) ?? 0) + 1);
  }
  const out: DiffEvent[] = [];
  trace.forEach((event, traceIndex) => {
    if (event.kind === 'send' || event.kind === 'state') return;
    if (event.kind === 'fault' && 'message' in event.fault) {
      const key = faultKey(event.t, event.fault.kind, event.fault.message, event.fault);
      const left = addedFaults.get(key) ?? 0;
      if (left > 0) {
        addedFaults.set(key, left - 1);
        return;
      }
    }
    out.push({ traceIndex, event });
  });
  return out;
}

function faultKey(
  at: number,
  kind: string,
  message: string,
  link: { readonly from: string; readonly to: string; readonly byMs?: number },
): string {
  return JSON.stringify([at, kind, message, link.from, link.to, link.byMs ?? null]);
}

/** A verdict in two or three words: `held`, `broken (2)`, `found (1)`, `not judged`. */
export function verdictText(v: Verdict | undefined): string {
  if (v === undefined) return 'not checked';
  if (v.status === 'held') return 'held';
  if (v.status === 'not-judged') return 'not judged';
  const n = v.violations.length;
  return v.informative ? `found (${n})` : `broken (${n})`;
}

function outcomeText(o: ScenarioRun['outcomes'][number] | undefined): string {
  if (o === undefined) return 'not issued';
  return o.failure === null ? 'met' : `not met (${o.failure})`;
}

/** How the edited run differs from the base: where they part, what differs, what changed. */
export function diffRuns(w: WhatIf): RunDiff {
  const a = shownEvents(w.base.result.trace, []);
  const b = shownEvents(w.edited.result.trace, w.added);
  let i = 0;
  while (i < a.length && i < b.length && eventKey(a[i]!.event) === eventKey(b[i]!.event)) i++;
  const parted = i < a.length || i < b.length;
  const divergence = parted ? { base: a[i] ?? null, edited: b[i] ?? null } : null;
  const [onlyBase, onlyEdited] = parted ? unmatched(a.slice(i), b.slice(i)) : [[], []];
  const verdicts = verdictChanges(w.base, w.edited);
  return {
    baseHash: w.base.result.hash,
    editedHash: w.edited.result.hash,
    divergence,
    onlyBase,
    onlyEdited,
    verdicts,
    expectations: expectationChanges(w.base, w.edited, verdicts),
    unmet: {
      was: w.base.verdictFailures,
      now: w.edited.verdictFailures,
      tone: toneOf(verdicts.map((v) => v.tone)),
    },
  };
}

/** The events of each side with no equal event (ids aside) on the other: a multiset difference. */
function unmatched(a: readonly DiffEvent[], b: readonly DiffEvent[]): [DiffEvent[], DiffEvent[]] {
  const count = new Map<string, number>();
  for (const e of b) {
    const k = eventKey(e.event);
    count.set(k, (count.get(k) ?? 0) + 1);
  }
  const onlyA: DiffEvent[] = [];
  for (const e of a) {
    const k = eventKey(e.event);
    const n = count.get(k) ?? 0;
    if (n > 0) count.set(k, n - 1);
    else onlyA.push(e);
  }
  const onlyB = b.filter((e) => {
    const k = eventKey(e.event);
    const n = count.get(k) ?? 0;
    if (n === 0) return false;
    count.set(k, n - 1);
    return true;
  });
  return [onlyA, onlyB];
}

function verdictChanges(base: ScenarioRun, edited: ScenarioRun): VerdictChange[] {
  const ids = [...new Set([...base.verdicts, ...edited.verdicts].map((v) => v.guarantee))];
  const out: VerdictChange[] = [];
  for (const g of ids) {
    const was = base.verdicts.find((v) => v.guarantee === g);
    const now = edited.verdicts.find((v) => v.guarantee === g);
    const sentences = (v: Verdict | undefined) => (v?.violations ?? []).map((x) => x.sentence);
    const witnesses = (v: Verdict | undefined) =>
      (v?.violations ?? []).map((x) => x.ops.join(' ')).join(', ');
    // A verdict that reads the same (broken (1) → broken (1)) did not change when its witnesses
    // are the same operations, whatever their words; other operations are another witness,
    // neither better nor worse news.
    const same = verdictText(was) === verdictText(now);
    if (same && witnesses(was) === witnesses(now)) continue;
    const fromBase = (now?.violations.length ?? 0) === 0;
    const source = fromBase ? was : now;
    out.push({
      guarantee: g,
      was: verdictText(was),
      now: same ? `${verdictText(now)}, another witness` : verdictText(now),
      tone: same ? 'finding' : verdictTone(verdictText(now)),
      witnesses: sentences(source),
      ops: [...new Set((source?.violations ?? []).flatMap((x) => x.ops))],
      witnessRun: fromBase ? 'base' : 'edited',
    });
  }
  return out;
}

/** Which way an expectation moved, and why, from the verdict changes its operation witnesses. */
function expectationWay(
  met: boolean,
  opId: number,
  verdicts: readonly VerdictChange[],
): Pick<ExpectationChange, 'tone' | 'why'> {
  const linked = verdicts.filter((v) => v.ops.includes(opId));
  const verb = met ? 'the edit brings it about' : 'the edit defeats it';
  if (linked.length === 0) return { tone: met ? 'better' : 'worse', why: verb };
  const tone = toneOf(linked.map((v) => v.tone));
  const now = linked.map((v) => `${GUARANTEE_NAMES[v.guarantee]} now ${v.now}`).join(', ');
  const what = met
    ? `, and the anomaly its operation witnesses is back: ${now}`
    : tone === 'better'
      ? `, taking away the anomaly it showed: ${now}`
      : `: ${now}`;
  return { tone, why: `${verb}${what}` };
}

/**
 * A changed expectation's step as the scenario numbers it, and as the edited run does when a
 * step the edits put before it numbers it otherwise (the summary under the report uses that one).
 */
export function stepName(x: Pick<ExpectationChange, 'step' | 'editedStep'>): string {
  return x.step === x.editedStep
    ? `step ${x.step}`
    : `step ${x.step} (step ${x.editedStep} of the edited run)`;
}

function expectationChanges(
  base: ScenarioRun,
  edited: ScenarioRun,
  verdicts: readonly VerdictChange[],
): ExpectationChange[] {
  const out: ExpectationChange[] = [];
  for (const o of edited.outcomes) {
    if (o.expected === undefined) continue;
    // By operation: a step the edit put in the script renumbers the steps after it.
    const before = base.outcomes.find((x) => x.opId === o.opId);
    const was = outcomeText(before);
    const now = outcomeText(o);
    if (was === now) continue;
    out.push({
      step: before?.step ?? o.step,
      editedStep: o.step,
      opId: o.opId,
      label: o.label,
      expected: expectationText(o.expected),
      was,
      now,
      ...expectationWay(now === 'met', o.opId, verdicts),
    });
  }
  return out;
}

/** `REPLICATION w2 x=2 ts=25009, s1 → s3, sent at 45.024s` */
export function messageText(send: Sent): string {
  return `${formatMessage(send.message)}, ${send.from} → ${send.to}, sent at ${formatTime(send.t)}`;
}

/** The edit in words, with the message it aims at as the run it edits shows it. */
export function describeEdit(edit: Edit, run: ScenarioRun): string {
  const message = (id: number) => `#${id} (${messageText(sendOf(run.result.trace, id))})`;
  switch (edit.kind) {
    case 'drop':
      return `message ${message(edit.message)} is lost`;
    case 'duplicate':
      return `message ${message(edit.message)} is delivered twice`;
    case 'delay':
      return `message ${message(edit.message)} arrives ${edit.byMs} ms later`;
    case 'deliver':
      return `message ${message(edit.message)} is delivered before the others in flight`;
    case 'crash':
      return `${edit.node} crashes at ${formatTime(edit.at)}`;
    case 'restart':
      return `${edit.node} restarts at ${formatTime(edit.at)}`;
    case 'hold':
      return `the link ${edit.from} → ${edit.to} holds its messages from ${formatTime(edit.at)} to ${formatTime(edit.until)}`;
    case 'release':
      return `the link ${edit.from} → ${edit.to} lets the messages it holds go at ${formatTime(edit.at)}, and holds no more`;
    case 'knob':
      return `knob ${edit.name}=${edit.value} (was ${String(run.knobs[edit.name] ?? 'unset')})`;
    case 'seed':
      return `seed ${edit.seed} (was ${run.seed})`;
    case 'preset':
      return `preset ${edit.preset} (was ${run.preset})`;
  }
}

/**
 * The scenario a run really ran: its seed, preset and knobs (the command line's included) written
 * into it, so that the page and a downloaded file need no flags to give the same hash.
 */
export function effectiveScenario(
  scenario: AnyScenario,
  run: ScenarioRun,
  knobFlags: Readonly<Record<string, string>> = {},
): AnyScenario {
  const knobs: Record<string, string | number> = {};
  for (const name of Object.keys({ ...scenario.knobs, ...knobFlags }))
    knobs[name] = run.knobs[name]!;
  return { ...scenario, seed: run.seed, preset: run.preset as 'seed' | 'fixed', knobs };
}

/** A scenario read from a pipe has no name of its own: its page's `scenario.file`. */
function fromStdin(origin: string): boolean {
  return origin === '-' || origin === '/dev/stdin';
}

/**
 * The name a what-if's download suggests: `stale-read-what-if.ts`; `what-if.ts` for a scenario
 * piped in (`-`), whose name would otherwise begin with '-' and be read as a flag.
 */
export function whatIfFileName(origin: string): string {
  const base = fromStdin(origin) ? '' : origin.replace(/^.*\//, '').replace(/\.ts$/, '');
  return base === '' || base.startsWith('-') ? 'what-if.ts' : `${base}-what-if.ts`;
}

/**
 * A scenario file `npm run sim` loads: a header saying where it came from, then the data. `ran`:
 * the command that made the page's own run, named when it changed the scenario's settings or
 * edited it (a page of a what-if), since the file holds those changes too; otherwise its seed.
 */
export function scenarioSource(
  scenario: AnyScenario,
  origin: string,
  edits: readonly Edit[],
  edited?: ScenarioRun,
  ran?: string,
): string {
  const said = edits.length === 0 ? 'no edit' : edits.map(editText).join(', ');
  const source = fromStdin(origin) ? 'a scenario read from stdin' : origin;
  const changed = ran !== undefined && / --(what-if|preset|knob) /.test(`${ran} `);
  // The seed alone cannot be told from the scenario's own (the page holds only the run's), so it
  // is always named: a page made with `--seed 3` says so.
  const seed = ran?.match(/ --seed (\d+)/)?.[1];
  const of = changed
    ? `${source} as the page ran it (${ran})`
    : seed === undefined
      ? source
      : `${source} at seed ${seed}`;
  const header = [
    '/*',
    ` * ${inComment(scenario.goal)}`,
    ' *',
    ...wrapText(inComment(`A what-if of ${of}: ${said}.`), 96).map((l) => ` * ${l.trimEnd()}`),
    ' * Written by the kvsim lab; replay it with: npm run sim -- <this file>',
    ...(edited === undefined ? [] : keptExpectations(edited)),
    ' */',
  ];
  return `${header.join('\n')}\n\nexport default ${JSON.stringify(scenario, null, 2)};\n`;
}

/**
 * The file keeps the original's expectations, so its replay says what the what-if changed: the
 * header warns that it then exits 1, rather than let a kept what-if look broken.
 */
function keptExpectations(edited: ScenarioRun): string[] {
  const steps = edited.outcomes
    .filter((o) => o.expected !== undefined && o.failure !== null)
    .map((o) => `step ${o.step}`);
  const unmet = [...steps, ...edited.verdictFailures];
  if (unmet.length === 0)
    return [
      ' * It keeps the expectations of the original, and meets them all: npm run sim exits 0.',
    ];
  const text = `It keeps the expectations of the original: npm run sim marks what the what-if no longer meets (${unmet.join('; ')}) and exits 1.`;
  return wrapText(inComment(text), 96).map((line) => ` * ${line.trimEnd()}`);
}

/** Text that cannot end the header's comment. */
function inComment(text: string): string {
  return text.replace(/\*\//g, '* /');
}
