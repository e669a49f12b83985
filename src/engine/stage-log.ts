import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { stageFileName } from '../workspace/layout.js';

/** Lines are written out once this much is buffered, or on the next turn of the event loop. */
const FLUSH_BYTES = 64 * 1024;

/** Directories known to exist: a run's log directory is made once, not once per stage. */
const madeDirs = new Set<string>();

/**
 * The on-disk log of one stage execution: `.orchestrator/logs/<run id>/<stage>.log`. Opened in append
 * mode, so a command writing the file itself (the local executor) and these lines never overwrite
 * each other. Small synchronous writes: a log is a local file, and a stage's start and end must not
 * wait behind bulk I/O in the thread pool.
 */
export class StageLog {
  private pending: string[] = [];
  private pendingBytes = 0;
  private scheduled = false;
  private fd: number | undefined;

  private constructor(
    readonly file: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  static open(logsDir: string, stage: string, runId: string): StageLog {
    const dir = path.join(logsDir, runId);
    if (!madeDirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      madeDirs.add(dir);
    }
    const file = path.join(dir, `${stageFileName(stage)}.log`);
    return new StageLog(file, openSync(file, 'a'));
  }

  line(text: string): void {
    this.pending.push(`${text}\n`);
    this.pendingBytes += text.length + 1;
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes buffered lines now (before another writer appends to the file). */
  flush(): void {
    this.scheduled = false;
    if (this.fd === undefined || this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    this.pendingBytes = 0;
    try {
      writeSync(this.fd, text);
    } catch {
      // A log that cannot be written (disk full) must not fail the build it describes.
    }
  }

  close(): void {
    this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
