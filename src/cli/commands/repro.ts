import { interruptedStages, predictPlan } from '../../engine/status.js';
import { loadRunTarget, type RunTarget } from '../../engine/run-target.js';
import { openWorkspace, type Workspace } from '../../engine/workspace.js';
import type { Executor } from '../../exec/executor.js';
import { createExecutors } from '../../exec/registry.js';
import type { ExecutorKind } from '../../model/stage.js';
import { machineCapacity } from '../machine.js';
import { renderPlan } from '../../ui/plan-text.js';
import { withExclusiveWorkspace } from '../exclusive-workspace.js';
import { runOnce } from '../run-once.js';
import { handleInterrupts } from '../interrupt.js';
import { EXIT, type Io } from '../io.js';
import { report } from '../project.js';

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
  const executors = createExecutors();
  const loaded = await loadRunTarget({
    root,
    targets,
    select: { single: flags.single, downstream: flags.downstream },
    executors,
    machine: machineCapacity(),
    resourceOverrides: flags.resources,
  });
  if (!loaded.ok) return report(loaded.error.diagnostics, loaded.error.files, io);
  const target = loaded.value;
  const { project, selected } = target;

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

  return withExclusiveWorkspace(project, io, { wait: flags.wait }, (ws) => reproInWorkspace(ws, target, executors, flags, io));
}

/** The run itself, holding the workspace, with Ctrl-C handling: first stops the stages, second exits at once. */
async function reproInWorkspace(ws: Workspace, target: RunTarget, executors: ReadonlyMap<ExecutorKind, Executor>, flags: ReproFlags, io: Io): Promise<number> {
  const interruption = handleInterrupts(executors.values());
  try {
    const { status } = await runOnce(
      {
        ws,
        target,
        executors,
        options: { force: flags.force, jobs: flags.jobs, keepGoing: flags.keepGoing, useRunCache: flags.runCache, signal: interruption.signal, resources: target.resources },
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
