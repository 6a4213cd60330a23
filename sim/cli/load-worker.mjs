// Imports scenario files inside a worker thread, one request at a time, so that the command line
// can bound each import in time and memory (a file that loops or allocates without end cannot
// hang or kill `sim`). Plain JavaScript on purpose: it starts without a TypeScript loader, then
// brings tsx's own, once for every file this worker loads.

import { parentPort } from 'node:worker_threads';
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

/** What the file default-exports, or why there is nothing to send. */
async function load({ url, path, file }) {
  let module;
  try {
    module = await tsImport(url, import.meta.url);
  } catch (error) {
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
    const why = error instanceof Error ? error.message : String(error);
    parentPort.postMessage({ id: request.id, ok: false, kind: 'not-data', why });
  }
});

// Ready: the loader's own start is not counted against the first file's time limit.
parentPort.postMessage({ ready: true });
