// `npm run verify` as a user runs it: the A8 configuration under fixed with missingKeyReply
// null-first gives the shortest counterexample as a file that `npm run sim` replays; under fixed
// the same configuration is proved; informative findings are listed beside a proof, or stop the
// search when asked; a mistake on the command line gets one line and exit 2.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  isOneLineRefusal,
  markedGuarantees,
  nodeCommand,
  plainEnv,
  ROOT,
  readmeGuarantees,
  runCli,
} from './run-cli.ts';

const CONFIG = join(ROOT, 'scenarios', 'verify', 'two-readers.ts');
const FOLLOWER_DOWN = join(ROOT, 'scenarios', 'follower-down-blocks-puts.ts');
const ONE_WRITE = join(ROOT, 'scenarios', 'verify', 'follower-down.ts');
// Counterexamples are written under cases/ of the working directory: a scratch one.
const WORK = mkdtempSync(join(tmpdir(), 'kvsim-verify-'));

afterAll(() => rmSync(WORK, { recursive: true, force: true }));

/** `sim/cli/<command>.ts`, run in the scratch folder. */
/** Output with its lines joined: a figure may wrap onto the next line at the terminal's width. */
const flat = (text: string) => text.replace(/\s+/g, ' ');

function run(script: string, ...args: string[]) {
  return runCli(script.replace(/^sim\/cli\/(\w+)\.ts$/, '$1'), args, WORK);
}

