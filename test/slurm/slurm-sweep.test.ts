/**
 * Issue 7 acceptance: a sweep of 8 variants runs on the real single-node cluster, every variant's
 * stage as its own job, and `sweep show` fills the results table from the jobs' metrics.
 */
import { spawnSync } from 'node:child_process';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanupProjects, createProject, yamlLines, type Project } from '../integration/harness.js';
import { allJobs, requireSlurm } from './slurm-env.js';

let project: Project | undefined;
beforeAll(() => requireSlurm());
afterEach(() => {
  if (project) for (const id of variantJobs(project.dir).filter((j) => j.state === 'RUNNING' || j.state === 'PENDING')) spawnSync('scancel', [id.id]);
  project = undefined;
  cleanupProjects();
});

/** Jobs whose comment names a variant workspace of this project's sweeps. */
function variantJobs(root: string): Array<{ id: string; state: string; root: string }> {
  return allJobs().filter((j): j is { id: string; state: string; root: string } => j.root?.startsWith(`${root}/.orchestrator/sweeps/`) ?? false);
}

describe('slurm executor with sweeps', () => {
  it('runs an 8-variant sweep as jobs and fills the results table', async () => {
    project = createProject({
      'params.yaml': 'model:\n  heads: 1\n',
      'pipeline.yaml': yamlLines(
        'defaults:',
        '  executor: slurm',
        '  slurm: {partition: debug, time: 5}',
        'sweeps:',
        '  sizes:',
        '    axes:',
        '      model.heads: [1, 2, 3, 4, 5, 6, 7, 8]',
        'stages:',
        '  synth:',
        `    cmd: 'echo "lut: $(( \${model.heads} * 100 ))" > metrics.yaml'`,
        '    params: [model.heads]',
        '    metrics: [metrics.yaml]',
      ),
    });
    const p = project;
    const run = await p.run(['sweep', 'run', 'sizes', '-j', '4']);
    expect(run.code, run.stdout + run.stderr).toBe(0);

    const jobs = variantJobs(p.dir);
    expect(jobs.map((j) => j.state)).toEqual(Array(8).fill('COMPLETED'));
    expect(new Set(jobs.map((j) => j.root)).size).toBe(8);

    const show = JSON.parse((await p.runOk(['sweep', 'show', 'sizes', '--json'])).stdout) as { rows: Array<Record<string, unknown>> };
    expect(show.rows).toHaveLength(8);
    for (const row of show.rows) {
      expect(row.status).toBe('succeeded');
      expect(row.lut).toBe((row['model.heads'] as number) * 100);
    }

    // Resumed: nothing left to do, no new job.
    await p.runOk(['sweep', 'run', 'sizes', '-j', '4']);
    expect(variantJobs(p.dir)).toHaveLength(8);
  }, 180_000);
});
