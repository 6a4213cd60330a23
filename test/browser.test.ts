// The HTML page in a real browser (Debian's chromium through playwright-core): it loads from disk
// with no error and no request, draws every lane, steps to the right state, and shows a failed
// expectation's witness. Expected values come from the run's own trace, never typed in here.
// Screenshots land in test-artifacts/ for a person to look at.

import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import followerDownBlocksPuts from '../scenarios/follower-down-blocks-puts.ts';
import staleRead from '../scenarios/stale-read.ts';
import writeOvertakesItsCause from '../scenarios/write-overtakes-its-cause.ts';
import { GLYPHS } from '../sim/render/diagram.ts';
import { formatTime } from '../sim/render/format.ts';
import { renderHtml } from '../sim/render/html.ts';
import { highlightsOf, type TraceDocument, traceDocument } from '../sim/render/json.ts';
import { replayCommand } from '../sim/render/summary.ts';
import { runScenario, type Scenario } from '../sim/scenario.ts';
import { ARTIFACTS, CHROMIUM, MISSING, useChromium, watch } from './chromium.ts';
import staleReadWrong from './fixtures/stale-read-wrong.ts';

const ROOT = join(import.meta.dirname, '..');

interface Loaded {
  readonly doc: TraceDocument;
  readonly page: Page;
  readonly url: string;
  /** Console errors, uncaught exceptions, and requests for anything but the page itself. */
  readonly problems: string[];
}

function writePage(scenario: Scenario, file: string, name: string) {
  const run = runScenario(scenario);
  const doc = traceDocument(run, {
    file,
    goal: scenario.goal,
    replay: replayCommand(file, run, undefined, []),
  });
  const path = join(ARTIFACTS, `${name}.html`);
  writeFileSync(path, renderHtml(doc));
  return { doc, url: pathToFileURL(path).href };
}

const browser = useChromium();

it('finds chromium at /usr/bin/chromium', () => {
  expect(existsSync(CHROMIUM), MISSING).toBe(true);
});

async function load(scenario: Scenario, file: string, name: string): Promise<Loaded> {
  const { doc, url } = writePage(scenario, file, name);
  const context = await browser().newContext({ viewport: { width: 1600, height: 1000 } });
  const page = await context.newPage();
  const problems = watch(page, url);
  await page.goto(url);
  return { doc, page, url, problems };
}

/** The step the page shows for a trace event, read from the page's own view model. */
async function stepsOf(page: Page): Promise<{ traceIndex: number }[]> {
  const indices: number[] = await page.evaluate(
    () => JSON.parse(document.getElementById('kvsim-view')!.textContent!).steps.traceIndex,
  );
  return indices.map((traceIndex) => ({ traceIndex }));
}

function cellText(page: Page, node: string, key: string, column: string): Promise<string | null> {
  return page
    .locator(`#state .node[data-node="${node}"] tr[data-key="${key}"] .${column}`)
    .textContent();
}

/** What the trace says a server holds for a key: its latest state digest before `end`. */
function heldBefore(doc: TraceDocument, node: string, key: string, end: number): number | null {
  let ts: number | null = null;
  doc.events.slice(0, end).forEach((e) => {
    if (e.kind !== 'state' || e.node !== node) return;
    const store = (e.summary as { store: Record<string, { ts: number }> }).store;
    ts = store[key]?.ts ?? null;
  });
  return ts;
}

