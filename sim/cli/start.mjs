// Starts a command (`node sim/cli/start.mjs sim …`, as the npm scripts do) from one JavaScript
// file bundled from the same TypeScript sources, rather than through tsx's loader. Registering tsx
// and compiling each of the command's modules through it cost about 0.5 CPU-s a command, more
// than half of what `npm run sim -- --help` costs; the bundle is made again (esbuild, about 0.2 s)
// whenever a source it holds has changed, and kept under node_modules/.cache/kvsim meanwhile.
// Plain JavaScript on purpose: it runs before any TypeScript can. Where no bundle can be made or
// kept (a folder it cannot write, say), the command runs through tsx as before.

import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const COMMANDS = ['sim', 'view', 'explore', 'verify', 'serve', 'client', 'live'];
const ROOT = resolve(import.meta.dirname, '../..');
const CACHE = join(ROOT, 'node_modules/.cache/kvsim');
const SELF = fileURLToPath(import.meta.url);

/**
 * `import.meta.url` and `import.meta.dirname` as written in a module, outside a string: a bundle
 * is one module, so each is replaced by its own file's value, and paths found from a module's
 * folder (the scenarios, the page's assets, the loader's worker) stay the same.
 */
const IMPORT_META = /(?<![\w$.'"`])import\.meta\.(url|dirname)\b/g;

/** A digest of the launcher and of every source the bundle holds: any change makes a new one. */
function digestOf(inputs) {
  const hash = createHash('sha256');
  for (const file of [SELF, ...inputs.map((f) => join(ROOT, f))]) {
    hash.update(file).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 20);
}

/** What the cache holds for `command`, when every source it was made from is as it was then. */
function cached(command) {
  try {
    const manifest = JSON.parse(readFileSync(join(CACHE, `${command}.json`), 'utf8'));
    if (digestOf(manifest.inputs) !== manifest.digest) return null;
    return join(CACHE, manifest.bundle);
  } catch {
    return null;
  }
}

/** Written whole or not at all: another command may be reading the cache at the same time. */
function writeAtomically(path, text) {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}

async function bundle(command, entry) {
  const { build } = await import('esbuild');
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
    metafile: true,
    logLevel: 'silent',
    plugins: [
      {
        name: 'import-meta-of-each-file',
        setup(b) {
          b.onLoad({ filter: /\.ts$/ }, ({ path }) => ({
            loader: 'ts',
            contents: readFileSync(path, 'utf8').replace(IMPORT_META, (_, field) =>
              JSON.stringify(field === 'url' ? pathToFileURL(path).href : dirname(path)),
            ),
          }));
        },
      },
    ],
  });
  const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.startsWith('node_modules'));
  const digest = digestOf(inputs);
  const name = `${command}-${digest}.mjs`;
  mkdirSync(CACHE, { recursive: true });
  for (const out of result.outputFiles) {
    if (out.path.endsWith('.map')) writeAtomically(join(CACHE, `${name}.map`), out.text);
    else {
      const text = out.text.replace(/sourceMappingURL=\S*$/m, `sourceMappingURL=${name}.map`);
      writeAtomically(join(CACHE, name), text);
    }
  }
  writeAtomically(join(CACHE, `${command}.json`), JSON.stringify({ digest, bundle: name, inputs }));
  // Bundles of this command made from older sources are of no further use.
  for (const file of readdirSync(CACHE))
    if (file.startsWith(`${command}-`) && !file.startsWith(name))
      rmSync(join(CACHE, file), { force: true });
  return join(CACHE, name);
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

let made = cached(command);
if (made === null) {
  try {
    made = await bundle(command, entry);
  } catch {
    made = null;
  }
}
if (made === null) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(entry).href);
} else {
  process.setSourceMapsEnabled(true);
  await import(pathToFileURL(made).href);
}
