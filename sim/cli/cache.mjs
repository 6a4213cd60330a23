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
import { fileURLToPath } from 'node:url';

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
  fileURLToPath(import.meta.url),
  join(ROOT, 'package.json'),
  join(ROOT, 'tsconfig.json'),
  join(ROOT, 'node_modules/esbuild/package.json'),
];

/** An older bundle is removed once nothing has started from it for this long. */
const KEEP_MS = 10 * 60_000;

export const digestText = (text) => createHash('sha256').update(text).digest('hex');

/** The digest of a bundle's sources and settings, given each file's digest. */
function digestOf(sources) {
  const hash = createHash('sha256');
  for (const file of Object.keys(sources).sort()) hash.update(`${file}\0${sources[file]}\0`);
  return hash.digest('hex').slice(0, 20);
}

/**
 * The bundle the cache holds under `name`, when every source is as it was when it was made and
 * the bundle is there whole (its size as written: a write cut short, or emptied by a crash before
 * it reached the disk, is no bundle) with each of its companions (`.map`, say); else null.
 */
export function cached(name, companions = []) {
  let bundle;
  try {
    const manifest = JSON.parse(readFileSync(join(CACHE, `${name}.json`), 'utf8'));
    const now = {};
    for (const file of Object.keys(manifest.sources)) now[file] = digestText(readFileSync(file));
    bundle = join(CACHE, manifest.bundle);
    if (digestOf(now) !== manifest.digest) return null;
    const kept = statSync(bundle);
    if (!kept.isFile() || kept.size !== manifest.size) return null;
    if (companions.some((suffix) => !existsSync(`${bundle}${suffix}`))) return null;
  } catch {
    return null;
  }
  try {
    // Its time is when it was last used: what the pruning of old bundles reads. A cache that
    // cannot be written still serves what it holds.
    const time = new Date();
    utimesSync(bundle, time, time);
  } catch {}
  return bundle;
}

/**
 * Keeps a bundle made from `sources` (each file's digest, the settings among them) under `name`:
 * its files, `filesOf(bundle)` given the name the digest gives it, `<prefix><digest><ext>`
 * (`[suffix, text]`: '' the bundle, '.map' its map, …), then the manifest that names it; then
 * older bundles of the name are pruned, and other checkouts' folders tidied. Returns its path.
 */
export function store(name, prefix, ext, filesOf, sources) {
  const digest = digestOf(sources);
  const bundle = `${prefix}${digest}${ext}`;
  for (const [suffix, text] of filesOf(bundle))
    writeAtomically(join(CACHE, `${bundle}${suffix}`), text);
  const size = statSync(join(CACHE, bundle)).size;
  writeAtomically(join(CACHE, `${name}.json`), JSON.stringify({ digest, bundle, size, sources }));
  prune(name, bundle);
  tidy();
  return join(CACHE, bundle);
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
/** A folder of another checkout goes only once unused for this long, whatever it names. */
const UNUSED_MS = 24 * 3_600_000;

/**
 * Names this checkout in its folder, and removes the folders of checkouts that are gone (a
 * worktree deleted, a copy moved): each kept a few megabytes for good. A folder goes when it has
 * gone unused for a day and the checkout it names is not to be found from here (or it names none:
 * made before folders did); not while it is empty (a checkout's first bundle being made), nor
 * while it is in use (a checkout seen from another mount, a container, says nothing of being
 * gone). Called when a bundle is made, not at every command.
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
      const files = readdirSync(path);
      if (files.length === 0) continue;
      if (files.some((f) => now - statSync(join(path, f)).mtimeMs <= UNUSED_MS)) continue;
      const owner = join(path, OWNER);
      if (existsSync(owner) && existsSync(readFileSync(owner, 'utf8'))) continue;
      rmSync(path, { recursive: true, force: true });
    } catch {
      // Removed, or not ours to read: left as it is.
    }
  }
}

/** A bundle's file (or its map) after its name: digests only. */
const BUNDLE = /^-[0-9a-f]+(-[0-9a-f]+)?\.m?js(\.map)?$/;

/**
 * Bundles of `name` made from older sources than `current`, once nothing has started from them
 * for a while (a command may be about to). Only `name`'s own: not those of a name it begins
 * (explore's bundles, beside the explore worker's).
 */
function prune(name, current) {
  const now = Date.now();
  for (const file of readdirSync(CACHE)) {
    // A temporary file a killed command left, of any name, goes as an old bundle does.
    const left = /\.\d+\.tmp$/.test(file);
    if (!left && (!file.startsWith(name) || !BUNDLE.test(file.slice(name.length)))) continue;
    if (file.startsWith(current)) continue;
    const path = join(CACHE, file);
    try {
      if (now - statSync(path).mtimeMs > KEEP_MS) rmSync(path, { force: true });
    } catch {
      // Removed by another command meanwhile.
    }
  }
}