describe('the stale-read page', () => {
  let loaded: Loaded;
  beforeAll(async () => {
    loaded = await load(staleRead, 'scenarios/stale-read.ts', 'stale-read');
  });
  afterAll(async () => {
    await loaded?.page.context().close();
  });

  it('draws a lane, a header and a state card for every node', async () => {
    const { page, doc } = loaded;
    await page.screenshot({ path: join(ARTIFACTS, 'stale-read.png'), fullPage: true });
    for (const node of doc.nodes) {
      await expect(page.locator(`.lane-head[data-node="${node.id}"]`).count()).resolves.toBe(2);
      const lanes = await page.locator(`line.lane[data-node="${node.id}"]`).count();
      expect(lanes).toBeGreaterThan(0);
      await expect(page.locator(`#state .node[data-node="${node.id}"]`).count()).resolves.toBe(1);
    }
  });

  it("steps across s3's last REPLICATION of x: the state panel shows its ts before and after", async () => {
    const { page, doc } = loaded;
    // The last REPLICATION of x to reach s3: the one that brings it up to date.
    const deliveries = doc.events.flatMap((e, i) =>
      e.kind === 'deliver' &&
      e.to === 's3' &&
      e.message.type === 'REPLICATION' &&
      (e.message as { key?: string }).key === 'x'
        ? [{ index: i, ts: (e.message as { ts?: number }).ts }]
        : [],
    );
    const { index, ts } = deliveries[deliveries.length - 1]!;
    // The row where s3 stores what it carried, next after the delivery's own.
    const stored = doc.events.findIndex(
      (e, i) =>
        i > index && e.kind === 'record' && e.node === 's3' && e.observation.kind === 'apply',
    );
    const steps = await stepsOf(page);
    const step = steps.findIndex((s) => s.traceIndex === index);
    expect(steps[step + 1]!.traceIndex).toBe(stored);
    // Before: what s3's last state digest said; after: what the REPLICATION carried.
    const before = heldBefore(doc, 's3', 'x', index);
    const after = ts;
    expect(before).not.toBe(after);

    await page.locator('#slider').fill(String(step - 1));
    await expect(cellText(page, 's3', 'x', 'ts')).resolves.toBe(String(before));
    // The REPLICATION's row: it has arrived, and the next row says s3 stores it; the card
    // changes there, with the row that says so.
    await page.click('#next');
    await expect(cellText(page, 's3', 'x', 'ts')).resolves.toBe(String(before));
    await page.click('#next');
    await expect(cellText(page, 's3', 'x', 'ts')).resolves.toBe(String(after));
    await expect(page.locator('#step-info').getAttribute('data-trace-index')).resolves.toBe(
      String(stored),
    );
    await page.screenshot({ path: join(ARTIFACTS, 'stale-read-replication.png') });
    await page.keyboard.press('ArrowLeft');
    await expect(cellText(page, 's3', 'x', 'ts')).resolves.toBe(String(before));
    await page.keyboard.press('End');
    const last = String(steps.length - 1);
    await expect(page.locator('#step-info').getAttribute('data-step')).resolves.toBe(last);
  });

  it("shows a message's fields on hover", async () => {
    const { page, doc } = loaded;
    const send = doc.events.find((e) => e.kind === 'deliver' && e.message.type === 'GET_OK');
    if (send?.kind !== 'deliver') throw new Error('the run delivers no GET_OK');
    await page.hover(`.label[data-msg="${send.id}"]`);
    await expect(page.locator('#tooltip').isVisible()).resolves.toBe(true);
    const text = await page.locator('#tooltip').textContent();
    expect(text).toContain('GET_OK');
    expect(text).toContain(`${send.from} → ${send.to}`);
    await page.screenshot({ path: join(ARTIFACTS, 'stale-read-hover.png') });
  });

  it('on a 1280-pixel projector the panel docks below and the diagram is not cut off', async () => {
    const { page } = loaded;
    await page.setViewportSize({ width: 1280, height: 800 });
    const bodyClass = () => page.locator('body').getAttribute('class');
    // The page lays itself out again on its resize event, which follows the viewport's change.
    await expect.poll(bodyClass).toContain('dock');
    const fits = await page.evaluate(() => {
      const svg = document.getElementById('diagram') as unknown as SVGSVGElement;
      return svg.width.baseVal.value <= document.getElementById('diagram-wrap')!.clientWidth;
    });
    expect(fits).toBe(true);
    await page.keyboard.press('Home');
    await page.screenshot({ path: join(ARTIFACTS, 'stale-read-1280.png') });
    await page.setViewportSize({ width: 1600, height: 1000 });
    await expect.poll(bodyClass).not.toContain('dock');
  });

  it("counts the steps as the slider does, and says how they come from the run's events", async () => {
    const { page, doc } = loaded;
    await page.keyboard.press('End');
    const slider = await page.locator('#step-info b').textContent();
    const sliderSteps = Number(/of (\d+)$/.exec(slider ?? '')![1]);
    const steps = await page
      .locator('.fact', { hasText: /^steps/ })
      .locator('dd')
      .textContent();
    // The two numbers a student compares: the header's steps are the slider's.
    expect(Number(/^(\d+),/.exec(steps ?? '')![1])).toBe(sliderSteps);
    // The kernel's own count, named, and what makes it differ.
    expect(doc.run.events).not.toBe(sliderSteps);
    expect(steps).toContain(`from ${doc.run.events} simulator events`);
    expect(steps).toContain('several rows');
  });

  it('heads its list with what the list holds: only informative findings here', async () => {
    const { page, doc } = loaded;
    const broken = doc.verdicts.filter((v) => v.status === 'broken');
    expect(broken.length).toBeGreaterThan(0);
    expect(broken.every((v) => v.informative)).toBe(true);
    expect(doc.expectations.every((x) => x.failure === null)).toBe(true);
    const heading = await page.locator('#findings h2').textContent();
    expect(heading).toMatch(/^Informative findings /);
    expect(heading).not.toMatch(/failure|violation|failed|broken/i);
  });

  it('loads with no console error and no request but the file itself', async () => {
    expect(loaded.problems).toEqual([]);
  });
});

