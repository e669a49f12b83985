import type { Diagnostic } from '../model/diagnostic.js';
import type { ExecutorKind, Stage } from '../model/stage.js';
import type { Executor } from './executor.js';
import { LocalExecutor } from './local-executor.js';

/** The executors this build provides. Docker and Slurm arrive as their own implementations of `Executor`. */
export function createExecutors(): Map<ExecutorKind, Executor> {
  return new Map<ExecutorKind, Executor>([['local', new LocalExecutor()]]);
}

/** A stage asking for an executor this build does not have is a configuration error, found before anything runs. */
export function missingExecutors(stages: readonly Stage[], executors: ReadonlyMap<ExecutorKind, Executor>): Diagnostic[] {
  return stages
    .filter((s) => !executors.has(s.executor))
    .map((s) => ({
      code: 'unknown-executor' as const,
      message: `stage "${s.name}" uses executor "${s.executor}", which this version of orchestrator does not provide yet`,
      span: s.span,
      hint: 'use "executor: local" for now',
    }));
}
