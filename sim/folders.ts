// The folders that cases are written into (explore's `--out`, verify's `cases/`), made one level at
// a time. Node's `mkdirSync(dir, { recursive: true })` is never used on a path a user gave: under
// /proc it goes up and down without end (mkdir /proc/x answers ENOENT, mkdir /proc EEXIST, again
// and again), a synchronous loop that not even Ctrl-C stops.

import {
  existsSync,
  lstatSync,
  mkdirSync,
  readlinkSync,
  rmdirSync,
  Stats,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { holdSignals, removeOnEnd } from './signals.ts';

/** A folder that cannot be made or written: the message says which and why, in one line. */
export class FolderError extends Error {}

/** The system's reason without its path: `ENOENT: no such file or directory`. */
function reason(error: unknown): string {
  return ((error as Error).message.split('\n')[0] ?? '').replace(/, \w+ '.*$/, '');
}

/** What the path leads to, or why it leads nowhere. */
function statOf(path: string): Stats | NodeJS.ErrnoException {
  try {
    return statSync(path);
  } catch (error) {
    return error as NodeJS.ErrnoException;
  }
}

/**
 * The folders of `dir` that are not there yet, outermost first. Each level is looked at once, so
 * the walk ends at the root whatever the file system answers; a path through a file, or through
 * a symbolic link that leads nowhere, is refused here rather than half made.
 */
function missingFolders(dir: string): string[] {
  const missing: string[] = [];
  for (let path = resolve(dir); ; path = dirname(path)) {
    const found = statOf(path);
    if (found instanceof Stats) {
      if (!found.isDirectory()) throw new FolderError(`'${path}' is not a folder`);
      return missing;
    }
    let link = false;
    try {
      link = lstatSync(path).isSymbolicLink();
    } catch {
      // Not there at all: a folder to make.
    }
    if (link)
      throw new FolderError(
        found.code === 'ENOENT'
          ? `'${path}' is a symbolic link to '${readlinkSync(path)}', which does not exist`
          : `'${path}' is a symbolic link that cannot be followed (${reason(found)})`,
      );
    missing.unshift(path);
    if (dirname(path) === path) return missing;
  }
}

/** Removes folders this command made, innermost first; one another command is using stays. */
function removeFolders(made: readonly string[]): void {
  for (const path of [...made].reverse()) {
    try {
      rmdirSync(path);
    } catch {
      return;
    }
  }
}

/**
 * Makes `dir` and each folder above it that is missing, one at a time, all or none: a folder that
 * cannot be made throws a FolderError naming it, and the ones made before it are removed. Returns
 * the folders made, outermost first.
 */
export function makeFolders(dir: string): string[] {
  // Held as a case's write holds them: a Ctrl-C that comes now is answered once these calls are
  // done and what they made is removed. A listener dropped before then would lose the signal.
  holdSignals();
  const made: string[] = [];
  const removed = removeOnEnd(() => removeFolders(made));
  try {
    for (const path of missingFolders(dir)) {
      if (makeFolder(path)) made.push(path);
    }
    return made;
  } catch (error) {
    removeFolders(made);
    throw error;
  } finally {
    removed();
  }
}

/**
 * Makes one folder: true when this command made it, false when another made it meanwhile (two
 * shards checking one --out), which is then not this command's to remove. Another command may
 * also remove one it made just after this one was refused for it: then it is tried again.
 */
function makeFolder(path: string): boolean {
  for (let attempt = 0; ; attempt++) {
    try {
      mkdirSync(path);
      return true;
    } catch (error) {
      if (codeOf(error) !== 'EEXIST') throw folderError(path, error);
      if (isFolder(path)) return false;
      if (attempt === 3 || existsSync(path)) throw folderError(path, error);
    }
  }
}

function folderError(path: string, error: unknown): FolderError {
  return new FolderError(`'${path}' cannot be made (${reason(error)})`, { cause: error });
}

/**
 * Why no case could be written into `dir`, or null when one can: the folders are made, an empty
 * file is created in the innermost (permissions alone do not tell: root may write anywhere by
 * them, yet not under /proc or /sys), and everything made for the test is removed again.
 */
export function unwritableFolder(dir: string): string | null {
  // Another command checking the same new folder removes what it made for its own check: a
  // folder gone under this one (ENOENT) is checked again, a few times, before it counts.
  let why: string | null = null;
  for (let attempt = 0; attempt < 5; attempt++) {
    const outcome = checkOnce(dir);
    if (outcome === null) return null;
    why = outcome.why;
    if (!outcome.vanished) return why;
  }
  return why;
}

/** One check of `dir`: null when a case can be written, else why not and whether a folder vanished. */
function checkOnce(dir: string): { why: string; vanished: boolean } | null {
  let made: string[];
  try {
    made = makeFolders(dir);
  } catch (error) {
    if (!(error instanceof FolderError)) throw error;
    return { why: error.message, vanished: codeOf(error.cause) === 'ENOENT' };
  }
  const removed = removeOnEnd(() => removeFolders(made));
  try {
    const probe = probeFile(resolve(dir));
    return probe === null ? null : { why: probe.why, vanished: probe.code === 'ENOENT' };
  } finally {
    removed();
    removeFolders(made);
  }
}

function codeOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Creates and removes an empty file in `dir`: why it cannot be (and the system's code), or null. */
function probeFile(dir: string): { why: string; code: string | undefined } | null {
  // A name another command left is tried under the next one; a hundred are more than enough.
  for (let n = 1; n <= 100; n++) {
    const probe = join(dir, `.kvsim-probe-${process.pid}-${n}.tmp`);
    let created = false;
    // Only a probe this command created is removed: a name in use is someone else's.
    const removed = removeOnEnd(() => created && unlinkSync(probe));
    try {
      writeFileSync(probe, '', { flag: 'wx' });
      created = true;
      unlinkSync(probe);
      created = false;
      return null;
    } catch (error) {
      const code = codeOf(error);
      if (code !== 'EEXIST')
        return { why: `'${dir}' does not take new files (${reason(error)})`, code };
    } finally {
      removed();
    }
  }
  return {
    why: `'${dir}' does not take new files (its probe names are all taken)`,
    code: 'EEXIST',
  };
}
