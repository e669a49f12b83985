import { mkdir, readFile, stat } from 'node:fs/promises';
import { writeFileAtomic } from '../../util/atomic-write.js';
import type { StageFailure } from '../../model/failure.js';
import type { ExecHandle, ExecOutcome, ExecRequest, QueueTimes } from '../executor.js';
import type { JobFiles } from './job-files.js';
import type { JobObservation, JobPoller } from './job-poller.js';
import { parseStartedFile, parseStatusFile } from './job-script.js';
import { isRetryableState, jobOutcome, type JobEnd, type JobRecord } from './job-state.js';
import { LogTail } from './log-tail.js';
import { sbatchArgs } from './sbatch-args.js';
import { slurmCall } from './slurm-cli.js';

/** What every job of one executor shares. */
export interface JobContext {
  poller: JobPoller;
  /** Jobs this process submitted or reattached to and that have not ended: for the emergency scancel. */
  live: Set<string>;
  /** How long to wait for the status file after the job left the queue (shared filesystems lag). */
  graceS: number;
}

/** The job script of one submission, made by the executor (it knows the container image). */
export type ScriptMaker = (files: JobFiles) => { ok: true; script: string } | { ok: false; message: string };

/** A fresh submission, or a job a dead run submitted (its files are that run's; a retry writes this run's). */
export type JobStart = { kind: 'fresh'; files: JobFiles } | { kind: 'reattach'; jobId: string; fromRun: string; files: JobFiles; newFiles: JobFiles };

/**
 * After scancel, how long to wait for the job to leave the queue before reporting it cancelled anyway.
 * Our job scripts SIGKILL their commands JOB_STOP_GRACE_S (5 s) after SIGTERM; a job without that
 * (submitted by an older version, then reattached) is SIGKILLed by Slurm after KillWait, 30 s by
 * default: wait longer than that, so Ctrl-C does not return while the job's processes still live.
 */
const CANCEL_WAIT_MS = 40_000;
/** sbatch failures that mean "controller busy or away", worth another try. */
const TRANSIENT_SUBMIT = /Unable to contact|Socket timed out|Connection refused|temporarily unavailable|Zero Bytes were transmitted|Slurm backup controller in standby|try again/i;
const SUBMIT_TRIES = 5;

/**
 * One stage as one Slurm job: submit (or pick up a job a dead run submitted), follow its log, wait
 * for its end through the shared poller, read its status file, and resubmit after NODE_FAIL or
 * PREEMPTED up to `slurm.retries` times. The handle id is the current job id.
 */
export class SlurmJob implements ExecHandle {
  private jobId = '';
  private cancelled = false;
  private wake: (() => void) | undefined;
  /** The current job's wait in the queue, as far as known. */
  private queue: QueueTimes | undefined;
  private readonly done: Promise<ExecOutcome>;

  constructor(
    private readonly ctx: JobContext,
    private readonly req: ExecRequest,
    private readonly makeScript: ScriptMaker,
    start: JobStart,
  ) {
    this.done = this.runAll(start).catch((e: Error) => ({ status: 'failed' as const, failure: { kind: 'executor-error' as const, message: `Slurm executor: ${e.message}` } }));
  }

  get id(): string {
    return this.jobId;
  }

  wait(): Promise<ExecOutcome> {
    return this.done;
  }

  async cancel(): Promise<void> {
    if (this.cancelled) return this.done.then(() => undefined);
    this.cancelled = true;
    if (this.jobId) await slurmCall('scancel', [this.jobId]);
    this.ctx.poller.poke();
    this.wake?.();
    await this.done.catch(() => undefined);
  }

  private note(text: string): void {
    this.req.onLine(`[slurm] ${text}`, 'stderr');
  }

  private async runAll(start: JobStart): Promise<ExecOutcome> {
    const retries = this.req.stage.slurm?.retries ?? 1;
    let files = start.files;
    if (start.kind === 'reattach') {
      this.track(start.jobId);
      this.note(`reattached to job ${start.jobId} of run ${start.fromRun}; its output so far follows`);
      // The dead run wrote the script just before it submitted the job.
      const written = await stat(files.script).catch(() => undefined);
      if (written) this.queued(written.mtime);
    } else {
      const submitted = await this.submit(files);
      if (submitted) return submitted;
    }
    for (let attempt = 0; ; attempt++) {
      const end = await this.follow(files);
      if (this.cancelled) return { status: 'cancelled' };
      const outcome = jobOutcome(end, this.req.stage);
      const state = end.record?.state;
      if (outcome.status === 'failed' && state && isRetryableState(state) && attempt < retries) {
        this.note(`job ${this.jobId} ended ${state}; submitting again (retry ${attempt + 1} of ${retries})`);
        if (start.kind === 'reattach') files = start.newFiles;
        const submitted = await this.submit(files);
        if (submitted) return submitted;
        continue;
      }
      if (outcome.status === 'failed' && state && isRetryableState(state) && retries > 0) {
        return { status: 'failed', failure: withRetries(outcome.failure, retries) };
      }
      return outcome;
    }
  }

