// The command a run prints to be run again, built in one place: `npm run sim`'s replay line and
// the command `npm run live` was given, as their summaries print them and their traces save them
// in `replay`. `npm run view` builds the same line again from what it checks (vouch.ts), so each
// command has one builder.

import type { parseArgs } from 'node:util';
import { type Edit, editText } from '../lab/whatif.ts';
import { DEFAULT_FAULTS, FAULT_KINDS, type FaultKind } from '../live/runner.ts';
import { shellWord } from '../render/safe-text.ts';
import { replayCommand } from '../render/summary.ts';
import { CLUSTER_OPTIONS, clusterFromFlags, wholeNumber } from './cluster-flags.ts';
import { fromStdin, parseSeed, UsageError } from './usage.ts';

/** The file a replay command names for a scenario that came from stdin. */
export const PIPED_SAVED_AS = 'my-scenario.ts';

/** Before the command, for a scenario read from stdin: why it cannot run as it stands. */
export const FROM_STDIN = `the scenario came from stdin, which cannot be read again: save it to a file, e.g. ${PIPED_SAVED_AS}, then: `;

/**
 * What a live run cannot promise, said with every result. It ends in no parenthesis: the replay
 * line puts it in one, after the command.
 */
export const LIVE_CAVEAT =
  'a live run uses real time: the seed fixes the workload and the fault plan, not the timing, so rerunning it may not show the same history; to replay a case, use npm run sim or explore';

/** The caveat as live traces written before it was reworded carry it (its line ended in `))`). */
export const EARLIER_LIVE_CAVEAT =
  'a live run uses real time: the seed fixes the workload and the fault plan, not the timing, so rerunning it may not show the same history (use npm run sim or explore to replay a case)';

/** `npm run live`'s flags: what it parses, and what view reads a live trace's command with. */
export const LIVE_OPTIONS = {
  ...CLUSTER_OPTIONS,
  ops: { type: 'string' },
  keys: { type: 'string' },
  clients: { type: 'string' },
  faults: { type: 'string' },
  seed: { type: 'string' },
  'span-ms': { type: 'string' },
  'settle-ms': { type: 'string' },
  diagram: { type: 'boolean' },
  json: { type: 'string' },
  html: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The values parseArgs reads from live's flags. */
export type LiveValues = ReturnType<typeof parseArgs<{ options: typeof LIVE_OPTIONS }>>['values'];

/**
 * The run live's flags ask for, with live's defaults and ranges (a UsageError for a value out of
 * them): read by live to run it, and by view to tell whether a trace's command would run it.
 */
export function liveSettings(values: LiveValues) {
  const clientCount = wholeNumber(values.clients, '--clients', 3, 1, 20);
  const clients = Array.from({ length: clientCount }, (_, i) => `c${i + 1}`);
  const ops = wholeNumber(values.ops, '--ops', 60, 1, 10_000);
  return {
    clients,
    cluster: clusterFromFlags(values, clients, 'fixed'),
    ops,
    keys: wholeNumber(values.keys, '--keys', 2, 1, 9),
    seed: parseSeed(values.seed) ?? 1,
    spanMs: wholeNumber(
      values['span-ms'],
      '--span-ms',
      Math.max(300, Math.round((ops / clientCount) * 100)),
      1,
      600_000,
    ),
    settleMs: wholeNumber(values['settle-ms'], '--settle-ms', 15_000, 1, 600_000),
    faults: faultList(values.faults),
  };
}

/** The faults `--faults` names (live's default when none is given). */
function faultList(raw: string | undefined): FaultKind[] {
  if (raw === undefined) return [...DEFAULT_FAULTS];
  if (raw === 'none') return [];
  const kinds = raw.split(',').map((k) => k.trim());
  if (kinds.includes('none'))
    throw new UsageError(
      `--faults none stands alone: give none, or a list of faults (got '${raw}')`,
    );
  for (const k of kinds)
    if (!(FAULT_KINDS as readonly string[]).includes(k))
      throw new UsageError(
        `--faults takes ${FAULT_KINDS.join(', ')} or none, separated by commas (got '${k}')`,
      );
  return kinds as FaultKind[];
}

/** What a sim run's replay line says: the command line's own choices, as typed. */
export interface SimReplay {
  /** The scenario file as given (`-` or /dev/stdin: read from stdin). */
  readonly file: string;
  /** The seed of the run before any what-if. */
  readonly seed: number;
  /** `--preset`, when it was given. */
  readonly preset: string | undefined;
  /** Each `--knob name=value`, as typed. */
  readonly knobs: readonly string[];
  /** The what-if edits, in the order the run applied them. */
  readonly edits: readonly Edit[];
  /** Each bound flag given (`--max-events 10`), in BOUND_FLAGS' order: a bound can cut the run. */
  readonly bounds: readonly (readonly [BoundFlag, string])[];
  /**
   * The trace was only hashed (--quiet, no output): no bound on a trace kept cut it, as it would
   * cut the same run drawn, so the replay is quiet too.
   */
  readonly hashOnly?: boolean;
}

/** sim's flags that bound a run: the Bounds field each sets, and its unit. */
export const BOUND_FLAGS = [
  ['max-events', 'maxEvents', 1],
  ['max-queue', 'maxQueue', 1],
  ['max-trace-mb', 'maxTraceChars', 1_000_000],
  ['max-history', 'maxHistory', 1],
] as const;

export type BoundFlag = (typeof BOUND_FLAGS)[number][0];

/** What a bound flag takes: a whole number from 1 to 9999999999. */
export const BOUND_VALUE = /^[1-9]\d{0,9}$/;

/** `npm run sim`'s replay line: the command, after why it cannot run yet for a piped scenario. */
export function simReplay(r: SimReplay): string {
  const piped = fromStdin(r.file);
  const command = [
    replayCommand(piped ? PIPED_SAVED_AS : r.file, r, r.preset, r.knobs),
    ...r.bounds.map(([flag, value]) => `--${flag} ${value}`),
    ...r.edits.map((e) => `--what-if ${shellWord(editText(e))}`),
    ...(r.hashOnly === true ? ['--quiet'] : []),
  ].join(' ');
  return piped ? `${FROM_STDIN}${command}` : command;
}

/** The command `npm run live` was given, each word quoted for a shell. */
export function liveCommand(argv: readonly string[]): string {
  return ['npm run live --', ...argv.map(shellWord)].join(' ');
}

/** A live trace's `replay`: the command, then why running it again is no replay. */
export function liveReplay(argv: readonly string[]): string {
  return `${liveCommand(argv)}  (${LIVE_CAVEAT})`;
}
