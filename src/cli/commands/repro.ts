import { createExecutors, missingExecutors } from '../../exec/registry.js';
import { newRunId } from '../../engine/run-id.js';
import { runRepro } from '../../engine/repro.js';
import { interruptedStages, predictPlan } from '../../engine/status.js';
import { closeWorkspace, openWorkspace } from '../../engine/workspace.js';
import { RunningMarkers } from '../../workspace/running-markers.js';
import { acquireReproLock } from '../../workspace/repro-lock.js';
import { renderPlan } from '../../ui/plan-text.js';
import { createReproPrinter } from '../../ui/repro-printer.js';
import { EXIT, type Io } from '../io.js';
import { loadProject, report, select } from '../project.js';

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
  const project = loadProject(root, io);
  if (typeof project === 'number') return project;
  const selected = select(project, targets, { single: flags.single, downstream: flags.downstream }, io);
  if (typeof selected === 'number') return selected;
  const executors = createExecutors();
  const stages = selected.map((n) => project.graph.stages.get(n)!);
  const missing = missingExecutors(stages, executors);
  if (missing.length > 0) return report(missing, project.files, io);
  for (const executor of executors.values()) {
    const problems = await executor.preflight(stages.filter((s) => s.executor === executor.kind));
    if (problems.length > 0) return report(problems, project.files, io);
  }

  const opened = await openWorkspace(root);
  if (!opened.ok) return report(opened.error, project.files, io);
  const ws = opened.value;
  if (flags.dry) {
    try {
      const interrupted = await interruptedStages(ws);
      const plans = await predictPlan({ ws, graph: project.graph, selected, executors, interrupted, force: flags.force, useRunCache: flags.runCache });
      io.out(`${renderPlan(plans, 'dry')}\n`);
      return EXIT.ok;
    } finally {
      await ws.hasher.close();
    }
  }

  const lock = await acquireReproLock(ws.layout.reproLock, {
    wait: flags.wait,
    onWait: (owner) => io.err(`Another orchestrator (pid ${owner.pid}, since ${owner.since}) is running in this workspace; waiting for it to finish...\n`),
  });
  if (!lock.ok) {
    io.err(`error: another orchestrator (pid ${lock.owner.pid}, since ${lock.owner.since}) is running in this workspace\n  hint: wait for it, or run without --no-wait to queue behind it\n`);
    await ws.hasher.close();
    return EXIT.invalid;
  }

  const controller = new AbortController();
  const onEvent = createReproPrinter({ root, write: io.out, timestamps: !io.isTTY });
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
    const interrupted = await interruptedStages(ws);
    const markers = new RunningMarkers(ws.layout.running);
    for (const m of await markers.list()) if (interrupted.has(m.stage)) await executors.get(m.executor)?.cleanup(m);

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
    await closeWorkspace(ws);
    await lock.release();
  }
}
