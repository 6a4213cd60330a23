// Builds the lab for a page: the browser entry (main.ts) bundled with esbuild from the same
// sources `npm run sim` runs, and its styles. The scenario it reruns is in the page's trace
// document (`scenario.definition`). Node only; built once a process, and kept in this checkout's
// cache of bundles while its sources are unchanged (sim/cli/bundled.ts).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundledSync } from '../cli/bundled.ts';
import type { PageLab } from '../render/html.ts';

let script: string | undefined;

/** The bundled lab: one script with no import, no request and no `</script` in it. */
export function labScript(): string {
  script ??= bundledSync('lab', {
    entryPoints: [fileURLToPath(new URL('./main.ts', import.meta.url))],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  }).replace(/<\/script/gi, '<\\/script');
  return script;
}

export function labPage(): PageLab {
  return {
    script: labScript(),
    css: readFileSync(new URL('./lab.css', import.meta.url), 'utf8'),
  };
}
