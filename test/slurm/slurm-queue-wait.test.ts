/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * Queue wait of a Slurm stage, end to end on the real single-node cluster (.ci/setup.sh): the stage's
 * job depends on a holder job (`--dependency=afterany:HOLDER` in its sbatch_args) that waits for a
 * file, so it stays PENDING in the queue until the test writes that file, once it has seen the job
 * pending. (A dependency rather than a job that fills the node: the cluster is shared with the other
 * Slurm test files, whose jobs must not queue behind this one.) The run record stores when the job
 * was submitted and when it began to run; the report, opened in Debian's Chromium offline, draws one
 * queue segment for that stage and none for the local stage.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openOffline, screenshot } from '../report/browser.js';
import { cleanupProjects, createProject, waitFor, yamlLines, type Project } from '../integration/harness.js';
import { requireSlurm, scancelAll } from './slurm-env.js';

let browser: Browser;
const projects: Project[] = [];
const holders: string[] = [];
beforeAll(async () => {
  requireSlurm();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});
afterEach(() => {
  if (holders.length > 0) spawnSync('scancel', holders.splice(0));
  for (const p of projects.splice(0)) scancelAll(p.dir);
  cleanupProjects();
});

/**
 * Submits a one-CPU job that runs until `release` appears in the project; its comment is not the
 * workspace's, so the orchestrator's leftover cleanup leaves it alone.
 */
function holder(p: Project): string {
  const r = spawnSync(
    'sbatch',
    ['--parsable', '--job-name=queue-wait-holder', '--comment=test holder', '--cpus-per-task=1', `--output=${p.abs('holder.log')}`, '--wrap', `while [ ! -e ${p.abs('release')} ]; do sleep 0.1; done`],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`sbatch of the holder job failed: ${r.stderr}`);
  const id = r.stdout.trim().split(';')[0]!;
  holders.push(id);
  return id;
}

interface StageRecord {
  executor?: string;
  start?: string;
  queuedAt?: string;
  startedAt?: string;
}

describe('slurm queue wait', () => {
  it('records submission and start of a job that waited, and the report draws the wait as its own segment', async () => {
    const p = createProject();
    projects.push(p);
    const hold = holder(p);
    p.write(
      'pipeline.yaml',
      yamlLines(
        'stages:',
        '  prep:',
        '    cmd: echo prep > prep.txt',
        '    outs: [prep.txt]',
        '  synth:',
        '    executor: slurm',
        `    slurm: {sbatch_args: ["--dependency=afterany:${hold}"]}`,
        '    cmd: cat prep.txt > synth.txt',
        '    deps: [prep.txt]',
        '    outs: [synth.txt]',
      ),
    );
    const repro = p.start(['repro', '-v'], { timeoutMs: 150_000 });
    await waitFor(() => /^synth \| \[slurm\] job \d+ pending \(Dependency\)/m.test(repro.stdout()), `the stage's job to wait in the queue\n${repro.stdout()}${repro.stderr()}`, 90_000);
    const releasedAt = Date.now();
    p.write('release', '');
    const done = await repro.result;
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(p.read('synth.txt')).toBe('prep\n');

    const runs = readdirSync(p.abs('.orchestrator/runs'));
    expect(runs).toHaveLength(1);
    const record = JSON.parse(readFileSync(p.abs(`.orchestrator/runs/${runs[0]}`), 'utf8')) as { stages: Record<string, StageRecord> };
    const synth = record.stages.synth!;
    expect(synth.executor).toBe('slurm');
    expect(synth.queuedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(synth.startedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    // Submitted after the stage started; began to run only after the holder was released (same machine, same clock).
    expect(Date.parse(synth.queuedAt!)).toBeGreaterThanOrEqual(Date.parse(synth.start!));
    expect(Date.parse(synth.startedAt!)).toBeGreaterThan(Date.parse(synth.queuedAt!));
    expect(Date.parse(synth.startedAt!)).toBeGreaterThanOrEqual(releasedAt);
    expect(record.stages.prep).not.toHaveProperty('queuedAt');
    expect(record.stages.prep).not.toHaveProperty('startedAt');

    const json = JSON.parse((await p.runOk(['report', '--json'])).stdout) as { stages: { stage: string; queuedAt?: string; startedAt?: string; queueWaitS?: number }[] };
    const row = json.stages.find((s) => s.stage === 'synth')!;
    expect(row.queuedAt).toBe(synth.queuedAt);
    expect(row.startedAt).toBe(synth.startedAt);
    expect(row.queueWaitS).toBe((Date.parse(synth.startedAt!) - Date.parse(synth.queuedAt!)) / 1000);
    expect(row.queueWaitS).toBeGreaterThan(0);
    expect(json.stages.find((s) => s.stage === 'prep')).not.toHaveProperty('queueWaitS');

    const { page, errors, network } = await openOffline(browser, (await p.runOk(['report'])).stdout.trim());
    await screenshot(page, 'report-slurm-queue-wait');
    expect(errors).toEqual([]);
    expect(network).toEqual([]);
    const queues = await page.evaluate(() =>
      [...document.querySelectorAll('svg.timeline rect.timeline-queue')].map((r) => ({ stage: r.getAttribute('data-stage'), waitS: Number(r.getAttribute('data-wait-s')), title: r.querySelector('title')?.textContent ?? '', width: r.getBoundingClientRect().width })),
    );
    expect(queues).toHaveLength(1);
    expect(queues[0]!.stage).toBe('synth');
    expect(queues[0]!.waitS).toBeCloseTo(row.queueWaitS!, 3);
    expect(queues[0]!.title).toContain(`synth: waited ${row.queueWaitS!.toFixed(1)} s in the slurm queue`);
    expect(queues[0]!.width).toBeGreaterThan(0);
    const bars = await page.evaluate(() => [...document.querySelectorAll('svg.timeline rect.timeline-bar')].map((r) => r.getAttribute('data-stage')).sort());
    expect(bars).toEqual(['prep', 'synth']);
    // The queue segment comes before the stage's run segment, on the same row.
    const [queueBox, runBox] = await page.evaluate(() => ['rect.timeline-queue[data-stage=synth]', 'rect.timeline-bar[data-stage=synth]'].map((q) => {
      const b = document.querySelector(q)!.getBoundingClientRect();
      return { left: b.left, right: b.right, top: b.top };
    }));
    expect(runBox!.left).toBeGreaterThanOrEqual(queueBox!.right - 0.5);
    expect(runBox!.top).toBe(queueBox!.top);
    expect(await page.locator('.timeline-legend').count()).toBe(1);
  }, 180_000);
});
