import type { Pipeline } from '../model/stage.js';

/** What every doctor check may look at. */
export interface DoctorContext {
  root: string;
  /** Undefined when pipeline.yaml is missing or invalid (the loader's diagnostics are shown instead). */
  pipeline: Pipeline | undefined;
  env: NodeJS.ProcessEnv;
  /** `doctor --slurm`: submit a probe job to check the workspace is visible from the nodes. */
  slurmProbe?: boolean;
}

export type CheckStatus = 'ok' | 'fail' | 'warn' | 'skip';

export interface CheckResult {
  /** Short name shown in the table, e.g. "Docker engine". */
  name: string;
  status: CheckStatus;
  /** What was found: a version, a path, a size. */
  detail: string;
  /** What to do about a fail/warn. */
  hint?: string;
}

/** One group of checks (Docker, FINN, machine); returns one or more rows. Must not throw. */
export type DoctorCheck = (ctx: DoctorContext) => Promise<CheckResult[]>;
