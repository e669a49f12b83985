/**
 * What the Slurm tests need from the machine: the single-node cluster .ci/setup.sh starts (slurmctld,
 * slurmd, munged). Without it the tests FAIL with this message; skipping would let a broken CI
 * setup pass silently.
 */
import { spawnSync } from 'node:child_process';

export function requireSlurm(): void {
  const r = spawnSync('sinfo', ['-h', '-N', '-o', '%T'], { encoding: 'utf8', timeout: 15_000 });
  if (r.error || r.status !== 0) throw new Error(`no Slurm cluster answers (sinfo: ${(r.stderr || r.error?.message || '').trim()}); run .ci/setup.sh first`);
  const states = r.stdout.split('\n').filter((l) => l !== '');
  if (!states.some((s) => /^(idle|mixed|allocated)$/.test(s))) throw new Error(`no Slurm node is up (sinfo: ${states.join(', ') || 'no nodes'}); run .ci/setup.sh`);
}

/** Every job Slurm knows (queued, running, or finished within MinJobAge), with the workspace root its comment names. */
export function allJobs(): Array<{ id: string; state: string; root: string | undefined }> {
  const r = spawnSync('scontrol', ['show', 'jobs'], { encoding: 'utf8' });
  if (r.status !== 0) {
    if (/No jobs in the system/i.test(r.stdout + r.stderr)) return [];
    throw new Error(`scontrol show jobs failed: ${r.stderr}`);
  }
  return r.stdout.split(/\n(?=JobId=)/).map((block) => ({
    id: /JobId=(\d+)/.exec(block)![1]!,
    state: /JobState=(\S+)/.exec(block)![1]!,
    root: /Comment=orchestrator root=(\S+) stage=/.exec(block)?.[1],
  }));
}

/** The jobs whose comment names `root`. */
export function jobsOf(root: string): Array<{ id: string; state: string }> {
  return allJobs()
    .filter((j) => j.root === root)
    .map(({ id, state }) => ({ id, state }));
}

/** Ids of this workspace's jobs still in the queue (pending, running, completing). */
export function queuedJobsOf(root: string): string[] {
  const r = spawnSync('squeue', ['-h', '-o', '%i|%k'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`squeue failed: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.includes(`|orchestrator root=${root} stage=`))
    .map((l) => l.split('|')[0]!);
}

export function scancelAll(root: string): void {
  const ids = queuedJobsOf(root);
  if (ids.length > 0) spawnSync('scancel', ids);
}
