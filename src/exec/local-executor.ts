import { statSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import type { Diagnostic } from '../model/diagnostic.js';
import type { Stage } from '../model/stage.js';
import type { ExecHandle, ExecOutcome, ExecRequest, Executor, RunningMarker } from './executor.js';
import { LogFollower } from './local/log-follower.js';
import { chooseDialect } from './local/dialects.js';
import { Runner, type Job, type RunnerDialect } from './local/runner.js';
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
 * long-lived runner process (the native helper, or a shell where it was not built) that writes
 * their output straight into the stage's log.
 */
export class LocalExecutor implements Executor {
  readonly kind = 'local' as const;
  /** A local command dies with the orchestrator's runner: it is stopped and the stage rerun. */
  readonly reattachable = false;
  readonly logsOutput = true;
  private readonly runner: Runner | undefined;
  /** Why no runner is available (a bad ORCHESTRATOR_LOCAL_RUNNER), reported by preflight. */
  private readonly unavailable: string | undefined;

  /** `dialect` defaults to what ORCHESTRATOR_LOCAL_RUNNER asks for, else the native helper when built. */
  constructor(dialect: RunnerDialect | string = chooseDialect()) {
    if (typeof dialect === 'string') this.unavailable = dialect;
    else this.runner = new Runner(dialect);
  }

  /** Which runner starts the commands: `native`, `sh`, or undefined when none is available. */
  get runnerName(): 'native' | 'sh' | undefined {
    return this.runner?.dialect.name;
  }

  async environmentId(): Promise<string> {
    return 'host';
  }

  /**
   * Configuration errors, reported before anything runs: variable names the shell cannot export,
   * and NUL characters, which no command line or environment can hold (and which would end a field
   * of the runner's protocol early).
   */
  async preflight(stages: readonly Stage[]): Promise<Diagnostic[]> {
    if (this.unavailable !== undefined && stages.length > 0) {
      return [{ code: 'invalid-value', message: `cannot run local stages: ${this.unavailable}` }];
    }
    return stages.flatMap((s) => {
      const at = s.span ? { span: s.span } : {};
      const names = Object.keys(s.env)
        .filter((name) => !ENV_NAME.test(name))
        .map((name) => ({
          code: 'invalid-value' as const,
          message: `stage "${s.name}": "${name}" is not a valid environment variable name`,
          ...at,
          hint: 'use letters, digits and underscores, not starting with a digit',
        }));
      const nuls = [...s.cmd.map((c, i) => [`command ${i + 1}`, c] as const), ...Object.entries(s.env).map(([k, v]) => [`env ${k}`, v] as const)]
        .filter(([, text]) => text.includes('\0'))
        .map(([what]) => ({ code: 'invalid-value' as const, message: `stage "${s.name}": ${what} contains a NUL character`, ...at }));
      return [...names, ...nuls];
    });
  }

  async start(req: ExecRequest): Promise<ExecHandle> {
    if (!this.runner) throw new Error(`cannot run local stages: ${this.unavailable}`);
    return new LocalRun(req, this.runner);
  }

  /** `keep` does not apply: a local command cannot be reattached, so every orphan goes. */
  async cleanupLeftovers(root: string): Promise<void> {
    const groups = processGroupsWithEnv({ ...OWN_TAG, ORCHESTRATOR_ROOT: root }).filter((g) => g !== this.runner?.pgid);
    await Promise.all(groups.map((g) => killProcessGroup(g, KILL_GRACE_MS)));
  }

  killAllNow(): void {
    this.runner?.killAll();
  }

  /** A local child of a dead process is not waited on: its runner died with that process. */
  async reattach(): Promise<undefined> {
    return undefined;
  }

  /** A dead run's processes of this stage, found by their environment tags (local markers hold no pid). */
  async cleanup(marker: RunningMarker): Promise<void> {
    const groups = processGroupsWithEnv({ ...OWN_TAG, ORCHESTRATOR_RUN_ID: marker.runId, ORCHESTRATOR_STAGE: marker.stage });
    await Promise.all(groups.filter((g) => g !== this.runner?.pgid).map((g) => killProcessGroup(g, KILL_GRACE_MS)));
  }

}

/** One stage: its commands in order, as runner jobs, output followed from the log file. */
class LocalRun implements ExecHandle {
  /** Local commands are found by their environment tags; there is no handle worth recording. */
  readonly id = '';
  private jobDone = true;
  private cancelled = false;
  private stopping: Promise<void> | undefined;
  /** Reads the command's output back from the log, for whoever shows it as it comes. */
  private readonly follower: LogFollower | undefined;
  /** Without a follower: where the commands' output starts in the log, to show the end of it on failure. */
  private readonly outputStart: number = 0;
  private readonly done: Promise<ExecOutcome>;

  constructor(
    private readonly req: ExecRequest,
    private readonly runner: Runner,
  ) {
    if (req.followOutput === false) this.outputStart = logSize(req.logFile);
    else this.follower = new LogFollower(req.logFile, (line) => req.onLine(line, 'stdout'));
    this.done = this.runAll().then(
      (outcome) => {
        this.follower?.close();
        if (outcome.status === 'failed' && !this.follower) this.deliverTail();
        return outcome;
      },
      (e: unknown) => {
        this.follower?.close();
        throw e;
      },
    );
  }

  wait(): Promise<ExecOutcome> {
    return this.done;
  }

  /** Nobody followed the output: a failure still shows its last lines (at most the last 64 KiB of them). */
  private deliverTail(): void {
    const from = Math.max(this.outputStart, logSize(this.req.logFile) - TAIL_BYTES);
    new LogFollower(this.req.logFile, (line) => this.req.onLine(line, 'stdout'), { from, poll: false }).close();
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
      this.follower?.flushLine();
      if (this.cancelled) return { status: 'cancelled' };
      if (status === 0) continue;
      const which = stage.cmd.length > 1 ? `command ${i + 1} of ${stage.cmd.length} ` : '';
      if (status === undefined) {
        const detail = this.runner.recentErrors();
        return { status: 'failed', message: `${which}was lost: the runner that started it exited${detail ? ` (${detail})` : ''}` };
      }
      return failure(which, status);
    }
    return { status: 'succeeded' };
  }

  private runOne(command: string): Promise<number | undefined> {
    this.jobDone = false;
    return new Promise((resolve) => {
      this.runner.run(job(this.req, command), (status) => {
        this.jobDone = true;
        resolve(status);
      });
    });
  }
}

const TAIL_BYTES = 64 * 1024;

function logSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** Shell statuses above 128 are how a shell reports a command killed by signal (status - 128). */
function failure(which: string, status: number): ExecOutcome {
  const signalName = status > 128 && status < 128 + 65 ? signalNames.get(status - 128) : undefined;
  if (signalName) return { status: 'failed', exitCode: status, signal: signalName, message: `${which}was killed by ${signalName} (exit status ${status})` };
  return { status: 'failed', exitCode: status, message: `${which}exited with code ${status}` };
}

const signalNames = new Map<number, string>(Object.entries(constants.signals).map(([name, n]) => [n as number, name]));

/** One command of a stage, with the stage's wdir and environment plus the tags cleanup and cancel match. */
function job(req: ExecRequest, command: string): Job {
  const env: Record<string, string> = {
    ...req.stage.env,
    ...OWN_TAG,
    ORCHESTRATOR_STAGE: req.stage.name,
    ORCHESTRATOR_ROOT: req.root,
    ORCHESTRATOR_RUN_ID: req.runId,
  };
  return { command, dir: path.join(req.root, req.stage.wdir), log: req.logFile, env };
}
