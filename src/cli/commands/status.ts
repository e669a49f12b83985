import { createExecutors, missingExecutors } from '../../exec/registry.js';
import { interruptedStages, predictPlan } from '../../engine/status.js';
import { closeWorkspace, openWorkspace } from '../../engine/workspace.js';
import { renderPlan } from '../../ui/plan-text.js';
import { EXIT, type Io } from '../io.js';
import { loadProject, report, select } from '../project.js';

export interface StatusFlags {
  json: boolean;
  single: boolean;
  downstream: boolean;
}

export async function statusCommand(root: string, targets: string[], flags: StatusFlags, io: Io): Promise<number> {
  const project = loadProject(root, io);
  if (typeof project === 'number') return project;
  const selected = select(project, targets, { single: flags.single, downstream: flags.downstream }, io);
  if (typeof selected === 'number') return selected;
  const executors = createExecutors();
  const missing = missingExecutors(selected.map((n) => project.graph.stages.get(n)!), executors);
  if (missing.length > 0) return report(missing, project.files, io);
  const opened = await openWorkspace(root);
  if (!opened.ok) return report(opened.error, project.files, io);
  const ws = opened.value;
  try {
    const interrupted = await interruptedStages(ws);
    const plans = await predictPlan({ ws, graph: project.graph, selected, executors, interrupted, force: false, useRunCache: true });
    if (flags.json) {
      io.out(`${JSON.stringify({ upToDate: plans.every((p) => p.action === 'skip'), stages: plans }, null, 2)}\n`);
    } else {
      io.out(`${renderPlan(plans, 'status')}\n`);
    }
    return EXIT.ok;
  } finally {
    await closeWorkspace(ws);
  }
}
