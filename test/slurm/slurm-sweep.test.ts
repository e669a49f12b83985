/**
 * Issue 7 acceptance: a sweep of 8 variants runs on the real single-node cluster, every variant's
 * stage as its own job, and `sweep show` fills the results table from the jobs' metrics.
 */
import { spawnSync } from 'node:child_process';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanupProjects, createProject, waitFor, yamlLines, type Project } from '../integration/harness.js';
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

  it('a sweep restarted after its orchestrator was killed adopts the jobs still running: none is resubmitted (issue 14)', async () => {
    project = createProject({ 'params.yaml': 'x: 0\n' });
    const p = project;
    p.write(
      'pipeline.yaml',
      yamlLines(
        'defaults:',
        '  executor: slurm',
        '  slurm: {partition: debug, time: 5}',
        'sweeps:',
        '  s:',
        '    axes: {x: [1, 2]}',
        'stages:',
        '  synth:',
        `    cmd: touch ${p.dir}/started_\${x}; while [ ! -e ${p.dir}/release ]; do sleep 0.1; done; echo \${x} > out.txt`,
        '    params: [x]',
        '    outs: [out.txt]',
      ),
    );
    const first = p.start(['sweep', 'run', 's', '-j', '2']);
    await waitFor(() => p.exists('started_1') && p.exists('started_2'), 'both jobs to start', 30_000);
    first.child.kill('SIGKILL');
    await first.result;
    const submitted = variantJobs(p.dir).map((j) => j.id).sort();
    expect(submitted).toHaveLength(2);

    const second = p.start(['sweep', 'run', 's', '-j', '2']);
    const logs = () =>
      p
        .listFiles('.orchestrator/sweeps')
        .filter((f) => f.includes('/.orchestrator/logs/'))
        .map((f) => p.read(`.orchestrator/sweeps/${f}`))
        .join('\n');
    await waitFor(() => (logs().match(/# reattached to \d+/g) ?? []).length === 2, `the restarted sweep to adopt both jobs\n${logs()}`, 30_000);
    p.write('release', '');
    const r = await second.result;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const jobs = variantJobs(p.dir);
    expect(jobs.map((j) => j.id).sort()).toEqual(submitted);
    expect(jobs.map((j) => j.state)).toEqual(['COMPLETED', 'COMPLETED']);
    expect(p.read('.orchestrator/sweeps/s/x=2/out.txt')).toBe('2\n');
  }, 180_000);
});
