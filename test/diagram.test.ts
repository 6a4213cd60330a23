// The terminal diagram and the JSON trace: the stale-read diagram kept as reviewed snapshots (80
// and 120 columns, plain and in colour), no line wider than the terminal whatever the width and
// the cluster, and a saved trace turned into the same page as the run that wrote it.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  constants,
  copyFileSync,
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
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import crashedHolder from '../scenarios/crashed-holder-blocks-key.ts';
import duplicatedPut from '../scenarios/duplicated-put-overwrites.ts';
import followerDown from '../scenarios/follower-down-blocks-puts.ts';
import restartedServer from '../scenarios/restarted-server-forgets.ts';
import staleRead from '../scenarios/stale-read.ts';
import { liveReplay } from '../sim/cli/replay.ts';
import { paletteFor } from '../sim/render/colors.ts';
import { MIN_WIDTH, renderDiagram, textWidth, timeline } from '../sim/render/diagram.ts';
import { downAt } from '../sim/render/down.ts';
import { renderHtml } from '../sim/render/html.ts';
import {
  parseTraceDocument,
  serializeTraceDocument,
  TRACE_SCHEMA,
  traceDocument,
} from '../sim/render/json.ts';
import { renderLog } from '../sim/render/log.ts';
import { replayCommand } from '../sim/render/summary.ts';
import { runScenario, type Scenario } from '../sim/scenario.ts';
import staleReadWrong from './fixtures/stale-read-wrong.ts';
import {
  HAS_SCRIPT,
  isOneLineRefusal,
  nodeCommand,
  plainEnv,
  runCli,
  runOnTerminal,
} from './run-cli.ts';

const ROOT = join(import.meta.dirname, '..');
const PLAIN = paletteFor({ isTTY: false }, {});
const COLOUR = paletteFor({ isTTY: true }, {});

function documentOf(scenario: Scenario, file: string) {
  const run = runScenario(scenario);
  return traceDocument(run, {
    file,
    goal: scenario.goal,
    replay: replayCommand(file, run, undefined, []),
  });
}

