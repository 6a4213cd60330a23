// Finds and loads scenario files: a path on the command line, a folder of them, or scenarios/.
// A file is imported in a worker thread bounded in time and memory, then checked by the scenario
// checker; any failure is the user's to mend, so it becomes a UsageError with one clear sentence.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { validateScenario } from '../scenario/check.ts';
import { clean, SAY, ScenarioError } from '../scenario/errors.ts';
import { LOAD_MEMORY_MB, LOAD_TIMEOUT_ENV, LOAD_TIMEOUT_MS } from '../scenario/limits.ts';
import type { Scenario } from '../scenario/types.ts';
import { UsageError } from './usage.ts';

export const SCENARIO_DIR = resolve(import.meta.dirname, '../../scenarios');

const WORKER = new URL('./load-worker.mjs', import.meta.url);

type WorkerAnswer =
  | { readonly ok: true; readonly value: unknown }
  | {
      readonly ok: false;
      readonly kind: 'import' | 'no-default' | 'not-data';
      readonly why: string;
    };

/** The load time limit: LOAD_TIMEOUT_MS, or the environment's KVSIM_LOAD_TIMEOUT_MS. */
function loadTimeoutMs(): number {
  const raw = process.env[LOAD_TIMEOUT_ENV];
  if (raw === undefined || raw === '') return LOAD_TIMEOUT_MS;
  if (!/^\d{1,7}$/.test(raw) || Number(raw) < 1 || Number(raw) > 3_600_000)
    throw new UsageError(SAY.badLoadTimeout(LOAD_TIMEOUT_ENV, raw));
  return Number(raw);
}

/** What the file default-exports, as plain data copied out of the worker. */
function importBounded(path: string, file: string): Promise<unknown> {
  const timeoutMs = loadTimeoutMs();
  return new Promise((resolveLoad, rejectLoad) => {
    const worker = new Worker(WORKER, {
      workerData: { url: pathToFileURL(path).href, path, file },
      resourceLimits: { maxOldGenerationSizeMb: LOAD_MEMORY_MB },
      // Whatever the file prints while it loads stays in the worker: stderr keeps its one line.
      stdout: true,
      stderr: true,
    });
    worker.stdout.resume();
    worker.stderr.resume();
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      outcome();
    };
    const refuse = (message: string) => settle(() => rejectLoad(new UsageError(message)));
    const timer = setTimeout(
      () => refuse(SAY.loadTimedOut(file, timeoutMs, LOAD_TIMEOUT_ENV)),
      timeoutMs,
    );
    worker.on('message', (answer: WorkerAnswer) => {
      if (answer.ok) settle(() => resolveLoad(answer.value));
      else if (answer.kind === 'no-default') refuse(SAY.inFile(file, SAY.noDefaultExport()));
      else if (answer.kind === 'not-data') refuse(SAY.inFile(file, SAY.notPlainData()));
      else refuse(SAY.loadFailed(file, answer.why));
    });
    worker.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'ERR_WORKER_OUT_OF_MEMORY')
        refuse(SAY.loadOutOfMemory(file, LOAD_MEMORY_MB));
      else refuse(SAY.loadFailed(file, error.message.split('\n')[0] ?? ''));
    });
    worker.on('exit', (code) =>
      refuse(SAY.loadFailed(file, `its import stopped (exit code ${code})`)),
    );
  });
}

export async function loadScenario(file: string): Promise<Scenario> {
  const path = resolve(file);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new UsageError(
      `no scenario file at '${file}'; list the scenarios with: npm run sim -- --list`,
    );
  }
  const exported = await importBounded(path, file);
  try {
    return validateScenario(exported);
  } catch (error) {
    if (error instanceof ScenarioError) throw new UsageError(SAY.inFile(file, error.message));
    throw error;
  }
}

/** The scenario files of a folder (scenarios/ when none is named), sorted, relative to here. */
export function scenarioFiles(dir: string = SCENARIO_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .sort()
    .map((f) => relative(process.cwd(), join(dir, f)));
}

/** The scenario files a `--list` names: each file as it is, each folder's .ts files. */
export function listedFiles(paths: readonly string[]): string[] {
  if (paths.length === 0) return scenarioFiles();
  return paths.flatMap((p) => {
    if (!existsSync(p))
      throw new UsageError(
        `no file or folder at '${clean(p)}'; --list takes scenario files or folders`,
      );
    return statSync(p).isDirectory() ? scenarioFiles(resolve(p)) : [p];
  });
}

export type Loaded =
  | { readonly file: string; readonly scenario: Scenario }
  | { readonly file: string; readonly error: string };

/** Loads many files a few at a time (each in its own bounded worker), answering in their order. */
export async function* loadEach(files: readonly string[], atOnce = 4): AsyncGenerator<Loaded> {
  const started: Promise<Loaded>[] = [];
  const start = (file: string) =>
    loadScenario(file).then(
      (scenario): Loaded => ({ file, scenario }),
      (error: unknown): Loaded => {
        if (error instanceof UsageError) return { file, error: error.message };
        throw error;
      },
    );
  for (let i = 0; i < Math.min(atOnce, files.length); i++) started.push(start(files[i]!));
  for (let i = 0; i < files.length; i++) {
    const next = i + atOnce;
    const loaded = await started[i]!;
    if (next < files.length) started.push(start(files[next]!));
    yield loaded;
  }
}
