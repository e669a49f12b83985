/**
 * Ctrl-C on a Slurm stage whose command ignores SIGTERM: the job must still be gone for good, with
 * every process of it, against the real single-node cluster (.ci/setup.sh).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanupProjects, createProject, isAlive, waitFor, yamlLines, type Project } from '../integration/harness.js';
import { jobsOf, queuedJobsOf, requireSlurm, scancelAll } from './slurm-env.js';

const projects: Project[] = [];
const pids: number[] = [];
beforeAll(() => requireSlurm());
afterEach(() => {
  for (const pid of pids.splice(0)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  for (const p of projects.splice(0)) scancelAll(p.dir);
  cleanupProjects();
});

describe('slurm cancel', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('%s on a job whose command ignores SIGTERM kills it for good; exit 130', async (sig) => {
    const p = createProject({
      'pipeline.yaml': yamlLines(
        'stages:',
        '  stubborn:',
        '    executor: slurm',
        // Both the shell and its sleep ignore SIGTERM; each writes its pid once it runs.
        `    cmd: trap '' TERM; sleep 600 & echo $! > sleep.pid; echo $$ > shell.pid; wait; wait; wait`,
        '    outs: [never.txt]',
      ),
    });
    projects.push(p);
    const bg = p.start(['repro']);
    await waitFor(() => p.exists('shell.pid') && p.exists('sleep.pid'), 'the job to start', 30_000);
    const shell = Number(p.read('shell.pid'));
    const sleep = Number(p.read('sleep.pid'));
    pids.push(shell, sleep);
    expect(isAlive(shell) && isAlive(sleep)).toBe(true);
    bg.child.kill(sig);
    const r = await bg.result;
    expect(r.code, r.stdout + r.stderr).toBe(130);
    expect({ shell: isAlive(shell), sleep: isAlive(sleep) }).toEqual({ shell: false, sleep: false });
    expect(queuedJobsOf(p.dir)).toEqual([]);
    expect(jobsOf(p.dir).map((j) => j.state)).toEqual(['CANCELLED']);
  });
});
