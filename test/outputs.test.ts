// Nothing lost: an output path that names an input (by any spelling, a symbolic or a hard link),
// or two outputs naming one file, is refused before anything runs; outputs are checked before the
// run; a file is written whole or not at all.

import { spawnSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { planOutputs, WholeFile, writeWhole } from '../sim/cli/output.ts';
import { UsageError, waitOnPipe } from '../sim/cli/usage.ts';
import { isOneLineRefusal, nodeCommand, plainEnv, ROOT, runCli } from './run-cli.ts';

let dir: string;
let scenario: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kvsim-out-'));
  mkdirSync(join(dir, 'sub'));
  // The scenario imports '../sim/scenario.ts' only as a type, so a copy runs from anywhere.
  scenario = join(dir, 'my.ts');
  copyFileSync(join(ROOT, 'scenarios', 'stale-read.ts'), scenario);
});

function unchanged(path: string, before: Buffer): void {
  expect(readFileSync(path).equals(before)).toBe(true);
}

describe('sim refuses an output that would overwrite the scenario', () => {
  it.each([
    ['--json', 'my.ts'],
    ['--html', 'my.ts'],
    ['--json', './sub/../my.ts'],
    ['--html', 'sub/../my.ts'],
  ])('%s %s', (flag, path) => {
    const before = readFileSync(scenario);
    const r = runCli('sim', ['my.ts', flag, path, '--quiet'], dir);
    expect(isOneLineRefusal(r), r.stderr).toBe(true);
    expect(r.stderr).toContain('is the scenario file');
    expect(r.stdout).toBe('');
    unchanged(scenario, before);
  });

  it('through a symbolic link or a hard link to it', () => {
    const before = readFileSync(scenario);
    symlinkSync(scenario, join(dir, 'soft.ts'));
    linkSync(scenario, join(dir, 'hard.ts'));
    for (const path of ['soft.ts', 'hard.ts']) {
      const r = runCli('sim', ['my.ts', '--json', path, '--quiet'], dir);
      expect(isOneLineRefusal(r), r.stderr).toBe(true);
      unchanged(scenario, before);
    }
  });

  it('when --json and --html name the same file, by two spellings', () => {
    const r = runCli('sim', ['my.ts', '--json', 'run.out', '--html', 'sub/../run.out'], dir);
    expect(isOneLineRefusal(r), r.stderr).toBe(true);
    expect(r.stderr).toContain('both name');
    expect(readdirSync(dir).sort()).toEqual(['my.ts', 'sub']);
  });
});

describe('sim checks its output paths before the scenario runs', () => {
  it.each([
    [['--json', 'missing/run.json'], /directory 'missing' does not exist/],
    [['--html', 'sub'], /'sub' is a directory/],
    [['--json', 'sub/'], /'sub\/' is a directory/],
    [['--json', ''], /--json needs a file name/],
  ])('%j', (args, message) => {
    // This scenario throws when it loads: a refusal about the output proves it never ran.
    const throws = join(ROOT, 'test', 'fixtures', 'cli', 'throws.ts');
    const r = runCli('sim', [throws, ...args], dir);
    expect(isOneLineRefusal(r), r.stderr).toBe(true);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('a write that fails after the run still leaves the summary, then says why in one line', () => {
    // /dev/full takes no byte: the write fails the way a full disk does.
    const r = runCli('sim', ['my.ts', '--quiet', '--json', '/dev/full'], dir);
    expect(isOneLineRefusal(r), r.stderr).toBe(true);
    expect(r.stderr).toMatch(/could not write --json '\/dev\/full': ENOSPC/);
    expect(r.stdout).toMatch(/replay +npm run sim -- my\.ts --seed 1/);
  });

  it('writes both outputs when the paths are good, leaving no temporary file', () => {
    const r = runCli('sim', ['my.ts', '--json', 'sub/run.json', '--html', 'run.html'], dir);
    expect(r.status).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'sub', 'run.json'), 'utf8')).schema).toBe(
      'kvsim-trace/1',
    );
    expect(readFileSync(join(dir, 'run.html'), 'utf8')).toMatch(/^<!doctype html>/);
    expect(readdirSync(dir).sort()).toEqual(['my.ts', 'run.html', 'sub']);
    expect(readdirSync(join(dir, 'sub'))).toEqual(['run.json']);
  });
});

