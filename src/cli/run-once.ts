import path from 'node:path';
import type { ReproEvent } from '../engine/events.js';
import { runRepro, type ReproOptions } from '../engine/repro.js';
import { newRunId } from '../engine/run-id.js';
import { RunRecorder, type RunRecord } from '../engine/run-record.js';
import { interruptedStages, predictPlan } from '../engine/status.js';
import type { Workspace } from '../engine/workspace.js';
import type { Executor } from '../exec/executor.js';
import type { ExecutorKind } from '../model/stage.js';
import { createTerminalProgress, type TerminalProgress } from '../ui/listr-progress.js';
import { createReproPrinter } from '../ui/repro-printer.js';
import type { Io } from './io.js';
import type { Project } from './project.js';

export interface RunOnceRequest {
  ws: Workspace;
  project: Project;
  selected: readonly string[];
  executors: ReadonlyMap<ExecutorKind, Executor>;
  options: ReproOptions;
  verbose: boolean;
  io: Io;
  /** Sees every event after the recorder and the display (watch mode tracks failures with it). */
  onEvent?: (e: ReproEvent) => void;
}

export interface RunOnceResult {
  status: RunRecord['status'];
  runId: string;
}

/**
 * One repro pass holding the workspace (`emit` receives the event sink, so a signal handler can
 * report "interrupting" on the same display): clean up after crashed runs, schedule the stages, show
 * progress (listr2 on a terminal, plain lines elsewhere), and write the run record.
 */
export async function runOnce(req: RunOnceRequest, emit?: (send: (e: ReproEvent) => void) => void): Promise<RunOnceResult> {
  const { ws, project, selected, executors, options, io } = req;
  const runId = newRunId();
  const recorder = new RunRecorder(ws.layout.runs, runId, process.argv.slice(2), ws.root);
  const interrupted = await interruptedStages(ws, { exclusive: true });

  let terminal: TerminalProgress | undefined;
  if (io.isTTY && !req.verbose) {
    const plans = await predictPlan({ ws, graph: project.graph, selected, executors, interrupted, force: options.force, useRunCache: options.useRunCache });
    terminal = await createTerminalProgress(plans.filter((p) => p.action !== 'skip').map((p) => p.stage), io.out);
  }
  const show = terminal?.onEvent ?? createReproPrinter({ root: ws.root, write: io.out, timestamps: !io.isTTY, verbose: req.verbose });
  const onEvent = (e: ReproEvent) => {
    recorder.onEvent(e);
    show(e);
    req.onEvent?.(e);
  };
  emit?.(onEvent);

  let status: RunRecord['status'] = 'interrupted';
  try {
    // A dead run's stage that is selected again may still be running remotely: the stage decides
    // (reattach if its inputs are unchanged). Everything else a dead run left is removed now.
    const inScope = new Set(selected);
    const orphans = [...interrupted.values()].flat();
    const reattach = new Map(orphans.filter((m) => inScope.has(m.stage) && executors.get(m.executor)?.reattachable).map((m) => [m.stage, m]));
    for (const m of orphans) if (!reattach.has(m.stage)) await executors.get(m.executor)?.cleanup(m);
    const keep = new Set([...reattach.values()].map((m) => m.handleId));
    for (const executor of executors.values()) await executor.cleanupLeftovers(ws.root, keep);

    const result = await runRepro(
      { ws, pipeline: project.pipeline, graph: project.graph, executors, runId, interrupted, reattach, onEvent },
      selected,
      // Output lines are shown by the terminal display and by `-v`; plain progress shows none.
      { ...options, followOutput: options.followOutput ?? (terminal !== undefined || req.verbose || req.onEvent !== undefined) },
    );
    const outcomes = [...result.outcomes.values()];
    status = options.signal.aborted || outcomes.includes('cancelled') ? 'interrupted' : outcomes.includes('failed') ? 'failed' : 'succeeded';
    return { status, runId };
  } finally {
    await terminal?.stop();
    await recorder.finish(status);
    if (!terminal) io.out(`${recorder.summary()} (run record: ${path.relative(ws.root, recorder.file)})\n`);
  }
}