describe('a page whose expectation fails', () => {
  let loaded: Loaded;
  beforeAll(async () => {
    loaded = await load(staleReadWrong, 'test/fixtures/stale-read-wrong.ts', 'stale-read-wrong');
  });
  afterAll(async () => {
    await loaded?.page.context().close();
  });

  it('draws the witness in red and focuses it when its sentence is clicked', async () => {
    const { page, doc } = loaded;
    const failed = doc.expectations.find((x) => x.failure !== null);
    expect(failed).toBeDefined();
    const highlights = highlightsOf(doc);
    const h = highlights.findIndex((x) => x.opIds.includes(failed!.opId));
    const link = page.locator(`.witness-link[data-h="${h}"]`);
    await expect(link.textContent()).resolves.toContain(failed!.failure!);
    const marked = page.locator(`#diagram .label[data-op="${failed!.opId}"].violation`);
    expect(await marked.count()).toBe(2);
    for (const id of highlights[h]!.messageIds) {
      await expect(page.locator(`.msg[data-msg="${id}"].violation`).count()).resolves.toBe(1);
    }
    const red = await marked.first().evaluate((el) => getComputedStyle(el).fill);
    expect(red).toBe('rgb(196, 0, 0)');

    await link.click();
    const witness = await page.locator(`#diagram [data-h~="${h}"]`).count();
    await expect(page.locator(`#diagram [data-h~="${h}"].focus`).count()).resolves.toBe(witness);
    await expect(page.locator('body').getAttribute('data-focus')).resolves.toBe(String(h));
    const explain = page.locator(`#diagram .explain[data-h="${h}"]`);
    await expect(explain.count()).resolves.toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'stale-read-wrong.png') });
    expect(loaded.problems).toEqual([]);
  });

  it('heads its list with the failed expectation first', async () => {
    const { page, doc } = loaded;
    expect(doc.expectations.some((x) => x.failure !== null)).toBe(true);
    const heading = await page.locator('#findings h2').textContent();
    expect(heading).toMatch(/^Failed expectations/);
    const informative = doc.verdicts.some((v) => v.status === 'broken' && v.informative);
    expect(heading?.includes('informative findings')).toBe(informative);
  });
});

/** follower-down-blocks-puts (s3 down for good: liveness breaks, storms fold), or a variant of it. */
function loadFollowerDown(scenario: Scenario, name: string): Promise<Loaded> {
  return load(scenario, 'scenarios/follower-down-blocks-puts.ts', name);
}

describe('a page whose scenario sets out to break a guarantee', () => {
  it('heads the break as the scenario expected, and a page whose break was not expected not so', async () => {
    const loaded = await loadFollowerDown(followerDownBlocksPuts, 'follower-down-blocks-puts');
    const { page, doc } = loaded;
    expect(doc.verdicts.some((v) => v.status === 'broken' && !v.informative)).toBe(true);
    expect(doc.verdictFailures).toEqual([]);
    await expect(page.locator('#findings h2').textContent()).resolves.toMatch(
      /^Broken guarantees, as the scenario expected /,
    );
    await page.context().close();
    // The same run as a scenario that expects no break: the break is its failure.
    const { expect: _expected, ...expectingNothing } = followerDownBlocksPuts;
    const unexpected = await loadFollowerDown(
      expectingNothing,
      'follower-down-blocks-puts-unexpected',
    );
    expect(unexpected.doc.verdictFailures.length).toBeGreaterThan(0);
    const heading = await unexpected.page.locator('#findings h2').textContent();
    expect(heading).toMatch(/^Failed expectations and broken guarantees /);
    expect(heading).not.toContain('as the scenario expected');
    expect(loaded.problems).toEqual([]);
    expect(unexpected.problems).toEqual([]);
    await unexpected.page.context().close();
  });
});

