import type { EnvironmentProblem } from './environment.js';

/** Where inside a stage's execution a failure happened: which command of a list, which Slurm job. */
export interface FailureSite {
  /** 1-based command number and the number of commands, when the stage has several. */
  command?: { index: number; count: number };
  /** A step of the job script around the commands: `slurm.setup`, or entering the stage's directory. */
  step?: 'setup' | 'cd';
  /** The Slurm job that ran it, with its final state and node when Slurm still knew them. */
  job?: { id: string; state?: string; node?: string };
  /** Resubmissions after NODE_FAIL/PREEMPTED before this failure. */
  retries?: number;
}

/**
 * Why a stage did not succeed. A closed union carried in events and run records; only `src/ui`
 * turns it into words (`describeFailure`), with an exhaustive switch.
 */
export type StageFailure =
  | { kind: 'exit-code'; code: number; at?: FailureSite }
  | { kind: 'signal'; signal: string; status?: number; at?: FailureSite }
  /** Killed for memory: `memGb` is the stage's `resources.mem_gb` (undefined: no limit was set). */
  | { kind: 'out-of-memory'; memGb?: number; at?: FailureSite }
  /** Killed at a time limit (Slurm's `time`), as the scheduler reported it. */
  | { kind: 'time-limit'; limit?: string; at?: FailureSite }
  /** Declared outputs the command did not create; `escaping`: they resolve outside the workspace. */
  | { kind: 'missing-output'; paths: string[]; escaping?: boolean }
  | { kind: 'missing-dependency'; paths: string[] }
  | { kind: 'cancelled' }
  | { kind: 'upstream-failed'; upstream: string }
  | { kind: 'upstream-cancelled'; upstream: string }
  /**
   * The executor could not run the stage or lost track of it (engine error, sbatch refused, a job
   * that ended in a state of the scheduler's own, a status file that never came). `message` is the
   * executor's or the outside system's own text; `jobState` a Slurm state such as NODE_FAIL.
   */
  | { kind: 'executor-error'; message?: string; jobState?: string; reason?: string; at?: FailureSite }
  /** The environment the stage needs could not be described: image missing, a `tools:` probe failed. */
  | { kind: 'environment-unavailable'; problem: EnvironmentProblem }
  /** Writing or reading the workspace or cache failed (disk full, a symlink out of the workspace). */
  | { kind: 'workspace-error'; message: string }
  /** Watch mode: the same inputs failed before, so the stage is not run again until one changes. */
  | { kind: 'failed-before' };

export type StageFailureKind = StageFailure['kind'];
