// Ctrl-C and kill as a user sends them: a command ends as the signal ends it (130 in a shell for
// Ctrl-C), with no half-written case and no temporary file or folder left behind.

import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeCommand, plainEnv, ROOT, runCli } from './run-cli.ts';

const made: string[] = [];
const scratch = (name: string) => {
  const dir = mkdtempSync(join(tmpdir(), `kvsim-${name}-`));
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** How a shell reports a command's end: 128 + the signal's number when a signal ended it. */
const SIGNAL_STATUS: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

function ended(child: ReturnType<typeof spawn>): Promise<number | null> {
  return new Promise((resolve) =>
    child.on('close', (code, signal) => resolve(signal === null ? code : SIGNAL_STATUS[signal]!)),
  );
}

/** Starts `script` with `fixture` (from test/fixtures/signals/) loaded first, by node --import. */
function startWith(
  fixture: string,
  script: string,
  args: readonly string[],
  options: SpawnOptions,
): ChildProcess {
  const [program, argv] = nodeCommand(script, args);
  const preload = join(ROOT, 'test', 'fixtures', 'signals', fixture);
  return spawn(program, ['--import', preload, ...argv], options);
}

/**
 * Starts `script` and sends it `signal` (SIGINT) once its stderr shows `progress` (it is under way, with a
 * line to show for it); if it has not ended 60 s later, it is killed and the status is null.
 */
function interruptOnProgress(
  script: string,
  args: readonly string[],
  progress: RegExp,
  cwd: string,
  signal: NodeJS.Signals = 'SIGINT',
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(...nodeCommand(script, args), { cwd, env: plainEnv() });
  let stdout = '';
  let stderr = '';
  let sent = false;
  child.stdout!.on('data', (d) => {
    stdout += d;
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
    if (!sent && progress.test(stderr)) {
      sent = true;
      child.kill(signal);
    }
  });
  const bound = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(bound);
      resolve({ status: signal === null ? code : null, stdout, stderr });
    }),
  );
}

describe('Ctrl-C during a long search', () => {
  it.each([
    ['Ctrl-C', 'SIGINT'],
    ['kill', 'SIGTERM'],
  ] as const)(
    '%s: verify says on one line that it was interrupted and what it had explored, exit 130 (143 killed)',
    async (_, signal) => {
      const work = scratch('verify-interrupt');
      // Millions of states: far more than it can explore before the first progress line is read.
      const r = await interruptOnProgress(
        'sim/cli/verify.ts',
        [
          join(ROOT, 'scenarios', 'verify', 'two-readers.ts'),
          '--max-drops',
          '2',
          '--max-duplicates',
          '2',
          '--max-crashes',
          '1',
        ],
        /^moves \d+ /m,
        work,
        signal,
      );
      expect(r.status).toBe(SIGNAL_STATUS[signal]);
      const lines = r.stdout.split('\n').filter((l) => l.startsWith('interrupted'));
      expect(lines).toHaveLength(1);
      const m =
        /^interrupted: (\d+) distinct states \(the start and (\d+) new ones found by (\d+) moves\), depth \d+ moves reached, \d+ complete schedules?, no violation so far, in [\d.]+ m?s of CPU$/.exec(
          lines[0]!,
        );
      expect(m).not.toBeNull();
      const [distinct, fresh, moves] = m!.slice(1).map(Number) as [number, number, number];
      expect(distinct).toBe(fresh + 1);
      // At least what the progress line showed, which came before the signal.
      const shown = Number(/^moves (\d+) /m.exec(r.stderr)![1]);
      expect(moves).toBeGreaterThanOrEqual(shown);
      expect(r.stderr).not.toMatch(/error|\n\s+at /);
      expect(readdirSync(work)).toEqual([]);
    },
  );

  it('explore says so too, with its runs, and leaves no worker running (exit 130)', async () => {
    const out = scratch('explore-interrupt');
    const r = await interruptOnProgress(
      'sim/cli/explore.ts',
      ['--runs', '1000000', '--workers', '2', '--out', out],
      /^runs \d+\/1000000/m,
      ROOT,
    );
    // It ended by itself: a worker thread still running would have kept it alive past the bound.
    expect(r.status).toBe(130);
    expect(r.stdout).toMatch(
      /^interrupted after \d+ runs \(store replicated, preset fixed, seed 1\)\nno violation found so far\n$/,
    );
    expect(readdirSync(out)).toEqual([]);
  });
});

