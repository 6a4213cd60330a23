// The summary after a timeline: what ran (seed, preset, knobs), what happened (operations, how
// the run ended), whether the expectations were met, the trace hash, and how to replay it.

import type { ChalkInstance } from 'chalk';
import { GUARANTEE_NAMES } from '../check/index.ts';
import { expectationText, knobsText, type ScenarioRun } from '../scenario.ts';
import { formatSpan, formatTime } from './format.ts';
import { displayText as safe } from './safe-text.ts';

export function replayCommand(
  file: string,
  run: ScenarioRun,
  presetFlag: string | undefined,
  knobFlags: readonly string[],
): string {
  const parts = ['npm run sim --', file, '--seed', String(run.seed)];
  if (presetFlag !== undefined) parts.push('--preset', presetFlag);
  for (const k of knobFlags) parts.push('--knob', k);
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

export function renderSummary(
  c: ChalkInstance,
  run: ScenarioRun,
  replay: string,
  width = 100,
): string[] {
  const ops = run.result.history.operations;
  const pending = ops.filter((o) => o.completedAt === null).length;
  const lines = [
    c.bold('Summary'),
    `  seed       ${run.seed}`,
    `  preset     ${safe(run.preset)}`,
    ...wrapWords(safe(knobsText(run.knobs), 4000).split(' '), Math.max(20, width - 13)).map(
      (line, i) => `  ${i === 0 ? 'knobs' : ''.padEnd(5)}      ${line}`,
    ),
    `  operations ${ops.length} issued, ${ops.length - pending} completed, ${pending} pending`,
    `  run        ${ENDINGS[run.result.ending]} at ${formatTime(run.result.endedAt)}, ${run.result.events} events`,
    ...wrapWords(boundText(run).split(' '), Math.max(20, width - 13)).map(
      (line, i) => `  ${i === 0 ? 'liveness' : ''.padEnd(8)}   ${line}`,
    ),
  ];
  const judged = run.outcomes.filter((o) => o.expected !== undefined);
  const failed = judged.filter((o) => o.failure !== null);
  lines.push(`  expected   ${judged.length - failed.length} of ${judged.length} met`);
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
      const count = `${v.violations.length} ${v.informative ? 'finding' : 'violation'}${v.violations.length === 1 ? '' : 's'}`;
      lines.push(
        (v.informative ? c.yellow : c.red.bold)(
          `    ${v.informative ? 'ℹ' : '✗'} ${name} ${count}`,
        ),
      );
      for (const w of v.violations.slice(0, SHOWN_PER_GUARANTEE)) {
        const ops = w.ops.length > 0 ? ` [ops ${w.ops.join(', ')}]` : '';
        const paint = v.informative ? c.yellow : c.red;
        for (const line of wrapWords(
          safe(`${w.sentence}${ops}`).split(' '),
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
