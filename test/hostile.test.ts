// Nothing injected: hostile keys, values, notes and node names never reach the terminal raw (in
// the diagram, the log, the summary or on stderr) nor become markup in the page; a malformed trace
// gets one line naming its field; huge texts are cut; a closed pipe is not an error.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chalk } from 'chalk';
import { describe, expect, it, vi } from 'vitest';
import staleRead from '../scenarios/stale-read.ts';
import { LIVE_CAVEAT, liveReplay, simReplay } from '../sim/cli/replay.ts';
import { vouchFor } from '../sim/cli/vouch.ts';
import { renderDiagram } from '../sim/render/diagram.ts';
import { renderHtml } from '../sim/render/html.ts';
import {
  parseTraceDocument,
  serializeTraceDocument,
  type TraceDocument,
  TraceFormatError,
  traceDocument,
} from '../sim/render/json.ts';
import { renderLog } from '../sim/render/log.ts';
import { escapeControls } from '../sim/render/safe-text.ts';
import { renderSummary } from '../sim/render/summary.ts';
import { runScenario, type Scenario } from '../sim/scenario.ts';
import { HOSTILE, hostileDocument, pageProblem, terminalProblem } from './hostile-checks.ts';
import { hostileScenario, sameEverywhere } from './hostile-inputs.ts';
import { isOneLineRefusal, ROOT, runCli } from './run-cli.ts';

const PLAIN = new Chalk({ level: 0 });
const COLOUR = new Chalk({ level: 1 });

function documentOf(scenario: Scenario): TraceDocument {
  const run = runScenario(scenario);
  return traceDocument(run, { file: 'hostile.ts', goal: scenario.goal, replay: 'replay' });
}

describe('hostile text never reaches the terminal raw', () => {
  it.each(HOSTILE)('in the diagram, the log and the summary: %j', (h) => {
    const scenario = hostileScenario(sameEverywhere(h));
    const run = runScenario(scenario);
    const doc = traceDocument(run, { file: `f${h}`, goal: scenario.goal, replay: `r${h}` });
    for (const width of [40, 100, 200]) {
      const plain = renderDiagram(PLAIN, doc, { width }).join('\n');
      expect(terminalProblem(plain, renderDiagram(COLOUR, doc, { width }).join('\n'))).toBeNull();
    }
    const log = renderLog(PLAIN, run).join('\n');
    expect(terminalProblem(log, renderLog(COLOUR, run).join('\n'))).toBeNull();
    const summary = renderSummary(PLAIN, run, `replay ${h}`).join('\n');
    expect(
      terminalProblem(summary, renderSummary(COLOUR, run, `replay ${h}`).join('\n')),
    ).toBeNull();
    // Shown, escaped: a reader can still see what the data held.
    expect(log).toContain(escapeControls(h).slice(0, 30));
  });

  it('from the command line, in every view and on stderr', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvsim-hostile-'));
    const file = join(dir, 'hostile.ts');
    writeFileSync(
      file,
      `export default ${JSON.stringify(hostileScenario(sameEverywhere(HOSTILE.join(' '))))};\n`,
    );
    // A scenario may not hold controls at all: refused in one line that shows them escaped.
    for (const view of [['--view', 'diagram'], ['--view', 'log'], ['--quiet']]) {
      const r = runCli('sim', [file, ...view]);
      expect(isOneLineRefusal(r), r.stderr).toBe(true);
      expect(terminalProblem(r.stderr)).toBeNull();
    }
    const refused = runCli('sim', [file, '--knob', 'followerApply=\u001b]52;c;eA==\u0007']);
    expect(isOneLineRefusal(refused), refused.stderr).toBe(true);
    expect(terminalProblem(refused.stderr)).toBeNull();
  });
});

