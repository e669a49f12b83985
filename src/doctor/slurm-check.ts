import { stagesRunBy } from '../exec/placement.js';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { slurmCall } from '../exec/slurm/slurm-cli.js';
import type { CheckResult, DoctorCheck } from './check.js';

/** How long the probe job may wait in the queue and run. */
const PROBE_TIMEOUT_MS = 120_000;

/**
 * The Slurm side: the client commands, the controller and the partitions the pipeline's Slurm
 * stages name; with `doctor --slurm` also a tiny probe job that checks the workspace is visible
 * from a node at the same path (and that what the node writes is visible here). Without Slurm
 * stages a missing Slurm is no problem.
 */
export const slurmCheck: DoctorCheck = async (ctx) => {
  const stages = stagesRunBy('slurm', ctx.pipeline?.stages ?? []);
  const needed = stages.length > 0 || ctx.slurmProbe === true;
  const rows: CheckResult[] = [];
  const sbatch = await slurmCall('sbatch', ['--version'], ctx.env);
  if (!sbatch.ok) {
    if (!needed) return [{ name: 'Slurm', status: 'skip', detail: 'sbatch not found; no stage uses executor slurm' }];
    return [{ name: 'Slurm client', status: 'fail', detail: sbatch.missing ? 'sbatch not found on PATH' : sbatch.message, hint: 'run on a Slurm submit host (Debian: apt-get install slurm-client)' }];
  }
  const squeue = await slurmCall('squeue', ['--version'], ctx.env);
  rows.push(
    squeue.ok
      ? { name: 'Slurm client', status: 'ok', detail: `${sbatch.stdout.trim()}, squeue, scontrol` }
      : { name: 'Slurm client', status: 'fail', detail: `sbatch works but squeue does not: ${squeue.message}`, hint: 'install the full Slurm client (squeue, scontrol, scancel)' },
  );
  const sinfo = await slurmCall('sinfo', ['-h', '-o', '%R|%a|%D|%T'], ctx.env);
  if (!sinfo.ok) {
    rows.push({ name: 'Slurm controller', status: needed ? 'fail' : 'warn', detail: `does not answer: ${sinfo.message}`, hint: 'check slurmctld and munged, and that /etc/slurm/slurm.conf points at the controller' });
    return rows;
  }
  const partitions = new Map<string, string[]>();
  for (const line of sinfo.stdout.split('\n').filter((l) => l.trim() !== '')) {
    const [name, avail, count, state] = line.trim().split('|');
    const key = `${name!.replace(/\*$/, '')}`;
    partitions.set(key, [...(partitions.get(key) ?? []), `${count} ${state}${avail === 'up' ? '' : ` (${avail})`}`]);
  }
  rows.push({ name: 'Slurm controller', status: 'ok', detail: `partitions: ${[...partitions].map(([p, nodes]) => `${p} [${nodes.join(', ')}]`).join('; ')}` });

  const byPartition = new Map<string | undefined, string[]>();
  for (const s of stages) byPartition.set(s.slurm?.partition, [...(byPartition.get(s.slurm?.partition) ?? []), s.name]);
  for (const [partition, users] of byPartition) {
    if (partition === undefined) continue;
    const usedBy = `used by ${users.length <= 3 ? users.join(', ') : `${users.slice(0, 3).join(', ')} and ${users.length - 3} more`}`;
    rows.push(
      partitions.has(partition)
        ? { name: `partition ${partition}`, status: 'ok', detail: usedBy }
        : { name: `partition ${partition}`, status: 'fail', detail: `does not exist, ${usedBy}`, hint: `partitions here: ${[...partitions.keys()].join(', ')}` },
    );
  }

  if (!ctx.slurmProbe) {
    rows.push({ name: 'workspace on nodes', status: 'skip', detail: 'not checked; orchestrator doctor --slurm submits a probe job' });
    return rows;
  }
  rows.push(await probeWorkspace(ctx.root, stages[0]?.slurm?.partition, ctx.env));
  return rows;
};

/**
 * Submits `sbatch --wait` of a job that reads pipeline.yaml at this workspace's path and writes a
 * file next to it; the file appearing here proves both directions of the shared filesystem.
 */
async function probeWorkspace(root: string, partition: string | undefined, env: NodeJS.ProcessEnv): Promise<CheckResult> {
  const dir = path.join(root, '.orchestrator', 'slurm');
  mkdirSync(dir, { recursive: true });
  const mark = path.join(dir, `probe-${process.pid}-${Date.now()}`);
  const script = `test -d '${root}' || { echo "workspace ${root} not visible on $(hostname)"; exit 3; }; echo "$(hostname)" > '${mark}'`;
  const args = ['--parsable', '--wait', '--time=1', '--job-name=orchestrator-probe', '--output=/dev/null', ...(partition ? [`--partition=${partition}`] : []), `--wrap=${script}`];
  const started = Date.now();
  const r = await slurmCall('sbatch', args, env, PROBE_TIMEOUT_MS);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  try {
    if (existsSync(mark)) return { name: 'workspace on nodes', status: 'ok', detail: `probe job ran on a node, saw ${root} and wrote back in ${seconds} s` };
    if (!r.ok && r.code === 3) return { name: 'workspace on nodes', status: 'fail', detail: `the probe job could not see ${root}`, hint: 'put the workspace on a filesystem the nodes mount at the same path (e.g. /home or /scratch), or use a local executor' };
    return {
      name: 'workspace on nodes',
      status: 'fail',
      detail: r.ok ? `probe job finished but its file never appeared here (${seconds} s)` : `probe job failed: ${r.message}`,
      hint: 'the nodes must see the workspace at the same path, and their writes must reach this machine',
    };
  } finally {
    rmSync(mark, { force: true });
  }
}
