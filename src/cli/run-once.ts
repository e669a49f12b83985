import type { ReproEvent } from '../engine/events.js';
import type { ReproOptions } from '../engine/repro.js';
import { startRun, WorkspaceRun, type RunResult } from '../engine/run.js';
import type { RunTarget } from '../engine/run-target.js';
import type { Workspace } from '../engine/workspace.js';
import type { Executor } from '../exec/executor.js';
import type { ExecutorKind } from '../model/stage.js';
import { createRunDisplay } from '../ui/run-display.js';
import type { Io } from './io.js';

export interface RunOnceRequest {
  ws: Workspace;
  target: RunTarget;
  executors: ReadonlyMap<ExecutorKind, Executor>;
  options: ReproOptions;
  verbose: boolean;
  io: Io;
  /** Sees every event too (repro --push collects what was built). */
  onEvent?: (e: ReproEvent) => void;
}

/**
 * One repro, holding the workspace: the engine's run lifecycle (src/engine/run.ts), shown as it
 * goes (listr2 on a terminal, plain lines elsewhere). `emit` receives the display's event sink, so
 * a signal handler can report "interrupting" on it.
 */
export async function runOnce(req: RunOnceRequest, emit?: (send: (e: ReproEvent) => void) => void): Promise<RunResult> {
  const { ws, target, executors, options, io } = req;
  const { project, selected } = target;
  const run = await WorkspaceRun.open({ ws, pipeline: project.pipeline, graph: project.graph, selected, executors, argv: process.argv.slice(2) });
  const display = await createRunDisplay({
    root: ws.root,
    write: io.out,
    isTTY: io.isTTY,
    verbose: req.verbose,
    stages: async () => (await run.predict(options)).filter((p) => p.action !== 'skip').map((p) => p.stage),
  });
  emit?.(display.onEvent);
  try {
    const onEvent = req.onEvent ? (e: ReproEvent) => (req.onEvent!(e), display.onEvent(e)) : display.onEvent;
    return await startRun(run, { ...options, followOutput: options.followOutput ?? display.followsOutput }, onEvent).done;
  } finally {
    await display.end(run.summary(), run.recordFile);
  }
}
