// The lab in a real browser (Debian's chromium through playwright-core): the page reruns
// stale-read to its own hash, a dropped REPLICATION changes the verdicts and the diff says so,
// the downloaded scenario replays to the hash the page shows, the address keeps the edit, and
// stepping by hand delivers the chosen message. Expected values come from the same edit run in
// Node, never typed in. Screenshots land in test-artifacts/ for a person to look at.

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import followerDownBlocksPuts from '../scenarios/follower-down-blocks-puts.ts';
import followerKeepsOlderWrite from '../scenarios/follower-keeps-older-write.ts';
import lockReleasedByStranger from '../scenarios/lock-released-by-stranger.ts';
import lockTour from '../scenarios/lock-tour.ts';
import staleRead from '../scenarios/stale-read.ts';
import writeOvertakesItsCause from '../scenarios/write-overtakes-its-cause.ts';
import { GUARANTEE_NAMES } from '../sim/check/index.ts';
import type { TraceEvent } from '../sim/kernel/trace.ts';
import { labPage } from '../sim/lab/bundle.ts';
import {
  diffRuns,
  editText,
  effectiveScenario,
  heldBack,
  parseEdit,
  runWhatIf,
  runWritten,
  sameMessage,
  stepEnd,
} from '../sim/lab/whatif.ts';
import { formatMessage, formatTime } from '../sim/render/format.ts';
import { renderHtml } from '../sim/render/html.ts';
import { traceDocument } from '../sim/render/json.ts';
import { replayCommand } from '../sim/render/summary.ts';
import { runScenario, type Scenario } from '../sim/scenario.ts';
import { ARTIFACTS, useChromium, watch } from './chromium.ts';
import bigRun, { crowd } from './fixtures/big-run.ts';
import twoInFlight from './fixtures/two-in-flight.ts';
import { runCli } from './run-cli.ts';

const ROOT = join(import.meta.dirname, '..');
const FILE = 'scenarios/stale-read.ts';

const run = runScenario(staleRead);
const scenario = effectiveScenario(staleRead, run);
const doc = traceDocument(run, {
  file: FILE,
  goal: staleRead.goal,
  replay: replayCommand(FILE, run, undefined, []),
  definition: scenario,
});

/**
 * Replication with no delay: s3 is up to date when c1 and c2 ask it, so the stale read the
 * scenario sets out to show (its linearizability finding) is gone, and two expectations with it.
 */
const NO_DELAY = 'knob:replicationDelay=0';

/** The REPLICATION that brings s3 the new x: the last one the leader sends it. */
const replicationToS3 = doc.events
  .filter((e) => e.kind === 'send' && e.to === 's3' && e.message.type === 'REPLICATION')
  .at(-1) as { id: number };

const browser = useChromium();
let url = '';

beforeAll(() => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, 'lab.html');
  writeFileSync(path, renderHtml(doc, {}, labPage()));
  url = pathToFileURL(path).href;
});

/**
 * Writes a scenario's lab page into test-artifacts/, as `npm run sim -- <file> --html` does, as
 * lab-<name>.html: the browser tests, which may run at the same time, write pages without the lab
 * under the scenarios' own names, and one written over another between its writing and its
 * loading showed the other page.
 */
function writeLabPage(scenario: Scenario, file: string, name: string) {
  const own = runScenario(scenario);
  const definition = effectiveScenario(scenario, own);
  const doc = traceDocument(own, { file, goal: scenario.goal, replay: '', definition });
  const path = join(ARTIFACTS, `lab-${name}.html`);
  writeFileSync(path, renderHtml(doc, {}, labPage()));
  return { own, doc, href: pathToFileURL(path).href };
}

interface Opened {
  readonly page: Page;
  /** Console errors, uncaught exceptions, and requests for anything but the page itself. */
  readonly problems: string[];
}

/** Opens the stale-read lab page, or another page at `href`, once its lab has rerun the scenario. */
async function open(fragment = '', href = url): Promise<Opened> {
  const context = await browser().newContext({
    viewport: { width: 1600, height: 1000 },
    acceptDownloads: true,
  });
  const page = await context.newPage();
  const problems = watch(page, href);
  await page.goto(href + fragment);
  // The lab reruns the scenario once the page is drawn; its status line then gives the hash.
  await page.waitForFunction(
    () => !document.getElementById('lab-status')?.textContent?.startsWith('Rerunning'),
  );
  return { page, problems };
}

