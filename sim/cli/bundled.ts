// One esbuild bundle made in a running command (the page's lab, the explore worker), kept in this
// checkout's cache of bundles (cache.mjs) while the texts it was made from and the options it was
// made with are unchanged: building costs 0.3-0.6 s of wall time (esbuild's own process starting
// and reading every source), every page and every search.

import { readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { type BuildOptions, buildSync } from 'esbuild';
import {
  CACHE,
  cached,
  digestOf,
  digestText,
  prune,
  ROOT,
  SETTINGS,
  writable,
  writeAtomically,
} from './cache.mjs';

/** An input esbuild names by a namespace of its own rather than by a file's path. */
const NAMESPACED = /^(\([a-z-]+\)|[a-z-]+):/;

/**
 * The text of `options`' one output (one entry point, not written), from the cache when it holds
 * it for `name` and these options, else built and kept there.
 */
export function bundledSync(name: string, options: BuildOptions): string {
  // The options are in the bundle's name: a bundle made with others is no hit.
  const made = `${name}-${digestText(JSON.stringify(options)).slice(0, 12)}-`;
  const hit = cached(name);
  if (hit !== null && basename(hit).startsWith(made)) return readFileSync(hit, 'utf8');
  const started = Date.now();
  // What it is built with, read before the build.
  const sources: Record<string, string> = {};
  for (const file of SETTINGS) sources[file] = digestText(readFileSync(file));
  const built = buildSync({ absWorkingDir: ROOT, ...options, write: false, metafile: true });
  const text = built.outputFiles[0]!.text;
  keep(name, made, text, sources, Object.keys(built.metafile.inputs), started);
  return text;
}

/**
 * The bundle kept with the digests of the texts it was made from. esbuild's synchronous build
 * takes no plugin to see the texts it reads, so they are read again after it: a source changed
 * since a second before the build began may differ from what was built, and then nothing is kept
 * (the next command builds again).
 */
function keep(
  name: string,
  made: string,
  text: string,
  sources: Record<string, string>,
  inputs: readonly string[],
  started: number,
): void {
  if (!writable()) return;
  try {
    for (const input of inputs) {
      // Not a file: a module a browser build leaves out ('(disabled):crypto').
      if (NAMESPACED.test(input)) continue;
      const path = resolve(ROOT, input);
      if (statSync(path).mtimeMs >= started - 1000) return;
      sources[path] = digestText(readFileSync(path));
    }
    const digest = digestOf(sources);
    const bundle = `${made}${digest}.js`;
    writeAtomically(join(CACHE, bundle), text);
    writeAtomically(join(CACHE, `${name}.json`), JSON.stringify({ digest, bundle, sources }));
    prune(name, bundle);
  } catch {
    // A cache that cannot be written costs a build, as it did before there was one.
  }
}
