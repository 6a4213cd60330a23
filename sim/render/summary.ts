// The summary after a timeline: what ran (seed, preset, knobs), what happened (operations, how
// the run ended), whether the expectations were met, the trace hash, and how to replay it.

import type { ChalkInstance } from 'chalk';
import { GUARANTEE_NAMES, type GuaranteeId, type Violation } from '../check/index.ts';
import type { Ending } from '../kernel/simulation.ts';
import { expectationText, knobsText, type ScenarioRun } from '../scenario.ts';
import { textWidth } from './diagram.ts';
import { BOUND_NAMES, counted, formatSpan, formatTime } from './format.ts';
import { escapeControls, displayText as safe, shellWord, WRAPPED_CHARS } from './safe-text.ts';

/** How every replay command begins. */
export const REPLAY_START = 'npm run sim -- ';

export function replayCommand(
  file: string,
  run: { readonly seed: number },
  presetFlag: string | undefined,
  knobFlags: readonly string[],
): string {
  const parts = [REPLAY_START.trimEnd(), shellWord(file), '--seed', String(run.seed)];
  if (presetFlag !== undefined) parts.push('--preset', shellWord(presetFlag));
  for (const k of knobFlags) parts.push('--knob', shellWord(k));
  return parts.join(' ');
}

const ENDINGS: Readonly<Record<Ending, string>> = {
  quiescent: 'quiescent (no message or timer left)',
  'time-limit': `stopped at ${BOUND_NAMES['time-limit']} with events still queued`,
  'event-limit': `stopped at ${BOUND_NAMES['event-limit']} (raise it with --max-events N)`,
  'queue-limit': `stopped at ${BOUND_NAMES['queue-limit']} (raise it with --max-queue N)`,
  'trace-limit': `stopped at ${BOUND_NAMES['trace-limit']} (raise it with --max-trace-mb N, or use --quiet without --json: then the trace is only hashed, never kept)`,
  'history-limit': `stopped at ${BOUND_NAMES['history-limit']} (raise it with --max-history N)`,
};

/** Which knobs a run's scenario and command line set; the others are the preset's. */
export interface KnobSources {
  readonly scenario: readonly string[];
  readonly commandLine: readonly string[];
}

/** A field of the summary: its name, then its words wrapped to the width under one another. */
export function field(name: string, text: string, width: number): string[] {
  return hanging(`  ${name.padEnd(10)} `, text, width, 13);
}

/** `text` wrapped to `width` after `first`, its further lines indented by `indent` columns. */
export function hanging(first: string, text: string, width: number, indent: number): string[] {
  return wrapWords(text.split(' '), Math.max(1, width - Math.max(indent, textWidth(first)))).map(
    (line, i) => `${i === 0 ? first : ' '.repeat(indent)}${line}`,
  );
}

/**
 * The replay field: a command fitted to the width so that it still pastes into a shell as one; a
 * line that says why the run does not replay as it stands (a live run, a scenario piped in) and
 * what would, wrapped as text.
 */
export function replayField(replay: string, width: number): string[] {
  const at = replay.indexOf(REPLAY_START);
  if (at === 0) return replayLines(replay, width);
  // Why, then the command that will replay it once that is done: the command still pastes.
  if (at > 0 && replay.slice(0, at).endsWith(': '))
    return [
      ...field('replay', replay.slice(0, at).trimEnd(), width),
      ...replayLines(replay.slice(at), width, ''),
    ];
  return field('replay', replay, width);
}

/**
 * The replay command under its field, cut between shell words with a trailing ` \` when it does
 * not fit, so that it still pastes into a shell as one command. A word wider than a line (a long
 * path) is cut inside with a bare `\`, its next piece at the line's start: the shell joins the
 * pieces back into the word.
 */
