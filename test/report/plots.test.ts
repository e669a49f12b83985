/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * `plots show` / `plots diff`: DVC's plot definitions and templates, data from CSV, TSV, JSON and
 * YAML, rendered to one self-contained HTML file and checked in Debian's Chromium with the network
 * off (test/report/browser.ts): no console errors, and each plot draws one mark per datum.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assemblePlot } from '../../src/report/plots/assemble.js';
import { parseDelimited, parsePlotData } from '../../src/report/plots/data.js';
import { collectPlotDefinitions } from '../../src/report/plots/definitions.js';
import type { Pipeline } from '../../src/model/stage.js';
import { cleanupProjects, createProject, type Project } from '../integration/harness.js';
import { countMarks, launchBrowser, openOffline, screenshot } from './browser.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const git = (dir: string, ...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: dir, stdio: 'pipe' }).toString();

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});
afterEach(cleanupProjects);

describe('plot data and definitions (pure)', () => {
  it('reads CSV with quotes, TSV, headerless CSV, JSON and YAML records (first list inside a mapping)', () => {
    expect(parseDelimited('a,b\n1,"x, ""y"""\n2.5,z\n', ',', true)).toEqual([
      { a: 1, b: 'x, "y"' },
      { a: 2.5, b: 'z' },
    ]);
    expect(parseDelimited('1\t2\n3\t4\n', '\t', false)).toEqual([
      { '0': 1, '1': 2 },
      { '0': 3, '1': 4 },
    ]);
    expect(parsePlotData('r.json', '{"roc": [{"fpr": 0, "tpr": 1}]}')).toEqual({ ok: true, value: [{ fpr: 0, tpr: 1 }] });
    expect(parsePlotData('r.yaml', 'meta: 1\nrows:\n  - {a: 1}\n')).toEqual({ ok: true, value: [{ a: 1 }] });
    expect(parsePlotData('r.json', '{"a": 1}').ok).toBe(false);
  });

  it('collects top-level entries (path, {file: {y}}, {id: {y: {file: field}}}) and stage plots once each', () => {
    const pipeline = {
      stages: [{ name: 's', outs: [{ path: 'a.csv', kind: 'plot', cache: true, persist: false, plot: [{ x: 'e', y: 'l', template: 'scatter' }] }, { path: 'dup.csv', kind: 'plot', cache: true, persist: false }] }],
      resources: {},
      plots: ['dup.csv', { ROC: { x: 'fpr', y: { 'tr.json': 'tpr', 'te.json': ['tpr', 'p'] } } }, { 'b.tsv': { y: ['u', 'v'] } }],
    } as unknown as Pipeline;
    const defs = collectPlotDefinitions(pipeline);
    if (!defs.ok) throw new Error(defs.error.join());
    expect(defs.value.map((d) => [d.id, d.template, d.y])).toEqual([
      ['dup.csv', 'linear', [{ file: 'dup.csv', fields: [] }]],
      ['ROC', 'linear', [{ file: 'tr.json', fields: ['tpr'] }, { file: 'te.json', fields: ['tpr', 'p'] }]],
      ['b.tsv', 'linear', [{ file: 'b.tsv', fields: ['u', 'v'] }]],
      ['a.csv', 'scatter', [{ file: 'a.csv', fields: ['l'] }]],
    ]);
    const bad = collectPlotDefinitions({ stages: [], resources: {}, plots: [{ p: { template: 'pie' } }] } as unknown as Pipeline);
    expect(bad).toEqual({ ok: false, error: [expect.stringContaining('plot "p" (top-level plots): unknown template "pie"')] });
  });

  it('names series by what varies, uses step as x when none is declared, infers y as the last field', () => {
    const data = assemblePlot({ id: 'l', kind: 'vega', template: 'linear', y: [{ file: 'l.csv', fields: [] }], origin: '' }, ['HEAD', 'workspace'], new Map([
      ['HEAD', new Map([['l.csv', [{ a: 1, loss: 3 }, { a: 2, loss: 2 }]]])],
      ['workspace', new Map([['l.csv', [{ a: 1, loss: 1 }]]])],
    ]));
    expect(data.x).toBe('step');
    expect(data.y).toBe('loss');
    expect(data.series).toEqual(['HEAD', 'workspace']);
    expect(data.rows.map((r) => [r.step, r.loss, r.series])).toEqual([
      [0, 3, 'HEAD'],
      [1, 2, 'HEAD'],
      [0, 1, 'workspace'],
    ]);
  });
});