describe('hostile text never becomes markup in the page', () => {
  it('a benign page passes the markup check', () => {
    expect(pageProblem(renderHtml(documentOf(staleRead)))).toBeNull();
  });

  it.each(HOSTILE)('node names, keys, values, notes and sentences: %j', (h) => {
    const doc = hostileDocument(
      documentOf(staleRead),
      { s1: `s1${h}`, s3: `s3${h}`, c1: `c1${h}`, x: `x${h}`, '2': `2${h}` },
      h,
    );
    const page = renderHtml(parseTraceDocument(serializeTraceDocument(doc)));
    expect(pageProblem(page)).toBeNull();
  });

  it("a run's bounds are whole numbers, when the trace gives them", () => {
    const doc = JSON.parse(serializeTraceDocument(documentOf(staleRead)));
    expect(doc.run.bounds.maxEvents).toBe(5_000_000);
    doc.run.bounds.maxQueue = '1e309';
    expect(() => parseTraceDocument(JSON.stringify(doc))).toThrow(/run\.bounds\.maxQueue must be/);
    delete doc.run.bounds;
    expect(parseTraceDocument(JSON.stringify(doc)).run.bounds).toBeUndefined();
  });

  it('ids and numbers are escaped too, where a malformed trace could put text', () => {
    const doc = documentOf(staleRead);
    const evil = JSON.parse(JSON.stringify(doc)) as { events: { kind: string; id?: unknown }[] };
    evil.events.find((e) => e.kind === 'deliver')!.id = '1"><img src=x onerror=alert(1)>';
    // Refused by the trace check; and were it rendered anyway, the id would still be escaped.
    expect(() => parseTraceDocument(JSON.stringify(evil))).toThrow(/events\[\d+\]\.id must be/);
    expect(pageProblem(renderHtml(evil as unknown as TraceDocument))).toBeNull();
  });

  it('has a CSP that fetches nothing and runs only its own script, by hash', () => {
    const page = renderHtml(documentOf(staleRead));
    const csp = page.match(/http-equiv="Content-Security-Policy" content="([^"]*)"/)![1]!;
    const policy = csp.replace(/&#39;/g, "'");
    expect(policy).toContain("default-src 'none'");
    expect(policy).not.toContain('unsafe-inline');
    expect(policy).not.toContain('unsafe-eval');
    const script = page.match(/<script>([\s\S]*?)<\/script>/)![1]!;
    const hash = createHash('sha256').update(script).digest('base64');
    expect(policy).toContain(`script-src 'sha256-${hash}'`);
    const style = page.match(/<style>([\s\S]*?)<\/style>/)![1]!;
    expect(policy).toContain(
      `style-src 'sha256-${createHash('sha256').update(style).digest('base64')}'`,
    );
  });
});

describe('a long run is saved, not a crash', () => {
  it('its history and steps are copied into the document piece by piece, never as one string', () => {
    // 2 million GETs made one string longer than JavaScript holds: `sim --quiet` ended in
    // "internal error: RangeError: Invalid string length" after the whole run. The same copy,
    // watched on 20,000 of them: no string it makes may hold more than a slice of the history.
    const steps = Array.from({ length: 20_000 }, (_, i) => ({
      at: i * 20,
      client: 'c1',
      get: 'x',
      note: 'n',
    }));
    const scenario: Scenario = { goal: 'many gets', steps };
    const run = runScenario(scenario, { trace: 'hash' });
    expect(run.result.history.operations).toHaveLength(20_000);
    const operations = JSON.stringify(run.result.history.operations);
    const stringify = vi.spyOn(JSON, 'stringify');
    try {
      const doc = traceDocument(run, {
        file: 'f.ts',
        goal: 'g',
        replay: 'r',
        definition: scenario,
      });
      expect(doc.history.operations).toEqual(JSON.parse(operations));
      expect(doc.scenario.definition).toEqual(scenario);
      const longest = Math.max(...stringify.mock.results.map((r) => String(r.value ?? '').length));
      expect(longest).toBeLessThan(operations.length / 4);
    } finally {
      stringify.mockRestore();
    }
  });
});

