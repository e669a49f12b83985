import type { Executor } from '../exec/executor.js';
import type { RunningMarker } from '../exec/executor.js';
import { isProcessAlive } from '../exec/process-group.js';
import type { StageGraph } from '../graph/stage-graph.js';
import type { ExecutorKind } from '../model/stage.js';
import type { StagePlan } from '../plan/change-reason.js';
import { planPipeline } from '../plan/plan-pipeline.js';
import type { StageObservation } from '../plan/plan-stage.js';
import { mapLimit } from '../util/concurrency.js';
import { RunningMarkers } from '../workspace/running-markers.js';
import { observeStage } from './observe.js';
import { ToolVersions } from './tool-versions.js';
import type { Workspace } from './workspace.js';

export interface PlanRequest {
  ws: Workspace;
  graph: StageGraph;
  selected: readonly string[];
  executors: ReadonlyMap<ExecutorKind, Executor>;
  interrupted: { has(stage: string): boolean };
  force: boolean;
  useRunCache: boolean;
}

/** The predicted plan for a selection: what `status` and `repro --dry` print. Reads, never writes. */
export async function predictPlan(req: PlanRequest): Promise<StagePlan[]> {
  const observations = new Map<string, StageObservation>();
  const tools = new ToolVersions(req.ws.root, 'status');
  await mapLimit(req.selected, 8, async (name) => {
    const stage = req.graph.stages.get(name)!;
    const environment = await tools.observe(req.executors.get(stage.executor)!, stage);
    const observed = await observeStage(stage, {
      ws: req.ws,
      environment,
      interrupted: req.interrupted.has(name),
      useRunCache: req.useRunCache,
    });
    observations.set(name, observed.observation);
  });
  return planPipeline(req.graph, req.selected, observations, { force: req.force, useRunCache: req.useRunCache });
}

/**
 * Stages whose running marker belongs to a process that no longer exists, with those markers.
 * Holding the workspace lock (`exclusive`), every other process's marker is from a dead run: no pid
 * check, which a reused pid could fool, and the journals are compacted first. Without it (status),
 * a marker of a live process is a stage running right now.
 */
export async function interruptedStages(ws: Workspace, opts: { exclusive: boolean }): Promise<Map<string, RunningMarker[]>> {
  const journal = new RunningMarkers(ws.layout.running);
  if (opts.exclusive) await journal.compact();
  const dead = (await journal.list()).filter((m) => m.pid !== process.pid && (opts.exclusive || !isProcessAlive(m.pid)));
  const byStage = new Map<string, RunningMarker[]>();
  for (const m of dead) byStage.set(m.stage, [...(byStage.get(m.stage) ?? []), m]);
  return byStage;
}
