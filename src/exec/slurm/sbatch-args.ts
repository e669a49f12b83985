import type { Stage } from '../../model/stage.js';

/** Marks every job of this tool; with the root and stage it finds all jobs of a workspace. */
const COMMENT_PREFIX = 'orchestrator';

/** `orchestrator root=<root> stage=<stage>`: sbatch `--comment`, shown by squeue `%k` and scontrol. */
export function jobComment(root: string, stage: string): string {
  return `${COMMENT_PREFIX} root=${root} stage=${stage}`;
}

export function parseJobComment(comment: string): { root: string; stage: string } | undefined {
  const m = /^orchestrator root=(.+) stage=(\S+)$/.exec(comment.trim());
  return m ? { root: m[1]!, stage: m[2]! } : undefined;
}

export interface SbatchRequest {
  stage: Stage;
  root: string;
  runId: string;
  script: string;
  /** `--output` path with `%j`. */
  logPattern: string;
}

/**
 * The sbatch command line. The job name is the run id and the comment names the workspace and
 * stage, so `squeue --name RUN` lists a run and cleanup finds a workspace's jobs. No requeue: a
 * failed node or a preemption comes back here and is resubmitted as a new job (`slurm.retries`),
 * which keeps every attempt's log and exit status apart. `sbatch_args` come last and so win.
 */
export function sbatchArgs(req: SbatchRequest): string[] {
  const { stage } = req;
  const slurm = stage.slurm ?? {};
  const args = [
    '--parsable',
    `--job-name=${req.runId}`,
    `--comment=${jobComment(req.root, stage.name)}`,
    `--output=${req.logPattern}`,
    `--chdir=${req.root}`,
    '--no-requeue',
    '--export=ALL',
  ];
  if (slurm.partition !== undefined) args.push(`--partition=${slurm.partition}`);
  if (slurm.time !== undefined) args.push(`--time=${slurm.time}`);
  if (slurm.account !== undefined) args.push(`--account=${slurm.account}`);
  if (slurm.qos !== undefined) args.push(`--qos=${slurm.qos}`);
  if (slurm.constraint !== undefined) args.push(`--constraint=${slurm.constraint}`);
  if (slurm.gres !== undefined) args.push(`--gres=${slurm.gres}`);
  const cpus = stage.resources.cpus;
  if (cpus !== undefined) args.push(`--cpus-per-task=${Math.max(1, Math.ceil(cpus))}`);
  const memMb = slurmMemoryMb(stage);
  if (memMb !== undefined) args.push(`--mem=${memMb}M`);
  args.push(...(slurm.sbatch_args ?? []), req.script);
  return args;
}

/** `resources.mem_gb` (GiB) as whole MiB for `--mem`. */
export function slurmMemoryMb(stage: Stage): number | undefined {
  const gb = stage.resources.mem_gb;
  return gb === undefined ? undefined : Math.max(1, Math.ceil(gb * 1024));
}

/**
 * Whether `time` is a Slurm time limit: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS, or
 * UNLIMITED/INFINITE. Slurm counts whole minutes, so `0:30` means one minute.
 */
export function isSlurmTime(time: string | number): boolean {
  if (typeof time === 'number') return Number.isInteger(time) && time > 0;
  return /^(\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d+|\d+-\d+:\d{1,2}|\d+-\d+:\d{1,2}:\d{1,2}|UNLIMITED|INFINITE)$/i.test(time.trim());
}