describe('a run that goes on past its last row (a storm, then the time bound)', () => {
  it("says at the last step that the cards show the run's end, not the row's time", async () => {
    const loaded = await loadFollowerDown(followerDownBlocksPuts, 'follower-down-blocks-puts');
    const { page, doc } = loaded;
    const steps = await stepsOf(page);
    const lastRow = doc.events[steps.at(-1)!.traceIndex]!.t;
    expect(doc.run.endedAt).toBeGreaterThan(lastRow);
    await page.keyboard.press('End');
    const info = page.locator('#step-info');
    await expect(info.textContent()).resolves.toContain(formatTime(lastRow));
    await expect(info.locator('.end').textContent()).resolves.toBe(
      `the cards show the state at the run's end, ${formatTime(doc.run.endedAt)}`,
    );
    // A step before the last shows its own moment, with no such line.
    await page.keyboard.press('ArrowLeft');
    await expect(info.locator('.end').count()).resolves.toBe(0);
    expect(loaded.problems).toEqual([]);
    await page.context().close();
  });
});

describe('a message lost as it leaves, at its step', () => {
  it('is said to be lost in the step panel, not drawn there as an arrival', async () => {
    const loaded = await load(
      writeOvertakesItsCause,
      'scenarios/write-overtakes-its-cause.ts',
      'lost-step',
    );
    const { page, doc } = loaded;
    const index = doc.events.findIndex((e) => e.kind === 'drop' && e.reason === 'partition');
    const drop = doc.events[index] as { from: string; to: string; message: { type: string } };
    const step = (await stepsOf(page)).findIndex((s) => s.traceIndex === index);
    expect(step).toBeGreaterThanOrEqual(0);
    await page.goto(`${loaded.url}#step=${step + 1}`);
    const what = await page.locator('#step-info .what').textContent();
    expect(what).toMatch(
      new RegExp(
        `^${drop.from} ✗ ${drop.to}: ${drop.message.type} .*\\(dropped by a partition\\)$`,
      ),
    );
    expect(loaded.problems).toEqual([]);
    await page.context().close();
  });
});