describe('a 1 MB text is cut for display, not a crash', () => {
  const big = 'k'.repeat(1 << 20);
  const doc = documentOf({
    goal: 'a 1 MB key',
    servers: 2,
    clients: 1,
    steps: [
      { at: 0, client: 'c1', put: [big, 'v'], note: big },
      { at: 100, client: 'c1', get: big },
    ],
  });

  it('in the diagram, every line within the width', () => {
    const lines = renderDiagram(PLAIN, doc, { width: 100 });
    expect(lines.every((l) => [...l].length <= 100)).toBe(true);
    expect(lines.join('\n')).toContain('k…');
    expect(lines.join('\n').length).toBeLessThan(1 << 20);
  });

  it('in the page', () => {
    const page = renderHtml(doc);
    expect(pageProblem(page)).toBeNull();
  });

  it('from the command line: refused in one line naming the limit (it used to end in "Maximum call stack size exceeded")', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvsim-big-'));
    const file = join(dir, 'big.ts');
    writeFileSync(
      file,
      "const big = 'k'.repeat(1 << 20);\nexport default { goal: 'a 1 MB key', steps: [{ at: 0, client: 'c1', put: [big, 'v'] }, { at: 100, client: 'c2', get: big }] };\n",
    );
    const r = runCli('sim', [file, '--width', '100']);
    expect(isOneLineRefusal(r), r.stderr).toBe(true);
    expect(r.stderr).toMatch(/1048576 characters long; at most 100 are allowed/);
  });
});

/** A trace as plain JSON, to break at will. */
// biome-ignore lint/suspicious/noExplicitAny: the tests reach into arbitrary fields to break them.
type Loose = Record<string, any>;

/** A trace with one field broken by `breakIt`. */
function broken(breakIt: (doc: Loose) => void): string {
  const doc = JSON.parse(serializeTraceDocument(documentOf(staleRead)));
  breakIt(doc);
  return JSON.stringify(doc);
}

