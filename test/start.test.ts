// sim/cli/start.mjs, which the npm scripts start every command through: the command runs from a
// bundle of its sources, made again when a source changes, and runs through tsx as before when no
// bundle can be kept. Each case runs a copy of the repository, so that its edits and its cache
// touch nothing of this one's.

import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isOneLineRefusal, nodeCommand, plainEnv, ROOT } from './run-cli.ts';

const copies: string[] = [];
afterAll(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

/** A node_modules folder of this repository's packages, linked one by one (its cache its own). */
function packages(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kvsim-start-'));
  copies.push(dir);
  const modules = join(dir, 'node_modules');
  mkdirSync(modules);
  for (const entry of readdirSync(join(ROOT, 'node_modules')))
    if (entry !== '.cache') symlinkSync(join(ROOT, 'node_modules', entry), join(modules, entry));
  return modules;
}

/**
 * A copy of the repository's sources with a node_modules of its own, or linked to `shared` (as
 * worktrees may share one).
 */
function copyOfRepository(shared?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kvsim-start-'));
  copies.push(dir);
  for (const part of ['sim', 'protocol', 'scenarios', 'package.json', 'tsconfig.json'])
    cpSync(join(ROOT, part), join(dir, part), { recursive: true });
  if (shared === undefined) renameSync(packages(), join(dir, 'node_modules'));
  else symlinkSync(shared, join(dir, 'node_modules'));
  return dir;
}

function start(dir: string, ...args: string[]) {
  return startWith([], dir, ...args);
}

/** start.mjs with node's own flags before it (a module to import first, say). */
function startWith(flags: readonly string[], dir: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [...flags, join(dir, 'sim/cli/start.mjs'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: plainEnv(),
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The copy's cache folder (one a checkout, under node_modules/.cache/kvsim). */
function cacheOf(dir: string): string {
  const [own, other] = readdirSync(join(dir, 'node_modules/.cache/kvsim'));
  expect(other).toBeUndefined();
  return join(dir, 'node_modules/.cache/kvsim', own!);
}

/** The bundle the copy's manifest names for sim. */
function currentBundle(dir: string): string {
  return JSON.parse(readFileSync(join(cacheOf(dir), 'sim.json'), 'utf8')).bundle;
}

/** Edits a source of the copy in place. */
function edit(dir: string, file: string, from: string, to: string): void {
  const path = join(dir, file);
  const text = readFileSync(path, 'utf8');
  expect(text).toContain(from);
  writeFileSync(path, text.replace(from, to));
}

const STALE_READ = ['scenarios/stale-read.ts', '--view', 'log', '--seed', '4'];

describe('start.mjs', () => {
  it('runs a command from a bundle of its sources, with the output tsx gives, byte for byte', () => {
    const [, viaScript] = nodeCommand('sim/cli/sim.ts', []);
    expect(viaScript).toEqual([join(ROOT, 'sim/cli/start.mjs'), 'sim']);
    const dir = copyOfRepository();
    const bundled = start(dir, 'sim', ...STALE_READ);
    expect(bundled.stderr).toBe('');
    expect(bundled.status).toBe(0);
    expect(bundled.stdout).toContain('trace hash');
    expect(readdirSync(cacheOf(dir))).toContain(currentBundle(dir));
    const underTsx = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(dir, 'sim/cli/sim.ts'), ...STALE_READ],
      { cwd: dir, encoding: 'utf8', env: plainEnv() },
    );
    expect(bundled.stdout).toBe(underTsx.stdout);
  });

  it('makes the bundle again when any of its sources changes, and only then', () => {
    const dir = copyOfRepository();
    const first = start(dir, 'sim', ...STALE_READ);
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/ 0\.013s {2}c1 → s1 /);
    const before = currentBundle(dir);
    // A module the command imports, not its own file: times are printed in 'sec'.
    edit(dir, 'sim/render/format.ts', "padStart(3, '0')}s`", "padStart(3, '0')}sec`");
    const edited = start(dir, 'sim', ...STALE_READ);
    expect(edited.status).toBe(0);
    expect(edited.stdout).toMatch(/ 0\.013sec {2}c1 → s1 /);
    const made = currentBundle(dir);
    expect(made).not.toBe(before);
    // Unchanged sources: the same bundle serves again.
    expect(start(dir, 'sim', ...STALE_READ).stdout).toBe(edited.stdout);
    expect(currentBundle(dir)).toBe(made);
    // A bundle gone from under its manifest (removed by hand, or by another checkout's command)
    // is made again, not imported.
    rmSync(join(cacheOf(dir), made));
    expect(start(dir, 'sim', ...STALE_READ).stdout).toBe(edited.stdout);
    expect(readdirSync(cacheOf(dir))).toContain(made);
  });

  it('sees a source saved while its bundle was being made, at the next command', () => {
    const dir = copyOfRepository();
    const format = join(dir, 'sim/render/format.ts');
    // Saves the edit the moment the build has read the file, once: this command runs the old text.
    const saveWhileBuilding = join(dir, 'save-while-building.mjs');
    writeFileSync(
      saveWhileBuilding,
      [
        "import fs from 'node:fs';",
        "import { syncBuiltinESMExports } from 'node:module';",
        'const read = fs.readFileSync;',
        'let saved = false;',
        'fs.readFileSync = (path, ...rest) => {',
        '  const text = read(path, ...rest);',
        `  if (!saved && String(path) === ${JSON.stringify(format)}) {`,
        '    saved = true;',
        `    fs.writeFileSync(path, String(text).replace("padStart(3, '0')}s\`", "padStart(3, '0')}sec\`"));`,
        '  }',
        '  return text;',
        '};',
        'syncBuiltinESMExports();',
        '',
      ].join('\n'),
    );
    const during = startWith(
      ['--import', pathToFileURL(saveWhileBuilding).href],
      dir,
      'sim',
      ...STALE_READ,
    );
    expect(during.status).toBe(0);
    expect(during.stdout).toMatch(/ 0\.013s {2}c1 → s1 /);
    expect(readFileSync(format, 'utf8')).toContain("padStart(3, '0')}sec`");
    expect(start(dir, 'sim', ...STALE_READ).stdout).toMatch(/ 0\.013sec {2}c1 → s1 /);
  });

  it('runs the command through tsx when its bundle goes between its check and its import', () => {
    const dir = copyOfRepository();
    const made = start(dir, 'sim', ...STALE_READ);
    expect(made.status).toBe(0);
    // Removes the bundle the moment it is imported, after every check the cache makes, as a
    // command of another checkout, or a hand, might.
    const hook = [
      "import { rmSync } from 'node:fs';",
      "import { fileURLToPath } from 'node:url';",
      'let done = false;',
      'export async function resolve(specifier, context, next) {',
      '  if (!done && /\\/sim-[0-9a-f]+\\.mjs$/.test(specifier)) {',
      '    done = true;',
      '    rmSync(fileURLToPath(specifier));',
      '  }',
      '  return next(specifier, context);',
      '}',
    ].join('\n');
    const removeOnImport = join(dir, 'remove-on-import.mjs');
    writeFileSync(
      removeOnImport,
      `import { register } from 'node:module';\nregister(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});\n`,
    );
    const r = startWith(
      ['--import', pathToFileURL(removeOnImport).href],
      dir,
      'sim',
      ...STALE_READ,
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(made.stdout);
  });

  it("an internal error's stack names the source's own file and line, with node_modules shared", () => {
    const shared = packages();
    const other = copyOfRepository(shared);
    const dir = copyOfRepository(shared);
    expect(start(other, 'sim', ...STALE_READ).status).toBe(0);
    edit(
      dir,
      'sim/render/format.ts',
      "  const sign = ms < 0 ? '-' : '';",
      "  if (ms > 0) throw new Error('formatTime broke');\n  const sign = ms < 0 ? '-' : '';",
    );
    const r = start(dir, 'sim', ...STALE_READ);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^internal error: Error: formatTime broke$/m);
    const line = readFileSync(join(dir, 'sim/render/format.ts'), 'utf8')
      .split('\n')
      .findIndex((l) => l.includes('formatTime broke'));
    expect(r.stderr).toContain(`${join(dir, 'sim/render/format.ts')}:${line + 1}:`);
    // Each checkout keeps its own bundles: the other's still serves it, made before.
    expect(readdirSync(join(shared, '.cache/kvsim'))).toHaveLength(2);
    expect(start(other, 'sim', ...STALE_READ).status).toBe(0);
  });

  it('removes the folders of checkouts that are gone and unused for a day, when it next makes a bundle', () => {
    const shared = packages();
    const [gone, away, dir, kept] = [1, 2, 3, 4].map(() => copyOfRepository(shared));
    for (const d of [gone, away, dir, kept]) expect(start(d!, 'sim', '--help').status).toBe(0);
    const all = join(shared, '.cache/kvsim');
    const folderOf = (d: string) => {
      const path = realpathSync(d);
      return readdirSync(all).find((f) => {
        const owner = join(all, f, 'checkout');
        return existsSync(owner) && readFileSync(owner, 'utf8') === path;
      });
    };
    const [goneFolder, awayFolder, dirFolder, keptFolder] = [gone, away, dir, kept].map(
      (d) => folderOf(d!)!,
    ) as [string, string, string, string];
    const twoDaysAgo = new Date(Date.now() - 48 * 3_600_000);
    const age = (folder: string) => {
      for (const f of readdirSync(join(all, folder)))
        utimesSync(join(all, folder, f), twoDaysAgo, twoDaysAgo);
    };
    // gone: removed and unused for two days. away: not found from here, but used today (a
    // checkout seen through another mount, or a container, looks the same). Folders that name no
    // checkout (made by an older launcher): one unused for two days, one in use, one empty (a
    // checkout's first bundle being made).
    rmSync(gone!, { recursive: true });
    age(goneFolder);
    rmSync(away!, { recursive: true });
    for (const [name, old] of [
      ['unnamed-old', true],
      ['unnamed-recent', false],
    ] as const) {
      mkdirSync(join(all, name));
      writeFileSync(join(all, name, 'sim.json'), '{}');
      if (old) age(name);
    }
    mkdirSync(join(all, 'unnamed-empty'));
    // A change makes dir's bundle again; the folders are looked at then.
    edit(dir!, 'sim/render/format.ts', "padStart(3, '0')}s`", "padStart(3, '0')}sec`");
    expect(start(dir!, 'sim', '--help').status).toBe(0);
    expect(readdirSync(all).sort()).toEqual(
      [awayFolder, dirFolder, keptFolder, 'unnamed-empty', 'unnamed-recent'].sort(),
    );
    // kept runs from its bundle, made before.
    const manifest = readFileSync(join(all, keptFolder, 'sim.json'), 'utf8');
    expect(start(kept!, 'sim', '--help').status).toBe(0);
    expect(readFileSync(join(all, keptFolder, 'sim.json'), 'utf8')).toBe(manifest);
  });

  it('makes a bundle again that is not whole (emptied by a crash before it reached the disk, or cut short)', () => {
    const dir = copyOfRepository();
    const made = start(dir, 'sim', ...STALE_READ);
    expect(made.status).toBe(0);
    const bundle = join(cacheOf(dir), currentBundle(dir));
    const whole = readFileSync(bundle, 'utf8');
    for (const broken of ['', whole.slice(0, whole.length / 2)]) {
      writeFileSync(bundle, broken);
      const r = start(dir, 'sim', ...STALE_READ);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(made.stdout);
      expect(readFileSync(bundle, 'utf8')).toBe(whole);
    }
  });

  it('runs through tsx when it cannot keep a bundle, with the same output', () => {
    const dir = copyOfRepository();
    // A file where the cache's folder would be: nothing can be written there.
    writeFileSync(join(dir, 'node_modules/.cache'), '');
    const r = start(dir, 'sim', ...STALE_READ);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(start(ROOT, 'sim', ...STALE_READ).stdout);
  });

  it('names the commands it starts when given another', () => {
    const r = start(ROOT, 'frobnicate');
    expect(isOneLineRefusal(r)).toBe(true);
    expect(r.stderr).toMatch(/starts one of sim, view, explore, verify, serve, client, live/);
  });
});

describe("the page's lab", () => {
  const page = (dir: string, name: string, flags: readonly string[] = []) => {
    const r = startWith(flags, dir, 'sim', 'scenarios/stale-read.ts', '--html', name);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return readFileSync(join(dir, name), 'utf8');
  };
  const labBundle = (dir: string): string | undefined => {
    const manifest = join(cacheOf(dir), 'lab.json');
    const names = readdirSync(cacheOf(dir));
    return names.includes('lab.json')
      ? JSON.parse(readFileSync(manifest, 'utf8')).bundle
      : undefined;
  };
  // A text of a module the lab's entry imports (not the entry itself), and the same edited.
  const WORDS = "'the edit brings it about'";
  const EDITED = "'the edit brings it about, edited'";
  const ENTRY_WORDS = "'No verdict and no expectation changed.'";
  const ENTRY_EDITED = "'No verdict and no expectation changed, edited.'";

  it('is built, then kept and served from the cache while its sources are unchanged, and built again when one changes', () => {
    const dir = copyOfRepository();
    const first = page(dir, 'a.html');
    // The first build in a checkout notes the files it read; the next, finding each as it was
    // before it began, is kept.
    expect(labBundle(dir)).toBeUndefined();
    expect(page(dir, 'b.html')).toBe(first);
    const bundle = labBundle(dir)!;
    expect(bundle).toMatch(/^lab-[0-9a-f-]+\.js$/);
    // Served from the cache: a mark put in the kept bundle (its size as it was) shows in the next
    // page.
    const kept = join(cacheOf(dir), bundle);
    const text = readFileSync(kept, 'utf8');
    expect(text.startsWith('"use strict";')).toBe(true);
    writeFileSync(kept, text.replace('"use strict";', '"kept!kept!";'));
    const marked = page(dir, 'c.html');
    expect(marked).toContain('"kept!kept!";');
    expect(first).toContain(WORDS.slice(1, -1));
    edit(dir, 'sim/lab/whatif.ts', WORDS, EDITED);
    const edited = page(dir, 'd.html');
    expect(edited).toContain(EDITED.slice(1, -1));
    expect(edited).not.toContain('"kept!kept!";');
    expect(labBundle(dir)).not.toBe(bundle);
    // A kept bundle that is no file (a folder in its place) is built again.
    const now = join(cacheOf(dir), labBundle(dir)!);
    rmSync(now);
    mkdirSync(now);
    expect(page(dir, 'e.html')).toBe(edited);
  });

  it('is not kept when a source is saved during its build, before esbuild reads it or after', () => {
    for (const when of ['before esbuild reads it', 'after esbuild reads it'] as const) {
      const dir = copyOfRepository();
      page(dir, 'a.html');
      // The lab's entry: the command's own bundle does not hold it, so only the lab's build reads it.
      const source = join(dir, 'sim/lab/main.ts');
      const edited = readFileSync(source, 'utf8').replace(ENTRY_WORDS, ENTRY_EDITED);
      // This process reads the file before the build and after it: the edit is saved once the
      // first read is done (esbuild reads the edit), or before the second (esbuild read the old
      // text).
      const at = when === 'before esbuild reads it' ? 1 : 2;
      const hook = join(dir, 'save-during-build.mjs');
      writeFileSync(
        hook,
        [
          "import fs from 'node:fs';",
          "import { syncBuiltinESMExports } from 'node:module';",
          'const read = fs.readFileSync;',
          'let reads = 0;',
          'fs.readFileSync = (path, ...rest) => {',
          `  const now = String(path) === ${JSON.stringify(source)} && ++reads === ${at};`,
          // Saved with an old time, as mv, cp -p or tar keep one: the file's time says nothing.
          '  const save = () => {',
          `    fs.writeFileSync(path, ${JSON.stringify(edited)});`,
          '    const hourAgo = new Date(Date.now() - 3600000);',
          '    fs.utimesSync(path, hourAgo, hourAgo);',
          '  };',
          `  if (now && ${at} === 2) save();`,
          '  const text = read(path, ...rest);',
          `  if (now && ${at} === 1) save();`,
          '  return text;',
          '};',
          'syncBuiltinESMExports();',
          '',
        ].join('\n'),
      );
      const during = page(dir, 'b.html', ['--import', pathToFileURL(hook).href]);
      expect(readFileSync(source, 'utf8')).toContain(ENTRY_EDITED);
      expect(during.includes(ENTRY_EDITED.slice(1, -1)), when).toBe(at === 1);
      expect(labBundle(dir), when).toBeUndefined();
      // The next page is built from the saved text, and kept.
      expect(page(dir, 'c.html')).toContain(ENTRY_EDITED.slice(1, -1));
      expect(labBundle(dir)).toMatch(/^lab-[0-9a-f-]+\.js$/);
      expect(page(dir, 'd.html')).toContain(ENTRY_EDITED.slice(1, -1));
    }
  });
});

describe("explore's worker", () => {
  const search = (dir: string) =>
    start(
      dir,
      'explore',
      '--knob',
      'followerApply=overwrite',
      '--workers',
      '1',
      '--out',
      join(dir, 'cases'),
    );
  const workerBundle = (dir: string) =>
    JSON.parse(readFileSync(join(cacheOf(dir), 'explore-worker.json'), 'utf8')).bundle as string;

  it("is kept while its sources are unchanged, and outlives the pruning of the command's own bundles", () => {
    const dir = copyOfRepository();
    const first = search(dir);
    expect(first.status).toBe(1);
    // The first build in a checkout notes the files it read; the next, finding each as it was
    // before it began, is kept.
    expect(readdirSync(cacheOf(dir))).not.toContain('explore-worker.json');
    expect(search(dir).status).toBe(1);
    const kept = join(cacheOf(dir), workerBundle(dir));
    // A mark that shows the kept bundle is what the next search's worker runs (the manifest told
    // its new size: a bundle of another size than was written is no bundle).
    const mark = join(dir, 'ran-from-the-cache');
    writeFileSync(
      kept,
      `${readFileSync(kept, 'utf8')}\nrequire('node:fs').writeFileSync(${JSON.stringify(mark)}, '');\n`,
    );
    const manifest = join(cacheOf(dir), 'explore-worker.json');
    const noted = JSON.parse(readFileSync(manifest, 'utf8'));
    writeFileSync(manifest, JSON.stringify({ ...noted, size: statSync(kept).size }));
    // Unused for an hour, and the command's own bundle made again (its launcher changed), which
    // prunes the command's older bundles: not the worker's, whose names begin the same.
    const hourAgo = new Date(Date.now() - 3_600_000);
    for (const file of readdirSync(cacheOf(dir)))
      if (file.startsWith('explore-worker')) utimesSync(join(cacheOf(dir), file), hourAgo, hourAgo);
    writeFileSync(
      join(dir, 'sim/cli/start.mjs'),
      `${readFileSync(join(dir, 'sim/cli/start.mjs'), 'utf8')}\n// edited\n`,
    );
    const third = search(dir);
    // A progress line (one every 2 s when stderr is no terminal) tells the rate, which is timing:
    // a loaded machine prints one in one search and not in the other, or another rate.
    const untimed = (stderr: string) =>
      stderr.replace(/^runs \d+\/\d+ {2}\d+ runs\/s on .*\n/gm, '');
    expect(untimed(third.stderr)).toBe(untimed(first.stderr).replaceAll('seed1.ts', 'seed1-3.ts'));
    expect(third.stdout).toBe(first.stdout.replaceAll('seed1.ts', 'seed1-3.ts'));
    expect(readdirSync(dir)).toContain('ran-from-the-cache');
    // A source of the worker edited: the case it writes shows it at once.
    edit(dir, 'sim/explore/case.ts', 'a random run found by', 'a random run that was found by');
    const fourth = search(dir);
    expect(fourth.status).toBe(1);
    const written = /^case written to (\S+)$/m.exec(fourth.stdout)![1]!;
    expect(readFileSync(join(dir, written), 'utf8')).toContain('a random run that was found by');
  });
});
