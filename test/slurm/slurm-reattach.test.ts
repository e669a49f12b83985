/**
 * Killing the orchestrator (SIGKILL) while a job runs, then starting it again: the new run follows
 * the job it finds in the running marker instead of submitting another one, and commits its outputs.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanupProjects, createProject, waitFor, yamlLines, type Project } from '../integration/harness.js';
import { jobsOf, queuedJobsOf, requireSlurm, scancelAll } from './slurm-env.js';

let p: Project | undefined;
beforeAll(() => requireSlurm());
afterEach(() => {
  if (p) scancelAll(p.dir);
  cleanupProjects();
});

/**
 * A project with one Slurm stage `long` (dep in.txt holding `input`, out out.txt, command `cmd`, which
 * must touch `started`), a repro SIGKILLed once the job has started; returns it and the job left queued.
 */
async function killDuringJob(input: string, cmd: string): Promise<{ project: Project; job: string | undefined }> {
  const project = createProject({
    'in.txt': input,
    'pipeline.yaml': yamlLines('stages:', '  long:', '    executor: slurm', `    cmd: ${cmd}`, '    deps: [in.txt]', '    outs: [out.txt]'),
  });
  p = project;
  const first = project.start(['repro']);
  await waitFor(() => project.exists('started'), 'the job to start', 30_000);
  first.child.kill('SIGKILL');
  await first.result;
  return { project, job: queuedJobsOf(project.dir)[0] };
}

describe('slurm reattach', () => {
  it('a killed orchestrator started again reattaches to the running job: no new job, outputs committed', async () => {
    const { project, job: jobId } = await killDuringJob('input\n', 'echo begun; touch started; while [ ! -e release ]; do sleep 0.1; done; echo finished; cat in.txt > out.txt');
    expect(jobId).toBeDefined();

    const second = project.start(['repro', '-v']);
    await waitFor(() => second.stdout().includes(`reattached to job ${jobId}`), 'the second run to reattach', 30_000);
    project.write('release', '');
    const r = await second.result;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(project.read('out.txt')).toBe('input\n');
    expect(r.stdout).toContain('begun');
    expect(r.stdout).toContain('finished');
    expect(jobsOf(project.dir)).toEqual([{ id: jobId, state: 'COMPLETED' }]);
    expect(project.lock().stages.long?.outs?.[0]?.path).toBe('out.txt');
    // The queue times of the adopted job: submitted by the dead run (its job script's time), started before this run.
    // (The SIGKILLed run may not have written its record yet: the second run's is the newest.)
    const record = readdirSync(project.abs('.orchestrator/runs')).sort().at(-1)!;
    const long = (JSON.parse(readFileSync(project.abs(`.orchestrator/runs/${record}`), 'utf8')) as { stages: Record<string, { start: string; queuedAt?: string; startedAt?: string }> }).stages.long!;
    const deadRuns = readdirSync(project.abs('.orchestrator/slurm')).filter((d) => `${d}.json` !== record);
    expect(deadRuns).toHaveLength(1);
    const deadRun = deadRuns[0]!;
    expect(long.queuedAt).toBe(statSync(project.abs(`.orchestrator/slurm/${deadRun}/long.sh`)).mtime.toISOString());
    expect(Date.parse(long.startedAt!)).toBeGreaterThanOrEqual(Date.parse(long.queuedAt!));
    expect(Date.parse(long.startedAt!)).toBeLessThan(Date.parse(long.start));

    const third = await project.runOk(['repro']);
    expect(third.lines.some((l) => l.startsWith('long: up to date'))).toBe(true);
    expect(jobsOf(project.dir)).toHaveLength(1);
  });

  it('a dead run whose inputs changed meanwhile: its job is cancelled and the stage runs afresh', async () => {
    // Only the first job (which saw "old") waits; it is never released.
    const { project, job: oldJob } = await killDuringJob('old\n', 'touch started; if grep -q old in.txt; then while [ ! -e release ]; do sleep 0.1; done; fi; cat in.txt > out.txt');
    project.write('in.txt', 'new\n');
    const r = await project.runOk(['repro']);
    expect(project.read('out.txt')).toBe('new\n');
    const jobs = jobsOf(project.dir);
    expect(jobs).toHaveLength(2);
    expect(jobs.find((j) => j.id === oldJob)?.state).toBe('CANCELLED');
    expect(r.code).toBe(0);
  });
});
