import { interruptedStages, predictPlan } from '../../engine/status.js';
import { openWorkspace, type Workspace } from '../../engine/workspace.js';
import type { Executor } from '../../exec/executor.js';
import type { ExecutorKind } from '../../model/stage.js';
import { checkDemands, resolveCapacity, stageDemand } from '../../schedule/capacity.js';
import type { ResourceLimits } from '../../schedule/scheduler.js';
import { machineCapacity } from '../machine.js';
import { renderPlan } from '../../ui/plan-text.js';
import { withExclusiveWorkspace } from '../exclusive-workspace.js';
import { runOnce } from '../run-once.js';
import { handleInterrupts } from '../interrupt.js';
import { EXIT, type Io } from '../io.js';
import { loadSelection, report, type Project } from '../project.js';

export interface ReproFlags {
  force: boolean;
  single: boolean;
  downstream: boolean;
  dry: boolean;
  jobs: number;
  keepGoing: boolean;
  runCache: boolean;
  wait: boolean;
  verbose: boolean;
  /** `--resources` overrides, already parsed. */
  resources: Record<string, number>;
}

export async function reproCommand(root: string, targets: string[], flags: ReproFlags, io: Io): Promise<number> {
  const selection = loadSelection(root, targets, { single: flags.single, downstream: flags.downstream }, io);
  if (typeof selection === 'number') return selection;
  const { project, selected, executors } = selection;
  const stages = selected.map((n) => project.graph.stages.get(n)!);
  const capacity = resolveCapacity(machineCapacity(), project.pipeline.resources, flags.resources);
  const overCapacity = checkDemands(stages, capacity);
  if (overCapacity.length > 0) return report(overCapacity, project.files, io);
  for (const executor of executors.values()) {
    const problems = await executor.preflight(stages.filter((s) => s.executor === executor.kind));
    if (problems.length > 0) return report(problems, project.files, io);
  }

  if (flags.dry) {
    const opened = await openWorkspace(root);
    if (!opened.ok) return report(opened.error, project.files, io);
    const ws = opened.value;
    try {
      const interrupted = await interruptedStages(ws, { exclusive: false });
      const plans = await predictPlan({ ws, graph: project.graph, selected, executors, interrupted, force: flags.force, useRunCache: flags.runCache });
      io.out(`${renderPlan(plans, 'dry')}\n`);
      return EXIT.ok;
    } finally {
      // --dry changes nothing, not even the stat cache.
      await ws.hasher.close();
    }
  }

  return withExclusiveWorkspace(project, io, { wait: flags.wait }, (ws) =>
    reproInWorkspace(ws, project, selected, executors, { capacity, demand: (n) => stageDemand(project.graph.stages.get(n)!) }, flags, io),
  );
}

/** The run itself, holding the workspace, with Ctrl-C handling: first stops the stages, second exits at once. */
async function reproInWorkspace(
  ws: Workspace,
  project: Project,
  selected: string[],
  executors: ReadonlyMap<ExecutorKind, Executor>,
  resources: ResourceLimits,
  flags: ReproFlags,
  io: Io,
): Promise<number> {
  const interruption = handleInterrupts(executors.values());
  try {
    const { status } = await runOnce(
      {
        ws,
        project,
        selected,
        executors,
        options: { force: flags.force, jobs: flags.jobs, keepGoing: flags.keepGoing, useRunCache: flags.runCache, signal: interruption.signal, resources },
        verbose: flags.verbose,
        io,
      },
      interruption.report,
    );
    return status === 'interrupted' ? EXIT.interrupted : status === 'failed' ? EXIT.failed : EXIT.ok;
  } finally {
    interruption.dispose();
  }
}
