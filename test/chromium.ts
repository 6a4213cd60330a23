// Debian's chromium through playwright-core, for the tests that open the page in a real browser.
// Without chromium every browser test fails (never skips), each saying how to install it.

import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

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

/** The browser, or undefined when chromium is not installed (the tests then fail with MISSING). */
export async function launchChromium(): Promise<Browser | undefined> {
  return existsSync(CHROMIUM)
    ? chromium.launch({ executablePath: CHROMIUM, args: ARGS })
    : undefined;
}
