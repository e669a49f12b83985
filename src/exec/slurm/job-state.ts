import type { ExecOutcome } from '../executor.js';
import type { FailureSite, StageFailure } from '../../model/failure.js';
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
 * The outcome of a finished job, as data. The status file (written by the job script) gives the
 * exit code and which step failed; Slurm's state says why a job ended without one.
 */
export function jobOutcome(end: JobEnd, stage: Stage): ExecOutcome {
  const { record, status } = end;
  const state = record?.state;
  const job = { id: end.jobId, ...(state ? { state } : {}), ...(record?.node ? { node: record.node } : {}) };
  const failed = (failure: StageFailure): ExecOutcome => ({ status: 'failed', failure });
  const fromStatus = (): ExecOutcome => {
    const s = status!;
    if (s.code === 0) return { status: 'succeeded' };
    return failed({ kind: 'exit-code', code: s.code, at: { job, ...stepSite(s.step, stage) } });
  };
  const unseen = `its exit-status file did not appear within ${end.graceS} s: is the workspace visible at the same path${record?.node ? ` on ${record.node}` : ''}? (orchestrator doctor --slurm checks)`;
  switch (state) {
    case undefined:
      if (status) return fromStatus();
      return failed({ kind: 'executor-error', message: `job ${end.jobId} is no longer known to Slurm and ${unseen}` });
    case 'COMPLETED':
      if (status) return fromStatus();
      return failed({ kind: 'executor-error', message: `job ${end.jobId} COMPLETED, but ${unseen}` });
    case 'FAILED':
      if (status) return fromStatus();
      return failed({ kind: 'executor-error', jobState: state, at: { job }, message: `${record?.exitCode !== undefined ? `with exit code ${record.exitCode} ` : ''}before its commands ran, and ${unseen}` });
    case 'TIMEOUT':
      return failed({ kind: 'time-limit', ...(record?.timeLimit ? { limit: record.timeLimit } : {}), at: { job } });
    case 'OUT_OF_MEMORY':
      return failed({ kind: 'out-of-memory', ...(stage.resources.mem_gb !== undefined ? { memGb: stage.resources.mem_gb } : {}), at: { job } });
    default:
      return failed({ kind: 'executor-error', jobState: state, ...(record?.reason && record.reason !== 'None' ? { reason: record.reason } : {}), at: { job } });
  }
}

/** Which step of the job script failed: setup, cd, or which command of a list. */
function stepSite(step: ScriptStep, stage: Stage): FailureSite {
  if (step === 'setup' || step === 'cd') return { step };
  if (typeof step === 'number' && stage.cmd.length > 1) return { command: { index: step, count: stage.cmd.length } };
  return {};
}
