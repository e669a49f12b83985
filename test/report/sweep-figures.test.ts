/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * Sweep figures on the FINN-T study of examples/model-scaling (stand-in build: made-up FINN-shaped
 * reports, not FINN), its declaration reduced as test/sweep/model-scaling.test.ts reduces it
 * (6 configurations). `sweep plot` draws the example's four figures; the page is checked in
 * Chromium offline, including sorting the result table.
 */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepFigure } from '../../src/report/sweep-figures.js';
import type { ResultTable } from '../../src/sweep/results.js';
import { cleanupProjects, createProject, REPO_ROOT } from '../integration/harness.js';
import { exampleFiles, MODEL_SCALING_EXAMPLE as EXAMPLE } from '../sweep/model-scaling-example.js';
import { countMarks, launchBrowser, openOffline, screenshot } from './browser.js';


let browser: Browser;
const binDir = mkdtempSync(path.join(os.tmpdir(), 'orchestrator-bin-'));
symlinkSync(path.join(REPO_ROOT, 'bin', 'orchestrator.js'), path.join(binDir, 'orchestrator'));
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  rmSync(binDir, { recursive: true, force: true });
  cleanupProjects();
});

describe('sweepFigure (pure)', () => {
  const table: ResultTable = {
    sweep: 's',
    columns: [
      { key: 'variant', label: 'variant', kind: 'variant', numeric: false },
      { key: 'model.h', label: 'model.h', kind: 'param', numeric: true },
      { key: 'post.LUT', label: 'LUT', kind: 'metric', numeric: true },
      { key: 'bd.MVAU.LUT', label: 'bd.MVAU.LUT', kind: 'metric', numeric: true },
      { key: 'bd.FIFO.LUT', label: 'bd.FIFO.LUT', kind: 'metric', numeric: true },
    ],
    rows: [
      { variant: 'h=1', baseline: false, status: 'succeeded', grids: ['g'], values: { 'model.h': 1, 'post.LUT': 10, 'bd.MVAU.LUT': 7, 'bd.FIFO.LUT': 3 } },
      { variant: 'h=2', baseline: false, status: 'succeeded', grids: ['g'], values: { 'model.h': 2, 'post.LUT': 20, 'bd.MVAU.LUT': 15, 'bd.FIFO.LUT': 5 } },
    ],
  };
  it('takes x and y by alias, filters with where, stacks PREFIX.<layer>.<y>, and names a bad column', () => {
    const line = sweepFigure(table, 'f', { x: 'model.h', y: 'LUT', where: 'model.h>1' });
    expect(line.ok && (line.value.spec.data as { values: unknown[] }).values).toEqual([{ x: 2, y: 20, series: 'LUT', measure: 'LUT', variant: 'h=2' }]);
    const stacked = sweepFigure(table, 'b', { x: 'variant', y: 'LUT', stacked: 'bd' });
    expect(stacked.ok && (stacked.value.spec.data as { values: unknown[] }).values).toEqual([
      { x: 'h=1', layer: 'MVAU', value: 7 },
      { x: 'h=1', layer: 'FIFO', value: 3 },
      { x: 'h=2', layer: 'MVAU', value: 15 },
      { x: 'h=2', layer: 'FIFO', value: 5 },
    ]);
    const bad = sweepFigure(table, 'f', { x: 'model.hh', y: 'LUT' });
    expect(bad.ok ? '' : bad.error).toContain('figure f: x: sweep s has no column "model.hh" (did you mean "model.h"?)');
  });
});

describe('the FINN-T study example: sweep plot, plots show and report --sweep', () => {
  it('draws the four figures of examples/model-scaling and a sortable result table', async () => {
    const files = exampleFiles(EXAMPLE);
    const pipeline = files['pipeline.yaml']!;
    const reduced = pipeline
      .replace('"range(1, 13)", model.head_dim: [8, 16, 24, 32]', '"range(1, 3)", model.head_dim: [16, 32]')
      .replace('"range(32, 513, 32)"', '"range(256, 513, 256)"')
      .replace('"range(2, 9)"', '"range(2, 5, 2)"');
    expect(reduced).toContain('range(1, 3)');
    expect(reduced).toContain('stacked: breakdown');
    const p = createProject({ ...files, 'pipeline.yaml': reduced });
    const env = { PATH: `${binDir}:${process.env.PATH}` };
    await p.runOk(['sweep', 'run', 'scaling', '-j', '2'], 0, { env, timeoutMs: 500_000 });
    const doc = JSON.parse((await p.runOk(['sweep', 'plot', 'scaling', '--json'])).stdout) as { figures: { name: string; points: number }[]; table: { rows: unknown[] } };
    // heads grid: 4 variants x 4 resources; seq_len and bits grids: 2 variants x 4; breakdown: 4 variants x 4 layer types.
    expect(doc.figures.map((f) => [f.name, f.points])).toEqual([
      ['resources_vs_heads', 16],
      ['resources_vs_seq_len', 8],
      ['resources_vs_bits', 8],
      ['lut_breakdown', 16],
    ]);
    expect(doc.table.rows).toHaveLength(6);
    // plots show: the study's four figures join the workspace's plots.
    const shown = JSON.parse((await p.runOk(['plots', 'show', '--json'])).stdout) as { plots: { id: string; points: number }[] };
    expect(shown.plots.map((x) => [x.id, x.points])).toEqual([
      ['scaling/resources_vs_heads', 16],
      ['scaling/resources_vs_seq_len', 8],
      ['scaling/resources_vs_bits', 8],
      ['scaling/lut_breakdown', 16],
    ]);
    const { page: plotsPage, errors: plotsErrors } = await openOffline(browser, (await p.runOk(['plots', 'show'])).stdout.trim());
    expect(plotsErrors).toEqual([]);
    expect(await countMarks(plotsPage, 'scaling/lut_breakdown', 'rect')).toBe(16);
    const unknown = await p.run(['sweep', 'plot', 'scaling', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('declares no figure "nope"');

    const file = (await p.runOk(['report', '--sweep', 'scaling'])).stdout.trim();
    expect(file).toBe(p.abs('.orchestrator/report/sweeps/scaling/index.html'));
    const { page, errors, network } = await openOffline(browser, file);
    await screenshot(page, 'sweep-scaling');
    expect(errors).toEqual([]);
    expect(network).toEqual([]);
    expect(await countMarks(page, 'resources_vs_heads', 'symbol')).toBe(16);
    expect(await countMarks(page, 'resources_vs_heads', 'line')).toBe(8); // 2 head_dims x 4 panels
    expect(await countMarks(page, 'resources_vs_seq_len', 'symbol')).toBe(8);
    expect(await countMarks(page, 'resources_vs_bits', 'symbol')).toBe(8);
    expect(await countMarks(page, 'lut_breakdown', 'rect')).toBe(16);
    // Sorting the result table by num_heads, then reversed.
    const header = page.locator('#results-table th', { hasText: /^model\.num_heads$/ });
    const column = async () => {
      const idx = await page.evaluate(() => [...document.querySelectorAll('#results-table th')].findIndex((th) => th.textContent === 'model.num_heads'));
      return page.evaluate((i) => [...document.querySelectorAll('#results-table tbody tr')].map((r) => Number(r.children[i]!.textContent)), idx);
    };
    await header.click();
    expect(await column()).toEqual([1, 1, 1, 1, 2, 2]);
    await header.click();
    expect(await column()).toEqual([2, 2, 1, 1, 1, 1]);
  });
});
