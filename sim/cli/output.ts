// Output files are written whole or not at all, never over an input, and never over a file that
// kvsim did not write: every output path is checked before anything runs (against the inputs by
// real path and inode, against the other outputs, and an existing file by its first bytes), and
// each file is written beside its target under a temporary name, then renamed.

import {
  accessSync,
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  fsyncSync,
  lstatSync,
  openSync,
  readlinkSync,
  readSync,
  realpathSync,
  renameSync,
  type Stats,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { isatty } from 'node:tty';
import { unwritableFolder } from '../folders.ts';
import { temporaryBeside } from '../render/json-file.ts';
import { escapeControls } from '../render/safe-text.ts';
import { holdSignals, removeOnEnd } from '../signals.ts';
import { pause, UsageError, waitOnPipe } from './usage.ts';

/** A file the command reads: it must survive whatever the command writes. */
export interface Input {
  /** In words, for the refusal: `the scenario file`, `the trace being read`. */
  readonly what: string;
  readonly path: string;
}

/** A file the command will write: `flag` names it in messages (`--json`, `the page`). */
export interface OutputRequest {
  readonly flag: string;
  readonly path: string;
  /** A file name to suggest when the path is unusable: `run.json`. */
  readonly example: string;
  /**
   * What the command writes there. An existing file is then replaced only when it is one of
   * kvsim's own of that kind (a trace, a page): a typo must not cost someone their notes.
   */
  readonly kind?: OutputKind;
}

export type OutputKind = 'trace' | 'page';

/** How each kind of output begins (within its first few KB), and its name in a refusal. */
const OWN: Record<OutputKind, { readonly mark: RegExp; readonly name: string }> = {
  trace: { mark: /^\s*\{\s*"schema"\s*:\s*"kvsim-trace\//, name: 'a kvsim trace' },
  page: { mark: /^<!doctype html>[\s\S]*<title>kvsim — /, name: 'a kvsim page' },
};

/** The first bytes of a file, as text (enough to hold a page's head). */
function head(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const bytes = Buffer.alloc(4096);
    return bytes.toString('utf8', 0, readSync(fd, bytes, 0, bytes.length, 0));
  } finally {
    closeSync(fd);
  }
}

export interface PlannedOutput {
  readonly flag: string;
  /** As the user gave it, for messages. */
  readonly path: string;
  /** Where the bytes go: the real path (a symbolic link is followed, so the link survives). */
  readonly target: string;
  /** A device or a pipe that exists already: written in place, since it cannot be renamed over. */
  readonly inPlace: boolean;
  /** A named pipe: its reader may not be there yet. */
  readonly fifo: boolean;
  /** The mode of the file it replaces, kept on the new one. */
  readonly mode: number | null;
}

interface Identity {
  /** The real path, or for a file not there yet its real directory joined with its name. */
  readonly real: string;
  readonly stat: Stats | null;
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

function fstatOrNull(fd: number): Stats | null {
  try {
    return fstatSync(fd);
  } catch {
    return null;
  }
}

function identify(path: string): Identity | null {
  const stat = statOrNull(path);
  try {
    if (stat !== null) return { real: realpathSync(path), stat };
    return { real: join(realpathSync(dirname(resolve(path))), basename(path)), stat: null };
  } catch {
    return null;
  }
}

function sameFile(a: Identity, b: Identity): boolean {
  if (a.real === b.real) return true;
  // A hard link or another mount of the same file: the inode says so when both exist.
  return (
    a.stat !== null && b.stat !== null && a.stat.dev === b.stat.dev && a.stat.ino === b.stat.ino
  );
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * A folder that cases are written into (explore's, verify's) must be a folder that can be written,
 * or a path where one can be made: checked before the search, so that no finding is lost to it.
 * The check makes the folders and a file as writing a case would, then removes them: nothing is
 * left of it, and no folder is made for a search that finds nothing. `mend` ends the refusal: how
 * to choose another.
 */
export function checkCaseFolder(dir: string, mend: string): void {
  const why = unwritableFolder(dir);
  if (why !== null) throw new UsageError(`cannot write cases into '${dir}': ${why}; ${mend}`);
}

/** The folder `--out` names for cases (cases/ when not given), checked before any search. */
export function caseFolder(out: string | undefined): string {
  const dir = out ?? 'cases';
  // An empty name passes for this folder when checked, then names no folder when a case is written.
  if (dir === '') throw new UsageError(`--out needs a folder's name (got ''), e.g. --out cases`);
  checkCaseFolder(dir, 'choose a folder with --out DIR');
  return dir;
}

/**
 * Where an output path that names no file would be made: the path itself, or, for a symbolic link
 * to a file not yet there, the end of its links (each read from the folder it is in).
 */
function linkEnd({ flag, path, example }: OutputRequest): string {
  let at = path;
  // Linux follows at most 40 links in a path.
  for (let hops = 0; hops <= 40; hops++) {
    let link: string;
    try {
      if (!lstatSync(at).isSymbolicLink()) return at;
      link = readlinkSync(at);
    } catch {
      return at;
    }
    at = resolve(dirname(at), link);
  }
  throw new UsageError(
    `${flag} '${path}' is a loop of symbolic links: name a file, e.g. ${flag} ${example}`,
  );
}

/** Checks one output path; the refusal says what is wrong and what to do instead. */
function checkOutput(out: OutputRequest): { identity: Identity; planned: PlannedOutput } {
  const { flag, path, example } = out;
  if (path === '') throw new UsageError(`${flag} needs a file name, e.g. ${flag} ${example}`);
  // `-` reads stdin where a file is read; as an output it would be a file named '-' that
  // `npm run view -- -` then does not read. stdout is refused anyway: the summary goes there.
  if (path === '-')
    throw new UsageError(
      `${flag} '-' would write a file named '-', not stdout, where this command's output goes, the summary too: name a file, e.g. ${flag} ${example} (./- if you mean a file named '-')`,
    );
  const stat = statOrNull(path);
  if (stat?.isDirectory() === true || path.endsWith(sep) || path.endsWith('/')) {
    throw new UsageError(
      `${flag} '${path}' is a directory; name a file in it, e.g. ${flag} ${join(path, example)}`,
    );
  }
  // A symbolic link to no file yet is followed, as one to a file is: the file is made at its end.
  const named = stat === null ? linkEnd(out) : path;
  const dir = dirname(resolve(named));
  if (statOrNull(dir)?.isDirectory() !== true) {
    throw new UsageError(
      `${flag} '${path}': the directory '${dirname(named)}' does not exist; create it first (mkdir -p ${dirname(named)})`,
    );
  }
  // The command's own output (/dev/stdout, or the file stdout is sent to): the summary goes there too.
  // (A device such as /dev/null may take both.)
  const stdout = fstatOrNull(1);
  const shared =
    stat !== null && stdout !== null && stat.dev === stdout.dev && stat.ino === stdout.ino;
  if (shared && (!stat.isCharacterDevice() || isatty(1)))
    throw new UsageError(
      `${flag} '${path}' is where this command's output goes, the summary too: name a file of its own, e.g. ${flag} ${example}`,
    );
  const identity = identify(named);
  if (identity === null) throw new UsageError(`${flag} '${path}' cannot be resolved to a file`);
  const inPlace = stat !== null && !stat.isFile();
  // A device or a pipe is opened by the name given: /dev/fd/N's real path is no file at all.
  const target = inPlace ? resolve(path) : identity.real;
  const targetDir = dirname(identity.real);
  if (!inPlace && !writable(targetDir)) {
    throw new UsageError(`${flag} '${path}': cannot write in '${targetDir}' (permission denied)`);
  }
  if (stat !== null && !writable(target)) {
    throw new UsageError(`${flag} '${path}' is read-only; remove it or name another file`);
  }
  const mode = stat?.isFile() === true ? stat.mode & 0o7777 : null;
  const fifo = stat?.isFIFO() === true;
  return { identity, planned: { flag, path, target, inPlace, fifo, mode } };
}

/** An existing file the output would replace must be one kvsim wrote, of the output's kind. */
function refuseForeign(out: OutputRequest, identity: Identity): void {
  const stat = identity.stat;
  if (out.kind === undefined || stat === null || !stat.isFile() || stat.size === 0) return;
  const own = OWN[out.kind];
  const found = ownKindOf(head(identity.real));
  if (found === out.kind) return;
  // Another of kvsim's outputs (a page where a trace would go): said so, not called foreign.
  const is = found === null ? `is not ${own.name}` : `is ${OWN[found].name}, not ${own.name}`;
  throw new UsageError(
    `${out.flag} '${out.path}' already exists and ${is}: name a new file, e.g. ${out.flag} ${out.example}, or delete it first to replace it`,
  );
}

/** Which of kvsim's outputs a file's first few KB begin (a trace, a page), or null for none. */
export function ownKindOf(opening: string): OutputKind | null {
  for (const kind of ['trace', 'page'] as const) if (OWN[kind].mark.test(opening)) return kind;
  return null;
}

/**
 * Checks every output before the command does any work: each must be a file that can be written,
 * none may be one of the inputs (by any spelling, link or hard link), and no two may be the same.
 */
export function planOutputs(
  inputs: readonly Input[],
  outputs: readonly OutputRequest[],
): PlannedOutput[] {
  const checked = outputs.map(checkOutput);
  const read = inputs.flatMap((input) => {
    const identity = identify(input.path);
    return identity === null ? [] : [{ input, identity }];
  });
  checked.forEach(({ identity, planned }, k) => {
    for (const { input, identity: inputId } of read) {
      if (sameFile(identity, inputId)) {
        throw new UsageError(
          `${planned.flag} '${planned.path}' is ${input.what} ('${input.path}'): writing it would destroy it; name another file, e.g. ${planned.flag} ${outputs[k]!.example}`,
        );
      }
    }
    for (const other of checked.slice(0, k)) {
      if (sameFile(identity, other.identity)) {
        throw new UsageError(
          `${other.planned.flag} and ${planned.flag} both name '${planned.path}': give each its own file`,
        );
      }
    }
  });
  // Last, so that an output naming an input is told so: that is the more telling refusal.
  for (const [k, out] of outputs.entries()) refuseForeign(out, checked[k]!.identity);
  return checked.map((c) => c.planned);
}

let temporaries = 0;

/**
 * A file being written: chunks go to a temporary file beside the target, and `commit` renames it
 * over the target in one step, so a reader (or a crash) sees the old file or the whole new one.
 * A write that fails removes the temporary file and leaves the target as it was.
 */
export class WholeFile {
  private readonly fd: number;
  private readonly temporary: string | null;
  private done = false;
  /** Stops owing the temporary file's removal to a signal or an exit: it is renamed, or gone. */
  private settled: () => void = () => undefined;

  constructor(private readonly out: PlannedOutput) {
    try {
      if (out.inPlace) {
        this.temporary = null;
        this.fd = out.fifo ? openPipe(out) : openSync(out.target, 'w');
        return;
      }
      this.temporary = temporaryBeside(out.target, `${process.pid}-${++temporaries}`);
      holdSignals();
      this.fd = openSync(this.temporary, 'wx', 0o666);
      this.settled = removeOnEnd(() => this.abort());
      if (out.mode !== null) fchmodSync(this.fd, out.mode);
    } catch (error) {
      throw this.failure(error);
    }
  }

  write(chunk: string | Uint8Array): void {
    try {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      let written = 0;
      while (written < bytes.length) {
        try {
          written += writeSync(this.fd, bytes, written, bytes.length - written);
        } catch (error) {
          // A named pipe opened without blocking is full until its reader takes more.
          if ((error as { code?: string }).code !== 'EAGAIN') throw error;
          pause(5);
        }
      }
    } catch (error) {
      this.abort();
      throw this.failure(error);
    }
  }

  commit(): void {
    if (this.done) return;
    try {
      if (this.temporary !== null) fsyncSync(this.fd);
      closeSync(this.fd);
      this.done = true;
      if (this.temporary !== null) renameSync(this.temporary, this.out.target);
      this.settled();
    } catch (error) {
      this.abort();
      throw this.failure(error);
    }
  }

  /** Leaves the target as it was. */
  abort(): void {
    this.settled();
    if (!this.done) {
      this.done = true;
      try {
        closeSync(this.fd);
      } catch {
        // Already closed: nothing more to release.
      }
    }
    if (this.temporary === null) return;
    try {
      unlinkSync(this.temporary);
    } catch {
      // Never created, or already gone.
    }
  }

  private failure(error: unknown): UsageError {
    const why = error instanceof Error ? error.message : String(error);
    return new UsageError(`could not write ${this.out.flag} '${this.out.path}': ${why}`);
  }
}

/**
 * A named pipe opened for writing without blocking, once something reads it: a plain open would
 * hold the command, silently, until then. After a second, one line says what it waits for.
 */
function openPipe(out: PlannedOutput): number {
  return waitOnPipe(
    () => {
      try {
        return openSync(out.target, constants.O_WRONLY | constants.O_NONBLOCK);
      } catch (error) {
        if ((error as { code?: string }).code !== 'ENXIO') throw error;
        return undefined;
      }
    },
    () =>
      process.stderr.write(
        `waiting for something to read ${out.flag} '${escapeControls(out.path)}', a named pipe (Ctrl-C to stop)\n`,
      ),
  );
}

/** Writes `text` as the whole of a planned output. */
export function writeWhole(out: PlannedOutput, text: string): void {
  const file = new WholeFile(out);
  file.write(text);
  file.commit();
}