export function replayLines(replay: string, width: number, fieldName = 'replay'): string[] {
  const lead = `  ${fieldName.padEnd(10)} `;
  const first = `${lead}${replay}`;
  if (textWidth(first) <= width) return [first];
  // A word is what shellWord wrote: plain characters, '…' and \' pieces, never a bare space.
  // The command's name stays whole, and a flag stays with its value when both fit on a line.
  const words = replay.match(/(?:'[^']*'|\\.|[^\s'\\])+/g) ?? [replay];
  const name = words.indexOf('--') + 1 || 1;
  const room = Math.max(20, width - 13 - 2);
  const units = [words.slice(0, name).join(' ')];
  for (const word of words.slice(name)) {
    const last = units.length - 1;
    const joined = `${units[last]} ${word}`;
    if (
      last > 0 &&
      /^--\S+$/.test(units[last]!) &&
      !word.startsWith('--') &&
      textWidth(joined) <= room
    )
      units[last] = joined;
    else units.push(word);
  }
  const lines = wrapWords(units, room, true);
  const out: string[] = [];
  lines.forEach((line, i) => {
    const pieces = textWidth(line) <= room ? [line] : cutShellWord(line, room, width - 2);
    pieces.forEach((piece, k) => {
      const end = k < pieces.length - 1 ? '\\' : i < lines.length - 1 ? ' \\' : '';
      out.push(`${k === 0 ? (i === 0 ? lead : ' '.repeat(13)) : ''}${piece}${end}`);
    });
  });
  return out;
}

/**
 * A shell word cut into pieces, the first at most `first` columns wide and the others `rest`, that
 * a shell joins back when each but the last ends in a line continuation: a quoted part is closed
 * at the cut and opened again after it, and a `\'` stays whole.
 */
function cutShellWord(word: string, first: number, rest: number): string[] {
  const items: { text: string; quoted: boolean }[] = [];
  for (let i = 0; i < word.length; ) {
    if (word[i] === "'") {
      const close = word.indexOf("'", i + 1);
      const end = close === -1 ? word.length : close;
      for (const ch of word.slice(i + 1, end)) items.push({ text: ch, quoted: true });
      i = end + 1;
    } else {
      const ch =
        word[i] === '\\' ? word.slice(i, i + 2) : String.fromCodePoint(word.codePointAt(i)!);
      items.push({ text: ch, quoted: false });
      i += ch.length;
    }
  }
  const pieces: string[] = [];
  let piece = '';
  let used = 0;
  let quoted = false;
  for (const item of items) {
    // What the item costs: its width, and a quote to open (and one to close at the end).
    const cost = () => textWidth(item.text) + (item.quoted && !quoted ? 2 : 0);
    if (piece !== '' && used + cost() > (pieces.length === 0 ? first : rest)) {
      pieces.push(quoted ? `${piece}'` : piece);
      piece = '';
      used = 0;
      quoted = false;
    }
    used += cost();
    if (item.quoted !== quoted) piece += "'";
    piece += item.text;
    quoted = item.quoted;
  }
  pieces.push(quoted ? `${piece}'` : piece);
  return pieces;
}

export function renderSummary(
  c: ChalkInstance,
  run: ScenarioRun,
  replay: string,
  width = 100,
  sources: KnobSources = { scenario: [], commandLine: [] },
  /** false for a run no scenario scripted (a live run): it expected nothing of the operations. */
  scripted = true,
): string[] {
  const ops = run.result.history.operations;
  const open = ops.filter((o) => o.completedAt === null);
  const abandoned = open.filter((o) => o.abandonedAt !== null).length;
  const pending = open.length - abandoned;
  const gone = abandoned === 0 ? '' : `, ${abandoned} abandoned (their client crashed)`;
  const lines = [
    c.bold('Summary'),
    `  seed       ${run.seed}`,
    `  preset     ${safe(run.preset)}`,
    ...field('knobs', safe(knobsText(run.knobs), 4000), width),
    ...knobSourceLines(sources, width),
    ...knobWarnings(run.knobs, sources).flatMap((w) =>
      field('warning', w, width).map((l) => c.yellow(l)),
    ),
    ...field(
      'operations',
      `${ops.length} issued, ${ops.length - open.length} completed, ${pending} pending${gone}`,
      width,
    ),
    ...field(
      'run',
      `${ENDINGS[run.result.ending]} at ${formatTime(run.result.endedAt)}, ${run.result.events} events`,
      width,
    ),
    ...field('liveness', boundText(run), width),
  ];
  const judged = run.outcomes.filter((o) => o.expected !== undefined);
  const failed = judged.filter((o) => o.failure !== null);
  if (scripted)
    lines.push(
      ...field(
        'expected',
        judged.length === 0
          ? 'nothing of the operations (no step has an expect)'
          : `${judged.length - failed.length} of ${judged.length} met`,
        width,
      ),
    );
  for (const o of judged) {
    const text = safe(`step ${o.step}: ${o.label} → ${expectationText(o.expected!)}`);
    lines.push(
      ...(o.failure === null
        ? hanging('    ✓ ', text, width, 6).map((l) => c.green(l))
        : hanging('    ✗ ', `${text}, but ${safe(o.failure)}`, width, 6).map((l) => c.red.bold(l))),
    );
  }
  lines.push(...renderVerdicts(c, run, width, scripted));
  lines.push(`  trace hash ${run.result.hash}`);
  // Whole, however long (the command's own words, each typed or chosen): cut, it no longer runs.
  lines.push(...replayField(escapeControls(replay), width));
  return lines;
}