const ALL_TEMPLATES = {
  'pipeline.yaml': [
    'stages:',
    '  train:',
    '    cmd: "true"',
    '    plots:',
    '      - logs.csv: {x: epoch, y: loss, title: Loss, x_label: Epoch, y_label: Loss}',
    '      - importance.json: {template: bar_horizontal_sorted, x: importance, y: feature}',
    'plots:',
    '  - ROC: {template: simple, x: fpr, y: {roc/train.json: tpr, roc/test.json: tpr}}',
    '  - cm.json: {template: confusion, x: actual, y: predicted}',
    '  - cmn: {template: confusion_normalized, x: actual, y: {cm.json: predicted}}',
    '  - curve.tsv: {template: smooth, x: a, y: b}',
    '  - points.yaml: {template: scatter, x: a, y: b}',
    '  - bars.csv: {template: bar_horizontal, x: v, y: name}',
    '',
  ].join('\n'),
  'logs.csv': 'epoch,loss\n1,0.9\n2,0.5\n3,0.3\n4,0.25\n',
  'curve.tsv': 'a\tb\n1\t2\n2\t3\n3\t5\n4\t4\n5\t6\n6\t7\n',
  'points.yaml': '- {a: 1, b: 2}\n- {a: 2, b: 1}\n- {a: 3, b: 3}\n',
  'bars.csv': 'name,v\nx,3\ny,1\n',
  'importance.json': JSON.stringify({ imp: [{ feature: 'f1', importance: 0.3 }, { feature: 'f2', importance: 0.6 }, { feature: 'f3', importance: 0.1 }] }),
  'roc/train.json': JSON.stringify({ roc: [{ fpr: 0, tpr: 0 }, { fpr: 0.5, tpr: 0.8 }, { fpr: 1, tpr: 1 }] }),
  'roc/test.json': JSON.stringify({ roc: [{ fpr: 0, tpr: 0 }, { fpr: 0.4, tpr: 0.7 }, { fpr: 1, tpr: 1 }] }),
  'cm.json': JSON.stringify({ cm: [{ actual: 'a', predicted: 'a' }, { actual: 'a', predicted: 'b' }, { actual: 'b', predicted: 'b' }, { actual: 'b', predicted: 'b' }, { actual: 'c', predicted: 'a' }] }),
};

async function showAndOpen(p: Project, args: string[], shot: string) {
  const r = await p.runOk(args);
  const file = r.stdout.trim();
  const opened = await openOffline(browser, file);
  await screenshot(opened.page, shot);
  return { file, ...opened };
}