describe('an output is written wherever a file can be', () => {
  it('under the longest name the file system allows, the trace kept or streamed, and the page', () => {
    const name = 'b'.repeat(250);
    for (const [flags, file] of [
      [['--json'], `${name}.json`],
      [['--quiet', '--json'], `${name}.json`],
      [['--quiet', '--html'], `${name}.html`],
    ] as const) {
      const r = runCli('sim', ['my.ts', ...flags, join('sub', file)], dir);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(readdirSync(join(dir, 'sub'))).toEqual([file]);
      rmSync(join(dir, 'sub', file));
    }
  });

  it('at the end of a symbolic link to no file yet, keeping the link; a link nowhere is refused', () => {
    symlinkSync(join(dir, 'sub', 'target.json'), join(dir, 'link.json'));
    symlinkSync('relative.json', join(dir, 'sub', 'near.json'));
    for (const link of ['link.json', 'sub/near.json']) {
      const r = runCli('sim', ['my.ts', '--quiet', '--json', link], dir);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(lstatSync(join(dir, link)).isSymbolicLink()).toBe(true);
    }
    expect(JSON.parse(readFileSync(join(dir, 'link.json'), 'utf8')).schema).toBe('kvsim-trace/1');
    expect(readdirSync(join(dir, 'sub')).sort()).toEqual([
      'near.json',
      'relative.json',
      'target.json',
    ]);
    symlinkSync(join('missing', 'run.json'), join(dir, 'astray.json'));
    symlinkSync('loop-b.json', join(dir, 'loop-a.json'));
    symlinkSync('loop-a.json', join(dir, 'loop-b.json'));
    for (const [link, said] of [
      [
        'astray.json',
        /^error: --json 'astray\.json': the directory '.*\/missing' does not exist; create it first/,
      ],
      [
        'loop-a.json',
        /^error: --json 'loop-a\.json' is a loop of symbolic links: name a file, e\.g\. --json run\.json\n$/,
      ],
    ] as const) {
      const r = runCli('sim', ['my.ts', '--quiet', '--json', link], dir);
      expect(isOneLineRefusal(r)).toBe(true);
      expect(r.stderr).toMatch(said);
      expect(lstatSync(join(dir, link)).isSymbolicLink()).toBe(true);
    }
  });
});

