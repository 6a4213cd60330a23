// The command line as a user runs it: the stale-read demo, replays, and bad input getting one
// clear line and exit status 2.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

function plainEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.FORCE_COLOR;
  return env;
}

function sim(...args: string[]) {
  const r = spawnSync(TSX, ['sim/cli/sim.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: plainEnv(),
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('npm run sim -- scenarios/stale-read.ts', () => {
  const run = sim('scenarios/stale-read.ts', '--view', 'log');

  it('meets its expectations and exits 0', () => {
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('expected   6 of 6 met');
  });

  it('shows the refusal and the old value for c2 in the timeline', () => {
    expect(run.stdout).toMatch(/s3 → c1 +TRY_OTHER_SERVER_OR_LATER c1\.4/);
    expect(run.stdout).toMatch(/s3 → c2 +GET_OK c2\.1 x=1 ts=5/);
  });

  it('prints the same output for the same seed, and a replay command that reproduces it', () => {
    const again = sim('scenarios/stale-read.ts', '--view', 'log');
    expect(again.stdout).toBe(run.stdout);
    const replay = run.stdout.match(/replay +npm run sim -- (.*)/)?.[1];
    expect(replay).toBe('scenarios/stale-read.ts --seed 1');
    const replayed = sim(...replay!.split(' '), '--view', 'log');
    expect(replayed.stdout).toBe(run.stdout);
  });

  it('the summary names the seed, the knobs and the trace hash', () => {
    expect(run.stdout).toMatch(/seed +1\n/);
    expect(run.stdout).toContain('replicationDelay=10000');
    expect(run.stdout).toMatch(/trace hash [0-9a-f]{16}/);
  });

  it('--quiet leaves out the timeline but keeps the summary', () => {
    const quiet = sim('scenarios/stale-read.ts', '--quiet');
    expect(quiet.status).toBe(0);
    expect(quiet.stdout).not.toContain('TRY_OTHER_SERVER_OR_LATER c1.4');
    expect(quiet.stdout).toContain('trace hash');
  });

  it('exits 1 when a knob breaks the story', () => {
    const broken = sim('scenarios/stale-read.ts', '--preset', 'fixed');
    expect(broken.status).toBe(1);
    expect(broken.stdout).toMatch(/✗ step \d+: .* but /);
  });
});

describe('bad input gets one clear line and exit status 2', () => {
  it.each([
    [['scenarios/no-such.ts'], /no scenario file at 'scenarios\/no-such.ts'/],
    [['scenarios/stale-read.ts', '--frobnicate'], /Unknown option '--frobnicate'/],
    [
      ['scenarios/stale-read.ts', '--knob', 'followerApply=sideways'],
      /knob followerApply must be one of overwrite, newer-wins/,
    ],
    [['scenarios/stale-read.ts', '--knob', 'noSuchKnob=1'], /unknown knob 'noSuchKnob'/],
    [
      ['scenarios/stale-read.ts', '--knob', 'replicationDelay=-1'],
      /knob replicationDelay must be an integer from 0/,
    ],
    [['scenarios/stale-read.ts', '--knob', 'replicationDelay'], /--knob takes name=value/],
    [['scenarios/stale-read.ts', '--preset', 'best'], /unknown preset 'best'/],
    [['scenarios/stale-read.ts', '--seed', 'abc'], /--seed must be a whole number/],
    [[], /name a scenario file/],
    [['test/fixtures/cli/throws.ts'], /could not be loaded: the author made a mistake/],
    [['test/fixtures/cli/bad-step.ts'], /step 2: client 'c9' is not one of c1, c2/],
    [['test/fixtures/cli/no-default.ts'], /must default-export an object/],
    [['test/fixtures/cli/bad-partition.ts'], /step 1: partition takes groups of node names/],
    [
      ['test/fixtures/cli/unknown-guarantee.ts'],
      /expect.violations names 'monotonic-read', which is not a guarantee/,
    ],
    [['test/fixtures/cli/two-actions.ts'], /step 1 names put and get: give each its own step/],
    [['test/fixtures/cli/bad-run-until.ts'], /runUntilMs must be a whole number of ms from 1/],
  ])('%j', (args, message) => {
    const r = sim(...args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('bounds and streamed traces', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvsim-cli-'));

  it('--quiet --json streams the trace and writes the same file as a run that keeps it', () => {
    const kept = join(dir, 'kept.json');
    const streamed = join(dir, 'streamed.json');
    expect(sim('scenarios/replication-tour.ts', '--json', kept).status).toBe(0);
    expect(sim('scenarios/replication-tour.ts', '--quiet', '--json', streamed).status).toBe(0);
    expect(readFileSync(streamed, 'utf8')).toBe(readFileSync(kept, 'utf8'));
    // Nothing is left beside the output: the spool and the temporary file are gone.
    expect(readdirSync(dir).sort()).toEqual(['kept.json', 'streamed.json']);
  });

  it('a run that hits the event bound ends cleanly, with its seed and the flag that raises it', () => {
    const r = sim('scenarios/replication-tour.ts', '--quiet', '--max-events', '10');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/stopped at the event bound \(raise it with --max-events N\)/);
    expect(r.stdout).toMatch(/seed +\d+/);
  });

  it('a network that loses everything ends at the trace bound, not out of memory', () => {
    const file = join(dir, 'lossy.ts');
    writeFileSync(
      file,
      `export default { goal: 'lossy', network: { dropPermille: 1000 }, runUntilMs: 1e9,
        steps: [{ at: 0, client: 'c1', put: ['x', '1'] }] };`,
    );
    const r = sim(file, '--max-trace-mb', '1');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(
      /stopped at the bound on the trace kept in memory \(raise it with --max-trace-mb N/,
    );
    const quiet = sim(file, '--quiet', '--max-events', '20000');
    expect(quiet.stdout).toMatch(/stopped at the event bound .* 20000 events/);
  });

  it('a bad bound is one line and exit 2', () => {
    const r = sim('scenarios/stale-read.ts', '--max-events', 'lots');
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--max-events must be a whole number/);
  });
});
