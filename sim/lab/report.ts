// The terminal's account of a what-if: the edit in words, where the two runs part, the events only
// one of them has, and every verdict and expectation that changed, with the witnesses' sentences.

import type { ChalkInstance } from 'chalk';
import { GUARANTEE_NAMES } from '../check/index.ts';
import { formatTime } from '../render/format.ts';
import { logLine } from '../render/log.ts';
import type { DiffEvent, RunDiff, WhatIf } from './whatif.ts';

/** Events listed per side; the rest are counted. */
const SHOWN_EVENTS = 12;

function eventLine(c: ChalkInstance, e: DiffEvent): string {
  return logLine(c, e.event, new Set())?.trimStart() ?? '';
}

function side(c: ChalkInstance, mark: string, events: readonly DiffEvent[]): string[] {
  const lines = events.slice(0, SHOWN_EVENTS).map((e) => `    ${mark} ${eventLine(c, e)}`);
  if (events.length > SHOWN_EVENTS)
    lines.push(c.dim(`    … and ${events.length - SHOWN_EVENTS} more`));
  return lines;
}

export function renderWhatIf(c: ChalkInstance, w: WhatIf, diff: RunDiff): string[] {
  const lines = [c.bold('What if')];
  for (const text of w.described) lines.push(`  edit       ${text}`);
  lines.push(`  base run   trace hash ${diff.baseHash}`);
  lines.push(`  edited run trace hash ${diff.editedHash}`);
  lines.push(...divergenceLines(c, diff));
  lines.push(...changeLines(c, diff));
  return lines;
}

function divergenceLines(c: ChalkInstance, diff: RunDiff): string[] {
  const d = diff.divergence;
  if (d === null) return ['  the two runs do not differ: the edit changed nothing that happened'];
  // The earlier of the two: an edit may make something happen sooner than before.
  const at = Math.min(d.base?.event.t ?? Infinity, d.edited?.event.t ?? Infinity);
  const lines = [`  first divergence at ${formatTime(at)}`];
  lines.push(
    `    was ${d.base === null ? c.dim('(the base run had ended)') : eventLine(c, d.base)}`,
  );
  lines.push(
    `    now ${d.edited === null ? c.dim('(the edited run had ended)') : eventLine(c, d.edited)}`,
  );
  const counts = `${diff.onlyBase.length} only in the base run (-), ${diff.onlyEdited.length} only in the edited run (+)`;
  lines.push(`  events that differ: ${counts}`);
  lines.push(...side(c, c.red('-'), diff.onlyBase), ...side(c, c.green('+'), diff.onlyEdited));
  return lines;
}

function changeLines(c: ChalkInstance, diff: RunDiff): string[] {
  const lines: string[] = [];
  if (diff.verdicts.length === 0) lines.push('  verdicts   none changed');
  else lines.push('  verdicts that changed');
  for (const v of diff.verdicts) {
    const paint = v.now.startsWith('broken') ? c.red.bold : v.now === 'held' ? c.green : c.yellow;
    lines.push(paint(`    ${GUARANTEE_NAMES[v.guarantee]}: ${v.was} -> ${v.now}`));
    const run = v.witnessRun === 'base' ? 'the base run' : 'the edited run';
    for (const s of v.witnesses.slice(0, 3)) lines.push(c.dim(`        (${run}) ${s}`));
  }
  if (diff.expectations.length === 0) lines.push('  expectations none changed');
  else lines.push('  expectations that changed');
  for (const x of diff.expectations) {
    const paint = x.now === 'met' ? c.green : c.red.bold;
    lines.push(paint(`    step ${x.step}: ${x.label} → ${x.expected}: ${x.was} -> ${x.now}`));
  }
  const was = diff.unmet.was.length === 0 ? 'as expected' : diff.unmet.was.join('; ');
  const now = diff.unmet.now.length === 0 ? 'as expected' : diff.unmet.now.join('; ');
  if (was !== now) lines.push(`  the scenario's verdicts: ${was} -> ${now}`);
  return lines;
}
