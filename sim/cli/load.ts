// Finds and loads scenario files: a path on the command line, a folder of them, or scenarios/.
// A file is imported in a worker thread bounded in time and memory, then checked by the scenario
// checker; any failure is the user's to mend, so it becomes a UsageError with one clear sentence.

import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { isatty } from 'node:tty';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { shellWord } from '../render/safe-text.ts';
import { validateScenario } from '../scenario/check.ts';
import { clean, nearest, SAY, ScenarioError } from '../scenario/errors.ts';
import { LOAD_MEMORY_MB, LOAD_TIMEOUT_ENV, LOAD_TIMEOUT_MS } from '../scenario/limits.ts';
import type { Scenario } from '../scenario/types.ts';
import { removeOnEnd } from '../signals.ts';
import { fromStdin, readAtMost, SCENARIO_FILE, typedElsewhere, UsageError } from './usage.ts';

export const SCENARIO_DIR = resolve(import.meta.dirname, '../../scenarios');

const WORKER_URL = new URL('./load-worker.mjs', import.meta.url);

type WorkerAnswer = { readonly id: number } & (
  | { readonly ok: true; readonly value: unknown }
  | {
      readonly ok: false;
      readonly kind: 'import' | 'no-default' | 'not-data' | 'too-deep';
      readonly why: string;
    }
);

/** The load time limit: LOAD_TIMEOUT_MS, or the environment's KVSIM_LOAD_TIMEOUT_MS. */
function loadTimeoutMs(): number {
  const raw = process.env[LOAD_TIMEOUT_ENV];
  if (raw === undefined || raw === '') return LOAD_TIMEOUT_MS;
  if (!/^\d{1,7}$/.test(raw) || Number(raw) < 1 || Number(raw) > 3_600_000)
    throw new UsageError(SAY.badLoadTimeout(LOAD_TIMEOUT_ENV, raw));
  return Number(raw);
}

/**
 * One worker serves every load in turn: starting one (and tsx in it) costs about 190 ms of CPU, a
 * load in a warm one about 8 ms (CPU, medians of 11 loads of stale-read.ts). A load that breaks a
 * bound takes the worker down with it; the next load starts a fresh one. Idle, the worker does
 * not keep the process alive.
 */
let loader: Loader | null = null;
let queue: Promise<unknown> = Promise.resolve();
let nextId = 1;

interface Loader {
  readonly worker: Worker;
  /** Settles when the worker has tsx in hand and waits for files. */
  readonly ready: Promise<void>;
}

function startLoader(): Loader {
  const worker = new Worker(WORKER_URL, {
    resourceLimits: { maxOldGenerationSizeMb: LOAD_MEMORY_MB },
  });
  // A file may leave work behind that fails later, between loads: the next load starts afresh.
  const retire = () => {
    if (loader?.worker === worker) loader = null;
  };
  worker.on('error', retire).on('exit', retire);
  const ready = new Promise<void>((resolveReady, rejectReady) => {
    const onMessage = (m: { ready?: true }) => {
      if (m.ready !== true) return;
      worker.off('message', onMessage).off('error', rejectReady).off('exit', rejectReady);
      resolveReady();
    };
    worker.on('message', onMessage).on('error', rejectReady).on('exit', rejectReady);
  });
  return { worker, ready };
}

/** A file's size in bytes (0 when it cannot be read now). */
function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** What the file default-exports, as plain data copied out of the worker. */
function importBounded(path: string, file: string): Promise<unknown> {
  const timeoutMs = loadTimeoutMs();
  const turn = queue.then(() => importInWorker(path, file, timeoutMs));
  queue = turn.catch(() => undefined);
  return turn;
}

