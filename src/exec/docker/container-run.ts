import type Dockerode from 'dockerode';
import os from 'node:os';
import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { ExecHandle, ExecOutcome, ExecRequest } from '../executor.js';
import { LineSplitter } from '../line-splitter.js';
import { classifyDockerError, isGone, type DockerClients } from './client.js';
import type { FailureSite } from '../../model/failure.js';
import { containerOptions } from './container-config.js';

/** Seconds between SIGTERM and SIGKILL when a stage is cancelled. */
export const STOP_GRACE_S = 2;
/** After the container exited, how long its output stream may take to drain. */
const DRAIN_MS = 5_000;

/** Containers this process created and has not removed yet, for the synchronous emergency kill. */
export type LiveContainers = Set<string>;

/** Where a run starts: a fresh stage, or a command already running in a container of a dead run. */
export type RunStart = { kind: 'fresh' } | { kind: 'reattach'; containerId: string; commandIndex: number };

/**
 * One stage in Docker: one container per command of `cmd`, in order, stopping at the first failure
 * (each command gets the same fresh `sh -c` it gets locally; the handle id follows the container).
 */
export class ContainerRun implements ExecHandle {
  private containerId = '';
  private cancelled = false;
  private readonly done: Promise<ExecOutcome>;

  constructor(
    private readonly docker: DockerClients,
    private readonly req: ExecRequest,
    private readonly imageId: string,
    private readonly live: LiveContainers,
    start: RunStart,
  ) {
    this.done = this.runAll(start);
  }

  get id(): string {
    return this.containerId;
  }

  wait(): Promise<ExecOutcome> {
    return this.done;
  }

  async cancel(): Promise<void> {
    this.cancelled = true;
    if (this.containerId) await stopAndRemove(this.docker.quick.getContainer(this.containerId), this.live);
    await this.done.catch(() => undefined);
  }

  private async runAll(start: RunStart): Promise<ExecOutcome> {
    const { cmd } = this.req.stage;
    let first = 0;
    if (start.kind === 'reattach') {
      const outcome = await this.guard(start.commandIndex, () => this.follow(start.containerId, start.commandIndex));
      if (outcome.status !== 'succeeded') return outcome;
      first = start.commandIndex + 1;
    }
    for (let i = first; i < cmd.length; i++) {
      if (this.cancelled) return { status: 'cancelled' };
      const outcome = await this.guard(i, () => this.runOne(i));
      if (outcome.status !== 'succeeded') return outcome;
    }
    return { status: 'succeeded' };
  }

  /** An engine error fails the stage with its message, or is the expected fallout of a cancel. */
  private async guard(index: number, body: () => Promise<ExecOutcome>): Promise<ExecOutcome> {
    try {
      return await body();
    } catch (e) {
      if (this.cancelled) return { status: 'cancelled' };
      if (this.containerId) await stopAndRemove(this.docker.quick.getContainer(this.containerId), this.live);
      return { status: 'failed', failure: { kind: 'executor-error', message: `${this.which(index)}could not run in Docker: ${classifyDockerError(e).message}` } };
    }
  }

  /** Which command of a list failed, as data. */
  private site(index: number): { at?: FailureSite } {
    const n = this.req.stage.cmd.length;
    return n > 1 ? { at: { command: { index: index + 1, count: n } } } : {};
  }

  private which(index: number): string {
    const n = this.req.stage.cmd.length;
    return n > 1 ? `command ${index + 1} of ${n} ` : '';
  }

