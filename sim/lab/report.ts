// The terminal's account of a what-if: the edit in words, where the two runs part, the events only
// one of them has, and every verdict and expectation that changed, with the witnesses' sentences.

import { Chalk, type ChalkInstance } from 'chalk';
import { GUARANTEE_NAMES } from '../check/index.ts';
import { textWidth } from '../render/diagram.ts';
import { formatTime } from '../render/format.ts';
import { logLine } from '../render/log.ts';
import { displayText, WRAPPED_CHARS } from '../render/safe-text.ts';
import { field, hanging } from '../render/summary.ts';
import {
  againText,
  type DiffEvent,
  foldStorms,
  partsAt,
  type RunDiff,
  stepName,
  type Tone,
  type WhatIf,
} from './whatif.ts';

/** Events listed per side; the rest are counted. */
const SHOWN_EVENTS = 12;

const PLAIN = new Chalk({ level: 0 });

/**
 * An event as `--view log` writes it, after `first`: whole and in colour when it fits the width,
 * else wrapped under itself (the log's own colours give way to the line's).
 */
function eventLines(
  c: ChalkInstance,
  first: string,
  e: DiffEvent | null,
  width: number,
  again = '',
): string[] {
  if (e === null) return [];
  const plain = `${logLine(PLAIN, e.event, new Set())?.trimStart() ?? ''}${again}`;
  if (textWidth(first) + textWidth(plain) <= width)
    return [`${first}${logLine(c, e.event, new Set())?.trimStart() ?? ''}${again}`];
  return hanging(first, plain, width, textWidth(first));
}

function side(
  c: ChalkInstance,
  mark: string,
  events: readonly DiffEvent[],
  width: number,
): string[] {
  // A storm is one line with its count, as the diagram draws it.
  const folded = foldStorms(events);
  const lines = folded
    .slice(0, SHOWN_EVENTS)
    .flatMap((line) => eventLines(c, `    ${mark} `, line.first, width, againText(line)));
  if (folded.length > SHOWN_EVENTS)
    lines.push(c.dim(`    … and ${folded.length - SHOWN_EVENTS} more`));
  return lines;
}

/** The what-if's account, each line within `width` columns (as the summary under it). */
export function renderWhatIf(c: ChalkInstance, w: WhatIf, diff: RunDiff, width = 100): string[] {
  const lines = [c.bold('What if')];
  for (const text of w.described) lines.push(...field('edit', displayText(text), width));
  for (const text of w.moved) lines.push(...field('moved', displayText(text), width));
  lines.push(`  base run   trace hash ${diff.baseHash}`);
  lines.push(`  edited run trace hash ${diff.editedHash}`);
  lines.push(...divergenceLines(c, diff, width));
  lines.push(...changeLines(c, diff, width));
  return lines;
}

function divergenceLines(c: ChalkInstance, diff: RunDiff, width: number): string[] {
  const d = diff.divergence;
  if (d === null)
    return hanging(
      '  ',
      'the two runs do not differ: the edit changed nothing that happened',
      width,
      2,
    );
  const lines = [`  first divergence at ${formatTime(partsAt(d))}`];
  if (d.base === null) lines.push(`    was ${c.dim('(the base run had ended)')}`);
  else lines.push(...eventLines(c, '    was ', d.base, width));
  if (d.edited === null) lines.push(`    now ${c.dim('(the edited run had ended)')}`);
  else lines.push(...eventLines(c, '    now ', d.edited, width));
  const counts = `${diff.onlyBase.length} only in the base run (-), ${diff.onlyEdited.length} only in the edited run (+)`;
  lines.push(...hanging('  ', `events that differ: ${counts}`, width, 4));
  lines.push(
    ...side(c, c.red('-'), diff.onlyBase, width),
    ...side(c, c.green('+'), diff.onlyEdited, width),
  );
  return lines;
}

/** How the terminal paints a change by its tone: as the page's lab colours it. */
const TONES = (c: ChalkInstance): Record<Tone, (text: string) => string> => ({
  better: c.green,
  worse: c.red.bold,
  finding: c.yellow,
});

function changeLines(c: ChalkInstance, diff: RunDiff, width: number): string[] {
  const lines: string[] = [];
  // Each line wrapped to the width, then painted (a wrapped line keeps its colour).
  const add = (paint: (text: string) => string, first: string, text: string, indent: number) =>
    lines.push(
      ...hanging(first, displayText(text, WRAPPED_CHARS), width, indent).map((l) => paint(l)),
    );
  if (diff.verdicts.length === 0) lines.push('  verdicts   none changed');
  else lines.push('  verdicts that changed');
  for (const v of diff.verdicts) {
    const paint = TONES(c)[v.tone];
    add(paint, '    ', `${GUARANTEE_NAMES[v.guarantee]}: ${v.was} → ${v.now}`, 6);
    const run = v.witnessRun === 'base' ? 'the base run' : 'the edited run';
    for (const s of v.witnesses.slice(0, 3)) add(c.dim, '        ', `(${run}) ${s}`, 8);
  }
  if (diff.expectations.length === 0) lines.push('  expectations none changed');
  else lines.push('  expectations that changed');
  for (const x of diff.expectations) {
    const line = `${stepName(x)}: ${x.label} → ${x.expected}: ${x.was} → ${x.now}; ${x.why}`;
    add(TONES(c)[x.tone], '    ', line, 6);
  }
  const was = diff.unmet.was.length === 0 ? 'as expected' : diff.unmet.was.join('; ');
  const now = diff.unmet.now.length === 0 ? 'as expected' : diff.unmet.now.join('; ');
  if (was !== now)
    add(TONES(c)[diff.unmet.tone], '  ', `the scenario's verdicts: ${was} → ${now}`, 4);
  return lines;
}