describe('npm run verify -- scenarios/same-millisecond-writes.ts', () => {
  // Verify stops at the second PUT_OK, stamped with the first's ts; the case holds these two PUTs
  // alone, so its run settles there, and convergence is judged too: c1's x=1, acknowledged with
  // the same ts as c2's x=2, is lost (PROTOCOL.md §3).
  const found = run('sim/cli/verify.ts', join(ROOT, 'scenarios', 'same-millisecond-writes.ts'));
  const file = /counterexample written to (\S+)/.exec(found.stdout)?.[1] ?? '';

  it('writes a case that expects what its replay breaks at its end, and says why', () => {
    expect(found.status).toBe(1);
    expect(found.stdout).toContain('violation: unique timestamps broken by a schedule of 14 moves');
    expect(flat(found.stdout)).toContain(
      'replayed with sim: the same violation, unique timestamps; the case holds only these operations, and run to its end it breaks convergence too, which the case expects',
    );
    expect(found.stdout).not.toContain('please report this');
    for (const line of found.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
    const text = readFileSync(join(WORK, file), 'utf8');
    expect(text).toMatch(
      /^ {2}expect: \{ violations: \['unique-timestamps', 'convergence'\] \},$/m,
    );
    const replay = run('sim/cli/sim.ts', join(WORK, file));
    expect(replay.status).toBe(0);
    expect(replay.stdout).toContain('as the scenario expected');
  });
});

describe('npm run verify -- scenarios/verify/two-readers.ts --knob missingKeyReply=null-first', () => {
  const found = run(
    'sim/cli/verify.ts',
    CONFIG,
    '--preset',
    'fixed',
    '--knob',
    'missingKeyReply=null-first',
  );
  const file = /counterexample written to (\S+)/.exec(found.stdout)?.[1] ?? '';

  it('finds monotonic reads broken in 8 moves, exit 1, and tells the schedule', () => {
    expect(found.status).toBe(1);
    expect(found.stdout).toContain('violation: monotonic reads broken by a schedule of 8 moves');
    // Named as the README's table and sim's verdict lines name it, on every line.
    expect(markedGuarantees(found.stdout, '✗')).toEqual(['monotonic reads']);
    expect(readmeGuarantees()).toContain('monotonic reads');
    expect(found.stdout).toMatch(/8 +0\.008s +NULL c2\.2 x ts=∅ s3 → c2 arrives/);
    expect(found.stdout).toContain('replayed with sim: the same violation, monotonic reads');
    // Fitted to 100 columns when piped, the checkers' long sentences included; counts agree.
    for (const line of found.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
    expect(found.stdout).toContain('3 operations; no faults: every order of the messages');
    expect(found.stdout).toContain(`replay: npm run sim -- ${file}`);
  });

  it('writes a scenario that sim replays to the same violation, the same on every replay', () => {
    const first = run('sim/cli/sim.ts', join(WORK, file), '--width', '100');
    const second = run('sim/cli/sim.ts', join(WORK, file), '--width', '100');
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/✗ monotonic reads +1 violation/);
    expect(first.stdout).toContain('as the scenario expected');
    expect(second.stdout).toBe(first.stdout);
    // Its import names the project's sim/scenario.ts from wherever the case was written.
    const from = /import type \{ Scenario \} from '([^']+)'/.exec(
      readFileSync(join(WORK, file), 'utf8'),
    )?.[1];
    expect(resolve(dirname(join(WORK, file)), from ?? '')).toBe(join(ROOT, 'sim', 'scenario.ts'));
  });

  it('--out DIR writes the case into that folder, as explore does, and nothing into cases/', () => {
    const folder = join(WORK, 'chosen');
    const cases = () => (existsSync(join(WORK, 'cases')) ? readdirSync(join(WORK, 'cases')) : []);
    const before = cases();
    const r = run(
      'sim/cli/verify.ts',
      CONFIG,
      '--knob',
      'missingKeyReply=null-first',
      '--out',
      folder,
    );
    expect(r.status).toBe(1);
    // Said as the user typed the folder: from the folder verify was run in.
    const written = resolve(WORK, /counterexample written to (\S+)/.exec(r.stdout)?.[1] ?? '');
    expect(dirname(written)).toBe(folder);
    expect(readdirSync(folder)).toEqual([basename(written)]);
    expect(cases()).toEqual(before);
    expect(run('sim/cli/sim.ts', written).status).toBe(0);
  });

  it('reads like the scenarios: keys bare, one step a line', () => {
    const text = readFileSync(join(WORK, file), 'utf8');
    const steps = text.slice(text.indexOf('  steps: [\n') + 11, text.indexOf('\n  ],'));
    const lines = steps.split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines)
      expect(line).toMatch(/^ {4}\{ at: \d+, .*\},( \/\/ op \d+: witness of [a-z-, ]+)?$/);
    expect(text).not.toContain('"at"');
    // As explore's cases: each operation with the reply it got, the witnesses marked, and the
    // checkers' sentences in the header.
    expect(text).toContain(
      "{ at: 6, client: 'c2', via: 's3', get: 'x', expect: { reply: 'NULL', value: null } }, // op 3: witness of monotonic-reads",
    );
    expect(text).toContain("put: ['x', '1'], expect: { pending: true } },");
    // Its header is laid out as explore's: Goal, Method (with the schedule) and Expected.
    expect(text).toMatch(
      /^ \* Goal: {5}See monotonic reads break in the shortest schedule there is, 8 moves/m,
    );
    expect(text).toMatch(/^ \* Method: {3}The network delivers a message 1 ms after it is sent/m);
    expect(text).toMatch(
      /^ \* {11}8 {2}0\.008s {2}NULL c2\.2 x ts=∅ s3 → c2 arrives\n \* Expected: /m,
    );
    expect(text.replace(/\n \* +/g, ' ')).toContain(
      "Expected: s3 answered c2's GET x (op 3, c2.2, issued at 0.006s) with no value (NULL: version 0), but c2 had already read ts 2 from s1 (op 2).",
    );
    // The finding the replay shows is expected too, as explore's cases expect theirs.
    expect(text).toMatch(
      /^ {2}expect: \{ violations: \['monotonic-reads'\], findings: \['linearizability'\] \},$/m,
    );
    // Its goal, which sim prints, names the guarantee in the README's words.
    const goal = /^ {2}goal: '.* breaks ([a-z ,]+) \(\d+ moves\)',$/m.exec(text)?.[1];
    expect(goal).toBe('monotonic reads');
    expect(readmeGuarantees()).toContain(goal);
  });
});

describe('npm run verify typed outside the repository (npm --prefix …)', () => {
  it('names its counterexample by the whole path, which is there from the folder it was typed in', () => {
    // As npm runs it: in the repository's folder (here the scratch one), INIT_CWD elsewhere.
    const typed = mkdtempSync(join(tmpdir(), 'kvsim-typed-'));
    try {
      const [program, argv] = nodeCommand('sim/cli/verify.ts', [
        CONFIG,
        '--knob',
        'missingKeyReply=null-first',
      ]);
      const r = spawnSync(program, argv, {
        cwd: WORK,
        encoding: 'utf8',
        env: { ...plainEnv(), INIT_CWD: typed, npm_lifecycle_event: 'verify' },
      });
      expect(r.status).toBe(1);
      const file = /counterexample written to (\S+)/.exec(r.stdout)?.[1] ?? '';
      expect(existsSync(resolve(typed, file))).toBe(true);
      expect(r.stdout).toContain(`replay: npm run sim -- ${file}\n`);
    } finally {
      rmSync(typed, { recursive: true, force: true });
    }
  });
});

