import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { LineSplitter } from '../line-splitter.js';

/** One command to start: `sh -c command` in `dir`, output appended to `log`, `env` added to the runner's environment. */
export interface Job {
  readonly command: string;
  readonly dir: string;
  readonly log: string;
  readonly env: Readonly<Record<string, string>>;
}

/** How a job ended: the shell's `$?` (0..255, 128+N when a signal killed the command), or `undefined` when the runner died. */
export type JobListener = (status: number | undefined) => void;

/**
 * What differs between runner programs: how to start one, and how a job is written to it. Both
 * answer "D id status" lines on stdout, and both send SIGTERM to their process group when their
 * input closes, so an orchestrator that dies takes its jobs with it.
 */
export interface RunnerDialect {
  readonly name: 'native' | 'sh';
  readonly file: string;
  readonly args: readonly string[];
  /** Written once, before the first job. */
  readonly preamble: string;
  encode(id: number, job: Job): string;
}

/**
 * One long-lived process that starts jobs for this orchestrator. Node's own `spawn` forks the whole
 * (large) orchestrator process and costs ~4 ms of main-thread time per command; the runner starts
 * commands from a small process, and the orchestrator's thread only writes a few hundred bytes to a
 * pipe. The runner and its jobs share one process group, created for it (setsid), so a terminal's
 * Ctrl-C reaches only the orchestrator, which stops them in order. Stopping one job is the caller's
 * business: its processes carry the caller's environment tags.
 */
export class Runner {
  private child: ChildProcessByStdio<Writable, Readable, Readable> | undefined;
  private nextId = 1;
  private readonly jobs = new Map<number, JobListener>();
  private stderrTail = '';

  constructor(readonly dialect: RunnerDialect) {}

  /** Process group of the runner and its jobs (the runner's pid), while it runs. */
  get pgid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts `job`; `listener` gets its status once it ends. Throws, starting nothing, if the job cannot be encoded. */
  run(job: Job, listener: JobListener): void {
    const id = this.nextId++;
    const text = this.dialect.encode(id, job);
    const child = this.ensure();
    if (this.jobs.size === 0) this.ref(true);
    this.jobs.set(id, listener);
    child.stdin.write(text);
  }

  /** What the runner wrote to stderr lately (its own errors, e.g. a log file it could not open). */
  recentErrors(): string {
    return this.stderrTail.trim();
  }

  /** Last resort, synchronous: SIGKILL the runner and every job it started. */
  killAll(): void {
    const pgid = this.pgid;
    if (pgid === undefined) return;
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  private ensure(): ChildProcessByStdio<Writable, Readable, Readable> {
    if (this.child) return this.child;
    const child = spawn(this.dialect.file, this.dialect.args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.child = child;
    const lines = new LineSplitter((line) => this.onLine(line));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => lines.push(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-2000);
    });
    // A write to a runner that died fails with EPIPE; its jobs are failed by the 'close' handler.
    child.stdin.on('error', () => undefined);
    child.on('error', (e) => {
      this.stderrTail += `\ncould not start ${this.dialect.file}: ${e.message}`;
    });
    child.on('close', () => {
      if (this.child === child) this.child = undefined;
      const orphans = [...this.jobs.values()];
      this.jobs.clear();
      for (const job of orphans) job(undefined);
    });
    if (this.dialect.preamble) child.stdin.write(this.dialect.preamble);
    return child;
  }

  private onLine(line: string): void {
    const [kind, idText, value] = line.split(' ');
    const id = Number(idText);
    const job = this.jobs.get(id);
    if (kind !== 'D' || !job) return;
    this.jobs.delete(id);
    if (this.jobs.size === 0) this.ref(false);
    job(Number(value));
  }

  /** An idle runner must not keep the orchestrator alive: it exits with it (its input closes). */
  private ref(on: boolean): void {
    const child = this.child;
    if (!child) return;
    for (const handle of [child, child.stdout, child.stderr, child.stdin] as Array<{ ref(): void; unref(): void }>) {
      if (on) handle.ref();
      else handle.unref();
    }
  }
}
