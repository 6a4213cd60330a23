// Builds the lab for a page: the browser entry (main.ts) bundled with esbuild from the same
// sources `npm run sim` runs, and its styles. The scenario it reruns is in the page's trace
// document (`scenario.definition`). Node only; built once a process.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import type { PageLab } from '../render/html.ts';

let script: string | undefined;

/** The bundled lab: one script with no import, no request and no `</script` in it. */
export function labScript(): string {
  if (script === undefined) {
    const built = buildSync({
      entryPoints: [fileURLToPath(new URL('./main.ts', import.meta.url))],
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      legalComments: 'none',
      logLevel: 'silent',
    });
    script = built.outputFiles[0]!.text.replace(/<\/script/gi, '<\\/script');
  }
  return script;
}

export function labPage(): PageLab {
  return {
    script: labScript(),
    css: readFileSync(new URL('./lab.css', import.meta.url), 'utf8'),
  };
}
