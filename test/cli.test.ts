// The command line as a user runs it: the stale-read demo, replays, and bad input getting one
// clear line and exit status 2.

import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  HAS_SCRIPT,
  isOneLineRefusal,
  nodeCommand,
  plainEnv,
  ROOT,
  readmeGuarantees,
  runCli,
  runOnTerminal,
} from './run-cli.ts';

function sim(...args: string[]) {
  return simWith({}, ...args);
}

/** `npm run sim` with some environment variables set. */
function simWith(env: NodeJS.ProcessEnv, ...args: string[]) {
  return runCli('sim', args, ROOT, env);
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

  it('a run cut short by a bound flag replays cut at the same event: the flag is in its replay line', () => {
    const cut = sim(
      'scenarios/stale-read.ts',
      '--quiet',
      '--max-events',
      '5',
      '--max-queue',
      '900',
    );
    expect(cut.stdout).toContain('stopped at the event bound');
    const replay = cut.stdout.match(/replay +npm run sim -- (.*)/)?.[1];
    expect(replay).toBe('scenarios/stale-read.ts --seed 1 --max-events 5 --max-queue 900 --quiet');
    const hash = (out: string) => out.match(/trace hash +(\S+)/)?.[1];
    expect(hash(sim(...replay!.split(' ')).stdout)).toBe(hash(cut.stdout));
    expect(hash(cut.stdout)).not.toBe(hash(sim('scenarios/stale-read.ts', '--quiet').stdout));
  });

  it('the replay command runs as printed when the path holds a space or a quote', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvsim-replay-'));
    try {
      mkdirSync(join(dir, 'my scenarios'));
      const file = "my scenarios/it's stale.ts";
      writeFileSync(join(dir, file), readFileSync(join(ROOT, 'scenarios/stale-read.ts')));
      const first = runCli('sim', [file, '--quiet', '--knob', 'retryLimit=2'], dir);
      expect(first.status).toBe(0);
      const replay = first.stdout.match(/replay +npm run sim -- (.*)/)?.[1];
      // The words a shell reads from the printed line, pasted as it is.
      const said = spawnSync('sh', ['-c', `printf '%s\\n' ${replay}`], { encoding: 'utf8' });
      const words = said.stdout.split('\n').slice(0, -1);
      expect(words.slice(0, 3)).toEqual([file, '--seed', '1']);
      expect(runCli('sim', [...words, '--quiet'], dir).stdout).toBe(first.stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('npm run typed in a subfolder reads the paths from that folder', () => {
    // As a user types it, in a shell of their own: no variable of an npm already running.
    const env = Object.fromEntries(
      Object.entries(plainEnv()).filter(([k]) => k !== 'INIT_CWD' && !k.startsWith('npm_')),
    );
    const r = spawnSync('npm', ['run', '--silent', 'sim', '--', 'stale-read.ts', '--quiet'], {
      cwd: join(ROOT, 'scenarios'),
      encoding: 'utf8',
      env,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/replay +npm run sim -- stale-read\.ts --seed 1/);
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

  it("an expectation a knob undoes is named as the verdict lines name it, in the README's words", () => {
    const r = sim(
      'scenarios/pipelined-puts-overtake.ts',
      '--quiet',
      '--knob',
      'clientSession=sequential',
    );
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/✓ monotonic writes +held/);
    const unmet = r.stdout.match(/✗ not as expected: (.+) was expected to break but held/)?.[1];
    expect(unmet).toBe('monotonic writes');
    expect(readmeGuarantees()).toContain(unmet);
  });
});

describe('--help', () => {
  it.each(['sim', 'view', 'explore', 'verify', 'live', 'serve', 'client'])(
    '%s: fits 100 columns, its usage folded as the README shows it',
    (command) => {
      const help = runCli(command, ['--help']);
      expect(help.status).toBe(0);
      for (const line of help.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
      expect(help.stdout).toMatch(new RegExp(`^usage: npm run ${command} -- `));
    },
  );

  it.each(['sim', 'view', 'live', 'serve', 'client'])(
    '%s: says what each flag means',
    (command) => {
      const help = runCli(command, ['--help']).stdout;
      const usage = help.slice(0, help.indexOf('\n\n'));
      const flags = [...usage.matchAll(/(?:[[|] ?|-- )(--[a-z-]+)/g)].map((m) => m[1]!);
      expect(flags.length).toBeGreaterThan(1);
      for (const flag of flags) expect(help).toMatch(new RegExp(`\\n  ${flag}[ =].* {2,}\\S`));
    },
  );
});

describe('bad input gets one clear line and exit status 2', () => {
  it.each([
    [['scenarios/no-such.ts'], /no scenario file at 'scenarios\/no-such.ts'/],
    // resolve('') is the folder itself: an empty word is named as empty, not as a folder.
    [
      [''],
      /^error: the scenario file's name is empty \(''\); name one, e.g. scenarios\/stale-read.ts/,
    ],
    [['scenarios/stale-read.ts', '--frobnicate'], /^error: unknown option '--frobnicate'/m],
    [
      ['scenarios/stale-read.ts', '--sede', '3'],
      /^error: unknown option '--sede'; did you mean --seed\?$/m,
    ],
    [['scenarios/stale-read.ts', '--jsno', 'x.json'], /did you mean --json\?$/m],
    // A file whose name begins with '-' is read as flags: the line says how to name it.
    [
      ['-stale.ts'],
      /^error: -stale.ts is read as flags, since it begins with '-'; to name the file, write .\/-stale.ts$/m,
    ],
    [
      ['scenarios/stale-read.ts', '--knob', 'followerApply=sideways'],
      /knob followerApply must be one of overwrite, newer-wins/,
    ],
    [
      ['scenarios/stale-read.ts', '--knob', 'noSuchKnob=1'],
      /unknown knob 'noSuchKnob'; the knobs are: replicationDelay, /,
    ],
    // A typo of a knob's name is answered with the name meant, as in a scenario file.
    [
      ['scenarios/stale-read.ts', '--knob', 'folowerApply=overwrite'],
      /^error: unknown knob 'folowerApply'; did you mean 'followerApply'\?$/m,
    ],
    // Another store's knob is named as such, with the knobs this scenario's store has.
    [
      ['scenarios/stale-read.ts', '--knob', 'lockLease=5'],
      /^error: lockLease is a knob of the lock store; this scenario's store is replicated; its knobs are: replicationDelay, /,
    ],
    [
      ['scenarios/lock-tour.ts', '--knob', 'followerApply=overwrite'],
      /^error: followerApply is a knob of the replicated store; this scenario's store is lock; its knobs are: lockOwnerCheck, /,
    ],
    // A negative number is read as the flag's value, and refused with the flag's range.
    [
      ['scenarios/stale-read.ts', '--seed', '-1'],
      /^error: --seed must be a whole number from 0 to 9007199254740991 \(got '-1'\)$/m,
    ],
    [
      ['scenarios/stale-read.ts', '--width', '-3'],
      /^error: --width must be a whole number of columns from 40/m,
    ],
    [
      ['scenarios/stale-read.ts', '--json', '-out.json'],
      /--json -out.json: a value that begins with '-' is joined to its flag, as --json=-out.json/,
    ],
    [
      ['scenarios/stale-read.ts', '--json', '-1.json'],
      /--json -1.json: a value that begins with '-' is joined to its flag, as --json=-1.json/,
    ],
    [['scenarios/stale-read.ts', '--seed=-1'], /--seed must be a whole number from 0/],
    [
      ['scenarios/stale-read.ts', '--knob', 'replicationDelay=-1'],
      /knob replicationDelay must be an integer from 0/,
    ],
    [['scenarios/stale-read.ts', '--knob', 'replicationDelay'], /--knob takes name=value/],
    [['scenarios/stale-read.ts', '--preset', 'best'], /unknown preset 'best'/],
    [['scenarios/stale-read.ts', '--seed', 'abc'], /--seed must be a whole number/],
    [[], /name a scenario file/],
    [
      ['test/fixtures/cli/throws.ts'],
      /could not be loaded: test\/fixtures\/cli\/throws.ts:2:7: the author made a mistake/,
    ],
    [['test/fixtures/cli/bad-step.ts'], /step 2: client 'c9' is not a client; did you mean 'c1'\?/],
    [['test/fixtures/cli/no-default.ts'], /has no default export; write export default/],
    [['test/fixtures/cli/bad-partition.ts'], /step 1: partition must be a list such as \[\['s1'/],
    [
      ['test/fixtures/cli/unknown-guarantee.ts'],
      /expect.violations \(item 1\) is 'monotonic-read', not one of the guarantees; did you mean 'monotonic-reads'\?/,
    ],
    [['test/fixtures/cli/two-actions.ts'], /step 1 names put and get: give each its own step/],
    [['test/fixtures/cli/bad-run-until.ts'], /runUntilMs must be a whole number of ms from 1/],
    // The last value would be kept without a word: the run might not be the one meant.
    [
      ['scenarios/stale-read.ts', '--seed', '1', '--seed=2'],
      /^error: --seed is given twice \('1', then '2'\); give it once \(only --knob, --what-if may repeat\)$/m,
    ],
    [['scenarios/stale-read.ts', '--view', 'log', '--view', 'diagram'], /--view is given twice/],
  ])('%j', (args, message) => {
    const r = sim(...args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('a flag that holds one value, given twice', () => {
  // Every command parses its flags through one parser: each refuses, none runs.
  it.each([
    ['sim', ['scenarios/stale-read.ts', '--width', '80', '--width', '90']],
    ['view', ['test/no-such.json', '--width', '80', '--width', '90']],
    ['explore', ['--runs', '1', '--runs', '2']],
    ['verify', ['scenarios/stale-read.ts', '--depth', '1', '--depth', '2']],
    // A bad value after, so that a command that took the flag stops there rather than serving.
    ['live', ['--seed', '1', '--seed', '2', '--ops', '0']],
    ['serve', ['--store', 'lock', '--store', 'replicated', '--port-base', '70000']],
    ['client', ['--id', 'c1', '--id', 'c2', '--wait-ms', 'x']],
  ])('%s', (command, args) => {
    const r = runCli(command, args);
    expect(isOneLineRefusal(r)).toBe(true);
    expect(r.stderr).toMatch(
      /^error: --[a-z]+ is given twice \('[^']*', then '[^']*'\); give it once/,
    );
    expect(r.stdout).toBe('');
  });

  // The same knob twice would run with the last one silently: every command that takes knobs
  // refuses it, naming both values.
  it.each([
    ['sim', ['scenarios/stale-read.ts']],
    ['explore', ['--runs', '1']],
    ['verify', ['scenarios/stale-read.ts']],
    ['live', ['--ops', '1']],
    ['serve', []],
    ['client', ['--servers', '127.0.0.1:10097']],
  ])('%s: the same knob twice', (command, args) => {
    const r = runCli(command, [...args, '--knob', 'retryLimit=2', '--knob', 'retryLimit=3']);
    expect(isOneLineRefusal(r)).toBe(true);
    expect(r.stderr).toMatch(
      /^error: --knob retryLimit is given twice \('2', then '3'\); give each knob once$/m,
    );
    expect(r.stdout).toBe('');
  });

  it('a repeatable flag repeats, and a switch given twice is still itself', () => {
    const r = sim(
      'scenarios/stale-read.ts',
      '--quiet',
      '--quiet',
      '--knob',
      'retryLimit=2',
      '--knob',
      'replicationDelay=10000',
      '--width',
      '200',
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /replay +npm run sim -- .* --knob retryLimit=2 --knob replicationDelay=10000/,
    );
  });
});

describe('loading a scenario file', () => {
  // Written at test time: a file with a syntax error cannot live in the type-checked tree.
  const dir = mkdtempSync(join(tmpdir(), 'kvsim-load-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
    return path;
  };
  const oneLine = (r: ReturnType<typeof sim>, message: RegExp) => {
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  };
  const good =
    "export default { goal: 'a good one', steps: [{ at: 0, client: 'c1', put: ['x', '1'] }] };\n";

  it('lists or objects nested thousands deep are named as such, in JSON, TypeScript or stdin', () => {
    const deep = `${'['.repeat(100_000)}1${']'.repeat(100_000)}`;
    const json = `{"goal":"g","steps":[{"at":0,"client":"c1","put":${deep}}]}`;
    const message =
      /^error: in '.*': the scenario nests lists or objects thousands deep, too deep to be read; /;
    oneLine(sim(write('deep.json', json)), message);
    oneLine(sim(write('deep.ts', `export default ${json};\n`)), message);
    oneLine(simPiped(json, '-'), message);
    // A file's own recursion at import is its error, told where it was thrown.
    const loop = 'function f(n: number): number { return f(n + 1); }\nf(0);\n';
    oneLine(
      sim(write('loop.ts', loop + good)),
      /loop\.ts:1:\d+: Maximum call stack size exceeded$/m,
    );
  });

  it('a trace, a folder or a scenario given to the wrong command says which command takes it', () => {
    const trace = join(dir, 'run.json');
    expect(sim('scenarios/stale-read.ts', '--quiet', '--json', trace).status).toBe(0);
    oneLine(
      sim(trace),
      /is a trace saved with --json, not a scenario; draw it with: npm run view -- \S*run\.json$/m,
    );
    oneLine(sim('scenarios'), /'scenarios' is a folder; .* npm run sim -- --list scenarios$/m);
    oneLine(
      runCli('view', ['scenarios/stale-read.ts']),
      /is not a kvsim trace: .*; a scenario runs with: npm run sim -- scenarios\/stale-read\.ts$/m,
    );
  });

  it('flags npm took for itself (no -- before them) are named, with the mend', () => {
    const npmRunSim = (args: string[], env: NodeJS.ProcessEnv = {}) =>
      spawnSync('npm', ['run', '--silent', 'sim', ...args], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...plainEnv(), ...env },
      });
    const took = (flag: string, what: string) =>
      `npm took --${flag} for itself, since no -- came before, ${what}; write npm run sim -- followed by the same words (or, if you typed -- first, unset npm_config_${flag}, which an .npmrc or the environment set)`;
    // As a student types it from memory: npm keeps --seed and hands sim 'scenarios/stale-read.ts 3'.
    const r = npmRunSim(['scenarios/stale-read.ts', '--seed', '3']);
    expect(r.status).toBe(2);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('error: '));
    expect(errors).toEqual([`error: ${took('seed', 'and this run would go without it')}`]);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // With its value joined to it, the flag leaves nothing over: the run would go on without it,
    // a CI gate passing without its --knob. It is refused before it runs, and writes nothing.
    const out = mkdtempSync(join(tmpdir(), 'kvsim-npm-took-'));
    const joined = npmRunSim([
      'scenarios/stale-read.ts',
      '--seed=3',
      '--',
      '--json',
      join(out, 'run.json'),
    ]);
    expect(joined.status).toBe(2);
    expect(joined.stdout).toBe('');
    expect(joined.stderr).toBe(`error: ${took('seed', 'and this run would go without it')}\n`);
    expect(readdirSync(out)).toEqual([]);
    // A flag given after -- too did reach the command: the run goes on.
    const both = npmRunSim(['scenarios/stale-read.ts', '--seed=3', '--', '--seed', '3', '--quiet']);
    expect(both.status).toBe(0);
    expect(both.stderr).toBe('');
    // --json is one of npm's own settings too, which an .npmrc may set (npm_config_json) without
    // a word typed: that run goes on, and says afterwards that it went without.
    const setting = npmRunSim(['--', 'scenarios/stale-read.ts', '--quiet'], {
      npm_config_json: 'true',
    });
    expect(setting.status).toBe(0);
    expect(setting.stderr).toBe(`warning: ${took('json', 'and this run went without')}\n`);
  });

  it('a log level of warn (npm --quiet, or an .npmrc) is not taken for sim --quiet', () => {
    // npm reads --quiet typed before -- as its log level; so may a user's .npmrc. Neither says
    // which: a usage error keeps its own words, and a run says nothing of npm.
    const env = { ...plainEnv(), npm_config_loglevel: 'warn' };
    const missing = spawnSync('npm', ['run', 'sim', '--', 'scenarios/nope.ts'], {
      cwd: ROOT,
      encoding: 'utf8',
      env,
    });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^error: no scenario file at /m);
    const ran = spawnSync('npm', ['run', 'sim', '--', 'scenarios/stale-read.ts', '--quiet'], {
      cwd: ROOT,
      encoding: 'utf8',
      env,
    });
    expect(ran.status).toBe(0);
    expect(ran.stderr).not.toMatch(/npm took/);
  });

  it('a path typed outside the repository (npm --prefix) is named with its whole path', () => {
    const outside = mkdtempSync(join(tmpdir(), 'kvsim-prefix-'));
    try {
      writeFileSync(join(outside, 'mine.ts'), good);
      const r = spawnSync('npm', ['--prefix', ROOT, 'run', '--silent', 'sim', '--', 'mine.ts'], {
        cwd: outside,
        encoding: 'utf8',
        env: plainEnv(),
      });
      oneLine(
        r,
        /^error: no scenario file at 'mine\.ts' in .*, where npm runs the command when started from outside it: write the whole path, .*mine\.ts$/m,
      );
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('a page written when typed outside the repository (npm --prefix) is named by its whole path', () => {
    // As npm runs it: in the repository's folder (here a scratch one), INIT_CWD the folder the
    // user typed in, elsewhere; --html page.html goes to the former, so 'page.html' named no file
    // where the user was.
    const repo = mkdtempSync(join(tmpdir(), 'kvsim-repo-'));
    const typed = mkdtempSync(join(tmpdir(), 'kvsim-typed-'));
    try {
      const scenario = join(ROOT, 'scenarios', 'stale-read.ts');
      const r = spawnSync(
        ...nodeCommand('sim/cli/sim.ts', [scenario, '--quiet', '--html', 'page.html']),
        {
          cwd: repo,
          encoding: 'utf8',
          env: { ...plainEnv(), INIT_CWD: typed, npm_lifecycle_event: 'sim' },
        },
      );
      expect(r.status).toBe(0);
      const printed = /^ +page +(\S+)$/m.exec(r.stdout)?.[1];
      expect(printed).toBe(join(repo, 'page.html'));
      expect(existsSync(resolve(typed, printed!))).toBe(true);
    } finally {
      rmSync(repo, { recursive: true, force: true });
      rmSync(typed, { recursive: true, force: true });
    }
  });

  it('a file that is no scenario, or exports none, says what a scenario file is', () => {
    const notes = join(dir, 'notes.txt');
    writeFileSync(notes, good);
    oneLine(
      sim(notes),
      /'.*notes\.txt' is not a scenario file: a scenario is a \.ts file .* export default \{/,
    );
    oneLine(
      sim('/dev/null'),
      /'\/dev\/null' is not a file \(a device or a pipe\); name a scenario file/,
    );
    // Outside a module package an export-less file loads as CommonJS: an empty object, not 'no goal'.
    const outside = mkdtempSync(join(tmpdir(), 'kvsim-no-export-'));
    try {
      for (const [name, text] of [
        ['empty.ts', ''],
        ['no-export.ts', 'const a = 1;\n'],
      ] as const) {
        writeFileSync(join(outside, name), text);
        oneLine(
          sim(join(outside, name)),
          /the scenario file has no default export; write export default/,
        );
      }
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('a trace that exists but cannot be read is named as such, not mended by saving a run over it', () => {
    const loop = join(dir, 'loop.json');
    symlinkSync(loop, loop);
    const r = runCli('view', [loop]);
    oneLine(r, /cannot read '.*loop\.json': ELOOP: too many symbolic links/);
    expect(r.stderr).not.toMatch(/save a run|Error: /);
    oneLine(runCli('view', ['no-such.json']), /no such file; save a run with: npm run sim -- /);
  });

  it("the README's example scenario runs and meets what it expects", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Writing a scenario'));
    const example = section.match(/```ts\n([\s\S]*?)```/)![1]!;
    const r = sim(write('example.ts', example), '--quiet');
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/expected +2 of 2 met/);
    expect(r.status).toBe(0);
  });

  it('a syntax error keeps the line saying where and why', () => {
    const file = write(
      'syntax.ts',
      "export default {\n  goal: 'g',\n  steps: [{ at: 0 client: 'c1', get: 'x' }],\n};\n",
    );
    oneLine(sim(file), /could not be loaded: .*syntax\.ts:3:18: Expected "}" but found "client"/);
  });

  // The folder is outside any module package: such a file loads as CommonJS, as Node loads it.
  it('a file that throws at import, outside a module package, is told the line and column', () => {
    const file = write('throws-here.ts', "const ready = false;\nthrow new Error('not ready');\n");
    oneLine(sim(file), /could not be loaded: .*throws-here\.ts:2:7: not ready$/m);
  });

  it('a step that throws as it is built, or as it is read, is told where in the file', () => {
    const built = write(
      'builds.ts',
      "function step(at: number) {\n  if (at > 5) throw new Error('too late');\n  return { at, client: 'c1', get: 'x' };\n}\nexport default { goal: 'g', steps: [step(1), step(9)] };\n",
    );
    oneLine(sim(built), /could not be loaded: .*builds\.ts:2:21: too late$/m);
    const read = write(
      'getter.ts',
      "export default {\n  goal: 'g',\n  steps: [{ at: 0, client: 'c1', get key(): string { throw new Error('no key'); } }],\n};\n",
    );
    oneLine(sim(read), /could not be loaded: .*getter\.ts:3:60: no key$/m);
  });

  /** sim reading its scenario from stdin, as `npm run sim -- - < file` does. */
  const simPiped = (text: string, ...args: string[]) => {
    const r = spawnSync(...nodeCommand('sim/cli/sim.ts', args), {
      input: text,
      encoding: 'utf8',
      env: plainEnv(),
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('a scenario piped in runs, and its replay line says to save it first, then replays', () => {
    const text = readFileSync(join(ROOT, 'scenarios/stale-read.ts'), 'utf8');
    for (const word of ['-', '/dev/stdin']) {
      const piped = simPiped(text, word, '--quiet', '--knob', 'retryLimit=2', '--width', '200');
      expect(piped.stderr).toBe('');
      expect(piped.status).toBe(0);
      expect(piped.stdout).toMatch(
        /replay +the scenario came from stdin, which cannot be read again: save it to a file, e\.g\. my-scenario\.ts, then:\n +npm run sim -- my-scenario\.ts --seed 1 --knob retryLimit=2 --quiet\n/,
      );
      // Saved where it says, the command it prints replays the same run.
      const folder = mkdtempSync(join(dir, 'saved-'));
      writeFileSync(join(folder, 'my-scenario.ts'), text);
      const command = piped.stdout.match(/\n +npm run sim -- (.*)\n/)![1]!.split(' ');
      const replayed = runCli('sim', command, folder);
      const hash = (out: string) => out.match(/trace hash +(\S+)/)?.[1];
      expect(hash(replayed.stdout)).toBe(hash(piped.stdout));
      expect(hash(piped.stdout)).toMatch(/^[0-9a-f]{16}$/);
    }
  });

  it.skipIf(!HAS_SCRIPT)('the terminal as the scenario is refused, not read', () => {
    const r = runOnTerminal('sim/cli/sim.ts', ['-']);
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(
      /error: '-' is the terminal: pipe a scenario in \(npm run sim -- - < /,
    );
  });

  it('a scenario piped in that throws, or nothing piped in, is one line', () => {
    oneLine(
      simPiped("const n = 1;\nthrow new Error('piped mistake');\n", '-'),
      /^error: the scenario '-' could not be loaded: -:2:7: piped mistake$/m,
    );
    oneLine(
      simPiped('', '-'),
      /^error: '-' is empty; pipe a scenario in, e\.g\. npm run sim -- - < /,
    );
  });

  it('a file that loops forever at import is stopped at the load time limit', () => {
    const file = write('loops.ts', 'while (true) {}\nexport default {};\n');
    const r = simWith({ KVSIM_LOAD_TIMEOUT_MS: '1500' }, file);
    oneLine(
      r,
      /did not finish loading within 1500 ms \(does it loop at import\?\); set KVSIM_LOAD_TIMEOUT_MS/,
    );
  });

  it('a load time limit that is not a number is refused', () => {
    oneLine(
      simWith({ KVSIM_LOAD_TIMEOUT_MS: 'soon' }, 'scenarios/stale-read.ts'),
      /KVSIM_LOAD_TIMEOUT_MS must be a whole number of ms from 1 to 3600000 \(got 'soon'\)/,
    );
  });

  it('a typo gets the nearest valid name', () => {
    const file = write(
      'typo.ts',
      "export default { goal: 'g', steps: [{ at: 0, client: 'c1', get: 'x', expects: 'GET_OK' }] };\n",
    );
    oneLine(sim(file), /unknown field 'expects' in step 1; did you mean 'expect'\?/);
  });

  it('what a file prints while it loads does not reach stderr', () => {
    const file = write('noisy.ts', `console.error('noise');\n${good}`);
    const r = sim(file, '--quiet');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it("--list <folder> lists a student's own scenarios, each with its goal", () => {
    write('mine/a.ts', good);
    write('mine/b.ts', good.replace('a good one', 'another good one'));
    const r = sim('--list', join(dir, 'mine'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /mine\/a\.ts\n {4}a good one\n.*mine\/b\.ts\n {4}another good one\n$/s,
    );
  });

  it('--list <folder> marks the files that do not load, and exits 2', () => {
    write('mixed/a.ts', good);
    write('mixed/b.ts', "export default { goal: 'g', stpes: [] };\n");
    const r = sim('--list', join(dir, 'mixed'));
    oneLine(r, /1 of 2 scenario files do not load \(marked ✗ above\)/);
    expect(r.stdout).toContain('a good one');
    expect(r.stdout).toMatch(
      /b\.ts\n {4}✗ .*unknown field 'stpes' in the scenario; did you mean 'steps'\?/,
    );
  });

  it('--list <folder> takes every kind of file sim runs, and flags a broken one of any kind', () => {
    const scenario = { goal: 'a good one', steps: [{ at: 0, client: 'c1', put: ['x', '1'] }] };
    write('kinds/a.ts', good);
    write('kinds/b.json', JSON.stringify({ ...scenario, goal: 'from json' }));
    write('kinds/c.js', good.replace('a good one', 'from js'));
    write('kinds/d.mjs', good.replace('a good one', 'from mjs'));
    write('kinds/e.json', '{ "goal": "g", "stpes": [] }');
    // Not scenarios: a declaration file, and a trace sim saved beside them (view's to read).
    write('kinds/types.d.ts', 'export type X = number;\n');
    write('kinds/run.json', '{\n  "schema": "kvsim-trace/1",\n  "scenario": {}\n}\n');
    const r = sim('--list', join(dir, 'kinds'));
    oneLine(r, /1 of 5 scenario files do not load \(marked ✗ above\)/);
    for (const goal of ['a good one', 'from json', 'from js', 'from mjs'])
      expect(r.stdout).toContain(`    ${goal}\n`);
    expect(r.stdout).toMatch(/e\.json\n {4}✗ .*unknown field 'stpes'/);
    expect(r.stdout).not.toMatch(/types\.d\.ts|run\.json/);
  });

  it('--list <folder> does not import, and so run, a script or a config that names no goal', () => {
    const marker = join(dir, 'ran');
    const script = `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'x');\nexport default {};\n`;
    write('project/tool.ts', script);
    write('project/package.json', JSON.stringify({ name: 'p', version: '1.0.0' }));
    write('project/a.ts', good);
    const r = sim('--list', join(dir, 'project'));
    expect(r.status).toBe(0);
    expect(existsSync(marker)).toBe(false);
    const text = r.stdout.replace(/\n {4}/g, ' | ');
    expect(text).toMatch(/project\/a\.ts \| a good one\n/);
    expect(text).toMatch(
      /project\/tool\.ts \| not read: its text has no goal, so it is taken for no scenario, and not run; to load it anyway, name the file itself to --list\n/,
    );
    expect(text).toMatch(/project\/package\.json \| not read: /);
    // Named alone, it is loaded (and run) as asked.
    const named = sim('--list', join(dir, 'project/tool.ts'));
    expect(named.status).toBe(2);
    expect(existsSync(marker)).toBe(true);
    // A folder of none but such files is a folder of no scenarios.
    write('configs/tsconfig.json', '{}');
    oneLine(
      sim('--list', join(dir, 'configs')),
      /no scenario files \(.*\) in '.*configs' \(1 other file there says no goal\)$/m,
    );
  });

  it('--list <folder> with a pipe or a device among its files says each is no file, and reads neither', () => {
    mkdirSync(join(dir, 'odd'), { recursive: true });
    for (const name of ['pipe.ts', 'pipe.json'])
      expect(spawnSync('mkfifo', [join(dir, 'odd', name)]).status).toBe(0);
    symlinkSync('/dev/zero', join(dir, 'odd', 'zero.ts'));
    symlinkSync('/dev/zero', join(dir, 'odd', 'zero.json'));
    write('odd/a.ts', good);
    // Bounded here: the listing once waited for the pipes' writers, and read /dev/zero without end.
    const [program, argv] = nodeCommand('sim/cli/sim.ts', ['--list', join(dir, 'odd')]);
    const r = spawnSync(program, argv, { encoding: 'utf8', env: plainEnv(), timeout: 30_000 });
    oneLine(r as ReturnType<typeof sim>, /4 of 5 scenario files do not load \(marked ✗ above\)/);
    expect(r.stdout).toContain('    a good one\n');
    for (const name of ['pipe.json', 'pipe.ts', 'zero.json', 'zero.ts'])
      expect(r.stdout).toMatch(
        new RegExp(
          `odd/${name.replace('.', '\\.')}\n {4}✗ '[^']*' is not a file \\(a device or a pipe\\)`,
        ),
      );
  });

  it('--list <folder> of .json scenarios only lists them', () => {
    const steps = [{ at: 0, client: 'c1', get: 'x' }];
    write('only-json/a.json', JSON.stringify({ goal: 'just json', steps }));
    const r = sim('--list', join(dir, 'only-json'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/only-json\/a\.json\n {4}just json\n$/);
  });

  it('--list <file> lists that file only', () => {
    const r = sim('--list', 'scenarios/stale-read.ts');
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(2);
    expect(r.stdout).toMatch(/^scenarios\/stale-read\.ts\n {4}A lagging follower/);
  });

  it('--list with a run flag is refused rather than ignored', () => {
    oneLine(
      sim('--list', '--seed', '3'),
      /--list takes only scenario files or folders, not --seed/,
    );
  });

  it('the largest seed a scenario may have is printed in a replay command the command line takes', () => {
    const run = sim('scenarios/stale-read.ts', '--quiet', '--seed', '9007199254740991');
    const replay = run.stdout.match(/replay +npm run sim -- (.*)/)?.[1];
    expect(replay).toBe('scenarios/stale-read.ts --seed 9007199254740991 --quiet');
    const again = sim(...replay!.split(' '));
    expect(again.status).toBe(run.status);
    expect(again.stdout).toBe(run.stdout);
    oneLine(
      sim('scenarios/stale-read.ts', '--seed', '9007199254740992'),
      /--seed must be a whole number from 0 to 9007199254740991/,
    );
  });

  it('--knob __proto__=… is an unknown knob', () => {
    oneLine(sim('scenarios/stale-read.ts', '--knob', '__proto__=1'), /unknown knob '__proto__'/);
  });
});

describe('bounds and streamed traces', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvsim-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--quiet --json streams the trace and writes the same file as a run that keeps it', () => {
    const kept = join(dir, 'kept.json');
    const streamed = join(dir, 'streamed.json');
    expect(sim('scenarios/replication-tour.ts', '--json', kept).status).toBe(0);
    expect(sim('scenarios/replication-tour.ts', '--quiet', '--json', streamed).status).toBe(0);
    expect(readFileSync(streamed, 'utf8')).toBe(readFileSync(kept, 'utf8'));
    // Nothing is left beside the output: the spool and the temporary file are gone.
    expect(readdirSync(dir).sort()).toEqual(['kept.json', 'streamed.json']);
  });

  it('a streamed run stopped before its end leaves nothing beside the output', async () => {
    const file = join(dir, 'endless.ts');
    writeFileSync(
      file,
      `export default { goal: 'endless', clients: 30, network: { dropPermille: 1000 }, runUntilMs: 1e9,
        steps: Array.from({ length: 30 }, (_, i) => ({ at: 0, client: 'c' + (i + 1), put: ['x', '1'] })) };`,
    );
    const out = join(dir, 'stopped.json');
    const args = [file, '--quiet', '--json', out, '--max-events', '1000000000'];
    const child = spawn(...nodeCommand('sim/cli/sim.ts', args), {
      env: plainEnv(),
      stdio: 'ignore',
    });
    const ended = new Promise((resolve) => child.on('close', resolve));
    // Until the run streams its events: the process holds the spool open in this folder, a file
    // without a name (test/cli-signals.test.ts kills it the moment the spool is made).
    const spooling = () => {
      try {
        const fds = `/proc/${child.pid}/fd`;
        return readdirSync(fds).some((fd) => {
          const target = readlinkSync(join(fds, fd));
          return target.startsWith(`${dir}/`) && target.endsWith(' (deleted)');
        });
      } catch {
        return false;
      }
    };
    try {
      // Or until the command ends without streaming; no bound of time (see cli-signals.test.ts).
      while (!spooling() && child.exitCode === null && child.signalCode === null)
        await new Promise((r) => setTimeout(r, 10));
      expect(spooling()).toBe(true);
    } finally {
      child.kill('SIGTERM');
      await ended;
    }
    expect(readdirSync(dir).filter((f) => f.startsWith('stopped.json'))).toEqual([]);
  });

  it('a run that hits the event bound ends cleanly, with its seed and the flag that raises it', () => {
    const r = sim('scenarios/replication-tour.ts', '--quiet', '--max-events', '10');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/stopped at the event bound \(raise it with --max-events N\)/);
    expect(r.stdout).toMatch(/seed +\d+/);
  });

  /** A scenario whose network loses everything: c1's PUT is retried until a bound stops it. */
  const lossy = (name: string) => {
    const file = join(dir, name);
    writeFileSync(
      file,
      `export default { goal: 'lossy', network: { dropPermille: 1000 }, runUntilMs: 1e9,
        steps: [{ at: 0, client: 'c1', put: ['x', '1'] }] };`,
    );
    return file;
  };

  it('a network that loses everything ends at the trace bound, not out of memory', () => {
    const file = lossy('lossy.ts');
    const r = sim(file, '--max-trace-mb', '1');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(
      /stopped at the bound on the trace kept in memory \(raise it with --max-trace-mb N/,
    );
    const quiet = sim(file, '--quiet', '--max-events', '20000');
    expect(quiet.stdout).toMatch(/stopped at the event bound .* 20000 events/);
  });

  it('a run only hashed (--quiet) goes past the trace bound, and its replay line is quiet too', () => {
    const file = lossy('lossy-hashed.ts');
    // Some 2 MB of trace: a run drawn or saved stops at 1 MB, one only hashed keeps nothing.
    const hashed = sim(file, '--quiet', '--max-trace-mb', '1', '--max-events', '20000');
    expect(hashed.stdout).toMatch(/stopped at the event bound/);
    // A long path goes on over several lines, each ending in ` \`.
    const replayIn = (out: string) =>
      out.match(/replay +npm run sim -- ((?:.* \\\n)*.*)/)?.[1]?.replace(/ \\\n +/g, ' ');
    const replay = replayIn(hashed.stdout);
    expect(replay).toBe(`${file} --seed 1 --max-events 20000 --max-trace-mb 1 --quiet`);
    expect(sim(...replay!.split(' ')).stdout).toBe(hashed.stdout);
    const drawn = sim(file, '--max-trace-mb', '1', '--max-events', '20000');
    expect(drawn.stdout).toMatch(/stopped at the bound on the trace kept in memory/);
    expect(replayIn(drawn.stdout)).toBe(`${file} --seed 1 --max-events 20000 --max-trace-mb 1`);
  });

  it('a run stopped by the trace or the history bound is saved as a trace view can draw', () => {
    const file = join(dir, 'lossy-saved.ts');
    writeFileSync(
      file,
      `export default { goal: 'lossy', network: { dropPermille: 1000 }, runUntilMs: 1e9,
        steps: [{ at: 0, client: 'c1', put: ['x', '1'] }, { at: 0, client: 'c2', get: 'x' }] };`,
    );
    for (const [bound, ending] of [
      [['--max-trace-mb', '1'], 'the bound on the trace kept in memory'],
      [['--max-history', '1'], 'the history-size bound'],
    ] as const) {
      const json = join(dir, `${bound[0].slice(2)}.json`);
      const r = sim(file, ...bound, '--json', json);
      expect(r.stdout).toContain(`stopped at ${ending}`);
      const shown = runCli('view', [json]);
      expect(shown.stderr).toBe('');
      expect(shown.status).toBe(0);
    }
  });

  it('a trace streamed to --json stops at --max-trace-mb as a kept one does, and is saved alike', () => {
    const file = lossy('lossy-streamed.ts');
    // Some 25 MB of trace past the bound: the run ends there ('trace-limit'), as the run that keeps
    // its trace does, with the same summary, exit status and saved trace.
    for (const events of ['50000', '300']) {
      const streamedJson = join(dir, `streamed-${events}.json`);
      const keptJson = join(dir, `kept-${events}.json`);
      const bound = ['--max-trace-mb', '1', '--max-events', events];
      const streamed = sim(file, '--quiet', ...bound, '--json', streamedJson);
      const kept = sim(
        file,
        '--quiet',
        ...bound,
        '--html',
        join(dir, 'kept.html'),
        '--json',
        keptJson,
      );
      expect(streamed.stderr).toBe('');
      expect(streamed.status).toBe(kept.status);
      const summary = (out: string) => out.replace(/\n {2}(trace|page) .*/g, '');
      expect(summary(streamed.stdout)).toBe(summary(kept.stdout));
      expect(readFileSync(streamedJson, 'utf8')).toBe(readFileSync(keptJson, 'utf8'));
      expect(runCli('view', [streamedJson]).status).toBe(0);
    }
    const past = sim(
      file,
      '--quiet',
      '--max-trace-mb',
      '1',
      '--max-events',
      '50000',
      '--json',
      join(dir, 'p.json'),
    );
    expect(past.status).toBe(1);
    expect(past.stdout).toMatch(/run +stopped at the bound on the trace kept in memory/);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('a bad bound is one line and exit 2', () => {
    const r = sim('scenarios/stale-read.ts', '--max-events', 'lots');
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--max-events must be a whole number from 1 to 9999999999/);
  });
});
