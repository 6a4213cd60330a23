// Imports scenario files inside a worker thread, one request at a time, so that the command line
// can bound each import in time and memory (a file that loops or allocates without end cannot
// hang or kill `sim`). Plain JavaScript on purpose: it starts without a TypeScript loader, then
// brings tsx's own, once for every file this worker loads.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { require as tsRequire } from 'tsx/cjs/api';
import { tsImport } from 'tsx/esm/api';

// Whatever a file prints while it loads goes nowhere: the command's stderr keeps its one line.
process.stdout.write = () => true;
process.stderr.write = () => true;

/** esbuild's error names the file, line and column: "file.ts:3:14: ERROR: Expected ...". */
function whereAndWhy(error, path, file) {
  const message = error instanceof Error ? error.message : String(error);
  const located = message.match(/^(.*):(\d+):(\d+): ERROR: (.*)$/m);
  if (located) return `${file}:${located[2]}:${located[3]}: ${located[4]}`;
  const frame = error instanceof Error ? (error.stack ?? '') : '';
  const at = frame.split('\n').find((line) => line.includes(path));
  const position = at?.match(/:(\d+):(\d+)\)?\s*$/);
  const first = message.split('\n')[0];
  return position ? `${file}:${position[1]}:${position[2]}: ${first}` : first;
}

/** The stack ran out: lists or objects nested thousands deep. */
function tooDeep(error) {
  return error instanceof RangeError && /call stack/i.test(error.message);
}

/**
 * True when Node would load the file as CommonJS: a .cts or .cjs file, or a .ts or .js file whose
 * nearest package.json does not say "type": "module" (a student's folder outside this one).
 */
function commonJs(path) {
  if (/\.c[jt]s$/.test(path)) return true;
  if (!/\.[jt]sx?$/.test(path)) return false;
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        return JSON.parse(readFileSync(manifest, 'utf8')).type !== 'module';
      } catch {
        return true;
      }
    }
    if (dirname(dir) === dir) return true;
  }
}

/**
 * The file's module. A CommonJS file goes through tsx's require, whose stack traces point into the
 * file: tsImport runs it from a compiled copy, and an error thrown at import then named only
 * the copy's lines.
 */
async function importFile(url, path) {
  if (commonJs(path)) return { default: tsRequire(path, import.meta.url) };
  return tsImport(url, import.meta.url);
}

/** What the file default-exports, or why there is nothing to send. */
async function load({ url, path, file }) {
  let module;
  try {
    module = await importFile(url, path);
  } catch (error) {
    // Written nested past the parser's stack (no frame of the file's own code ran out): the
    // data's depth, not a line of the file, is at fault.
    if (tooDeep(error) && !(error.stack ?? '').includes(path))
      return { ok: false, kind: 'too-deep', why: '' };
    return { ok: false, kind: 'import', why: whereAndWhy(error, path, file) };
  }
  let exported = module.default;
  let found = 'default' in module;
  // A file tsx compiled as CommonJS arrives wrapped: its exports are the namespace's default.
  if (exported?.__esModule === true) {
    found = 'default' in exported;
    exported = exported.default;
  }
  return found ? { ok: true, value: exported } : { ok: false, kind: 'no-default', why: '' };
}

parentPort.on('message', async (request) => {
  const answer = await load(request);
  try {
    parentPort.postMessage({ id: request.id, ...answer });
  } catch (error) {
    // A getter in a step that throws, read as the scenario is copied out: the file's own error,
    // told where it was thrown. Anything else could not be copied: it is not plain data.
    // Nested past the copy's stack, it is too deep to be a scenario.
    const thrown = !(error instanceof Error && error.name === 'DataCloneError');
    const kind = tooDeep(error) ? 'too-deep' : thrown ? 'import' : 'not-data';
    const why = kind === 'import' ? whereAndWhy(error, request.path, request.file) : '';
    parentPort.postMessage({ id: request.id, ok: false, kind, why });
  }
});

// Ready: the loader's own start is not counted against the first file's time limit.
parentPort.postMessage({ ready: true });
