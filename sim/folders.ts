// The folders that cases are written into (explore's `--out`, verify's `cases/`), made one level at
// a time. Node's `mkdirSync(dir, { recursive: true })` is never used on a path a user gave: under
// /proc it goes up and down without end (mkdir /proc/x answers ENOENT, mkdir /proc EEXIST, again
// and again), a synchronous loop that not even Ctrl-C stops.

import {
  lstatSync,
  mkdirSync,
  readlinkSync,
  rmdirSync,
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

function statError(path: string): NodeJS.ErrnoException | null {
  try {
    statSync(path);
    return null;
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
    const error = statError(path);
    if (error === null) {
      if (!statSync(path).isDirectory()) throw new FolderError(`'${path}' is not a folder`);
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
        error.code === 'ENOENT'
          ? `'${path}' is a symbolic link to '${readlinkSync(path)}', which does not exist`
          : `'${path}' is a symbolic link that cannot be followed (${reason(error)})`,
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
      try {
        mkdirSync(path);
      } catch (error) {
        throw new FolderError(`'${path}' cannot be made (${reason(error)})`);
      }
      made.push(path);
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
 * Why no case could be written into `dir`, or null when one can: the folders are made, an empty
 * file is created in the innermost (permissions alone do not tell: root may write anywhere by
 * them, yet not under /proc or /sys), and everything made for the test is removed again.
 */
export function unwritableFolder(dir: string): string | null {
  let made: string[];
  try {
    made = makeFolders(dir);
  } catch (error) {
    if (error instanceof FolderError) return error.message;
    throw error;
  }
  const removed = removeOnEnd(() => removeFolders(made));
  try {
    return probeFile(resolve(dir));
  } finally {
    removed();
    removeFolders(made);
  }
}

/** Creates and removes an empty file in `dir`: why it cannot be, or null. */
function probeFile(dir: string): string | null {
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
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
        return `'${dir}' does not take new files (${reason(error)})`;
    } finally {
      removed();
    }
  }
  return `'${dir}' does not take new files (its probe names are all taken)`;
}
