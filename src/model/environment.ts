/**
 * The environment a stage's commands see, as its executor describes it: what goes into the
 * fingerprint and `pipeline.lock` besides the stage's own inputs.
 */
export interface StageEnvironment {
  /** "host", or the container image's ID (`sha256:...`). Recorded in the lock as `environment`. */
  id: string;
  /** Declared variables the command sees: the stage's `env`, and `container.env` where a container gets it. */
  env: Record<string, string>;
  /**
   * Everything else the executor passes in that decides which tools a command finds (mounts,
   * `slurm.setup`, user, wdir), fingerprinted or not. Stages with equal `id` and `scope` see the
   * same tools, so a `tools:` probe runs once for all of them.
   */
  scope: string;
}

/** One `tools:` entry as observed: the first line of its output (for people) and a hash of all of it. */
export interface ToolVersion {
  version: string;
  hash: string;
}

/** Why a stage's environment could not be described. Only `src/ui` turns it into words. */
export type EnvironmentProblem =
  | { kind: 'no-image' }
  | { kind: 'image-missing'; image: string }
  | { kind: 'engine-unreachable'; message: string }
  | { kind: 'engine-error'; image?: string; message: string }
  /** A `tools:` command failed: its exit code (or signal) and the first lines of its output. */
  | { kind: 'tool-failed'; tool: string; command: string; exitCode?: number; signal?: string; output: string };

export type EnvironmentResult = { ok: true; value: StageEnvironment } | { ok: false; problem: EnvironmentProblem };

/** The environment as planning sees it: the executor's description plus the versions of the stage's `tools:`. */
export interface ObservedEnvironment {
  id: string;
  env: Record<string, string>;
  /** Tool name -> version; empty when the stage declares no `tools:`. */
  tools: Record<string, ToolVersion>;
}

export type EnvironmentObservation = { ok: true; value: ObservedEnvironment } | { ok: false; problem: EnvironmentProblem };
