// `npm run explore` as a user runs it: the case it writes reads like a scenario and replays with
// exit 0 showing the violation; no case is overwritten; the same seed finds the same first run
// whatever the number of workers; shards split the runs; Ctrl-C keeps what was found; a folder
// that cannot be written is one line and exit 2. Every case goes under a temporary folder.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaseWriter, caseSource, commentSafe } from '../sim/explore/case.ts';
import { planToScenario } from '../sim/explore/plan.ts';
import { defaultWorkers } from '../sim/explore/pool.ts';
import {
  DEFAULT_BOUNDS,
  firstViolation,
  globalRun,
  runSeed,
  tryRun,
} from '../sim/explore/search.ts';
import {
  isOneLineRefusal,
  markedGuarantees,
  nodeCommand,
  plainEnv,
  ROOT,
  readmeGuarantees,
  runCli,
} from './run-cli.ts';

const env = plainEnv();

const temporary = () => mkdtempSync(join(tmpdir(), 'kvsim-explore-'));

/** One worker unless a test says otherwise: each thread costs a start-up. */
function explore(...args: string[]) {
  const workers = args.includes('--workers') ? [] : ['--workers', '1'];
  return runCli('explore', [...workers, ...args]);
}

const sim = (...args: string[]) => runCli('sim', args);

