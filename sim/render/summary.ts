// The summary after a timeline: what ran (seed, preset, knobs), what happened (operations, how
// the run ended), whether the expectations were met, the trace hash, and how to replay it.

import type { ChalkInstance } from 'chalk';
import { type ScenarioRun, expectationText, knobsText } from '../scenario.ts';
import { formatTime } from './format.ts';

export function replayCommand(file: string, run: ScenarioRun, presetFlag: string | undefined, knobFlags: readonly string[]): string {
  const parts = ['npm run sim --', file, '--seed', String(run.seed)];
  if (presetFlag !== undefined) parts.push('--preset', presetFlag);
  for (const k of knobFlags) parts.push('--knob', k);
  return parts.join(' ');
}

const ENDINGS = {
  quiescent: 'quiescent (no message or timer left)',
  'time-limit': 'stopped at the time bound with events still queued',
  'event-limit': 'stopped at the event bound',
  'queue-limit': 'stopped at the queue-size bound',
} as const;

export function renderSummary(c: ChalkInstance, run: ScenarioRun, replay: string): string[] {
  const ops = run.result.history.operations;
  const pending = ops.filter((o) => o.completedAt === null).length;
  const lines = [
    c.bold('Summary'),
    `  seed       ${run.seed}`,
    `  preset     ${run.preset}`,
    `  knobs      ${knobsText(run.knobs)}`,
    `  operations ${ops.length} issued, ${ops.length - pending} completed, ${pending} pending`,
    `  run        ${ENDINGS[run.result.ending]} at ${formatTime(run.result.endedAt)}, ${run.result.events} events`,
  ];
  const judged = run.outcomes.filter((o) => o.expected !== undefined);
  const failed = judged.filter((o) => o.failure !== null);
  lines.push(`  expected   ${judged.length - failed.length} of ${judged.length} met`);
  for (const o of judged) {
    const text = `step ${o.step}: ${o.label} → ${expectationText(o.expected!)}`;
    lines.push(o.failure === null ? c.green(`    ✓ ${text}`) : c.red.bold(`    ✗ ${text}, but ${o.failure}`));
  }
  lines.push(`  trace hash ${run.result.hash}`);
  lines.push(`  replay     ${replay}`);
  return lines;
}

export function runPassed(run: ScenarioRun): boolean {
  return run.outcomes.every((o) => o.failure === null) && (run.result.ending === 'quiescent' || run.result.ending === 'time-limit');
}
