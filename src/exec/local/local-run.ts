import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { ExecHandle, ExecOutcome, ExecRequest } from '../executor.js';
import { terminateTagged } from '../process-group.js';
import { LogFollower } from './log-follower.js';
import { readStatus, removeRunFiles, type LocalRunFiles } from './run-files.js';
import { scriptOutcome, type ScriptEnd } from './script-outcome.js';

/** Grace period between SIGTERM and SIGKILL when cancelling. */
export const KILL_GRACE_MS = 1500;

const TAIL_BYTES = 64 * 1024;

export interface LocalRunOptions {
  req: ExecRequest;
  files: LocalRunFiles;
  /** The stage script's process group (its pid). */
  pgid: number;
  /** Environment tags every process of this execution carries (cancel finds escapees by them). */
  tags: Record<string, string>;
  /** Resolves when the script is over: its exit as a child, or its status file for an adopted one. */
  ended: Promise<{ exitCode?: number; signal?: string }>;
  /**
   * Adopted from a dead run: the log its command writes, copied into this run's log (`req.logFile`)
   * as it grows and shown, from its start.
   */
  adoptedLog?: string;
  /** Where the command's output starts in `req.logFile` (its size before the script started). */
  logStart: number;
  /** Called once it is over, cancelled or not. */
  onSettled?: () => void;
}

/**
 * One execution of a local stage: a detached `sh` script (see stage-script.ts) that writes its own
 * log and status file. This process only follows the log, waits for the end and reads the status.
 */
export class LocalRun implements ExecHandle {
  readonly id: string;
  private cancelled = false;
  private stopping: Promise<void> | undefined;
  private readonly follower: LogFollower | undefined;
  /** Without a follower: where the commands' output starts in the log, to show the end of it on failure. */
  private readonly outputStart: number = 0;
  private readonly copy: number | undefined;
  private readonly done: Promise<ExecOutcome>;

  constructor(private readonly opts: LocalRunOptions) {
    const { req } = opts;
    this.id = String(opts.pgid);
    if (opts.adoptedLog !== undefined) {
      this.copy = openSync(req.logFile, 'a');
      const copy = this.copy;
      this.follower = new LogFollower(
        opts.adoptedLog,
        (line) => {
          writeSync(copy, `${line}\n`);
          req.onLine(line, 'stdout');
        },
        { from: 0 },
      );
    } else if (req.followOutput === false) this.outputStart = opts.logStart;
    else this.follower = new LogFollower(req.logFile, (line) => req.onLine(line, 'stdout'), { from: opts.logStart });
    this.done = this.finish();
  }

  wait(): Promise<ExecOutcome> {
    return this.done;
  }

  /** Stops the whole tree: the script's group, and every process carrying its tags (those that left the group too). */
  async cancel(): Promise<void> {
    this.cancelled = true;
    this.stopping ??= terminateTagged(this.opts.tags, KILL_GRACE_MS, [this.opts.pgid]);
    await this.stopping;
    await this.done.catch(() => undefined);
  }

  private async finish(): Promise<ExecOutcome> {
    const { req, files } = this.opts;
    try {
      const exit = await this.opts.ended;
      if (this.cancelled) {
        await this.stopping;
        return { status: 'cancelled' };
      }
      const status = readStatus(files);
      const end: ScriptEnd = status ? { status } : exit;
      const outcome = scriptOutcome(end, req.stage, path.join(req.root, req.stage.wdir));
      if (outcome.status === 'failed' && !this.follower) this.deliverTail();
      return outcome;
    } finally {
      this.follower?.close();
      if (this.copy !== undefined) closeSync(this.copy);
      removeRunFiles(files);
      this.opts.onSettled?.();
    }
  }

  /** Nobody followed the output: a failure still shows its last lines (at most the last 64 KiB of them). */
  private deliverTail(): void {
    const { req } = this.opts;
    const from = Math.max(this.outputStart, logSize(req.logFile) - TAIL_BYTES);
    new LogFollower(req.logFile, (line) => req.onLine(line, 'stdout'), { from, poll: false }).close();
  }
}

export function logSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
