// What `npm run view` shows of a trace's claims about itself, its hash and the command that
// replays it, only as far as it can vouch for them: a trace may come from anyone. The hash is
// the one its events hash to, with a warning when they are not the events as written; the
// command is built again by sim's or live's own builder (replay.ts) from parts checked against
// the trace's scenario, seed, preset and knobs, or there is none. A stored line is never shown.

import { parseArgs } from 'node:util';
import { DEFAULT_BOUNDS } from '../kernel/simulation.ts';
import { earlierTraceHash, traceHash } from '../kernel/trace.ts';
import { type Edit, EditError, parseEdit } from '../lab/whatif.ts';
import type { TraceDocument } from '../render/json.ts';
import { displayText, shellWord } from '../render/safe-text.ts';
import { REPLAY_START } from '../render/summary.ts';
import { MAX_SEED } from '../scenario/limits.ts';
import { parseStoreKnob, STORES, type StoreName } from '../stores/index.ts';
import {
  BOUND_FLAGS,
  BOUND_VALUE,
  type BoundFlag,
  EARLIER_LIVE_CAVEAT,
  FROM_STDIN,
  LIVE_CAVEAT,
  LIVE_OPTIONS,
  type LiveValues,
  liveCommand,
  liveReplay,
  liveSettings,
  PIPED_SAVED_AS,
  type SimReplay,
  simReplay,
} from './replay.ts';
import { fromStdin, parseKnobFlags, refuseRepeated, UsageError } from './usage.ts';

export interface Vouched {
  /** What the trace's events hash to. */
  readonly hash: string;
  /**
   * What to warn of the trace's own hash: that the events are not those it was written with, or
   * that an earlier kvsim wrote it with its earlier hash; null when its hash is today's and holds.
   */
  readonly warning: string | null;
  /** The command that replays the run as sim (or live) printed it, or `none: ` and why not. */
  readonly replay: string;
}

/**
 * What view may show of a trace's hash and replay line. The trace has passed the reader's checks
 * (parseTraceDocument), which refuse a value nested too deep to hash.
 */
export function vouchFor(doc: TraceDocument): Vouched {
  const hash = traceHash(doc.events);
  return { hash, warning: hashWarning(doc, hash), replay: replayOf(doc) };
}

const EDITED = 'the trace was edited after it was written';

function hashWarning(doc: TraceDocument, hash: string): string | null {
  if (hash !== doc.run.hash) {
    const own = displayText(doc.run.hash, 40);
    // kvsim-trace/1 written before the hash by structure: run.hash is the hash of the events'
    // JSON text, state digests included (docs/trace-format.md, "The trace hash"). It covers every
    // copy of every message too, so nothing below need be checked when it holds.
    if (doc.run.hash === earlierTraceHash(doc.events))
      return `the trace's own hash ${own} is the one an earlier kvsim wrote, over its events' JSON text with their state digests as well; nothing was edited, and its events hash to ${hash} today`;
    return `the trace's own hash is ${own}, but its events hash to ${hash}: ${EDITED}`;
  }
  // The hash names a message once, where it enters the network; a delivery, a drop or a hold
  // names it by its id, and the views draw the copy it carries, so that copy is checked too.
  const altered = alteredCopy(doc.events);
  if (altered === null) return null;
  return `events[${altered}] (a ${doc.events[altered]!.kind} of message ${(doc.events[altered] as { id: number }).id}) carries another message than the one sent: ${EDITED}`;
}

/** The first delivery, drop or hold whose message is not the one sent with its id; null: none. */
function alteredCopy(events: TraceDocument['events']): number | null {
  const sent = new Map<number, unknown>();
  for (const e of events)
    if ((e.kind === 'send' || e.kind === 'duplicate') && !sent.has(e.id)) sent.set(e.id, e.message);
  for (const [i, e] of events.entries()) {
    if (e.kind !== 'deliver' && e.kind !== 'drop' && e.kind !== 'hold') continue;
    const original = sent.get(e.id);
    if (original !== undefined && !sameValue(original, e.message)) return i;
  }
  return null;
}

/** Two JSON values alike, whatever the order of their fields. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const fields = Object.keys(a);
  if (fields.length !== Object.keys(b).length) return false;
  return fields.every(
    (k) =>
      Object.hasOwn(b, k) &&
      sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}

/** How the replay field begins when view can vouch for no command. */
export const NO_REPLAY = 'none: ';

const NOT_WRITTEN = "the trace's replay line is not a command kvsim writes for this run";

