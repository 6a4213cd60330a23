// A counterexample written as a scenario file a student can read: a Goal / Method / Expected
// header made from what the run showed, one step a line in the scenarios' own style, and an
// `expect` naming exactly the violations and findings seen, so that `npm run sim` on it exits 0.
// Files are created, never overwritten: a name that is taken gets a suffix.

import {
  constants,
  copyFileSync,
  linkSync,
  mkdtempSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { findings, GUARANTEE_NAMES, type GuaranteeId } from '../check/index.ts';
import type { Verdict } from '../check/types.ts';
import { makeFolders } from '../folders.ts';
import { counted, formatTime } from '../render/format.ts';
import { oneOfEachKind } from '../render/summary.ts';
import {
  type AnyScenario,
  type AnyStep,
  knobsText,
  type OpExpectation,
  type ReplyName,
  runScenario,
  type ScenarioRun,
} from '../scenario.ts';
import { holdSignals, removeOnEnd } from '../signals.ts';
import { STORES } from '../stores/index.ts';
import { runNumber } from './search.ts';

const SCENARIO_MODULE = resolve(import.meta.dirname, '../scenario.ts');

/** How far the case has come: as found, being shrunk, shrunk, or cut short (see CaseInfo's cut). */
export type CaseStage = 'found' | 'shrinking' | 'shrunk' | 'cut';

export interface CaseInfo {
  readonly scenario: AnyScenario;
  /** The command that searched, shown in the header. */
  readonly command: string;
  /** The search's seed and the global index of the run that broke a guarantee. */
  readonly seed: number;
  readonly run: number;
  readonly stage: CaseStage;
  /** The size of the run as found, for a shrunk case. */
  readonly foundSize?: { readonly ops: number; readonly faults: number } | undefined;
  /** For a case whose shrinking was cut: what cut it, and the budget and safety stop it had. */
  readonly cut?:
    | { readonly by: 'runs' | 'seconds'; readonly runs: number; readonly seconds: number }
    | undefined;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** Text safe inside a block comment: no star and slash that would end it, no control characters. */
export function commentSafe(text: string): string {
  return text.replace(/\*\//g, '* /').replace(CONTROL, '?');
}

/** A single-quoted TypeScript string literal. */
function quote(text: string): string {
  const escaped = text
    .replace(/[\\']/g, (c) => `\\${c}`)
    .replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `'${escaped}'`;
}

/** A value as TypeScript source on one line, keys bare where they can be. */
function literal(value: unknown): string {
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  const fields = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : quote(k)}: ${literal(v)}`);
  return fields.length === 0 ? '{}' : `{ ${fields.join(', ')} }`;
}

/**
 * An object's fields as TypeScript source in the scenarios' own style: a field a line, keys bare,
 * and the steps one a line (verify's counterexamples are written so).
 */
export function fieldLines(fields: object, run?: ScenarioRun): string[] {
  return Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .flatMap(([k, v]) =>
      k === 'steps' && Array.isArray(v)
        ? [
            '  steps: [',
            ...(run === undefined ? v.map((step) => `    ${literal(step)},`) : stepLines(v, run)),
            '  ],',
          ]
        : [`  ${k}: ${literal(v)},`],
    );
}

/**
 * The steps one a line, each operation with the expectation it met in `run` (what it must meet
 * again on replay) and, when it is a witness of a broken guarantee, a comment that says so.
 */
export function stepLines(steps: readonly AnyStep[], run: ScenarioRun): string[] {
  const witnesses = new Map<number, string[]>();
  for (const v of run.verdicts.filter((v) => !v.informative && v.status === 'broken'))
    for (const w of v.violations.slice(0, 1))
      for (const op of w.ops) witnesses.set(op, [...(witnesses.get(op) ?? []), v.guarantee]);
  let opId = 0;
  return steps.map((step) => {
    if (!isOp(step)) return `    ${literal(step)},`;
    opId++;
    const expect = expectationOf(run, opId);
    const line = `    ${literal(expect === undefined ? step : { ...step, expect })},`;
    const seen = witnesses.get(opId);
    // A sequential client busy at the step's time issues the operation once it is free: said, as
    // the case's sentences give the time it was issued, not the step's.
    const op = run.result.history.get(opId);
    const notes = [
      ...(op !== undefined && op.invokedAt > step.at
        ? [`issued at ${formatTime(op.invokedAt)}, when ${op.client} was free`]
        : []),
      ...(seen === undefined ? [] : [`witness of ${seen.join(', ')}`]),
    ];
    return notes.length === 0 ? line : `${line} // op ${opId}: ${notes.join('; ')}`;
  });
}

const isOp = (step: object) => 'client' in step;

/** A sentence's first letter in capitals, unless it starts with a node's name (c1, s2). */
const capital = (text: string) =>
  /^[a-z]+\d/.test(text) ? text : text.charAt(0).toUpperCase() + text.slice(1);

/** Where a labelled paragraph's text starts: after `Expected: ` (see `labelled`). */
export const LABEL_WIDTH = 10;

/**
 * A header's paragraph under its label (`Goal:`, `Method:`, `Expected:`), wrapped to fit a
 * comment line of 100 characters, each line after the first indented to the text's column.
 * explore's and verify's cases are written alike.
 */
export function labelled(label: string, text: string): string[] {
  const width = 100 - ' * '.length - LABEL_WIDTH;
  const words = commentSafe(text).split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line !== '' && line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line === '' ? w : `${line} ${w}`;
  }
  if (line !== '') lines.push(line);
  return lines.map((l, i) => `${(i === 0 ? label : '').padEnd(LABEL_WIDTH)}${l}`);
}

/** A labelled paragraph as comment lines. */
function wrap(label: string, text: string): string[] {
  return labelled(label, text).map((l) => ` * ${l}`);
}

/** The expectation a step's operation met in the run: what it must meet again on replay. */
function expectationOf(run: ScenarioRun, opId: number): OpExpectation | undefined {
  const op = run.result.history.get(opId);
  if (op === undefined) return undefined;
  if (op.completedAt === null) return { pending: true };
  if (op.reply === null) return undefined;
  // The run's own reply, so one the store sends: its name is in the store's vocabulary.
  const reply = op.reply as ReplyName;
  if (op.op === 'get') return { reply, value: op.result };
  return reply;
}

function settingsText(scenario: AnyScenario, run: ScenarioRun): string {
  const knobs = knobsText(scenario.knobs ?? {});
  const servers = run.topology.servers
    .map((s) =>
      s === run.topology.leader && run.topology.servers.length > 1 ? `${s} (leader)` : s,
    )
    .join(', ');
  const n = run.network;
  const delay =
    n.delayMinMs === n.delayMaxMs
      ? `every message takes ${n.delayMinMs} ms`
      : `a message takes ${n.delayMinMs}-${n.delayMaxMs} ms`;
  const spikes =
    n.spikePermille > 0 && n.spikeMs > 0
      ? ` (${n.spikePermille}‰ of them up to ${n.spikeMs} ms more)`
      : '';
  const clients = run.topology.clients;
  return (
    `The \`${run.preset}\` preset${knobs === '' ? '' : ` with ${knobs}`}; the ${run.store} store with ` +
    `${run.topology.servers.length === 1 ? 'server' : 'servers'} ${servers} and ` +
    `${clients.length === 1 ? 'client' : 'clients'} ${clients.join(', ')}; ${delay}${spikes}.`
  );
}

function stageText(info: CaseInfo): string {
  const found =
    info.foundSize === undefined
      ? 'the run as found'
      : `${counted(info.foundSize.ops, 'operation')} and ${counted(info.foundSize.faults, 'fault step')}`;
  switch (info.stage) {
    case 'found':
      return 'Not shrunk yet: this is the run as found.';
    case 'shrinking':
      return `Shrinking had not finished (from ${found}): the smallest case found so far.`;
    case 'shrunk':
      return `Shrunk from ${found}: taking out any one step, or any two, loses the violation.`;
    case 'cut':
      if (info.cut?.by === 'runs' && info.cut.runs === 0)
        return 'Not shrunk: shrinking was skipped (a budget of 0 replays), so every step of the run as found is kept.';
      return info.cut?.by === 'seconds'
        ? `Shrinking was cut by its safety stop of ${info.cut.seconds} s of wall-clock time before its budget of ${info.cut.runs} replays was spent (from ${found}): another machine may shrink this run further; \`--shrink-seconds N\` with a larger N lets it finish.`
        : `Shrinking spent its budget of ${info.cut?.runs ?? 'its'} replays (from ${found}): as far as it got, maybe not the smallest, and the same on any machine; \`--shrink-runs N\` with a larger N takes it further.`;
  }
}

/**
 * The flags that replay a case with every knob at its fixed value: `--preset fixed` alone keeps the
 * scenario's own knobs (as `npm run sim` reads them), so each one it flips is named back. None
 * when the case runs so already.
 */
function fixedFlags(
  scenario: AnyScenario,
  run: ScenarioRun,
): { preset: string | undefined; knobs: Record<string, string> } {
  const fixed = STORES[run.store].presets.fixed as Readonly<Record<string, unknown>>;
  const knobs: Record<string, string> = {};
  for (const [name, value] of Object.entries(scenario.knobs ?? {}))
    if (String(fixed[name]) !== String(value)) knobs[name] = String(fixed[name]);
  return { preset: run.preset === 'fixed' ? undefined : 'fixed', knobs };
}

/** What the same steps do with every knob at its fixed value: the flags, and what a run with them shows. */
function fixedText(scenario: AnyScenario, run: ScenarioRun): string {
  const { preset, knobs } = fixedFlags(scenario, run);
  const flipped = Object.entries(knobs).map(([k, v]) => `--knob ${k}=${v}`);
  if (preset === undefined && flipped.length === 0) return '';
  const fixed = runScenario(scenario, { preset, knobs, trace: false });
  const broken = fixed.verdicts.filter((v) => !v.informative && v.status === 'broken');
  const flags = [...(preset === undefined ? [] : [`--preset ${preset}`]), ...flipped].join(' ');
  const whose =
    flipped.length === 0
      ? ''
      : ` (${flipped.length === 1 ? 'its' : 'their'} value${flipped.length === 1 ? '' : 's'} in the \`fixed\` preset)`;
  const how = `Replayed with \`${flags}\`${whose}, the same steps`;
  return broken.length === 0
    ? ` ${how} keep every guarantee (sim then says the case's expected violation did not happen, and exits 1).`
    : ` ${how} still break ${broken.map((v) => GUARANTEE_NAMES[v.guarantee]).join(', ')}.`;
}

/**
 * What a case's replay shows, as its header's Expected paragraph says it: the checkers' sentences
 * for what broke (two a guarantee at most, of two kinds: s1 and s2 storing the same writes out of
 * order is said once), then each informative finding's, labelled as one (a finding fails no run,
 * and its sentence read like a violation's).
 */
export function expectedSentences(run: ScenarioRun): string[] {
  const sentences = (v: Verdict) => oneOfEachKind(v.violations, 2).map((w) => w.sentence);
  const broken = run.verdicts.filter((v) => v.status === 'broken');
  return [
    ...broken
      .filter((v) => !v.informative)
      .flatMap((v) => sentences(v).map((t) => `${capital(t)}.`)),
    ...broken
      .filter((v) => v.informative)
      .flatMap((v) =>
        sentences(v).map((t) => `A finding of ${GUARANTEE_NAMES[v.guarantee]}: ${t}.`),
      ),
  ];
}

/** The whole file: header, import, and the scenario with its expectations. */
export function caseText(info: CaseInfo, run: ScenarioRun, importFrom: string): string {
  const scenario = info.scenario;
  const broken = run.verdicts.filter((v) => !v.informative && v.status === 'broken');
  const found = findings(run.verdicts);
  const ops = scenario.steps.filter(isOp).length;
  const faults = scenario.steps.length - ops;
  const names = broken.map((v) => GUARANTEE_NAMES[v.guarantee]);
  const title = `${names.join(' and ')} broken — a random run found by \`npm run explore\``;
  const header = [
    '/*',
    ` * ${commentSafe(title)}.`,
    ' *',
    ...wrap(
      'Goal:',
      `See ${names.join(' and ')} break in ${info.stage === 'shrunk' ? 'a small run' : 'a run'} that the random search found: run ${runNumber(info.run)} of the search with --seed ${info.seed}, from \`${info.command}\`.`,
    ),
    ...wrap(
      'Method:',
      `${settingsText(scenario, run)} ${counted(ops, 'operation')} and ${counted(faults, 'fault step')}, one step a line below. ${stageText(info)}`,
    ),
    ...wrap('Expected:', `${expectedSentences(run).join(' ')}${fixedText(scenario, run)}`),
    ' */',
  ];
  const steps = stepLines(scenario.steps, run);
  const expect: Record<string, GuaranteeId[]> = { violations: broken.map((v) => v.guarantee) };
  if (found.length > 0) expect.findings = found;
  const fields = [
    `  goal: ${quote(`${names.join(' and ')} broken in a random run (search --seed ${info.seed}, run ${runNumber(info.run)})`)},`,
    `  store: ${quote(run.store)},`,
    `  preset: ${quote(run.preset)},`,
    ...(Object.keys(scenario.knobs ?? {}).length > 0
      ? [`  knobs: ${literal(scenario.knobs)},`]
      : []),
    `  servers: ${literal(run.topology.servers)},`,
    `  clients: ${literal(run.topology.clients)},`,
    `  network: ${literal(networkOf(scenario))},`,
    // Not the search's --seed, named in the goal: the one it drew for this run.
    `  seed: ${run.seed}, // this run's own seed, drawn by the search`,
    ...(scenario.runUntilMs === undefined ? [] : [`  runUntilMs: ${scenario.runUntilMs},`]),
    '  steps: [',
    ...steps,
    '  ],',
    `  expect: ${literal(expect)},`,
  ];
  return [
    ...header,
    '',
    `import type { Scenario } from ${quote(importFrom)};`,
    '',
    'export default {',
    ...fields,
    '} satisfies Scenario;',
    '',
  ].join('\n');
}

/** The scenario's network settings without the ones that are off. */
function networkOf(scenario: AnyScenario): Record<string, number | boolean> {
  const out: Record<string, number | boolean> = {};
  for (const [k, v] of Object.entries(scenario.network ?? {}))
    if (v !== 0 && v !== false && v !== undefined) out[k] = v as number | boolean;
  return out;
}

/** The import path of sim/scenario.ts as seen from a case in `dir`. */
export function importFrom(dir: string): string {
  const path = relative(resolve(dir), SCENARIO_MODULE).split('\\').join('/');
  return path.startsWith('.') ? path : `./${path}`;
}

/** A case's base name: store, preset, knobs and seed, in characters any file system takes. */
export function caseBaseName(
  store: string,
  preset: string,
  knobs: Readonly<Record<string, string | number>>,
  seed: number,
): string {
  const knobPart = Object.entries(knobs)
    .map(([k, v]) => `${k}-${v}`)
    .join('-')
    .replace(/[^A-Za-z0-9-]/g, '')
    .slice(0, 120);
  return `${store}-${preset}${knobPart === '' ? '' : `-${knobPart}`}-seed${seed}`;
}

/** Where a case's source names sim/scenario.ts, until it is placed in a folder. */
export const SCENARIO_IMPORT = '<sim/scenario.ts>';

/**
 * A case's source, its import of sim/scenario.ts still to be placed: the scenario runs once
 * more here to read its verdicts, so a worker thread makes it and the main thread only writes it.
 */
export function caseSource(info: CaseInfo): string {
  return caseText(info, runScenario(info.scenario, { trace: false }), SCENARIO_IMPORT);
}

/** The source as a file in `dir`: its import of sim/scenario.ts made relative to that folder. */
function placed(source: string, dir: string): string {
  return source.replace(quote(SCENARIO_IMPORT), quote(importFrom(dir)));
}

let temporaries = 0;

/**
 * Writes `text` to a new temporary file in `dir`, whole (a signal waits until it is: see
 * holdSignals), and hands its path to `place`, which moves it where it goes; the temporary file
 * never stays behind, whatever ends the command.
 */
function viaTemporary(dir: string, text: string, place: (temporary: string) => void): void {
  holdSignals();
  const temporary = join(dir, `.case.${process.pid}-${++temporaries}.tmp`);
  const removed = removeOnEnd(() => unlinkSync(temporary));
  try {
    writeFileSync(temporary, text, { flag: 'wx' });
    place(temporary);
  } finally {
    removed();
    rmSync(temporary, { force: true });
  }
}

/**
 * Creates `dir/base.ts`, or `base-2.ts`, `base-3.ts`, …: never a file that exists, and never a
 * part of one. The case is written whole under a temporary name first, then linked to the first
 * free name (a link, unlike a rename, never replaces a file that is there). On a file system
 * without hard links (a VirtualBox shared folder, a FAT stick), the temporary file is copied to
 * the name instead, a copy that fails when the name is taken.
 */
export function createCaseFile(dir: string, base: string, source: string): string {
  let path = '';
  viaTemporary(dir, placed(source, dir), (temporary) => {
    let put: (from: string, to: string) => void = linkSync;
    for (let n = 1; ; ) {
      path = join(dir, `${base}${n === 1 ? '' : `-${n}`}.ts`);
      try {
        put(temporary, path);
        return;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? '';
        // No hard links here: the same name again, by copy.
        if (put === linkSync && NO_LINKS.has(code)) put = copyOnce;
        else if (code !== 'EEXIST' || n >= 10_000) throw error;
        else n++;
      }
    }
  });
  return path;
}

/** What link(2) answers on a file system that has no hard links. */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

/** Copies `from` to a new file `to`; EEXIST when `to` exists (never written over). */
function copyOnce(from: string, to: string): void {
  copyFileSync(from, to, constants.COPYFILE_EXCL);
}

/** Replaces a case this search created, whole or not at all (a temporary file, then a rename). */
export function replaceCaseFile(path: string, source: string): void {
  viaTemporary(dirname(path), placed(source, dirname(path)), (temporary) =>
    renameSync(temporary, path),
  );
}

/**
 * Writes and rewrites one case; if its folder fails, the case goes to a temporary folder; if that
 * fails too, the case is kept here for the command to print (nothing found is lost).
 */
export class CaseWriter {
  /** Where the latest case written whole is (an earlier, larger one if the latest was not). */
  path: string | null = null;
  /** Why a folder would not take the case, once one has failed. */
  failure: string | null = null;
  /** The latest case, when no folder would take it: its source, to print. */
  unwritten: string | null = null;
  private fellBack = false;

  constructor(
    private readonly dir: string,
    private readonly base: string,
  ) {}

  /**
   * The first write creates the case, later ones replace it (a smaller case found by shrinking).
   * If the folder fails either time (full, made read-only under the search), the case goes to a
   * temporary folder from then on, and `failure` says why; the file already there stays whole.
   * If the temporary folder fails as well (one full disk), the case is left in `unwritten`.
   */
  write(source: string): void {
    this.unwritten = source;
    try {
      if (this.path !== null) replaceCaseFile(this.path, source);
      else {
        // One folder at a time: mkdir's recursive walk never ends on some paths (see folders.ts).
        makeFolders(this.dir);
        this.path = createCaseFile(this.dir, this.base, source);
      }
      this.unwritten = null;
      return;
    } catch (error) {
      if (this.fellBack) return;
      const kept = this.path === null ? '' : ` (the earlier case stays at ${this.path})`;
      this.failure = `cannot write a case into '${this.dir}': ${firstLine(error)}${kept}`;
    }
    this.fellBack = true;
    let dir: string | null = null;
    try {
      dir = mkdtempSync(join(tmpdir(), 'kvsim-case-'));
      this.path = createCaseFile(dir, this.base, source);
      this.unwritten = null;
    } catch (error) {
      if (dir !== null) rmSync(dir, { recursive: true, force: true });
      this.failure += `, nor into the temporary folder: ${firstLine(error)}`;
    }
  }

  /** The unwritten case as a file in the working folder would hold it. */
  unwrittenText(): string {
    return placed(this.unwritten ?? '', process.cwd());
  }
}

function firstLine(error: unknown): string {
  return (error as Error).message.split('\n')[0]!;
}
