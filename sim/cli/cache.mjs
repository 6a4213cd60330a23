// The cache of bundles this checkout makes with esbuild (each command's, by start.mjs; the page's
// lab and the explore worker, by bundled.ts): one folder a checkout under
// node_modules/.cache/kvsim, a manifest a bundle naming the exact texts it was made from, old
// bundles removed once unused, and the folders of checkouts that are gone removed. Plain
// JavaScript, as start.mjs must be; sim/cli/cache.d.mts types it for the TypeScript side.

import { createHash } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');

/**
 * One folder a checkout: checkouts that share node_modules (worktrees linked to one) keep their
 * own bundles, rather than each making the other's stale at every command.
 */
export const CACHE = join(
  ROOT,
  'node_modules/.cache/kvsim',
  createHash('sha256').update(realpathSync(ROOT)).digest('hex').slice(0, 12),
);

/** What decides how any bundle is made, beside its sources: a change to one makes a new one. */
export const SETTINGS = [
  join(ROOT, 'package.json'),
  join(ROOT, 'tsconfig.json'),
  join(ROOT, 'node_modules/esbuild/package.json'),
];

/** An older bundle is removed once nothing has started from it for this long. */
const KEEP_MS = 10 * 60_000;

export const digestText = (text) => createHash('sha256').update(text).digest('hex');

/** The digest of a bundle's sources and settings, given each file's digest. */
export function digestOf(sources) {
  const hash = createHash('sha256');
  for (const file of Object.keys(sources).sort()) hash.update(`${file}\0${sources[file]}\0`);
  return hash.digest('hex').slice(0, 20);
}

/**
 * The bundle the cache holds under `name`, when every source is as it was when it was made and
 * the bundle is there with each of its companions (`.map`, say); else null.
 */
export function cached(name, companions = []) {
  try {
    const manifest = JSON.parse(readFileSync(join(CACHE, `${name}.json`), 'utf8'));
    const now = {};
    for (const file of Object.keys(manifest.sources)) now[file] = digestText(readFileSync(file));
    const bundle = join(CACHE, manifest.bundle);
    if (digestOf(now) !== manifest.digest) return null;
    if (companions.some((suffix) => !existsSync(`${bundle}${suffix}`))) return null;
    // Its time is when it was last used: what the pruning of old bundles reads.
    const time = new Date();
    utimesSync(bundle, time, time);
    return bundle;
  } catch {
    return null;
  }
}

/** Written whole or not at all: another command may be reading the cache at the same time. */
export function writeAtomically(path, text) {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, text);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** The folder can hold a bundle (else nothing is built for it). */
export function writable() {
  try {
    mkdirSync(CACHE, { recursive: true });
    accessSync(CACHE, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The file in a checkout's folder that names the checkout, so that a folder outliving it can go. */
const OWNER = 'checkout';
/** A folder that names no checkout (made before folders did) goes once unused for this long. */
const ORPHAN_MS = 24 * 3_600_000;

/**
 * Names this checkout in its folder, and removes the folders of checkouts that are gone (a
 * worktree deleted, a copy moved): each kept a few megabytes for good. Called when a bundle is
 * made, not at every command.
 */
function tidy() {
  const own = join(CACHE, OWNER);
  if (!existsSync(own)) writeAtomically(own, realpathSync(ROOT));
  const all = dirname(CACHE);
  const now = Date.now();
  for (const folder of readdirSync(all)) {
    const path = join(all, folder);
    if (path === CACHE) continue;
    try {
      const owner = join(path, OWNER);
      const gone = existsSync(owner)
        ? !existsSync(readFileSync(owner, 'utf8'))
        : readdirSync(path).every((f) => now - statSync(join(path, f)).mtimeMs > ORPHAN_MS);
      if (gone) rmSync(path, { recursive: true, force: true });
    } catch {
      // Removed, or not ours to read: left as it is.
    }
  }
}

/** A bundle's file (its map, or a copy a write left half made) after its name: digests only. */
const BUNDLE = /^-[0-9a-f]+(-[0-9a-f]+)?\.m?js(\.map)?(\.\d+\.tmp)?$/;

/**
 * Bundles of `name` made from older sources than `current`, once nothing has started from them
 * for a while (a command may be about to). Only `name`'s own: not those of a name it begins
 * (explore's bundles, beside the explore worker's).
 */
export function prune(name, current) {
  tidy();
  const now = Date.now();
  for (const file of readdirSync(CACHE)) {
    if (!file.startsWith(name) || !BUNDLE.test(file.slice(name.length))) continue;
    if (file.startsWith(current)) continue;
    const path = join(CACHE, file);
    try {
      if (now - statSync(path).mtimeMs > KEEP_MS) rmSync(path, { force: true });
    } catch {
      // Removed by another command meanwhile.
    }
  }
}
