/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * Opens generated pages in Debian's real Chromium (playwright-core drives /usr/bin/chromium; it
 * must be installed, by .ci/setup.sh, or these tests fail). Files are opened from disk with the
 * network off: any request that is not file:// is recorded and aborted, so a page that needs the
 * network fails its test. Screenshots go to the git-ignored test-artifacts/ folder.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT } from '../integration/harness.js';

export const CHROMIUM = process.env.ORCHESTRATOR_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts');

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

export interface OpenedPage {
  page: Page;
  /** Console errors and uncaught exceptions. */
  errors: string[];
  /** Requests that tried to leave the disk. */
  network: string[];
}

export async function openOffline(browser: Browser, file: string): Promise<OpenedPage> {
  const context = await browser.newContext({ offline: true, viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  const network: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
    network.push(url);
    return route.abort();
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { page, errors, network };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Marks of one kind (`symbol`, `line`, `rect`, `text`, ...) drawn inside the plot with this id. */
export function countMarks(page: Page, plotId: string, mark: string): Promise<number> {
  return page.evaluate(
    ([id, m]) => {
      const plot = [...document.querySelectorAll('.plot')].find((p) => p.getAttribute('data-plot') === id);
      if (!plot) return -1;
      return [...plot.querySelectorAll(`svg g.mark-${m}.role-mark`)].reduce((n, g) => n + g.querySelectorAll(':scope > path, :scope > text, :scope > line, :scope > rect').length, 0);
    },
    [plotId, mark] as const,
  );
}