  /** Writes the job script and submits it; an outcome only when that failed (or was cancelled). */
  private async submit(files: JobFiles): Promise<ExecOutcome | undefined> {
    const made = this.makeScript(files);
    if (!made.ok) return executorError(made.message);
    await mkdir(files.dir, { recursive: true });
    await writeFileAtomic(files.script, made.script, { mode: 0o755, durable: false });
    const args = sbatchArgs({ stage: this.req.stage, root: this.req.root, runId: this.req.runId, script: files.script, logPattern: files.logPattern });
    for (let attempt = 1; ; attempt++) {
      if (this.cancelled) return { status: 'cancelled' };
      const r = await slurmCall('sbatch', args, this.req.env);
      if (r.ok) {
        const jobId = r.stdout.trim().split(';')[0]!.trim();
        if (!/^\d+$/.test(jobId)) return executorError(`sbatch printed "${r.stdout.trim()}" instead of a job id`);
        this.track(jobId);
        this.queued(new Date());
        this.note(`submitted job ${jobId}${this.req.stage.slurm?.partition ? ` to partition ${this.req.stage.slurm.partition}` : ''}; log ${files.log(jobId)}`);
        if (this.cancelled) await slurmCall('scancel', [jobId]);
        return undefined;
      }
      if (r.missing) return executorError('sbatch not found on PATH: install the Slurm client, or run this stage with another executor');
      if (!TRANSIENT_SUBMIT.test(r.stderr) || attempt >= SUBMIT_TRIES) return executorError(`sbatch failed: ${r.message}`);
      this.note(`sbatch failed (${r.message}); trying again`);
      await this.sleep(2_000 * attempt);
    }
  }

  private track(jobId: string): void {
    this.jobId = jobId;
    this.ctx.live.add(jobId);
    this.req.onHandleId?.(jobId);
  }

  private queued(at: Date): void {
    this.queue = { queuedAt: at.toISOString() };
    this.req.onQueue?.({ ...this.queue });
  }

  /**
   * When the current job began to run, from the file its script writes first (the node's clock; no
   * scontrol round trip, and it survives MinJobAge). Read when Slurm first reports the job running
   * (the script may not have written it yet) and again after the job's end.
   */
  private async readStarted(files: JobFiles, jobId: string): Promise<void> {
    if (!this.queue || this.queue.startedAt !== undefined) return;
    const text = await readFile(files.started(jobId), 'utf8').catch(() => undefined);
    const startedAt = text === undefined ? undefined : parseStartedFile(text);
    if (startedAt === undefined || this.jobId !== jobId || !this.queue || this.queue.startedAt !== undefined) return;
    this.queue.startedAt = startedAt;
    this.req.onQueue?.({ ...this.queue });
  }

  /** Follows the current job to its end: its output into onLine, its states as notes. */
  private async follow(files: JobFiles): Promise<JobEnd> {
    const jobId = this.jobId;
    const tail = new LogTail(files.log(jobId), (line) => this.req.onLine(line, 'stdout'));
    tail.start();
    let record: JobRecord | undefined;
    try {
      record = await this.untilEnded(jobId, () => void this.readStarted(files, jobId));
      const status = this.cancelled ? undefined : await this.readStatus(files.status(jobId), record?.state);
      await this.readStarted(files, jobId);
      return { jobId, record, ...(status ? { status } : {}), graceS: this.ctx.graceS };
    } finally {
      await tail.stop();
      this.ctx.live.delete(jobId);
    }
  }

  /** Resolves with Slurm's record of the job once it left the queue; `onRunning` once it is seen running. */
  private untilEnded(jobId: string, onRunning: () => void): Promise<JobRecord | undefined> {
    return new Promise((resolve) => {
      let last = '';
      let running = false;
      let unreachable = false;
      let cancelTimer: NodeJS.Timeout | undefined;
      const finish = (record: JobRecord | undefined) => {
        if (cancelTimer) clearTimeout(cancelTimer);
        this.wake = undefined;
        unwatch();
        resolve(record);
      };
      // A cancelled job is waited for until it left the queue (so Ctrl-C leaves nothing behind), within reason.
      this.wake = () => {
        cancelTimer ??= setTimeout(() => finish(undefined), CANCEL_WAIT_MS);
      };
      if (this.cancelled) this.wake();
      const unwatch = this.ctx.poller.watch(jobId, (o: JobObservation) => {
        if (o.kind === 'unreachable') {
          if (!unreachable) this.note(`cannot ask Slurm about job ${jobId} (${o.message}); retrying`);
          unreachable = true;
          return;
        }
        if (unreachable) this.note('Slurm answers again');
        unreachable = false;
        if (o.kind === 'ended') return finish(o.record);
        if (o.state !== 'PENDING' && !running) {
          running = true;
          onRunning();
        }
        const now = o.state === 'PENDING' ? `job ${jobId} pending${o.reason && o.reason !== 'None' ? ` (${o.reason})` : ''}` : `job ${jobId} ${o.state.toLowerCase()}${o.node ? ` on ${o.node}` : ''}`;
        if (now !== last && !(o.state === 'COMPLETING')) this.note(now);
        last = now;
      });
    });
  }

  /**
   * The script's status file. Written by the node as the job's last act, it can reach this machine
   * after Slurm reports the end on a shared filesystem, hence the grace period; states in which the
   * script was killed (TIMEOUT, CANCELLED, ...) are not waited for.
   */
  private async readStatus(file: string, state: string | undefined): Promise<JobEnd['status']> {
    const expected = state === undefined || state === 'COMPLETED' || state === 'FAILED';
    const deadline = Date.now() + (expected ? this.ctx.graceS * 1000 : 0);
    for (;;) {
      const text = await readFile(file, 'utf8').catch(() => undefined);
      const parsed = text === undefined ? undefined : parseStatusFile(text);
      if (parsed || Date.now() >= deadline || this.cancelled) return parsed;
      await this.sleep(200);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}

function executorError(message: string): ExecOutcome {
  return { status: 'failed', failure: { kind: 'executor-error', message } };
}

/** The failure of the last attempt, noting how often the job was submitted again before it. */
function withRetries(failure: StageFailure, retries: number): StageFailure {
  switch (failure.kind) {
    case 'exit-code':
    case 'signal':
    case 'out-of-memory':
    case 'time-limit':
    case 'executor-error':
      return { ...failure, at: { ...failure.at, retries } };
    default:
      return failure;
  }
}
