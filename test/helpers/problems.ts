// What a page must never do in the browser tests: log an error, throw, or ask for anything but
// itself. One watcher for every browser test file.

import type { Page } from 'playwright-core';

/** Collects console errors, uncaught exceptions and requests for anything but `url` (its fragment aside). */
export function watchProblems(page: Page, url: string): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  page.on('request', (r) => {
    if (r.url().split('#')[0] !== url) problems.push(`request: ${r.url()}`);
  });
  return problems;
}