describe('npm run verify -- --help, and a scenario piped in', () => {
  it('says what each flag means, with its unit and its default', () => {
    const help = run('sim/cli/verify.ts', '--help');
    expect(help.status).toBe(0);
    // The usage line, folded to the terminal's width, up to the blank line under it.
    const usage = help.stdout.slice(0, help.stdout.indexOf('\n\n'));
    const flags = [...usage.matchAll(/\[(--[a-z-]+)/g)].map((m) => m[1]!);
    expect(flags.length).toBeGreaterThan(10);
    for (const flag of flags) expect(help.stdout).toMatch(new RegExp(`\\n  ${flag}[ =].* {2,}\\S`));
    expect(help.stdout).toMatch(/--max-seconds S +CPU seconds the search may take \(default 600\)/);
    expect(help.stdout).toMatch(/--depth D +moves in a schedule, at most \(default 200\)/);
  });

  it('names its case after stdin, and says in it where its scenario came from', () => {
    const r = spawnSync(...nodeCommand('sim/cli/verify.ts', ['-']), {
      cwd: WORK,
      input: readFileSync(join(ROOT, 'scenarios/stale-read.ts')),
      encoding: 'utf8',
      env: plainEnv(),
    });
    expect(r.status).toBe(1);
    // A short search's CPU time in ms, not '0.0 s'.
    expect(flat(r.stdout)).toMatch(
      / moves\), depth \d+ moves?, \d+ complete schedules?; \d+ ms of CPU, /,
    );
    const file = /counterexample written to (\S+)/.exec(r.stdout)?.[1] ?? '';
    expect(file).toMatch(/^cases\/verify-stdin-replicated-seed(-\d+)?\.ts$/);
    expect(readFileSync(join(WORK, file), 'utf8').replace(/\n \* +/g, ' ')).toContain(
      'found by `npm run verify -- -` (its scenario piped in)',
    );
    expect(run('sim/cli/sim.ts', join(WORK, file), '--quiet').status).toBe(0);
  });
});

describe('npm run verify -- scenarios/verify/two-readers.ts --preset fixed', () => {
  it('reports every schedule correct with its state count, exit 0', () => {
    const proved = run('sim/cli/verify.ts', CONFIG, '--preset', 'fixed');
    expect(proved.status).toBe(0);
    expect(proved.stdout).toContain('every schedule of this configuration keeps every guarantee');
    expect(flat(proved.stdout)).toMatch(
      /\d+ distinct states \(the start and \d+ new ones found by \d+ moves\), depth \d+ moves, \d+ complete schedules/,
    );
  });

  it('says honestly when a bound stopped it', () => {
    const cut = run('sim/cli/verify.ts', CONFIG, '--max-drops', '1', '--max-states', '50');
    expect(cut.status).toBe(1);
    expect(cut.stdout).toMatch(
      /not finished at depth \d+ moves: stopped by the bound on distinct states/,
    );
  });

  it('a bound of one state is counted in the singular', () => {
    const r = run('sim/cli/verify.ts', CONFIG, '--max-states', '1');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/not finished at depth 1 move: /);
    expect(r.stdout).toMatch(/ 2 distinct states \(the start and 1 new one found by 1 move\), /);
  });

  it('stops at the memory bound with its figures, not in a fatal out-of-memory abort', () => {
    // A 150 MB heap: the lock tour's configuration outgrows it at about 90,000 worlds.
    const r = runCli('verify', [join(ROOT, 'scenarios', 'lock-tour.ts')], WORK, {
      NODE_OPTIONS: '--max-old-space-size=150',
    });
    expect(r.stderr).not.toMatch(/FATAL|out of memory/);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/not finished at depth \d+ moves: stopped by the memory bound/);
  });
});

