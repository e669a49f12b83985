import type { Executor, RunningMarker } from '../exec/executor.js';
import type { StageGraph } from '../graph/stage-graph.js';
import type { ExecutorKind, Pipeline } from '../model/stage.js';
import type { StagePlan } from '../plan/change-reason.js';
import { schedule, type NodeOutcome } from '../schedule/scheduler.js';
import type { ReproEvent, ReproListener } from './events.js';
import { recoverInterrupted } from './recover.js';
import { stageRunner, type ReproOptions, type StageRoots, type StageRunner } from './repro.js';
import { newRunId } from './run-id.js';
import { RunRecorder } from './run-record.js';
import { interruptedStages, predictPlan } from './status.js';
import type { ToolVersions } from './tool-versions.js';
import type { Workspace } from './workspace.js';

/*
 * The one run lifecycle. `repro`, every watch pass and every sweep variant go through it:
 *
 *   open     read the running markers dead runs left (holding the workspace lock)
 *   recover  stop their leftovers; keep executions of selected stages for adoption
 *   stages   each stage is planned from fresh hashes when its upstream is done, then skipped,
 *            restored, adopted (its inputs unchanged) or executed, and committed
 *   finish   write the lock, close the markers journal, write the run record
 *
 * Pre-flight checks come before (`loadRunTarget`, `preflight`); `startRun` schedules one workspace's
 * stages, a sweep schedules the stages of all its variants' runs together.
 */

export type RunStatus = 'succeeded' | 'failed' | 'interrupted';

export interface RunRequest {
  ws: Workspace;
  pipeline: Pipeline;
  graph: StageGraph;
  /** Stages this run may execute, topological order. Dead runs' executions of other stages are stopped. */
  selected: readonly string[];
  executors: ReadonlyMap<ExecutorKind, Executor>;
  /** The command line, for the run record. */
  argv: readonly string[];
  /** Given when several workspaces share one run (a sweep's variants). */
  runId?: string;
  /** Tool probes shared by several workspaces (a sweep probes once for all its variants). */
  toolVersions?: ToolVersions;
  /** Canonical directories for `absolute_paths` stages (a sweep's variants share them). */
  stageRoots?: StageRoots;
}

/** One run in one workspace, from the crash recovery to the run record. */
export class WorkspaceRun {
  readonly runId: string;
  private readonly recorder: RunRecorder;
  private adoptable = new Map<string, RunningMarker>();
  private runner: StageRunner | undefined;

  private constructor(
    readonly req: RunRequest,
    /** Stages whose running marker a dead run left, with those markers. */
    readonly interrupted: ReadonlyMap<string, readonly RunningMarker[]>,
  ) {
    this.runId = req.runId ?? newRunId();
    this.recorder = new RunRecorder(req.ws.layout.runs, this.runId, [...req.argv], req.ws.root);
  }

  /** Reads what dead runs left; changes nothing yet. */
  static async open(req: RunRequest): Promise<WorkspaceRun> {
    return new WorkspaceRun(req, await interruptedStages(req.ws, { exclusive: true }));
  }

  get recordFile(): string {
    return this.recorder.file;
  }

  /** What the selected stages will do, as `status` predicts it (for a progress display). Writes nothing. */
  predict(opts: { force: boolean; useRunCache: boolean }): Promise<StagePlan[]> {
    const { ws, graph, selected, executors } = this.req;
    return predictPlan({ ws, graph, selected, executors, interrupted: this.interrupted, force: opts.force, useRunCache: opts.useRunCache });
  }

  /** Stops what dead runs left behind, except executions of selected stages, which the stages may adopt. */
  async recover(): Promise<void> {
    const { ws, selected, executors } = this.req;
    this.adoptable = await recoverInterrupted(ws.root, this.interrupted, selected, executors);
  }

  /** The stage runner of this run; its events go to the run record, then to `onEvent`. */
  stages(onEvent: ReproListener): StageRunner {
    const { ws, pipeline, graph, executors, toolVersions, stageRoots } = this.req;
    this.runner ??= stageRunner({
      ws,
      pipeline,
      graph,
      executors,
      ...(toolVersions ? { toolVersions } : {}),
      ...(stageRoots ? { stageRoots } : {}),
      runId: this.runId,
      interrupted: this.interrupted,
      reattach: this.adoptable,
      onEvent: (e) => {
        this.recorder.onEvent(e);
        onEvent(e);
      },
    });
    return this.runner;
  }