describe('plots show in Chromium', () => {
  it('draws every DVC template with one mark per datum, offline, without console errors', async () => {
    const p = createProject(ALL_TEMPLATES);
    const { page, errors, network, file } = await showAndOpen(p, ['plots', 'show'], 'plots-all-templates');
    expect(file).toBe(p.abs('.orchestrator/plots/index.html'));
    expect(errors).toEqual([]);
    expect(network).toEqual([]);
    const marks = async (id: string, mark: string) => countMarks(page, id, mark);
    expect(await marks('logs.csv', 'symbol')).toBe(4); // linear: a point per row
    expect(await marks('logs.csv', 'line')).toBe(1);
    expect(await marks('ROC', 'line')).toBe(2); // simple: one line per file
    expect(await marks('ROC', 'symbol')).toBe(0);
    expect(await marks('cm.json', 'rect')).toBe(4); // distinct (actual, predicted) pairs
    expect(await marks('cm.json', 'text')).toBe(4);
    expect(await marks('cmn', 'rect')).toBe(4);
    expect(await marks('curve.tsv', 'symbol')).toBe(6);
    expect(await marks('curve.tsv', 'line')).toBe(1);
    expect(await marks('points.yaml', 'symbol')).toBe(3);
    expect(await marks('bars.csv', 'rect')).toBe(2);
    expect(await marks('importance.json', 'rect')).toBe(3);
    // bar_horizontal_sorted: the longest bar first (top).
    const labels = await page.evaluate(() => [...document.querySelector('[data-plot="importance.json"]')!.querySelectorAll('g.role-axis-label text')].map((t) => t.textContent));
    expect(labels.filter((l) => /^f\d$/.test(l ?? ''))).toEqual(['f2', 'f1', 'f3']);
    // normalized confusion: shares of each actual class.
    const shares = await page.evaluate(() => [...document.querySelector('[data-plot="cmn"]')!.querySelectorAll('g.mark-text.role-mark text')].map((t) => t.textContent).sort());
    expect(shares).toEqual(['100%', '100%', '50%', '50%']);
    expect(readFileSync(file, 'utf8')).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
  });

  it('--json prints the Vega-Lite specs with data inlined; TARGETs select; bad input is exit 2 and writes nothing', async () => {
    const p = createProject(ALL_TEMPLATES);
    const r = await p.runOk(['plots', 'show', '--json', 'ROC', 'logs.csv']);
    const doc = JSON.parse(r.stdout) as { plots: { id: string; spec: { data: { values: unknown[] }; title: string } }[] };
    expect(doc.plots.map((x) => x.id)).toEqual(['ROC', 'logs.csv']);
    expect(doc.plots[0]!.spec.data.values).toHaveLength(6);
    expect(doc.plots[1]!.spec.title).toBe('Loss');
    expect(p.exists('.orchestrator/plots')).toBe(false);
    const unknown = await p.run(['plots', 'show', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('"nope" is neither a plot id nor a plot file');
    p.write('pipeline.yaml', 'plots:\n  - logs.csv: {template: pie}\n');
    const bad = await p.run(['plots', 'show']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('pipeline.yaml: plot "logs.csv" (top-level plots): unknown template "pie"; use one of linear, simple, scatter, smooth, confusion, confusion_normalized, bar_horizontal, bar_horizontal_sorted\n');
    expect(p.exists('.orchestrator/plots')).toBe(false);
  });

  it('plots diff draws HEAD and the workspace in one figure, one line per revision; --out chooses the folder', async () => {
    const p = createProject({ 'pipeline.yaml': 'plots:\n  - logs.csv: {x: epoch, y: loss}\n', 'logs.csv': 'epoch,loss\n1,0.9\n2,0.5\n' });
    git(p.dir, 'init', '-q');
    git(p.dir, 'add', '-A');
    git(p.dir, 'commit', '-q', '-m', 'one');
    p.write('logs.csv', 'epoch,loss\n1,0.8\n2,0.4\n3,0.2\n');
    const { page, errors } = await showAndOpen(p, ['plots', 'diff', '--out', 'out'], 'plots-diff');
    expect(errors).toEqual([]);
    expect(await countMarks(page, 'logs.csv', 'line')).toBe(2);
    expect(await countMarks(page, 'logs.csv', 'symbol')).toBe(5);
    const legend = await page.evaluate(() => [...document.querySelectorAll('g.role-legend-label text')].map((t) => t.textContent));
    expect(legend).toEqual(['HEAD', 'workspace']);
    expect(p.exists('out/index.html')).toBe(true);
  });
});

describe('plots diff between sweep variants', () => {
  it('reads each SWEEP/VARIANT workspace: one series per variant', async () => {
    const p = createProject({
      'params.yaml': 'k: 1\n',
      'pipeline.yaml': [
        'stages:',
        '  curve:',
        '    cmd: printf "x,y\\n1,${k}\\n2,$((${k} * 2))\\n" > curve.csv',
        '    params: [k]',
        '    plots: [{curve.csv: {x: x, y: y}}]',
        'sweeps:',
        '  ks:',
        '    axes: {k: [1, 3]}',
        '',
      ].join('\n'),
    });
    await p.runOk(['sweep', 'run', 'ks']);
    const doc = JSON.parse((await p.runOk(['plots', 'diff', 'ks/k=1', 'ks/k=3', '--json'])).stdout) as { revs: string[]; plots: { id: string; series: string[]; spec: { data: { values: { y: number; rev: string }[] } } }[] };
    expect(doc.revs).toEqual(['ks/k=1', 'ks/k=3']);
    expect(doc.plots[0]!.series).toEqual(['ks/k=1', 'ks/k=3']);
    expect(doc.plots[0]!.spec.data.values.map((v) => [v.rev, v.y])).toEqual([
      ['ks/k=1', 1],
      ['ks/k=1', 2],
      ['ks/k=3', 3],
      ['ks/k=3', 6],
    ]);
  });
});

describe('plot definitions of public DVC projects render', () => {
  it('iterative/example-get-started (top-level ROC, confusion matrix, precision-recall, image), synthetic data', async () => {
    const dvc = path.join(HERE, '../dvc/fixtures/example-get-started');
    const roc = (n: number) => JSON.stringify({ roc: Array.from({ length: n }, (_, i) => ({ fpr: i / (n - 1), tpr: Math.sqrt(i / (n - 1)), threshold: 1 - i / (n - 1) })) });
    const prc = (n: number) => JSON.stringify({ prc: Array.from({ length: n }, (_, i) => ({ precision: 1 - i / (2 * n), recall: i / (n - 1), threshold: i / n })) });
    const cm = JSON.stringify({ cm: [0, 0, 1, 1, 1, 0].map((a, i) => ({ actual: String(a), predicted: String(i % 2) })) });
    const p = createProject({
      'pipeline.yaml': readFileSync(path.join(dvc, 'dvc.yaml'), 'utf8'),
      'params.yaml': readFileSync(path.join(dvc, 'params.yaml'), 'utf8'),
      'eval/plots/sklearn/roc/train.json': roc(5),
      'eval/plots/sklearn/roc/test.json': roc(4),
      'eval/plots/sklearn/prc/train.json': prc(6),
      'eval/plots/sklearn/prc/test.json': prc(3),
      'eval/plots/sklearn/cm/train.json': cm,
      'eval/plots/sklearn/cm/test.json': cm,
    });
    // A 1x1 PNG: the image plot is inlined as a data URI.
    cpSync(path.join(HERE, 'fixtures/pixel.png'), p.abs('eval/plots/images/importance.png'));
    const { page, errors, network } = await showAndOpen(p, ['plots', 'show'], 'plots-example-get-started');
    expect(errors).toEqual([]);
    expect(network).toEqual([]);
    expect(await countMarks(page, 'ROC', 'line')).toBe(2);
    expect(await countMarks(page, 'Precision-Recall', 'line')).toBe(2);
    expect(await countMarks(page, 'Confusion-Matrix', 'rect')).toBe(8); // 4 cells in each file's panel
    const img = await page.evaluate(() => (document.querySelector('[data-plot="eval/plots/images/importance.png"] img') as HTMLImageElement | null)?.naturalWidth);
    expect(img).toBe(1);
  });

  it('iterative/example-get-started-experiments (a directory of DVCLive TSVs with x: step)', async () => {
    const dvc = path.join(HERE, '../dvc/fixtures/example-get-started-experiments');
    const tsv = (name: string, n: number) => `step\t${name}\n${Array.from({ length: n }, (_, i) => `${i}\t${(1 / (i + 1)).toFixed(3)}`).join('\n')}\n`;
    const p = createProject({
      'pipeline.yaml': readFileSync(path.join(dvc, 'dvc.yaml'), 'utf8'),
      'params.yaml': readFileSync(path.join(dvc, 'params.yaml'), 'utf8'),
      'results/train/plots/metrics/train/loss.tsv': tsv('loss', 5),
      'results/train/plots/metrics/eval/loss.tsv': tsv('loss', 4),
      'results/train/plots/metrics/eval/dice_multi.tsv': tsv('dice_multi', 3),
    });
    cpSync(path.join(HERE, 'fixtures/pixel.png'), p.abs('results/evaluate/plots/images/0.png'));
    const { page, errors } = await showAndOpen(p, ['plots', 'show'], 'plots-example-get-started-experiments');
    expect(errors).toEqual([]);
    expect(await countMarks(page, 'results/train/plots/metrics/train/loss.tsv', 'symbol')).toBe(5);
    expect(await countMarks(page, 'results/train/plots/metrics/eval/loss.tsv', 'symbol')).toBe(4);
    expect(await countMarks(page, 'results/train/plots/metrics/eval/dice_multi.tsv', 'symbol')).toBe(3);
  });

  it("DVCLive's Live.log_plot() documentation (bar_horizontal, scatter, smooth, linear with '0'/'1' fields)", async () => {
    const p = createProject({});
    cpSync(path.join(HERE, 'fixtures/dvclive-log-plot'), p.dir, { recursive: true });
    const { page, errors } = await showAndOpen(p, ['plots', 'show'], 'plots-dvclive-log-plot');
    expect(errors).toEqual([]);
    expect(await countMarks(page, 'dvclive/plots/custom/iris_feature_importance.json', 'rect')).toBe(4);
    expect(await countMarks(page, 'dvclive/plots/custom/sepal.json', 'symbol')).toBe(20);
    expect(await countMarks(page, 'dvclive/plots/custom/sepal_array_named.json', 'line')).toBe(1);
    expect(await countMarks(page, 'dvclive/plots/custom/training_loss_plot.json', 'symbol')).toBe(15);
    const title = await page.evaluate(() => document.querySelector('[data-plot="dvclive/plots/custom/iris_feature_importance.json"] g.role-title text')?.textContent);
    expect(title).toBe('Iris Dataset: Feature Importance');
  });
});