describe('an output replaces only a file kvsim wrote, of its own kind', () => {
  it('refuses a file that is neither a trace nor a page, and leaves it as it was', () => {
    writeFileSync(join(dir, 'notes.md'), '# my notes\n');
    const before = readFileSync(join(dir, 'notes.md'));
    for (const flag of ['--json', '--html']) {
      const r = runCli('sim', ['my.ts', '--quiet', flag, 'notes.md'], dir);
      expect(isOneLineRefusal(r), r.stderr).toBe(true);
      expect(r.stderr).toMatch(
        /'notes\.md' already exists and is not a kvsim (trace|page): name a new file/,
      );
      expect(r.stdout).toBe('');
      unchanged(join(dir, 'notes.md'), before);
    }
  });

  it('replaces a trace with a trace and a page with a page, never one with the other', () => {
    expect(
      runCli('sim', ['my.ts', '--quiet', '--json', 'a.json', '--html', 'a.html'], dir).status,
    ).toBe(0);
    const page = readFileSync(join(dir, 'a.html'));
    const crossed = runCli('sim', ['my.ts', '--quiet', '--json', 'a.html'], dir);
    expect(isOneLineRefusal(crossed), crossed.stderr).toBe(true);
    // Named for what it is, a page, not as a stranger's file.
    expect(crossed.stderr).toContain(
      "'a.html' already exists and is a kvsim page, not a kvsim trace",
    );
    unchanged(join(dir, 'a.html'), page);
    const trace = readFileSync(join(dir, 'a.json'));
    const other = runCli('sim', ['my.ts', '--quiet', '--html', 'a.json'], dir);
    expect(isOneLineRefusal(other), other.stderr).toBe(true);
    expect(other.stderr).toContain(
      "'a.json' already exists and is a kvsim trace, not a kvsim page",
    );
    unchanged(join(dir, 'a.json'), trace);
    // view given the page says what it is and what view reads instead.
    const viewed = runCli('view', ['a.html'], dir);
    expect(isOneLineRefusal(viewed), viewed.stderr).toBe(true);
    expect(viewed.stderr).toContain(
      "'a.html' is a kvsim page (--html), not a trace: open it in a browser; view draws a trace saved with --json",
    );
    const again = runCli(
      'sim',
      ['my.ts', '--quiet', '--seed', '2', '--json', 'a.json', '--html', 'a.html'],
      dir,
    );
    expect(again.status).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8')).seed).toBe(2);
    expect(readFileSync(join(dir, 'a.html'), 'utf8')).toContain('(seed 2)');
    // The page the view command writes is a page too: it may replace sim's.
    expect(runCli('view', ['a.json', '--html', 'a.html'], dir).status).toBe(0);
  });

  it('writes over an empty file (one made ready for it)', () => {
    writeFileSync(join(dir, 'empty.json'), '');
    expect(runCli('sim', ['my.ts', '--quiet', '--json', 'empty.json'], dir).status).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'empty.json'), 'utf8')).schema).toBe('kvsim-trace/1');
  });
});

describe('view refuses a page that would overwrite the trace', () => {
  beforeEach(() => {
    expect(runCli('sim', ['my.ts', '--json', 'run.json', '--quiet'], dir).status).toBe(0);
  });

  it.each([['run.json'], ['./sub/../run.json']])('--html %s', (path) => {
    const before = readFileSync(join(dir, 'run.json'));
    const r = runCli('view', ['run.json', '--html', path], dir);
    expect(isOneLineRefusal(r), r.stderr).toBe(true);
    expect(r.stderr).toContain('is the trace being read');
    unchanged(join(dir, 'run.json'), before);
  });

  it('draws the diagram and writes no page unless asked; --html writes it', () => {
    const r = runCli('view', ['run.json'], dir);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('trace hash');
    expect(existsSync(join(dir, 'run.html'))).toBe(false);
    expect(runCli('view', ['run.json', '--html', 'page.html'], dir).status).toBe(0);
    expect(readFileSync(join(dir, 'page.html'), 'utf8')).toMatch(/^<!doctype html>/);
  });
});

/** A file holding 'old', planned as an output. */
function oldFile() {
  const target = join(dir, 'out.txt');
  writeFileSync(target, 'old');
  const [out] = planOutputs([], [{ flag: '--json', path: target, example: 'run.json' }]);
  return { target, file: new WholeFile(out!) };
}

describe('a file is written whole or not at all', () => {
  it('keeps the old file until the new one is complete, then replaces it in one step', () => {
    const { target, file } = oldFile();
    file.write('new, ');
    expect(readFileSync(target, 'utf8')).toBe('old');
    file.write('and whole');
    expect(readFileSync(target, 'utf8')).toBe('old');
    file.commit();
    expect(readFileSync(target, 'utf8')).toBe('new, and whole');
    expect(readdirSync(dir).sort()).toEqual(['my.ts', 'out.txt', 'sub']);
  });

  it('an abandoned write leaves the old file and no temporary one', () => {
    const { target, file } = oldFile();
    file.write('half');
    file.abort();
    expect(readFileSync(target, 'utf8')).toBe('old');
    expect(readdirSync(dir).sort()).toEqual(['my.ts', 'out.txt', 'sub']);
  });

  it('keeps the mode of the file it replaces, and writes through a symbolic link', () => {
    const target = join(dir, 'out.txt');
    writeFileSync(target, 'old', { mode: 0o640 });
    symlinkSync(target, join(dir, 'link.txt'));
    const [out] = planOutputs([], [{ flag: '--json', path: join(dir, 'link.txt'), example: 'x' }]);
    writeWhole(out!, 'new');
    expect(readFileSync(target, 'utf8')).toBe('new');
    expect(statSync(target).mode & 0o777).toBe(0o640);
  });

  it('a refused plan throws a UsageError', () => {
    expect(() =>
      planOutputs(
        [{ what: 'the input', path: scenario }],
        [{ flag: '-o', path: scenario, example: 'x' }],
      ),
    ).toThrow(UsageError);
  });
});

