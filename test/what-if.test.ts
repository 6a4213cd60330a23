// `npm run sim -- <scenario> --what-if <edit>` as a user runs it, and the edits themselves: each
// lands on exactly the message or node it names, and the diff names what changed. Message ids and
// expected verdicts come from the runs themselves, never typed in.

import { Chalk } from 'chalk';
import { describe, expect, it, vi } from 'vitest';
import followerDownBlocksPuts from '../scenarios/follower-down-blocks-puts.ts';
import followerKeepsOlderWrite from '../scenarios/follower-keeps-older-write.ts';
import staleRead from '../scenarios/stale-read.ts';
import writeOvertakesItsCause from '../scenarios/write-overtakes-its-cause.ts';
import type { TraceEvent } from '../sim/kernel/trace.ts';
import { renderWhatIf } from '../sim/lab/report.ts';
import {
  diffRuns,
  type Edit,
  EditError,
  editText,
  foldEdits,
  foldOrder,
  parseEdit,
  runWhatIf,
  runWritten,
  sameMessage,
  scenarioSource,
} from '../sim/lab/whatif.ts';
import { textWidth } from '../sim/render/diagram.ts';
import { formatTime } from '../sim/render/format.ts';
import { runScenario } from '../sim/scenario.ts';
import { isOneLineRefusal, runCli } from './run-cli.ts';

// Every run of a scenario goes through here, counted, so that a test can say how many runs an
// answer took; it runs the scenario as ever.
vi.mock('../sim/scenario.ts', async (original) => {
  const real = await original<typeof import('../sim/scenario.ts')>();
  return { ...real, runScenario: vi.fn(real.runScenario) };
});

const sim = (...args: string[]) => runCli('sim', args);

const base = runScenario(staleRead);
const sends = base.result.trace.filter((e) => e.kind === 'send');
/** The REPLICATION that brings s3 x=2: the last one to s3. */
const toS3 = sends.filter((e) => e.to === 's3' && e.message.type === 'REPLICATION').at(-1)!;