describe('Ctrl-C while the folder for cases is checked, before the search', () => {
  // The check makes the folder and a file in it, then removes them: a signal in between is
  // answered once they are gone, neither lost (the search would run on) nor leaving them behind.
  it.each([
    ['verify', 'sim/cli/verify.ts', [join(ROOT, 'scenarios', 'verify', 'two-readers.ts')]],
    ['explore', 'sim/cli/explore.ts', ['--workers', '1', '--out', 'cases']],
  ])('%s ends with 130 and leaves no cases/ behind', async (_, script, args) => {
    const work = scratch('check-signal');
    const child = startWith(
      'interrupt-case-write.mjs',
      script,
      [
        ...args,
        '--knob',
        script.includes('verify') ? 'missingKeyReply=null-first' : 'followerApply=overwrite',
      ],
      { cwd: work, env: { ...plainEnv(), PROBE: '1' }, stdio: 'ignore' },
    );
    expect(await ended(child)).toBe(130);
    expect(readdirSync(work)).toEqual([]);
  });
});

describe('npm run verify, Ctrl-C while it writes its counterexample', () => {
  it('ends with 130, the case whole (it replays) or absent, no temporary file, nothing replaced', async () => {
    const work = scratch('verify-signal');
    mkdirSync(join(work, 'cases'));
    // Someone's file under the name the case would take first: it must survive.
    const taken = join(
      work,
      'cases',
      'verify-two-readers-replicated-fixed-missingKeyReply-null-first.ts',
    );
    writeFileSync(taken, '// my notes\n');
    // The signal comes the moment a file under cases/ is opened: in the middle of the write.
    const child = startWith(
      'interrupt-case-write.mjs',
      'sim/cli/verify.ts',
      [join(ROOT, 'scenarios', 'verify', 'two-readers.ts'), '--knob', 'missingKeyReply=null-first'],
      { cwd: work, env: plainEnv(), stdio: 'ignore' },
    );
    expect(await ended(child)).toBe(130);
    expect(readFileSync(taken, 'utf8')).toBe('// my notes\n');
    const left = readdirSync(join(work, 'cases')).sort();
    expect(left.filter((f) => f.startsWith('.'))).toEqual([]);
    // Written whole before the signal was answered, under the next free name.
    expect(left).toEqual([basename(taken).replace(/\.ts$/, '-2.ts'), basename(taken)]);
    for (const file of left.filter((f) => join(work, 'cases', f) !== taken)) {
      const replay = runCli('sim', [join(work, 'cases', file), '--quiet'], work);
      expect(replay.status).toBe(0);
      expect(replay.stdout).toContain('as the scenario expected');
    }
  });
});

describe('npm run sim -- -, stopped while the scenario piped in loads', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s leaves no kvsim-stdin-* folder in the temporary folder',
    async (signal) => {
      const temporary = scratch('stdin-signal');
      const source = join(temporary, 'loops.ts');
      // A file that loops at import: the load waits for it up to its time limit.
      writeFileSync(source, 'while (true) {}\nexport default { steps: [] };\n');
      const child = spawn(...nodeCommand('sim/cli/sim.ts', ['-']), {
        env: { ...plainEnv(), TMPDIR: temporary },
        stdio: [openSync(source, 'r'), 'ignore', 'ignore'],
      });
      const status = ended(child);
      const saved = () => readdirSync(temporary).filter((f) => f.startsWith('kvsim-stdin-'));
      // Until the folder is made, or the command ends without making it (no bound of time: a
      // loaded machine may take many seconds to start it; the test's timeout bounds a hang).
      while (saved().length === 0 && child.exitCode === null && child.signalCode === null)
        await new Promise((r) => setTimeout(r, 10));
      expect(saved()).toHaveLength(1);
      child.kill(signal);
      expect(await status).toBe(SIGNAL_STATUS[signal]);
      expect(saved()).toEqual([]);
    },
  );

  it('a kill the moment the folder is made leaves no folder either', async () => {
    const temporary = scratch('stdin-signal-at-mkdtemp');
    const source = join(temporary, 'loops.ts');
    writeFileSync(source, 'while (true) {}\nexport default { steps: [] };\n');
    const child = startWith('terminate-at-mkdtemp.mjs', 'sim/cli/sim.ts', ['-'], {
      env: { ...plainEnv(), TMPDIR: temporary },
      stdio: [openSync(source, 'r'), 'ignore', 'ignore'],
    });
    expect(await ended(child)).toBe(SIGNAL_STATUS.SIGTERM);
    expect(readdirSync(temporary).filter((f) => f.startsWith('kvsim-stdin-'))).toEqual([]);
  });
});