describe('a malformed trace is named in one sentence', () => {
  const deliver = (d: Loose) => d.events.findIndex((e: Loose) => e.kind === 'deliver');
  const invoke = (d: Loose) =>
    d.events.findIndex((e: Loose) => e.kind === 'record' && e.observation.kind === 'invoke');
  it.each<[string, (d: Loose) => void, RegExp]>([
    ['a time as text', (d) => (d.events[3].t = '5'), /^events\[3\]\.t must be a time/],
    ['a negative time', (d) => (d.events[0].t = -1), /^events\[0\]\.t must be a time/],
    [
      'events out of order',
      (d) => (d.events[1].t = 1e9),
      /^events\[2\]\.t is earlier than events\[1\]\.t/,
    ],
    ['a missing field', (d) => delete d.events[deliver(d)].from, /^events\[\d+\]\.from is missing/],
    [
      'an unknown node',
      (d) => (d.events[deliver(d)].to = 'zz'),
      /^events\[\d+\]\.to names "zz", which is not among the trace's nodes/,
    ],
    [
      'an unknown kind',
      (d) => (d.events[0].kind = 'boom'),
      /^events\[0\]\.kind must be one of send, /,
    ],
    [
      'a message id as text',
      (d) => (d.events[deliver(d)].id = '1"><img>'),
      /^events\[\d+\]\.id must be a whole number/,
    ],
    [
      'an opId as text',
      (d) => (d.events[invoke(d)].observation.opId = 'x'),
      /observation\.opId must be a whole number/,
    ],
    [
      'an unknown operation',
      (d) => (d.events[invoke(d)].observation.opId = 999),
      /names operation 999, which is not in history\.operations/,
    ],
    ['a note as a number', (d) => (d.notes[0].text = 5), /^notes\[0\]\.text must be a string/],
    ['a node twice', (d) => (d.nodes[1].id = d.nodes[0].id), /^nodes\[1\]\.id "s1" appears twice/],
    [
      'a huge node list',
      (d) => (d.nodes = Array.from({ length: 5000 }, (_, i) => ({ ...d.nodes[0], id: `n${i}` }))),
      /^nodes must be an array of at most 128 entries \(it has 5000\)/,
    ],
    [
      'a key as an object',
      (d) => (d.history.operations[0].key = {}),
      /^history\.operations\[0\]\.key must be a string/,
    ],
    [
      'an unknown guarantee',
      (d) => (d.verdicts[0].guarantee = 'nope'),
      /^verdicts\[0\]\.guarantee must be one of/,
    ],
    [
      'a state digest of the wrong shape',
      (d) => (d.events.find((e: Loose) => e.kind === 'state').summary.store = []),
      /summary\.store must be an object/,
    ],
    ['a seed as text', (d) => (d.seed = '1'), /^seed must be a whole number/],
    [
      'a network without delays',
      (d) => delete d.network.delayMaxMs,
      /^network\.delayMaxMs is missing/,
    ],
    [
      'an odd key named safely',
      (d) => (d.knobs['\u001b[2J'] = {}),
      /^knobs\["\\u001b\[2J"\] must be a string or a number/,
    ],
  ])('%s', (_, breakIt, message) => {
    const text = broken(breakIt);
    let error: unknown;
    try {
      parseTraceDocument(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TraceFormatError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('npm run view says which field, in one line, with exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvsim-malformed-'));
    writeFileSync(
      join(dir, 'bad.json'),
      broken((d) => (d.events[12].t = 'soon')),
    );
    const r = runCli('view', ['bad.json'], dir);
    expect(isOneLineRefusal(r), r.stderr).toBe(true);
    expect(r.stderr).toContain('events[12].t must be a time');
  });
});

describe('the command line in a pipeline', () => {
  it('exits quietly when the reader stops early (| head -1)', () => {
    // A timeline of some 200 kB: more than a pipe holds, so the writer meets the closed pipe.
    const r = spawnSync(
      'bash',
      [
        '-c',
        `npm run -s sim -- test/fixtures/cli/long.ts --view log | head -1; exit \${PIPESTATUS[0]}`,
      ],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toHaveLength(2);
    expect(r.status).toBe(0);
  });

  it('npm run bench refuses an unknown flag', () => {
    const r = runCli('bench', ['--frobnicate']);
    expect(isOneLineRefusal(r), r.stderr).toBe(true);
    expect(r.stderr).toContain("unknown option '--frobnicate'");
  });
});

/** stale-read.ts's trace as sim writes it, parsed as plain JSON for a test to edit. */
function genuine(): Loose {
  const file = 'scenarios/stale-read.ts';
  const run = runScenario(staleRead);
  const replay = simReplay({
    file,
    seed: run.seed,
    preset: undefined,
    knobs: [],
    edits: [],
    bounds: [],
  });
  const doc = traceDocument(run, { file, goal: staleRead.goal, replay, definition: staleRead });
  return JSON.parse(serializeTraceDocument(doc));
}

describe("npm run view shows a trace's hash and replay line only as far as it can vouch for them", () => {
  const file = 'scenarios/stale-read.ts';
  const vouched = (edit: (d: Loose) => void) => {
    const d = genuine();
    edit(d);
    return vouchFor(parseTraceDocument(JSON.stringify(d)));
  };
  const original = genuine();

  it('a trace as written: its own hash and its own replay line, no warning', () => {
    expect(vouched(() => undefined)).toEqual({
      hash: original.run.hash,
      warning: null,
      replay: `npm run sim -- ${file} --seed 1`,
    });
  });

  it.each<[string, (d: Loose) => void, RegExp]>([
    [
      'a command of its own',
      (d) => (d.replay = 'rm -rf /'),
      /^none: the trace's replay line is not a command kvsim writes for this run$/,
    ],
    [
      'a command after the replay',
      (d) => (d.replay += '; rm -rf /'),
      /^none: the trace's replay line is not a command/,
    ],
    [
      'a command in a word',
      (d) => (d.replay += " --knob 'x=$(rm -rf /)'"),
      /^none: the trace's replay line sets a knob the run cannot have/,
    ],
    [
      'another scenario',
      (d) => (d.replay = 'npm run sim -- /tmp/evil.ts --seed 1'),
      /^none: the trace's replay line names another scenario than the trace's \('scenarios\/stale-read\.ts'\)$/,
    ],
    [
      'another seed',
      (d) => (d.replay = `npm run sim -- ${file} --seed 2`),
      /^none: the trace's replay line names seed 2, but the run's seed is 1$/,
    ],
    [
      'another preset',
      (d) => (d.replay += ' --preset fixed'),
      /names preset fixed, but the run's preset is seed$/,
    ],
    [
      'another knob value',
      (d) => (d.replay += ' --knob replicationDelay=5'),
      /sets replicationDelay=5, but the run's replicationDelay is 10000$/,
    ],
    [
      // sim refuses it; the last value is the run's, so only the repeat gives it away.
      'a knob given twice',
      (d) => (d.replay += ' --knob replicationDelay=5 --knob replicationDelay=10000'),
      /is not a command kvsim writes/,
    ],
    [
      'a what-if that is no edit',
      (d) => (d.replay += ' --what-if rm:1'),
      /is not a command kvsim writes/,
    ],
    [
      "a live run's command",
      (d) => (d.replay = `npm run live -- --seed 1  (${LIVE_CAVEAT})`),
      /is not a command kvsim writes/,
    ],
    [
      'a bound given twice',
      (d) => (d.replay += ' --max-events 90 --max-events 91'),
      /is not a command kvsim writes/,
    ],
    ['a bound sim refuses', (d) => (d.replay += ' --max-queue 0'), /is not a command kvsim writes/],
    [
      'a bound the run went past',
      (d) => (d.replay += ' --max-events 5'),
      /^none: the trace's replay line bounds the run at 5 events, but the run had 30$/,
    ],
    [
      'an event bound the run did not stop at',
      (d) => {
        d.run.ending = 'event-limit';
        d.replay += ' --max-events 31';
      },
      /bounds the run at 31 events, but the run had 30 when it stopped at its event bound$/,
    ],
  ])('%s: no command, and why', (_, edit, why) => {
    const shown = vouched(edit);
    expect(shown.replay).toMatch(why);
    expect(shown.replay).not.toContain('rm -rf');
    expect(shown.warning).toBeNull();
  });

  it('a run cut by its bound flags: the line with them, as sim wrote it', () => {
    const line = `npm run sim -- ${file} --seed 1 --max-events 30 --max-trace-mb 2`;
    const shown = vouched((d) => {
      d.run.ending = 'event-limit';
      d.replay = line;
    });
    expect(shown.replay).toBe(line);
    expect(vouched((d) => (d.replay = line)).replay).toBe(line);
  });

  it("a live run's command is shown only as live would take it", () => {
    const asLive = (argv: string[]) =>
      vouched((d) => {
        d.scenario = { file: 'live', goal: d.scenario.goal };
        d.replay = liveReplay(argv);
      }).replay;
    expect(asLive(['--preset', 'seed', '--ops', '5'])).toBe(
      liveReplay(['--preset', 'seed', '--ops', '5']),
    );
    // Out of live's own ranges, faults it has not, a flag given twice: live would refuse it, so it
    // is no command live wrote.
    for (const flag of [
      ['--ops', '0'],
      ['--keys', '99'],
      ['--clients', '21'],
      ['--faults', 'crash,nope'],
      ['--faults', 'none,crash'],
      ['--seed', '1', '--seed', '1'],
      ['--preset', 'seed'],
    ])
      expect(asLive(['--preset', 'seed', ...flag])).toMatch(
        /^none: the trace's replay line is not a command kvsim writes for this run/,
      );
  });

  it("a live run's line closes its caveat once; one written with the earlier caveat is still shown", () => {
    const asLive = (replay: string) =>
      vouched((d) => {
        d.scenario = { file: 'live', goal: d.scenario.goal };
        d.replay = replay;
      }).replay;
    const line = asLive(liveReplay(['--preset', 'seed', '--ops', '5']));
    expect(line).toMatch(/^npm run live -- --preset seed --ops 5 {2}\(a live run uses real time: /);
    expect(line).toMatch(/[^)]\)$/);
    // As live wrote it before the caveat was reworded (it ended in '))'): shown as live writes it now.
    const earlier =
      'npm run live -- --preset seed --ops 5  (a live run uses real time: the seed fixes the workload and the fault plan, not the timing, so rerunning it may not show the same history (use npm run sim or explore to replay a case))';
    expect(asLive(earlier)).toBe(line);
  });

  it('a what-if that sets the seed, the preset or a knob is checked against the run it made', () => {
    const line = `npm run sim -- ${file} --seed 5 --preset fixed --what-if seed:1 --what-if preset:seed`;
    expect(vouched((d) => (d.replay = line)).replay).toBe(line);
    expect(vouched((d) => (d.replay = `${line} --what-if knob:replicationDelay=7`)).replay).toMatch(
      /^none: the trace's replay line sets replicationDelay=7, but the run's replicationDelay is 10000$/,
    );
  });

  it('an edited event: the hash of the events, and a warning that says so', () => {
    const sent = original.events.findIndex(
      (e: Loose) => e.kind === 'send' && e.message.value === '2',
    );
    const shown = vouched((d) => (d.events[sent].message.value = 'HACKED'));
    expect(shown.hash).toMatch(/^[0-9a-f]{16}$/);
    expect(shown.hash).not.toBe(original.run.hash);
    expect(shown.warning).toBe(
      `the trace's own hash is ${original.run.hash}, but its events hash to ${shown.hash}: the trace was edited after it was written`,
    );
  });

  it('an edited copy of a message, which the hash names by its id only, is a warning too', () => {
    const at = original.events.findIndex(
      (e: Loose) => e.kind === 'deliver' && e.message.value === '2',
    );
    const shown = vouched((d) => (d.events[at].message.value = 'HACKED'));
    expect(shown.hash).toBe(original.run.hash);
    expect(shown.warning).toMatch(
      new RegExp(
        `^events\\[${at}\\] \\(a deliver of message \\d+\\) carries another message than the one sent: the trace was edited after it was written$`,
      ),
    );
  });

  it('a value nested too deep to hash is named in one sentence, not a stack overflow', () => {
    const d = genuine();
    const sent = d.events.findIndex((e: Loose) => e.kind === 'send');
    const text = JSON.stringify(d).replace(
      JSON.stringify(d.events[sent]),
      JSON.stringify({ ...d.events[sent], message: { ...d.events[sent].message, x: 'DEEP' } }),
    );
    const deep = text.replace('"DEEP"', `${'['.repeat(50_000)}${']'.repeat(50_000)}`);
    expect(() => vouchFor(parseTraceDocument(deep))).toThrow(
      new TraceFormatError(
        `events[${sent}] holds a value nested deeper than a kvsim trace ever does, too deep to read`,
      ),
    );
  });

  it.each([
    ['a state digest', (d: Loose) => d.events.find((e: Loose) => e.kind === 'state')],
    ['an expectation', (d: Loose) => d.expectations[0]],
    ["the scenario's definition", (d: Loose) => d.scenario.definition],
  ])(
    '%s nested too deep for the page or the diagram is refused by name before anything reads it',
    (_, at) => {
      const d = genuine();
      at(d).deep = 'DEEP';
      const deep = JSON.stringify(d).replace('"DEEP"', `${'['.repeat(6_000)}${']'.repeat(6_000)}`);
      expect(() => parseTraceDocument(deep)).toThrow(
        /^(events\[\d+\]|expectations\[0\]|scenario\.definition) holds a value nested deeper than a kvsim trace ever does, too deep to read$/,
      );
    },
  );

  it('a reason that quotes the trace is laid out as text, never as a command to paste', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvsim-vouch-'));
    const d = genuine();
    d.scenario.file = 'x: npm run sim -- evil.ts';
    writeFileSync(join(dir, 'named.json'), JSON.stringify(d));
    const r = runCli('view', ['named.json', '--width', '60'], dir);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ {2}replay {5}none: the trace's replay line names another/m);
    expect(r.stdout).not.toMatch(/^\s*npm run sim -- evil/m);
  });

  it('in the terminal and in the page: the diagram, the hash of the events, the warning; exit 0', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvsim-vouch-'));
    const d = genuine();
    const sent = d.events.findIndex((e: Loose) => e.kind === 'send' && e.message.value === '2');
    d.events[sent].message.value = 'HACKED';
    d.replay = 'rm -rf /';
    writeFileSync(join(dir, 'edited.json'), JSON.stringify(d));
    const r = runCli('view', ['edited.json', '--html', 'edited.html'], dir);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('s1 stores x=1 ts=5');
    const hash = /^ {2}trace hash ([0-9a-f]{16})$/m.exec(r.stdout)?.[1];
    expect(hash).not.toBe(d.run.hash);
    expect(r.stdout).toMatch(
      /^ {2}warning {4}the trace's own hash is [0-9a-f]{16}, but its events hash to/m,
    );
    expect(r.stdout).toMatch(
      /^ {2}replay {5}none: the trace's replay line is not a command kvsim/m,
    );
    expect(r.stdout).not.toContain('rm -rf');
    const page = readFileSync(join(dir, 'edited.html'), 'utf8');
    expect(page).toContain(`<code>${hash}</code>`);
    expect(page).not.toContain(`<code>${d.run.hash}</code>`);
    expect(page).toContain('the trace was edited after it was written');
    expect(page).not.toContain('rm -rf');
  });
});

