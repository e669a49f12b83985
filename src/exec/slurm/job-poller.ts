import { isLiveState, parseScontrolJob, parseSqueue, type JobRecord } from './job-state.js';
import { slurmCall } from './slurm-cli.js';

export type JobObservation =
  | { kind: 'queued'; state: string; reason: string; node: string }
  | { kind: 'ended'; record?: JobRecord }
  /** squeue/scontrol failed (controller restarting, accounting outage): try again next tick. */
  | { kind: 'unreachable'; message: string };

export interface PollerTiming {
  /** Interval while some job is younger than `fastForMs`: short jobs end within a second or two. */
  fastMs: number;
  fastForMs: number;
  /** Interval for jobs that run longer; each tick is one squeue call for all jobs. */
  steadyMs: number;
}

export const DEFAULT_TIMING: PollerTiming = { fastMs: 250, fastForMs: 5_000, steadyMs: envMs('ORCHESTRATOR_SLURM_POLL_MS', 1_000) };

const UNKNOWN_JOB = /Invalid job id/i;

interface Watcher {
  since: number;
  notify: (o: JobObservation) => void;
}

/**
 * One batched poller for every job of the process: each tick asks `squeue` about all watched jobs
 * at once, and `scontrol show job` only about those that left the queue (for their final state and
 * exit code; it keeps finished jobs for MinJobAge, and needs no accounting database). A failing
 * call is reported as `unreachable` and retried on the next tick, never as a job failure.
 */
export class JobPoller {
  private readonly watchers = new Map<string, Watcher>();
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;

  constructor(private readonly timing: PollerTiming = DEFAULT_TIMING) {}

  /** Observations until the job ends (`ended` is the last one); returns the unwatch function. */
  watch(jobId: string, notify: (o: JobObservation) => void): () => void {
    const watcher = { since: Date.now(), notify };
    this.watchers.set(jobId, watcher);
    this.arm(true);
    return () => {
      if (this.watchers.get(jobId) === watcher) this.watchers.delete(jobId);
    };
  }

  /** Polls soon, e.g. right after a scancel. */
  poke(): void {
    this.arm(true);
  }

  private arm(soon = false): void {
    if (this.ticking) return;
    if (this.watchers.size === 0) return;
    if (this.timer && !soon) return;
    if (this.timer) clearTimeout(this.timer);
    const young = [...this.watchers.values()].some((w) => Date.now() - w.since < this.timing.fastForMs);
    this.timer = setTimeout(() => void this.tick(), soon || young ? this.timing.fastMs : this.timing.steadyMs);
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    this.ticking = true;
    try {
      await this.pollOnce();
    } finally {
      this.ticking = false;
      this.arm();
    }
  }

  private async pollOnce(): Promise<void> {
    const ids = [...this.watchers.keys()];
    if (ids.length === 0) return;
    const squeue = await slurmCall('squeue', ['-h', '-o', '%i|%T|%r|%N', '-j', ids.join(',')]);
    let queued: ReturnType<typeof parseSqueue>;
    if (squeue.ok) queued = parseSqueue(squeue.stdout);
    // squeue rejects a job list that has only unknown (purged) ids: none of them is queued.
    else if (UNKNOWN_JOB.test(squeue.stderr)) queued = new Map();
    else {
      for (const id of ids) this.send(id, { kind: 'unreachable', message: `squeue: ${squeue.message}` });
      return;
    }
    await Promise.all(
      ids.map(async (id) => {
        const job = queued.get(id);
        if (job && isLiveState(job.state)) return this.send(id, { kind: 'queued', state: job.state, reason: job.reason, node: job.node });
        const shown = await slurmCall('scontrol', ['show', 'job', id]);
        if (!shown.ok) {
          if (UNKNOWN_JOB.test(shown.stderr)) this.send(id, { kind: 'ended' });
          else this.send(id, { kind: 'unreachable', message: `scontrol: ${shown.message}` });
          return;
        }
        const record = parseScontrolJob(shown.stdout);
        if (!record) return this.send(id, { kind: 'unreachable', message: 'scontrol show job: unreadable output' });
        // Between squeue and scontrol a job may just have started or be completing: still live.
        if (isLiveState(record.state)) return this.send(id, { kind: 'queued', state: record.state, reason: record.reason, node: record.node });
        this.send(id, { kind: 'ended', record });
      }),
    );
  }

  private send(id: string, o: JobObservation): void {
    const watcher = this.watchers.get(id);
    if (!watcher) return;
    if (o.kind === 'ended') this.watchers.delete(id);
    watcher.notify(o);
  }
}

function envMs(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}
