import type { Executor } from '../exec/executor.js';
import type { SelectOptions } from '../graph/select.js';
import { err, ok, type Result } from '../model/result.js';
import type { ExecutorKind } from '../model/stage.js';
import { resolveCapacity, stageDemand } from '../schedule/capacity.js';
import type { ResourceLimits } from '../schedule/scheduler.js';
import { preflight } from './preflight.js';
import { loadProject, selectTargets, type Project, type ProjectProblem } from './project.js';

/** What a run acts on: the resolved project, the selected stages and the capacities they share. */
export interface RunTarget {
  project: Project;
  /** Selected stage names, topological order. */
  selected: string[];
  resources: ResourceLimits;
}

export interface RunTargetRequest {
  root: string;
  targets: readonly string[];
  select: SelectOptions;
  executors: ReadonlyMap<ExecutorKind, Executor>;
  /** This machine's cpus and memory (GiB). */
  machine: { cpus: number; mem_gb: number };
  /** `--resources` overrides. */
  resourceOverrides: Readonly<Record<string, number>>;
}

/**
 * Resolves the pipeline afresh, selects the targets and runs the pre-flight checks: the same steps
 * for `repro` and for every watch pass, so a pipeline that repro refuses never runs under watch.
 */
export async function loadRunTarget(req: RunTargetRequest): Promise<Result<RunTarget, ProjectProblem>> {
  const project = loadProject(req.root);
  if (!project.ok) return project;
  const selected = selectTargets(project.value, req.targets, req.select);
  if (!selected.ok) return selected;
  const { graph, pipeline } = project.value;
  const capacity = resolveCapacity(req.machine, pipeline.resources, req.resourceOverrides);
  const problems = await preflight(selected.value.map((n) => graph.stages.get(n)!), req.executors, capacity);
  if (problems.length > 0) return err({ diagnostics: problems, files: project.value.files, configFiles: project.value.configFiles });
  return ok({ project: project.value, selected: selected.value, resources: { capacity, demand: (n) => stageDemand(graph.stages.get(n)!) } });
}