/** The bound a run cut by its time bound judges liveness by (PROTOCOL.md §3). */
function boundText(run: ScenarioRun): string {
  const b = run.livenessBound;
  return b.ms === null
    ? `no bound for a run cut short: ${b.why}`
    : `bound ${formatSpan(b.ms)} after an operation's issue and the faults' end, ${b.from}`;
}

function knobSourceLines(sources: KnobSources, width: number): string[] {
  const parts: string[] = [];
  if (sources.scenario.length > 0) parts.push(`from the scenario: ${sources.scenario.join(', ')};`);
  if (sources.commandLine.length > 0)
    parts.push(`from the command line: ${sources.commandLine.join(', ')};`);
  if (parts.length === 0) return [];
  return field('', `${parts.join(' ')} the rest from the preset`, width);
}

/**
 * Knobs set by the scenario or the command line that change nothing because of another knob: a
 * student flipping one should hear why the run did not move.
 */
export function knobWarnings(
  knobs: Readonly<Record<string, string | number>>,
  sources: KnobSources,
): string[] {
  const set = new Set([...sources.scenario, ...sources.commandLine]);
  const out: string[] = [];
  if (
    set.has('retryOnTryOther') &&
    knobs.retryOnTryOther === 'other-server' &&
    knobs.retryLimit === 0
  )
    out.push(
      'retryOnTryOther=other-server has no effect: retryLimit=0 allows no retry (try --knob retryLimit=3)',
    );
  for (const k of ['retryLimit', 'retryBackoff'] as const) {
    if (set.has(k) && knobs.retryOnTryOther === 'none' && Number(knobs[k]) > 0)
      out.push(
        `${k}=${knobs[k]} has no effect: retryOnTryOther=none never retries (try --knob retryOnTryOther=other-server)`,
      );
  }
  return out;
}

export function runPassed(run: ScenarioRun): boolean {
  return (
    run.outcomes.every((o) => o.failure === null) &&
    run.verdictFailures.length === 0 &&
    (run.result.ending === 'quiescent' || run.result.ending === 'time-limit')
  );
}

/**
 * Guarantees by the names the verdict lines and the README's table use (`monotonic reads`), not
 * by the ids a scenario's `expect` holds (`monotonic-reads`): what explore and verify print.
 */
export function guaranteeNames(ids: readonly GuaranteeId[]): string {
  return ids.map((g) => GUARANTEE_NAMES[g]).join(', ');
}

const SHOWN_PER_GUARANTEE = 3;

/**
 * The witnesses a list shows when it cannot show them all: one of each kind before a second of
 * any (a kind is the sentence with its replicas' names taken out), so that three replicas holding
 * the same two writes out of order do not hide a different witness behind "… and 1 more".
 */
export function witnessesShown(
  violations: readonly Violation[],
  shown: number,
): readonly Violation[] {
  if (violations.length <= shown) return violations;
  const { first, again } = byKind(violations);
  return [...first, ...again].slice(0, shown);
}

/** The first witness of each kind, at most `shown` of them: a paragraph that names no count. */
export function oneOfEachKind(
  violations: readonly Violation[],
  shown: number,
): readonly Violation[] {
  return byKind(violations).first.slice(0, shown);
}

/** The witnesses, the first of each kind apart from those of a kind met before. */
function byKind(violations: readonly Violation[]) {
  const kinds = new Set<string>();
  const first: Violation[] = [];
  const again: Violation[] = [];
  for (const w of violations) {
    const kind = w.sentence.replace(/[A-Za-z][\w-]*/g, (word) =>
      w.nodes.includes(word) ? '·' : word,
    );
    (kinds.has(kind) ? again : first).push(w);
    kinds.add(kind);
  }
  return { first, again };
}

/**
 * One line per guarantee, its first witnesses under it, then what the scenario expected (for a run
 * no scenario scripted, whether every guarantee the store promises held).
 */