describe('a trace written by an earlier kvsim, before the trace hash was taken by structure', () => {
  // Saved by kvsim's sim --json before the hash by structure (still kvsim-trace/1): its run.hash
  // is the hash of its events' JSON text, state digests included.
  const saved = join(ROOT, 'test', 'fixtures', 'traces', 'before-structural-hash.json');

  it('is not called edited: the warning says an earlier kvsim wrote its hash, and exit 0', () => {
    const stated = JSON.parse(readFileSync(saved, 'utf8')).run.hash;
    const r = runCli('view', [saved, '--width', '400']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const hash = /^ {2}trace hash ([0-9a-f]{16})$/m.exec(r.stdout)?.[1];
    expect(hash).not.toBe(stated);
    expect(r.stdout).toContain(
      `  warning    the trace's own hash ${stated} is the one an earlier kvsim wrote, over its events' JSON text with their state digests as well; nothing was edited, and its events hash to ${hash} today`,
    );
    expect(r.stdout).not.toContain('edited after it was written');
  });

  it('edited after it was written, it is still called edited', () => {
    const d = JSON.parse(readFileSync(saved, 'utf8'));
    const sent = d.events.findIndex((e: Loose) => e.kind === 'send' && e.message.value === '2');
    d.events[sent].message.value = 'HACKED';
    expect(vouchFor(parseTraceDocument(JSON.stringify(d))).warning).toMatch(
      /^the trace's own hash is [0-9a-f]{16}, but its events hash to [0-9a-f]{16}: the trace was edited after it was written$/,
    );
  });
});

describe('npm run view --html of a trace whose scenario.definition sim would refuse', () => {
  /** The page's inline scripts: the trace, the view model, the page's own; the lab's a fourth. */
  const scripts = (page: string) => page.match(/<script[ >]/g)?.length;

  it.each<[string, (def: Loose) => void, string]>([
    ['steps that are no list', (def) => (def.steps = 'nope'), 'steps must be a list'],
    ['a step at a negative time', (def) => (def.steps[0].at = -5), 'step 1: at must be'],
    ['a time bound past the limit', (def) => (def.runUntilMs = 1e15), 'runUntilMs must be'],
    ['the lock store with three servers', (def) => (def.store = 'lock'), 'exactly one server'],
    ['a seed past the limit', (def) => (def.seed = 1e300), 'seed must be a whole number'],
    ['a goal with a bidirectional override', (def) => (def.goal = 'a\u202eb'), 'goal contains'],
  ])(
    '%s: the diagram and the page, without its lab, and a warning saying why; exit 0',
    (_, edit, why) => {
      const dir = mkdtempSync(join(tmpdir(), 'kvsim-definition-'));
      const d = genuine();
      edit(d.scenario.definition);
      writeFileSync(join(dir, 'bad.json'), JSON.stringify(d));
      const r = runCli('view', ['bad.json', '--html', 'bad.html', '--width', '400'], dir);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('s1 stores x=1 ts=5');
      const warning = /^ {2}warning {4}(.*)$/m.exec(r.stdout)?.[1] ?? '';
      expect(warning).toMatch(
        /^the trace's scenario\.definition is not a scenario kvsim can run \(.*\), so the page is written without its lab; npm run sim -- <scenario\.ts> --html writes one with it$/,
      );
      expect(warning).toContain(why);
      expect(warning).not.toContain('\u202e');
      const page = readFileSync(join(dir, 'bad.html'), 'utf8');
      expect(scripts(page)).toBe(3);
      expect(page).toContain('so the page is written without its lab');
    },
  );

  it('a definition sim can run keeps its lab, with no warning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvsim-definition-'));
    writeFileSync(join(dir, 'good.json'), JSON.stringify(genuine()));
    const r = runCli('view', ['good.json', '--html', 'good.html'], dir);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain('warning');
    expect(scripts(readFileSync(join(dir, 'good.html'), 'utf8'))).toBe(4);
  });
});
