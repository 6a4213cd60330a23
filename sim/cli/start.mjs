// Starts a command (`node sim/cli/start.mjs sim …`, as the npm scripts do) from one JavaScript
// file bundled from the same TypeScript sources, rather than through tsx's loader. Registering tsx
// and compiling each of the command's modules through it cost about 0.5 CPU-s a command, more
// than half of what `npm run sim -- --help` costs; the bundle is made again (esbuild, about 0.2 s)
// whenever a source it holds has changed, and kept under node_modules/.cache/kvsim meanwhile.
// Plain JavaScript on purpose: it runs before any TypeScript can. Where no bundle can be made or
// kept (a folder it cannot write, say), the command runs through tsx as before.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CACHE,
  cached,
  digestText,
  ROOT,
  SETTINGS as SHARED_SETTINGS,
  store,
  writable,
} from './cache.mjs';

const COMMANDS = ['sim', 'view', 'explore', 'verify', 'serve', 'client', 'live'];
const SELF = fileURLToPath(import.meta.url);
/** What decides how a command's bundle is made, beside its sources: this file too. */
const SETTINGS = [SELF, ...SHARED_SETTINGS];

/**
 * `import.meta.url`, `.dirname` and `.filename` as written in a module, outside a string: a bundle
 * is one module, so each is replaced by its own file's value, and paths found from a module's
 * folder (the scenarios, the page's assets, the loader's worker) stay the same.
 */
const IMPORT_META = /(?<![\w$.'"`])import\.meta\.(url|dirname|filename)\b/g;

/** How esbuild reads each kind of file the bundle holds; every one is read by the plugin below. */
const LOADERS = { '.ts': 'ts', '.mts': 'ts', '.js': 'js', '.mjs': 'js', '.json': 'json' };
const LOADED = new RegExp(`(${Object.keys(LOADERS).join('|').replaceAll('.', '\\.')})$`);

async function bundle(command, entry) {
  const { build } = await import('esbuild');
  // Each source's digest taken from the very text bundled: a file saved while the bundle is made
  // leaves a digest the next command finds changed, rather than an old bundle that looks current.
  // The settings are read before the build, as its sources are as it reads them.
  const sources = {};
  for (const file of SETTINGS) sources[file] = digestText(readFileSync(file));
  const result = await build({
    entryPoints: [entry],
    absWorkingDir: ROOT,
    bundle: true,
    write: false,
    outdir: CACHE,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'silent',
    plugins: [
      {
        name: 'sources-as-read',
        setup(b) {
          b.onLoad({ filter: LOADED }, ({ path }) => {
            const text = readFileSync(path, 'utf8');
            sources[path] = digestText(text);
            const loader = LOADERS[extname(path)];
            if (loader === 'json') return { loader, contents: text };
            const contents = text.replace(IMPORT_META, (_, field) => {
              const url = pathToFileURL(path).href;
              return JSON.stringify(
                field === 'url' ? url : field === 'dirname' ? dirname(path) : path,
              );
            });
            return { loader, contents };
          });
        },
      },
    ],
  });
  // The bundle names its map by the name the digest gives it; the map its sources by their full
  // address: it is read from the cache's real folder, which a linked node_modules puts elsewhere
  // than this checkout.
  const filesOf = (name) =>
    result.outputFiles.map((out) => {
      if (!out.path.endsWith('.map'))
        return ['', out.text.replace(/sourceMappingURL=\S*$/m, `sourceMappingURL=${name}.map`)];
      const map = JSON.parse(out.text);
      map.sources = map.sources.map((s) => pathToFileURL(resolve(CACHE, s)).href);
      return ['.map', JSON.stringify(map)];
    });
  return store(command, `${command}-`, '.mjs', filesOf, sources);
}

const [command] = process.argv.splice(2, 1);
if (!COMMANDS.includes(command)) {
  process.stderr.write(
    `error: start.mjs starts one of ${COMMANDS.join(', ')}, not '${command ?? ''}'; run it as npm run sim -- …\n`,
  );
  process.exit(2);
}
const entry = join(ROOT, 'sim/cli', `${command}.ts`);
// The command sees itself as started from its own file, as under tsx (npm's script name is read
// from it), and a command that starts itself again (serve --processes) finds how here.
process.argv[1] = entry;
globalThis[Symbol.for('kvsim.start')] = [SELF, command];

/** The command from its .ts file through tsx, as it ran before bundles. */
async function throughTsx() {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(entry).href);
}

let made = cached(command, ['.map']);
if (made === null && writable()) {
  made = await bundle(command, entry).catch(() => null);
}
if (made === null) await throughTsx();
else {
  process.setSourceMapsEnabled(true);
  try {
    await import(pathToFileURL(made).href);
  } catch (error) {
    // The bundle removed between its check and its import (by a command of another checkout, or
    // by hand): nothing of it ran, so the command runs through tsx. Any other error is the
    // command's own.
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || existsSync(made)) throw error;
    await throughTsx();
  }
}
