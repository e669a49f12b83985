import { interruptedStages, predictPlan } from '../../engine/status.js';
import { closeWorkspace, openWorkspace } from '../../engine/workspace.js';
import { renderPlan } from '../../ui/plan-text.js';
import { EXIT, type Io } from '../io.js';
import { loadSelection, report } from '../project.js';

export interface StatusFlags {
  json: boolean;
  single: boolean;
  downstream: boolean;
}

export async function statusCommand(root: string, targets: string[], flags: StatusFlags, io: Io): Promise<number> {
  const selection = loadSelection(root, targets, { single: flags.single, downstream: flags.downstream }, io);
  if (typeof selection === 'number') return selection;
  const { project, selected, executors } = selection;
  const opened = await openWorkspace(root);
  if (!opened.ok) return report(opened.error, project.files, io);
  const ws = opened.value;
  try {
    const interrupted = await interruptedStages(ws, { exclusive: false });
    const plans = await predictPlan({ ws, graph: project.graph, selected, executors, interrupted, force: false, useRunCache: true });
    const inert = project.pipeline.inertKeys ?? [];
    if (flags.json) {
      io.out(`${JSON.stringify({ upToDate: plans.every((p) => p.action === 'skip'), stages: plans, ...(inert.length > 0 ? { inertKeys: inert } : {}) }, null, 2)}\n`);
    } else {
      io.out(`${renderPlan(plans, 'status')}\n`);
      if (inert.length > 0) io.out(`${inertKeysLine(inert)}\n`);
    }
    return EXIT.ok;
  } finally {
    await closeWorkspace(ws);
  }
}

/** One line naming the DVC keys that were accepted but do nothing here (also used by doctor). */
export function inertKeysLine(keys: readonly string[]): string {
  return `info: accepted as in DVC, without effect here: ${keys.join(', ')}`;
}
