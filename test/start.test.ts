// sim/cli/start.mjs, which the npm scripts start every command through: the command runs from a
// bundle of its sources, made again when a source changes, and runs through tsx as before when no
// bundle can be kept. Each case runs a copy of the repository, so that its edits and its cache
// touch nothing of this one's.

import { spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isOneLineRefusal, nodeCommand, plainEnv, ROOT } from './run-cli.ts';

const copies: string[] = [];
afterAll(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

/** A copy of the repository's sources, its packages linked one by one (its cache its own). */
function copyOfRepository(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kvsim-start-'));
  copies.push(dir);
  for (const part of ['sim', 'protocol', 'scenarios', 'package.json'])
    cpSync(join(ROOT, part), join(dir, part), { recursive: true });
  mkdirSync(join(dir, 'node_modules'));
  for (const entry of readdirSync(join(ROOT, 'node_modules')))
    if (entry !== '.cache')
      symlinkSync(join(ROOT, 'node_modules', entry), join(dir, 'node_modules', entry));
  return dir;
}

function start(dir: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [join(dir, 'sim/cli/start.mjs'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: plainEnv(),
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const bundles = (dir: string) =>
  readdirSync(join(dir, 'node_modules/.cache/kvsim')).filter((f) => /^sim-.*\.mjs$/.test(f));

describe('start.mjs', () => {
  it('runs a command as tsx runs its sources: the same output, byte for byte', () => {
    const args = ['scenarios/stale-read.ts', '--view', 'log', '--seed', '4'];
    const [program, viaScript] = nodeCommand('sim/cli/sim.ts', args);
    expect(viaScript.slice(0, 2)).toEqual([join(ROOT, 'sim/cli/start.mjs'), 'sim']);
    const bundled = spawnSync(program, viaScript, { cwd: ROOT, encoding: 'utf8', env: plainEnv() });
    const underTsx = spawnSync(
      program,
      ['--import', 'tsx', join(ROOT, 'sim/cli/sim.ts'), ...args],
      { cwd: ROOT, encoding: 'utf8', env: plainEnv() },
    );
    expect(bundled.status).toBe(0);
    expect(bundled.stderr).toBe('');
    expect(bundled.stdout).toContain('trace hash');
    expect(bundled.stdout).toBe(underTsx.stdout);
  });

  it('makes the bundle again when a source changes, and keeps only the newest', () => {
    const dir = copyOfRepository();
    const first = start(dir, 'sim', '--help');
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/^usage: npm run sim -- <scenario\.ts>/);
    expect(bundles(dir)).toHaveLength(1);
    const source = join(dir, 'sim/cli/sim.ts');
    writeFileSync(
      source,
      readFileSync(source, 'utf8').replace(
        'usage: npm run sim -- ',
        'usage: npm run sim (edited) -- ',
      ),
    );
    const edited = start(dir, 'sim', '--help');
    expect(edited.status).toBe(0);
    expect(edited.stdout).toMatch(/^usage: npm run sim \(edited\) -- <scenario\.ts>/);
    const [made] = bundles(dir);
    expect(bundles(dir)).toHaveLength(1);
    // Unchanged sources: the same bundle serves again.
    expect(start(dir, 'sim', '--help').stdout).toBe(edited.stdout);
    expect(bundles(dir)).toEqual([made]);
  });

  it('runs through tsx when it cannot keep a bundle, with the same output', () => {
    const dir = copyOfRepository();
    // A file where the cache's folder would be: nothing can be written there.
    writeFileSync(join(dir, 'node_modules/.cache'), '');
    const r = start(dir, 'sim', 'scenarios/stale-read.ts', '--view', 'log');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const here = start(ROOT, 'sim', 'scenarios/stale-read.ts', '--view', 'log');
    expect(r.stdout).toBe(here.stdout);
  });

  it('names the commands it starts when given another', () => {
    const r = start(ROOT, 'frobnicate');
    expect(isOneLineRefusal(r)).toBe(true);
    expect(r.stderr).toMatch(/starts one of sim, view, explore, verify, serve, client, live/);
  });
});
