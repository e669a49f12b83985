import path from 'node:path';

/**
 * Where a stage's job files live: `.orchestrator/slurm/<run id>/<stage>.sh` (the generated script),
 * `<stage>.<job id>.log` (everything the job printed), `<stage>.<job id>.started` (when the job began
 * to run on its node, written first) and `<stage>.<job id>.status` (its exit status, written last). Per job id, so a resubmitted or reattached job never reads another attempt's files.
 */
export interface JobFiles {
  dir: string;
  script: string;
  /** The log path as sbatch `--output` takes it (`%j` is the job id). */
  logPattern: string;
  log(jobId: string): string;
  status(jobId: string): string;
  started(jobId: string): string;
}

export function jobFiles(root: string, runId: string, stage: string): JobFiles {
  const dir = path.join(root, '.orchestrator', 'slurm', runId);
  const stem = path.join(dir, fileStem(stage));
  return {
    dir,
    script: `${stem}.sh`,
    logPattern: `${stem}.%j.log`,
    log: (jobId) => `${stem}.${jobId}.log`,
    status: (jobId) => `${stem}.${jobId}.status`,
    started: (jobId) => `${stem}.${jobId}.started`,
  };
}

/** Stage names (`build@heads-2`) are file-name safe except for separators and `%` (sbatch's pattern character). */
function fileStem(stage: string): string {
  return stage.replace(/[^A-Za-z0-9._@=+,-]/g, '_');
}
