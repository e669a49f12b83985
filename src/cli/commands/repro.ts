import { newRunId } from '../../engine/run-id.js';
import { runRepro } from '../../engine/repro.js';
import { interruptedStages, predictPlan } from '../../engine/status.js';
import { openWorkspace, type Workspace } from '../../engine/workspace.js';
import type { Executor } from '../../exec/executor.js';
import type { ExecutorKind } from '../../model/stage.js';
import { RunningMarkers } from '../../workspace/running-markers.js';
import { renderPlan } from '../../ui/plan-text.js';
import { createReproPrinter } from '../../ui/repro-printer.js';
import { withExclusiveWorkspace } from '../exclusive-workspace.js';
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
}

export async function reproCommand(root: string, targets: string[], flags: ReproFlags, io: Io): Promise<number> {
  const selection = loadSelection(root, targets, { single: flags.single, downstream: flags.downstream }, io);
  if (typeof selection === 'number') return selection;
  const { project, selected, executors } = selection;
  const stages = selected.map((n) => project.graph.stages.get(n)!);
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

  return withExclusiveWorkspace(project, io, { wait: flags.wait }, (ws) => reproInWorkspace(ws, project, selected, executors, flags, io));
}

/** The run itself, holding the workspace: recover from a crashed run, then schedule, with Ctrl-C handling. */
async function reproInWorkspace(
  ws: Workspace,
  project: Project,
  selected: string[],
  executors: ReadonlyMap<ExecutorKind, Executor>,
  flags: ReproFlags,
  io: Io,
): Promise<number> {
  const controller = new AbortController();
  const onEvent = createReproPrinter({ root: ws.root, write: io.out, timestamps: !io.isTTY });
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals > 1) {
      for (const executor of executors.values()) executor.killAllNow();
      process.exit(EXIT.interrupted);
    }
    onEvent({ type: 'interrupting' });
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const interrupted = await interruptedStages(ws, { exclusive: true });
    const markers = new RunningMarkers(ws.layout.running);
    for (const m of await markers.list()) if (interrupted.has(m.stage)) await executors.get(m.executor)?.cleanup(m);
    for (const executor of executors.values()) await executor.cleanupLeftovers(ws.root);

    const result = await runRepro(
      { ws, pipeline: project.pipeline, graph: project.graph, executors, runId: newRunId(), interrupted, onEvent },
      selected,
      { force: flags.force, jobs: flags.jobs, keepGoing: flags.keepGoing, useRunCache: flags.runCache, signal: controller.signal },
    );
    const outcomes = [...result.outcomes.values()];
    if (controller.signal.aborted || outcomes.includes('cancelled')) return EXIT.interrupted;
    if (outcomes.includes('failed')) return EXIT.failed;
    return EXIT.ok;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
