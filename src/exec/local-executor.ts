import type { ResultPromise } from 'execa';
import path from 'node:path';
import type { Stage } from '../model/stage.js';
import type { ExecHandle, ExecOutcome, ExecRequest, Executor, RunningMarker } from './executor.js';
import { LineSplitter } from './line-splitter.js';
import { isProcessAlive, killProcessGroup, processGroupsWithEnv, processStartTime } from './process-group.js';

/**
 * Set in the environment of every command this executor starts. Cleanup matches it, so processes of
 * other executors that carry the same ORCHESTRATOR_* variables on this machine (a Slurm job on a
 * single-node cluster, a container's processes) are never mistaken for local orphans.
 */
const OWN_TAG = { ORCHESTRATOR_EXECUTOR: 'local' } as const;

/** Grace period between SIGTERM and SIGKILL when cancelling. */
const KILL_GRACE_MS = 1500;

/** Runs a stage's commands on this machine through `sh -c`, each in its own process group. */
export class LocalExecutor implements Executor {
  readonly kind = 'local' as const;
  /** A child of a dead process has lost its pipes: it is killed and the stage rerun. */
  readonly reattachable = false;
  /** Process groups of commands currently running, for the synchronous emergency kill. */
  private readonly groups = new Set<number>();

  async environmentId(): Promise<string> {
    return 'host';
  }

  async preflight(): Promise<[]> {
    return [];
  }

  async start(req: ExecRequest): Promise<ExecHandle> {
    // Loaded on first use: execa costs ~80 ms of start-up that status/dag never need.
    const { execa } = await import('execa');
    return new LocalRun(req, execa, this.groups);
  }

  /** `keep` does not apply: a local command cannot be reattached, so every orphan goes. */
  async cleanupLeftovers(root: string): Promise<void> {
    const groups = processGroupsWithEnv({ ...OWN_TAG, ORCHESTRATOR_ROOT: root });
    await Promise.all(groups.map((g) => killProcessGroup(g, KILL_GRACE_MS)));
  }

  killAllNow(): void {
    for (const pgid of this.groups) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  /** A local child of a dead orchestrator cannot be waited on (its pipes died with the parent). */
  async reattach(): Promise<undefined> {
    return undefined;
  }

  async cleanup(marker: RunningMarker): Promise<void> {
    const groups = new Set(processGroupsWithEnv({ ...OWN_TAG, ORCHESTRATOR_RUN_ID: marker.runId, ORCHESTRATOR_STAGE: marker.stage }));
    const [pidText, startTime] = marker.handleId.split(':');
    const pgid = Number(pidText);
    // The recorded group, unless its leader is alive but is not the process we started (pid reused).
    if (Number.isInteger(pgid) && pgid > 0 && isProcessAlive(-pgid)) {
      const leaderStart = processStartTime(pgid);
      if (leaderStart === undefined || leaderStart === startTime) groups.add(pgid);
    }
    await Promise.all([...groups].map((g) => killProcessGroup(g, KILL_GRACE_MS)));
  }
}

class LocalRun implements ExecHandle {
  private child: ResultPromise | undefined;
  private cancelled = false;
  private readonly done: Promise<ExecOutcome>;

  constructor(
    private readonly req: ExecRequest,
    private readonly execa: typeof import('execa').execa,
    private readonly groups: Set<number>,
  ) {
    this.done = this.runAll();
  }

  /** `pid:starttime` of the current command's process group leader. */
  get id(): string {
    const pid = this.child?.pid;
    return pid ? `${pid}:${processStartTime(pid) ?? ''}` : '';
  }

  wait(): Promise<ExecOutcome> {
    return this.done;
  }

  async cancel(): Promise<void> {
    this.cancelled = true;
    const pid = this.child?.pid;
    if (pid) await killProcessGroup(pid, KILL_GRACE_MS);
    await this.done.catch(() => undefined);
  }

  private async runAll(): Promise<ExecOutcome> {
    const { stage } = this.req;
    for (let i = 0; i < stage.cmd.length; i++) {
      if (this.cancelled) return { status: 'cancelled' };
      const outcome = await this.runOne(stage, stage.cmd[i]!, i);
      if (outcome.status !== 'succeeded') return outcome;
    }
    return { status: 'succeeded' };
  }

  private async runOne(stage: Stage, command: string, index: number): Promise<ExecOutcome> {
    const out = new LineSplitter((l) => this.req.onLine(l, 'stdout'));
    const errOut = new LineSplitter((l) => this.req.onLine(l, 'stderr'));
    const child = this.execa('sh', ['-c', command], {
      cwd: path.join(this.req.root, stage.wdir),
      env: { ...this.req.env, ...OWN_TAG },
      extendEnv: false,
      // Own process group: cancelling kills everything the command started, not just `sh`.
      detached: true,
      stdin: 'ignore',
      buffer: false,
      reject: false,
      encoding: 'utf8',
    });
    this.child = child;
    if (child.pid) this.groups.add(child.pid);
    this.req.onHandleId?.(this.id);
    child.stdout?.setEncoding('utf8').on('data', (c: string) => out.push(c));
    child.stderr?.setEncoding('utf8').on('data', (c: string) => errOut.push(c));
    const result = await child;
    if (child.pid) this.groups.delete(child.pid);
    out.flush();
    errOut.flush();
    if (this.cancelled) return { status: 'cancelled' };
    if (result.exitCode === 0) return { status: 'succeeded' };
    const which = stage.cmd.length > 1 ? `command ${index + 1} of ${stage.cmd.length} ` : '';
    if (result.failed && result.exitCode === undefined && !result.signal) {
      return { status: 'failed', message: `${which}could not start: ${result.shortMessage ?? 'unknown error'}` };
    }
    if (result.signal) {
      return { status: 'failed', signal: result.signal, message: `${which}was killed by ${result.signal}` };
    }
    return { status: 'failed', exitCode: result.exitCode, message: `${which}exited with code ${result.exitCode}` };
  }
}