describe("the page's legend", () => {
  // The symbol each mark is drawn with on the page: the diagram's glyph, but a clock face for a
  // timer and a heavier cross for a crash (html.ts draws them so).
  const drawn = (glyph: string) =>
    ({ timer: '◷', crash: '✖' })[glyph] ?? GLYPHS[glyph as keyof typeof GLYPHS];
  const files = readdirSync(join(ROOT, 'scenarios')).filter((f) => f.endsWith('.ts'));
  it.each(files)('%s: explains every mark its diagram draws', async (file) => {
    const scenario = (await import(pathToFileURL(join(ROOT, 'scenarios', file)).href)).default;
    const run = runScenario(scenario as Scenario);
    const source = { file: `scenarios/${file}`, goal: (scenario as Scenario).goal, replay: '' };
    const html = renderHtml(traceDocument(run, source));
    const legend = /<div class="legend">([^<]*)<\/div>/.exec(html)![1]!;
    const glyphs = new Set([...html.matchAll(/class="mark glyph-(\w+)/g)].map((m) => m[1]!));
    expect(glyphs.size).toBeGreaterThan(0);
    for (const glyph of glyphs) expect(legend, glyph).toContain(drawn(glyph));
  });
});

describe("every scenario's page", () => {
  const files = readdirSync(join(ROOT, 'scenarios')).filter((f) => f.endsWith('.ts'));
  it.each(files)('%s loads and steps from first to last without an error', async (file) => {
    const scenario = (await import(pathToFileURL(join(ROOT, 'scenarios', file)).href)).default;
    const loaded = await load(scenario as Scenario, `scenarios/${file}`, file.replace(/\.ts$/, ''));
    const { page, doc } = loaded;
    const steps = await stepsOf(page);
    const shown = await page.evaluate((count) => {
      const slider = document.getElementById('slider') as HTMLInputElement;
      const cards: number[] = [];
      for (let k = 0; k < count; k++) {
        slider.value = String(k);
        slider.dispatchEvent(new Event('input'));
        cards.push(document.querySelectorAll('#state .node').length);
      }
      return cards;
    }, steps.length);
    expect(new Set(shown)).toEqual(new Set([doc.nodes.length]));
    for (const link of await page.locator('.witness-link').all()) await link.click();
    await page.context().close();
    expect(loaded.problems).toEqual([]);
  });
});

describe('a page over more keys than a state card lists', () => {
  it('says how many keys each node holds instead of listing them', async () => {
    const steps = Array.from({ length: 40 }, (_, i) => ({
      at: i * 50,
      client: 'c1',
      put: [`k${i}`, 'v'] as [string, string],
    }));
    const loaded = await load({ goal: 'puts on 40 keys', steps }, 'many-keys.ts', 'many-keys');
    const { page } = loaded;
    const last = (await stepsOf(page)).length - 1;
    await page.evaluate((k) => {
      const slider = document.getElementById('slider') as HTMLInputElement;
      slider.value = String(k);
      slider.dispatchEvent(new Event('input'));
    }, last);
    for (const node of ['s1', 's2', 's3', 'c1'])
      await expect(
        page.locator(`#state .node[data-node="${node}"] .empty`).textContent(),
      ).resolves.toBe('40 keys: too many to list at every step');
    await page.context().close();
    expect(loaded.problems).toEqual([]);
  });
});

describe('an operation its client abandoned by crashing', () => {
  it('says so on hover instead of calling it pending', async () => {
    const loaded = await load(
      {
        goal: 'c1 crashes with its PUT pending',
        knobs: { replicationDelay: 1_000 },
        steps: [
          { at: 0, client: 'c1', put: ['x', '1'] },
          { at: 100, crash: 'c1' },
          { at: 200, restart: 'c1' },
        ],
      },
      'abandoned.ts',
      'abandoned',
    );
    const { page, doc } = loaded;
    const put = doc.history.operations[0]!;
    expect(put.abandonedAt).toBe(100);
    // The mark's own mouseover: a message's label may lie on top of it where the pointer would go.
    await page.locator(`[data-op="${put.id}"]`).first().dispatchEvent('mouseover');
    await expect(page.locator('#tooltip').isVisible()).resolves.toBe(true);
    await expect(page.locator('#tooltip').textContent()).resolves.toContain(
      'never: abandoned when c1 crashed at 0.100s',
    );
    await page.context().close();
    expect(loaded.problems).toEqual([]);
  });
});

describe('nodes named after fields every JavaScript object has', () => {
  it('are down only once crashed, and their cards show what they hold', async () => {
    const loaded = await load(
      {
        goal: 'servers named constructor, toString and valueOf',
        servers: ['constructor', 'toString', 'valueOf'],
        clients: ['hasOwnProperty'],
        steps: [
          { at: 0, client: 'hasOwnProperty', put: ['x', '1'], expect: 'PUT_OK' },
          { at: 100, crash: 'valueOf' },
        ],
      },
      'prototype-names.ts',
      'prototype-names',
    );
    const { page, doc } = loaded;
    const card = (node: string) => page.locator(`#state .node[data-node="${node}"]`);
    const downAtEnd = async () =>
      Promise.all(
        ['constructor', 'toString', 'valueOf'].map(
          async (n) => await card(n).getAttribute('class'),
        ),
      );
    // The first step: nobody is down.
    await page.goto(`${loaded.url}#step=1`);
    for (const n of ['constructor', 'toString', 'valueOf', 'hasOwnProperty'])
      await expect(card(n).getAttribute('class')).resolves.not.toContain('down');
    // The last: valueOf is, the others are not; the leader's card shows x.
    await page.keyboard.press('End');
    const [leader, follower, crashed] = await downAtEnd();
    expect(leader).not.toContain('down');
    expect(follower).not.toContain('down');
    expect(crashed).toContain('down');
    // What the crashed server's card shows is what it held at its crash (fixed: durability=disk).
    await expect(card('valueOf').textContent()).resolves.toContain('as it stood at its crash');
    await expect(card('toString').textContent()).resolves.not.toContain('at its crash');
    const ts = heldBefore(doc, 'constructor', 'x', doc.events.length);
    expect(ts).not.toBeNull();
    await expect(cellText(page, 'constructor', 'x', 'value')).resolves.toContain('1');
    await page.context().close();
    expect(loaded.problems).toEqual([]);
  });
});