async function importInWorker(path: string, file: string, timeoutMs: number): Promise<unknown> {
  loader ??= startLoader();
  const current = loader;
  // Held while a load is under way; between loads the idle worker does not keep the process alive.
  current.worker.ref();
  try {
    await current.ready;
  } catch (error) {
    if (loader === current) loader = null;
    const why = error instanceof Error ? error.message : `it stopped (exit code ${String(error)})`;
    throw new UsageError(SAY.loadFailed(file, `the loader did not start: ${why}`));
  }
  const w = current.worker;
  const id = nextId++;
  return new Promise((resolveLoad, rejectLoad) => {
    const done = (outcome: () => void, broken: boolean) => {
      clearTimeout(timer);
      w.off('message', onMessage).off('error', onError).off('exit', onExit);
      w.unref();
      if (broken) {
        if (loader === current) loader = null;
        void w.terminate();
      }
      outcome();
    };
    const refuse = (message: string, broken = false) =>
      done(() => rejectLoad(new UsageError(message)), broken);
    const onMessage = (answer: WorkerAnswer) => {
      if (answer.id !== id) return;
      if (answer.ok) done(() => resolveLoad(answer.value), false);
      else if (answer.kind === 'no-default') refuse(SAY.inFile(file, SAY.noDefaultExport()));
      else if (answer.kind === 'not-data') refuse(SAY.inFile(file, SAY.notPlainData()));
      else if (answer.kind === 'too-deep') refuse(SAY.inFile(file, SAY.tooDeep()));
      else refuse(SAY.loadFailed(file, answer.why));
    };
    const onError = (error: Error & { code?: string }) => {
      if (error.code === 'ERR_WORKER_OUT_OF_MEMORY')
        refuse(SAY.loadOutOfMemory(file, LOAD_MEMORY_MB, sizeOf(path)), true);
      else refuse(SAY.loadFailed(file, error.message.split('\n')[0] ?? ''), true);
    };
    const onExit = (code: number) =>
      refuse(SAY.loadFailed(file, `its import stopped the loader (exit code ${code})`), true);
    const timer = setTimeout(
      () => refuse(SAY.loadTimedOut(file, timeoutMs, LOAD_TIMEOUT_ENV), true),
      timeoutMs,
    );
    w.on('message', onMessage).on('error', onError).on('exit', onExit);
    w.postMessage({ id, url: pathToFileURL(path).href, path, file });
  });
}

/** The largest scenario read from stdin, in bytes: ten times a file of 100,000 steps. */
const MAX_STDIN_BYTES = 64 * 1024 * 1024;

/**
 * What a scenario piped in default-exports: its text is saved to a file of its own in the
 * temporary folder (a .json one when it opens with '{'), loaded as a file is, then removed.
 */
async function importStdin(file: string): Promise<unknown> {
  if (isatty(0))
    throw new UsageError(
      `'${file}' is the terminal: pipe a scenario in (npm run sim -- - < my-scenario.ts) or name a scenario file`,
    );
  // Stdin's writer was there when the command started: its end of file is the end.
  const text = readAtMost(0, MAX_STDIN_BYTES);
  if (text === null)
    throw new UsageError(
      `'${file}' holds more than ${MAX_STDIN_BYTES >> 20} MB: no scenario is that large`,
    );
  if (text.trim() === '')
    throw new UsageError(
      `'${file}' is empty; pipe a scenario in, e.g. npm run sim -- - < scenarios/stale-read.ts`,
    );
  let dir: string | null = null;
  const remove = () => {
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
  };
  // Ctrl-C or kill while the file loads (a loop at import may take the whole time limit): the
  // folder goes before the signal ends the command, as on every other way out. The listeners
  // are in place before the folder exists: a signal between the two would end the command by
  // default and leave the folder behind.
  const removed = removeOnEnd(remove);
  try {
    dir = mkdtempSync(join(tmpdir(), 'kvsim-stdin-'));
    const path = join(dir, /^\s*\{/.test(text) ? 'scenario.json' : 'scenario.ts');
    writeFileSync(path, text);
    return await importBounded(path, file);
  } finally {
    removed();
    remove();
  }
}

export async function loadScenario(file: string): Promise<Scenario> {
  const exported = fromStdin(file) ? await importStdin(file) : await importNamed(file);
  if (isTrace(exported)) throw new UsageError(SAY.aTrace(file));
  // A file with no export at all, loaded as CommonJS outside a module package, gives an empty object.
  if (isEmptyObject(exported)) throw new UsageError(SAY.inFile(file, SAY.noDefaultExport()));
  try {
    return validateScenario(exported);
  } catch (error) {
    if (error instanceof ScenarioError) throw new UsageError(SAY.inFile(file, error.message));
    throw error;
  }
}

/** What a scenario file named on the command line default-exports. */
async function importNamed(file: string): Promise<unknown> {
  // resolve('') is this folder: an empty word would be called a folder.
  if (file.trim() === '')
    throw new UsageError(
      `the scenario file's name is empty ('${file}'); name one, e.g. scenarios/stale-read.ts, or list them with: npm run sim -- --list`,
    );
  const path = resolve(file);
  if (existsSync(path) && statSync(path).isDirectory()) throw new UsageError(SAY.aFolder(file));
  if (!existsSync(path)) {
    const there = typedElsewhere(file);
    if (there !== null)
      throw new UsageError(
        `no scenario file at '${clean(file)}' in ${clean(process.cwd())}, where npm runs the command when started from outside it: write the whole path, ${shellWord(clean(there))}`,
      );
    const near = nearestFile(file);
    if (near !== null)
      throw new UsageError(
        `no scenario file at '${clean(file)}'; did you mean ${shellWord(clean(near))}? (npm run sim -- --list lists the scenarios)`,
      );
    throw new UsageError(SAY.noFile(file));
  }
  if (!statSync(path).isFile())
    throw new UsageError(
      `'${clean(file)}' is not a file (a device or a pipe); name a scenario file, or list them with: npm run sim -- --list`,
    );
  // Only what the loader can import: 'Unknown file extension ".txt"' said less.
  if (!SCENARIO_FILE.test(path))
    throw new UsageError(
      `'${clean(file)}' is not a scenario file: a scenario is a .ts file (or .js, .mjs, .json) ending in export default { goal, steps: [...] }`,
    );
  return importBounded(path, file);
}

/** The scenario file beside a mistyped name that it is nearest to (two-reader.ts: two-readers.ts). */
function nearestFile(file: string): string | null {
  let names: string[];
  try {
    names = readdirSync(resolve(dirname(file))).filter((n) => SCENARIO_FILE.test(n));
  } catch {
    return null;
  }
  const near = nearest(basename(file), names);
  return near === null ? null : join(dirname(file), near);
}

function isEmptyObject(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.getPrototypeOf(value) === Object.prototype &&
    Object.keys(value).length === 0
  );
}

