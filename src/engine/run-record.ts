import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { StageFailure } from '../model/failure.js';
import type { ExecutorKind } from '../model/stage.js';
import type { ChangeReason, StageAction } from '../plan/change-reason.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { ReproEvent } from './events.js';
import { nullRecord } from '../util/null-record.js';

export type StageRunStatus = 'up-to-date' | 'restored' | 'succeeded' | 'failed' | 'cancelled' | 'not-started' | 'running';

/** One stage in a run record: what was decided, why, and how it went. */
export interface StageRunRecord {
  decision?: StageAction;
  reasons?: ChangeReason[];
  restoreFrom?: 'lock' | 'run-cache';
  executor?: ExecutorKind;
  status: StageRunStatus;
  start?: string;
  end?: string;
  durationMs?: number;
  /**
   * Executors with a queue (Slurm): when the job was submitted, by this machine's clock, and when it
   * began to run, by the node's clock (written by the job script). Between them it waited in the queue.
   */
  queuedAt?: string;
  startedAt?: string;
  /** Why the stage failed, was cancelled or never started (upstream): data, see `StageFailure`. */
  failure?: StageFailure;
  /** The command's exit code, when that is how it failed (also inside `failure`). */
  exitCode?: number;
  log?: string;
}

/** `.orchestrator/runs/<run id>.json`: what one `repro` did, for reports and for "why did this rerun?". */
export interface RunRecord {
  runId: string;
  argv: string[];
  started: string;
  finished?: string;
  status: 'running' | 'succeeded' | 'failed' | 'interrupted';
  stages: Record<string, StageRunRecord>;
}

/**
 * Builds the run record from repro events and rewrites it (atomically, at most once a second) as
 * stages finish, so even a run that is killed leaves a record of nearly everything it completed.
 */
export class RunRecorder {
  private readonly record: RunRecord;
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dir: string,
    runId: string,
    argv: string[],
    private readonly root: string,
  ) {
    this.record = { runId, argv, started: new Date().toISOString(), status: 'running', stages: nullRecord() };
  }

  get file(): string {
    return path.join(this.dir, `${this.record.runId}.json`);
  }

  readonly onEvent = (e: ReproEvent): void => {
    if (e.type === 'interrupting' || e.type === 'stage-output') return;
    const now = new Date().toISOString();
    const s = (this.record.stages[e.stage] ??= { status: 'running' });
    switch (e.type) {
      case 'stage-planned':
        s.decision = e.plan.action;
        s.reasons = e.plan.reasons;
        if (e.plan.restoreFrom) s.restoreFrom = e.plan.restoreFrom;
        s.executor = e.executor;
        return;
      case 'stage-started':
        s.start = now;
        s.log = path.relative(this.root, e.logFile);
        return;
      case 'stage-queued':
        s.queuedAt = e.queuedAt;
        if (e.startedAt) s.startedAt = e.startedAt;
        else delete s.startedAt;
        break;
      case 'stage-skipped':
        s.status = 'up-to-date';
        break;
      case 'stage-restored':
        s.status = 'restored';
        break;
      case 'stage-succeeded':
        Object.assign(s, { status: 'succeeded', end: now, durationMs: e.durationMs });
        break;
      case 'stage-failed':
        Object.assign(s, { status: 'failed', end: now, durationMs: e.durationMs, failure: e.failure });
        if (e.failure.kind === 'exit-code') s.exitCode = e.failure.code;
        if (e.logFile) s.log = path.relative(this.root, e.logFile);
        break;
      case 'stage-cancelled':
        Object.assign(s, { status: 'cancelled', end: now, failure: { kind: 'cancelled' } });
        break;
      case 'stage-not-started':
        s.status = 'not-started';
        // A stage the run stopped before reaching (no keep-going, Ctrl-C) did not fail: no failure.
        if (e.why.reason !== 'stopped') s.failure = { kind: e.why.reason, upstream: e.why.upstream };
        break;
    }
    this.scheduleFlush();
  };

  /** At most one write per second while running: the record is rewritten whole, so per-stage writes would be O(n²). */
  private scheduleFlush(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, 1000);
    this.timer.unref();
  }

  /** e.g. "2 ran, 1 restored, 5 up to date, 1 failed". */
  summary(): string {
    const labels: Array<[StageRunStatus, string]> = [
      ['succeeded', 'ran'],
      ['restored', 'restored'],
      ['up-to-date', 'up to date'],
      ['failed', 'failed'],
      ['cancelled', 'cancelled'],
      ['not-started', 'not run'],
    ];
    const statuses = Object.values(this.record.stages).map((s) => s.status);
    const parts = labels.map(([status, label]) => [statuses.filter((s) => s === status).length, label] as const).filter(([n]) => n > 0);
    return parts.length > 0 ? parts.map(([n, label]) => `${n} ${label}`).join(', ') : 'nothing to do';
  }

  async finish(status: RunRecord['status']): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.record.status = status;
    this.record.finished = new Date().toISOString();
    await this.flush();
  }

  /** Coalesces writes: at most one in flight, the last one always carries the latest state. */
  private flush(): Promise<void> {
    this.dirty = true;
    this.writing = this.writing.then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      await mkdir(this.dir, { recursive: true });
      await writeFileAtomic(this.file, `${JSON.stringify(this.record, null, 2)}\n`, { durable: false });
    }).catch(() => {
      // The record is a report, never a reason to fail a build; the stage logs are still on disk.
    });
    return this.writing;
  }
}

/** Run ids in a runs directory, oldest first (ids sort by time). */
export async function listRunIds(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)).sort();
  } catch {
    return [];
  }
}

export async function readRunRecord(dir: string, runId: string): Promise<RunRecord | undefined> {
  try {
    return JSON.parse(await readFile(path.join(dir, `${runId}.json`), 'utf8')) as RunRecord;
  } catch {
    return undefined;
  }
}
