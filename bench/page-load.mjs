// Load time of a self-contained HTML page in Debian's headless Chromium (playwright-core), offline:
// the seconds of each of `runs` fresh loads from disk. Shared by the report benchmarks.
import { pathToFileURL } from 'node:url';

export async function pageLoadSeconds(htmlFile, runs = 3) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: process.env.ORCHESTRATOR_CHROMIUM ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  const loads = [];
  try {
    for (let i = 0; i < runs; i++) {
      const page = await (await browser.newContext({ offline: true })).newPage();
      const started = Date.now();
      await page.goto(pathToFileURL(htmlFile).href, { waitUntil: 'load' });
      loads.push((Date.now() - started) / 1000);
      await page.close();
    }
  } finally {
    await browser.close();
  }
  return loads;
}

/** Opens the page once (offline) and returns what `inspect` (run in the page) returns. */
export async function inspectPage(htmlFile, inspect) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: process.env.ORCHESTRATOR_CHROMIUM ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try {
    const page = await (await browser.newContext({ offline: true })).newPage();
    await page.goto(pathToFileURL(htmlFile).href, { waitUntil: 'load' });
    return await page.evaluate(inspect);
  } finally {
    await browser.close();
  }
}
