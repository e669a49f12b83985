import type { ExecOutcome } from '../executor.js';
import { slurmMemoryMb } from './sbatch-args.js';
import type { Stage } from '../../model/stage.js';
import type { ScriptStep } from './job-script.js';

/** States in which a job is still in the queue (waiting, running, or finishing up). */
const LIVE_STATES = new Set([
  'PENDING',
  'CONFIGURING',
  'RUNNING',
  'COMPLETING',
  'SUSPENDED',
  'REQUEUED',
  'REQUEUE_FED',
  'REQUEUE_HOLD',
  'RESIZING',
  'SIGNALING',
  'STAGE_OUT',
  'STOPPED',
  'RESV_DEL_HOLD',
]);

export function isLiveState(state: string): boolean {
  return LIVE_STATES.has(state);
}

/** A node that died or a preemption says nothing about the stage: the job is submitted again. */
export function isRetryableState(state: string): boolean {
  return state === 'NODE_FAIL' || state === 'PREEMPTED';
}

export interface QueuedJob {
  state: string;
  /** Why it waits (squeue %r): `Priority`, `Resources`, `None`. */
  reason: string;
  /** Where it runs (squeue %N), empty while pending. */
  node: string;
}

/** `squeue -h -o '%i|%T|%r|%N'` output. */
export function parseSqueue(text: string): Map<string, QueuedJob> {
  const jobs = new Map<string, QueuedJob>();
  for (const line of text.split('\n')) {
    const [id, state, reason, node] = line.trim().split('|');
    if (id && state) jobs.set(id, { state, reason: reason ?? '', node: node ?? '' });
  }
  return jobs;
}

/** What `scontrol show job ID` says about a job. */
export interface JobRecord {
  id: string;
  name: string;
  state: string;
  reason: string;
  exitCode?: number;
  /** Signal number that ended the batch script, 0 for none. */
  signal?: number;
  node: string;
  timeLimit: string;
  comment: string;
}

/** Parses `scontrol show job ID` (its multi-line form, where Comment has a line of its own). */
export function parseScontrolJob(text: string): JobRecord | undefined {
  const field = (key: string) => new RegExp(`(?:^|\\s)${key}=(\\S*)`).exec(text)?.[1];
  const id = field('JobId');
  const state = field('JobState');
  if (id === undefined || state === undefined) return undefined;
  const exit = /(?:^|\s)ExitCode=(\d+):(\d+)/.exec(text);
  const record: JobRecord = {
    id,
    name: field('JobName') ?? '',
    state,
    reason: field('Reason') ?? '',
    node: field('NodeList') ?? '',
    timeLimit: field('TimeLimit') ?? '',
    comment: /^\s*Comment=(.*?)\s*$/m.exec(text)?.[1] ?? '',
  };
  if (exit) {
    record.exitCode = Number(exit[1]);
    record.signal = Number(exit[2]);
  }
  return record;
}

/** How a job ended: Slurm's record (undefined when Slurm no longer knows it) and the script's status file. */
export interface JobEnd {
  jobId: string;
  record?: JobRecord;
  status?: { code: number; step: ScriptStep };
  /** Seconds waited for the status file. */
  graceS: number;
}

/**
 * The outcome of a finished job, in words. The status file (written by the job script) gives the
 * exit code and which step failed; Slurm's state says why a job ended without one.
 */
export function jobOutcome(end: JobEnd, stage: Stage): ExecOutcome {
  const { record, status } = end;
  const job = `job ${end.jobId}`;
  const on = record?.node ? ` on ${record.node}` : '';
  const state = record?.state;
  const fromStatus = (prefix: string): ExecOutcome => {
    const s = status!;
    if (s.code === 0) return { status: 'succeeded' };
    if (s.step === 'cd') return { status: 'failed', exitCode: s.code, message: `${prefix}could not cd to the stage's directory${on}: is the workspace visible there at the same path?` };
    return { status: 'failed', exitCode: s.code, message: `${prefix}${stepText(s.step, stage)} ${s.code === 127 && s.step === 'setup' ? 'failed: command not found (127)' : `exited with code ${s.code}`}` };
  };
  const unseen = `its exit-status file did not appear within ${end.graceS} s: is the workspace visible at the same path${on}? (orchestrator doctor --slurm checks)`;
  switch (state) {
    case undefined:
      if (status) return fromStatus(`${job} (no longer known to Slurm): `);
      return { status: 'failed', message: `${job} is no longer known to Slurm and ${unseen}` };
    case 'COMPLETED':
      if (status) return fromStatus(`${job} COMPLETED, but `);
      return { status: 'failed', message: `${job} COMPLETED, but ${unseen}` };
    case 'FAILED':
      if (status) return fromStatus(`${job} FAILED${on}: `);
      return {
        status: 'failed',
        ...(record?.exitCode !== undefined ? { exitCode: record.exitCode } : {}),
        message: `${job} FAILED${on}${record?.exitCode !== undefined ? ` with exit code ${record.exitCode}` : ''} before its commands ran, and ${unseen}`,
      };
    case 'CANCELLED':
      return { status: 'failed', message: `${job} CANCELLED${on} by Slurm or an administrator (scancel), not by orchestrator` };
    case 'TIMEOUT':
      return { status: 'failed', message: `${job} TIMEOUT${on}: killed by Slurm at its time limit (${record?.timeLimit || 'slurm.time'}); raise slurm.time` };
    case 'OUT_OF_MEMORY': {
      const mb = slurmMemoryMb(stage);
      const limit = mb === undefined ? "the partition's default memory (set resources.mem_gb)" : `--mem=${mb}M from resources.mem_gb`;
      return { status: 'failed', message: `${job} OUT_OF_MEMORY${on}: killed for using more memory than ${limit}` };
    }
    case 'NODE_FAIL':
      return { status: 'failed', message: `${job} NODE_FAIL: its node${record?.node ? ` ${record.node}` : ''} failed` };
    case 'PREEMPTED':
      return { status: 'failed', message: `${job} PREEMPTED${on} by a higher-priority job` };
    case 'BOOT_FAIL':
      return { status: 'failed', message: `${job} BOOT_FAIL: its node${record?.node ? ` ${record.node}` : ''} failed to boot` };
    case 'DEADLINE':
      return { status: 'failed', message: `${job} DEADLINE: it could not finish before its deadline` };
    default:
      return { status: 'failed', message: `${job} ended in state ${state}${on}${record?.reason && record.reason !== 'None' ? ` (${record.reason})` : ''}` };
  }
}

function stepText(step: ScriptStep, stage: Stage): string {
  if (step === 'setup') return 'slurm.setup';
  if (step === 'done') return 'the job';
  return stage.cmd.length > 1 ? `command ${step} of ${stage.cmd.length}` : 'the command';
}