function replayOf(doc: TraceDocument): string {
  // A live run has no scenario to rerun: its line is the command that was run, and why that
  // is no replay (README, "On a real network").
  const live = doc.scenario.file === 'live' && doc.scenario.definition === undefined;
  const built = live ? liveLine(doc) : simLine(doc);
  return built.ok ? built.line : `${NO_REPLAY}${built.why}`;
}

type Built =
  | { readonly ok: true; readonly line: string }
  | { readonly ok: false; readonly why: string };

const refused = (why: string): Built => ({ ok: false, why });

/**
 * The words of a text as shellWord writes them, unquoted; null when it is not such a text (the
 * caller builds the line again from them and compares, so only shellWord's own forms pass).
 */
function shellWords(text: string): string[] | null {
  const words: string[] = [];
  const word = /('(?:[^']|'\\'')*'|[^\s']+)(?: |$)/y;
  while (word.lastIndex < text.length) {
    const m = word.exec(text);
    if (m === null) return null;
    const w = m[1]!;
    words.push(w.startsWith("'") ? w.slice(1, -1).replaceAll("'\\''", "'") : w);
  }
  return words;
}

/** `--knob` values as sim's parser reads them; null when it refuses them. */
function knobsOf(flags: readonly string[]): Record<string, string> | null {
  try {
    return parseKnobFlags(flags);
  } catch (error) {
    if (error instanceof UsageError) return null;
    throw error;
  }
}

/** sim's replay line, read back: the parts its builder took, or null when it is no such line. */
function simParts(file: string, line: string): SimReplay | null {
  const piped = fromStdin(file);
  const lead = `${piped ? FROM_STDIN : ''}${REPLAY_START}${shellWord(piped ? PIPED_SAVED_AS : file)} `;
  if (!line.startsWith(lead)) return null;
  const words = shellWords(line.slice(lead.length));
  if (words === null || words[0] !== '--seed' || !/^\d{1,16}$/.test(words[1] ?? '')) return null;
  const seed = Number(words[1]);
  let preset: string | undefined;
  const knobs: string[] = [];
  const edits: Edit[] = [];
  const given = new Map<string, string>();
  for (let i = 2; i < words.length; i += 2) {
    const [flag, value] = [words[i]!, words[i + 1]];
    if (value === undefined) return null;
    const bound = BOUND_FLAGS.find(([name]) => flag === `--${name}`);
    if (flag === '--preset' && preset === undefined) preset = value;
    else if (flag === '--knob') knobs.push(value);
    else if (bound !== undefined && !given.has(bound[0]) && BOUND_VALUE.test(value))
      given.set(bound[0], value);
    else if (flag === '--what-if') {
      try {
        edits.push(parseEdit(value));
      } catch (error) {
        if (error instanceof EditError) return null;
        throw error;
      }
    } else return null;
  }
  // Read as sim reads them: a knob not name=value, or given twice, is none sim wrote.
  if (knobsOf(knobs) === null) return null;
  const bounds = BOUND_FLAGS.flatMap(([name]): [BoundFlag, string][] => {
    const value = given.get(name);
    return value === undefined ? [] : [[name, value]];
  });
  return { file, seed, preset, knobs, edits, bounds };
}

function simLine(doc: TraceDocument): Built {
  const file = doc.scenario.file;
  // sim reads a word starting with '-' as a flag: no scenario it ran is named so, but stdin.
  if (file.trim() === '' || (file.startsWith('-') && !fromStdin(file)))
    return refused(
      `the trace names no scenario file npm run sim can be given ('${displayText(file)}')`,
    );
  const parts = simParts(file, doc.replay);
  // Built again by sim's own builder: only a line sim writes comes out as it went in.
  if (parts === null || parts.seed > MAX_SEED || simReplay(parts) !== doc.replay) {
    const named = `${REPLAY_START}${shellWord(fromStdin(file) ? PIPED_SAVED_AS : file)} `;
    const elsewhere = doc.replay.includes(REPLAY_START) && !doc.replay.includes(named);
    return refused(
      elsewhere
        ? `the trace's replay line names another scenario than the trace's ('${displayText(file)}')`
        : NOT_WRITTEN,
    );
  }
  const why = simDisagreement(doc, parts);
  return why === null ? { ok: true, line: simReplay(parts) } : refused(why);
}

/** Where the run a sim line makes (its flags, then its what-ifs) is not the trace's; null: nowhere. */
function simDisagreement(doc: TraceDocument, parts: SimReplay): string | null {
  let seed = parts.seed;
  let preset = parts.preset;
  const knobs = new Map(Object.entries(knobsOf(parts.knobs) ?? {}));
  for (const e of parts.edits) {
    if (e.kind === 'seed') seed = e.seed;
    else if (e.kind === 'preset') preset = e.preset;
    else if (e.kind === 'knob') knobs.set(e.name, e.value);
  }
  const line = "the trace's replay line";
  if (seed !== doc.seed) return `${line} names seed ${seed}, but the run's seed is ${doc.seed}`;
  if (preset !== undefined && preset !== doc.preset)
    return `${line} names preset ${displayText(preset)}, but the run's preset is ${displayText(doc.preset)}`;
  const store = STORES[doc.store as StoreName];
  for (const [name, raw] of knobs) {
    const parsed = parseStoreKnob(store, name, raw, "the trace's store");
    if (!parsed.ok) return `${line} sets a knob the run cannot have: ${displayText(parsed.error)}`;
    if (doc.knobs[name] !== parsed.value.value)
      return `${line} sets ${displayText(`${name}=${raw}`)}, but the run's ${name} is ${displayText(String(doc.knobs[name]))}`;
  }
  // The one bound a trace tells: how many events the run had, and whether it stopped there.
  const given = parts.bounds.find(([flag]) => flag === 'max-events')?.[1];
  const maxEvents = given === undefined ? DEFAULT_BOUNDS.maxEvents : Number(given);
  const { events, ending } = doc.run;
  if (events > maxEvents || (ending === 'event-limit' && events !== maxEvents))
    return `${line} bounds the run at ${maxEvents} events, but the run had ${events}${ending === 'event-limit' ? ' when it stopped at its event bound' : ''}`;
  return null;
}

function liveLine(doc: TraceDocument): Built {
  const start = 'npm run live --';
  const line = doc.replay;
  // A trace live wrote before its caveat was reworded carries the earlier one: read as well, and
  // shown as live writes it now.
  const tail = [LIVE_CAVEAT, EARLIER_LIVE_CAVEAT]
    .map((caveat) => `  (${caveat})`)
    .find((t) => line.endsWith(t));
  if (!line.startsWith(start) || tail === undefined || line.length < start.length + tail.length)
    return refused(`${NOT_WRITTEN}; ${LIVE_CAVEAT}`);
  const middle = line.slice(start.length, line.length - tail.length);
  const words = middle === '' ? [] : middle.startsWith(' ') ? shellWords(middle.slice(1)) : null;
  // Built again by live's own builder: only a command live writes comes out as it went in.
  if (words === null || `${liveCommand(words)}${tail}` !== line)
    return refused(`${NOT_WRITTEN}; ${LIVE_CAVEAT}`);
  const why = liveDisagreement(doc, words);
  return why === null ? { ok: true, line: liveReplay(words) } : refused(`${why}; ${LIVE_CAVEAT}`);
}

/** Where the command live was given would not run the trace's store, preset, knobs and seed. */
function liveDisagreement(doc: TraceDocument, words: readonly string[]): string | null {
  let values: LiveValues;
  try {
    const parsed = parseArgs({
      args: [...words],
      options: LIVE_OPTIONS,
      strict: true,
      tokens: true,
    });
    // Live refuses a flag that holds one value given twice (`--seed 1 --seed 2`): so does this.
    refuseRepeated(parsed.tokens, LIVE_OPTIONS);
    values = parsed.values;
  } catch {
    return NOT_WRITTEN;
  }
  if (values.help === true) return NOT_WRITTEN;
  let settings: ReturnType<typeof liveSettings>;
  try {
    // Live's own reading, defaults and ranges: a command it would refuse is none it wrote.
    settings = liveSettings(values);
  } catch {
    return NOT_WRITTEN;
  }
  const { cluster, seed } = settings;
  const line = "the trace's replay line";
  if (cluster.store.name !== doc.store)
    return `${line} runs the ${cluster.store.name} store, but the run is of the ${displayText(doc.store)} store`;
  if (cluster.preset !== doc.preset)
    return `${line} names preset ${cluster.preset}, but the run's preset is ${displayText(doc.preset)}`;
  if (seed !== doc.seed) return `${line} names seed ${seed}, but the run's seed is ${doc.seed}`;
  const knobs = Object.entries(cluster.knobs as Record<string, unknown>);
  const differs = knobs.find(([name, value]) => doc.knobs[name] !== value);
  if (differs !== undefined || Object.keys(doc.knobs).length !== knobs.length)
    return `${line} does not give the run's knobs`;
  return null;
}