describe('a search too wide to finish', () => {
  it('is said early, once, on stderr, and a search that finishes says nothing of it', () => {
    // Eight clients' PUTs at once: every order of their messages, about ×8 a move.
    const wide = join(WORK, 'wide.ts');
    const steps = Array.from({ length: 8 }, (_, i) => ({
      at: 0,
      client: `c${i + 1}`,
      put: ['x', String(i)],
    }));
    writeFileSync(wide, `export default ${JSON.stringify({ goal: 'wide', clients: 8, steps })};\n`);
    const r = run('sim/cli/verify.ts', wide, '--max-states', '20000');
    expect(r.status).toBe(1);
    const warnings = r.stderr.split('\n').filter((l) => l.startsWith('warning: '));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^warning: the search widens about ×\d+ a move \(\d+ new states at depth \d+\) and no schedule is complete yet: it will likely stop at a bound \(--max-states 20000, memory or time\) before one is/,
    );
    expect(r.stdout).toMatch(/stopped by the bound on distinct states/);
    // Said before the bound stopped it: the figures after it are of a deeper search.
    const at = Number(/at depth (\d+)\)/.exec(warnings[0]!)?.[1]);
    const stopped = Number(/not finished at depth (\d+) moves/.exec(r.stdout)?.[1]);
    expect(at).toBeLessThan(stopped);
    const proved = run('sim/cli/verify.ts', CONFIG, '--preset', 'fixed');
    expect(proved.status).toBe(0);
    expect(proved.stderr).not.toContain('warning');
  });

  it('is said after the first depth when that alone shows it, before the second takes minutes', () => {
    // 20 clients, each free to ask any of 20 servers: 400 first moves, then about ×400 again.
    const servers = Array.from({ length: 20 }, (_, i) => `s${i + 1}`);
    const clients = Array.from({ length: 20 }, (_, i) => `c${i + 1}`);
    const steps = clients.map((client, i) => ({ at: i, client, put: ['x', String(i)] }));
    const wide = join(WORK, 'wider.ts');
    writeFileSync(
      wide,
      `export default ${JSON.stringify({ goal: 'wider', servers, clients, steps })};\n`,
    );
    const r = run('sim/cli/verify.ts', wide, '--max-states', '5000');
    expect(r.stdout).toMatch(
      /not finished at depth 2 moves: stopped by the bound on distinct states/,
    );
    const warnings = r.stderr.split('\n').filter((l) => l.startsWith('warning: '));
    expect(warnings).toEqual([
      expect.stringContaining(
        'warning: the search widens about ×400 a move (400 new states at depth 1) and no schedule is complete yet',
      ),
    ]);
  });
});

describe('what a newcomer types first', () => {
  it('a mistyped scenario name is answered with the file meant', () => {
    const r = run('sim/cli/verify.ts', join(ROOT, 'scenarios', 'verify', 'two-reader.ts'));
    expect(isOneLineRefusal(r)).toBe(true);
    expect(r.stderr).toContain(`did you mean ${CONFIG}?`);
  });

  it('no scenario at all is answered with one to start from, not the whole usage line', () => {
    const r = run('sim/cli/verify.ts');
    expect(isOneLineRefusal(r)).toBe(true);
    const example = /e\.g\. npm run verify -- (\S+)/.exec(r.stderr)?.[1];
    expect(existsSync(join(ROOT, example!))).toBe(true);
    expect(r.stderr).not.toContain('[--max-drops N]');
  });

  it('the budgets line names only the faults allowed, or says there are none', () => {
    const none = run('sim/cli/verify.ts', CONFIG);
    expect(none.stdout).not.toMatch(/\b0 (drops|duplicates|slow|server|client|followers)/);
    expect(none.stdout).toMatch(/; no faults: every order of the messages and operations/);
    // The line heads the output, before the search: cut at 50 states, the search prints it as at
    // the default bound of 2,000,000 (26 s of CPU, 120 s of wall on a loaded machine: the test's
    // timeout).
    const some = run(
      'sim/cli/verify.ts',
      CONFIG,
      '--max-drops',
      '1',
      '--max-crashes',
      '2',
      '--max-states',
      '50',
    );
    expect(flat(some.stdout)).toContain('at most 1 drop, 2 server crashes; no other faults');
  });

  it('a 1 ms timer runs after the messages sent before it, as in sim: the search ends, and a long round is told once', () => {
    // The leader sends each REPLICATION, then sets its 1 ms timer: on time, the message and its
    // answer come first, so without faults the PUT completes and every schedule is explored.
    const proved = run('sim/cli/verify.ts', ONE_WRITE, '--knob', 'replicationTimeout=1');
    expect(proved.status).toBe(0);
    expect(flat(proved.stdout)).toContain(
      'every schedule of this configuration keeps every guarantee',
    );
    // With s2 down for good the leader resends every ms until the liveness bound: the schedule
    // replays in sim to the same violation, and its thousands of rounds are told by first and last.
    const a11 = run(
      'sim/cli/verify.ts',
      ONE_WRITE,
      '--knob',
      'replicationTimeout=1',
      '--max-down-for-good',
      '1',
      '--depth',
      '20000',
    );
    expect(a11.status).toBe(1);
    const out = flat(a11.stdout);
    expect(out).toContain('violation: liveness broken by a schedule of 10628 moves');
    expect(out).toContain('replayed with sim: the same violation, liveness');
    expect(out).toMatch(/… the same 2 moves 995 more times \(moves 6-1995, to 0\.999s\) …/);
    expect(a11.stdout.split('\n').length).toBeLessThan(200);
  });

  it('one fault step of the scenario left out is said in the singular', () => {
    const r = run('sim/cli/verify.ts', FOLLOWER_DOWN);
    expect(flat(r.stdout)).toContain("(the scenario's 1 fault step is not used: ");
  });
});

