/**
 * Killing the orchestrator (SIGKILL) while a job runs, then starting it again: the new run follows
 * the job it finds in the running marker instead of submitting another one, and commits its outputs.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanupProjects, createProject, waitFor, yamlLines, type Project } from '../integration/harness.js';
import { jobsOf, queuedJobsOf, requireSlurm, scancelAll } from './slurm-env.js';

let p: Project | undefined;
beforeAll(() => requireSlurm());
afterEach(() => {
  if (p) scancelAll(p.dir);
  cleanupProjects();
});

describe('slurm reattach', () => {
  it('a killed orchestrator started again reattaches to the running job: no new job, outputs committed', async () => {
    p = createProject({
      'in.txt': 'input\n',
      'pipeline.yaml': yamlLines(
        'stages:',
        '  long:',
        '    executor: slurm',
        '    cmd: echo begun; touch started; while [ ! -e release ]; do sleep 0.1; done; echo finished; cat in.txt > out.txt',
        '    deps: [in.txt]',
        '    outs: [out.txt]',
      ),
    });
    const first = p.start(['repro']);
    await waitFor(() => p!.exists('started'), 'the job to start', 30_000);
    first.child.kill('SIGKILL');
    await first.result;
    const [jobId] = queuedJobsOf(p.dir);
    expect(jobId).toBeDefined();

    const second = p.start(['repro', '-v']);
    await waitFor(() => second.stdout().includes(`reattached to job ${jobId}`), 'the second run to reattach', 30_000);
    p.write('release', '');
    const r = await second.result;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(p.read('out.txt')).toBe('input\n');
    expect(r.stdout).toContain('begun');
    expect(r.stdout).toContain('finished');
    expect(jobsOf(p.dir)).toEqual([{ id: jobId, state: 'COMPLETED' }]);
    expect(p.lock().stages.long?.outs?.[0]?.path).toBe('out.txt');

    const third = await p.runOk(['repro']);
    expect(third.lines.some((l) => l.startsWith('long: up to date'))).toBe(true);
    expect(jobsOf(p.dir)).toHaveLength(1);
  });

  it('a dead run whose inputs changed meanwhile: its job is cancelled and the stage runs afresh', async () => {
    p = createProject({
      'in.txt': 'old\n',
      'pipeline.yaml': yamlLines(
        'stages:',
        '  long:',
        '    executor: slurm',
        // Only the first job (which saw "old") waits; it is never released.
        '    cmd: touch started; if grep -q old in.txt; then while [ ! -e release ]; do sleep 0.1; done; fi; cat in.txt > out.txt',
        '    deps: [in.txt]',
        '    outs: [out.txt]',
      ),
    });
    const first = p.start(['repro']);
    await waitFor(() => p!.exists('started'), 'the job to start', 30_000);
    first.child.kill('SIGKILL');
    await first.result;
    const [oldJob] = queuedJobsOf(p.dir);
    p.write('in.txt', 'new\n');
    const r = await p.runOk(['repro']);
    expect(p.read('out.txt')).toBe('new\n');
    const jobs = jobsOf(p.dir);
    expect(jobs).toHaveLength(2);
    expect(jobs.find((j) => j.id === oldJob)?.state).toBe('CANCELLED');
    expect(r.code).toBe(0);
  });
});
