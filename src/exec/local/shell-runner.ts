import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { LineSplitter } from '../line-splitter.js';

/** How a job ended: the shell's `$?` (0..255, 128+N when a signal killed the command), or `undefined` when the runner died. */
export type JobListener = (status: number | undefined) => void;

/**
 * Set once, first thing: when the runner's input closes (orchestrator exited, or was killed), it
 * sends SIGTERM to its whole process group, which holds every job it started, then exits.
 */
const PREAMBLE = `trap 'trap "" TERM; kill -TERM 0 2>/dev/null' EXIT\n`;

/** Single-quotes a string for sh: every byte literal, newlines included. */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * One long-lived `sh` that starts jobs for this process. Node's own `spawn` forks the whole (large)
 * orchestrator process and costs ~4 ms of main-thread time per command; the shell forks a ~1 MB
 * process instead, and the orchestrator's thread only writes a few hundred bytes to a pipe.
 *
 * Protocol: each job is shell text written to the runner's stdin (the shell's own script, read in
 * blocks by its parser, so nothing is re-framed). It runs as `{ (JOB); echo "D id $?"; } &`: the
 * reporter `{ }` survives whatever the job does (`exit`, `exec`), so a status always comes back, and
 * nothing else is sent while the job runs. The runner and its jobs share one process group, created
 * for it (setsid), so a terminal's Ctrl-C reaches only the orchestrator, which stops them in order.
 * Stopping one job is the caller's business: its processes carry the caller's environment tags.
 */
export class ShellRunner {
  private child: ChildProcessByStdio<Writable, Readable, Readable> | undefined;
  private nextId = 1;
  private readonly jobs = new Map<number, JobListener>();
  private stderrTail = '';

  /** Process group of the runner and its jobs (the runner's pid), while it runs. */
  get pgid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts `script` (complete shell text, any number of lines) as a background job; returns its id. */
  run(script: string, listener: JobListener): number {
    const child = this.ensure();
    const id = this.nextId++;
    if (this.jobs.size === 0) this.ref(true);
    this.jobs.set(id, listener);
    child.stdin.write(`{ (\n${script}\n); echo "D ${id} $?"; } &\n`);
    return id;
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
    const child = spawn('sh', ['-s'], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.child = child;
    const lines = new LineSplitter((line) => this.onLine(line));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => lines.push(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-2000);
    });
    // A write to a runner that died fails with EPIPE; its jobs are failed by the 'close' handler.
    child.stdin.on('error', () => undefined);
    child.on('error', (e) => {
      this.stderrTail += `\ncould not start sh: ${e.message}`;
    });
    child.on('close', () => {
      if (this.child === child) this.child = undefined;
      const orphans = [...this.jobs.values()];
      this.jobs.clear();
      for (const job of orphans) job(undefined);
    });
    child.stdin.write(PREAMBLE);
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

  /** An idle runner must not keep the orchestrator alive: it exits with it (see PREAMBLE). */
  private ref(on: boolean): void {
    const child = this.child;
    if (!child) return;
    for (const handle of [child, child.stdout, child.stderr, child.stdin] as Array<{ ref(): void; unref(): void }>) {
      if (on) handle.ref();
      else handle.unref();
    }
  }
}
