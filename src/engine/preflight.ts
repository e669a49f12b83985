import type { Executor } from '../exec/executor.js';
import { missingExecutors } from '../exec/registry.js';
import { stagesRunBy } from '../exec/placement.js';
import type { Diagnostic } from '../model/diagnostic.js';
import type { ExecutorKind, Stage } from '../model/stage.js';
import { checkDemands } from '../schedule/capacity.js';

/**
 * Problems found without asking any executor: a stage naming an executor this build lacks, or
 * asking for more of a resource than the capacities hold (or for a token nobody declared).
 */
export function staticChecks(stages: readonly Stage[], executors: ReadonlyMap<ExecutorKind, Executor>, capacity: Readonly<Record<string, number>>): Diagnostic[] {
  const missing = missingExecutors(stages, executors);
  return missing.length > 0 ? missing : checkDemands(stages, capacity);
}

/**
 * Everything checked before a run starts (repro, each watch pass, a sweep): the static checks, then
 * each executor's own checks of the stages it would run (env names, images, Slurm settings).
 * The first kind of problem found is returned; nothing has run or been written.
 */
export async function preflight(stages: readonly Stage[], executors: ReadonlyMap<ExecutorKind, Executor>, capacity: Readonly<Record<string, number>>): Promise<Diagnostic[]> {
  const problems = staticChecks(stages, executors, capacity);
  if (problems.length > 0) return problems;
  for (const executor of executors.values()) {
    const own = stagesRunBy(executor.kind, stages);
    if (own.length === 0) continue;
    const found = await executor.preflight(own);
    if (found.length > 0) return found;
  }
  return [];
}