describe('the figures of a search, as printed', () => {
  /** The distinct states, the new ones among them, and the moves that found them, as printed. */
  const counts = (stdout: string) => {
    const m = /(\d+) distinct states? \(the start and (\d+) new ones? found by (\d+) moves?\)/.exec(
      flat(stdout),
    );
    expect(m).not.toBeNull();
    return m!.slice(1).map(Number) as [number, number, number];
  };

  it('add up: the distinct states are the start and the new ones, which the moves found', () => {
    // A search so small that every move finds a new state: the counts must not look as if
    // states went missing (6 distinct, 5 explored).
    const small = run('sim/cli/verify.ts', FOLLOWER_DOWN, '--max-states', '5');
    const [distinct, fresh, moves] = counts(small.stdout);
    expect(distinct).toBe(fresh + 1);
    expect(moves).toBe(fresh);
    const whole = run('sim/cli/verify.ts', FOLLOWER_DOWN);
    expect(whole.status).toBe(0);
    const [d, f, m] = counts(whole.stdout);
    expect(d).toBe(f + 1);
    // Moves that lead back to a state met before find nothing new.
    expect(m).toBeGreaterThan(f);
  });

  it('the progress line names what it counts', () => {
    const r = run('sim/cli/verify.ts', FOLLOWER_DOWN);
    expect(r.stderr).toMatch(/^moves \d+ {2}distinct states \d+ {2}depth \d+ {2}/m);
  });
});

