// Runs one of the commands as a user would (as the npm scripts run them: node with tsx's loader,
// without colour), for the tests that check what a person sees: the exit status, stdout and stderr.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const ROOT = join(import.meta.dirname, '..');
/** tsx's loader by its full address, so that a command started in any folder finds it. */
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

const SCRIPTS: Record<string, string> = JSON.parse(
  readFileSync(join(ROOT, 'package.json'), 'utf8'),
).scripts;

/**
 * The program and arguments that start `script` (a path in the repository, sim/cli/sim.ts say) as
 * `npm run` does: the node arguments of the npm script of the same name, read from package.json,
 * with its paths made absolute so that a command started in any folder runs alike.
 */
export function nodeCommand(script: string, args: readonly string[]): [string, string[]] {
  const name = basename(script, '.ts');
  const words = SCRIPTS[name]?.match(/^exec node (.*)$/)?.[1]?.split(' ') ?? [];
  const runs =
    words.includes(script) ||
    (script === `sim/cli/${name}.ts` && words.join(' ') === `sim/cli/start.mjs ${name}`);
  if (!runs) throw new Error(`no npm script runs ${script}`);
  const absolute = words.map((w) =>
    w === 'tsx' ? TSX_LOADER : /\.m?[jt]s$/.test(w) ? join(ROOT, w) : w,
  );
  return [process.execPath, [...absolute, ...args]];
}

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function plainEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.FORCE_COLOR;
  return env;
}

/**
 * `command` is sim, view, explore, verify or bench; `cwd` defaults to the repository; `env` adds
 * variables to a colourless environment. The one way the tests start a command.
 */
export function runCli(
  command: string,
  args: readonly string[],
  cwd = ROOT,
  env: NodeJS.ProcessEnv = {},
): CliResult {
  const script = command === 'bench' ? 'sim/bench/bench.ts' : `sim/cli/${command}.ts`;
  const [program, argv] = nodeCommand(script, args);
  const r = spawnSync(program, argv, {
    cwd,
    encoding: 'utf8',
    env: { ...plainEnv(), ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A user's mistake: exit 2, exactly one line on stderr, no stack trace. */
export function isOneLineRefusal(r: CliResult): boolean {
  return r.status === 2 && /^error: [^\n]*\n$/.test(r.stderr) && !/\n\s+at /.test(r.stderr);
}

/** `script` is there to give a command a terminal of its own. */
export const HAS_SCRIPT = existsSync('/usr/bin/script');

/** Runs `script` (a path in the repository) with a terminal as its stdin; stopped if it waits. */
export function runOnTerminal(script: string, args: readonly string[]): CliResult {
  const [program, argv] = nodeCommand(script, args);
  const command = [program, ...argv].map((w) => `'${w}'`).join(' ');
  const r = spawnSync('script', ['-qec', command, '/dev/null'], {
    encoding: 'utf8',
    env: plainEnv(),
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The guarantees as the README's table names them for a student (`monotonic reads`), a store's
 * own remark such as `(lock store)` left off: the words every command's output must use.
 */
export function readmeGuarantees(): Set<string> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('| guarantee '));
  const rows = table.slice(0, table.indexOf('\n\n')).split('\n').slice(2);
  return new Set(
    rows.map((r) =>
      r
        .split('|')[1]!
        .trim()
        .replace(/ \(lock store\)$/, ''),
    ),
  );
}

/** The guarantee each line marked `mark` (✗, ◦) names before its colon, as printed. */
export function markedGuarantees(stdout: string, mark: string): string[] {
  return [...stdout.matchAll(new RegExp(`^ +${mark} ([^:]+): `, 'gm'))].map((m) => m[1]!);
}