describe("an output on the command's own stdout, or on a descriptor", () => {
  it('refuses stdout, where the summary goes too, by name or as the file stdout is sent to', () => {
    const r = runCli('sim', [scenario, '--quiet', '--json', '/dev/stdout']);
    expect(isOneLineRefusal(r)).toBe(true);
    expect(r.stderr).toMatch(/--json '\/dev\/stdout' is where this command's output goes/);
    // `sim my.ts --json run.json > run.json`: the trace and the summary would share one file.
    const out = join(dir, 'run.json');
    writeFileSync(out, '');
    const fd = openSync(out, 'r+');
    try {
      const [program, args] = nodeCommand('sim/cli/sim.ts', [scenario, '--json', out]);
      const same = spawnSync(program, args, { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
      expect(same.status).toBe(2);
      expect(same.stderr).toMatch(
        /^error: --json '.*run\.json' is where this command's output goes/,
      );
    } finally {
      closeSync(fd);
    }
  });

  it("refuses '-', which would be a file named '-' that view -- - does not read", () => {
    for (const flag of ['--json', '--html']) {
      const r = runCli('sim', ['my.ts', '--quiet', flag, '-'], dir);
      expect(isOneLineRefusal(r), r.stderr).toBe(true);
      expect(r.stderr).toContain(`${flag} '-' would write a file named '-', not stdout`);
      expect(r.stdout).toBe('');
    }
    writeFileSync(join(dir, 'run.json'), '');
    expect(runCli('sim', ['my.ts', '--quiet', '--json', 'run.json'], dir).status).toBe(0);
    const view = runCli('view', ['run.json', '--html', '-'], dir);
    expect(isOneLineRefusal(view), view.stderr).toBe(true);
    expect(view.stdout).toBe('');
    expect(existsSync(join(dir, '-'))).toBe(false);
    // A file named '-' is still there to be had, spelt as a path.
    expect(runCli('sim', ['my.ts', '--quiet', '--json', './-'], dir).status).toBe(0);
    expect(existsSync(join(dir, '-'))).toBe(true);
  });

  it('writes a trace into a pipe given as /dev/fd/N, as into a file', () => {
    // As a shell hands it: fd 3 is a pipe to cat, and stdout (the summary) goes nowhere.
    const [program, args] = nodeCommand('sim/cli/sim.ts', [
      scenario,
      '--quiet',
      '--json',
      '/dev/fd/3',
    ]);
    const command = [program, ...args].map((w) => `'${w}'`).join(' ');
    const piped = spawnSync('sh', ['-c', `${command} 3>&1 >/dev/null | cat`], {
      encoding: 'utf8',
      env: plainEnv(),
    });
    expect(piped.stderr).toBe('');
    expect(piped.status).toBe(0);
    const file = join(dir, 'file.json');
    expect(runCli('sim', [scenario, '--quiet', '--json', file]).status).toBe(0);
    expect(piped.stdout).toBe(readFileSync(file, 'utf8'));
  });
});

describe('a named pipe waited on, for an input or an output alike', () => {
  it('is tried until it answers, and what it waits for is said once, after a second of waiting', () => {
    let tries = 0;
    let said = 0;
    const answer = waitOnPipe(
      () => (++tries < 60 ? undefined : 'opened'),
      () => said++,
    );
    expect(answer).toBe('opened');
    expect(tries).toBe(60);
    expect(said).toBe(1);
    // An answer at once says nothing.
    expect(
      waitOnPipe(
        () => 0,
        () => said++,
      ),
    ).toBe(0);
    expect(said).toBe(1);
  });
});