describe('the lab on the stale-read page', () => {
  let opened: Opened;
  beforeAll(async () => {
    opened = await open();
  });
  afterAll(async () => {
    await opened?.page.context().close();
  });

  it("reruns the scenario in the browser to the page's own trace hash", async () => {
    await expect(opened.page.locator('#lab-status').textContent()).resolves.toContain(
      `trace hash ${doc.run.hash}, the same as the page's`,
    );
  });

  it('dropping the REPLICATION to s3 breaks convergence, and the diff says so', async () => {
    const { page } = opened;
    const id = replicationToS3.id;
    await page.locator(`#diagram g.msg[data-msg="${id}"] .hit`).click({ force: true });
    await page.getByRole('button', { name: 'is lost' }).click();
    // The same edit in Node: s3 never stores x=2, so at quiescence the replicas differ (§3).
    const w = runWhatIf(scenario, [{ kind: 'drop', message: id }]);
    const diff = diffRuns(w);
    const convergence = diff.verdicts.find((v) => v.guarantee === 'convergence');
    expect(convergence).toMatchObject({ was: 'held', now: 'broken (1)' });
    const changes = await page.locator('#lab-changes').textContent();
    for (const v of diff.verdicts)
      expect(changes).toContain(`${GUARANTEE_NAMES[v.guarantee]}: ${v.was} → ${v.now}`);
    for (const x of diff.expectations) expect(changes).toContain(`step ${x.step}: ${x.label}`);
    expect(diff.expectations.length).toBeGreaterThan(0);
    await expect(page.locator('.lab-col[data-side="now"] .lab-hash').textContent()).resolves.toBe(
      w.edited.result.hash,
    );
    await expect(page.locator('#lab-divergence').textContent()).resolves.toContain(`msg ${id}`);
    // Where the click was, a note says what changed.
    await expect(page.locator('#lab-toast').textContent()).resolves.toContain(
      'convergence held → broken (1)',
    );
    await expect(page.locator('#lab-toast').isVisible()).resolves.toBe(true);
    await page.locator('#lab').screenshot({ path: join(ARTIFACTS, 'lab-drop.png') });
    // The edit is kept in the address.
    const params = new URLSearchParams(new URL(page.url()).hash.slice(1));
    expect(params.get('whatif')).toBe(`drop:${id}`);
    expect(opened.problems).toEqual([]);
  });

  it('downloads a scenario that npm run sim replays to the hash the page shows', async () => {
    // Its own page, opened with the lost REPLICATION in the address: it needs no edit made by
    // the tests before it (run alone with -t, it found no what-if to download).
    const { page, problems } = await open(`#whatif=drop:${replicationToS3.id}`);
    const shown = await page.locator('.lab-col[data-side="now"] .lab-hash').textContent();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('#lab-download').click(),
    ]);
    const saved = join(ARTIFACTS, download.suggestedFilename());
    await download.saveAs(saved);
    const replay = runCli('sim', [saved, '--quiet']);
    expect(replay.stderr).toBe('');
    expect(replay.stdout).toContain(`trace hash ${shown}`);
    // It keeps the original's expectations; its header says which the what-if no longer meets,
    // and that the replay therefore exits 1, as it does.
    const header = readFileSync(saved, 'utf8')
      .split('*/')[0]!
      .replace(/\n \* /g, ' ');
    const missed = [...replay.stdout.matchAll(/✗ (step \d+):/g)].map((m) => m[1]!);
    expect(missed.length).toBeGreaterThan(0);
    expect(header).toContain(
      `npm run sim marks what the what-if no longer meets (${missed.join('; ')}; convergence broke unexpectedly) and exits 1`,
    );
    expect(replay.status).toBe(1);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('a page whose scenario definition kvsim cannot run (made by hand, or by an earlier view)', () => {
  it('says in one sentence, where the lab would be, why it cannot rerun it, and throws nothing', async () => {
    const broken = {
      ...doc,
      scenario: { ...doc.scenario, definition: { goal: 'x', steps: 'nope' } },
    };
    const path = join(ARTIFACTS, 'lab-broken-definition.html');
    writeFileSync(path, renderHtml(broken as unknown as typeof doc, {}, labPage()));
    const { page, problems } = await open('', pathToFileURL(path).href);
    try {
      await expect(page.locator('#lab-status').textContent()).resolves.toMatch(
        /^The lab cannot rerun this page's scenario: its definition is not one kvsim can run \(steps must be a list .*\)\. The diagram above is the run as recorded; npm run sim -- <scenario\.ts> --html writes a page with a lab that runs\.$/,
      );
      await expect(page.locator('#lab button').count()).resolves.toBe(0);
      expect(problems).toEqual([]);
    } finally {
      await page.context().close();
    }
  });
});

describe('the stale-read page opened with the REPLICATION to s3 lost', () => {
  // Its own page, the edit in the address: these tests need no edit made by the tests before
  // them (each passes run alone with -t).
  let opened: Opened;
  beforeAll(async () => {
    opened = await open(`#whatif=drop:${replicationToS3.id}`);
  });
  afterAll(async () => {
    await opened?.page.context().close();
  });

  it("a witness of the run's end (convergence) leads to the what-if run's last row", async () => {
    const { page } = opened;
    await page.getByRole('button', { name: /^witness: At the end s1 holds x = 2/ }).click();
    const marked = page.locator('#lab-run li.lab-witness');
    await expect(marked.count()).resolves.toBe(1);
    await expect(marked.getAttribute('data-trace')).resolves.toBe(
      await page.locator('#lab-run li').last().getAttribute('data-trace'),
    );
    await expect(marked.isVisible()).resolves.toBe(true);
    expect(opened.problems).toEqual([]);
  });

  it("an event only the what-if run has, clicked, is shown in that run's own list", async () => {
    const { page } = opened;
    const event = page.locator('#lab-differ .lab-events[data-side="edited"] li button').first();
    const text = await event.textContent();
    await event.click();
    await expect(page.locator('#lab-run-box').getAttribute('open')).resolves.not.toBeNull();
    const marked = page.locator('#lab-run li.lab-witness');
    await expect(marked.count()).resolves.toBe(1);
    await expect(marked.textContent()).resolves.toBe(text);
    await expect(marked.isVisible()).resolves.toBe(true);
    expect(opened.problems).toEqual([]);
  });

  it('numbers each differing event beside its first line, even when it wraps', async () => {
    const { page } = opened;
    // A window narrow enough that the events wrap; the number sits on the line's baseline, so
    // where a text put before the event lands is where the number is.
    await page.setViewportSize({ width: 1024, height: 768 });
    const lines = await page
      .locator('#lab-differ .lab-events[data-side="base"] li')
      .evaluateAll((items) =>
        items.map((li) => {
          const link = li.querySelector('button')!;
          const probe = document.createElement('span');
          probe.textContent = '\u200b';
          li.prepend(probe);
          const at = probe.getBoundingClientRect().top - link.getBoundingClientRect().top;
          probe.remove();
          return { at, height: link.getBoundingClientRect().height };
        }),
      );
    expect(lines.some((l) => l.height > 30)).toBe(true);
    for (const l of lines) expect(l.at).toBeLessThan(10);
    await page.setViewportSize({ width: 1600, height: 1000 });
  });
});

/** The trace event each step of the page shows, from the page's own view model. */
async function pageSteps(page: Page): Promise<number[]> {
  return JSON.parse((await page.locator('#kvsim-view').textContent())!).steps.traceIndex;
}

/** The page's steps, and the step of the row where c1 asks s3 at 27 s. */
async function askedAt27(page: Page): Promise<{ steps: number[]; step: number }> {
  const steps = await pageSteps(page);
  const asked = doc.events.findIndex(
    (e) => e.kind === 'record' && e.observation.kind === 'invoke' && e.t === 27_000,
  );
  return { steps, step: steps.indexOf(asked) };
}

describe('edits from the diagram', () => {
  it("crashes a node at the selected step's time, and the first divergence leads back into the diagram", async () => {
    const { page, problems } = await open();
    // Select the step where c1 asks s3 at 27 s, then crash s3 from its lane's name.
    const { steps, step } = await askedAt27(page);
    expect(step).toBeGreaterThan(-1);
    await page.locator(`#diagram .row-bg[data-step="${step}"]`).click({ force: true });
    await page.locator('#diagram .lane-head[data-node="s3"]').first().click({ force: true });
    await page.getByRole('button', { name: /^crashes at 27\.000s/ }).click();
    const w = runWhatIf(scenario, [{ kind: 'crash', node: 's3', at: 27_000 }]);
    await expect(page.locator('#lab-edits').textContent()).resolves.toContain('crash:s3@27000');
    await expect(page.locator('.lab-col[data-side="now"] .lab-hash').textContent()).resolves.toBe(
      w.edited.result.hash,
    );
    // The first divergence, clicked, selects the diagram's step that shows it.
    const d = diffRuns(w).divergence!;
    await page.locator('#lab-divergence button').first().click();
    const shown = Number(await page.locator('#step-info').getAttribute('data-trace-index'));
    expect(shown).toBeLessThanOrEqual(d.base!.traceIndex);
    expect(steps.filter((s) => s > shown && s <= d.base!.traceIndex)).toEqual([]);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('a node clicked on its lane, right after the page opens', () => {
  it("offers the crash at the time of the row clicked, not at the run's end, and selects that row", async () => {
    const { page, problems } = await open();
    // The row where c1 asks s3 at 27 s, clicked on s3's lane (a thin line) or just beside it.
    const { step } = await askedAt27(page);
    const row = page.locator(`#diagram .row-bg[data-step="${step}"]`);
    await row.scrollIntoViewIfNeeded();
    const rowBox = (await row.boundingBox())!;
    const head = (await page.locator('#diagram .lane-head[data-node="s3"]').first().boundingBox())!;
    for (const off of [0, 6]) {
      await page.mouse.click(head.x + head.width / 2 + off, rowBox.y + rowBox.height / 2);
      await expect(page.locator('#lab-menu').textContent()).resolves.toMatch(
        /^What if s3…crashes at 27\.000srestarts at 27\.000s \(s3 is up then: nothing changes\).*the time of the row clicked/,
      );
      await expect(page.locator('#step-info').getAttribute('data-step')).resolves.toBe(
        String(step),
      );
      // Where the time comes from is said inside the menu, not cut off at its edge.
      const inside = await page.evaluate(() => {
        const menu = document.getElementById('lab-menu')!.getBoundingClientRect();
        const hint = document.querySelector('#lab-menu .lab-hint')!.getBoundingClientRect();
        return hint.left >= menu.left && hint.right <= menu.right;
      });
      expect(inside).toBe(true);
      await page.keyboard.press('Escape');
    }
    // Another time typed in the box is the one the crash takes, and the buttons say it.
    await page.mouse.click(head.x + head.width / 2, rowBox.y + rowBox.height / 2);
    await page.getByRole('spinbutton', { name: 'when, in ms' }).fill('26500');
    await page.getByRole('button', { name: 'crashes at 26.500s' }).click();
    await expect(page.locator('#lab-edits').textContent()).resolves.toContain('crash:s3@26500');
    await expect(page.locator('.lab-col[data-side="now"] .lab-hash').textContent()).resolves.toBe(
      runWhatIf(scenario, [parseEdit('crash:s3@26500')]).edited.result.hash,
    );
    // s3 was up at 27 s, and is down then in the what-if run: which edit would change nothing.
    const menu = page.locator('#lab-menu');
    await page.mouse.click(head.x + head.width / 2, rowBox.y + rowBox.height / 2);
    await expect(menu.textContent()).resolves.toContain(
      'crashes at 27.000s (s3 is down then: nothing changes)restarts at 27.000s',
    );
    await expect(menu.textContent()).resolves.not.toContain('s3 is up then');
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

/** The stale-read lab opened on the no-delay what-if, and that what-if run in Node. */
async function openNoDelay() {
  const w = runWhatIf(scenario, [parseEdit(NO_DELAY)]);
  return { w, ...(await open(`#whatif=${NO_DELAY}`)) };
}

describe('an expectation the edit defeats', () => {
  it('is coloured and worded by which way it goes: a removed anomaly is good news, a lost reply bad', async () => {
    // No replication delay: s3 is up to date at 27 s, so c1 is no longer refused and c2 no
    // longer reads the old value: the expected stale read, the linearizability finding, is gone.
    const { w, page, problems } = await openNoDelay();
    const lin = run.verdicts.find((v) => v.guarantee === 'linearizability')!;
    const witnessOps = new Set(lin.violations.flatMap((v) => v.ops));
    const defeated = diffRuns(w).expectations.filter((x) => x.was === 'met');
    const staleStep = defeated.find((x) => witnessOps.has(x.opId))!;
    const other = defeated.find((x) => !witnessOps.has(x.opId))!;
    expect(staleStep).toBeDefined();
    expect(other).toBeDefined();
    expect(w.edited.verdicts.find((v) => v.guarantee === 'linearizability')?.status).toBe('held');
    const item = (step: number) => page.locator(`#lab-changes li[data-step="${step}"]`);
    const colour = (step: number) => item(step).evaluate((e) => getComputedStyle(e).color);
    await expect(item(staleStep.step).textContent()).resolves.toContain(
      'met → not met (the value was 2); the edit defeats it, taking away the anomaly it showed: linearizability (informative) now held',
    );
    await expect(colour(staleStep.step)).resolves.toBe(await colourOf(page, '--good'));
    await expect(item(other.step).textContent()).resolves.toContain('; the edit defeats it');
    await expect(colour(other.step)).resolves.toBe(await colourOf(page, '--bad'));
    // The verdict the scenario expected (the finding), gone the same way, in the same colour.
    await expect(page.locator('#lab-unmet').textContent()).resolves.toContain(
      'was expected but not found',
    );
    await expect(
      page.locator('#lab-unmet').evaluate((e) => getComputedStyle(e).color),
    ).resolves.toBe(await colourOf(page, '--good'));
    await page.locator('#lab').screenshot({ path: join(ARTIFACTS, 'lab-defeated.png') });
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe("each run's size in the comparison", () => {
  it("counts the page's run in the slider's steps and the what-if run in its list's rows, beside the events", async () => {
    const { w, page, problems } = await openNoDelay();
    const slider = await page.locator('#step-info b').textContent();
    const steps = Number(/of (\d+)$/.exec(slider ?? '')![1]);
    await expect(
      page.locator('.lab-col[data-side="was"] .lab-size').textContent(),
    ).resolves.toContain(
      `${run.result.events} simulator events, drawn as the diagram's ${steps} steps`,
    );
    const rows = await page.locator('#lab-run li').count();
    await expect(page.locator('#lab-run-box summary').textContent()).resolves.toContain(
      `(${rows} rows;`,
    );
    await expect(
      page.locator('.lab-col[data-side="now"] .lab-size').textContent(),
    ).resolves.toContain(
      `${w.edited.result.events} simulator events, listed as ${rows} rows below`,
    );
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

/**
 * follower-down-blocks-puts's page with s3 restarted at 5 s, and that what-if's diff in Node. s3
 * down for good: the leader resends to it every 0.5 s until the run is cut. Restarted at 5 s,
 * the resends stop: all those after 5 s are only in the page's run.
 */
async function openStorms() {
  const name = 'follower-down-blocks-puts';
  const { own, href } = writeLabPage(followerDownBlocksPuts, `scenarios/${name}.ts`, name);
  const edit = 'restart:s3@5000';
  const diff = diffRuns(
    runWhatIf(effectiveScenario(followerDownBlocksPuts, own), [parseEdit(edit)]),
  );
  return { diff, ...(await open(`#whatif=${edit}`, href)) };
}

describe('the events that differ, in a run of retransmission storms', () => {
  it('fold each storm into its first event with a count, as the diagram does', async () => {
    const { diff, page, problems } = await openStorms();
    const timeouts = diff.onlyBase.filter(
      (e) =>
        e.event.kind === 'timer' &&
        (e.event.timer as { kind?: string }).kind === 'replicationTimeout',
    );
    expect(timeouts.length).toBeGreaterThan(10);
    const base = page.locator('#lab-differ .lab-events[data-side="base"] li');
    const lines = await base.allTextContents();
    const folded = lines.filter((l) => l.includes('replicationTimeout'));
    expect(folded).toEqual([
      expect.stringContaining(
        `×${timeouts.length}, the last at ${formatTime(timeouts.at(-1)!.event.t)}`,
      ),
    ]);
    expect(lines.length).toBeLessThan(diff.onlyBase.length);
    // The heading still counts every event.
    await expect(page.locator('#lab-differ h3').textContent()).resolves.toContain(
      `${diff.onlyBase.length} only in this run`,
    );
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('the events that differ, counted and listed', () => {
  it("number the list by events, as the heading counts them: a storm's line takes all its numbers", async () => {
    const { diff, page, problems } = await openStorms();
    const heading = (await page.locator('#lab-differ h3').textContent())!;
    const [, base, edited] = /\((\d+) only in this run, (\d+) only in the what-if\)/.exec(heading)!;
    for (const [side, counted, events] of [
      ['base', base, diff.onlyBase],
      ['edited', edited, diff.onlyEdited],
    ] as const) {
      // What each line's number says, as drawn (its marker), and the storm's count it shows.
      const lines = await page
        .locator(`#lab-differ .lab-events[data-side="${side}"] li`)
        .evaluateAll((items) =>
          items.map((li) => ({
            marker: getComputedStyle(li, '::marker').content,
            value: (li as HTMLLIElement).value,
            text: li.textContent ?? '',
          })),
        );
      let next = 1;
      for (const line of lines) {
        const times = Number(/ ×(\d+), the last at/.exec(line.text)?.[1] ?? 1);
        const shown =
          times > 1
            ? `"${next}–${next + times - 1}. "`
            : line.marker === 'normal'
              ? line.value
              : -1;
        expect(shown, line.text).toBe(times > 1 ? line.marker : next);
        next += times;
      }
      expect(lines.some((l) => / ×\d+/.test(l.text))).toBe(side === 'base');
      // The last number is the heading's count, and the run's.
      expect(next - 1).toBe(Number(counted));
      expect(next - 1).toBe(events.length);
    }
    await page
      .locator('#lab-differ')
      .screenshot({ path: join(ARTIFACTS, 'lab-differ-numbers.png') });
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('a node clicked on its lane across a folded gap', () => {
  it('offers a time inside the skipped stretch, not the selected step', async () => {
    const { page, problems } = await open();
    // The run's first idle stretch the diagram folds (a second or more with no event).
    const times = run.result.trace.map((e) => e.t);
    const k = times.findIndex((t, i) => i + 1 < times.length && times[i + 1]! - t >= 1000);
    const from = times[k]!;
    const until = times[k + 1]!;
    const fold = page.locator('#diagram .fold-bg').first();
    await fold.scrollIntoViewIfNeeded();
    const box = (await fold.boundingBox())!;
    const head = (await page.locator('#diagram .lane-head[data-node="s2"]').first().boundingBox())!;
    await page.mouse.click(head.x + head.width / 2, box.y + box.height / 2);
    const menu = page.locator('#lab-menu');
    await expect(menu.textContent()).resolves.toMatch(
      new RegExp(`^What if s2…crashes at ${formatTime(from + 1).replace('.', '\\.')}`),
    );
    await expect(menu.textContent()).resolves.toContain(
      `nothing happens from ${formatTime(from)} to ${formatTime(until)}`,
    );
    await page.getByRole('button', { name: `crashes at ${formatTime(from + 1)}` }).click();
    await expect(page.locator('#lab-edits').textContent()).resolves.toContain(
      `crash:s2@${from + 1}`,
    );
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe("the browser's Back and Forward", () => {
  it('take back the last edit made on the page, then bring it again, never leaving the page', async () => {
    const { page, problems } = await open();
    const drop = `drop:${replicationToS3.id}`;
    await page
      .locator(`#diagram g.msg[data-msg="${replicationToS3.id}"] .hit`)
      .click({ force: true });
    await page.getByRole('button', { name: 'is lost' }).click();
    await page.locator('#lab-seed').fill('2');
    await page.locator('.lab-setting').nth(2).getByRole('button', { name: 'rerun' }).click();
    const chips = (want: string) =>
      page.waitForFunction(
        (w) =>
          [...document.querySelectorAll('#lab-edits code')].map((c) => c.textContent).join(',') ===
          w,
        want,
      );
    await expect(page.locator('#lab-edits code').count()).resolves.toBe(2);
    await page.goBack();
    await chips(drop);
    // The run shown is the drop's alone, and the note of the seed's edit is gone with it.
    await expect(page.locator('.lab-col[data-side="now"] .lab-hash').textContent()).resolves.toBe(
      runWhatIf(scenario, [parseEdit(drop)]).edited.result.hash,
    );
    await expect(page.locator('#lab-toast').isHidden()).resolves.toBe(true);
    await page.goBack();
    await chips('');
    await expect(page.locator('#lab-edits').textContent()).resolves.toContain('no edit yet');
    await page.goForward();
    await chips(drop);
    expect(new URLSearchParams(new URL(page.url()).hash.slice(1)).get('whatif')).toBe(drop);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe("an edit's note in a wide window", () => {
  it("leaves the step panel's buttons and its step uncovered", async () => {
    const { page, problems } = await open();
    await page
      .locator(`#diagram g.msg[data-msg="${replicationToS3.id}"] .hit`)
      .click({ force: true });
    await page.getByRole('button', { name: 'is lost' }).click();
    await expect(page.locator('#lab-toast').isHidden()).resolves.toBe(false);
    await page.screenshot({ path: join(ARTIFACTS, 'lab-note-wide.png') });
    for (const probe of ['#first', '#prev', '#next', '#last', '#step-info'])
      expect(await uncovered(page, probe), probe).toBe(true);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe("the keys in the lab's boxes", () => {
  it('arrows move the caret in the box, leaving the step shown as it was; Enter runs the box', async () => {
    const { page, problems } = await open('#step=20');
    const step = () => page.locator('#step-info').getAttribute('data-step');
    const before = await step();
    const seed = page.locator('#lab-seed');
    await seed.fill('12');
    await seed.press('ArrowLeft');
    await seed.press('3');
    await expect(seed.inputValue()).resolves.toBe('132');
    await seed.press('Home');
    await expect(step()).resolves.toBe(before);
    // Away from the boxes, the arrows step the diagram as before.
    await seed.blur();
    await page.keyboard.press('ArrowRight');
    await expect(step()).resolves.toBe(String(Number(before) + 1));
    // Enter in a box runs the button beside it: the seed's rerun, the message's delay.
    await seed.press('Enter');
    await expect(page.locator('#lab-edits').textContent()).resolves.toContain('seed:132');
    await page
      .locator(`#diagram g.msg[data-msg="${replicationToS3.id}"] .hit`)
      .click({ force: true });
    const delay = page.getByRole('spinbutton', { name: 'delay in ms' });
    await delay.fill('700');
    await delay.press('Enter');
    await expect(page.locator('#lab-edits').textContent()).resolves.toMatch(/delay:\d+:700/);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('the step in the address', () => {
  it('#step=0 opens at the first step, and a step typed in later moves the page there', async () => {
    const { page, problems } = await open('#step=0');
    const shown = () => page.locator('#step-info b').textContent();
    await expect(shown()).resolves.toMatch(/^Step 1 of \d+$/);
    await page.evaluate(() => {
      window.location.hash = 'step=3';
    });
    await page.waitForFunction(() =>
      document.querySelector('#step-info b')?.textContent?.startsWith('Step 3 '),
    );
    // The lab kept its run: moving to a step is no edit.
    await expect(page.locator('#lab-status').textContent()).resolves.not.toMatch(/Not applied/);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('the lane names kept at the top while scrolling', () => {
  it('open the node menu as the names above the diagram do', async () => {
    const { page, problems } = await open('#step=20');
    await page.evaluate(() => window.scrollTo(0, 1200));
    const name = page.locator('.lane-bar-name[data-node="s3"]');
    await expect(name.isVisible()).resolves.toBe(true);
    await name.click();
    await expect(page.locator('#lab-menu').textContent()).resolves.toMatch(
      /^What if s3…crashes at /,
    );
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe("the selected step's time, with an edit in place", () => {
  it('is the time the diagram shows, not that of the what-if run at the same place', async () => {
    // A copy of an early message shifts every later event of the what-if run by one.
    const { page, problems } = await open('#step=30&whatif=duplicate:3');
    const shown = /· (\d+\.\d{3}s)/.exec((await page.locator('#step-info').textContent())!)![1]!;
    await page.locator('#diagram .lane-head[data-node="s3"]').first().click({ force: true });
    await expect(page.locator('#lab-menu').textContent()).resolves.toContain(`crashes at ${shown}`);
    await expect(page.locator('#lab-menu').textContent()).resolves.toContain(
      "the selected step's time",
    );
    // Step by hand starts there as well, in the what-if run.
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'step by hand' }).click();
    const trace = runWhatIf(scenario, [parseEdit('duplicate:3')]).edited.result.trace;
    const seconds = Number(shown.slice(0, -1)) * 1000;
    const by = trace
      .filter((e) => e.t <= seconds && e.kind !== 'send' && e.kind !== 'state')
      .at(-1)!;
    await expect(page.locator('#lab-hand-at').textContent()).resolves.toMatch(
      new RegExp(`^After: ${formatTime(by.t).replace('.', '\\.')} `),
    );
    await page.getByRole('button', { name: 'leave step by hand' }).click();
    // A message's hold starts as that message leaves in the what-if run, so that it is held: the
    // click selects the step it arrives at, which would let it through.
    await page.keyboard.press('Escape');
    await page
      .locator(`#diagram g.msg[data-msg="${replicationToS3.id}"] .hit`)
      .click({ force: true });
    const there = sameMessage(run.result.trace, trace, replicationToS3.id)!;
    const leaves = trace.find((e) => e.kind === 'send' && e.id === there)!.t;
    const at = /· (\d+\.\d{3}s)/.exec((await page.locator('#step-info').textContent())!)![1]!;
    expect(at).not.toBe(formatTime(leaves));
    await expect(page.locator('#lab-menu').textContent()).resolves.toContain(
      `holds messages from ${formatTime(leaves)} for`,
    );
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('a message clicked in the diagram, with an edit that renumbers the what-if run', () => {
  it('is the message clicked, found in the what-if run by what it is', async () => {
    // A copy of message 3 numbers every later message of the what-if run one higher.
    const { page, problems } = await open('#whatif=duplicate:3');
    const base = doc.events.find((e) => e.kind === 'send' && e.id === replicationToS3.id) as {
      from: string;
      to: string;
      message: { type: string };
    };
    await page
      .locator(`#diagram g.msg[data-msg="${replicationToS3.id}"] .hit`)
      .click({ force: true });
    await expect(page.locator('#lab-menu .lab-menu-title').textContent()).resolves.toMatch(
      new RegExp(
        `^What if message #\\d+ \\(REPLICATION w2 x=2 ts=\\d+, ${base.from} → ${base.to}, `,
      ),
    );
    await page.getByRole('button', { name: 'is lost' }).click();
    const edits = new URLSearchParams(new URL(page.url()).hash.slice(1)).get('whatif')!.split(',');
    expect(edits[0]).toBe('duplicate:3');
    // Rerun in Node: the message the second edit drops is the REPLICATION clicked.
    const w = runWhatIf(scenario, edits.map(parseEdit));
    const dropped = w.edited.result.trace.filter((e) => e.kind === 'drop');
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatchObject({
      from: base.from,
      to: base.to,
      message: { type: 'REPLICATION' },
    });
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('settings', () => {
  it('flipping a knob reruns with it: a retransmitting leader repairs the lost REPLICATION', async () => {
    const id = replicationToS3.id;
    const { page, problems } = await open(`#whatif=drop:${id}`);
    await page.locator('#lab-knob').selectOption('ackPolicy');
    await page.locator('#lab-knob-value').selectOption('all-followers');
    await page.locator('.lab-settings button').first().click();
    // The knob shapes the run the lost message is chosen in: it goes before it.
    const edits = [parseEdit('knob:ackPolicy=all-followers'), parseEdit(`drop:${id}`)];
    const w = runWhatIf(scenario, edits);
    // Retransmitted until acknowledged, the write reaches s3: convergence holds again (§3).
    expect(w.edited.verdicts.find((v) => v.guarantee === 'convergence')?.status).toBe('held');
    await expect(page.locator('.lab-col[data-side="now"] .lab-hash').textContent()).resolves.toBe(
      w.edited.result.hash,
    );
    expect(new URLSearchParams(new URL(page.url()).hash.slice(1)).get('whatif')).toBe(
      `knob:ackPolicy=all-followers,drop:${id}`,
    );
    // The link a teacher copies reads as the edits are written, '=' and all.
    expect(new URL(page.url()).hash).toContain(`whatif=knob:ackPolicy=all-followers,drop:${id}`);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('refuses a seed or a knob value it cannot take, saying why, and keeps the run as it was', async () => {
    const { page, problems } = await open();
    const rerunButtons = page.locator('.lab-settings button');
    const refusal = /^Not applied: the seed must be a whole number from 0 to 9007199254740991/;
    // An empty box, a negative and a fractional seed: none is read as some other seed.
    for (const typed of ['', '-3', '1.5']) {
      await page.locator('#lab-seed').fill(typed);
      await rerunButtons.nth(2).click();
      await expect(page.locator('#lab-status').textContent(), typed).resolves.toMatch(refusal);
      // Made in the lab's own settings row: no note over the status line that says it.
      await expect(page.locator('#lab-toast').isHidden(), typed).resolves.toBe(true);
      await expect(page.locator('#lab-edits').textContent()).resolves.toBe('no edit yet');
      expect(new URL(page.url()).hash).not.toContain('whatif');
    }
    // The status says which run is still shown, and that it reruns to the page's hash.
    const status = await page.locator('#lab-status').textContent();
    expect(status).toContain("The lab keeps the run it showed: it shows the page's own run.");
    expect(status).toContain(`trace hash ${doc.run.hash}, the same as the page's`);
    // An empty knob box is said in words, not as (got '').
    await page.locator('#lab-knob').selectOption('replicationDelay');
    await page.locator('#lab-knob-number').fill('');
    await rerunButtons.first().click();
    await expect(page.locator('#lab-status').textContent()).resolves.toMatch(
      /^Not applied: knob replicationDelay must be an integer from 0 to \d+ \(ms\) \(no value was given\)\. /,
    );
    // A knob out of its range is worded as --knob words it, in the status and where the click was.
    await page.locator('#lab-knob').selectOption('replicationDelay');
    await page.locator('#lab-knob-number').fill('-5');
    await rerunButtons.first().click();
    const knob = /^Not applied: knob replicationDelay must be an integer from 0 to 3600000/;
    await expect(page.locator('#lab-status').textContent()).resolves.toMatch(knob);
    await expect(page.locator('#lab-toast').isHidden()).resolves.toBe(true);
    await expect(page.locator('#lab-edits').textContent()).resolves.toBe('no edit yet');
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('an edit made again', () => {
  const whatif = (page: Page) =>
    new URLSearchParams(new URL(page.url()).hash.slice(1)).get('whatif');

  it('replaces the seed and a knob as a box typed in again, and adds a second lost message', async () => {
    const id = replicationToS3.id;
    const { page, problems } = await open(`#whatif=drop:${id}`);
    const rerunButtons = page.locator('.lab-settings button');
    for (const seed of ['2', '3']) {
      await page.locator('#lab-seed').fill(seed);
      await rerunButtons.nth(2).click();
    }
    await page.locator('#lab-knob').selectOption('ackPolicy');
    for (const value of ['all-followers', 'ignore-failures']) {
      await page.locator('#lab-knob-value').selectOption(value);
      await rerunButtons.first().click();
    }
    // Settings go before the lost message, which stays the REPLICATION to s3 (the same id here).
    expect(whatif(page)).toBe(`seed:3,knob:ackPolicy=ignore-failures,drop:${id}`);
    await expect(page.locator('#lab-edits code').allTextContents()).resolves.toEqual([
      'seed:3',
      'knob:ackPolicy=ignore-failures',
      `drop:${id}`,
    ]);
    // Another knob is an edit of its own; a second lost message too.
    await page.locator('#lab-knob').selectOption('followerApply');
    await page.locator('#lab-knob-value').selectOption('newer-wins');
    await rerunButtons.first().click();
    const w = runWhatIf(scenario, [
      parseEdit('seed:3'),
      parseEdit('knob:ackPolicy=ignore-failures'),
      parseEdit('knob:followerApply=newer-wins'),
      parseEdit(`drop:${id}`),
    ]);
    expect(w.edited.seed).toBe(3);
    expect(whatif(page)).toBe(w.edits.map((e) => editText(e)).join(','));
    await expect(page.locator('.lab-col[data-side="now"] .lab-hash').textContent()).resolves.toBe(
      w.edited.result.hash,
    );
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('a link with a knob flipped opens with that knob and its value in the knob box', async () => {
    const { page, problems } = await open(`#whatif=${NO_DELAY},knob:ackPolicy=all-followers`);
    await expect(page.locator('#lab-knob').inputValue()).resolves.toBe('ackPolicy');
    await expect(page.locator('#lab-knob-value').inputValue()).resolves.toBe('all-followers');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('address with the same seed twice opens as the later one alone', async () => {
    const { page, problems } = await open('#whatif=seed:2,seed:5');
    expect(whatif(page)).toBe('seed:5');
    await expect(page.locator('#lab-edits code').allTextContents()).resolves.toEqual(['seed:5']);
    await expect(page.locator('.lab-col[data-side="now"] .lab-hash').textContent()).resolves.toBe(
      runWhatIf(scenario, [parseEdit('seed:5')]).edited.result.hash,
    );
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('the list of edits', () => {
  it('numbers the edits in the order they apply: a knob set after a lost message applies first', async () => {
    const id = replicationToS3.id;
    const { page, problems } = await open(`#whatif=drop:${id}`);
    await page.locator('#lab-knob').selectOption('ackPolicy');
    await page.locator('#lab-knob-value').selectOption('all-followers');
    await page.locator('.lab-settings button').first().click();
    await page.waitForFunction(() => document.querySelectorAll('#lab-edits code').length === 2);
    // The order the same edits apply in, in Node: a setting shapes the run a message edit aims at.
    const applied = runWritten(scenario, [
      parseEdit(`drop:${id}`),
      parseEdit('knob:ackPolicy=all-followers'),
    ]).edits.map((e) => editText(e));
    expect(applied).toEqual(['knob:ackPolicy=all-followers', `drop:${id}`]);
    // Each chip reads with its number before it, as a student sees it.
    const chips = (await page.locator('#lab-edits li').allInnerTexts()).map((text) =>
      text.replace('×', '').replace(/\s+/g, ' ').trim(),
    );
    expect(chips).toEqual(applied.map((text, i) => `${i + 1}. ${text}`));
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe("the what-if run's verdicts beside the page's", () => {
  it("are coloured as 'What changed' colours them: a verdict no longer judged in amber, not red", async () => {
    // s3 crashed for good (with all-followers acks, and the seed-3 run): the run never settles,
    // so convergence is no longer judged, while liveness breaks.
    const edits = `seed:3,knob:ackPolicy=all-followers,drop:${replicationToS3.id},crash:s3@27000`;
    const w = runWritten(scenario, edits.split(',').map(parseEdit));
    const tones = Object.fromEntries(diffRuns(w).verdicts.map((v) => [v.guarantee, v]));
    expect(tones.convergence).toMatchObject({ now: 'not judged', tone: 'finding' });
    expect(tones.liveness).toMatchObject({ tone: 'worse' });
    const { page, problems } = await open(`#whatif=${edits}`);
    const colour = (g: string) =>
      page
        .locator(`.lab-col[data-side="now"] li[data-g="${g}"]`)
        .evaluate((e) => getComputedStyle(e).color);
    await expect(colour('convergence')).resolves.toBe(await colourOf(page, '--warn'));
    await expect(colour('liveness')).resolves.toBe(await colourOf(page, '--bad'));
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('the first divergence', () => {
  it('says when the runs part, the earlier of the two next events, as the terminal does', async () => {
    // A crash at 0.6 s on the lock page: the what-if's next event (the crash) comes before the
    // page's (c2's timer at 1.02 s).
    const file = 'scenarios/lock-released-by-stranger.ts';
    const { own, href } = writeLabPage(lockReleasedByStranger, file, 'lock-stranger');
    const edit = 'crash:c1@600';
    const d = diffRuns(runWhatIf(effectiveScenario(lockReleasedByStranger, own), [parseEdit(edit)]))
      .divergence!;
    expect(d.edited!.event.t).toBeLessThan(d.base!.event.t);
    const { page, problems } = await open(`#whatif=${edit}`, href);
    await expect(page.locator('#lab-divergence h3').textContent()).resolves.toBe(
      `First divergence, at ${formatTime(d.edited!.event.t)}`,
    );
    const out = runCli('sim', [file, '--quiet', '--what-if', edit]);
    expect(out.stdout).toContain(`first divergence at ${formatTime(d.edited!.event.t)}`);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('the diagram in a 1024 px window', () => {
  /** Whether every row's words at the diagram's right are in its frame, and how far it scrolls. */
  const framed = (page: Page) =>
    page.evaluate(async () => {
      // The window's resize event, where the page docks its panel, comes before the next frame.
      await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
      const wrap = document.getElementById('diagram-wrap')!;
      const frame = wrap.getBoundingClientRect();
      const svg = document.getElementById('diagram') as unknown as SVGSVGElement;
      const texts = [...document.querySelectorAll('#diagram text')];
      const cut = texts.filter((t) => t.getBoundingClientRect().right > frame.right + 0.5);
      return {
        cut: cut.map((t) => t.textContent),
        texts: texts.length,
        sideways: wrap.scrollWidth - wrap.clientWidth,
        scale: svg.getBoundingClientRect().width / svg.width.baseVal.value,
      };
    });

  it("shows the rows' words whole, with no sideways scroll, and at 1600 px the diagram's own size", async () => {
    const { page, problems } = await open();
    await page.setViewportSize({ width: 1024, height: 768 });
    const narrow = await framed(page);
    expect(narrow.texts).toBeGreaterThan(40);
    expect(narrow.cut).toEqual([]);
    expect(narrow.sideways).toBeLessThanOrEqual(0);
    // Drawn smaller to fit, but not so small that it cannot be read.
    expect(narrow.scale).toBeGreaterThanOrEqual(0.75);
    // The lane names kept at the top while scrolling stand over their lanes, at this size too.
    await page.locator('#diagram .row-bg').nth(30).scrollIntoViewIfNeeded();
    await page.mouse.wheel(0, 600);
    await page.waitForFunction(() => !document.querySelector<HTMLElement>('.lane-bar')!.hidden);
    const offsets = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('.lane-bar-name')].map((name) => {
        const head = document.querySelector(
          `#diagram .lane-head[data-node="${name.dataset.node}"] .lane-name`,
        )!;
        const a = name.getBoundingClientRect();
        const b = head.getBoundingClientRect();
        return Math.abs(a.left + a.width / 2 - (b.left + b.width / 2));
      }),
    );
    for (const off of offsets) expect(off).toBeLessThan(3);
    await page.screenshot({ path: join(ARTIFACTS, 'lab-1024.png') });
    await page.setViewportSize({ width: 1600, height: 1000 });
    const wide = await framed(page);
    expect(wide.cut).toEqual([]);
    expect(wide.scale).toBe(1);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe("a lock store page's state cards", () => {
  it('say a lock is held from the row where it is granted, not from the row before it', async () => {
    type Grant = { key: string; event: string; holder: string };
    type Locks = { locks?: Record<string, { holder: string }> };
    let checked = 0;
    for (const name of ['lock-tour', 'lock-released-by-stranger', 'crashed-holder-blocks-key']) {
      const scenario = (await import(`../scenarios/${name}.ts`)).default as Scenario;
      expect(scenario.store).toBe('lock');
      const { doc, href } = writeLabPage(scenario, `scenarios/${name}.ts`, name);
      const { page, problems } = await open('', href);
      const steps = await pageSteps(page);
      // Each grant that gives a key to a client that did not hold it, with the server's digest
      // just before it.
      const held: Record<string, Record<string, string>> = {};
      for (const [i, e] of doc.events.entries()) {
        if (e.kind === 'state') {
          held[e.node] = Object.fromEntries(
            Object.entries((e.summary as Locks).locks ?? {}).map(([k, l]) => [k, l.holder]),
          );
        }
        if (e.kind !== 'record' || e.observation.kind !== 'note') continue;
        const lock = (e.observation as { lock?: Grant }).lock;
        if (lock?.event !== 'grant' || held[e.node]?.[lock.key] === lock.holder) continue;
        const row = steps.indexOf(i);
        expect(row).toBeGreaterThan(0);
        const card = page.locator(`#state .node[data-node="${e.node}"]`);
        const said = `lock ${lock.key}: held by ${lock.holder}`;
        // The row before: the request arriving. Not held yet.
        await page.locator('#slider').fill(String(row - 1));
        await expect(card.textContent(), `${name} row ${row - 1}`).resolves.not.toContain(said);
        // The grant's own row: held.
        await page.locator('#slider').fill(String(row));
        await expect(card.textContent(), `${name} row ${row}`).resolves.toContain(said);
        checked++;
      }
      expect(problems).toEqual([]);
      await page.context().close();
    }
    expect(checked).toBeGreaterThan(5);
  });
});

describe('the diagram by keyboard alone', () => {
  /** What has the focus: its tag, and the message, node and step it stands for. */
  const focus = (page: Page) =>
    page.evaluate(() => {
      const a = document.activeElement as (HTMLElement | SVGElement) | null;
      return {
        inDiagram: a?.closest('#diagram') !== null,
        tag: a?.tagName ?? '',
        msg: a?.dataset.msg,
        node: a?.dataset.node ?? a?.closest<SVGElement>('[data-node]')?.dataset.node,
        text: a?.textContent ?? '',
        label: a?.getAttribute('aria-label') ?? '',
      };
    });

  it('Tab reaches it at one stop, the arrows pick a message or a lane at a row, Enter and Space do what a click does', async () => {
    const { page, problems } = await open();
    const id = replicationToS3.id;
    // Tab from the top of the page until the focus is in the diagram: one stop, the first lane.
    let tabs = 0;
    while (!(await focus(page)).inDiagram && tabs < 200) {
      await page.keyboard.press('Tab');
      tabs++;
    }
    expect(tabs).toBeLessThan(200);
    await expect(focus(page)).resolves.toMatchObject({ node: 's1', label: "s1's lane" });
    await expect(page.locator('#diagram [tabindex="0"]').count()).resolves.toBe(1);
    await page.keyboard.press('Tab');
    await expect(focus(page)).resolves.toMatchObject({ inDiagram: false });
    await page.keyboard.press('Shift+Tab');
    await expect(focus(page)).resolves.toMatchObject({ inDiagram: true, node: 's1' });

    // Down the rows to the one where the REPLICATION to s3 arrives; each row moved to is selected.
    const steps = await pageSteps(page);
    const arrives = doc.events.findIndex(
      (e) => (e.kind === 'deliver' || e.kind === 'drop') && e.id === id,
    );
    const step = steps.indexOf(arrives);
    expect(step).toBeGreaterThan(0);
    for (let k = 0; k <= step; k++) await page.keyboard.press('ArrowDown');
    await expect(page.locator('#step-info').getAttribute('data-step')).resolves.toBe(String(step));
    // End: the row's words, its message; the focus is framed where the eye can see it.
    await page.keyboard.press('End');
    await expect(focus(page)).resolves.toMatchObject({ msg: String(id) });
    const framed = await page.evaluate(() => {
      const mark = document.querySelector('#diagram .key-mark')!.getBoundingClientRect();
      const at = document.activeElement!.getBoundingClientRect();
      const visible = getComputedStyle(document.querySelector('#diagram .key-mark')!).display;
      return (
        visible !== 'none' &&
        mark.left <= at.left &&
        mark.right >= at.right &&
        mark.top <= at.top &&
        mark.bottom >= at.bottom &&
        at.top >= 0 &&
        at.bottom <= window.innerHeight
      );
    });
    expect(framed).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'lab-keyboard.png') });
    // Enter opens the message's menu as a click does, with the focus in it; Enter loses it.
    await page.keyboard.press('Enter');
    await expect(page.locator('#lab-menu .lab-menu-title').textContent()).resolves.toContain(
      `What if message #${id}`,
    );
    await expect(focus(page)).resolves.toMatchObject({ text: 'is lost' });
    await page.keyboard.press('Enter');
    await expect(page.locator('#lab-edits').textContent()).resolves.toContain(`drop:${id}`);
    await expect(page.locator('.lab-col[data-side="now"] .lab-hash').textContent()).resolves.toBe(
      runWhatIf(scenario, [{ kind: 'drop', message: id }]).edited.result.hash,
    );
    // The focus is back where it was, in the diagram.
    await expect(focus(page)).resolves.toMatchObject({ msg: String(id) });

    // Home: the first lane at this row; → along it to s3, the step staying where it is.
    await page.keyboard.press('Home');
    for (let k = 0; k < 10 && (await focus(page)).node !== 's3'; k++)
      await page.keyboard.press('ArrowRight');
    await expect(focus(page)).resolves.toMatchObject({ node: 's3', inDiagram: true });
    await expect(page.locator('#step-info').getAttribute('data-step')).resolves.toBe(String(step));
    const t = formatTime(doc.events[arrives]!.t);
    // Space opens s3's menu at this row's time, as a click on its lane there does; Escape shuts it.
    await page.keyboard.press(' ');
    await expect(page.locator('#lab-menu').textContent()).resolves.toMatch(
      new RegExp(`^What if s3…crashes at ${t.replace('.', '\\.')}.*the time of the row clicked`),
    );
    await page.keyboard.press('Escape');
    await expect(page.locator('#lab-menu').isHidden()).resolves.toBe(true);
    await expect(focus(page)).resolves.toMatchObject({ inDiagram: true, node: 's3' });
    await page.keyboard.press('Enter');
    await expect(focus(page)).resolves.toMatchObject({ text: `crashes at ${t}` });
    await page.keyboard.press('Enter');
    const crash = `crash:s3@${doc.events[arrives]!.t}`;
    await expect(page.locator('#lab-edits').textContent()).resolves.toContain(crash);
    await expect(page.locator('.lab-col[data-side="now"] .lab-hash').textContent()).resolves.toBe(
      runWhatIf(scenario, [{ kind: 'drop', message: id }, parseEdit(crash)]).edited.result.hash,
    );
    // Ctrl+Home: up to the lane names, in the same column; Enter opens s3's menu from its name.
    await page.keyboard.press('Control+Home');
    await expect(focus(page)).resolves.toMatchObject({ node: 's3', label: "s3's lane" });
    await page.keyboard.press('Enter');
    await expect(page.locator('#lab-menu .lab-menu-title').textContent()).resolves.toBe(
      'What if s3…',
    );
    await page.keyboard.press('Escape');
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe("the what-if run's own list by keyboard alone", () => {
  it('is one tab stop whose rows the arrows walk; Enter on a message opens its menu, and an edit made from it keeps the focus in the list', async () => {
    const { page, problems } = await open(`#whatif=${NO_DELAY}`);
    const active = () =>
      page.evaluate(() => {
        const a = document.activeElement as HTMLElement;
        return { inList: a.closest('#lab-run') !== null, msg: a.dataset.msg, text: a.textContent };
      });
    await page.locator('#lab-run-box summary').focus();
    await page.keyboard.press('Enter');
    await expect(page.locator('#lab-run-box').getAttribute('open')).resolves.not.toBeNull();
    await page.keyboard.press('Tab');
    const first = await page.locator('#lab-run li').first().textContent();
    await expect(active()).resolves.toMatchObject({ inList: true, text: first });
    await expect(page.locator('#lab-run li[tabindex="0"]').count()).resolves.toBe(1);
    // End and Home: the last and first rows (the diagram's step stays where it was).
    const step = await page.locator('#step-info').getAttribute('data-step');
    await page.keyboard.press('End');
    await expect(active()).resolves.toMatchObject({
      text: await page.locator('#lab-run li').last().textContent(),
    });
    await page.keyboard.press('Home');
    await expect(page.locator('#step-info').getAttribute('data-step')).resolves.toBe(step);
    // Down to the first message: Enter opens its menu, with the focus in it; Escape gives it back.
    for (let k = 0; k < 20 && (await active()).msg === undefined; k++)
      await page.keyboard.press('ArrowDown');
    const { msg } = await active();
    expect(msg).toBeDefined();
    await page.keyboard.press('Enter');
    await expect(page.locator('#lab-menu .lab-menu-title').textContent()).resolves.toContain(
      `What if message #${msg}`,
    );
    await expect(active()).resolves.toMatchObject({ inList: false, text: 'is lost' });
    await page.keyboard.press('Escape');
    await expect(active()).resolves.toMatchObject({ inList: true, msg });
    // Space too; then Enter loses it, and the focus is on the list redrawn for the new run.
    await page.keyboard.press(' ');
    await expect(active()).resolves.toMatchObject({ text: 'is lost' });
    await page.keyboard.press('Enter');
    await expect(page.locator('#lab-edits').textContent()).resolves.toContain(`drop:${msg}`);
    await expect(active()).resolves.toMatchObject({ inList: true });
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('the events that differ by keyboard alone', () => {
  it("are one tab stop a side, whose lines the arrows walk; Enter on a what-if line shows it in that run's list", async () => {
    const { page, problems } = await open(`#whatif=drop:${replicationToS3.id}`);
    const side = (s: string) => page.locator(`#lab-differ .lab-events[data-side="${s}"] li button`);
    const active = () =>
      page.evaluate(() => {
        const a = document.activeElement as HTMLElement;
        const list = a.closest('#lab-differ .lab-events') as HTMLElement | null;
        return { side: list?.dataset.side ?? null, text: a.textContent };
      });
    const focusIs = async (s: string, line: Locator) =>
      expect(active()).resolves.toEqual({ side: s, text: await line.textContent() });
    const base = side('base');
    const edited = side('edited');
    expect(await base.count()).toBeGreaterThan(1);
    expect(await edited.count()).toBeGreaterThan(1);
    for (const s of ['base', 'edited'])
      await expect(
        page.locator(`#lab-differ .lab-events[data-side="${s}"] button[tabindex="0"]`).count(),
      ).resolves.toBe(1);
    // Tab reaches the first line of this run's side; one more Tab goes to the what-if's side.
    await page.locator('#lab-differ h3').evaluate((h) => {
      h.tabIndex = -1;
      h.focus();
    });
    await page.keyboard.press('Tab');
    await focusIs('base', base.first());
    await page.keyboard.press('ArrowDown');
    await focusIs('base', base.nth(1));
    await page.keyboard.press('End');
    await focusIs('base', base.last());
    await page.keyboard.press('Tab');
    await focusIs('edited', edited.first());
    // Back to this run's side: the line last focused there is its stop now.
    await page.keyboard.press('Shift+Tab');
    await focusIs('base', base.last());
    await page.keyboard.press('Tab');
    await page.keyboard.press('ArrowDown');
    const text = await edited.nth(1).textContent();
    await expect(active()).resolves.toEqual({ side: 'edited', text });
    await page.keyboard.press('Enter');
    await expect(page.locator('#lab-run-box').getAttribute('open')).resolves.not.toBeNull();
    await expect(page.locator('#lab-run li.lab-witness').textContent()).resolves.toBe(text);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('the keyboard, once the lab redraws', () => {
  const focused = (page: Page) => page.evaluate(() => document.activeElement?.textContent ?? '');

  it("keeps step by hand's 'later event ▶' focused, so that Enter goes on stepping", async () => {
    const { page, problems } = await open('#step=5');
    await page.getByRole('button', { name: 'step by hand' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'later event ▶' }).focus();
    const seen = new Set<string | null>([await page.locator('#lab-hand-at').textContent()]);
    for (let k = 0; k < 4; k++) {
      await page.keyboard.press('Enter');
      seen.add(await page.locator('#lab-hand-at').textContent());
      await expect(focused(page)).resolves.toBe('later event ▶');
    }
    // Each Enter moved it on.
    expect(seen.size).toBe(5);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it("keeps the focus on a chip's × as the chips are taken back one by one", async () => {
    const id = replicationToS3.id;
    const { page, problems } = await open(`#whatif=${NO_DELAY},drop:${id}`);
    const chips = page.locator('#lab-edits code');
    await expect(chips.count()).resolves.toBe(2);
    await page.locator('#lab-edits li').first().getByRole('button', { name: '×' }).focus();
    await page.keyboard.press('Enter');
    // The lost message stays (its number may move, as the run without the knob numbers it).
    await expect(chips.allTextContents()).resolves.toEqual([expect.stringMatching(/^drop:\d+$/)]);
    await expect(focused(page)).resolves.toBe('×');
    await page.keyboard.press('Enter');
    await expect(chips.count()).resolves.toBe(0);
    // No chip is left: the focus stays in the row, on its first button.
    await expect(focused(page)).resolves.toBe('clear');
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('the settings row', () => {
  it('shows the seed and preset of the run shown, and at 1024 px keeps each button by its box', async () => {
    const { page, problems } = await open('#whatif=seed:5,preset:fixed');
    await page.setViewportSize({ width: 1024, height: 800 });
    await expect(page.locator('#lab-seed').inputValue()).resolves.toBe('5');
    await expect(page.locator('#lab-preset').inputValue()).resolves.toBe('fixed');
    // The preset called seed says what it is, and the seed beside it is the random one.
    await expect(page.locator('#lab-preset option[value="seed"]').textContent()).resolves.toBe(
      "seed: the students' choices",
    );
    await expect(page.locator('.lab-setting').nth(2).textContent()).resolves.toMatch(
      /^random seed /,
    );
    // Taking the seed's chip back shows the page's own seed again.
    await page.locator('#lab-edits li').first().getByRole('button', { name: '×' }).click();
    await expect(page.locator('#lab-seed').inputValue()).resolves.toBe(String(doc.seed));
    const seedBox = await page.locator('#lab-seed').boundingBox();
    const seedButton = await page.locator('.lab-settings button').nth(2).boundingBox();
    expect(
      Math.abs(seedButton!.y + seedButton!.height / 2 - (seedBox!.y + seedBox!.height / 2)),
    ).toBeLessThan(8);
    expect(seedButton!.x).toBeGreaterThan(seedBox!.x);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('step by hand below a comparison', () => {
  it('opens where the eye is (step 5: messages in flight), at 1024 and 1600 px, and stays there once a message is chosen', async () => {
    for (const width of [1024, 1600]) {
      const { page, problems } = await open(`#whatif=drop:${replicationToS3.id}&step=5`);
      await page.setViewportSize({ width, height: 800 });
      await page.getByRole('button', { name: 'step by hand' }).click();
      // In the window, above the panel docked at its foot when there is one.
      const inSight = () =>
        page.evaluate(() => {
          const top = document.querySelector('#lab-hand h3')!.getBoundingClientRect().top;
          const panel = document.body.classList.contains('dock')
            ? document.getElementById('panel')!.getBoundingClientRect().top
            : window.innerHeight;
          return top > -2 && top < panel ? true : `h3 at ${top}, panel at ${panel}`;
        });
      await expect(inSight(), `${width} px`).resolves.toBe(true);
      const choices = page.locator('#lab-choices button');
      await expect(choices.count()).resolves.toBeGreaterThan(0);
      await choices.first().click();
      await expect(inSight(), `${width} px, chosen`).resolves.toBe(true);
      expect(problems).toEqual([]);
      await page.context().close();
    }
  });
});

describe('the panel docked at 1024 × 800', () => {
  it("covers neither the lab's foot nor the diagram's last row", async () => {
    const { page, problems } = await open(`#whatif=drop:${replicationToS3.id}`);
    await page.setViewportSize({ width: 1024, height: 800 });
    await page.waitForFunction(() => document.body.classList.contains('dock'));
    // Read down the lab: what is at the window's foot is the lab, not the panel over it.
    for (const y of [0, 300, 600]) {
      const atFoot = await page.evaluate((by) => {
        const lab = document.getElementById('lab')!;
        window.scrollTo(0, lab.getBoundingClientRect().top + window.scrollY + by);
        const hit = document.elementFromPoint(500, window.innerHeight - 10);
        return hit?.closest('#lab, #panel')?.id ?? hit?.tagName;
      }, y);
      expect(atFoot, `${y} px down the lab`).toBe('lab');
    }
    await page.screenshot({ path: join(ARTIFACTS, 'lab-1024x800.png') });
    // At the page's end the diagram's last row sits above the panel.
    const clear = await page.evaluate(() => {
      window.scrollTo(0, document.documentElement.scrollHeight);
      const svg = document.getElementById('diagram')!.getBoundingClientRect();
      const panel = document.getElementById('panel')!.getBoundingClientRect();
      return svg.bottom <= panel.top + 1 && panel.bottom <= window.innerHeight + 1;
    });
    expect(clear).toBe(true);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('the message menu at 1024 × 800, the panel docked', () => {
  it('keeps each button to one line beside its box, the hold to two above its own', async () => {
    const { page, problems } = await open();
    await page.setViewportSize({ width: 1024, height: 800 });
    await page.waitForFunction(() => document.body.classList.contains('dock'));
    await page
      .locator(`#diagram g.msg[data-msg="${replicationToS3.id}"] .hit`)
      .click({ force: true });
    const height = async (name: string | RegExp) =>
      (await page.locator('#lab-menu').getByRole('button', { name }).boundingBox())!.height;
    const line = await height('is lost');
    await expect(height('arrives later by')).resolves.toBe(line);
    // Its text names the link and a time: two lines at most (it was squeezed onto five).
    expect(await height(/holds messages from/)).toBeLessThan(2 * line);
    const box = async (label: string) =>
      (await page.locator('#lab-menu').getByLabel(label).boundingBox())!;
    const later = (await page
      .locator('#lab-menu')
      .getByRole('button', { name: 'arrives later by' })
      .boundingBox())!;
    expect((await box('delay in ms')).y).toBeLessThan(later.y + later.height);
    await page.locator('#lab-menu').screenshot({ path: join(ARTIFACTS, 'lab-menu-1024.png') });
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it("opens below a click in the what-if run's list when there is room above the panel, not at the window's foot", async () => {
    const { page, problems } = await open(`#whatif=drop:${replicationToS3.id}`);
    await page.setViewportSize({ width: 1024, height: 800 });
    await page.waitForFunction(() => document.body.classList.contains('dock'));
    await page.locator('#lab-run-box summary').click();
    const item = page.locator('#lab-run li[data-msg]').first();
    await item.evaluate((e) => window.scrollBy(0, e.getBoundingClientRect().top - 300));
    const at = (await item.boundingBox())!;
    const panel = (await page.locator('#panel').boundingBox())!;
    // The panel sticks to the window's foot only while the diagram is in view: here it is not.
    expect(panel.y + panel.height).toBeGreaterThan(800);
    await item.click();
    const menu = (await page.locator('#lab-menu').boundingBox())!;
    expect(menu.y).toBeGreaterThan(at.y);
    expect(menu.y + menu.height).toBeLessThanOrEqual(Math.min(800, panel.y));
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('a refused edit with a what-if on screen', () => {
  it('says what was refused and which run is shown, over the comparison still there', async () => {
    const id = replicationToS3.id;
    const { page, problems } = await open(`#whatif=drop:${id}`);
    const hash = page.locator('.lab-col[data-side="now"] .lab-hash');
    const shown = await hash.textContent();
    await page.locator('#lab-seed').fill('-1');
    await page.locator('.lab-settings button').nth(2).click();
    const status = await page.locator('#lab-status').textContent();
    expect(status).toMatch(/^Not applied: the seed must be a whole number/);
    expect(status).toContain(`it still shows the what-if drop:${id}.`);
    expect(status).toContain(`trace hash ${doc.run.hash}, the same as the page's`);
    await expect(hash.textContent()).resolves.toBe(shown);
    // The next edit made clears the refusal.
    await page.locator('#lab-seed').fill('2');
    await page.locator('.lab-settings button').nth(2).click();
    await expect(page.locator('#lab-refused').count()).resolves.toBe(0);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('a message edit after a change before it', () => {
  const id = replicationToS3.id;
  const chips = (page: Page) => page.locator('#lab-edits code').allTextContents();
  const nowHash = (page: Page) => page.locator('.lab-col[data-side="now"] .lab-hash').textContent();

  it('stays on its message when the edit before it is taken off, and says its new number', async () => {
    // After a copy of message 3 the REPLICATION to s3 is numbered one higher.
    const copied = runWhatIf(scenario, [parseEdit('duplicate:3')]).edited.result.trace;
    const there = sameMessage(run.result.trace, copied, id)!;
    expect(there).not.toBe(id);
    const { page, problems } = await open(`#whatif=duplicate:3,drop:${there}`);
    await page.locator('#lab-edits li').first().getByRole('button', { name: '×' }).click();
    await expect(chips(page)).resolves.toEqual([`drop:${id}`]);
    await expect(page.locator('#lab-moved').textContent()).resolves.toContain(
      `drop:${there} is now drop:${id}: the same message (the 2nd REPLICATION s1 → s3)`,
    );
    await expect(nowHash(page)).resolves.toBe(
      runWhatIf(scenario, [parseEdit(`drop:${id}`)]).edited.result.hash,
    );
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('goes after a preset chosen later, on the same message of the new run', async () => {
    const fixed = runScenario(staleRead, { preset: 'fixed' });
    const there = sameMessage(run.result.trace, fixed.result.trace, id)!;
    expect(there).not.toBe(id);
    const { page, problems } = await open(`#whatif=drop:${id}`);
    await page.locator('#lab-preset').selectOption('fixed');
    await page.locator('.lab-settings button').nth(1).click();
    await expect(chips(page)).resolves.toEqual(['preset:fixed', `drop:${there}`]);
    const w = runWhatIf(scenario, [parseEdit('preset:fixed'), parseEdit(`drop:${there}`)]);
    await expect(nowHash(page)).resolves.toBe(w.edited.result.hash);
    const lost = w.edited.result.trace.filter((e) => e.kind === 'drop');
    expect(lost).toMatchObject([{ from: 's1', to: 's3', message: { type: 'REPLICATION' } }]);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('that the new run has no such message for refuses the change, saying what to take off', async () => {
    // With all-followers acks the lost REPLICATION is sent again; without, there is no retry.
    const knob = 'knob:ackPolicy=all-followers';
    const resent = runWhatIf(scenario, [parseEdit(knob), parseEdit(`drop:${id}`)]);
    const retry = resent.edited.result.trace
      .filter((e) => e.kind === 'send' && e.to === 's3' && e.message.type === 'REPLICATION')
      .at(-1) as { id: number };
    const { page, problems } = await open(`#whatif=${knob},drop:${id},drop:${retry.id}`);
    const before = await nowHash(page);
    await page.locator('#lab-edits li').first().getByRole('button', { name: '×' }).click();
    const status = await page.locator('#lab-status').textContent();
    expect(status).toContain(
      `Not applied: drop:${retry.id} is the 3rd REPLICATION s1 → s3, and the run it would now edit has no such message; take drop:${retry.id} off first`,
    );
    expect(status).toContain(`it still shows the what-if ${knob}, drop:${id}, drop:${retry.id}.`);
    await expect(chips(page)).resolves.toEqual([knob, `drop:${id}`, `drop:${retry.id}`]);
    await expect(nowHash(page)).resolves.toBe(before);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe("a hold chosen in the what-if run's own list", () => {
  it("starts at that message's time, not at the diagram's selected step", async () => {
    const w = runWhatIf(scenario, [parseEdit('duplicate:3')]);
    const there = sameMessage(run.result.trace, w.edited.result.trace, replicationToS3.id)!;
    const send = w.edited.result.trace.find((e) => e.kind === 'send' && e.id === there)!;
    const { page, problems } = await open('#step=5&whatif=duplicate:3');
    const selected = /· (\d+\.\d{3}s)/.exec((await page.locator('#step-info').textContent())!)![1];
    expect(selected).not.toBe(formatTime(send.t));
    await page.locator('#lab-run-box summary').click();
    await page.locator(`#lab-run li[data-msg="${there}"]`).first().click();
    await expect(page.locator('#lab-menu').textContent()).resolves.toContain(
      `its link s1 → s3 holds messages from ${formatTime(send.t)} for`,
    );
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe("an edit refused from the what-if run's own list", () => {
  it('leaves the list open where it was, and says why', async () => {
    const { page, problems } = await open(`#whatif=drop:${replicationToS3.id}`);
    await page.locator('#lab-run-box summary').click();
    await page.locator('#lab-run li[data-msg]').first().click();
    await page.getByLabel('delay in ms').fill('-1');
    await page.getByRole('button', { name: 'arrives later by' }).click();
    await expect(page.locator('#lab-status').textContent()).resolves.toMatch(
      /^Not applied: the delay in ms must be a whole number/,
    );
    await expect(page.locator('#lab-run-box').getAttribute('open')).resolves.not.toBeNull();
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('the delay and hold boxes', () => {
  it('refuse an empty, negative, fractional or worded number with a sentence, never 0', async () => {
    const { page, problems } = await open();
    const hit = page.locator(`#diagram g.msg[data-msg="${replicationToS3.id}"] .hit`);
    const bad = ['', '-5', '1.5', 'soon'];
    const boxes = [
      { box: 'delay in ms', button: 'arrives later by', what: 'the delay in ms', bad },
      // A hold past the latest time an edit takes could not be read back from the address.
      {
        box: 'hold for ms',
        button: /holds messages from/,
        what: 'the hold in ms',
        bad: [...bad, '1000000000'],
      },
    ];
    for (const { box, button, what, bad } of boxes) {
      for (const typed of bad) {
        await hit.click({ force: true });
        const input = page.getByLabel(box);
        // A word typed in a number box leaves it empty (Chromium) or holding no number.
        await input.fill(typed === 'soon' ? '' : typed);
        if (typed === 'soon') await input.pressSequentially(typed);
        await page.getByRole('button', { name: button }).click();
        const refusal = new RegExp(`^Not applied: ${what} must be a whole number from 0 to`);
        await expect(page.locator('#lab-status').textContent(), typed).resolves.toMatch(refusal);
        await expect(page.locator('#lab-toast').textContent(), typed).resolves.toMatch(refusal);
        await expect(page.locator('#lab-toast').isVisible(), typed).resolves.toBe(true);
        await expect(page.locator('#lab-edits').textContent()).resolves.toBe('no edit yet');
        expect(new URL(page.url()).hash).not.toContain('whatif');
      }
    }
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

/** Sets the address's fragment as a user would, once the lab has followed it. */
async function setHash(page: Page, hash: string): Promise<void> {
  await page.evaluate(
    (h) =>
      new Promise((resolve) => {
        // Added after the lab's own listener, so it runs after it.
        window.addEventListener('hashchange', () => resolve(undefined), { once: true });
        window.location.hash = h;
      }),
    hash,
  );
}

describe('an address whose what-if does not parse', () => {
  it('says so, keeps it in the address, and shows the run still on screen with its edits', async () => {
    const id = replicationToS3.id;
    const { page, problems } = await open(`#whatif=drop:${id}`);
    const shown = await page.locator('.lab-col[data-side="now"] .lab-hash').textContent();
    await setHash(page, '#whatif=drop:x');
    const status = page.locator('#lab-status');
    await expect(status.textContent()).resolves.toMatch(
      new RegExp(
        `^The address's what-if was not applied: 'drop:x'.*it still shows the what-if drop:${id}\\.`,
      ),
    );
    await expect(page.locator('#lab-edits code').allTextContents()).resolves.toEqual([
      `drop:${id}`,
    ]);
    await expect(page.locator('.lab-col[data-side="now"] .lab-hash').textContent()).resolves.toBe(
      shown,
    );
    expect(new URL(page.url()).hash).toBe('#whatif=drop:x');
    // An edit that reads well but fits no message of the run is refused the same way.
    await setHash(page, '#whatif=drop:99999');
    await expect(status.textContent()).resolves.toMatch(
      new RegExp(
        `^The address's what-if was not applied: there is no message #99999 .*it still shows the what-if drop:${id}\\.`,
      ),
    );
    await expect(page.locator('#lab-edits code').allTextContents()).resolves.toEqual([
      `drop:${id}`,
    ]);
    await expect(page.locator('.lab-col[data-side="now"] .lab-hash').textContent()).resolves.toBe(
      shown,
    );
    // Mended, it is followed, and the note of the error goes.
    await setHash(page, '#whatif=seed:2');
    await expect(page.locator('#lab-edits code').allTextContents()).resolves.toEqual(['seed:2']);
    await expect(page.locator('#lab-address').count()).resolves.toBe(0);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it("opened so, shows the page's own run and no edit", async () => {
    const { page, problems } = await open('#whatif=seed:2,nonsense');
    const status = await page.locator('#lab-status').textContent();
    expect(status).toMatch(/^The address's what-if was not applied: 'nonsense' is not an edit/);
    expect(status).toContain(`it shows the page's own run.`);
    expect(status).toContain(`trace hash ${doc.run.hash}, the same as the page's`);
    await expect(page.locator('#lab-edits').textContent()).resolves.toBe('no edit yet');
    await expect(page.locator('.lab-col').count()).resolves.toBe(0);
    expect(new URL(page.url()).hash).toBe('#whatif=seed:2,nonsense');
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe("an address's what-if of several edits that does not fit the run", () => {
  it('names the edit that does not fit, as the terminal does', async () => {
    const { page, problems } = await open('#whatif=seed:2,crash:s9@10');
    const status = await page.locator('#lab-address').textContent();
    expect(status).toMatch(
      /^The address's what-if was not applied: crash:s9@10: 's9' is not a node/,
    );
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('a message edit that a later edit moves off its message', () => {
  it('says which message its fault takes in the edited run, beside the two runs', async () => {
    // #4 is x=1's REPLICATION to s3; with s1 crashed before it leaves, the drop takes x=2's.
    const edits = 'drop:4,crash:s1@15000,restart:s1@16000';
    const w = runWhatIf(scenario, edits.split(',').map(parseEdit));
    const { page, problems } = await open(`#whatif=${edits}`);
    const drift = await page.locator('.lab-drift').allTextContents();
    expect(drift).toEqual([`drop:4: ${w.drifts[0]}`]);
    expect(drift[0]).toMatch(
      /^drop:4: the edits after it change the run: the fault, aimed at the next REPLICATION s1 → s3 from 20\.031s, takes #\d+ \(REPLICATION w1 x=2 ts=25013, s1 → s3, sent at 45\.031s\) instead$/,
    );
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('a page of a scenario piped in (-)', () => {
  it('suggests a download name that cannot be read as a flag, and replays to its hash', async () => {
    const { href } = writeLabPage(staleRead, '-', 'piped');
    const { page, problems } = await open(`#whatif=drop:${replicationToS3.id}`, href);
    const link = page.locator('#lab-download');
    await expect(link.getAttribute('download')).resolves.toBe('what-if.ts');
    await expect(page.locator('.lab-download').textContent()).resolves.toContain(
      'then: npm run sim -- what-if.ts (trace hash',
    );
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const saved = join(ARTIFACTS, 'piped-what-if.ts');
    await download.saveAs(saved);
    expect(readFileSync(saved, 'utf8')).toContain('A what-if of a scenario read from stdin: drop:');
    const shown = await page.locator('.lab-col[data-side="now"] .lab-hash').textContent();
    expect(runCli('sim', [saved, '--quiet']).stdout).toContain(`trace hash ${shown}`);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('a page of a scenario file whose name a shell would read as more than one word', () => {
  it('suggests the command with the name quoted, as the terminal quotes it', async () => {
    // The file's name comes from the trace, which a page made by view of a trace edited by hand
    // may set to anything: unquoted, it read `npm run sim -- x; touch PWNED; #-what-if.ts`.
    const { href } = writeLabPage(staleRead, 'my dir/x; touch PWNED; #.ts', 'shell-name');
    const { page, problems } = await open(`#whatif=drop:${replicationToS3.id}`, href);
    await expect(page.locator('.lab-download').textContent()).resolves.toContain(
      "then: npm run sim -- 'x; touch PWNED; #-what-if.ts' (trace hash",
    );
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('a link with a what-if', () => {
  it('reopens the same edit and the same edited run', async () => {
    const fragment = `#whatif=drop:${replicationToS3.id}`;
    const { page, problems } = await open(fragment);
    const w = runWhatIf(scenario, [parseEdit(`drop:${replicationToS3.id}`)]);
    await expect(page.locator('#lab-edits').textContent()).resolves.toContain(
      `drop:${replicationToS3.id}`,
    );
    await expect(page.locator('.lab-col[data-side="now"] .lab-hash').textContent()).resolves.toBe(
      w.edited.result.hash,
    );
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('stepping by hand', () => {
  it('shows its button pressed while it is open, so that a second click reads as closing it', async () => {
    const { page, problems } = await open('#step=5');
    const toggle = page.getByRole('button', { name: 'step by hand', exact: true });
    const look = () => toggle.evaluate((b) => getComputedStyle(b).backgroundColor);
    const closed = await look();
    await expect(toggle.getAttribute('aria-pressed')).resolves.toBe('false');
    await toggle.click();
    await expect(toggle.getAttribute('aria-pressed')).resolves.toBe('true');
    await expect(look()).resolves.toBe(await colourOf(page, '--note'));
    expect(closed).not.toBe(await colourOf(page, '--note'));
    await toggle.click();
    await expect(page.locator('#lab-hand').textContent()).resolves.toBe('');
    await expect(toggle.getAttribute('aria-pressed')).resolves.toBe('false');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('where nothing is in flight, points at its own way on, not at the diagram', async () => {
    // Step 3: s1 has stored x=1 and waits 10 s to replicate it; no message flies.
    const { page, problems } = await open('#step=3');
    await page.getByRole('button', { name: 'step by hand' }).click();
    const none = await page.locator('#lab-hand-none').textContent();
    expect(none).toContain('later event ▶');
    expect(none).not.toMatch(/diagram/);
    // The way it names is there, and moves on.
    await page.getByRole('button', { name: 'later event ▶' }).click();
    await expect(page.locator('#lab-hand-at').textContent()).resolves.not.toContain(
      's1 stores x=1',
    );
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('delivers the message chosen, before the one that was due first', async () => {
    // Under the fixed preset the leader replicates to s2 and s3 at once: two messages in flight.
    // From the first step: step by hand starts at the diagram's selected step.
    const { page, problems } = await open('#step=1&whatif=preset:fixed');
    await page.getByRole('button', { name: 'step by hand' }).click();
    const choices = page.locator('#lab-choices button');
    for (let i = 0; i < 200 && (await choices.count()) < 2; i++) {
      await page.getByRole('button', { name: 'later event ▶' }).click();
    }
    expect(await choices.count()).toBeGreaterThanOrEqual(2);
    const later = await choices.nth(1).textContent();
    const first = await choices.nth(0).textContent();
    // The first due is said to be the one the run delivers next anyway; the other is not.
    expect(first).toContain('the first due: the run delivers it next anyway');
    expect(later).not.toContain('anyway');
    const chosen = Number(/#(\d+)/.exec(later ?? '')![1]);
    const passed = Number(/#(\d+)/.exec(first ?? '')![1]);
    await choices.nth(1).click();
    await expect(page.locator('#lab-hand-at').textContent()).resolves.toContain(`msg ${chosen}`);
    await page.locator('#lab').screenshot({ path: join(ARTIFACTS, 'lab-hand.png') });
    // The page's address holds the choice; rerun in Node, the chosen message arrives first.
    const edits = new URLSearchParams(new URL(page.url()).hash.slice(1)).get('whatif')!.split(',');
    expect(edits.at(-1)).toMatch(new RegExp(`^deliver:${chosen}@`));
    const w = runWhatIf(scenario, edits.map(parseEdit));
    const arrival = (id: number) =>
      w.edited.result.trace.findIndex(
        (e) => (e.kind === 'deliver' || e.kind === 'drop') && e.id === id,
      );
    expect(arrival(chosen)).toBeGreaterThan(-1);
    expect(arrival(chosen)).toBeLessThan(arrival(passed));
    await expect(page.locator('.lab-col[data-side="now"] .lab-hash').textContent()).resolves.toBe(
      w.edited.result.hash,
    );
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('where step by hand is', () => {
  it("is the diagram's selected step in the page's own run, the window kept on step by hand", async () => {
    const { page, problems } = await open('#step=5');
    await page.getByRole('button', { name: 'step by hand' }).click();
    const here = page.locator('#lab-hand-where li.lab-here');
    for (let k = 0; k < 3; k++) {
      await page.getByRole('button', { name: 'later event ▶' }).click();
      // The trail's marked row is the event step by hand is after, and the diagram shows it.
      const at = Number(await here.getAttribute('data-trace'));
      await expect(page.locator('#lab-hand-at').textContent()).resolves.toContain(
        (await here.textContent())!.replace(/ +◀ step by hand is here$/, ''),
      );
      await expect(page.locator('#step-info').getAttribute('data-trace-index')).resolves.toBe(
        String(at),
      );
      // The window stays on step by hand: its buttons are still in view.
      await expect(uncovered(page, '#lab-hand .lab-row')).resolves.toBe(true);
    }
    await expect(page.locator('#lab-hand-where').textContent()).resolves.toContain(
      "the diagram's selected step follows",
    );
    // Asked, the window goes to that row of the diagram.
    await page.getByRole('button', { name: 'see it in the diagram' }).click();
    await expect(inWindow(page, '#diagram .row-bg.current')).resolves.toBe(true);
    // Walked back before the first row, it is at the start, and says so.
    const at = page.locator('#lab-hand-at');
    for (let k = 0; k < 40 && (await at.textContent()) !== 'After: the start'; k++)
      await page.getByRole('button', { name: '◀ earlier event' }).click();
    await expect(at.textContent()).resolves.toBe('After: the start');
    await expect(here.textContent()).resolves.toMatch(/^the start +◀ step by hand is here$/);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it("walked to the run's end, is at its last row, not at 'the start', and goes no further", async () => {
    const { page, problems } = await open('#step=30');
    await page.getByRole('button', { name: 'step by hand' }).click();
    const later = page.getByRole('button', { name: 'later event ▶' });
    for (let k = 0; k < 40 && (await later.isEnabled()); k++) {
      await page.locator('#lab-hand .lab-row').scrollIntoViewIfNeeded();
      await later.click();
    }
    await expect(later.isEnabled()).resolves.toBe(false);
    // The run's last row (the diagram's last step) ends the atomic step it is after.
    const lastRow: number = await page.evaluate(() =>
      JSON.parse(document.getElementById('kvsim-view')!.textContent!).steps.traceIndex.at(-1),
    );
    const at = Number(await page.locator('#lab-hand-where li.lab-here').getAttribute('data-trace'));
    expect(at).toBeLessThanOrEqual(lastRow);
    expect(stepEnd(run.result.trace, at)).toBeGreaterThanOrEqual(lastRow);
    await expect(page.locator('#lab-hand-at').textContent()).resolves.not.toContain('the start');
    await expect(page.locator('#lab-hand-none').textContent()).resolves.toContain(
      "This is the run's last event",
    );
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it("is marked in a what-if run's own rows, and said not to be the diagram's", async () => {
    const { page, problems } = await open(`#step=5&whatif=${NO_DELAY}`);
    const here = page.locator('#lab-hand-where li.lab-here');
    await page.getByRole('button', { name: 'step by hand' }).click();
    await page.getByRole('button', { name: 'later event ▶' }).click();
    await expect(page.locator('#lab-hand-where').textContent()).resolves.toContain(
      'which the diagram does not draw',
    );
    const at = await here.getAttribute('data-trace');
    await expect(page.locator('#lab-run li.lab-here').getAttribute('data-trace')).resolves.toBe(at);
    await expect(here.textContent()).resolves.toContain(
      (await page.locator(`#lab-run li[data-trace="${at}"]`).textContent())!,
    );
    await page.locator('#lab').screenshot({ path: join(ARTIFACTS, 'lab-hand-where.png') });
    await page.getByRole('button', { name: 'see it in its list' }).click();
    await expect(inWindow(page, `#lab-run li[data-trace="${at}"]`)).resolves.toBe(true);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('the row of step by hand kept in sight', () => {
  /** Where the selected step's row is, and whether it is wholly in what the window shows. */
  const sight = (page: Page) =>
    page.evaluate(() => {
      const row = document.querySelector('#diagram .row-bg.current')!.getBoundingClientRect();
      // What is fixed to the window's top and shown (the lane names, step by hand's bar).
      const covers = [...document.querySelectorAll<HTMLElement>('.lane-bar, #lab-hand-bar')]
        .filter((el) => !el.hidden)
        .map((el) => el.getBoundingClientRect().bottom);
      const top = Math.max(0, ...covers);
      return {
        inSight: row.top >= top - 1 && row.bottom <= window.innerHeight + 1,
        bottom: row.bottom,
        height: row.height,
        pageTop: row.top + window.scrollY,
        scrollY: window.scrollY,
      };
    });
  /** Step by hand's way on where the student can click it: its own buttons, or its bar. */
  const later = async (page: Page) => {
    const bar = page.locator('#lab-hand-bar');
    if (await bar.isVisible()) await bar.getByRole('button', { name: 'later ▶' }).click();
    else {
      await expect(uncovered(page, '#lab-hand .lab-row')).resolves.toBe(true);
      await page.getByRole('button', { name: 'later event ▶' }).click();
    }
  };

  it("follows the diagram's row down the page, the window still until the row would leave it", async () => {
    const { page, problems } = await open('#step=5');
    await page.getByRole('button', { name: 'step by hand' }).click();
    let was = await sight(page);
    expect(was.inSight).toBe(true);
    let scrolled = 0;
    for (let k = 0; k < 14; k++) {
      await later(page);
      const now = await sight(page);
      expect(now.inSight).toBe(true);
      const moved = now.scrollY - was.scrollY;
      // The window moves only when the row would have left it, and only so far as to show it:
      // the row then sits at the window's foot.
      if (now.pageTop + now.height <= was.scrollY + 1000) expect(moved).toBe(0);
      expect(moved).toBeGreaterThanOrEqual(0);
      if (moved > 0) {
        expect(now.bottom).toBeGreaterThan(1000 - now.height);
        scrolled++;
      }
      was = now;
    }
    // It did have to move: the rows went past the window's foot.
    expect(scrolled).toBeGreaterThan(0);
    // Its buttons scrolled away, step by hand's bar goes on, and brings them back.
    await expect(page.locator('#lab-hand-bar').isVisible()).resolves.toBe(true);
    await page.locator('#lab-hand-bar').getByRole('button', { name: 'the choices ↑' }).focus();
    await page.keyboard.press('Enter');
    await expect(uncovered(page, '#lab-hand .lab-row')).resolves.toBe(true);
    // The keyboard is brought along: to the first message to choose (here the one in flight).
    await expect(
      page.evaluate(() => document.activeElement?.closest('#lab-choices, #lab-hand .lab-row')?.id),
    ).resolves.toBe('lab-choices');
    await expect(page.locator('#lab-hand-bar').isVisible()).resolves.toBe(false);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it("puts an edit's note under step by hand's bar, not over its buttons, at 1024 px", async () => {
    const { page, problems } = await open('#step=30');
    await page.setViewportSize({ width: 1024, height: 768 });
    await page.getByRole('button', { name: 'step by hand' }).click();
    // The row in the diagram, and step by hand's buttons out of the window: its bar is up.
    await page.getByRole('button', { name: 'see it in the diagram' }).click();
    const bar = page.locator('#lab-hand-bar');
    // It comes up with the scroll event that follows.
    await bar.waitFor({ state: 'visible' });
    // An edit made in the diagram brings up its note.
    await page
      .locator(`#diagram g.msg[data-msg="${replicationToS3.id}"] .hit`)
      .click({ force: true });
    await page.locator('#lab-menu').getByRole('button', { name: 'is lost' }).click();
    await expect(page.locator('#lab-toast').isVisible()).resolves.toBe(true);
    await expect(bar.isVisible()).resolves.toBe(true);
    for (const name of ['◀ earlier', 'later ▶', 'the choices ↑'])
      await expect(
        bar.getByRole('button', { name }).evaluate((b) => {
          const r = b.getBoundingClientRect();
          return b.contains(document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2));
        }),
      ).resolves.toBe(true);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it("keeps a what-if run's own list open, its marked row scrolled into the list, the window still", async () => {
    const { page, problems } = await open(`#step=1&whatif=${NO_DELAY}`);
    // The list opened, then step by hand, which brings its buttons to the window's top.
    await page.locator('#lab-run-box summary').click();
    await page.getByRole('button', { name: 'step by hand' }).click();
    const list = page.locator('#lab-run');
    const marked = page.locator('#lab-run li.lab-here');
    const y = await page.evaluate(() => window.scrollY);
    for (let k = 0; k < 20; k++) {
      await page.getByRole('button', { name: 'later event ▶' }).click();
      await expect(page.locator('#lab-run-box').getAttribute('open')).resolves.not.toBeNull();
      const [row, box] = await Promise.all([marked.boundingBox(), list.boundingBox()]);
      expect(row!.y).toBeGreaterThanOrEqual(box!.y - 1);
      expect(row!.y + row!.height).toBeLessThanOrEqual(box!.y + box!.height + 1);
      await expect(page.evaluate(() => window.scrollY)).resolves.toBe(y);
    }
    // The list scrolled inside itself to keep up.
    await expect(list.evaluate((l) => l.scrollTop)).resolves.toBeGreaterThan(0);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('stepping by hand past a held link', () => {
  it('lists the messages the link keeps back and until when, and lets them go on request', async () => {
    const name = 'follower-keeps-older-write';
    const { own, href } = writeLabPage(followerKeepsOlderWrite, `scenarios/${name}.ts`, name);
    const trace = own.result.trace;
    // s3's first REPLICATION_OK waits on the held link s3 → s1, which the script releases later.
    const held = trace.find((e) => e.kind === 'hold') as Extract<TraceEvent, { kind: 'hold' }>;
    const release = trace.find((e) => e.kind === 'fault' && e.fault.kind === 'release')!;
    // Once s2's acknowledgement has arrived, no message flies: only the held one waits.
    const lastArrival = trace.findIndex(
      (e) => e.kind === 'deliver' && e.from === 's2' && e.message.type === 'REPLICATION_OK',
    );
    const { page, problems } = await open('', href);
    const steps = await pageSteps(page);
    await page.evaluate((k) => {
      window.location.hash = `step=${k}`;
    }, steps.indexOf(lastArrival) + 1);
    await page.getByRole('button', { name: 'step by hand' }).click();
    await expect(page.locator('#lab-hand-none').textContent()).resolves.toContain(
      'waits on a held link',
    );
    const waiting = page.locator('#lab-held li[data-link="s3:s1"]');
    await expect(waiting.textContent()).resolves.toContain(`#${held.id} `);
    await expect(waiting.textContent()).resolves.toContain(
      `the run releases it at ${formatTime(release.t)}`,
    );
    // One message waits: nothing to say about letting one through.
    await expect(page.locator('#lab-held-whole').count()).resolves.toBe(0);
    await page.locator('#lab').screenshot({ path: join(ARTIFACTS, 'lab-hand-held.png') });
    // Released now (just after the event shown), the message flies and can be chosen.
    await waiting.getByRole('button', { name: /^release s3 → s1 now/ }).click();
    const edit = `release:s3:s1@${trace[lastArrival]!.t + 1}`;
    await expect(page.locator('#lab-edits').textContent()).resolves.toContain(edit);
    const w = runWhatIf(effectiveScenario(followerKeepsOlderWrite, own), [parseEdit(edit)]);
    await expect(page.locator('.lab-col[data-side="now"] .lab-hash').textContent()).resolves.toBe(
      w.edited.result.hash,
    );
    // Sent when it was first, and held until the release.
    await expect(page.locator('#lab-choices').textContent()).resolves.toContain(
      `deliver #${held.id}: ${formatMessage(held.message)}, s3 → s1, sent at ${formatTime(held.t)}, held until ${formatTime(trace[lastArrival]!.t + 1)}`,
    );
    await expect(page.locator('#lab-held').count()).resolves.toBe(0);
    // The held message clicked in the diagram: its link is offered to let it go, not to hold it.
    await page.getByRole('button', { name: 'clear' }).click();
    const glyph = page.locator(`#diagram g.glyph-held[data-msg="${held.id}"]`);
    // In the middle of the window, clear of the lane names kept at its top.
    await glyph.evaluate((g) => g.scrollIntoView({ block: 'center' }));
    await glyph.click({ force: true });
    await expect(page.locator('#lab-menu').textContent()).resolves.not.toContain('holds messages');
    await page.getByRole('button', { name: /^its held link s3 → s1 lets it go at once/ }).click();
    await expect(page.locator('#lab-edits').textContent()).resolves.toContain(
      `release:s3:s1@${held.t + 1}`,
    );
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('a message lost as it leaves, clicked in the diagram', () => {
  it('offers no loss, copy or delay, which would fall on the next message, and says why', async () => {
    const name = 'write-overtakes-its-cause';
    const { own, href } = writeLabPage(writeOvertakesItsCause, `scenarios/${name}.ts`, name);
    // The cut s1 → s3 takes the first REPLICATION to s3 as it is sent.
    const cut = own.result.trace.find((e) => e.kind === 'drop' && e.reason === 'partition')!;
    const { page, problems } = await open('', href);
    await page.locator(`#diagram g.msg[data-msg="${(cut as { id: number }).id}"] .hit`).click({
      force: true,
    });
    const menu = page.locator('#lab-menu');
    await expect(menu.isVisible()).resolves.toBe(true);
    await expect(page.locator('#lab-lost-as-sent').textContent()).resolves.toBe(
      'It is lost as it leaves (a partition cuts its link): it never flies, so it cannot be lost again, copied or made late.',
    );
    for (const offer of ['is lost', 'is delivered twice', 'arrives later by'])
      await expect(menu.getByRole('button', { name: offer }).count()).resolves.toBe(0);
    // Its link can still be held.
    await expect(
      menu.getByRole('button', { name: /^its link s1 → s3 holds/ }).count(),
    ).resolves.toBe(1);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('a held link keeping several messages, in step by hand', () => {
  it('says a release lets them all go at once, and how to see one arrive first', async () => {
    // s1 → s3 held from the start to 60 s: both REPLICATIONs to s3 wait on it at 50 s.
    const edit = 'hold:s1:s3@0-60000';
    const trace = runWhatIf(scenario, [parseEdit(edit)]).edited.result.trace;
    const { page, problems } = await open(`#whatif=${edit}`);
    await page.getByRole('button', { name: 'step by hand' }).click();
    const at = Number(await page.locator('#lab-hand-where li.lab-here').getAttribute('data-trace'));
    const held = heldBack(trace, stepEnd(trace, at));
    expect(held.length).toBeGreaterThan(1);
    const link = page.locator('#lab-held li[data-link="s1:s3"]');
    for (const m of held) await expect(link.textContent()).resolves.toContain(`#${m.id} `);
    await expect(page.locator('#lab-held-whole').textContent()).resolves.toContain(
      'there is no letting just one through',
    );
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('a delivery chosen by hand, then a change before it', () => {
  it('is refused, naming the delivery to take off, and the run and its edits stay as they were', async () => {
    // Two PUTs leave for the leader at once; under seed 2 they are still two in flight.
    const { own, href } = writeLabPage(
      twoInFlight,
      'test/fixtures/two-in-flight.ts',
      'two-in-flight',
    );
    const seeded = runScenario(twoInFlight, { seed: 2 });
    expect(seeded.result.hash).not.toBe(own.result.hash);
    const { page, problems } = await open('#step=1&whatif=seed:2', href);
    await page.setViewportSize({ width: 1024, height: 800 });
    await page.getByRole('button', { name: 'step by hand' }).click();
    const choices = page.locator('#lab-choices button');
    for (let i = 0; i < 20 && (await choices.count()) < 2; i++) {
      await page.getByRole('button', { name: 'later event ▶' }).click();
    }
    expect(await choices.count()).toBeGreaterThanOrEqual(2);
    await choices.nth(1).click();
    // Brought back into sight as the comparison opens above it: below the edit's note, not under it.
    for (const name of ['earlier event', 'later event', 'leave step by hand']) {
      const button = page.locator('#lab-hand button').filter({ hasText: name }).first();
      await button.evaluate((b) => b.setAttribute('data-probe', ''));
      expect(await uncovered(page, '[data-probe]'), name).toBe(true);
      await button.evaluate((b) => b.removeAttribute('data-probe'));
    }
    const chips = () => page.locator('#lab-edits code').allTextContents();
    const nowHash = () => page.locator('.lab-col[data-side="now"] .lab-hash').textContent();
    const [, hand] = await chips();
    expect(hand).toMatch(/^deliver:\d+@\d+$/);
    const edits = ['seed:2', hand!];
    const shown = runWhatIf(effectiveScenario(twoInFlight, own), edits.map(parseEdit));
    await expect(nowHash()).resolves.toBe(shown.edited.result.hash);
    const refused = `Not applied: ${hand} was chosen by hand in a run that the change before it replaces; take ${hand} off first, then step by hand again`;
    // The seed taken off, or set to another: the delivery was chosen among another run's events.
    await page.locator('#lab-edits li').first().getByRole('button', { name: '×' }).click();
    await expect(page.locator('#lab-status').textContent()).resolves.toContain(refused);
    await expect(chips()).resolves.toEqual(edits);
    await expect(nowHash()).resolves.toBe(shown.edited.result.hash);
    await page.locator('#lab-seed').fill('3');
    await page.locator('.lab-settings button').nth(2).click();
    await expect(page.locator('#lab-status').textContent()).resolves.toContain(refused);
    await expect(chips()).resolves.toEqual(edits);
    expect(new URL(page.url()).hash).toContain(`whatif=${edits.join(',')}`);
    // Done as it says, the change goes through.
    await page.locator('#lab-edits li').nth(1).getByRole('button', { name: '×' }).click();
    await expect(chips()).resolves.toEqual(['seed:2']);
    await page.locator('#lab-seed').fill('3');
    await page.locator('.lab-settings button').nth(2).click();
    await expect(chips()).resolves.toEqual(['seed:3']);
    await expect(nowHash()).resolves.toBe(runScenario(twoInFlight, { seed: 3 }).result.hash);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

/** Whether what is drawn at the middle of `selector`'s box is that element: nothing covers it. */
async function uncovered(page: Page, selector: string): Promise<boolean> {
  return page.evaluate((sel) => {
    const e = document.querySelector(sel)!;
    const r = e.getBoundingClientRect();
    return e.contains(document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2));
  }, selector);
}

/** Whether `selector`'s box lies wholly inside the window. */
function inWindow(page: Page, selector: string): Promise<boolean> {
  return page.evaluate((sel) => {
    const r = document.querySelector(sel)!.getBoundingClientRect();
    return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;
  }, selector);
}

/** The colour a CSS colour variable of the page computes to. */
function colourOf(page: Page, variable: string): Promise<string> {
  return page.evaluate((v) => {
    const probe = document.body.appendChild(document.createElement('span'));
    probe.style.color = `var(${v})`;
    const colour = getComputedStyle(probe).color;
    probe.remove();
    return colour;
  }, variable);
}

describe('a class on the lock store: a lock released by a stranger', () => {
  const file = 'scenarios/lock-released-by-stranger.ts';

  it('a guarantee the change makes hold is shown in the colour of good news', async () => {
    const { own, href } = writeLabPage(lockReleasedByStranger, file, 'lock-stranger');
    const knob = 'knob:lockOwnerCheck=holder';
    const w = runWhatIf(effectiveScenario(lockReleasedByStranger, own), [parseEdit(knob)]);
    expect(diffRuns(w).verdicts).toMatchObject([
      { guarantee: 'mutual-exclusion', was: 'broken (1)', now: 'held' },
    ]);
    const { page, problems } = await open('', href);
    await page.setViewportSize({ width: 1024, height: 800 });
    await page.locator('#lab-knob').selectOption('lockOwnerCheck');
    await page.locator('#lab-knob-value').selectOption('holder');
    await page.locator('.lab-settings button').first().click();
    const verdict = (side: string) =>
      page.locator(`.lab-col[data-side="${side}"] li[data-g="mutual-exclusion"]`);
    await expect(verdict('now').textContent()).resolves.toBe('mutual exclusion: held');
    const colour = (side: string) => verdict(side).evaluate((e) => getComputedStyle(e).color);
    await expect(colour('now')).resolves.toBe(await colourOf(page, '--good'));
    await expect(colour('was')).resolves.not.toBe(await colourOf(page, '--good'));
    // The first divergence: s1's answer to the resent RELEASE_LOCK now waits on the held link, in
    // the diagram's mark for a hold, not in a glyph none of the page's fonts has.
    const now = await page.locator('#lab').textContent();
    expect(now).toMatch(/s1 ‖ c2 {2}LOCK_NOT_ACQUIRED c2\.1#2 x {2}held on the link/);
    expect(now).not.toContain('⏸');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('holding the link of the resent RELEASE_LOCK, clicked in the diagram, holds that message', async () => {
    const { own, href } = writeLabPage(lockReleasedByStranger, file, 'lock-stranger');
    const resent = own.result.trace.find(
      (e) => e.kind === 'send' && e.from === 'c2' && e.message.type === 'RELEASE_LOCK' && e.id > 5,
    ) as { id: number; t: number };
    const { page, problems } = await open('', href);
    await page.locator(`#diagram g.msg[data-msg="${resent.id}"] .hit`).click({ force: true });
    await page.getByLabel('hold for ms').fill('2000');
    await page.getByRole('button', { name: /holds messages from/ }).click();
    const [hold] = await page.locator('#lab-edits code').allTextContents();
    expect(hold).toBe(`hold:c2:s1@${resent.t}-${resent.t + 2000}`);
    // Held until after c3 asks, it frees nobody's lock: c3 is denied and c1 writes alone (§3).
    const w = runWhatIf(effectiveScenario(lockReleasedByStranger, own), [parseEdit(hold!)]);
    expect(w.edited.verdicts.find((v) => v.guarantee === 'mutual-exclusion')?.status).toBe('held');
    await expect(
      page.locator('.lab-col[data-side="now"] li[data-g="mutual-exclusion"]').textContent(),
    ).resolves.toBe('mutual exclusion: held');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it("step by hand shows who holds each lock, as the page's cards do", async () => {
    type Locks = {
      locks?: Record<string, { holder: string; token: number; expiresAt: number | null }>;
    };
    for (const [scenario, name] of [
      [lockReleasedByStranger, 'lock-released-by-stranger'],
      [lockTour, 'lock-tour'],
    ] as const) {
      const { own, href } = writeLabPage(scenario, `scenarios/${name}.ts`, name);
      // s1's digest once it has granted c1 the lock of x: holder, token (where tokens go on the
      // wire) and lease, as the trace has them.
      const digest = own.result.trace.find(
        (e) =>
          e.kind === 'state' && e.node === 's1' && (e.summary as Locks).locks?.x?.holder === 'c1',
      ) as { summary: Locks };
      const lock = digest.summary.locks!.x!;
      const about = [
        own.knobs.fencing === 'none' ? '' : `token ${lock.token}`,
        lock.expiresAt === null ? '' : `until ${formatTime(lock.expiresAt)}`,
      ].filter((part) => part !== '');
      const said = `lock x held by c1${about.length > 0 ? ` (${about.join(', ')})` : ''}`;
      const { page, problems } = await open('#step=1', href);
      await page.getByRole('button', { name: 'step by hand' }).click();
      const at = page.locator('#lab-hand-at');
      const later = page.getByRole('button', { name: 'later event ▶' });
      for (let i = 0; i < 40 && !(await at.textContent())?.includes('ACQUIRE_LOCK c1.1 x'); i++)
        await later.click();
      await expect(at.textContent(), name).resolves.toContain('c1 → s1  ACQUIRE_LOCK c1.1 x');
      await expect(
        page.locator('#lab-state tr[data-node="s1"] td').textContent(),
        name,
      ).resolves.toContain(said);
      // The diagram's step follows step by hand in the page's own run, to the request's row; its
      // card says the same from the next row, where the grant is written (step by hand is after
      // the whole atomic step), the lease in the same time as everywhere on the page.
      await page.locator('#next').click();
      await expect(page.locator('#step-info .what').textContent(), name).resolves.toContain(
        'grants the lock of x to c1',
      );
      await expect(
        page.locator('#state .node[data-node="s1"]').textContent(),
        name,
      ).resolves.toContain(`lock x: held by c1${about.length > 0 ? ` (${about.join(', ')})` : ''}`);
      expect(problems).toEqual([]);
      await page.context().close();
    }
  });

  it("step by hand opened after an edit from the diagram is not covered by that edit's note", async () => {
    const { own, href } = writeLabPage(lockReleasedByStranger, file, 'lock-stranger');
    // The RELEASE_LOCK c2 resends: the one that frees c1's lock.
    const resent = own.result.trace.filter(
      (e) => e.kind === 'send' && e.from === 'c2' && e.message.type === 'RELEASE_LOCK',
    )[1] as { id: number };
    for (const [width, height] of [
      [1024, 800],
      [1600, 1000],
    ] as const) {
      const { page, problems } = await open('', href);
      await page.setViewportSize({ width, height });
      await page.locator(`#diagram g.msg[data-msg="${resent.id}"] .hit`).click({ force: true });
      await page.getByRole('button', { name: 'is lost' }).click();
      await expect(page.locator('#lab-toast').isHidden()).resolves.toBe(false);
      await page.getByRole('button', { name: 'step by hand' }).click();
      await expect(page.locator('#lab-toast').isHidden()).resolves.toBe(true);
      for (const name of ['earlier event', 'later event', 'leave step by hand']) {
        const button = page.locator('#lab-hand button').filter({ hasText: name }).first();
        await button.evaluate((b) => b.setAttribute('data-probe', ''));
        expect(await uncovered(page, '[data-probe]'), `${name} at ${width} px`).toBe(true);
        await button.evaluate((b) => b.removeAttribute('data-probe'));
      }
      expect(problems).toEqual([]);
      await page.context().close();
    }
  });
});

describe('the state cards', () => {
  it('grow to their longest timestamp rather than run over one another', async () => {
    // A leader whose clock reads 1e9 ms stamps 10-digit versions (a live run's have 13).
    const wide: Scenario = {
      goal: 'Long timestamps in every card',
      preset: 'fixed',
      knobs: { leaderClock: 'wall' },
      clockSkewMs: { s1: 1_000_000_000 },
      clients: 2,
      steps: [
        { at: 0, client: 'c1', put: ['x', '1'], via: 's1' },
        { at: 100, client: 'c2', put: ['y', '2'], via: 's1' },
        { at: 200, client: 'c1', get: 'y', via: 's2' },
        { at: 300, client: 'c2', get: 'x', via: 's3' },
      ],
    };
    const { href } = writeLabPage(wide, 'wide-ts.ts', 'wide-ts');
    const { page, problems } = await open('', href);
    // A classroom laptop's screen: the panel docks under the diagram, five cards a row.
    await page.setViewportSize({ width: 1366, height: 768 });
    await page.waitForFunction(() => document.body.classList.contains('dock'));
    const cards = await page.locator('#state .node').evaluateAll((nodes) =>
      nodes.map((n) => {
        const box = n.getBoundingClientRect();
        const table = n.querySelector('table')!.getBoundingClientRect();
        return { left: box.left, right: box.right, top: box.top, bottom: box.bottom, table };
      }),
    );
    expect(cards).toHaveLength(5);
    for (const [i, a] of cards.entries()) {
      // The table stays inside its card's border…
      expect(a.table.right, `card ${i}`).toBeLessThanOrEqual(a.right);
      // …and no two cards share a pixel.
      for (const b of cards.slice(i + 1)) {
        const apart =
          a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top;
        expect(apart, `cards ${i} and ${cards.indexOf(b)}`).toBe(true);
      }
    }
    await page.locator('#panel').screenshot({ path: join(ARTIFACTS, 'wide-ts-cards.png') });
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('the page for bigger runs', () => {
  it('opens at the step the address names, and keeps the step it moves to', async () => {
    const { page, problems } = await open('#step=1');
    await expect(page.locator('#step-info').textContent()).resolves.toMatch(/^Step 1 of /);
    await page.locator('#next').click();
    expect(new URL(page.url()).hash).toBe('#step=2');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('folds a state card, and the lane filter hides the cards and fades the rows of other nodes', async () => {
    const { page, problems } = await open();
    await page.locator('#state .node[data-node="s2"] .fold-card').click();
    await expect(page.locator('#state .node[data-node="s2"] table').count()).resolves.toBe(0);
    await page.locator('.lane-choice input[value="c2"]').uncheck();
    await expect(page.locator('#state .node[data-node="c2"]').count()).resolves.toBe(0);
    const faded = await page.locator('#diagram .row-bg.filtered').count();
    expect(faded).toBeGreaterThan(0);
    await expect(
      page.locator('#diagram .lane-head.filtered[data-node="c2"]').count(),
    ).resolves.toBe(2);
    await page.evaluate(() => window.scrollTo(0, 1500));
    await page.waitForFunction(() => !document.querySelector<HTMLElement>('.lane-bar')!.hidden);
    await expect(page.locator('.lane-bar').isVisible()).resolves.toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'lab-bigger.png') });
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('a crowd of 25 nodes', () => {
  it('fits every lane name in a 1600-pixel window, reruns to its hash, and steps without error', async () => {
    const { own, href } = writeLabPage(crowd(200), 'crowd.ts', 'crowd');
    const { page: tab, problems } = await open('#step=1', href);
    await expect(tab.locator('#lab-status').textContent()).resolves.toContain(own.result.hash);
    const names = await tab
      .locator('#diagram .lane-head .lane-name')
      .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().right));
    expect(names).toHaveLength(2 * 25);
    expect(Math.max(...names)).toBeLessThan(1600);
    for (let i = 0; i < 5; i++) await tab.keyboard.press('ArrowRight');
    await expect(tab.locator('#step-info').textContent()).resolves.toMatch(/^Step 6 of /);
    await tab.screenshot({ path: join(ARTIFACTS, 'lab-crowd.png') });
    expect(problems).toEqual([]);
    await tab.context().close();
  });
});

describe('a run of 25 nodes and 10,000 steps', () => {
  it('is reached by keyboard at its end, and the stop stays in the page when scrolled away', async () => {
    const { href } = writeLabPage(bigRun, 'test/fixtures/big-run.ts', 'lab-big-keys');
    const { page: tab, problems } = await open('#step=1', href);
    const where = () =>
      tab.evaluate(() => {
        const a = document.activeElement as HTMLElement | SVGElement;
        return {
          inDiagram: a.closest('#diagram') !== null,
          node: a.dataset.node ?? a.closest<SVGElement>('[data-node]')?.dataset.node,
          step: document.getElementById('step-info')!.dataset.step,
          stops: document.querySelectorAll('#diagram [tabindex="0"]').length,
        };
      });
    for (let k = 0; k < 200 && !(await where()).inDiagram; k++) await tab.keyboard.press('Tab');
    await expect(where()).resolves.toMatchObject({ inDiagram: true, node: 's1', stops: 1 });
    // Ctrl+End: the last row, drawn and in the window though far below it; → along to s2.
    await tab.keyboard.press('Control+End');
    await tab.keyboard.press('ArrowRight');
    const last = String((await pageSteps(tab)).length - 1);
    await expect(where()).resolves.toMatchObject({ node: 's2', step: last, stops: 1 });
    await expect(inWindow(tab, '#diagram .key-mark')).resolves.toBe(true);
    // Scrolled back to the top, the rows there are drawn and the end's are not, but the stop is:
    // Tab out and back finds it where it was.
    await tab.evaluate(() => window.scrollTo(0, 0));
    await tab.waitForFunction(() => document.querySelector('#diagram .row-bg[data-step="0"]'));
    await tab.keyboard.press('Tab');
    await expect(where()).resolves.toMatchObject({ inDiagram: false });
    await tab.keyboard.press('Shift+Tab');
    await expect(where()).resolves.toMatchObject({ inDiagram: true, node: 's2', step: last });
    expect(problems).toEqual([]);
    await tab.context().close();
  });

  it('loads, reruns to its hash, steps to the end and explains a message there, without error', async () => {
    const { own, doc: big, href } = writeLabPage(bigRun, 'test/fixtures/big-run.ts', 'big');
    const { page: tab, problems } = await open('#step=1', href);
    await expect(tab.locator('#lab-status').textContent()).resolves.toContain(own.result.hash);
    const steps = JSON.parse((await tab.locator('#kvsim-view').textContent())!).steps
      .traceIndex as number[];
    expect(steps.length).toBeGreaterThanOrEqual(10_000);
    await expect(tab.locator('#step-info b').textContent()).resolves.toBe(
      `Step 1 of ${steps.length}`,
    );
    for (let i = 0; i < 3; i++) await tab.keyboard.press('ArrowRight');
    await expect(tab.locator('#step-info b').textContent()).resolves.toMatch(/^Step 4 of /);
    // The end of the run: its row is drawn and in view, though it was far below the window.
    await tab.keyboard.press('End');
    const last = steps.length - 1;
    const row = tab.locator(`#diagram .row-bg[data-step="${last}"]`);
    await expect(row.isVisible()).resolves.toBe(true);
    await expect(tab.locator('#step-info').getAttribute('data-trace-index')).resolves.toBe(
      String(steps[last]),
    );
    // The last message delivered: its tooltip tells its story from the trace's own events.
    const delivered = big.events.filter((e) => e.kind === 'deliver').at(-1);
    if (delivered?.kind !== 'deliver') throw new Error('the run delivers nothing');
    const label = tab.locator(`#diagram .label[data-msg="${delivered.id}"]`);
    await label.scrollIntoViewIfNeeded();
    await label.hover();
    const tip = await tab.locator('#tooltip').textContent();
    expect(tip).toContain(`#${delivered.id}`);
    expect(tip).toContain(`${delivered.from} → ${delivered.to}`);
    expect(tip).toContain(String(delivered.message.type));
    await tab.screenshot({ path: join(ARTIFACTS, 'lab-big.png') });
    // Scrolled to the middle by hand, the rows are drawn over the whole window.
    await tab.evaluate(() => window.scrollTo(0, document.body.scrollHeight / 2));
    await tab.waitForFunction(() => {
      const rows = [...document.querySelectorAll('#diagram .row-bg')].map((r) =>
        r.getBoundingClientRect(),
      );
      const top = Math.min(...rows.map((r) => r.top));
      const bottom = Math.max(...rows.map((r) => r.bottom));
      return top <= 0 && bottom >= window.innerHeight;
    });
    await tab.screenshot({ path: join(ARTIFACTS, 'lab-big-middle.png') });
    // Back to the start: the first rows are drawn again.
    await tab.keyboard.press('Home');
    await expect(tab.locator('#diagram .row-bg[data-step="0"]').isVisible()).resolves.toBe(true);
    expect(problems).toEqual([]);
    await tab.context().close();
  });
  it('focuses a witness far down the run, and the lane filter fades rows drawn later', async () => {
    // The big run with a read past its middle expected wrongly: a witness out of the first window.
    let k = Math.floor(bigRun.steps.length / 2);
    while (!('get' in bigRun.steps[k]!)) k++;
    const wrong: Scenario = {
      ...bigRun,
      steps: bigRun.steps.map((step, i) =>
        i === k ? { ...step, expect: { reply: 'GET_OK', value: 'never written' } } : step,
      ),
    };
    const doc = traceDocument(runScenario(wrong), { file: 'big.ts', goal: wrong.goal, replay: '' });
    const failed = doc.expectations.find((x) => x.failure !== null);
    expect(failed).toBeDefined();
    const path = join(ARTIFACTS, 'big-wrong.html');
    writeFileSync(path, renderHtml(doc));
    const { page: tab, problems } = await open('#step=1', pathToFileURL(path).href);
    const label = tab.locator(`#diagram .label[data-op="${failed!.opId}"]`);
    await expect(label.count()).resolves.toBe(0);
    const link = tab.locator('.witness-link').filter({ hasText: failed!.failure! });
    await link.click();
    await expect(label.first().isVisible()).resolves.toBe(true);
    await expect(
      tab.locator(`#diagram .label[data-op="${failed!.opId}"].focus`).count(),
    ).resolves.toBe(await label.count());
    await tab.screenshot({ path: join(ARTIFACTS, 'big-wrong.png') });
    // Only c1's rows: rows drawn after the filter was set are faded too.
    await tab.locator('.lane-all').click();
    for (const input of await tab.locator('.lane-choice input').all()) {
      if ((await input.getAttribute('value')) !== 'c1') await input.uncheck();
    }
    await tab.keyboard.press('End');
    // The rows about the page's end are drawn in the frame after its scroll: counted before that,
    // the rows still drawn about the witness were counted instead, and they go as the page's end
    // comes in (under load the count then did not grow).
    await tab.waitForFunction(
      () => window.scrollY + window.innerHeight >= document.documentElement.scrollHeight - 1,
    );
    await tab.evaluate(
      () => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))),
    );
    const rows = tab.locator('#diagram .row-bg');
    // Read back up a window's height (the last row sits on the panel, at the page's end): the
    // rows drawn then take in some of c1's.
    const drawn = await rows.count();
    // A window at a time until a chunk not drawn before comes in: a chunk of rows may span more
    // than the window's height drawn beyond the window (the diagram drawn smaller to fit, more).
    for (let k = 0; k < 10 && (await rows.count()) <= drawn; k++) {
      await tab.evaluate(() => window.scrollBy(0, -window.innerHeight));
      await tab.evaluate(
        () => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))),
      );
    }
    expect(await rows.count()).toBeGreaterThan(drawn);
    const faded = tab.locator('#diagram .row-bg.filtered');
    await expect(faded.count()).resolves.toBeGreaterThan(0);
    expect(await faded.count()).toBeLessThan(await rows.count());
    expect(problems).toEqual([]);
    await tab.context().close();
  });
});

describe('a page from a run a bound cut short', () => {
  it('reruns within the bounds the run had, to the same trace hash', async () => {
    // As `npm run sim -- scenarios/stale-read.ts --max-events 10 --html` makes it.
    const own = runScenario(staleRead, { bounds: { maxEvents: 10 } });
    expect(own.result.ending).toBe('event-limit');
    const definition = effectiveScenario(staleRead, own);
    const cut = traceDocument(own, { file: FILE, goal: staleRead.goal, replay: '', definition });
    const path = join(ARTIFACTS, 'lab-cut.html');
    writeFileSync(path, renderHtml(cut, {}, labPage()));
    const { page: tab, problems } = await open('', pathToFileURL(path).href);
    await expect(tab.locator('#lab-status').textContent()).resolves.toBe(
      `Rerun in this browser: trace hash ${own.result.hash}, the same as the page's ✓`,
    );
    expect(problems).toEqual([]);
    await tab.context().close();
  });
});

describe('every scenario', () => {
  const files = readdirSync(join(ROOT, 'scenarios')).filter((f) => f.endsWith('.ts'));

  it.each(files)('%s reruns in the browser to the trace hash npm run sim gives', async (file) => {
    const loaded = (await import(pathToFileURL(join(ROOT, 'scenarios', file)).href))
      .default as Scenario;
    const name = `lab-${file.replace(/\.ts$/, '')}`;
    const { own, href } = writeLabPage(loaded, `scenarios/${file}`, name);
    const { page: tab, problems } = await open('', href);
    await expect(tab.locator('#lab-status').textContent()).resolves.toBe(
      `Rerun in this browser: trace hash ${own.result.hash}, the same as the page's ✓`,
    );
    expect(problems).toEqual([]);
    await tab.context().close();
  });
});
