// The page under hostile input, in a real browser: a page made from a trace full of markup,
// script and escape sequences runs no injected script, makes no request and reports no CSP
// violation of its own; and were an escape ever missed, its CSP would still stop injected markup.

import { writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import staleRead from '../scenarios/stale-read.ts';
import { renderHtml } from '../sim/render/html.ts';
import {
  parseTraceDocument,
  serializeTraceDocument,
  type TraceDocument,
  traceDocument,
} from '../sim/render/json.ts';
import { runScenario, type Scenario } from '../sim/scenario.ts';
import { ARTIFACTS, useChromium, watch } from './chromium.ts';
import { HOSTILE, hostileDocument } from './hostile-checks.ts';
import { brokenTrace, hostileNames, hostileScenario } from './hostile-inputs.ts';

/** Generated pages opened in the browser per run (each kind). */
const BROWSER_SAMPLE = 3;

const browser = useChromium();

interface Opened {
  readonly page: Page;
  /** Console errors, uncaught exceptions, requests for anything but the page itself. */
  readonly problems: string[];
  close(): Promise<void>;
}

async function open(html: string, name: string): Promise<Opened> {
  const path = join(ARTIFACTS, `${name}.html`);
  writeFileSync(path, html);
  const url = pathToFileURL(path).href;
  const context = await browser().newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const problems = watch(page, url);
  // Runs before the page's own script, outside its CSP: records every violation it reports.
  await page.addInitScript(() => {
    const w = window as unknown as { __violations: string[] };
    w.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      w.__violations.push(`${e.effectiveDirective} ${e.blockedURI}`);
    });
  });
  await page.goto(url);
  return { page, problems, close: () => context.close() };
}

const pwned = (page: Page) =>
  page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned);
const violations = (page: Page) =>
  page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);

/** Steps through every step, hovers the labels and clicks every witness: all of the script's paths. */
async function exercise(page: Page): Promise<void> {
  await page.evaluate(() => {
    const slider = document.getElementById('slider') as HTMLInputElement;
    for (let k = 0; k <= Number(slider.max); k++) {
      slider.value = String(k);
      slider.dispatchEvent(new Event('input'));
    }
  });
  // Hovers every message and operation: the tooltip shows their fields, which the trace wrote.
  await page.evaluate(() => {
    for (const el of document.querySelectorAll('#diagram [data-msg], #diagram [data-op]')) {
      el.dispatchEvent(new MouseEvent('mouseover', { bubbles: true, clientX: 10, clientY: 10 }));
    }
  });
  for (const link of await page.locator('.witness-link').all()) await link.click();
}

/** The page is safe: no injected element or handler ran, nothing was fetched, nothing refused. */
async function expectSafe(opened: Opened): Promise<void> {
  const { page, problems } = opened;
  await exercise(page);
  await expect(pwned(page)).resolves.toBeUndefined();
  await expect(
    page.locator('img, iframe, object, embed, [onerror], [onload]').count(),
  ).resolves.toBe(0);
  await expect(page.locator('script').count()).resolves.toBe(3);
  await expect(violations(page)).resolves.toEqual([]);
  expect(problems).toEqual([]);
  // The page's own script ran: it filled the step panel.
  await expect(page.locator('#step-info b').textContent()).resolves.toMatch(/^Step \d+ of \d+$/);
}

function documentOf(scenario: Scenario): TraceDocument {
  const run = runScenario(scenario);
  return traceDocument(run, { file: 'f.ts', goal: scenario.goal, replay: 'r' });
}

describe('a page made from a hostile trace', () => {
  it('with every hostile string as node names, keys, values, notes and sentences', async () => {
    const h = HOSTILE.join(' ');
    const doc = hostileDocument(
      documentOf(staleRead),
      { s1: `s1${h}`, s3: `s3${h}`, c1: `c1${h}`, c2: `c2${h}`, x: `x${h}` },
      h,
    );
    const opened = await open(renderHtml(doc), 'hostile');
    await opened.page.screenshot({ path: join(ARTIFACTS, 'hostile.png') });
    await expectSafe(opened);
    await opened.close();
  });

  it(`generated hostile scenarios (${BROWSER_SAMPLE})`, async () => {
    await fc.assert(
      fc.asyncProperty(hostileNames, async (names) => {
        const opened = await open(renderHtml(documentOf(hostileScenario(names))), 'hostile-gen');
        try {
          await expectSafe(opened);
        } finally {
          await opened.close();
        }
      }),
      { numRuns: BROWSER_SAMPLE },
    );
  });

  it(`generated malformed traces that the reader accepts (${BROWSER_SAMPLE})`, async () => {
    const base = JSON.parse(serializeTraceDocument(documentOf(staleRead)));
    const accepted = brokenTrace(base).filter((text) => {
      try {
        parseTraceDocument(text);
        return true;
      } catch {
        return false;
      }
    });
    await fc.assert(
      fc.asyncProperty(accepted, async (text) => {
        const opened = await open(renderHtml(parseTraceDocument(text)), 'broken-gen');
        try {
          await expectSafe(opened);
        } finally {
          await opened.close();
        }
      }),
      { numRuns: BROWSER_SAMPLE },
    );
  });
});

describe("the page's Content-Security-Policy", () => {
  it('stops markup injected past the escaping, and lets the page run', async () => {
    // A server on this machine's loopback counts every connection the page would make to it.
    let connections = 0;
    const server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const injected = [
      `<img src="${base}/x.png" onerror="window.__pwned=1">`,
      '<script>window.__pwned=2</script>',
      `<link rel="stylesheet" href="${base}/x.css">`,
      '<svg onload="window.__pwned=3"></svg>',
    ].join('');
    const html = renderHtml(documentOf(staleRead)).replace('</body>', `${injected}</body>`);
    const opened = await open(html, 'csp-injected');
    const { page, problems } = opened;
    await exercise(page);
    await expect(pwned(page)).resolves.toBeUndefined();
    const seen = await violations(page);
    await new Promise<void>((done) => server.close(() => done()));
    // Nothing left the page: the server saw no connection; and the browser says why.
    expect(connections).toBe(0);
    const requested = problems.filter((p) => p.startsWith('request: '));
    expect(requested.length).toBeGreaterThan(0);
    expect(problems.filter((p) => p.startsWith('failed: ') && p.endsWith(' csp'))).toHaveLength(
      requested.length,
    );
    expect(seen.some((v) => v.startsWith('script-src'))).toBe(true);
    expect(seen.some((v) => v.startsWith('img-src') && v.includes('127.0.0.1'))).toBe(true);
    await expect(page.locator('#step-info b').textContent()).resolves.toMatch(/^Step \d+ of \d+$/);
    await opened.close();
  });
});
