import type { Executor, RunningMarker } from '../exec/executor.js';
import type { ExecutorKind } from '../model/stage.js';

/**
 * After a crash: stops what dead runs left behind, except the executions of stages this run is about
 * to run again that their executor can adopt (local process groups, containers, Slurm jobs alike).
 * Those are returned, one per stage: the stage adopts it when its inputs are unchanged (the marker's
 * fingerprint) and stops it otherwise. Call holding the workspace lock, before any stage starts.
 */
export async function recoverInterrupted(
  root: string,
  interrupted: ReadonlyMap<string, readonly RunningMarker[]>,
  selected: readonly string[],
  executors: ReadonlyMap<ExecutorKind, Executor>,
): Promise<Map<string, RunningMarker>> {
  const inScope = new Set(selected);
  const orphans = [...interrupted.values()].flat();
  const adoptable = new Map(orphans.filter((m) => inScope.has(m.stage) && executors.get(m.executor)?.reattachable).map((m) => [m.stage, m]));
  // Every marker of an adoptable stage is spared: an adopted execution carries its starter's tags.
  for (const m of orphans) if (!adoptable.has(m.stage)) await executors.get(m.executor)?.cleanup(m);
  const keep = new Set([...adoptable.values()].map((m) => m.handleId));
  for (const executor of executors.values()) await executor.cleanupLeftovers(root, keep);
  return adoptable;
}
