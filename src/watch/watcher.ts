import type { ReproEvent } from '../engine/events.js';
import type { ProjectProblem } from '../engine/project.js';
import { startRun, WorkspaceRun, type ActiveRun } from '../engine/run.js';
import type { RunTarget } from '../engine/run-target.js';
import type { Workspace } from '../engine/workspace.js';
import type { Executor } from '../exec/executor.js';
import type { Result } from '../model/result.js';
import type { ExecutorKind } from '../model/stage.js';
import type { RunDisplay } from '../ui/run-display.js';
import { chokidarWatchFiles, type FileWatch, type WatchFiles } from './file-watcher.js';
import { sameSchedule, stagesWithChangedInputs, watchedPaths } from './watch-plan.js';

export interface WatchRequest {
  ws: Workspace;
  executors: ReadonlyMap<ExecutorKind, Executor>;
  /** Resolves pipeline and params afresh and runs the pre-flight checks (`loadRunTarget`). */
  load: () => Promise<Result<RunTarget, ProjectProblem>>;
  jobs: number;
  keepGoing: boolean;
  /** Quiet period after the last file event before acting. */
  debounceMs: number;
  argv: readonly string[];
  /** Aborted to stop watching (Ctrl-C): a running pass is interrupted. */
  signal: AbortSignal;
  ui: WatchUi;
  /** Injectable for tests; chokidar by default. */
  watchFiles?: WatchFiles;
  /** Sees every state the watcher enters (tests synchronise on it). */
  onState?: (state: WatcherStateKind) => void;
}

/** Everything the watcher shows goes through here; the CLI renders it. */
export interface WatchUi {
  /** The pipeline is invalid or fails a pre-flight check: nothing runs until a fix is saved. */
  problem(problem: ProjectProblem): void;
  message(text: string): void;
  /** A pass ended with an error that is not a stage's (the lock could not be written...). */
  error(e: Error): void;
  /** How one pass is shown. */
  display(run: WorkspaceRun): Promise<RunDisplay>;
}

/** `interrupted`: stopped while a pass was running (exit 130); `idle`: stopped between passes (exit 0). */
export type WatchEnd = 'idle' | 'interrupted';

/** One run of the selection, from a given resolved pipeline. */
interface Pass {
  /** The pipeline its stages are planned from; replaced when a change keeps its schedule. */
  target: RunTarget;
  interrupt: AbortController;
  ready: Promise<ActiveRun>;
}

/**
 * The watcher's states (after wireit's watcher):
 *
 *   idle ────────────── change ──▶ running ◀──────────────────────────┐
 *     ▲                              │ change                         │ pass ends:
 *     └──── pass ends ───────────────┤                                │ a new pass
 *                                    ▼                                │
 *                        running-with-pending-changes ────────────────┘
 *   idle ── stop ──▶ stopped(idle)
 *   running, running-with-pending-changes ── stop ──▶ stopping ── pass ends ──▶ stopped(interrupted)
 *
 * A "change" fires `debounceMs` after the last file event. On every change the pipeline and params
 * are resolved and pre-flight checked afresh; an invalid result is reported and no pass starts
 * until a fix is saved. A change during a pass restarts, at once, only the running stages whose own
 * inputs changed (a dep, or their definition: cmd, param values, ...), and the rest of the pass is
 * planned from the fresh pipeline when its schedule (stages and edges) is the same and no stage it
 * already finished changed; otherwise the pass drains (starts nothing more; running stages whose
 * inputs are unchanged finish and commit). Either way one more pass follows, planned from fresh
 * hashes, which runs whatever the change left out of date and nothing else.
 */
export type WatcherStateKind = WatcherState['kind'];

type WatcherState =
  | { kind: 'idle' }
  | { kind: 'running'; pass: Pass }
  | { kind: 'running-with-pending-changes'; pass: Pass }
  | { kind: 'stopping'; pass: Pass }
  | { kind: 'stopped'; end: WatchEnd };

/** Runs the selection, then again whenever a dep, a params/vars file or pipeline.yaml changes, until `signal`. */
export function watch(req: WatchRequest): Promise<WatchEnd> {
  return new Watcher(req).run();
}

