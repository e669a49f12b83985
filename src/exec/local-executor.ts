import { constants } from 'node:os';
import path from 'node:path';
import type { Diagnostic } from '../model/diagnostic.js';
import type { Stage } from '../model/stage.js';
import type { ExecHandle, ExecOutcome, ExecRequest, Executor, RunningMarker } from './executor.js';
import { LogFollower } from './local/log-follower.js';
import { shellQuote, ShellRunner } from './local/shell-runner.js';
import { killProcessGroup, processGroupsWithEnv, terminateTagged } from './process-group.js';

/**
 * Set in the environment of every command this executor starts. Cleanup matches it, so processes of
 * other executors that carry the same ORCHESTRATOR_* variables on this machine (a Slurm job on a
 * single-node cluster, a container's processes) are never mistaken for local orphans.
 */
const OWN_TAG = { ORCHESTRATOR_EXECUTOR: 'local' } as const;

/** Grace period between SIGTERM and SIGKILL when cancelling. */
const KILL_GRACE_MS = 1500;

/** Names `export` accepts. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Runs a stage's commands on this machine, each as `sh` would run `sh -c CMD`, through one
 * long-lived shell (ShellRunner) that writes their output straight into the stage's log.
 */
export class LocalExecutor implements Executor {
  readonly kind = 'local' as const;
  /** A local command dies with the orchestrator's runner shell: it is stopped and the stage rerun. */
  readonly reattachable = false;
  readonly logsOutput = true;
  private readonly runner = new ShellRunner();

  async environmentId(): Promise<string> {
    return 'host';
  }

  /** Variable names the shell cannot export are a configuration error, reported before anything runs. */
  async preflight(stages: readonly Stage[]): Promise<Diagnostic[]> {
    return stages.flatMap((s) =>
      Object.keys(s.env)
        .filter((name) => !ENV_NAME.test(name))
        .map((name) => ({
          code: 'invalid-value' as const,
          message: `stage "${s.name}": "${name}" is not a valid environment variable name`,
          ...(s.span ? { span: s.span } : {}),
          hint: 'use letters, digits and underscores, not starting with a digit',
        })),
    );
  }

  async start(req: ExecRequest): Promise<ExecHandle> {
    return new LocalRun(req, this.runner);
  }

  /** `keep` does not apply: a local command cannot be reattached, so every orphan goes. */
  async cleanupLeftovers(root: string): Promise<void> {
    const groups = processGroupsWithEnv({ ...OWN_TAG, ORCHESTRATOR_ROOT: root }).filter((g) => g !== this.runner.pgid);
    await Promise.all(groups.map((g) => killProcessGroup(g, KILL_GRACE_MS)));
  }

  killAllNow(): void {
    this.runner.killAll();
  }

  /** A local child of a dead process is not waited on: its runner shell died with that process. */
  async reattach(): Promise<undefined> {
    return undefined;
  }

  /** A dead run's processes of this stage, found by their environment tags (local markers hold no pid). */
  async cleanup(marker: RunningMarker): Promise<void> {
    const groups = processGroupsWithEnv({ ...OWN_TAG, ORCHESTRATOR_RUN_ID: marker.runId, ORCHESTRATOR_STAGE: marker.stage });
    await Promise.all(groups.filter((g) => g !== this.runner.pgid).map((g) => killProcessGroup(g, KILL_GRACE_MS)));
  }

}

/** One stage: its commands in order, as runner jobs, output followed from the log file. */
class LocalRun implements ExecHandle {
  /** Local commands are found by their environment tags; there is no handle worth recording. */
  readonly id = '';
  private jobDone = true;
  private cancelled = false;
  private stopping: Promise<void> | undefined;
  private readonly follower: LogFollower;
  private readonly done: Promise<ExecOutcome>;

  constructor(
    private readonly req: ExecRequest,
    private readonly runner: ShellRunner,
  ) {
    this.follower = new LogFollower(req.logFile, (line) => req.onLine(line, 'stdout'));
    this.done = this.runAll().finally(() => this.follower.close());
  }

  wait(): Promise<ExecOutcome> {
    return this.done;
  }

  async cancel(): Promise<void> {
    this.cancelled = true;
    this.stop();
    await this.done.catch(() => undefined);
  }

  /**
   * Stops the current command: every process carrying this stage's tags (the `sh -c` the job
   * became, whatever it started that kept its environment) and their descendants. A job that has not
   * reached its `exec` yet is caught by a later sweep: stopping goes on until the job reports.
   */
  private stop(): void {
    if (this.jobDone || this.stopping) return;
    // The root too: sweep variants share a run id and their stages share names.
    const tag = { ...OWN_TAG, ORCHESTRATOR_ROOT: this.req.root, ORCHESTRATOR_RUN_ID: this.req.runId, ORCHESTRATOR_STAGE: this.req.stage.name };
    this.stopping = terminateTagged(tag, KILL_GRACE_MS, () => this.jobDone).finally(() => (this.stopping = undefined));
  }

  private async runAll(): Promise<ExecOutcome> {
    const { stage } = this.req;
    for (let i = 0; i < stage.cmd.length; i++) {
      if (this.cancelled) return { status: 'cancelled' };
      const status = await this.runOne(stage.cmd[i]!);
      this.follower.flushLine();
      if (this.cancelled) return { status: 'cancelled' };
      if (status === 0) continue;
      const which = stage.cmd.length > 1 ? `command ${i + 1} of ${stage.cmd.length} ` : '';
      if (status === undefined) {
        const detail = this.runner.recentErrors();
        return { status: 'failed', message: `${which}was lost: the shell running it exited${detail ? ` (${detail})` : ''}` };
      }
      return failure(which, status);
    }
    return { status: 'succeeded' };
  }

  private runOne(command: string): Promise<number | undefined> {
    this.jobDone = false;
    return new Promise((resolve) => {
      this.runner.run(jobScript(this.req, command), (status) => {
        this.jobDone = true;
        resolve(status);
      });
    });
  }
}

/** Shell statuses above 128 are how a shell reports a command killed by signal (status - 128). */
function failure(which: string, status: number): ExecOutcome {
  const signalName = status > 128 && status < 128 + 65 ? signalNames.get(status - 128) : undefined;
  if (signalName) return { status: 'failed', exitCode: status, signal: signalName, message: `${which}was killed by ${signalName} (exit status ${status})` };
  return { status: 'failed', exitCode: status, message: `${which}exited with code ${status}` };
}

const signalNames = new Map<number, string>(Object.entries(constants.signals).map(([name, n]) => [n as number, name]));

/**
 * The runner job for one command: output appended to the log, stdin empty, the stage's wdir and
 * environment, then `exec sh -c CMD`, so the command sees exactly what `sh -c` gives it (its own
 * `$$`, no variables of the runner) and its syntax errors land in the log with status 2.
 */
function jobScript(req: ExecRequest, command: string): string {
  const env: Record<string, string> = {
    ...req.stage.env,
    ...OWN_TAG,
    ORCHESTRATOR_STAGE: req.stage.name,
    ORCHESTRATOR_ROOT: req.root,
    ORCHESTRATOR_RUN_ID: req.runId,
  };
  const exports = Object.entries(env).map(([k, v]) => `${k}=${shellQuote(v)}`);
  return [
    `exec </dev/null >>${shellQuote(req.logFile)} 2>&1`,
    `cd ${shellQuote(path.join(req.root, req.stage.wdir))} || exit`,
    `export ${exports.join(' ')}`,
    `exec sh -c ${shellQuote(command)}`,
  ].join('\n');
}