describe('informative findings (A4) and a follower down for good (A11)', () => {
  const readElsewhere = join(ROOT, 'scenarios', 'verify', 'read-elsewhere.ts');

  it("lists the design's linearizability finding beside a proved verdict, exit 0", () => {
    const proved = run('sim/cli/verify.ts', readElsewhere);
    expect(proved.status).toBe(0);
    expect(proved.stdout).toContain('every schedule of this configuration keeps every guarantee');
    expect(proved.stdout).toMatch(/informative findings \(they do not change the verdict/);
    expect(proved.stdout).toMatch(
      /ℹ linearizability \(informative\): shortest schedule 8 moves: c2's GET x/,
    );
    for (const name of markedGuarantees(proved.stdout, 'ℹ'))
      expect(readmeGuarantees()).toContain(name);
  });

  it('with --informative stops at it and writes a case that sim replays to the same finding', () => {
    const found = run('sim/cli/verify.ts', readElsewhere, '--informative');
    expect(found.status).toBe(1);
    // Told as sim tells it: a finding, marked ℹ, not a violation.
    expect(found.stdout).toContain(
      'finding: linearizability (informative) shown by a schedule of 8 moves',
    );
    expect(found.stdout).toMatch(/^ {2}ℹ linearizability \(informative\): c2's GET x/m);
    expect(found.stdout).not.toMatch(/violation|✗/);
    expect(found.stdout).toContain(
      'replayed with sim: the same finding, linearizability (informative)',
    );
    const file = /counterexample written to (\S+)/.exec(found.stdout)?.[1] ?? '';
    const header = readFileSync(join(WORK, file), 'utf8');
    expect(header).toContain(
      ' * Goal:     See linearizability (informative) shown in the shortest schedule there is, 8 moves',
    );
    expect(header).toContain('shortest schedule verify found that shows linearizability');
    const replay = run('sim/cli/sim.ts', join(WORK, file), '--width', '100');
    expect(replay.status).toBe(0);
    expect(replay.stdout).toMatch(/ℹ linearizability \(informative\) +1 finding/);
    expect(replay.stdout).toContain('as the scenario expected');
  });

  it('without --max-down-for-good, the one schedule of the write is counted in the singular', () => {
    const config = join(ROOT, 'scenarios', 'verify', 'follower-down.ts');
    const proved = run('sim/cli/verify.ts', config);
    expect(proved.status).toBe(0);
    const complete = Number(/(\d+) complete schedules?\b/.exec(proved.stdout)?.[1]);
    expect(complete).toBe(1);
    expect(flat(proved.stdout)).toMatch(/, 1 complete schedule; /);
  });

  it('--max-down-for-good 1: the PUT never completes under fixed (liveness, 36 moves)', () => {
    const config = join(ROOT, 'scenarios', 'verify', 'follower-down.ts');
    const found = run('sim/cli/verify.ts', config, '--max-down-for-good', '1');
    expect(found.status).toBe(1);
    expect(found.stdout).toContain('violation: liveness broken by a schedule of 36 moves');
    expect(found.stdout).toContain('s2 crashes for good: it never restarts');
    expect(found.stdout).toContain('replayed with sim: the same violation, liveness');
    expect(markedGuarantees(found.stdout, '✗')).toEqual(['liveness']);
  });
});

describe("a scenario's own fault steps", () => {
  it('are not replayed, and the note names the budget that lets verify try them, which finds A6', () => {
    const config = join(ROOT, 'scenarios', 'crashed-holder-blocks-key.ts');
    const bare = run('sim/cli/verify.ts', config, '--max-states', '10');
    const note = bare.stdout.replace(/\s+/g, ' ');
    expect(note).toMatch(
      /the scenario's \d+ fault steps are not used: .* give --max-client-crashes 1\)/,
    );
    const flag = /give (--max-[a-z-]+) (\d+)\)/.exec(note);
    expect(flag).not.toBeNull();
    const found = run('sim/cli/verify.ts', config, flag![1]!, flag![2]!);
    expect(found.status).toBe(1);
    expect(markedGuarantees(found.stdout, '✗')).toEqual(['liveness']);
    expect(found.stdout).not.toContain('with no budget it tries none');
  });

  it('name --max-down-for-good for a follower the script crashes and never restarts, which finds A11', () => {
    // --max-crashes 1 would restart it, and every schedule would keep every guarantee.
    const config = join(ROOT, 'scenarios', 'follower-down-blocks-puts.ts');
    const bare = run('sim/cli/verify.ts', config, '--max-states', '10');
    expect(flat(bare.stdout)).toContain(
      "the scenario's 1 fault step is not used: verify tries crashes, drops, duplicates and delays itself, within the budgets above; with no budget it tries none: give --max-down-for-good 1)",
    );
    const found = run('sim/cli/verify.ts', config, '--max-down-for-good', '1');
    expect(found.status).toBe(1);
    expect(found.stdout).toContain('violation: liveness broken by a schedule of 40 moves');
  });

  it('read in the order they run: a restart written above its crash but later in time brings it back', () => {
    const file = join(WORK, 'restart-first.ts');
    const steps = [
      { at: 0, client: 'c1', put: ['x', '1'] },
      { at: 2000, restart: 's3' },
      { at: 1000, crash: 's3' },
    ];
    writeFileSync(file, `export default ${JSON.stringify({ goal: 'back again', steps })};\n`);
    const note = flat(run('sim/cli/verify.ts', file, '--max-states', '10').stdout);
    expect(note).toContain('with no budget it tries none: give --max-crashes 1)');
  });
});

describe('a mistake gets one line and exit 2', () => {
  it.each([
    [['--max-drops', 'many'], "--max-drops must be a whole number from 0 to 10 (got 'many')"],
    [
      ['--max-down-for-good', 'one'],
      "--max-down-for-good must be a whole number from 0 to 10 (got 'one')",
    ],
    [['--knob', 'missingKeyReply=sometimes'], 'knob missingKeyReply must be one of'],
    [
      ['--knob', 'lockLease=5'],
      "lockLease is a knob of the lock store; this scenario's store is replicated",
    ],
    [['--depth', '0'], "--depth must be a whole number from 1 to 100000 (got '0')"],
    [['--depth', '999999'], "--depth must be a whole number from 1 to 100000 (got '999999')"],
    [
      ['--max-states', '99999999999'],
      "--max-states must be a whole number from 1 to 1000000000 (got '99999999999')",
    ],
    [['--frobnicate'], "unknown option '--frobnicate'"],
  ])('%j', (flags, message) => {
    const r = run('sim/cli/verify.ts', CONFIG, ...flags);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
  });

  it("--out '' or a folder that cannot be made is refused before the search", () => {
    const file = join(WORK, 'a-file');
    writeFileSync(file, 'x');
    for (const [out, message] of [
      ['', "--out needs a folder's name (got ''), e.g. --out cases"],
      [file, `cannot write cases into '${file}'`],
    ] as const) {
      const r = run('sim/cli/verify.ts', CONFIG, '--out', out);
      expect(isOneLineRefusal(r)).toBe(true);
      expect(r.stderr).toContain(message);
      expect(r.stdout).toBe('');
    }
  });

  it('--max-down-for-good above the followers the scenario has is refused, not said back as it was given', () => {
    const r = run('sim/cli/verify.ts', CONFIG, '--max-down-for-good', '5');
    expect(isOneLineRefusal(r)).toBe(true);
    expect(r.stderr).toMatch(
      /--max-down-for-good 5: .* has 2 followers, so at most 2 can be down for good/,
    );
    expect(r.stdout).toBe('');
  });

  it('--max-down-for-good on a lock scenario: the lock store has no follower, and adding servers would not give it one', () => {
    const r = run(
      'sim/cli/verify.ts',
      join(ROOT, 'scenarios', 'lock-tour.ts'),
      '--max-down-for-good',
      '1',
    );
    expect(isOneLineRefusal(r)).toBe(true);
    expect(r.stderr).toMatch(/lock store/);
    expect(r.stderr).not.toMatch(/add servers/);
    expect(r.stdout).toBe('');
  });

  it('a cases/ that cannot be made is refused before the search, not after it (a stack trace, the counterexample lost)', () => {
    const folder = mkdtempSync(join(tmpdir(), 'kvsim-verify-cases-'));
    try {
      writeFileSync(join(folder, 'cases'), 'my notes\n');
      const r = runCli('verify', [CONFIG, '--knob', 'missingKeyReply=null-first'], folder);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(
        /^error: cannot write cases into 'cases': '.*cases' is not a folder; [^\n]*\n$/,
      );
      expect(r.stdout).toBe('');
      expect(readFileSync(join(folder, 'cases'), 'utf8')).toBe('my notes\n');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('a counterexample that cannot be written into cases/ after all goes to a temporary folder, and the status stays 1', () => {
    const folder = mkdtempSync(join(tmpdir(), 'kvsim-verify-cases-'));
    try {
      const args = [CONFIG, '--knob', 'missingKeyReply=null-first'];
      const first = runCli('verify', args, folder);
      const written = first.stdout.match(/counterexample written to (\S+)\.ts\n/)![1]!;
      // Every other name it may take is taken: writing fails after the check before the search.
      for (let n = 2; n <= 10_000; n++) writeFileSync(join(folder, `${written}-${n}.ts`), '');
      const r = runCli('verify', args, folder);
      expect(r.status).toBe(1);
      const path = r.stdout.match(/counterexample written to (\S+)\n/)![1]!;
      expect(path.startsWith(tmpdir())).toBe(true);
      expect(r.stderr).toMatch(
        /^warning: cannot write a case into 'cases': [^\n]*; the case is at /,
      );
      expect(runCli('sim', [path, '--quiet']).status).toBe(0);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('a file name with an escape sequence reaches neither the terminal nor the case file name', () => {
    const file = join(WORK, 'two\x1b[2J.ts');
    writeFileSync(file, readFileSync(CONFIG));
    const r = run('sim/cli/verify.ts', file, '--knob', 'missingKeyReply=null-first');
    expect(r.status).toBe(1);
    expect(r.stdout.includes('\x1b')).toBe(false);
    expect(r.stdout).toContain('two\\x1b[2J.ts: replicated store');
    const path = r.stdout.match(/counterexample written to (\S+)/)![1]!;
    expect(path).toMatch(/^cases\/verify-two2J-[\w-]+\.ts$/);
    expect(run('sim/cli/sim.ts', path, '--quiet').status).toBe(0);
  });
});
