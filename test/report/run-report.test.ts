/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * `orchestrator report`: a real run (local executor, one failing stage, a 6-stage matrix), the
 * page opened in Debian's Chromium from disk with the network off.
 */
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { collapseGroups } from '../../src/graph/collapse.js';
import type { StageGraph } from '../../src/graph/stage-graph.js';
import { cleanupProjects, createProject } from '../integration/harness.js';
import { countMarks, launchBrowser, openOffline, screenshot } from './browser.js';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});
afterEach(cleanupProjects);

const PIPELINE = [
  'stages:',
  '  prep:',
  '    cmd: echo prep > prep.txt',
  '    outs: [prep.txt]',
  '  build:',
  '    matrix: {heads: [1, 2, 4], bits: [2, 4]}',
  '    cmd: echo ${item.heads} > "out-${item.heads}-${item.bits}.txt"',
  '    deps: [prep.txt]',
  '    outs: ["out-${item.heads}-${item.bits}.txt"]',
  '  bad:',
  "    cmd: 'echo first-line; echo the-last-words >&2; exit 3'",
  '    deps: [prep.txt]',
  '  summary:',
  "    cmd: 'echo LUT: 1234 > m.yaml && printf \"e,loss\\n1,2\\n2,1\\n3,0.5\\n\" > p.csv'",
  '    deps: [out-1-2.txt]',
  '    metrics: [m.yaml]',
  '    plots: [{p.csv: {x: e, y: loss}}]',
  '    params: [lr]',
  '',
].join('\n');

describe('collapsed DAG (pure)', () => {
  it('draws a matrix group as one node and keeps edges between groups once', () => {
    const up = (...froms: string[]) => froms.map((from) => ({ from }));
    const graph = {
      upstream: new Map<string, unknown[]>([
        ['prep', []],
        ['b@1', up('prep')],
        ['b@2', up('prep')],
        ['s', up('b@1', 'b@2')],
      ]),
    } as unknown as StageGraph;
    expect(collapseGroups(graph, ['prep', 'b@1', 'b@2', 's'])).toEqual({
      nodes: [
        { id: 'prep', members: ['prep'], group: false },
        { id: 'b', members: ['b@1', 'b@2'], group: true },
        { id: 's', members: ['s'], group: false },
      ],
      edges: [
        { from: 'prep', to: 'b' },
        { from: 'b', to: 's' },
      ],
    });
  });
});

describe('report in Chromium', () => {
  it('shows the DAG collapsed, decisions with reasons, the timeline, the failure with its log tail, metrics, params and plots; the table sorts', async () => {
    const p = createProject({ 'pipeline.yaml': PIPELINE, 'params.yaml': 'lr: 0.1\n' });
    const repro = await p.run(['repro', '-k']);
    expect(repro.code).toBe(1);
    const json = JSON.parse((await p.runOk(['report', '--json'])).stdout) as { stages: { stage: string; reasons: string[]; logTail?: string[] }[] };
    expect(json.stages.find((s) => s.stage === 'prep')!.reasons).toEqual(['never run (no entry in pipeline.lock)']);
    expect(json.stages.find((s) => s.stage === 'bad')!.logTail).toContain('the-last-words');
    const r = await p.runOk(['report']);
    const file = r.stdout.trim();
    expect(file).toBe(p.abs('.orchestrator/report/index.html'));
    const { page, errors, network } = await openOffline(browser, file);
    await screenshot(page, 'report-run');
    expect(errors).toEqual([]);
    expect(network).toEqual([]);
    const nodes = await page.evaluate(() => [...document.querySelectorAll('svg.dag g.dag-node')].map((g) => [g.getAttribute('data-stage'), g.getAttribute('data-members'), g.getAttribute('data-status')]));
    expect(nodes.sort()).toEqual([
      ['bad', '1', 'failed'],
      ['build', '6', 'succeeded'],
      ['prep', '1', 'succeeded'],
      ['summary', '1', 'succeeded'],
    ]);
    expect(await page.locator('svg.dag path.dag-edge').count()).toBe(3);
    expect(await page.locator('#stages-table tbody tr').count()).toBe(9);
    expect(await page.locator('svg.timeline rect.timeline-bar').count()).toBe(9);
    expect(await page.locator('#failures pre.log-tail').textContent()).toContain('the-last-words');
    expect(await page.locator('#failures').textContent()).toContain('exited with code 3');
    expect(await page.locator('#metrics').textContent()).toContain('1234');
    expect(await page.locator('#params').textContent()).toContain('lr');
    expect(await countMarks(page, 'p.csv', 'symbol')).toBe(3);
    // Sorting: by status ascending puts "failed" first; clicking again reverses.
    const statusHeader = page.locator('#stages-table th', { hasText: 'status' });
    await statusHeader.click();
    const firstStage = () => page.locator('#stages-table tbody tr:first-child td:first-child').textContent();
    expect(await firstStage()).toBe('bad');
    await statusHeader.click();
    expect(await statusHeader.getAttribute('aria-sort')).toBe('descending');
    expect(await firstStage()).not.toBe('bad');
  });

  it('--run names an unknown run: exit 2, nothing written', async () => {
    const p = createProject({ 'pipeline.yaml': PIPELINE, 'params.yaml': 'lr: 0.1\n' });
    const r = await p.run(['report', '--run', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no run "nope"');
    expect(p.exists('.orchestrator/report')).toBe(false);
  });
});