describe('npm run sim -- --quiet --json, killed as the run starts to stream its events', () => {
  it('leaves nothing beside the --json file, even killed the moment its spool is made', async () => {
    const work = scratch('spool-signal');
    const file = join(work, 'endless.ts');
    writeFileSync(
      file,
      `export default { goal: 'endless', network: { dropPermille: 1000 }, runUntilMs: 1e9,
        steps: [{ at: 0, client: 'c1', put: ['x', '1'] }] };`,
    );
    // The signal comes the moment something is opened for writing beside run.json: the spool.
    const args = [file, '--quiet', '--json', join(work, 'run.json'), '--max-events', '1000000000'];
    const child = startWith('signal-at-json-open.mjs', 'sim/cli/sim.ts', args, {
      cwd: work,
      env: plainEnv(),
      stdio: 'ignore',
    });
    expect(await ended(child)).toBe(SIGNAL_STATUS.SIGTERM);
    expect(readdirSync(work)).toEqual(['endless.ts']);
  });
});

describe('npm run sim -- --html, Ctrl-C while the page is drawn', () => {
  it('ends the command at once (130), the page that was there untouched', async () => {
    const work = scratch('html-interrupt');
    const page = join(work, 'run.html');
    const scenario = join(ROOT, 'scenarios', 'stale-read.ts');
    expect(runCli('sim', [scenario, '--quiet', '--html', page]).status).toBe(0);
    const before = readFileSync(page, 'utf8');
    // Drawn with the output's file open, a long run's page (seconds) held the Ctrl-C until it was
    // written over the old one; only then did the command end, with 130.
    const child = startWith(
      'signal-at-page-drawing.mjs',
      'sim/cli/sim.ts',
      [scenario, '--quiet', '--seed', '2', '--html', page],
      { env: plainEnv(), stdio: 'ignore' },
    );
    expect(await ended(child)).toBe(SIGNAL_STATUS.SIGINT);
    expect(readFileSync(page, 'utf8')).toBe(before);
    expect(readdirSync(work)).toEqual(['run.html']);
  });
});

describe('npm run sim -- --json, Ctrl-C as the trace is written', () => {
  it('leaves no half-written file, and ends the command as Ctrl-C does (130)', async () => {
    const work = scratch('json-interrupt');
    const out = join(work, 'run.json');
    // The signal comes the moment the trace's temporary file is opened, before its first byte
    // (sent by the test once it saw the file, it came after the command's end if the test was
    // slower than the writing of 50 MB: 0.4 s).
    const scenario = join(ROOT, 'scenarios', 'replication-tour.ts');
    const child = startWith(
      'signal-at-json-open.mjs',
      'sim/cli/sim.ts',
      [scenario, '--json', out],
      {
        env: { ...plainEnv(), KVSIM_TEST_SIGNAL: 'SIGINT' },
        stdio: 'ignore',
      },
    );
    expect(await ended(child)).toBe(SIGNAL_STATUS.SIGINT);
    expect(readdirSync(work).filter((f) => f !== 'run.json')).toEqual([]);
    if (existsSync(out)) expect(JSON.parse(readFileSync(out, 'utf8')).schema).toBe('kvsim-trace/1');
  });
});
