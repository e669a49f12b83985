import type { Diagnostic } from '../model/diagnostic.js';
import type { ExecutorKind, Stage } from '../model/stage.js';
import { DockerExecutor } from './docker/docker-executor.js';
import type { Executor } from './executor.js';
import { LocalExecutor } from './local-executor.js';
import { SlurmExecutor } from './slurm/slurm-executor.js';

/**
 * The executors this build provides. Constructing them is free: each loads its client library
 * (dockerode, execa), or calls its cluster's commands (sbatch, squeue) only on
 * first use.
 */
export function createExecutors(): Map<ExecutorKind, Executor> {
  return new Map<ExecutorKind, Executor>([
    ['local', new LocalExecutor()],
    ['docker', new DockerExecutor()],
    ['slurm', new SlurmExecutor()],
  ]);
}

/** A stage asking for an executor this build does not have is a configuration error, found before anything runs. */
export function missingExecutors(stages: readonly Stage[], executors: ReadonlyMap<ExecutorKind, Executor>): Diagnostic[] {
  return stages
    .filter((s) => !executors.has(s.executor))
    .map((s) => ({
      code: 'unknown-executor' as const,
      message: `stage "${s.name}" uses executor "${s.executor}", which this version of orchestrator does not provide yet`,
      span: s.span,
      hint: 'use "executor: local", "docker" or "slurm"',
    }));
}