/** A document `npm run sim -- … --json` wrote, which is `npm run view`'s to read. */
function isTrace(exported: unknown): boolean {
  const schema = (exported as { schema?: unknown } | null)?.schema;
  return typeof schema === 'string' && schema.startsWith('kvsim-trace/');
}

/**
 * The scenario files of a folder (scenarios/ when none is named), sorted, relative to here: every
 * kind `sim` runs (.ts, .js, .mjs, .json, …), but a declaration file (.d.ts) and a trace that
 * `sim --json` saved there (a .json for `npm run view`, not a scenario).
 */
export function scenarioFiles(dir: string = SCENARIO_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => SCENARIO_FILE.test(f) && !/\.d\.[cm]?ts$/.test(f))
    .filter((f) => !f.endsWith('.json') || !isTraceFile(join(dir, f)))
    .sort()
    .map((f) => relative(process.cwd(), join(dir, f)));
}

/** A file that begins as a saved trace does (`{ "schema": "kvsim-trace/…`), read no further. */
function isTraceFile(path: string): boolean {
  let fd: number | undefined;
  try {
    // A pipe or a device is no trace: opening one could wait for a writer for ever.
    if (!statSync(path).isFile()) return false;
    fd = openSync(path, 'r');
    const head = Buffer.alloc(256);
    const n = readSync(fd, head, 0, head.length, 0);
    return /^\s*\{\s*"schema"\s*:\s*"kvsim-trace\//.test(head.toString('utf8', 0, n));
  } catch {
    // Not readable as a file: the loader says why when it is listed.
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The scenario files a `--list` names: each file as it is, each folder's scenario files. A
 * folder's file whose text never says `goal` (a config, a script) is not a scenario and is not
 * imported, which would run it: `--list .` in a project lists, it does not execute its tools.
 */
export function listedFiles(
  paths: readonly string[],
): { readonly file: string; readonly scenario: boolean }[] {
  const named = (file: string) => ({ file, scenario: true });
  const inFolder = (file: string) => ({ file, scenario: mentionsGoal(file) });
  if (paths.length === 0) return scenarioFiles().map(inFolder);
  return paths.flatMap((p) => {
    if (!existsSync(p)) throw new UsageError(SAY.noListPath(p));
    return statSync(p).isDirectory() ? scenarioFiles(resolve(p)).map(inFolder) : [named(p)];
  });
}

/** The largest file read whole to look for `goal`; a larger one is taken as a scenario. */
const GOAL_SCAN_BYTES = 8 * 2 ** 20;

function mentionsGoal(path: string): boolean {
  try {
    // A pipe or a device (its size reads 0) is not read here, where /dev/zero would be read for
    // ever and a pipe wait for its writer: listed, the loader says it is no file.
    const stat = statSync(path);
    if (!stat.isFile() || stat.size > GOAL_SCAN_BYTES) return true;
    return readFileSync(path, 'utf8').includes('goal');
  } catch {
    // Not readable: the loader says why when it is listed.
    return true;
  }
}

export type Loaded =
  | { readonly file: string; readonly scenario: Scenario }
  | { readonly file: string; readonly error: string };

/** Loads each file in turn, a failure as its sentence rather than a stop. */
export async function* loadEach(files: readonly string[]): AsyncGenerator<Loaded> {
  for (const file of files) {
    try {
      yield { file, scenario: await loadScenario(file) };
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      yield { file, error: error.message };
    }
  }
}
