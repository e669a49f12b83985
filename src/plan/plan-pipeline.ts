import type { StageGraph } from '../graph/stage-graph.js';
import type { StagePlan } from './change-reason.js';
import { planStage, type ObservedHash, type PlanOptions, type StageObservation } from './plan-stage.js';

/**
 * Predicts the plan of a whole selection without running anything (`status`, `repro --dry`).
 * A stage downstream of one that will run cannot know its new dep hashes, so it is predicted to run
 * with an `upstream-changed` reason; one downstream of a restore sees the outputs the restore will
 * bring back. During `repro` each stage is planned again, from fresh hashes, when it becomes ready.
 */
export function planPipeline(
  graph: StageGraph,
  selected: readonly string[],
  observations: ReadonlyMap<string, StageObservation>,
  opts: PlanOptions,
): StagePlan[] {
  const plans = new Map<string, StagePlan>();
  const pending = new Map<string, Map<string, ObservedHash>>();
  for (const name of selected) {
    const base = observations.get(name)!;
    const upstreamChanged: string[] = [];
    const deps = new Map(base.deps);
    for (const edge of graph.upstream.get(name) ?? []) {
      const up = plans.get(edge.from);
      if (!up || up.action === 'skip') continue;
      if (up.action === 'run' || up.restoreFrom === 'run-cache') {
        if (!upstreamChanged.includes(edge.from)) upstreamChanged.push(edge.from);
        continue;
      }
      const restored = pending.get(edge.from)?.get(edge.depPath);
      if (restored) deps.set(edge.depPath, restored);
    }
    const plan = planStage({ ...base, deps, upstreamChanged }, opts);
    plans.set(name, plan);
    if (plan.action === 'restore' && plan.restoreFrom === 'lock') {
      pending.set(name, new Map(base.lock!.outs.map((o) => [o.path, o])));
    }
  }
  return selected.map((name) => plans.get(name)!);
}