/** Every fault, a lossy and duplicating network, and more lanes than fit: the narrow cases. */
const crowded: Scenario = {
  goal: 'Many nodes, every kind of fault, a lossy network',
  preset: 'seed',
  servers: 5,
  clients: ['client-one', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9', 'c10', 'c11'],
  network: { delayMinMs: 2, delayMaxMs: 40, dropPermille: 150, duplicatePermille: 400 },
  seed: 7,
  steps: [
    { at: 0, client: 'client-one', put: ['x', 'a value long enough to wrap somewhere'] },
    { at: 10, client: 'c2', put: ['键', '值'], note: 'a key and a value in wide characters' },
    { at: 20, hold: ['s1', 's2'] },
    { at: 30, crash: 's3' },
    {
      at: 40,
      partition: [
        ['s1', 's2'],
        ['s4', 's5'],
      ],
    },
    { at: 50, client: 'c3', get: 'x', via: 's4' },
    { at: 60, clockStep: 's1', byMs: -5_000 },
    { at: 70, cut: { from: ['s5'], to: ['s1'] } },
    { at: 80, client: 'c11', delete: 'x' },
    { at: 90, heal: true },
    { at: 20_000, release: ['s1', 's2'] },
    { at: 20_010, restart: 's3' },
    { at: 20_020, crash: 'c4' },
    { at: 20_030, client: 'c4', get: 'x' },
    { at: 60_000, client: 'c5', get: '键', expect: { reply: 'GET_OK', value: '值' } },
  ],
};

describe('the stale-read diagram (reviewed snapshots)', () => {
  const doc = documentOf(staleRead, 'scenarios/stale-read.ts');
  it.each([
    [80, 'plain', PLAIN],
    [120, 'plain', PLAIN],
    [80, 'colour', COLOUR],
    [120, 'colour', COLOUR],
  ] as const)('at %i columns, %s', async (width, name, c) => {
    const text = `${renderDiagram(c, doc, { width }).join('\n')}\n`;
    await expect(text).toMatchFileSnapshot(`snapshots/stale-read.${width}.${name}.txt`);
  });
});

describe('no line is wider than the terminal', () => {
  const docs = [
    documentOf(staleRead, 'scenarios/stale-read.ts'),
    documentOf(staleReadWrong, 'test/fixtures/stale-read-wrong.ts'),
    documentOf(crowded, 'crowded.ts'),
  ];
  const widths = [MIN_WIDTH, 41, 47, 55, 64, 72, 80, 100, 120, 200];
  it.each(docs.map((d) => [d.scenario.file, d] as const))('%s', (_, doc) => {
    for (const width of widths) {
      for (const c of [PLAIN, COLOUR]) {
        const lines = renderDiagram(c, doc, { width });
        const wide = lines.filter((l) => textWidth(stripVTControlCharacters(l)) > width);
        expect(wide, `at ${width} columns`).toEqual([]);
      }
    }
  });

  const files = readdirSync(join(ROOT, 'scenarios')).filter((f) => f.endsWith('.ts'));
  it.each(files)('scenarios/%s', async (file) => {
    const scenario = (await import(pathToFileURL(join(ROOT, 'scenarios', file)).href)).default;
    const doc = documentOf(scenario as Scenario, `scenarios/${file}`);
    for (const width of widths) {
      const lines = renderDiagram(COLOUR, doc, { width });
      const wide = lines.filter((l) => textWidth(stripVTControlCharacters(l)) > width);
      expect(wide, `at ${width} columns`).toEqual([]);
    }
  });

  it('a crowded cluster on a narrow terminal gets the compact form, with every event in it', () => {
    const doc = docs[2]!;
    const lines = renderDiagram(PLAIN, doc, { width: 60 });
    expect(lines.some((l) => l.includes('│'))).toBe(false);
    const events = timeline(doc).rows.filter((r) => r.kind === 'event').length;
    const timed = lines.filter((l) => /^\s*\d+\.\d{3}s |^ {7,} \S/.test(l));
    expect(timed.length).toBeGreaterThanOrEqual(events);
  });

  it('every kind of fault is drawn on its lanes', () => {
    const text = renderDiagram(PLAIN, docs[2]!, { width: 200 }).join('\n');
    for (const mark of ['╳', '↺', '±', '≠', '=', '‖', '◆', '✗', '╎']) {
      expect(text, mark).toContain(mark);
    }
  });

  it('refuses a width it cannot honour', () => {
    expect(() => renderDiagram(PLAIN, docs[0]!, { width: MIN_WIDTH - 1 })).toThrow(/at least/);
  });
});

describe('the JSON trace', () => {
  const doc = documentOf(staleReadWrong, 'test/fixtures/stale-read-wrong.ts');

  it('reads back equal to what was written, and gives the same page', () => {
    const text = serializeTraceDocument(doc);
    const back = parseTraceDocument(text);
    expect(back.schema).toBe(TRACE_SCHEMA);
    expect(back).toEqual(doc);
    expect(renderHtml(back)).toBe(renderHtml(doc));
  });

  it('holds every trace event, the history and the expectations', () => {
    const run = runScenario(staleReadWrong);
    expect(doc.events).toHaveLength(run.result.trace.length);
    expect(doc.history.operations).toHaveLength(run.result.history.operations.length);
    expect(doc.expectations.filter((x) => x.failure !== null)).toHaveLength(1);
    expect(doc.nodes.map((n) => `${n.id}:${n.role}`)).toEqual([
      ...run.topology.servers.map((s) => `${s}:server`),
      ...run.topology.clients.map((c) => `${c}:client`),
    ]);
  });

  it('reads back a run with steps never issued, whether or not they expect anything', () => {
    // c1 crashes with its second PUT queued behind the first: that step keeps its operation's id,
    // which the history never holds (the first step expects nothing, the second a reply).
    const queued: Scenario = {
      goal: 'a queued step dropped by a crash',
      clients: ['c1'],
      steps: [
        { at: 0, client: 'c1', put: ['x', '1'] },
        { at: 0, client: 'c1', put: ['x', '2'] },
        { at: 0, client: 'c1', put: ['x', '3'], expect: 'PUT_OK' },
        { at: 2, crash: 'c1' },
      ],
    };
    const written = documentOf(queued, 'queued.ts');
    const issued = new Set(written.history.operations.map((o) => o.id));
    expect(written.expectations.filter((x) => !issued.has(x.opId))).toHaveLength(2);
    expect(parseTraceDocument(serializeTraceDocument(written))).toEqual(written);
  });

  it('reads back a run whose faults are aimed at messages (a case explore wrote, a what-if)', () => {
    const aimed: Scenario = {
      ...staleRead,
      steps: [
        { at: 0, drop: 'REPLICATION', from: 's1', to: 's2' },
        { at: 0, duplicate: 'PUT', from: 'c1', to: 's1', byMs: 3, copyByMs: 7 },
        { at: 0, delay: 'REPLICATION', from: 's1', to: 's3', byMs: 500 },
        ...staleRead.steps,
      ],
    };
    const written = documentOf(aimed, 'aimed.ts');
    const kinds = written.events.flatMap((e) =>
      e.kind === 'fault' ? [e.fault.kind] : e.kind === 'drop' ? [e.reason] : [],
    );
    expect(kinds).toEqual(expect.arrayContaining(['drop', 'duplicate', 'delay', 'planned']));
    expect(parseTraceDocument(serializeTraceDocument(written))).toEqual(written);
  });

  it.each([
    ['not JSON', '{', /not JSON/],
    ['another schema', '{"schema":"kvsim-trace/0"}', /schema is "kvsim-trace\/0"/],
    ['a field missing', `{"schema":"${TRACE_SCHEMA}"}`, /scenario must be an object/],
  ])('explains a file that is %s', (_, text, message) => {
    expect(() => parseTraceDocument(text)).toThrow(message);
  });
});

describe('npm run sim -- --json, then npm run view', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvsim-view-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const tsx = (...[script, ...args]: string[]) =>
    runCli(script!.replace(/^sim\/cli\/(\w+)\.ts$/, '$1'), args);

  it('gives the same page from the run and from the saved trace', () => {
    const json = join(dir, 'run.json');
    const direct = join(dir, 'direct.html');
    const sim = tsx('sim/cli/sim.ts', 'scenarios/stale-read.ts', '--json', json, '--html', direct);
    expect(sim.stderr).toBe('');
    expect(sim.status).toBe(0);
    const view = tsx('sim/cli/view.ts', json, '--html', join(dir, 'run.html'));
    expect(view.stderr).toBe('');
    expect(view.status).toBe(0);
    expect(view.stdout).toContain(join(dir, 'run.html'));
    expect(readFileSync(join(dir, 'run.html'), 'utf8')).toBe(readFileSync(direct, 'utf8'));
  });

  it('view prints the trace hash and the replay command sim printed, which it builds again', () => {
    /** The hash line, then the replay field and the lines it goes on over. */
    const claims = (out: string) => {
      const lines = out.split('\n');
      const at = lines.findIndex((l) => l.startsWith('  trace hash '));
      const replay = lines.findIndex((l) => l.startsWith('  replay '));
      let end = replay + 1;
      while (lines[end]?.startsWith(' '.repeat(13))) end++;
      return [lines[at], ...lines.slice(replay, end)].join('\n');
    };
    for (const [file, ...flags] of [
      [
        'scenarios/stale-read.ts',
        '--seed',
        '7',
        '--preset',
        'fixed',
        '--knob',
        'replicationDelay=300',
      ],
      ['scenarios/stale-read.ts', '--knob', 'replicationDelay=3000', '--what-if', 'drop:3'],
      [
        'scenarios/stale-read.ts',
        '--what-if',
        'seed:4',
        '--what-if',
        'knob:followerApply=newer-wins',
      ],
      ['scenarios/lock-tour.ts', '--knob', 'lockLease=5000', '--what-if', 'preset:seed'],
      // The crash leaves c2 with queued steps never issued: their expectations name operations
      // the history does not hold, failed (view once refused such a trace as not a kvsim trace).
      ['scenarios/lock-tour.ts', '--what-if', 'crash:s1@100'],
    ]) {
      const json = join(dir, 'claims.json');
      const sim = tsx('sim/cli/sim.ts', file!, ...flags, '--quiet', '--json', json);
      expect(sim.stderr).toBe('');
      const view = tsx('sim/cli/view.ts', json);
      expect(view.stderr).toBe('');
      expect(view.status).toBe(0);
      expect(claims(view.stdout)).toBe(claims(sim.stdout));
      expect(claims(view.stdout)).toContain(`npm run sim -- ${file}`);
      expect(view.stdout).not.toContain('warning');
    }
  });

  it('view shows the same diagram in the terminal as sim, and writes no page unless asked', () => {
    const json = join(dir, 'shown.json');
    const sim = tsx('sim/cli/sim.ts', 'scenarios/stale-read.ts', '--width', '90', '--json', json);
    const view = tsx('sim/cli/view.ts', json, '--width', '90');
    expect(view.stderr).toBe('');
    expect(view.status).toBe(0);
    const diagram = (out: string) => out.slice(0, out.indexOf('\n\n', out.indexOf('servers:')));
    expect(diagram(view.stdout)).toBe(diagram(sim.stdout));
    expect(existsSync(join(dir, 'shown.html'))).toBe(false);
  });

  it('the diagram is the default view, and --width bounds it', () => {
    const sim = tsx('sim/cli/sim.ts', 'scenarios/stale-read.ts', '--width', '72');
    const diagram = sim.stdout.slice(0, sim.stdout.indexOf('Summary'));
    expect(diagram).toContain('│');
    expect(diagram.split('\n').filter((l) => textWidth(l) > 72)).toEqual([]);
  });

  it('--view log keeps to --width too: a long row wraps under its text, no word lost', () => {
    const wide = tsx(
      'sim/cli/sim.ts',
      'scenarios/stale-read.ts',
      '--view',
      'log',
      '--width',
      '400',
    );
    const narrow = tsx(
      'sim/cli/sim.ts',
      'scenarios/stale-read.ts',
      '--view',
      'log',
      '--width',
      '50',
    );
    expect(narrow.status).toBe(0);
    const log = (out: string) => out.slice(out.indexOf('\n\n'), out.indexOf('Summary'));
    expect(
      log(wide.stdout)
        .split('\n')
        .some((l) => textWidth(l) > 50),
    ).toBe(true);
    expect(
      log(narrow.stdout)
        .split('\n')
        .filter((l) => textWidth(l) > 50),
    ).toEqual([]);
    // Each row's words are all there, in order: the narrow log reads as the wide one.
    const words = (out: string) =>
      log(out)
        .split(/\s+/)
        .filter((w) => w !== '');
    expect(words(narrow.stdout)).toEqual(words(wide.stdout));
    // A continuation line starts past the time and the node, so the time column stays readable.
    expect(log(narrow.stdout)).toContain(
      '\n   10.018s  s1 → s2    REPLICATION w1 x=1 ts=5\n                         (sent 10.005s, msg 2)\n',
    );
  });

  it('--view log keeps to --width when node names leave no room beside them', () => {
    const name = (k: string) => `${k}-with-a-name-of-thirty-two-ch-1`.slice(0, 32);
    const file = join(dir, 'long-names.ts');
    writeFileSync(
      file,
      `export default { goal: 'long names', servers: ['${name('s')}'], clients: ['${name('c')}'],
        steps: [{ at: 0, client: '${name('c')}', put: ['x', '1'] }] };`,
    );
    const r = runCli('sim', [file, '--view', 'log', '--width', '40']);
    expect(r.status).toBe(0);
    const log = r.stdout.slice(0, r.stdout.indexOf('Summary'));
    expect(log).toContain(name('c'));
    expect(log.split('\n').filter((l) => textWidth(l) > 40)).toEqual([]);
  });

  it('a path one column too wide for the replay line is cut, not left one column over', () => {
    // 13 columns of field, a 36-character path and ' \\' were 51 columns at --width 50.
    const sim = tsx(
      'sim/cli/sim.ts',
      'scenarios/leader-clock-steps-back.ts',
      '--quiet',
      '--width',
      '50',
    );
    expect(sim.stdout.split('\n').filter((l) => textWidth(l) > 50)).toEqual([]);
    const replay = sim.stdout.slice(sim.stdout.indexOf('replay ') + 'replay '.length);
    const said = spawnSync('sh', ['-c', `printf '%s\\n' ${replay}`], { encoding: 'utf8' });
    expect(said.stdout.split('\n').slice(0, 5)).toEqual(
      'npm run sim -- scenarios/leader-clock-steps-back.ts'.split(' '),
    );
  });

  it('--width 40 bounds the summary too, and its replay command still pastes into a shell', () => {
    const sim = tsx('sim/cli/sim.ts', 'scenarios/stale-read.ts', '--width', '40');
    expect(sim.status).toBe(0);
    expect(sim.stdout).toContain('trace hash');
    expect(sim.stdout.split('\n').filter((l) => textWidth(l) > 40)).toEqual([]);
    const replay = sim.stdout.slice(sim.stdout.indexOf('replay ') + 'replay '.length);
    const said = spawnSync('sh', ['-c', `printf '%s\\n' ${replay}`], { encoding: 'utf8' });
    expect(said.stdout.split('\n').slice(0, -1)).toEqual(
      'npm run sim -- scenarios/stale-read.ts --seed 1'.split(' '),
    );
  });

  it('a path wider than --width is cut inside, and sim and view print a command that still pastes', () => {
    const folder = join(dir, `${'a-folder-name-longer-than-the-line-'.repeat(2)}it's here`);
    mkdirSync(folder);
    const file = join(folder, 'stale read.ts');
    copyFileSync(join(ROOT, 'scenarios/stale-read.ts'), file);
    const json = join(dir, 'long-path.json');
    const args = [file, '--seed', '1', '--knob', 'replicationDelay=3000'];
    const sim = runCli('sim', [...args, '--width', '40', '--json', json]);
    const view = runCli('view', [json, '--width', '40']);
    for (const r of [sim, view]) {
      expect(r.status).toBe(0);
      expect(r.stdout.split('\n').filter((l) => textWidth(l) > 40)).toEqual([]);
      const replay = r.stdout.slice(r.stdout.indexOf('replay ') + 'replay '.length);
      const said = spawnSync(
        'sh',
        ['-c', `printf '%s\\n' ${replay.split(/\n {2}(?:trace|page) /)[0]}`],
        {
          encoding: 'utf8',
        },
      );
      expect(said.stdout.split('\n').slice(0, -1)).toEqual(['npm', 'run', 'sim', '--', ...args]);
    }
  });

  it('a replay of 200 what-if edits is printed whole by sim and view, and pastes as one', () => {
    const json = join(dir, 'many-edits.json');
    const edits = Array.from({ length: 100 }, (_, i) => [
      '--what-if',
      `crash:s2@${(i + 1) * 20}`,
      '--what-if',
      `restart:s2@${(i + 1) * 20 + 10}`,
    ]).flat();
    const args = ['scenarios/stale-read.ts', '--quiet', ...edits];
    const sim = runCli('sim', [...args, '--json', json]);
    const view = runCli('view', [json]);
    // About 5,000 characters: it was cut at 4,000, mid-word ('--what-if crash:s2@1690 --w…').
    for (const r of [sim, view]) {
      expect(r.status).toBe(0);
      const replay = r.stdout.slice(r.stdout.indexOf('replay ') + 'replay '.length);
      const said = spawnSync(
        'sh',
        ['-c', `printf '%s\\n' ${replay.split(/\n {2}(?:trace|page) /)[0]}`],
        { encoding: 'utf8' },
      );
      expect(said.stdout.split('\n').slice(0, -1)).toEqual([
        ...'npm run sim -- scenarios/stale-read.ts --seed 1'.split(' '),
        ...edits,
      ]);
    }
    // A command too long for view to print (a trace edited to say so) is said to be there, not cut.
    const doc = JSON.parse(readFileSync(json, 'utf8'));
    const replay = `${doc.replay}${' --what-if crash:s2@20'.repeat(5_000)}`;
    writeFileSync(json, JSON.stringify({ ...doc, replay }));
    const long = runCli('view', [json, '--width', '100']);
    expect(long.status).toBe(0);
    expect(long.stdout.replace(/\s+/g, ' ')).toContain(
      `replay a command of ${replay.length.toLocaleString('en')} characters, longer than view shows; the trace's "replay" field holds it`,
    );
  });

  it("a live run's replay line (a command, then why it does not replay) wraps as text", () => {
    const saved = join(dir, 'for-live.json');
    expect(runCli('sim', ['scenarios/stale-read.ts', '--quiet', '--json', saved]).status).toBe(0);
    const doc = JSON.parse(readFileSync(saved, 'utf8'));
    // As a live run saves it: no scenario, and the command it was given (view checks it).
    doc.scenario = { file: 'live', goal: doc.scenario.goal };
    doc.replay = liveReplay(['--preset', 'seed', '--ops', '5', '--json', 'live.json']);
    const live = join(dir, 'live-like.json');
    writeFileSync(live, JSON.stringify(doc));
    const shown = runCli('view', [live, '--width', '60']);
    expect(shown.status).toBe(0);
    const replay = shown.stdout.slice(shown.stdout.indexOf('  replay '));
    expect(replay.split('\n').filter((l) => textWidth(l) > 60 || l.endsWith('\\'))).toEqual([]);
    expect(replay.replace(/\s+/g, ' ').trim()).toBe(`replay ${doc.replay.replace(/ +/g, ' ')}`);
  });

  it.each([
    [['sim/cli/view.ts', 'no-such.json'], /cannot read 'no-such.json'/],
    [['sim/cli/view.ts', ' '], /the trace file's name is empty \(' '\); name one/],
    [['sim/cli/view.ts', 'package.json'], /'package.json' is not a kvsim trace/],
    // A device that never ends is refused at its first bytes, not read until memory runs out.
    [['sim/cli/view.ts', '/dev/zero'], /'\/dev\/zero' is not a kvsim trace: .* begin with '\{'/],
    [['sim/cli/view.ts', 'scenarios'], /'scenarios' is a folder; name a trace file/],
    [['sim/cli/view.ts', 'README.md'], /'README.md' is not a kvsim trace/],
    [['sim/cli/sim.ts', 'scenarios/stale-read.ts', '--width', '12'], /--width must be/],
    [['sim/cli/sim.ts', 'scenarios/stale-read.ts', '--view', 'movie'], /--view must be/],
  ])('%j is a usage error on one line', (args, message) => {
    const r = tsx(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('npm run view reads stdin and named pipes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvsim-view-pipe-'));
  // A command still waiting on its pipe when a test fails is stopped, not left behind.
  const started: ChildProcess[] = [];
  afterAll(() => {
    for (const child of started) if (child.exitCode === null) child.kill();
    rmSync(dir, { recursive: true, force: true });
  });
  const json = join(dir, 'run.json');
  runCli('sim', ['scenarios/stale-read.ts', '--quiet', '--json', json]);
  const fromFile = runCli('view', [json]);

  it("'-' reads the trace from stdin, as /dev/stdin does", () => {
    expect(fromFile.status).toBe(0);
    for (const path of ['-', '/dev/stdin']) {
      const r = spawnSync(...nodeCommand('sim/cli/view.ts', [path]), {
        input: readFileSync(json),
        encoding: 'utf8',
        env: plainEnv(),
      });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(fromFile.stdout);
    }
  });

  it('a pipe on stdin that ends with nothing in it is empty, not waited on for ever', () => {
    // Stdin a pipe whose writer came and went (as in true | npm run view -- -): its end is the
    // end. A named pipe no one writes to, given as the command's own stdin, is that pipe (a
    // spawning program's stdin is a socket); the command itself is stopped if it waits.
    const fifo = join(dir, 'writer-gone');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const stdin = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const r = spawnSync(...nodeCommand('sim/cli/view.ts', ['-']), {
        stdio: [stdin, 'pipe', 'pipe'],
        encoding: 'utf8',
        env: plainEnv(),
        timeout: 60_000,
        killSignal: 'SIGKILL',
      });
      expect(isOneLineRefusal({ status: r.status, stdout: r.stdout, stderr: r.stderr })).toBe(true);
      expect(r.stderr).toMatch(/^error: '-' is empty; a trace is what npm run sim -- /);
    } finally {
      closeSync(stdin);
    }
  });

  it('an empty trace is named as empty, in one line', () => {
    const empty = join(dir, 'empty.json');
    writeFileSync(empty, '');
    const r = runCli('view', [empty]);
    expect(isOneLineRefusal(r)).toBe(true);
    expect(r.stderr).toMatch(/'.*empty\.json' is empty; a trace is what npm run sim -- .* --json/);
  });

  /** A command started on a named pipe: its output, its first line on stderr, its exit status. */
  function startOnPipe(script: string, args: readonly string[]) {
    const child = spawn(...nodeCommand(script, args), { env: plainEnv() });
    started.push(child);
    const out = { stdout: '', stderr: '' };
    child.stdout.on('data', (d) => (out.stdout += d));
    const said = new Promise<string>((resolve) =>
      child.stderr.on('data', (d) => {
        out.stderr += d;
        if (out.stderr.includes('\n')) resolve(out.stderr);
      }),
    );
    const ended = new Promise((resolve) => child.on('close', resolve));
    return { out, said, ended };
  }

  it('a named pipe nothing writes to yet is waited on, and says so, until a trace comes', async () => {
    const fifo = join(dir, 'pipe');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const view = startOnPipe('sim/cli/view.ts', [fifo]);
    expect(await view.said).toMatch(
      /^waiting for a trace to be written into '.*pipe', a pipe \(Ctrl-C to stop\)\n$/,
    );
    writeFileSync(fifo, readFileSync(json));
    expect(await view.ended).toBe(0);
    expect(view.out.stdout).toBe(fromFile.stdout);
  });

  it('a named pipe given to --json is waited on until something reads it, and says so', async () => {
    const fifo = join(dir, 'out-pipe');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const sim = startOnPipe('sim/cli/sim.ts', [
      'scenarios/stale-read.ts',
      '--quiet',
      '--json',
      fifo,
    ]);
    expect(await sim.said).toMatch(
      /^waiting for something to read --json '.*out-pipe', a named pipe/,
    );
    expect(readFileSync(fifo, 'utf8')).toBe(readFileSync(json, 'utf8'));
    expect(await sim.ended).toBe(0);
  });

  it.skipIf(!HAS_SCRIPT)('the terminal as the trace is refused, not read', () => {
    const r = runOnTerminal('sim/cli/view.ts', ['-']);
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/error: '-' is the terminal, and a trace is not typed: pipe one in/);
  });
});

describe('colour follows the terminal and the environment', () => {
  it.each([
    ['a terminal', true, {}, true],
    ['a pipe or a file', false, {}, false],
    ['NO_COLOR on a terminal', true, { NO_COLOR: '1' }, false],
    ['an empty NO_COLOR', true, { NO_COLOR: '' }, true],
    ['FORCE_COLOR into a pipe', false, { FORCE_COLOR: '1' }, true],
    ['FORCE_COLOR=0 on a terminal', true, { FORCE_COLOR: '0' }, false],
    ['FORCE_COLOR=false on a terminal', true, { FORCE_COLOR: 'false' }, false],
    ['an empty FORCE_COLOR into a pipe', false, { FORCE_COLOR: '' }, false],
  ])('%s', (_, isTTY, env, coloured) => {
    expect(paletteFor({ isTTY }, env).red('x') !== 'x').toBe(coloured);
  });

  it('sim piped into a file writes no escape codes unless FORCE_COLOR asks for them', () => {
    const piped = runCli('sim', ['scenarios/stale-read.ts'], ROOT, { NO_COLOR: '' });
    expect(piped.status).toBe(0);
    expect(piped.stdout).not.toContain('\x1b[');
    const forced = runCli('sim', ['scenarios/stale-read.ts'], ROOT, {
      NO_COLOR: '',
      FORCE_COLOR: '1',
    });
    expect(forced.stdout).toContain('\x1b[');
    expect(stripVTControlCharacters(forced.stdout)).toBe(piped.stdout);
  });
});

describe('a message lost when its sender crashes (a live run)', () => {
  // On a live network a crashed server's connections close, so a reply it had already sent is
  // lost though its receiver is up. Stale-read rebuilt that way: s3 crashes just before its
  // refusal reaches c1.
  const run = runScenario(staleRead);
  const trace = [...run.result.trace];
  const at = trace.findIndex(
    (e) =>
      e.kind === 'deliver' && e.from === 's3' && e.message.type === 'TRY_OTHER_SERVER_OR_LATER',
  );
  const reply = trace[at] as Extract<(typeof trace)[number], { kind: 'deliver' }>;
  trace.splice(
    at,
    1,
    { t: reply.t, kind: 'fault', fault: { kind: 'crash', node: 's3' } },
    {
      t: reply.t,
      kind: 'drop',
      id: reply.id,
      from: 's3',
      to: 'c1',
      message: reply.message,
      reason: 'down',
    },
  );
  const lost = { ...run, result: { ...run.result, trace } };

  it('names the sender as the node down, never the receiver that was up', () => {
    const doc = traceDocument(lost, { file: 'live', goal: 'live', replay: '' });
    const diagram = renderDiagram(PLAIN, doc, { width: 200 }).join('\n');
    const log = renderLog(PLAIN, lost).join('\n');
    for (const text of [diagram, log]) {
      expect(text).toContain('s3 is down and its connection closed');
      expect(text).not.toContain('c1 is down');
    }
  });
});

describe('a crash or restart that changes nothing says so', () => {
  // s2 restarts while up (with durability=memory a real restart would empty it: it does not),
  // then crashes, crashes again while down, and restarts for real.
  const scenario: Scenario = {
    goal: 'steps that change nothing',
    knobs: { durability: 'memory' },
    clients: ['c1'],
    network: { delayMinMs: 5, delayMaxMs: 5 },
    steps: [
      { at: 0, client: 'c1', put: ['x', '1'], via: 's1' },
      { at: 100, restart: 's2' },
      { at: 200, crash: 's2' },
      { at: 300, crash: 's2' },
      { at: 400, restart: 's2' },
    ],
  };

  it('in the log and the diagram, and only for those', () => {
    const run = runScenario(scenario);
    const doc = traceDocument(run, { file: 'x.ts', goal: 'x', replay: '' });
    for (const lines of [renderLog(PLAIN, run, 200), renderDiagram(PLAIN, doc, { width: 200 })]) {
      const faults = lines.filter((l) => /s2 (crashes|restarts)/.test(l));
      expect(faults.map((l) => l.slice(l.indexOf('s2 ')))).toEqual([
        's2 restarts (s2 is up already: nothing changes)',
        's2 crashes',
        's2 crashes (s2 is down already: nothing changes)',
        's2 restarts',
      ]);
    }
  });
});

describe("the log shows a checker's sentence whole, as the diagram and the summary do", () => {
  it("stale-read's linearizability finding, 400 characters and more, to its last word", () => {
    const run = runScenario(staleRead);
    const finding = run.verdicts.find((v) => v.guarantee === 'linearizability')!.violations[0]!;
    expect(finding.sentence.length).toBeGreaterThan(400);
    const log = renderLog(PLAIN, run, 100)
      .map((l) => l.trim())
      .join(' ');
    expect(log).toContain(`linearizability (informative): ${finding.sentence}`);
    expect(log).not.toContain('…');
  });
});

describe("a witness's sentence comes after its story, in the log as in the diagram", () => {
  // A10: the late copy of c1's PUT x=1 is stored with ts 1210 at 1.210-1.215 s, after c1's x=2.
  // The sentence saying so belongs after those rows, not under op 2's completion at 1.120 s.
  it('follows the rows of the late copy that broke monotonic writes', () => {
    const run = runScenario(duplicatedPut);
    const doc = traceDocument(run, { file: 'x.ts', goal: 'x', replay: '' });
    const views = {
      log: renderLog(PLAIN, run, 200),
      diagram: renderDiagram(PLAIN, doc, { width: 200 }),
    };
    for (const [name, lines] of Object.entries(views)) {
      const stores = lines.flatMap((l, i) => (/s3 +stores x=1 ts=1210/.test(l) ? [i] : []));
      const lastStore = stores.at(-1) ?? -1;
      const sentence = lines.findIndex((l) => l.includes('✗ monotonic writes: s3 stored'));
      expect(lastStore, name).toBeGreaterThan(0);
      expect(sentence, name).toBeGreaterThan(lastStore);
    }
  });
});

describe('which nodes are down: one reading of crashes and restarts', () => {
  const runs = [
    runScenario(crowded),
    runScenario(followerDown),
    runScenario(restartedServer),
    runScenario(crashedHolder),
  ];

  it('the log and the diagram give the drops at a node down the same reasons', () => {
    let drops = 0;
    for (const run of runs) {
      const doc = traceDocument(run, { file: 'x.ts', goal: 'x', replay: '' });
      const diagram = timeline(doc)
        .rows.filter((r) => r.kind === 'event' && r.detail.startsWith('dropped: '))
        // A storm is folded into its first row, with a count: the reason is what is before it.
        .map((r) => (r.kind === 'event' ? r.detail.slice('dropped: '.length).split(' ×')[0]! : ''));
      const log = renderLog(PLAIN, run)
        .join('\n')
        .replace(/\n +/g, ' ')
        .matchAll(/DROPPED \(([^)]*(?:is down|connection closed))\)/g);
      const reasons = (all: readonly string[]) => [...new Set(all)].sort();
      expect(reasons([...log].map((m) => m[1]!))).toEqual(reasons(diagram));
      drops += diagram.length;
    }
    expect(drops).toBeGreaterThan(0);
  });

  it('downAt says a node is down from its crash until its restart', () => {
    let faults = 0;
    for (const run of runs) {
      const trace = run.result.trace;
      for (const e of trace) {
        if (e.kind !== 'fault' || !('node' in e.fault)) continue;
        const { node } = e.fault;
        if (e.fault.kind === 'crash') {
          faults++;
          expect(downAt(trace, node, e.t)).toBe(true);
        }
        if (e.fault.kind === 'restart') {
          faults++;
          expect(downAt(trace, node, e.t - 1)).toBe(true);
          expect(downAt(trace, node, e.t)).toBe(false);
        }
      }
    }
    expect(faults).toBeGreaterThan(2);
  });

  it('is read in one place: the log and the diagram do not walk crashes and restarts themselves', () => {
    for (const file of ['log.ts', 'diagram.ts']) {
      const source = readFileSync(join(ROOT, 'sim', 'render', file), 'utf8');
      expect(source, file).toContain("from './down.ts'");
      expect(source, file).not.toMatch(/fault\.kind === '(crash|restart)'/);
    }
  });
});
