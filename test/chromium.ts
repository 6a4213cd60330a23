// Debian's chromium through playwright-core, for the tests that open the page in a real browser.
// Without chromium every browser test fails (never skips), each saying how to install it.

import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

export const CHROMIUM = '/usr/bin/chromium';

/** Pages and screenshots for a person to look at. */
export const ARTIFACTS = join(import.meta.dirname, '..', 'test-artifacts');

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const MISSING = `the browser tests need Debian's chromium at ${CHROMIUM}; install it with: apt-get install chromium`;

/**
 * One browser for the test file: launched before its tests, closed after them. The getter throws
 * MISSING when chromium is not installed, so each test that needs it fails saying how to mend it.
 */
export function useChromium(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    if (existsSync(CHROMIUM)) {
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    }
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (browser === undefined) throw new Error(MISSING);
    return browser;
  };
}

/** What goes wrong on a page: console errors, uncaught exceptions, requests for anything but `url`. */
export function watch(page: Page, url: string): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  page.on('request', (r) => {
    // The page may move its own fragment (#step=3): still itself.
    if (r.url().split('#')[0] !== url.split('#')[0]) problems.push(`request: ${r.url()}`);
  });
  page.on('requestfailed', (r) => {
    problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  return problems;
}