describe('--what-if in the terminal', () => {
  const out = sim('scenarios/stale-read.ts', '--quiet', '--what-if', `drop:${toS3.id}`);

  it('prints the first divergence: the dropped REPLICATION', () => {
    expect(out.stderr).toBe('');
    const at = out.stdout.indexOf('first divergence');
    expect(at).toBeGreaterThan(0);
    expect(out.stdout.slice(at)).toMatch(
      new RegExp(`now .*DROPPED \\(planned drop\\) msg ${toS3.id}`),
    );
  });

  it('says convergence went from held to broken, and which expectation no longer holds', () => {
    // s3 never stores x=2: at quiescence the replicas differ (PROTOCOL.md §3, convergence).
    expect(out.stdout).toContain('convergence: held → broken (1)');
    const w = runWhatIf(staleRead, [{ kind: 'drop', message: toS3.id }]);
    // A line wider than the terminal goes on under itself: read it as one.
    const joined = out.stdout.replace(/\n +/g, ' ');
    for (const x of diffRuns(w).expectations)
      expect(joined).toContain(`step ${x.step}: ${x.label} → ${x.expected}: met → not met`);
    expect(out.stdout).toContain(`trace hash ${w.edited.result.hash}`);
    // The edited run breaks a guarantee the scenario did not expect to break.
    expect(out.status).toBe(1);
  });

  it('colours each changed expectation by which way it goes, as the verdicts are', () => {
    // Without a replication delay the stale read c2 was expected to get (the finding) is gone:
    // good news for the store, though the expectation is defeated; c1's refusal is lost too.
    const w = runWhatIf(staleRead, [parseEdit('knob:replicationDelay=0')]);
    const diff = diffRuns(w);
    const witness = new Set(
      base.verdicts
        .find((v) => v.guarantee === 'linearizability')!
        .violations.flatMap((v) => v.ops),
    );
    const lines = renderWhatIf(new Chalk({ level: 1 }), w, diff, 400);
    const green = '\x1b[32m';
    const red = '\x1b[31m';
    const defeated = diff.expectations.filter((x) => x.was === 'met' && x.now !== 'met');
    expect(defeated.length).toBe(2);
    for (const x of defeated) {
      const line = lines.find((l) => l.includes(`step ${x.step}: `))!;
      expect(line).toContain('the edit defeats it');
      expect(line.startsWith(green)).toBe(witness.has(x.opId));
      expect(line.startsWith(red)).toBe(!witness.has(x.opId));
    }
    const unmet = lines.find((l) => l.includes("the scenario's verdicts"))!;
    expect(unmet.startsWith(green)).toBe(true);
  });

  it('folds a retransmission storm among the events that differ into one line with its count', () => {
    // s3 restarted at 5 s: the leader's resends to it every 0.5 s are only in the base run.
    const out = sim(
      'scenarios/follower-down-blocks-puts.ts',
      '--quiet',
      '--what-if',
      'restart:s3@5000',
      '--width',
      '200',
    );
    const w = runWhatIf(followerDownBlocksPuts, [parseEdit('restart:s3@5000')]);
    const timeouts = diffRuns(w).onlyBase.filter(
      (e) =>
        e.event.kind === 'timer' &&
        (e.event.timer as { kind?: string }).kind === 'replicationTimeout',
    );
    expect(timeouts.length).toBeGreaterThan(10);
    const lines = out.stdout.split('\n').filter((l) => /^ {4}- .*replicationTimeout/.test(l));
    expect(lines).toEqual([
      expect.stringContaining(
        `×${timeouts.length}, the last at ${formatTime(timeouts.at(-1)!.event.t)}`,
      ),
    ]);
  });

  it("says above the edited run's timeline that its notes were written for the run without the edits", () => {
    // Under preset:fixed s3 is up to date, so the note "s3 serves it the old value" no longer holds.
    const edited = sim('scenarios/stale-read.ts', '--what-if', 'preset:fixed');
    const lines = edited.stdout.split('\n');
    const said = lines.findIndex((l) =>
      l.startsWith('the edited run (preset:fixed); its notes (──)'),
    );
    expect(said).toBeGreaterThan(0);
    expect(said).toBeLessThan(lines.findIndex((l) => l.includes('── c1 writes x=1')));
    expect(edited.stdout.replace(/\n +/g, ' ')).toContain(
      'were written for the run without the edits, and may no longer hold',
    );
    // Without an edit, the notes are the run's own: nothing is said.
    expect(sim('scenarios/stale-read.ts').stdout).not.toContain('the edited run');
  });

  it('says the same of a run whose --preset, --knob or --seed differs from the scenario', () => {
    const said = (...flags: string[]) =>
      sim('scenarios/stale-read.ts', ...flags)
        .stdout.replace(/\n +/g, ' ')
        .match(/^the (?:edited )?run[^\n]*may no longer hold$/m)?.[0] ?? null;
    const own =
      "the scenario's notes (──) were written for its own settings, and may no longer hold";
    expect(said('--preset', 'fixed')).toBe(`the run with --preset fixed; ${own}`);
    expect(said('--knob', 'replicationDelay=0', '--seed', '2')).toBe(
      `the run with --knob replicationDelay=0 --seed 2; ${own}`,
    );
    expect(said('--knob', 'replicationDelay=0', '--what-if', 'seed:2')).toBe(
      "the edited run (seed:2) with --knob replicationDelay=0; its notes (──) were written for the scenario's own run, and may no longer hold",
    );
    // Flags that name what the scenario has (its seed preset, its seed) change nothing.
    expect(said('--preset', 'seed', '--knob', 'replicationDelay=10000', '--seed', '1')).toBeNull();
  });

  it('keeps to --width, as the summary under it does', () => {
    const narrow = sim('scenarios/stale-read.ts', '--width', '40', '--what-if', `drop:${toS3.id}`);
    const report = narrow.stdout.slice(narrow.stdout.indexOf('What if'));
    expect(report.split('\n').filter((l) => textWidth(l) > 40)).toEqual([]);
    const joined = report.replace(/\n +/g, ' ');
    expect(joined).toContain('convergence: held → broken (1)');
    expect(joined).toMatch(new RegExp(`now .*DROPPED \\(planned drop\\) msg ${toS3.id}`));
  });

  it('draws every arrow as the timeline does (→), a changed verdict and a held link included', () => {
    const held = sim(
      'scenarios/stale-read.ts',
      '--quiet',
      '--what-if',
      `drop:${toS3.id}`,
      '--what-if',
      'hold:s1:s2@0-50000',
    );
    const report = held.stdout.slice(
      held.stdout.indexOf('What if'),
      held.stdout.indexOf('Summary'),
    );
    expect(report).toContain('the link s1 → s2 is held');
    expect(report).toContain('convergence: held → broken');
    expect(report).not.toContain('->');
  });

  it('says when an edit changes nothing', () => {
    const same = sim(
      'scenarios/stale-read.ts',
      '--quiet',
      '--what-if',
      'knob:followerApply=overwrite',
    );
    expect(same.stdout).toContain('the two runs do not differ');
  });

  it('lists a restart that brings a crashed node back as a restart, not as one that changes nothing', () => {
    const r = sim(
      'scenarios/stale-read.ts',
      '--quiet',
      '--what-if',
      'crash:s3@26500',
      '--what-if',
      'restart:s3@26600',
    );
    const list = r.stdout.slice(r.stdout.indexOf('What if'));
    expect(list).toMatch(/\+ 26\.600s +⚡ +s3 restarts\n/);
    expect(list).not.toContain('is up already');
  });

  it('keeps a bound given on the command line in the edited run, and in the replay line', () => {
    const same = sim(
      'scenarios/stale-read.ts',
      '--quiet',
      '--max-events',
      '10',
      '--what-if',
      'seed:1',
    );
    expect(same.stdout).toContain('the two runs do not differ');
    const edited = sim(
      'scenarios/stale-read.ts',
      '--quiet',
      '--max-events',
      '15',
      '--what-if',
      'knob:replicationDelay=0',
      '--width',
      '200',
    );
    expect(edited.stdout).toContain('stopped at the event bound');
    const replay = edited.stdout.match(/replay +npm run sim -- (.*)/)?.[1];
    expect(replay).toBe(
      'scenarios/stale-read.ts --seed 1 --max-events 15 --what-if knob:replicationDelay=0',
    );
  });

  it('lists no verdict as changed when it reads the same, its witness aside', () => {
    // c1 crashes earlier and comes back: x is still locked for good, by a witness named otherwise.
    const r = sim(
      'scenarios/crashed-holder-blocks-key.ts',
      '--quiet',
      '--what-if',
      'crash:c1@10',
      '--what-if',
      'restart:c1@500',
    );
    expect(r.stdout).toContain('verdicts   none changed');
    expect(r.stdout).not.toContain('broken (1) → broken (1)');
  });

  it('lists a verdict that reads the same but names other operations as another witness, neither better nor worse', () => {
    const w = runWhatIf(followerKeepsOlderWrite, [parseEdit('seed:2')]);
    const base = w.base.verdicts.find((v) => v.status === 'broken' && !v.informative)!;
    const ops = [...base.violations[0]!.ops];
    const edited = (witness: number[], sentence: string) =>
      w.base.verdicts.map((v) =>
        v === base
          ? { ...v, violations: v.violations.map((x) => ({ ...x, ops: witness, sentence })) }
          : v,
      );
    const changes = (verdicts: typeof w.base.verdicts) =>
      diffRuns({ ...w, edited: { ...w.base, verdicts } }).verdicts;
    // The same operations in other words: no change.
    expect(changes(edited(ops, 'other words'))).toEqual([]);
    // Other operations: listed, in a finding's tone.
    expect(changes(edited([ops[0]!, 99], 'another pair'))).toMatchObject([
      {
        guarantee: base.guarantee,
        was: 'broken (1)',
        now: 'broken (1), another witness',
        tone: 'finding',
      },
    ]);
  });

  it('refuses a second fault on one message, which would land on another message instead', () => {
    // Under all-followers msg 16 is retransmitted: a drop after its duplicate took 16, and the
    // copy waited for the leader's resend, while the summary said 16 was delivered twice.
    const r = sim(
      'scenarios/stale-read.ts',
      '--quiet',
      '--what-if',
      'knob:ackPolicy=all-followers',
      '--what-if',
      'duplicate:16',
      '--what-if',
      'drop:16',
    );
    expect(isOneLineRefusal(r)).toBe(true);
    expect(r.stderr).toContain(
      '#16 is the message duplicate:16 is aimed at already, and a message takes one fault (lost, copied or late); take one of them off',
    );
  });

  it('names a step the edits renumber as the scenario does and as the summary under it does', () => {
    // The hold goes in at 0 ms, after the step there: the steps after it move down by one.
    const held = sim('scenarios/stale-read.ts', '--quiet', '--what-if', 'hold:s1:c1@0-30000');
    expect(held.stdout).toMatch(
      /step 4 \(step 5 of the edited run\): c1 GET x via s3 → TRY_OTHER_SERVER_OR_LATER: met → not met/,
    );
    expect(held.stdout).toMatch(/✗ step 5: c1 GET x via s3 → TRY_OTHER_SERVER_OR_LATER, but/);
  });

  it('gives one line and exit 2 for an edit it cannot apply', () => {
    for (const edit of ['drop:99999', 'explode:3', 'crash:s9@10', 'knob:followerApply=sideways']) {
      const bad = sim('scenarios/stale-read.ts', '--what-if', edit);
      expect(bad.status, edit).toBe(2);
      expect(bad.stderr.trim().split('\n'), edit).toHaveLength(1);
      expect(bad.stderr).toMatch(/^error: --what-if /);
    }
    // The edit that does not fit this run is named before why.
    const missing = sim('scenarios/stale-read.ts', '--what-if', 'drop:99999');
    expect(missing.stderr).toMatch(/^error: --what-if drop:99999: there is no message #99999 /);
    // One of several too.
    const second = sim(
      'scenarios/stale-read.ts',
      '--what-if',
      'seed:2',
      '--what-if',
      'crash:s9@10',
    );
    expect(second.stderr).toMatch(/^error: --what-if crash:s9@10: 's9' is not a node of this run/);
  });

  it("words a knob it cannot set as --knob does, not as a scenario file's field", () => {
    const cases = [
      ['followerApply=sideways', /knob followerApply must be one of overwrite, newer-wins/],
      ['replicationDelay=-5', /knob replicationDelay must be an integer from 0 to 3600000/],
      ['nosuch=1', /unknown knob 'nosuch'; the knobs are: replicationDelay, /],
      ['lockLease=1', /lockLease is a knob of the lock store; this scenario's store is replicated/],
    ] as const;
    for (const [knob, pattern] of cases) {
      const what = sim('scenarios/stale-read.ts', '--what-if', `knob:${knob}`).stderr;
      const flag = sim('scenarios/stale-read.ts', '--knob', knob).stderr;
      expect(what, knob).toMatch(pattern);
      expect(what, knob).not.toMatch(/knobs\.|field|scenario chooses/);
      // The same sentence as the flag's, after the edit it answers.
      expect(what, knob).toBe(`error: --what-if knob:${knob}: ${flag.replace(/^error: /, '')}`);
    }
  });
});

describe('a message fault that the edits after it move', () => {
  const edited = (...texts: string[]) => runWhatIf(staleRead, texts.map(parseEdit));
  const lostPlanned = (w: ReturnType<typeof edited>) =>
    w.edited.result.trace.filter(
      (e): e is Extract<TraceEvent, { kind: 'drop' }> =>
        e.kind === 'drop' && e.reason === 'planned',
    );

  it('says which message its step takes in the edited run', () => {
    // #4 is x=1's REPLICATION to s3; with s1 crashed before it leaves, it is never sent, and the
    // drop's step takes x=2's REPLICATION to s3 instead, as the edited run shows.
    const w = edited('drop:4', 'crash:s1@15000', 'restart:s1@16000');
    const [lost] = lostPlanned(w);
    expect(lost?.message).toMatchObject({ type: 'REPLICATION', value: '2' });
    expect(w.described[0]).toContain(
      `is lost — but the edits after it change the run: the fault, aimed at the next REPLICATION s1 → s3 from 20.031s, takes #${lost?.id} (REPLICATION w1 x=2 ts=25013, s1 → s3, sent at 45.031s) instead`,
    );
  });

  it('says that it takes none when no such message is sent any more', () => {
    const w = edited('drop:4', 'crash:s1@15000');
    expect(lostPlanned(w)).toEqual([]);
    expect(w.described[0]).toContain(
      'no REPLICATION leaves s1 → s3 from 20.031s on, so nothing is lost',
    );
  });

  it('adds nothing when it takes the same message, a little later under another id', () => {
    const w = edited('drop:16', 'crash:c2@1000');
    const [lost] = lostPlanned(w);
    expect(lost?.id).not.toBe(16);
    expect(lost?.message).toMatchObject({ type: 'REPLICATION', value: '2' });
    expect(w.described[0]).toBe(
      'message #16 (REPLICATION w2 x=2 ts=25009, s1 → s3, sent at 45.024s) is lost',
    );
  });

  it('adds nothing when it takes the same message stamped with another ts', () => {
    // c1's PUT x=2 arrives 5 ms later, so the leader stamps it 25014: the drop still takes x=2's
    // REPLICATION to s3.
    const w = edited('drop:16', 'delay:7:5');
    const [lost] = lostPlanned(w);
    expect(lost?.message).toMatchObject({ type: 'REPLICATION', value: '2', ts: 25014 });
    expect(w.described[0]).toBe(
      'message #16 (REPLICATION w2 x=2 ts=25009, s1 → s3, sent at 45.024s) is lost',
    );
  });
});

describe("a what-if's download", () => {
  const edits = [parseEdit('knob:ackPolicy=all-followers')];
  const header = (ran: string) =>
    scenarioSource(staleRead, 'scenarios/stale-read.ts', edits, undefined, ran)
      .split('*/')[0]!
      .replace(/\n \* /g, ' ');

  it("names the command of the page's own run when that run was itself edited or set otherwise", () => {
    const ran = 'npm run sim -- scenarios/stale-read.ts --seed 1 --what-if drop:16';
    expect(header(ran)).toContain(
      `A what-if of scenarios/stale-read.ts as the page ran it (${ran}): knob:ackPolicy=all-followers.`,
    );
  });

  it('names the file and the seed when the page ran the scenario as it is', () => {
    expect(header('npm run sim -- scenarios/stale-read.ts --seed 1')).toContain(
      'A what-if of scenarios/stale-read.ts at seed 1: knob:ackPolicy=all-followers.',
    );
    // A page made with --seed 3: the header says which run the edit was made on.
    expect(header('npm run sim -- scenarios/stale-read.ts --seed 3')).toContain(
      'A what-if of scenarios/stale-read.ts at seed 3: knob:ackPolicy=all-followers.',
    );
  });
});

describe('edits', () => {
  it('read back as written', () => {
    const edits: Edit[] = [
      { kind: 'drop', message: 3 },
      { kind: 'duplicate', message: 4 },
      { kind: 'delay', message: 5, byMs: 250 },
      { kind: 'crash', node: 's2', at: 500 },
      { kind: 'restart', node: 's2', at: 900 },
      { kind: 'hold', from: 's1', to: 's3', at: 100, until: 400 },
      { kind: 'release', from: 's3', to: 's1', at: 350 },
      { kind: 'knob', name: 'retryLimit', value: '3' },
      { kind: 'seed', seed: 7 },
      // Any seed --seed takes: a run replayed with a large seed can be edited back to it.
      { kind: 'seed', seed: 9007199254740991 },
      { kind: 'preset', preset: 'fixed' },
      { kind: 'deliver', message: 9, after: 12 },
    ];
    for (const e of edits) expect(parseEdit(editText(e))).toEqual(e);
    expect(() => parseEdit('delay:5')).toThrow(EditError);
    expect(() => parseEdit('seed:9007199254740992')).toThrow(
      /the seed must be a whole number from 0 to 9007199254740991/,
    );
    // A number past the limit is told the range, not that it is not a whole number.
    expect(() => parseEdit('delay:3:99999999999')).toThrow(
      /'delay:3:99999999999': the delay in ms must be a whole number from 0 to 1000000000/,
    );
  });

  it('each lands on its own message: duplicate and delay', () => {
    const copied = runWhatIf(staleRead, [{ kind: 'duplicate', message: toS3.id }]).edited;
    expect(copied.result.trace.some((e) => e.kind === 'duplicate' && e.of === toS3.id)).toBe(true);
    const late = runWhatIf(staleRead, [{ kind: 'delay', message: toS3.id, byMs: 3000 }]).edited;
    const send = late.result.trace.find((e) => e.kind === 'send' && e.id === toS3.id);
    expect(send).toMatchObject({ deliverAt: toS3.deliverAt! + 3000 });
  });

  it('a message lost as it leaves is refused, never edited through the next of its link and type', () => {
    // write-overtakes-its-cause cuts s1 → s3 at the start: the first REPLICATION to s3 is lost
    // as it is sent. Made late, it would have made the next REPLICATION s1 → s3 (y=1) late.
    type Event = ReturnType<typeof runScenario>['result']['trace'][number];
    type Send = Extract<Event, { kind: 'send' }>;
    const own = runScenario(writeOvertakesItsCause).result.trace;
    const cut = own.find(
      (e): e is Extract<Event, { kind: 'drop' }> => e.kind === 'drop' && e.reason === 'partition',
    )!;
    expect(cut).toMatchObject({ from: 's1', to: 's3', message: { type: 'REPLICATION' } });
    const sendOf = (trace: readonly Event[], id: number) =>
      trace.find((e): e is Send => e.kind === 'send' && e.id === id)!;
    const next = own.find(
      (e): e is Send =>
        e.kind === 'send' && e.to === 's3' && e.message.type === 'REPLICATION' && e.id > cut.id,
    )!;
    const words = `#${cut.id} (REPLICATION s1 → s3, sent at ${formatTime(cut.t)}) is lost as it leaves (a partition cuts its link)`;
    for (const edit of [`delay:${cut.id}:300`, `duplicate:${cut.id}`, `drop:${cut.id}`]) {
      expect(() => runWhatIf(writeOvertakesItsCause, [parseEdit(edit)])).toThrow(words);
    }
    // The next one, which flies, can still be made late, and is.
    const late = runWhatIf(writeOvertakesItsCause, [parseEdit(`delay:${next.id}:300`)]).edited;
    expect(sendOf(late.result.trace, next.id).deliverAt).toBe(next.deliverAt! + 300);
    // A knob set before it that resends the lost one sooner moves it onto a resend the cut also
    // takes: refused, saying it moved, and that the message it moved to never flies.
    const moved = `delay:${next.id}:300`;
    expect(() =>
      runWritten(writeOvertakesItsCause, [
        parseEdit(moved),
        parseEdit('knob:replicationTimeout=100'),
      ]),
    ).toThrow(
      new RegExp(
        `^${moved} is now delay:\\d+:300: the same message \\(the 2nd REPLICATION s1 → s3\\) in the run it now edits, but #\\d+ .* is lost as it leaves .*, or take ${moved} off$`,
      ),
    );
    // In the terminal: one line, exit 2.
    const out = sim(
      'scenarios/write-overtakes-its-cause.ts',
      '--quiet',
      '--what-if',
      `delay:${cut.id}:300`,
    );
    expect(out.status).toBe(2);
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    expect(out.stderr).toContain(`${words}, so it never flies to be made late`);
  });

  it('a crash from a time on stops the node from then', () => {
    const w = runWhatIf(staleRead, [{ kind: 'crash', node: 's3', at: 30_000 }]);
    const dropped = w.edited.result.trace.flatMap((e) =>
      e.kind === 'drop' && e.reason === 'down' ? [e] : [],
    );
    expect(dropped.length).toBeGreaterThan(0);
    expect(dropped.every((e) => e.t >= 30_000 && e.to === 's3')).toBe(true);
  });

  it('a held link keeps its messages until it lets them go', () => {
    const w = runWhatIf(staleRead, [
      { kind: 'hold', from: 's1', to: 's3', at: 45_000, until: 48_000 },
    ]);
    const held = w.edited.result.trace.filter((e) => e.kind === 'hold');
    expect(held.length).toBeGreaterThan(0);
    const arrivals = w.edited.result.trace.filter(
      (e) => e.kind === 'deliver' && e.from === 's1' && e.to === 's3' && e.t > 45_000,
    );
    expect(arrivals.every((e) => e.t >= 48_000)).toBe(true);
  });

  it("a release lets a held link's messages go then, a hold of the scenario's own too", () => {
    // The scenario holds s3 → s1 from 0 to 600 ms; released at 300 ms, what it kept leaves then.
    const own = runScenario(followerKeepsOlderWrite).result.trace;
    const kept = own
      .filter((e) => e.kind === 'hold' && e.t < 300)
      .map((e) => (e as { id: number }).id);
    expect(kept.length).toBeGreaterThan(0);
    const w = runWhatIf(followerKeepsOlderWrite, [parseEdit('release:s3:s1@300')]).edited;
    for (const id of kept) {
      const left = w.result.trace.find(
        (e) => e.kind === 'send' && e.id === id && e.deliverAt !== null,
      );
      expect(left?.t, `msg ${id}`).toBe(300);
    }
    // And nothing sent on the link after it waits any more.
    expect(w.result.trace.some((e) => e.kind === 'hold' && e.t >= 300)).toBe(false);
    expect(() => parseEdit('release:s3:s1')).toThrow(/write release:<from>:<to>@<ms>/);
    expect(() => runWhatIf(followerKeepsOlderWrite, [parseEdit('release:s3:s9@5')])).toThrow(
      /'s9' is not a node of this run/,
    );
  });
});

describe('an edit given again', () => {
  const fold = (...texts: string[]) => foldEdits(texts.map(parseEdit)).map(editText);

  it('replaces a seed, the preset or the same knob where it stood; faults and crashes add up', () => {
    expect(fold('seed:0', 'drop:3', 'seed:2')).toEqual(['seed:2', 'drop:3']);
    expect(fold('preset:seed', 'preset:fixed')).toEqual(['preset:fixed']);
    expect(fold('knob:retryLimit=3', 'knob:ackPolicy=all-followers', 'knob:retryLimit=5')).toEqual([
      'knob:retryLimit=5',
      'knob:ackPolicy=all-followers',
    ]);
    const several = ['drop:3', 'drop:4', 'duplicate:3', 'delay:5:10', 'delay:5:20'];
    const nodes = ['crash:s2@500', 'restart:s2@900', 'crash:s2@1500', 'hold:s1:s3@1-2'];
    expect(fold(...several, ...nodes, 'hold:s1:s3@5-9')).toEqual([
      ...several,
      ...nodes,
      'hold:s1:s3@5-9',
    ]);
  });

  it('on the command line: --what-if seed twice runs and replays the later alone', () => {
    const twice = sim(
      'scenarios/stale-read.ts',
      '--quiet',
      '--what-if',
      'seed:1',
      '--what-if',
      'seed:4',
    );
    const once = sim('scenarios/stale-read.ts', '--quiet', '--what-if', 'seed:4');
    expect(twice.stderr).toBe('');
    // The summary's own line: the edited run's hash.
    const hash = (out: string) => /\n {2}trace hash (\w+)/.exec(out)?.[1];
    expect(hash(twice.stdout)).toBe(hash(once.stdout));
    expect(twice.stdout).toContain('--what-if seed:4');
    expect(twice.stdout).not.toContain('--what-if seed:1');
  });
});

describe('a message edit, once a setting before it changes', () => {
  // The fixed preset numbers stale-read's messages otherwise: the REPLICATION to s3 is not #16.
  const fixed = runScenario(staleRead, { preset: 'fixed' });
  const there = sameMessage(base.result.trace, fixed.result.trace, toS3.id)!;
  const hash = (out: string) => /\n {2}trace hash (\w+)/.exec(out)?.[1];

  it('goes after the setting and stays on its message, and the terminal says its new number', () => {
    expect(there).not.toBe(toS3.id);
    const moved = sim(
      'scenarios/stale-read.ts',
      '--quiet',
      '--what-if',
      `drop:${toS3.id}`,
      '--what-if',
      'preset:fixed',
    );
    expect(moved.stderr).toBe('');
    expect(moved.stdout).toContain(`drop:${toS3.id} is now drop:${there}`);
    expect(moved.stdout).toContain(`--what-if preset:fixed --what-if drop:${there}`);
    const direct = sim(
      'scenarios/stale-read.ts',
      '--quiet',
      '--preset',
      'fixed',
      '--what-if',
      `drop:${there}`,
    );
    expect(hash(moved.stdout)).toBe(hash(direct.stdout));
    // The message lost is the REPLICATION to s3, as first chosen.
    const w = runWhatIf(staleRead, [parseEdit('preset:fixed'), parseEdit(`drop:${there}`)]);
    const lost = w.edited.result.trace.filter((e) => e.kind === 'drop');
    expect(lost).toMatchObject([{ from: 's1', to: 's3', message: { type: 'REPLICATION' } }]);
  });

  it('is refused, saying which to take off, when the new run has no such message', () => {
    // With all-followers acks the lost REPLICATION is sent again; with the default it is not.
    const knob = parseEdit('knob:ackPolicy=all-followers');
    const resent = runWhatIf(staleRead, [knob, parseEdit(`drop:${toS3.id}`)]).edited.result.trace;
    const again = resent.filter(
      (e): e is Extract<typeof e, { kind: 'send' }> =>
        e.kind === 'send' && e.to === 's3' && e.message.type === 'REPLICATION',
    );
    const retry = again.at(-1)!;
    expect(again).toHaveLength(3);
    const out = sim(
      'scenarios/stale-read.ts',
      '--quiet',
      '--what-if',
      editText(knob),
      '--what-if',
      `drop:${toS3.id}`,
      '--what-if',
      `drop:${retry.id}`,
      '--what-if',
      'knob:ackPolicy=ignore-failures',
    );
    expect(out.status).toBe(2);
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    expect(out.stderr).toContain(
      `drop:${retry.id} is the 3rd REPLICATION s1 → s3, and the run it would now edit has no such message; take drop:${retry.id} off first`,
    );
  });
});

describe('edits written out of their order', () => {
  /** The what-if as it was made before: every edit run as written, then all again in order. */
  function twice(written: readonly Edit[]) {
    const asWritten = runWhatIf(staleRead, written, base);
    const order = foldOrder(written);
    return runWhatIf(
      staleRead,
      order.map((i) => written[i]!),
      base,
      order.map((i) => asWritten.readAgainst[i]),
    );
  }
  const ids = sends.map((e) => e.id);
  const lists = [
    `drop:${toS3.id},knob:replicationDelay=0`,
    `drop:${toS3.id},seed:2`,
    `duplicate:${ids[2]},seed:3,drop:${ids.at(-2)}`,
    `delay:${ids[5]}:500,seed:2,seed:5`,
    `drop:${ids.at(-2)},crash:s2@1000,preset:fixed`,
    `seed:1,drop:${toS3.id},seed:7`,
    `drop:${toS3.id},knob:ackPolicy=all-followers,knob:ackPolicy=ignore-failures`,
  ];

  it.each(lists)('%s: the same run, edits, words and verdicts as running them twice', (list) => {
    const written = list.split(',').map(parseEdit);
    expect(foldOrder(written)).not.toEqual(written.map((_, i) => i));
    const once = runWritten(staleRead, written, base);
    const old = twice(written);
    expect(once.edited.result.hash).toBe(old.edited.result.hash);
    expect(once.edits.map(editText)).toEqual(old.edits.map(editText));
    expect(once.described).toEqual(old.described);
    expect(once.moved).toEqual(old.moved);
    expect(once.readAgainst.map((r) => r.result.hash)).toEqual(
      old.readAgainst.map((r) => r.result.hash),
    );
    expect(renderWhatIf(new Chalk({ level: 0 }), once, diffRuns(once))).toEqual(
      renderWhatIf(new Chalk({ level: 0 }), old, diffRuns(old)),
    );
  });

  it('are run once each when the message edits come first: a knob after a lost message', () => {
    const runs = vi.mocked(runScenario);
    const written = [parseEdit(`drop:${toS3.id}`), parseEdit('knob:replicationDelay=0')];
    runs.mockClear();
    runWritten(staleRead, written, base);
    // The knob, then the lost message on the run with the knob: two runs, none replayed.
    expect(runs).toHaveBeenCalledTimes(written.length);
    // A message edit after a change still needs the run it was written against, once.
    // The first two are replayed as written to learn which message the copy names, then all run.
    runs.mockClear();
    runWritten(
      staleRead,
      [...written, parseEdit(`duplicate:${ids[0]}`), parseEdit('seed:2')],
      base,
    );
    expect(runs).toHaveBeenCalledTimes(2 + 4);
  });
});
