import type { Diagnostic } from '../model/diagnostic.js';
import type { EnvironmentResult, StageEnvironment } from '../model/environment.js';
import type { StageFailure } from '../model/failure.js';
import type { ExecutorKind, Stage } from '../model/stage.js';

/** What an executor needs to run one stage. */
export interface ExecRequest {
  stage: Stage;
  /** Absolute workspace root. */
  root: string;
  runId: string;
  /** Full environment for the command (caller's env + declared env + ORCHESTRATOR_*). */
  env: Record<string, string>;
  /** The stage's log for this execution, with its header already written. */
  logFile: string;
  /**
   * Receives output as it arrives, one complete line at a time. The engine appends these lines to
   * `logFile`, unless the executor `logsOutput` (writes the command's output to it directly).
   */
  onLine: (line: string, stream: 'stdout' | 'stderr') => void;
  /**
   * False when nothing shows output as it arrives (plain progress without `-v`): an executor that
   * `logsOutput` may then skip reading it back. Undefined means true.
   */
  followOutput?: boolean;
  /** Called whenever the handle's id changes (a list cmd starts a process per command), to update the marker. */
  onHandleId?: (id: string) => void;
  /**
   * Called by executors whose stages wait in a queue (Slurm) when the stage was queued, and again
   * once it is known when it began to run. A resubmission starts over with a new `queuedAt`.
   */
  onQueue?: (times: QueueTimes) => void;
}

/** A stage's wait in a queue: submitted at `queuedAt`, running from `startedAt` (ISO times). */
export interface QueueTimes {
  queuedAt: string;
  startedAt?: string;
}

export type ExecOutcome = { status: 'succeeded' } | { status: 'failed'; failure: StageFailure } | { status: 'cancelled' };

/** What a `tools:` probe needs: the stage (its environment) and one command, run where the stage's commands run. */
export interface ToolProbeRequest {
  stage: Stage;
  /** Absolute workspace root. */
  root: string;
  runId: string;
  /** The stage's environment as `describeEnvironment` gave it (the image ID the stage will run in). */
  environment: StageEnvironment;
  command: string;
  signal?: AbortSignal;
}

/** How a probe ended: its stdout, or how it failed. */
export type ToolProbeOutcome =
  | { ok: true; stdout: string }
  | { ok: false; exitCode?: number; signal?: string; output: string };

/** A started stage. Long-running and possibly remote: it can be waited on, cancelled, or reattached to. */
export interface ExecHandle {
  /** Executor-specific id recorded in the running marker: pid, container id, Slurm job id. */
  readonly id: string;
  wait(): Promise<ExecOutcome>;
  /** Stops the stage's whole process tree / container / job; `wait()` then resolves `cancelled`. */
  cancel(): Promise<void>;
}

/** Recorded in `.orchestrator/running/` while a stage runs, so a later process can find it. */
export interface RunningMarker {
  stage: string;
  runId: string;
  /** The orchestrator process that started it. */
  pid: number;
  executor: ExecutorKind;
  handleId: string;
  started: string;
  /** The stage's fingerprint key when it started: a later run reattaches only if its inputs are unchanged. */
  fingerprint?: string;
}

export interface Executor {
  readonly kind: ExecutorKind;
  /** Whether a later run may pick up an execution a dead run started (remote jobs) instead of rerunning it. */
  readonly reattachable: boolean;
  /** True when the command's output goes into `ExecRequest.logFile` directly; `onLine` is then for display only. */
  readonly logsOutput?: boolean;
  /**
   * The environment a command of this stage sees, for the fingerprint and the lock: "host" or an
   * image ID, the declared variables it gets, and the scope a tool probe is valid for. A problem
   * (an image that does not exist) is data, never text in place of an ID.
   */
  describeEnvironment(stage: Stage): Promise<EnvironmentResult>;
  /** Runs one `tools:` command in the stage's environment and returns its stdout (never throws). */
  probeTool(req: ToolProbeRequest): Promise<ToolProbeOutcome>;

  /** Problems to report before anything runs (daemon down, image missing...). */
  preflight(stages: readonly Stage[]): Promise<Diagnostic[]>;
  start(req: ExecRequest): Promise<ExecHandle>;
  /** Picks up a stage started by a process that has since died, if it is still running. */
  reattach(marker: RunningMarker, req: ExecRequest): Promise<ExecHandle | undefined>;
  /** Removes what a dead run left behind for this marker (processes, containers, jobs). */
  cleanup(marker: RunningMarker): Promise<void>;
  /**
   * Removes everything earlier runs in this workspace left behind, marker or not (a run can die
   * between starting a stage and recording it). Called while holding the workspace lock, before any
   * stage starts, so nothing it finds belongs to a live run. Handles in `keep` are spared: the run
   * will try to reattach to them (remote jobs and containers outlive the process that started them).
   */
  cleanupLeftovers(root: string, keep: ReadonlySet<string>): Promise<void>;
  /** Last resort before the process exits on a second Ctrl-C: synchronously kill everything started. */
  killAllNow(): void;
}
