// Imports one scenario file inside a worker thread, so that the command line can bound the import
// in time and memory (a file that loops or allocates without end cannot hang or kill `sim`).
// Plain JavaScript on purpose: it must start without a TypeScript loader, then brings tsx's own.

import { parentPort, workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

/** esbuild's error names the file, line and column: "file.ts:3:14: ERROR: Expected ...". */
function whereAndWhy(error, file) {
  const message = error instanceof Error ? error.message : String(error);
  const located = message.match(/^(.*):(\d+):(\d+): ERROR: (.*)$/m);
  if (located) return `${file}:${located[2]}:${located[3]}: ${located[4]}`;
  const frame = error instanceof Error ? (error.stack ?? '') : '';
  const at = frame.split('\n').find((line) => line.includes(workerData.path));
  const position = at?.match(/:(\d+):(\d+)\)?\s*$/);
  const first = message.split('\n')[0];
  return position ? `${file}:${position[1]}:${position[2]}: ${first}` : first;
}

let module;
try {
  module = await tsImport(workerData.url, import.meta.url);
} catch (error) {
  parentPort.postMessage({ ok: false, kind: 'import', why: whereAndWhy(error, workerData.file) });
}
if (module !== undefined) {
  let exported = module.default;
  let found = 'default' in module;
  // A file tsx compiled as CommonJS arrives wrapped: its exports are the namespace's default.
  if (exported?.__esModule === true) {
    found = 'default' in exported;
    exported = exported.default;
  }
  if (!found) {
    parentPort.postMessage({ ok: false, kind: 'no-default', why: '' });
  } else {
    try {
      parentPort.postMessage({ ok: true, value: exported });
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      parentPort.postMessage({ ok: false, kind: 'not-data', why });
    }
  }
}
