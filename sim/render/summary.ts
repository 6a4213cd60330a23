// The summary after a timeline: what ran (seed, preset, knobs), what happened (operations, how
// the run ended), whether the expectations were met, the trace hash, and how to replay it.

import type { ChalkInstance } from 'chalk';
import { GUARANTEE_NAMES } from '../check/index.ts';
import { expectationText, knobsText, type ScenarioRun } from '../scenario.ts';
import { counted, formatSpan, formatTime } from './format.ts';
import { displayText as safe, shellWord, WRAPPED_CHARS } from './safe-text.ts';

export function replayCommand(
  file: string,
  run: ScenarioRun,
  presetFlag: string | undefined,
  knobFlags: readonly string[],
): string {
  const parts = ['npm run sim --', shellWord(file), '--seed', String(run.seed)];
  if (presetFlag !== undefined) parts.push('--preset', shellWord(presetFlag));
  for (const k of knobFlags) parts.push('--knob', shellWord(k));
  return parts.join(' ');
}

const ENDINGS = {
  quiescent: 'quiescent (no message or timer left)',
  'time-limit': 'stopped at the time bound with events still queued',
  'event-limit': 'stopped at the event bound (raise it with --max-events N)',
  'queue-limit': 'stopped at the queue-size bound (raise it with --max-queue N)',
  'trace-limit':
    'stopped at the bound on the trace kept in memory (raise it with --max-trace-mb N, or use --quiet: then the trace is only hashed, or streamed to --json)',
  'history-limit': 'stopped at the history-size bound (raise it with --max-history N)',
} as const;

/** Which knobs a run's scenario and command line set; the others are the preset's. */
export interface KnobSources {
  readonly scenario: readonly string[];
  readonly commandLine: readonly string[];
}

/** A field of the summary: its name, then its words wrapped to the width under one another. */
function field(name: string, text: string, width: number): string[] {
  return wrapWords(text.split(' '), Math.max(20, width - 13)).map(
    (line, i) => `  ${(i === 0 ? name : '').padEnd(10)} ${line}`,
  );
}

export function renderSummary(
  c: ChalkInstance,
  run: ScenarioRun,
  replay: string,
  width = 100,
  sources: KnobSources = { scenario: [], commandLine: [] },
): string[] {
  const ops = run.result.history.operations;
  const pending = ops.filter((o) => o.completedAt === null).length;
  const lines = [
    c.bold('Summary'),
    `  seed       ${run.seed}`,
    `  preset     ${safe(run.preset)}`,
    ...field('knobs', safe(knobsText(run.knobs), 4000), width),
    ...knobSourceLines(sources, width),
    ...knobWarnings(run.knobs, sources).flatMap((w) =>
      field('warning', w, width).map((l) => c.yellow(l)),
    ),
    `  operations ${ops.length} issued, ${ops.length - pending} completed, ${pending} pending`,
    ...field(
      'run',
      `${ENDINGS[run.result.ending]} at ${formatTime(run.result.endedAt)}, ${run.result.events} events`,
      width,
    ),
    ...field('liveness', boundText(run), width),
  ];
  const judged = run.outcomes.filter((o) => o.expected !== undefined);
  const failed = judged.filter((o) => o.failure !== null);
  lines.push(
    judged.length === 0
      ? '  expected   nothing of the operations (no step has an expect)'
      : `  expected   ${judged.length - failed.length} of ${judged.length} met`,
  );
  for (const o of judged) {
    const text = safe(`step ${o.step}: ${o.label} → ${expectationText(o.expected!)}`);
    lines.push(
      o.failure === null
        ? c.green(`    ✓ ${text}`)
        : c.red.bold(`    ✗ ${text}, but ${safe(o.failure)}`),
    );
  }
  lines.push(...renderVerdicts(c, run, width));
  lines.push(`  trace hash ${run.result.hash}`);
  lines.push(`  replay     ${safe(replay, 4000)}`);
  return lines;
}

/** The bound a run cut by its time bound judges liveness by (PROTOCOL.md §3). */
function boundText(run: ScenarioRun): string {
  const b = run.livenessBound;
  return b.ms === null
    ? `no bound for a run cut short: ${b.why}`
    : `bound ${formatSpan(b.ms)} after the last fault, ${b.from}`;
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

const SHOWN_PER_GUARANTEE = 3;

/** One line per guarantee, its first witnesses under it, then what the scenario expected. */
export function renderVerdicts(c: ChalkInstance, run: ScenarioRun, width = 100): string[] {
  const lines = ['  guarantees'];
  for (const v of run.verdicts) {
    const name = GUARANTEE_NAMES[v.guarantee].padEnd(34);
    if (v.status === 'held') lines.push(c.green(`    ✓ ${name} held`));
    else if (v.status === 'not-judged')
      lines.push(c.dim(`    · ${name} not judged: ${safe(v.reason ?? '')}`));
    else {
      const count = counted(v.violations.length, v.informative ? 'finding' : 'violation');
      lines.push(
        (v.informative ? c.yellow : c.red.bold)(
          `    ${v.informative ? 'ℹ' : '✗'} ${name} ${count}`,
        ),
      );
      for (const w of v.violations.slice(0, SHOWN_PER_GUARANTEE)) {
        const ops = w.ops.length > 0 ? ` [ops ${w.ops.join(', ')}]` : '';
        const paint = v.informative ? c.yellow : c.red;
        for (const line of wrapWords(
          // A checker's sentence wraps over several lines: cut only what no reader needs.
          safe(`${w.sentence}${ops}`, WRAPPED_CHARS).split(' '),
          Math.max(20, width - 8),
        ))
          lines.push(paint(`        ${line}`));
      }
      if (v.violations.length > SHOWN_PER_GUARANTEE)
        lines.push(c.dim(`        … and ${v.violations.length - SHOWN_PER_GUARANTEE} more`));
      if (v.reason !== null) lines.push(c.dim(`        not judged beside these: ${v.reason}`));
    }
  }
  if (run.verdictFailures.length === 0) lines.push(c.green('    as the scenario expected'));
  for (const f of run.verdictFailures) lines.push(c.red.bold(`    ✗ not as expected: ${safe(f)}`));
  return lines;
}

/** Words joined into lines of at most `width` characters (a longer word stands alone). */
function wrapWords(words: readonly string[], width: number): string[] {
  const lines: string[] = [];
  for (const word of words) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last]!.length + 1 + word.length <= width) lines[last] += ` ${word}`;
    else lines.push(word);
  }
  return lines;
}