class Watcher {
  private state: WatcherState = { kind: 'idle' };
  /** The latest resolved pipeline that passed the pre-flight checks; undefined while it is invalid. */
  private target: RunTarget | undefined;
  private configFiles: string[] = ['params.yaml', 'pipeline.yaml'];
  private files: FileWatch | undefined;
  /** The paths `files` watches, joined. */
  private watchedKey = '';
  private changedPaths = new Set<string>();
  private debounce: NodeJS.Timeout | undefined;
  /** Changes are handled one after another: each reloads the pipeline, which takes a moment. */
  private handling: Promise<void> = Promise.resolve();
  /** A stage that failed, with the fingerprint it failed with: not retried until its inputs change. */
  private readonly failedFingerprints = new Map<string, string>();
  private readonly plannedFingerprints = new Map<string, string>();
  private ended!: (end: WatchEnd) => void;

  constructor(private readonly req: WatchRequest) {}

  async run(): Promise<WatchEnd> {
    const ended = new Promise<WatchEnd>((resolve) => (this.ended = resolve));
    await this.refresh();
    if (this.req.signal.aborted) this.onStop();
    else {
      this.req.signal.addEventListener('abort', () => this.onStop(), { once: true });
      this.startPass();
    }
    const end = await ended;
    await this.files?.close();
    return end;
  }

