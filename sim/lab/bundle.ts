// Builds the lab for a page: the browser entry (main.ts) bundled with esbuild from the same
// sources `npm run sim` runs, and its styles. The scenario it reruns is in the page's trace
// document (`scenario.definition`). Node only; built once a process, and kept in this checkout's
// cache of bundles (sim/cli/cache.mjs) while the texts it was built from are unchanged: a build
// cost about 0.2 CPU-s and 0.3-0.6 s of wall time every page.

import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
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
} from '../cli/cache.mjs';
import type { PageLab } from '../render/html.ts';

let script: string | undefined;

/** The bundled lab: one script with no import, no request and no `</script` in it. */
export function labScript(): string {
  if (script !== undefined) return script;
  const hit = cached('lab');
  if (hit !== null) {
    script = readFileSync(hit, 'utf8');
    return script;
  }
  const started = Date.now();
  // How it is built (this file) and what it is built with, read before the build.
  const sources: Record<string, string> = {};
  for (const file of [fileURLToPath(import.meta.url), ...SETTINGS])
    sources[file] = digestText(readFileSync(file));
  const built = buildSync({
    entryPoints: [fileURLToPath(new URL('./main.ts', import.meta.url))],
    absWorkingDir: ROOT,
    bundle: true,
    write: false,
    metafile: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  script = built.outputFiles[0]!.text.replace(/<\/script/gi, '<\\/script');
  keep(script, sources, Object.keys(built.metafile.inputs), started);
  return script;
}

/**
 * The lab kept in the cache with the digests of the texts it was built from. esbuild's synchronous
 * build takes no plugin to see the texts it reads, so they are read again after it: a source
 * changed since a second before the build began may differ from what was built, and then nothing
 * is kept (the next page builds again).
 */
function keep(text: string, sources: Record<string, string>, inputs: string[], started: number) {
  if (!writable()) return;
  try {
    for (const input of inputs) {
      // Not a file: a module the browser build leaves out ('(disabled):crypto').
      if (NAMESPACED.test(input)) continue;
      const path = resolve(ROOT, input);
      if (statSync(path).mtimeMs >= started - 1000) return;
      sources[path] = digestText(readFileSync(path));
    }
    const digest = digestOf(sources);
    const name = `lab-${digest}.js`;
    writeAtomically(join(CACHE, name), text);
    writeAtomically(join(CACHE, 'lab.json'), JSON.stringify({ digest, bundle: name, sources }));
    prune('lab', name);
  } catch {
    // A cache that cannot be written costs a build a page, as before.
  }
}

/** An input esbuild names by a namespace of its own rather than by a file's path. */
const NAMESPACED = /^(\([a-z-]+\)|[a-z-]+):/;

export function labPage(): PageLab {
  return {
    script: labScript(),
    css: readFileSync(new URL('./lab.css', import.meta.url), 'utf8'),
  };
}