/** explore as `explore` runs it, killed if it has not ended within `seconds`: it must not hang. */
function exploreWithin(seconds: number, ...args: string[]) {
  const r = spawnSync(...nodeCommand('sim/cli/explore.ts', ['--workers', '1', ...args]), {
    cwd: ROOT,
    encoding: 'utf8',
    env,
    timeout: seconds * 1000,
    killSignal: 'SIGKILL',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The case path of the printed replay command, as a shell reads it (a word in '…' unquoted). */
const replayPath = (stdout: string) => {
  const word = stdout.match(/replay: npm run sim -- ('(?:[^']|'\\'')*'|\S+)/)?.[1];
  return word?.startsWith("'") ? word.slice(1, -1).replaceAll("'\\''", "'") : word;
};

describe('npm run explore -- --help', () => {
  it('says what each flag means, with its default', () => {
    const help = explore('--help');
    expect(help.status).toBe(0);
    // The usage line, folded to the terminal's width, up to the blank line under it.
    const usage = help.stdout.slice(0, help.stdout.indexOf('\n\n'));
    const flags = [...usage.matchAll(/\[(--[a-z-]+)/g)].map((m) => m[1]!);
    expect(flags.length).toBeGreaterThan(5);
    for (const flag of flags) expect(help.stdout).toMatch(new RegExp(`\\n  ${flag}[ =].* {2,}\\S`));
    expect(help.stdout).toMatch(/--runs N +random runs to make \(default 5000\)/);
    expect(help.stdout).toMatch(
      /--shrink-runs N +replays shrinking may make; .* same\n.*any machine \(default 20000; 0 skips shrinking\)/,
    );
    expect(help.stdout).toMatch(/--shrink-seconds N +a safety stop in wall-clock seconds/);
    for (const line of help.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
  });
});

describe('a case written by npm run explore', () => {
  const out = temporary();
  const first = explore('--preset', 'fixed', '--knob', 'followerApply=overwrite', '--out', out);
  const path = replayPath(first.stdout);

  it('is announced with the violation and the command that replays it', () => {
    expect(first.status).toBe(1);
    expect(first.stdout).toMatch(/violation found at run (\d+): [a-z ,]+\n/);
    // Counted from 1, as a person counts: run N is the N-th run the search made.
    const run = Number(first.stdout.match(/at run (\d+)/)![1]);
    const made = firstViolation({
      store: 'replicated',
      preset: 'fixed',
      knobs: { followerApply: 'overwrite' },
      seed: 1,
      bounds: DEFAULT_BOUNDS,
      runs: 5000,
    })!.runsToFind;
    expect(run).toBe(made);
    // Every place names it alike: the line as it was found, the case's header and goal.
    expect(first.stderr).toContain(`run ${run} broke `);
    const text = readFileSync(path!, 'utf8').replace(/\n \* +/g, ' ');
    expect(text).toContain(`run ${run} of the search with --seed 1, from`);
    expect(text).toContain(`(search --seed 1, run ${run})'`);
    // The run's own seed is told apart from the search's.
    expect(text).toMatch(/\n {2}seed: \d+, \/\/ this run's own seed, drawn by the search\n/);
    // Lines are fitted to 100 columns, but for those that name the case: a path does not wrap.
    for (const line of first.stdout.split('\n'))
      if (!line.includes(out)) expect(line.length).toBeLessThanOrEqual(100);
    // Shrinking keeps a violation, not always the same ones: the case's own are the ones named
    // over its sentences, one sentence or two for each.
    const named = first.stdout.match(/\nthe case breaks ([a-z ,]+):\n/)?.[1]?.split(', ');
    expect(named).toEqual([...new Set(markedGuarantees(first.stdout, '✗'))]);
    // In the README's words, as the line above them: `monotonic reads`, not `monotonic-reads`.
    const readme = readmeGuarantees();
    const found = first.stdout.match(/violation found at run .*: ([a-z ,]+)\n/)?.[1]?.split(', ');
    for (const name of [...named!, ...found!]) expect(readme).toContain(name);
    expect(path).toBeDefined();
    expect(path!.startsWith(out)).toBe(true);
  });

  it('reads like a scenario: a Goal / Method / Expected header and one step a line', () => {
    const text = readFileSync(path!, 'utf8');
    expect(text).toMatch(/^ \* Goal: {5}See .+/m);
    expect(text).toMatch(/^ \* Method: {3}The `fixed` preset with followerApply=overwrite/m);
    expect(text).toMatch(/^ \* Expected: .+/m);
    const steps = text.slice(text.indexOf('  steps: [\n') + 11, text.indexOf('\n  ],'));
    const lines = steps.split('\n');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(10);
    for (const line of lines) expect(line).toMatch(/^ {4}\{ at: \d+, .*\},( \/\/ .*)?$/);
    expect(text).not.toContain('"at"');
    expect(text).toMatch(/^ {2}expect: \{ violations: \['[a-z-]+'(, '[a-z-]+')*\] \},$/m);
  });

  it('replays with exit 0 and shows the violation the search reported', () => {
    const sentence = first.stdout.match(/✗ [a-z ]+: (.*)/)?.[1];
    expect(sentence).toBeDefined();
    const replayed = sim(path!, '--quiet');
    expect(replayed.status).toBe(0);
    expect(replayed.stdout.replace(/\s+/g, ' ')).toContain(sentence!.replace(/\s+/g, ' '));
    expect(replayed.stdout).toContain('as the scenario expected');
  });

  it("names in its header the flags that put the case's knobs back, and with them every guarantee holds", () => {
    // `--preset fixed` alone keeps the case's own knobs (followerApply=overwrite): it breaks again.
    expect(fixedHint(path!)).toBe('--knob followerApply=newer-wins');
    const fixed = sim(path!, ...fixedHint(path!)!.split(' '), '--quiet');
    expectEveryGuaranteeHeld(fixed);
    // The case expects its violation: held, it is not as expected, and the header says so.
    expect(fixed.status).toBe(1);
    expect(readFileSync(path!, 'utf8').replace(/\n \* +/g, ' ')).toContain(
      "keep every guarantee (sim then says the case's expected violation did not happen, and exits 1).",
    );
    // A case found under the seed preset: the preset is the flag.
    const seeded = replayPath(explore('--preset', 'seed', '--out', temporary()).stdout)!;
    expect(fixedHint(seeded)).toBe('--preset fixed');
    expectEveryGuaranteeHeld(sim(seeded, '--preset', 'fixed', '--quiet'));
  });

  it('never overwrites a case: the same search again gets a new name', () => {
    const before = readFileSync(path!, 'utf8');
    const again = explore('--preset', 'fixed', '--knob', 'followerApply=overwrite', '--out', out);
    expect(replayPath(again.stdout)).toBe(path!.replace(/\.ts$/, '-2.ts'));
    expect(readFileSync(path!, 'utf8')).toBe(before);
    expect(readdirSync(out).sort()).toHaveLength(2);
  });
});

describe('npm run explore typed outside the repository (npm --prefix …)', () => {
  it('names its case by the whole path, which is there from the folder it was typed in', () => {
    // As npm runs it: in the repository's folder (here a scratch one), INIT_CWD the folder the
    // user typed in, elsewhere; the case goes to cases/ of the former.
    const repo = temporary();
    const typed = temporary();
    const [program, argv] = nodeCommand('sim/cli/explore.ts', [
      '--workers',
      '1',
      '--knob',
      'followerApply=overwrite',
    ]);
    const r = spawnSync(program, argv, {
      cwd: repo,
      encoding: 'utf8',
      env: { ...env, INIT_CWD: typed, npm_lifecycle_event: 'explore' },
    });
    expect(r.status).toBe(1);
    const printed = replayPath(r.stdout);
    expect(printed).toBeDefined();
    expect(existsSync(resolve(typed, printed!))).toBe(true);
    expect(r.stdout).toContain(`case written to ${printed}`);
  });
});

describe('workers and shards', () => {
  const runOf = (stdout: string) => stdout.match(/violation found at run (\d+)/)?.[1];
  const stepsOf = (file: string) => {
    const text = readFileSync(file, 'utf8');
    return text.slice(text.indexOf('export default'));
  };

  it('the same seed finds the same first violation with one worker or two', () => {
    const args = ['--knob', 'leaderClock=wall', '--seed', '7'];
    const one = explore(...args, '--workers', '1', '--out', temporary());
    const two = explore(...args, '--workers', '2', '--out', temporary());
    expect(one.status).toBe(1);
    expect(two.status).toBe(1);
    expect(runOf(one.stdout)).toBeDefined();
    expect(runOf(two.stdout)).toBe(runOf(one.stdout));
    expect(stepsOf(replayPath(two.stdout)!)).toBe(stepsOf(replayPath(one.stdout)!));
  });

  it('--shard K/N makes only the runs K, K+N, … (counted from 1)', () => {
    const args = ['--knob', 'leaderClock=wall', '--seed', '7', '--out', temporary()];
    const second = explore(...args, '--shard', '2/3');
    expect(second.status).toBe(1);
    const [, run, nth] = second.stdout.match(
      /violation found at run (\d+), the (\d+)(?:st|nd|rd|th) run of shard 2\/3: /,
    )!;
    expect(Number(run)).toBe(2 + 3 * (Number(nth) - 1));
    // Shards searched into one folder: each case's name says which shard found it.
    expect(replayPath(second.stdout)).toMatch(/-seed7-shard2of3\.ts$/);
    const bad = explore('--shard', '4/3');
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('the slices stay disjoint past run 2^32: every global run has a seed of its own', () => {
    // --shard 1/5000 --runs 1000000 reaches global run 4,999,995,000; the run 2^32 before it is
    // in shard 2705/5000. Both drew one plan when the seed mixed only the low 32 bits of the run.
    const far = globalRun({ index: 0, count: 5000 }, 999_999);
    expect(far).toBeGreaterThan(2 ** 32);
    const twin = far - 2 ** 32;
    expect(globalRun({ index: twin % 5000, count: 5000 }, Math.floor(twin / 5000))).toBe(twin);
    for (const seed of [1, 7, 2 ** 40 + 3])
      for (const run of [far, 2 ** 32, 2 ** 33 + 5, 2 ** 52])
        expect(runSeed(seed, run)).not.toBe(runSeed(seed, run - 2 ** 32));
  });

  it("another store's knob is named as such, with --store's knobs", () => {
    const lock = explore('--knob', 'lockLease=5', '--out', temporary());
    expect(isOneLineRefusal(lock)).toBe(true);
    expect(lock.stderr).toMatch(
      /lockLease is a knob of the lock store; the store \(--store\) is replicated; its knobs are: replicationDelay, /,
    );
  });

  it('without --workers, a core each but one worker per 10,000 runs at most', () => {
    expect(defaultWorkers(5_000, 2)).toBe(1);
    expect(defaultWorkers(19_999, 2)).toBe(1);
    expect(defaultWorkers(20_000, 2)).toBe(2);
    expect(defaultWorkers(1_000_000, 2)).toBe(2);
    expect(defaultWorkers(1_000_000, 16)).toBe(16);
    expect(defaultWorkers(1, 16)).toBe(1);
    // The CLI's own default, as its report says.
    const small = runCli('explore', ['--runs', '20', '--out', temporary()]);
    expect(small.status).toBe(0);
    expect(small.stdout).toMatch(/runs\/s on 1 worker,/);
  });

  it('--workers is bounded by the machine: at most four threads per core', () => {
    const most = availableParallelism() * 4;
    const tooMany = explore('--workers', String(most + 1), '--runs', '1', '--out', temporary());
    expect(isOneLineRefusal(tooMany)).toBe(true);
    expect(tooMany.stderr).toContain(`--workers must be a whole number from 1 to ${most}`);
    const allowed = explore('--workers', String(most), '--runs', '1', '--out', temporary());
    // Nothing on stderr but the progress line, which a loaded machine may print (every 2 s).
    expect(allowed.stderr).toMatch(/^(runs \d+\/\d+ {2}\d+ runs\/s on \d+ workers?\n)*$/);
    expect(allowed.status).toBe(0);
  });
});

describe('shrinking within a budget of replays', () => {
  const args = ['--knob', 'followerApply=overwrite', '--shrink-runs', '20'];
  const cut = explore(...args, '--out', temporary());
  // A safety stop far off changes nothing: the budget, not the machine's speed, says where it ends.
  const again = explore(...args, '--shrink-seconds', '86400', '--out', temporary());

  it('a case cut by its budget says so, and how to let it go further', () => {
    expect(cut.status).toBe(1);
    expect(cut.stdout).toContain('shrinking spent its budget of 20 replays');
    expect(cut.stdout).toContain('--shrink-runs N with a larger N takes it further');
    const text = readFileSync(replayPath(cut.stdout)!, 'utf8').replace(/\n \* +/g, ' ');
    expect(text).toContain('Shrinking spent its budget of 20 replays');
    // Not called small: shrinking stopped before it was done.
    expect(text).toContain('break in a run that the random search found');
    expect(text).toContain('`--shrink-runs N` with a larger N takes it further');
  });

  it('makes no more replays than its budget, and says how many it made', () => {
    expect(cut.stderr).toContain('shrinking (at most 20 replays)');
    const made = /^shrunk .* in (\d+) replays?:/m.exec(cut.stdout)?.[1];
    expect(Number(made)).toBe(20);
  });

  it('the same seed and flags give the same case, whatever the safety stop', () => {
    const body = (stdout: string) => {
      const text = readFileSync(replayPath(stdout)!, 'utf8');
      return text.slice(text.indexOf('export default'));
    };
    expect(again.status).toBe(1);
    expect(body(again.stdout)).toBe(body(cut.stdout));
  });
});

describe('shrinking skipped: --shrink-runs 0 or --shrink-seconds 0', () => {
  const args = ['--knob', 'followerApply=overwrite'];
  const found = explore(...args, '--shrink-runs', '20000', '--out', temporary());
  const noRuns = explore(...args, '--shrink-runs', '0', '--out', temporary());
  const noSeconds = explore(...args, '--shrink-seconds', '0', '--out', temporary());
  const header = (stdout: string) =>
    readFileSync(replayPath(stdout)!, 'utf8').replace(/\n \* +/g, ' ');

  it.each([
    ['--shrink-runs 0', noRuns],
    ['--shrink-seconds 0', noSeconds],
  ])('%s says plainly that the case is not shrunk', (flag, r) => {
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`not shrinking (${flag})`);
    const size = found.stdout.match(/: (\d+ operations? and \d+ fault steps?) down to/)![1]!;
    expect(r.stdout.replace(/\s+/g, ' ')).toContain(
      `shrinking skipped (${flag}): the case is not shrunk, it keeps every step of the run as found, ${size}`,
    );
    // Not a budget spent, as if it had shrunk as far as it could.
    expect(r.stdout).not.toMatch(/shrunk 0 times|spent its budget/);
    expect(header(r.stdout)).toContain('Not shrunk: shrinking was skipped');
    expect(header(r.stdout)).toContain(`${size}, one step a line below`);
    expect(sim(replayPath(r.stdout)!, '--quiet').status).toBe(0);
  });

  it('either flag gives the same case, on any machine', () => {
    const body = (stdout: string) => {
      const text = readFileSync(replayPath(stdout)!, 'utf8');
      return text.slice(text.indexOf('export default'));
    };
    expect(body(noSeconds.stdout)).toBe(body(noRuns.stdout));
  });
});

describe("a case's Expected paragraph", () => {
  it("labels an informative finding's sentence as a finding, after the violations' (A8's case)", () => {
    const scenario = {
      goal: 'a stale NULL after a read of v1',
      store: 'replicated',
      preset: 'fixed',
      knobs: { missingKeyReply: 'null-first' },
      servers: ['s1', 's2', 's3'],
      clients: ['c1', 'c2'],
      network: { delayMinMs: 1, delayMaxMs: 1 },
      steps: [
        { at: 0, client: 'c2', put: ['x', 'v1'], via: 's1' },
        { at: 0, client: 'c1', get: 'x', via: 's1' },
        { at: 0, client: 'c1', get: 'x', via: 's2' },
        { at: 0, delay: 'REPLICATION', from: 's1', to: 's2', byMs: 3 },
      ],
    } as const;
    const text = caseSource({ scenario, command: 'a test', seed: 1, run: 0, stage: 'shrunk' });
    const expected = expectedParagraph(text);
    expect(expected).toMatch(
      /^s2 answered c1's GET x \(op 3[\s\S]*\. A finding of linearizability \(informative\): c1's GET x \(op 2[\s\S]*a register's values\. Replayed with/,
    );
    // Named once, by its sentence: no list of findings after the sentences.
    expect(expected).not.toContain('Findings:');
    expect(text).toContain(
      "expect: { violations: ['monotonic-reads'], findings: ['linearizability'] }",
    );
  });

  it('says a witness once where other replicas show the same of the same writes (A10)', () => {
    const scenario = {
      goal: 'a resent PUT stamped again',
      store: 'replicated',
      preset: 'fixed',
      knobs: { requestIds: 'none' },
      servers: ['s1', 's2', 's3'],
      clients: ['c1'],
      network: { delayMinMs: 1, delayMaxMs: 2 },
      seed: 0,
      steps: [
        { at: 0, client: 'c1', put: ['x', 'v1'], via: 's1' },
        { at: 0, client: 'c1', put: ['x', 'v2'], via: 's1' },
        { at: 0, delay: 'PUT_OK', from: 's1', to: 'c1', byMs: 484 },
        { at: 0, delay: 'REPLICATION_OK', from: 's3', to: 's1', byMs: 510 },
        { at: 0, delay: 'REPLICATION_OK', from: 's3', to: 's1', byMs: 9 },
      ],
    } as const;
    const text = caseSource({ scenario, command: 'a test', seed: 1, run: 0, stage: 'shrunk' });
    const expected = expectedParagraph(text);
    // Three replicas stored v1 after v2: the paragraph says it of s1, then tells the lost write.
    expect(expected.match(/stored c1's PUT x=v1/g)).toHaveLength(1);
    expect(expected).toMatch(
      /^s1 stored c1's PUT x=v1 [\s\S]*\. c1's acknowledged PUT x=v2 [\s\S]* is lost/,
    );
  });
});

describe("a case's steps", () => {
  it('say when a busy client issued an operation its step asked for earlier', () => {
    const scenario = {
      goal: 'two PUTs asked for at once',
      store: 'replicated',
      preset: 'fixed',
      servers: ['s1', 's2', 's3'],
      clients: ['c1'],
      network: { delayMinMs: 1, delayMaxMs: 1 },
      steps: [
        { at: 0, client: 'c1', put: ['x', 'v1'], via: 's1' },
        { at: 0, client: 'c1', put: ['x', 'v2'], via: 's1' },
      ],
    } as const;
    const text = caseSource({ scenario, command: 'a test', seed: 1, run: 0, stage: 'shrunk' });
    const lines = text.split('\n').filter((l) => l.includes("client: 'c1'"));
    expect(lines).toHaveLength(2);
    expect(lines[0]).not.toContain('//');
    // c1 is sequential: the second PUT leaves when the first is answered (4 hops of 1 ms).
    expect(lines[1]).toMatch(/ \/\/ op 2: issued at 0\.004s, when c1 was free$/);
  });
});

describe("the case's verdict lines", () => {
  it('show two witnesses of a guarantee and count the rest, as many as the replay finds', () => {
    // Not shrunk, the run keeps three stores of one out-of-order DELETE: two shown, one counted.
    const r = explore(
      '--preset',
      'seed',
      '--seed',
      '3',
      '--shrink-runs',
      '0',
      '--out',
      temporary(),
    );
    expect(r.status).toBe(1);
    const lines = r.stdout.split('\n');
    const shown = lines.filter((l) => /^ {2}✗ monotonic writes: [^…]/.test(l)).length;
    const more = Number(/^ {2}✗ monotonic writes: … and (\d+) more$/m.exec(r.stdout)?.[1]);
    expect(shown).toBe(2);
    expect(more).toBeGreaterThan(0);
    const replay = sim(replayPath(r.stdout)!);
    const found = Number(/✗ monotonic writes +(\d+) violations/.exec(replay.stdout)?.[1]);
    expect(shown + more).toBe(found);
  });

  it('say what the shrunk case breaks beside what the run as found did (A10: convergence)', () => {
    const r = explore('--knob', 'requestIds=none', '--out', temporary());
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^violation found at run 28: monotonic writes$/m);
    expect(r.stdout).toContain(
      'the case breaks monotonic writes, convergence (shrinking made it show convergence too):',
    );
  });
});

describe('what explore never loses', () => {
  it('a folder it cannot write is one line on stderr and exit 2, before any run', () => {
    const dir = temporary();
    writeFileSync(join(dir, 'file'), '');
    const result = explore(
      '--knob',
      'followerApply=overwrite',
      '--out',
      join(dir, 'file', 'cases'),
    );
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^error: cannot write cases into .*--out DIR/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it.skipIf(process.platform !== 'linux')(
    'a folder under /proc or /sys, or behind a link to nothing, is one line and exit 2 before any run',
    () => {
      const dir = temporary();
      symlinkSync(join(dir, 'gone'), join(dir, 'dangling'));
      const outs = ['/proc/nope', '/proc', '/sys/kernel', join(dir, 'dangling', 'cases')];
      for (const out of [...outs, join(dir, 'dangling')]) {
        // Bounded: mkdir's recursive walk on /proc/nope never ended, and ignored Ctrl-C.
        const r = exploreWithin(60, '--knob', 'followerApply=overwrite', '--out', out);
        expect(isOneLineRefusal(r), `--out ${out}: ${r.status} ${r.stderr}`).toBe(true);
        expect(r.stderr).toContain(`cannot write cases into '${out}': `);
        expect(r.stdout).toBe('');
      }
      expect(readdirSync(dir)).toEqual(['dangling']);
    },
  );

  it('the check of --out leaves no folder behind it: a search that finds nothing makes none', () => {
    const dir = temporary();
    const r = explore('--runs', '5', '--out', join(dir, 'new', 'cases'));
    expect(r.status).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a case that cannot be written into --out after all goes to a temporary folder, and the status stays 1', () => {
    // Every name the case may take in the folder is taken: writing fails after the check passed,
    // as when the disk changes under the search.
    const out = temporary();
    const base = 'replicated-fixed-followerApply-overwrite-seed1';
    writeFileSync(join(out, `${base}.ts`), '');
    for (let n = 2; n <= 10_000; n++) writeFileSync(join(out, `${base}-${n}.ts`), '');
    const r = explore('--knob', 'followerApply=overwrite', '--out', out);
    expect(r.status).toBe(1);
    const path = replayPath(r.stdout)!;
    expect(path.startsWith(tmpdir())).toBe(true);
    expect(r.stderr).toContain(`warning: cannot write a case into '${out}': `);
    expect(r.stderr).toContain(`; the case is at ${path}\n`);
    expect(sim(path, '--quiet').status).toBe(0);
    expect(readdirSync(out)).toHaveLength(10_000);
  });

  it('a scenario file given to it is refused with the command that takes one', () => {
    const r = explore('scenarios/stale-read.ts');
    expect(isOneLineRefusal(r)).toBe(true);
    expect(r.stderr).toContain(
      'to try every schedule of a scenario, npm run verify -- <scenario.ts>',
    );
  });

  it('an empty --out is one line and exit 2 before any run, not a case sent elsewhere after it', () => {
    const result = explore('--knob', 'followerApply=overwrite', '--out', '');
    expect(isOneLineRefusal(result)).toBe(true);
    expect(result.stderr).toMatch(/--out needs a folder's name/);
    expect(result.stdout).toBe('');
  });

  it('a case whose folder cannot be made goes to a temporary folder, and says so', () => {
    const dir = temporary();
    writeFileSync(join(dir, 'file'), '');
    const writer = new CaseWriter(join(dir, 'file', 'cases'), 'case');
    writer.write(a1Case('found'));
    expect(writer.failure).toMatch(/^cannot write a case into /);
    expect(writer.path!.startsWith(tmpdir())).toBe(true);
    const text = readFileSync(writer.path!, 'utf8');
    expect(text).toContain('export default {');
    const module = text.match(/^import type \{ Scenario \} from '(.+)';$/m)?.[1];
    expect(resolve(dirname(writer.path!), module!)).toBe(join(ROOT, 'sim', 'scenario.ts'));
    rmSync(dirname(writer.path!), { recursive: true });
  });

  it('a folder that fails while shrinking rewrites the case sends the smaller case to a temporary folder, and says so', () => {
    // A full disk or a folder made read-only under the search: the case as found stays whole
    // where it was, and the shrunk one goes elsewhere with a warning, not a stack trace.
    const dir = join(temporary(), 'cases');
    const writer = new CaseWriter(dir, 'case');
    writer.write(a1Case('found'));
    const first = writer.path!;
    expect(writer.failure).toBeNull();
    const found = readFileSync(first, 'utf8');
    const moved = breakFolder(dir);
    expect(() => writer.write(a1Case('shrunk'))).not.toThrow();
    expect(writer.failure).toMatch(/^cannot write a case into '.*cases': .*ENOTDIR/);
    expect(writer.failure).toContain(`the earlier case stays at ${first}`);
    expect(writer.path!.startsWith(tmpdir())).toBe(true);
    expect(readFileSync(writer.path!, 'utf8')).toContain('export default {');
    expect(readFileSync(join(moved, basename(first)), 'utf8')).toBe(found);
    // Later rewrites go to the temporary folder's case.
    writer.write(a1Case('shrunk'));
    expect(writer.path!.startsWith(tmpdir())).toBe(true);
    expect(writer.unwritten).toBeNull();
    rmSync(dirname(writer.path!), { recursive: true });
  });

  it('a case no folder will take (one full disk for the folder and the temporary one) is kept to print, not thrown', () => {
    const dir = join(temporary(), 'cases');
    const source = a1Case('found');
    const writer = new CaseWriter(dir, 'case');
    writer.write(source);
    const found = writer.path!;
    breakFolder(dir);
    // The temporary folder fails too: TMPDIR names a file.
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = join(dir, 'tmp');
    try {
      expect(() => writer.write(source)).not.toThrow();
      expect(() => writer.write(source)).not.toThrow();
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    expect(writer.failure).toMatch(
      /^cannot write a case into '.*cases': .*, nor into the temporary folder: .*ENOTDIR/,
    );
    expect(writer.path).toBe(found);
    expect(writer.unwritten).toBe(source);
    expect(writer.unwrittenText()).toMatch(/^\/\*[\s\S]*export default \{/);
    expect(writer.unwrittenText()).not.toContain('<sim/scenario.ts>');
  });

  it('a command line with */ in it stays inside the header comment', () => {
    const dir = join(temporary(), 'a*', 'b');
    mkdirSync(dir, { recursive: true });
    const result = explore('--knob', 'followerApply=overwrite', '--out', dir);
    const path = replayPath(result.stdout)!;
    expect(readFileSync(path, 'utf8')).toContain('a* /b');
    expect(sim(path, '--quiet').status).toBe(0);
    expect(commentSafe('x */ y\u001b[2J')).toBe('x * / y?[2J');
  });

  it('Ctrl-C while shrinking prints the summary and the best case so far, which replays', async () => {
    const out = temporary();
    const child = spawn(
      ...nodeCommand('sim/cli/explore.ts', [
        '--workers',
        '1',
        '--knob',
        'requestIds=none',
        '--max-ops',
        '3000',
        '--shrink-seconds',
        '600',
        '--out',
        out,
      ]),
      { cwd: ROOT, env },
    );
    const { stdout, code } = await interruptWhen(child, /the case as found is in/);
    expect(code).toBe(130);
    expect(stdout).toMatch(/^interrupted after \d+ runs/);
    const best = stdout.match(/best case so far: (\S+)/)?.[1];
    expect(best).toBeDefined();
    expect(sim(best!, '--quiet').status).toBe(0);
  });

  it('kill sent to the npm run that started it (a CI runner cancelling the job) stops the search with its summary, and leaves no process behind', async () => {
    // npm forwards the signal to its script's process: that must be the search itself, not a
    // shell that would die and leave the search running on its own.
    const out = temporary();
    const child = spawn(
      'npm',
      ['run', '--silent', 'explore', '--', '--runs', '1000000', '--out', out],
      {
        cwd: ROOT,
        env,
      },
    );
    const { stdout, code } = await interruptWhen(child, /runs \d+\/1000000/, 'SIGTERM');
    expect(stdout).toMatch(/^interrupted after \d+ runs .*\nno violation found so far\n$/);
    expect(code).toBe(143);
    expect(processesNaming(out)).toEqual([]);
  });

  it('Ctrl-C before anything is found says so', async () => {
    const args = ['--runs', '1000000', '--out', temporary()];
    const child = spawn(...nodeCommand('sim/cli/explore.ts', args), { cwd: ROOT, env });
    const { stdout, code } = await interruptWhen(child, /runs \d+\/1000000/);
    expect(code).toBe(130);
    expect(stdout).toMatch(/interrupted after \d+ runs .*\nno violation found so far/);
  });
});

/** A case's Expected paragraph, in one line. */
function expectedParagraph(text: string): string {
  return / \* Expected: ([\s\S]*?)\n \*\/\n/.exec(text)![1]!.replace(/\n \* +/g, ' ');
}

/** The case of run 1 of an A1 search (followerApply=overwrite, seed 1), as its source. */
function a1Case(stage: 'found' | 'shrunk'): string {
  const search = {
    store: 'replicated',
    preset: 'fixed',
    knobs: { followerApply: 'overwrite' },
    seed: 1,
    bounds: DEFAULT_BOUNDS,
  } as const;
  const scenario = planToScenario(tryRun(search, 0).plan, search);
  return caseSource({ scenario, command: 'a test', seed: 1, run: 0, stage });
}

/** A folder gone under a search, a file standing in its place: nothing can be written in it. */
function breakFolder(dir: string): string {
  const moved = `${dir}-moved`;
  renameSync(dir, moved);
  writeFileSync(dir, 'not a folder\n');
  return moved;
}

/** The command lines of the processes still running whose command line names `text`. */
function processesNaming(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const line = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (line.includes(text)) found.push(line);
    } catch {
      // Ended while read: not running.
    }
  }
  return found;
}

/** The flags a case's header says replay it with every knob at its fixed value. */
function fixedHint(path: string): string | undefined {
  const text = readFileSync(path, 'utf8').replace(/\n \* +/g, ' ');
  return text.match(/Replayed with `([^`]+)`[^,]*, the same steps keep every guarantee \(/)?.[1];
}

/** Every guarantee's line under sim's `guarantees`, the informative ones left out, says held. */
function expectEveryGuaranteeHeld(replayed: { stdout: string }): void {
  const section = replayed.stdout.slice(replayed.stdout.indexOf('\n  guarantees\n'));
  const lines = [...section.matchAll(/^ {4}[✓✗◦] ([a-z][a-z -]*?) {2,}(\S.*)$/gm)];
  expect(lines.length).toBeGreaterThan(5);
  for (const [, name, verdict] of lines) expect(`${name}: ${verdict}`).toBe(`${name}: held`);
}

/** Sends SIGINT once stderr shows `pattern`; resolves with what the process printed. */
function interruptWhen(
  child: ChildProcess,
  pattern: RegExp,
  signal: NodeJS.Signals = 'SIGINT',
): Promise<{ stdout: string; code: number | null }> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => {
      stdout += d;
    });
    child.stderr!.on('data', (d) => {
      stderr += d;
      if (pattern.test(stderr) && !child.killed) child.kill(signal);
    });
    child.on('close', (code, signal) => resolve({ stdout, code: code ?? (signal ? 128 : null) }));
  });
}