  private onFileEvent(path: string): void {
    if (this.state.kind === 'stopping' || this.state.kind === 'stopped') return;
    this.changedPaths.add(path);
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.handling = this.handling.then(() => this.onChanges()).catch((e: Error) => this.req.ui.error(e));
    }, this.req.debounceMs);
  }

  private async onChanges(): Promise<void> {
    const changed = [...this.changedPaths].sort();
    this.changedPaths.clear();
    if (changed.length === 0 || this.state.kind === 'stopping' || this.state.kind === 'stopped') return;
    this.req.ui.message(`changed: ${changed.slice(0, 5).join(', ')}${changed.length > 5 ? `, and ${changed.length - 5} more` : ''}`);
    if (changed.some((c) => this.configFiles.includes(c))) {
      await this.refresh();
    }
    const state = this.state as WatcherState;
    switch (state.kind) {
      case 'idle':
        this.startPass();
        return;
      case 'running':
      case 'running-with-pending-changes':
        this.enter({ kind: 'running-with-pending-changes', pass: state.pass });
        await this.absorb(state.pass, changed);
        return;
      case 'stopping':
      case 'stopped':
        return;
      default:
        assertNever(state);
    }
  }

  /** A change during a pass: restart the running stages it concerns, and plan the rest from the fresh pipeline if the pass can. */
  private async absorb(pass: Pass, changed: readonly string[]): Promise<void> {
    const active = await pass.ready.catch(() => undefined);
    if (!active) return;
    const fresh = this.target;
    if (!fresh) {
      // The pipeline is being edited into shape: start nothing from either version.
      active.drain();
      return;
    }
    const before = { graph: pass.target.project.graph, selected: pass.target.selected };
    const after = { graph: fresh.project.graph, selected: fresh.selected };
    const hit = stagesWithChangedInputs(before, after, changed);
    const finishedStale = [...active.completed()].some((name) => hit.has(name));
    if (fresh !== pass.target && sameSchedule(before, after) && !finishedStale) {
      active.replace(fresh.project.pipeline, fresh.project.graph);
      pass.target = fresh;
    } else if (fresh !== pass.target || finishedStale) {
      active.drain();
    }
    active.restart(hit);
  }

  private startPass(): void {
    const target = this.target;
    if (!target) {
      this.enter({ kind: 'idle' });
      return;
    }
    const interrupt = new AbortController();
    const pass: Pass = { target, interrupt, ready: this.beginPass(target, interrupt.signal) };
    this.enter({ kind: 'running', pass });
    void pass.ready
      .then((active) => active.done)
      .then(
        () => this.onPassEnd(pass),
        (e: Error) => {
          this.req.ui.error(e);
          this.onPassEnd(pass);
        },
      );
  }

  private async beginPass(target: RunTarget, signal: AbortSignal): Promise<ActiveRun> {
    const { ws, executors } = this.req;
    const { project, selected } = target;
    const run = await WorkspaceRun.open({ ws, pipeline: project.pipeline, graph: project.graph, selected, executors, argv: this.req.argv });
    const display = await this.req.ui.display(run);
    const active = startRun(
      run,
      {
        force: false,
        jobs: this.req.jobs,
        keepGoing: this.req.keepGoing,
        useRunCache: true,
        signal,
        resources: target.resources,
        failedFingerprints: this.failedFingerprints,
        followOutput: display.followsOutput,
      },
      (e) => {
        this.track(e);
        display.onEvent(e);
      },
    );
    // The pass counts as over once its summary is shown.
    const done = active.done.finally(() => display.end(run.summary(), run.recordFile));
    return { ...active, done };
  }

  private onPassEnd(pass: Pass): void {
    const state = this.state;
    if (state.kind === 'idle' || state.kind === 'stopped' || state.pass !== pass) return;
    switch (state.kind) {
      case 'running':
        this.enter({ kind: 'idle' });
        return;
      case 'running-with-pending-changes':
        this.startPass();
        return;
      case 'stopping':
        this.stop('interrupted');
        return;
      default:
        assertNever(state);
    }
  }

  private onStop(): void {
    clearTimeout(this.debounce);
    const state = this.state;
    switch (state.kind) {
      case 'idle':
        this.stop('idle');
        return;
      case 'running':
      case 'running-with-pending-changes':
        this.enter({ kind: 'stopping', pass: state.pass });
        state.pass.interrupt.abort();
        return;
      case 'stopping':
      case 'stopped':
        return;
      default:
        assertNever(state);
    }
  }

  private enter(state: WatcherState): void {
    this.state = state;
    this.req.onState?.(state.kind);
  }

  private stop(end: WatchEnd): void {
    this.enter({ kind: 'stopped', end });
    this.ended(end);
  }

  /** Remembers failures by fingerprint, so an unchanged failing stage is not retried on every change. */
  private track(e: ReproEvent): void {
    if (e.type === 'stage-planned' && e.fingerprint) this.plannedFingerprints.set(e.stage, e.fingerprint);
    if (e.type === 'stage-failed' && this.plannedFingerprints.has(e.stage)) this.failedFingerprints.set(e.stage, this.plannedFingerprints.get(e.stage)!);
    if (e.type === 'stage-succeeded' || e.type === 'stage-restored' || e.type === 'stage-skipped') this.failedFingerprints.delete(e.stage);
  }

  /**
   * Resolves the pipeline afresh and watches what it reads. A problem is shown only once the new
   * watch is in place, so a fix saved right after the message is never missed.
   */
  private async refresh(): Promise<void> {
    const loaded = await this.req.load();
    if (loaded.ok) {
      this.target = loaded.value;
      this.configFiles = loaded.value.project.configFiles;
    } else {
      this.target = undefined;
      // Even with an invalid pipeline, the config files it read are watched so a fix is noticed.
      this.configFiles = [...new Set([...loaded.error.configFiles, 'params.yaml', 'pipeline.yaml'])].sort();
    }
    await this.rewatch();
    if (!loaded.ok) this.req.ui.problem(loaded.error);
  }

  /** Watches the current paths; the previous watch stays open until the new one is ready, so no event falls in between. */
  private async rewatch(): Promise<void> {
    const target = this.target;
    const paths = target ? watchedPaths(target.project.graph, target.selected, this.configFiles) : this.configFiles;
    const key = paths.join('\n');
    if (this.files && key === this.watchedKey) return;
    const previous = this.files;
    this.files = await (this.req.watchFiles ?? chokidarWatchFiles)(this.req.ws.root, paths, (path) => this.onFileEvent(path));
    this.watchedKey = key;
    await previous?.close();
    this.req.ui.message(`watching ${paths.length} path${paths.length === 1 ? '' : 's'} for changes (Ctrl-C to stop)`);
  }
}

function assertNever(state: never): never {
  throw new Error(`watcher: unexpected state ${JSON.stringify(state)}`);
}