export function renderVerdicts(
  c: ChalkInstance,
  run: ScenarioRun,
  width = 100,
  scripted = true,
): string[] {
  const lines = ['  guarantees'];
  // A guarantee's name, then its status in a column wide enough for '999 violations' (a longer
  // status wraps inside it); on a narrower terminal the status follows the name, wrapped under it.
  const aligned = width - 41 >= 15;
  const verdictLine = (mark: string, guarantee: string, status: string) =>
    aligned
      ? hanging(`    ${mark} ${guarantee.padEnd(34)} `, status, width, 41)
      : hanging(`    ${mark} `, `${guarantee} ${status}`, width, 6);
  for (const v of run.verdicts) {
    const name = GUARANTEE_NAMES[v.guarantee];
    if (v.status === 'held') lines.push(...verdictLine('✓', name, 'held').map((l) => c.green(l)));
    else if (v.status === 'not-judged')
      lines.push(
        ...verdictLine('·', name, `not judged: ${safe(v.reason ?? '')}`).map((l) => c.dim(l)),
      );
    else {
      const count = counted(v.violations.length, v.informative ? 'finding' : 'violation');
      const headline = v.informative ? c.yellow : c.red.bold;
      lines.push(...verdictLine(v.informative ? 'ℹ' : '✗', name, count).map((l) => headline(l)));
      for (const w of witnessesShown(v.violations, SHOWN_PER_GUARANTEE)) {
        const ops = w.ops.length > 0 ? ` [ops ${w.ops.join(', ')}]` : '';
        const paint = v.informative ? c.yellow : c.red;
        // A checker's sentence wraps over several lines: cut only what no reader needs.
        const sentence = safe(`${w.sentence}${ops}`, WRAPPED_CHARS);
        lines.push(...hanging('        ', sentence, width, 8).map((l) => paint(l)));
      }
      if (v.violations.length > SHOWN_PER_GUARANTEE)
        lines.push(c.dim(`        … and ${v.violations.length - SHOWN_PER_GUARANTEE} more`));
      if (v.reason !== null)
        lines.push(
          ...hanging('        ', `not judged beside these: ${v.reason}`, width, 8).map((l) =>
            c.dim(l),
          ),
        );
    }
  }
  // Under a step's red ✗, a bare "as the scenario expected" would read as the whole run's verdict.
  const stepsFailed = run.outcomes.filter((o) => o.failure !== null).length;
  if (run.verdictFailures.length === 0)
    lines.push(
      c.green(
        !scripted
          ? '    every guarantee the store promises held'
          : stepsFailed > 0
            ? `    the guarantees are as the scenario expected; ${counted(stepsFailed, 'step')} not (✗ above)`
            : '    as the scenario expected',
      ),
    );
  // A run no scenario scripted expected only what the store promises: each broken guarantee is
  // marked above, and its failure is that mark, said once.
  if (!scripted && run.verdictFailures.length > 0)
    lines.push(
      c.red.bold(
        `    ✗ ${counted(run.verdictFailures.length, 'guarantee')} the store promises did not hold`,
      ),
    );
  else
    for (const f of run.verdictFailures)
      lines.push(
        ...hanging('    ✗ ', `not as expected: ${safe(f)}`, width, 6).map((l) => c.red.bold(l)),
      );
  return lines;
}

/**
 * Words joined into lines of at most `width` columns. A wider word is cut, after its last '=', '/',
 * ',' or '-' that falls in the line's second half when it has one, unless `whole` (a shell word).
 */
function wrapWords(words: readonly string[], width: number, whole = false): string[] {
  const lines: string[] = [];
  for (const word of whole ? words : words.flatMap((w) => cutWord(w, width))) {
    const last = lines.length - 1;
    if (last >= 0 && textWidth(lines[last]!) + 1 + textWidth(word) <= width)
      lines[last] += ` ${word}`;
    else lines.push(word);
  }
  return lines;
}

function cutWord(word: string, width: number): string[] {
  const pieces: string[] = [];
  let rest = word;
  while (textWidth(rest) > width) {
    let head = '';
    for (const ch of rest) {
      if (textWidth(head + ch) > width) break;
      head += ch;
    }
    const at = Math.max(...['=', '/', ',', '-'].map((sep) => head.lastIndexOf(sep)));
    const cut = at >= head.length / 2 ? at + 1 : head.length;
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  pieces.push(rest);
  return pieces;
}