  private async runOne(index: number): Promise<ExecOutcome> {
    const { stage } = this.req;
    const options = containerOptions({
      stage,
      root: this.req.root,
      runId: this.req.runId,
      imageId: this.imageId,
      command: stage.cmd[index]!,
      commandIndex: index,
      callerEnv: this.req.env,
      callerUser: callerUser(),
      home: os.homedir(),
    });
    if (!options.ok) return { status: 'failed', failure: { kind: 'executor-error', message: `${this.which(index)}${options.error}` } };
    const container = await this.docker.quick.createContainer(options.value);
    this.track(container.id);
    if (this.cancelled) {
      await stopAndRemove(container, this.live);
      return { status: 'cancelled' };
    }
    // Attach before start, so not a byte of output is missed.
    const stream = (await this.docker.stream.getContainer(container.id).attach({ stream: true, stdout: true, stderr: true })) as NodeJS.ReadableStream;
    const drained = this.pipeOutput(stream);
    await container.start();
    return this.finish(container.id, index, drained);
  }

  /** Reattach: replay the container's output so far, follow it, and finish as if we had started it. */
  private async follow(containerId: string, index: number): Promise<ExecOutcome> {
    this.track(containerId);
    const stream = (await this.docker.stream.getContainer(containerId).logs({ follow: true, stdout: true, stderr: true })) as NodeJS.ReadableStream;
    return this.finish(containerId, index, this.pipeOutput(stream));
  }

  private async finish(containerId: string, index: number, drained: Promise<void>): Promise<ExecOutcome> {
    const exit = (await this.docker.stream.getContainer(containerId).wait()) as { StatusCode: number };
    await Promise.race([drained, new Promise((r) => setTimeout(r, DRAIN_MS).unref())]);
    if (this.cancelled) return { status: 'cancelled' };
    const container = this.docker.quick.getContainer(containerId);
    const info = await container.inspect();
    await removeContainer(container, this.live);
    if (this.cancelled) return { status: 'cancelled' };
    const at = this.site(index);
    if (info.State.OOMKilled) {
      const gb = this.req.stage.resources.mem_gb;
      return { status: 'failed', failure: { kind: 'out-of-memory', ...(gb !== undefined ? { memGb: gb } : {}), ...at } };
    }
    if (exit.StatusCode === 0) return { status: 'succeeded' };
    return { status: 'failed', failure: { kind: 'exit-code', code: exit.StatusCode, ...at } };
  }

  private track(containerId: string): void {
    this.containerId = containerId;
    this.live.add(containerId);
    this.req.onHandleId?.(containerId);
  }

  /** Demultiplexes Docker's stdout/stderr frames into whole lines; resolves when the stream ends. */
  private pipeOutput(stream: NodeJS.ReadableStream): Promise<void> {
    const sink = (name: 'stdout' | 'stderr') => {
      const decoder = new StringDecoder('utf8');
      const lines = new LineSplitter((l) => this.req.onLine(l, name));
      const writable = new Writable({
        write(chunk: Buffer, _enc, cb) {
          lines.push(decoder.write(chunk));
          cb();
        },
      });
      return { writable, flush: () => (lines.push(decoder.end()), lines.flush()) };
    };
    const out = sink('stdout');
    const errOut = sink('stderr');
    this.docker.stream.modem.demuxStream(stream, out.writable, errOut.writable);
    return new Promise((resolve) => {
      const end = () => {
        out.flush();
        errOut.flush();
        resolve();
      };
      stream.once('end', end);
      stream.once('close', end);
      stream.once('error', end);
    });
  }
}

/** SIGTERM, SIGKILL after the grace period, then remove; a container already gone is fine. */
export async function stopAndRemove(container: Dockerode.Container, live: LiveContainers): Promise<void> {
  try {
    await container.stop({ t: STOP_GRACE_S });
  } catch {
    // not running (304), gone (404), or the engine is away: removal below decides
  }
  await removeContainer(container, live);
}

async function removeContainer(container: Dockerode.Container, live: LiveContainers): Promise<void> {
  try {
    await container.remove({ force: true });
    live.delete(container.id);
  } catch (e) {
    if (isGone(e)) live.delete(container.id);
  }
}

/** The default container user: whoever runs the orchestrator, so outputs belong to them. */
export function callerUser(): string {
  return `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`;
}