  /** An event for the run record only (a stage a multi-workspace scheduler never started). */
  record(e: ReproEvent): void {
    this.recorder.onEvent(e);
  }

  /** e.g. "2 ran, 1 restored, 5 up to date". */
  summary(): string {
    return this.recorder.summary();
  }

  /** Writes the lock (rejects if it cannot) and closes the markers journal. */
  async closeStages(): Promise<void> {
    await (this.runner ? this.runner.finish() : this.req.ws.lock.flush());
  }

  /** The run record's final write. */
  finishRecord(status: RunStatus): Promise<void> {
    return this.recorder.finish(status);
  }
}

export interface RunResult {
  status: RunStatus;
  runId: string;
  recordFile: string;
  /** e.g. "2 ran, 1 restored, 5 up to date". */
  summary: string;
}

/** A run in progress, with the controls watch mode needs. */
export interface ActiveRun {
  readonly done: Promise<RunResult>;
  /** Stages whose command is executing now. */
  running(): ReadonlySet<string>;
  /** Stages this run has finished with (up to date, restored, succeeded or failed). */
  completed(): ReadonlySet<string>;
  /** Cancels these stages if they are executing; each is planned again at once and runs again. */
  restart(stages: Iterable<string>): void;
  /** Plans the stages not yet planned from this pipeline (same selection and edges, see `StageRunner.replace`). */
  replace(pipeline: Pipeline, graph: StageGraph): void;
  /** Starts nothing more; running stages finish and commit. */
  drain(): void;
}

/** Runs the selected stages of one workspace: recover, schedule, execute, commit, record. */
export function startRun(run: WorkspaceRun, options: ReproOptions, onEvent: ReproListener): ActiveRun {
  const running = new Set<string>();
  const completed = new Set<string>();
  const stageControllers = new Map<string, AbortController>();
  const draining = new AbortController();
  let runner: StageRunner | undefined;
  let replacement: { pipeline: Pipeline; graph: StageGraph } | undefined;

  const track = (e: ReproEvent): void => {
    switch (e.type) {
      case 'stage-started':
        running.add(e.stage);
        break;
      case 'stage-skipped':
      case 'stage-restored':
      case 'stage-succeeded':
      case 'stage-failed':
        running.delete(e.stage);
        completed.add(e.stage);
        break;
      case 'stage-cancelled':
        running.delete(e.stage);
        break;
    }
    onEvent(e);
  };

  const execute = async (): Promise<RunResult> => {
    const { graph, selected } = run.req;
    let status: RunStatus = 'interrupted';
    try {
      await run.recover();
      runner = run.stages(track);
      if (replacement) runner.replace(replacement.pipeline, replacement.graph);
      const opts: ReproOptions = {
        ...options,
        stageSignal: (name) => {
          const c = new AbortController();
          stageControllers.set(name, c);
          return c.signal;
        },
      };
      const upstream = new Map(selected.map((n) => [n, graph.upstream.get(n)!.map((e) => e.from)]));
      const stages = runner;
      let outcomes: NodeOutcome[];
      try {
        // Draining stops new starts only; the stages' own signal (Ctrl-C) is what cancels them.
        const result = await schedule(selected, upstream, (name, slot) => stages.run(name, opts, slot), { ...opts, signal: AbortSignal.any([options.signal, draining.signal]) });
        for (const [stage, why] of result.notStarted) {
          const e: ReproEvent = { type: 'stage-not-started', stage, why };
          run.record(e);
          track(e);
        }
        outcomes = [...result.outcomes.values()];
      } finally {
        await run.closeStages();
      }
      status = options.signal.aborted || outcomes.includes('cancelled') ? 'interrupted' : outcomes.includes('failed') ? 'failed' : 'succeeded';
      return { status, runId: run.runId, recordFile: run.recordFile, summary: run.summary() };
    } finally {
      await run.finishRecord(status);
    }
  };

  return {
    done: execute(),
    running: () => running,
    completed: () => completed,
    restart: (stages) => {
      for (const name of stages) if (running.has(name)) stageControllers.get(name)?.abort();
    },
    replace: (pipeline, graph) => {
      replacement = { pipeline, graph };
      runner?.replace(pipeline, graph);
    },
    drain: () => draining.abort(),
  };
}
