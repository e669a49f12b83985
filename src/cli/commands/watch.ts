import type { Workspace } from '../../engine/workspace.js';
import { checkDemands, resolveCapacity, stageDemand } from '../../schedule/capacity.js';
import { affectedStages, watchedPaths } from '../../watch/watch-plan.js';
import { withExclusiveWorkspace } from '../exclusive-workspace.js';
import { STOP_SIGNALS } from '../interrupt.js';
import { EXIT, type Io } from '../io.js';
import { machineCapacity } from '../machine.js';
import { loadProject, loadSelection, report, type Selection } from '../project.js';
import { runOnce } from '../run-once.js';
import type { ReproEvent } from '../../engine/events.js';

export interface WatchFlags {
  jobs: number;
  keepGoing: boolean;
  verbose: boolean;
  resources: Record<string, number>;
  /** Quiet period after the last file event before acting. */
  debounceMs: number;
}

interface ActiveRun {
  controller: AbortController;
  stageControllers: Map<string, AbortController>;
  running: Set<string>;
  done: Promise<void>;
}

/**
 * Runs the selection, then reruns what changed whenever a dep, a params/vars file or pipeline.yaml
 * changes. A change during a run cancels only the running stages it affects and reruns after the
 * run; a stage that failed is not retried until one of its inputs changes; an invalid pipeline.yaml
 * is reported and watched until fixed. Holds the workspace lock for the whole session.
 */
export async function watchCommand(root: string, targets: string[], flags: WatchFlags, io: Io): Promise<number> {
  const first = loadProject(root, io);
  if (typeof first === 'number') return first;
  return withExclusiveWorkspace(first, io, { wait: true }, (ws) => watchLoop(ws, root, targets, flags, io));
}

async function watchLoop(ws: Workspace, root: string, targets: string[], flags: WatchFlags, io: Io): Promise<number> {
  const { watch } = await import('chokidar');
  const failedFingerprints = new Map<string, string>();
  const planned = new Map<string, string>();
  let selection: Selection | undefined;
  let watcher: ReturnType<typeof watch> | undefined;
  let active: ActiveRun | undefined;
  let rerun = false;
  let interruptedARun = false;
  let pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;

  const load = (): void => {
    const next = loadSelection(root, targets, {}, io);
    if (typeof next === 'number') {
      selection = undefined;
      return;
    }
    const capacity = resolveCapacity(machineCapacity(), next.project.pipeline.resources, flags.resources);
    const over = checkDemands(next.selected.map((n) => next.project.graph.stages.get(n)!), capacity);
    if (over.length > 0) {
      report(over, next.project.files, io);
      selection = undefined;
      return;
    }
    selection = next;
  };

  const track = (e: ReproEvent): void => {
    if (!active) return;
    if (e.type === 'stage-planned' && e.fingerprint) planned.set(e.stage, e.fingerprint);
    if (e.type === 'stage-started') active.running.add(e.stage);
    if (e.type === 'stage-failed' && planned.has(e.stage)) failedFingerprints.set(e.stage, planned.get(e.stage)!);
    if (e.type === 'stage-succeeded' || e.type === 'stage-restored' || e.type === 'stage-skipped') failedFingerprints.delete(e.stage);
    if (e.type === 'stage-succeeded' || e.type === 'stage-failed' || e.type === 'stage-cancelled') active.running.delete(e.stage);
  };

  const rewatch = async (): Promise<void> => {
    await watcher?.close();
    // Even with an invalid pipeline, the config files it read are watched so a fix is noticed.
    const config = selection?.project.configFiles ?? ['pipeline.yaml', 'params.yaml'];
    const paths = selection ? watchedPaths(selection.project.graph, selection.selected, config) : config;
    watcher = watch(paths, { cwd: root, ignoreInitial: true });
    watcher.on('all', (_event, changed) => {
      pending.add(changed.split('\\').join('/'));
      clearTimeout(timer);
      timer = setTimeout(() => void onChanges(), flags.debounceMs);
    });
    await new Promise<void>((resolve) => watcher!.once('ready', () => resolve()));
    io.out(`watching ${paths.length} path${paths.length === 1 ? '' : 's'} for changes (Ctrl-C to stop)\n`);
  };

  const start = (): void => {
    if (!selection) return;
    const { project, selected, executors } = selection;
    const run: ActiveRun = { controller: new AbortController(), stageControllers: new Map(), running: new Set(), done: Promise.resolve() };
    active = run;
    run.done = runOnce({
      ws,
      project,
      selected,
      executors,
      options: {
        force: false,
        jobs: flags.jobs,
        keepGoing: flags.keepGoing,
        useRunCache: true,
        signal: run.controller.signal,
        resources: { capacity: resolveCapacity(machineCapacity(), project.pipeline.resources, flags.resources), demand: (n) => stageDemand(project.graph.stages.get(n)!) },
        stageSignal: (name) => {
          const c = new AbortController();
          run.stageControllers.set(name, c);
          return c.signal;
        },
        failedFingerprints,
      },
      verbose: flags.verbose,
      io,
      onEvent: track,
    }).then(
      () => finished(),
      (e: unknown) => {
        io.err(`error: ${(e as Error).message}\n`);
        return finished();
      },
    );
  };

  const finished = async (): Promise<void> => {
    active = undefined;
    if (rerun) {
      rerun = false;
      start();
    }
  };

  const onChanges = async (): Promise<void> => {
    const changed = [...pending];
    pending = new Set();
    const configChanged = changed.some((c) => (selection?.project.configFiles ?? ['pipeline.yaml', 'params.yaml']).includes(c));
    io.out(`changed: ${changed.slice(0, 5).join(', ')}${changed.length > 5 ? `, and ${changed.length - 5} more` : ''}\n`);
    if (configChanged) {
      load();
      await rewatch();
    }
    if (active) {
      // Restart only running stages whose inputs moved; on a new pipeline, stop everything.
      const hit = configChanged || !selection ? new Set(active.running) : affectedStages(selection.project.graph, selection.selected, changed);
      for (const name of active.running) if (hit.has(name)) active.stageControllers.get(name)?.abort();
      rerun = true;
      return;
    }
    start();
  };

  load();
  await rewatch();
  start();

  const stopped = await new Promise<number>((resolve) => {
    const onSignal = () => {
      for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
      clearTimeout(timer);
      rerun = false;
      const run = active;
      if (run) {
        interruptedARun = true;
        run.controller.abort();
      }
      void (run?.done ?? Promise.resolve()).then(() => resolve(interruptedARun ? EXIT.interrupted : EXIT.ok));
    };
    for (const sig of STOP_SIGNALS) process.on(sig, onSignal);
  });
  await watcher?.close();
  return stopped;
}
