import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelSummary } from '../../src/onnx/summary-types.js';
import { REPO_ROOT, runCli } from '../integration/harness.js';
import { makeModels } from './models.js';

// The drawn graph opened from disk in Debian's chromium (.ci/setup.sh installs it) with every
// network request refused: it must render without errors and draw one box per ONNX node.
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'orch-graph-'));
  makeModels(dir, { pe: 2, simd: 4 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('inspect --html in a browser', () => {
  it.each([['specialized/model.onnx'], ['qonnx.onnx'], ['finn.onnx']])('%s: no console errors, one SVG node per ONNX node, screenshot', async (model) => {
    const html = path.join(dir, `${model.replace(/\W/g, '_')}.html`);
    const r = await runCli(['inspect', model, '--html', html, '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as ModelSummary;
    const expected = [summary.nodeCount, ...summary.children.map((c) => c.summary!.nodeCount)];

    expect(existsSync(CHROMIUM)).toBe(true);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    try {
      const context = await browser.newContext({ offline: true });
      const requests: string[] = [];
      await context.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith('file:')) return route.continue();
        requests.push(url);
        return route.abort();
      });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });
      const counts = await page.$$eval('svg.onnx-graph', (svgs) => svgs.map((s) => s.querySelectorAll('g.node').length));
      expect(counts).toEqual(expected);
      // Datatypes on edges, folding in labels.
      const text = await page.textContent('body');
      if (model.startsWith('specialized')) {
        expect(text).toContain('PE=2 SIMD=4');
        expect(text).toContain('INT8 [1,8,16]');
      }
      // Every box lies inside its SVG (the layout ran).
      const boxes = await page.$$eval('svg.onnx-graph g.node rect', (rs) => rs.map((r) => (r as unknown as { getBBox(): { x: number; y: number; width: number; height: number } }).getBBox()).map((b) => [b.x, b.y, b.width, b.height]));
      expect(boxes.every(([x, y, w, h]) => x! >= 0 && y! >= 0 && w! > 0 && h! > 0)).toBe(true);
      mkdirSync(ARTIFACTS, { recursive: true });
      const shot = path.join(ARTIFACTS, `onnx-graph-${model.replace(/\W/g, '_')}.png`);
      await page.screenshot({ path: shot, fullPage: true });
      expect(statSync(shot).size).toBeGreaterThan(1000);
      expect(problems).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
