// One esbuild bundle made in a running command (the page's lab, the explore worker), kept in this
// checkout's cache of bundles (cache.mjs) while the texts it was made from and the options it was
// made with are unchanged: building costs 0.3-0.6 s of wall time (esbuild's own process starting
// and reading every source), every page and every search.

import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, buildSync } from 'esbuild';
import {
  CACHE,
  cached,
  digestText,
  ROOT,
  SETTINGS,
  store,
  writable,
  writeAtomically,
} from './cache.mjs';

/** An input esbuild names by a namespace of its own rather than by a file's path. */
const NAMESPACED = /^(\([a-z-]+\)|[a-z-]+):/;

/** How a bundle is built here, beside its options: a change to this file makes it anew. */
const BUILT_BY = fileURLToPath(import.meta.url);

/**
 * The text of `options`' one output (one entry point, not written), from the cache when it holds
 * it for `name` and these options, else built, and kept there when it can be known to be what its
 * sources make.
 *
 * esbuild's synchronous build takes no plugin to see the texts it reads, so the sources are read
 * before it and again after it, and the bundle is kept only when every file it read was read
 * before with the same text: a source saved during the build, whenever during it, leaves the
 * bundle unkept (the next command builds again), whatever time the file says it was saved. The
 * files read before are those the last build of the name read; the first build in a checkout has
 * none, and is kept from the second on.
 */
export function bundledSync(name: string, options: BuildOptions): string {
  // The options are in the bundle's name: a bundle made with others is no hit.
  const made = `${name}-${digestText(JSON.stringify(options)).slice(0, 12)}-`;
  const hit = cached(name);
  if (hit !== null && basename(hit).startsWith(made)) {
    try {
      return readFileSync(hit, 'utf8');
    } catch {
      // Gone, or not a file: built again below.
    }
  }
  const before: Record<string, string> = {};
  for (const file of [BUILT_BY, ...SETTINGS, ...lastRead(name)]) {
    try {
      before[file] = digestText(readFileSync(file));
    } catch {
      // Gone since: not one of this build's sources, or it differs below.
    }
  }
  const built = buildSync({ absWorkingDir: ROOT, ...options, write: false, metafile: true });
  const text = built.outputFiles[0]!.text;
  const read = Object.keys(built.metafile.inputs)
    .filter((input) => !NAMESPACED.test(input))
    .map((input) => resolve(ROOT, input));
  if (writable()) {
    try {
      keep(name, made, text, before, read);
    } catch {
      // A cache that cannot be written costs a build, as it did before there was one.
    }
  }
  return text;
}

/** The files the last build of `name` read, as it noted them (none before the first). */
function lastRead(name: string): string[] {
  try {
    const files = JSON.parse(readFileSync(join(CACHE, `${name}.read.json`), 'utf8'));
    return Array.isArray(files) ? files.filter((f) => typeof f === 'string') : [];
  } catch {
    return [];
  }
}

/** Keeps the bundle if every file the build read had the same text before it; notes what it read. */
function keep(
  name: string,
  made: string,
  text: string,
  before: Readonly<Record<string, string>>,
  read: readonly string[],
): void {
  const sources: Record<string, string> = {};
  for (const file of [BUILT_BY, ...SETTINGS]) sources[file] = before[file]!;
  let same = true;
  for (const file of read) {
    sources[file] = digestText(readFileSync(file));
    if (before[file] !== sources[file]) same = false;
  }
  writeAtomically(join(CACHE, `${name}.read.json`), JSON.stringify(read));
  if (same) store(name, made, '.js', () => [['', text]], sources);
}
