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
import type { ConfiguredRemote } from '../../config/remote-config.js';
import type { StageRemote } from '../../engine/repro.js';
import type { ReproEvent } from '../../engine/events.js';

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
  /** `--pull`: fetch a stage's run-cache entry or outputs from the remote instead of running it. */
  pull?: boolean;
  /** `--push`: push what the run built, at the end. */
  push?: boolean;
  /** `-r`: the remote for --pull/--push (default: core.remote). */
  remote?: string;
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

  if (flags.pull || flags.push) {
    const { chooseRemote } = await import('./transfer.js');
    const remote = chooseRemote(root, flags.remote, io);
    if (typeof remote === 'number') return remote;
    return withExclusiveWorkspace(project, io, { wait: flags.wait }, (ws) => reproWithRemote(ws, target, executors, flags, remote, io));
  }
  return withExclusiveWorkspace(project, io, { wait: flags.wait }, (ws) => reproInWorkspace(ws, target, executors, flags, io));
}

/** `repro --pull/--push`: the same run, with the remote asked before a stage runs and/or given what was built. */
async function reproWithRemote(ws: Workspace, target: RunTarget, executors: ReadonlyMap<ExecutorKind, Executor>, flags: ReproFlags, remote: ConfiguredRemote, io: Io): Promise<number> {
  const { openRemote } = await import('../../cache/remote/registry.js');
  const { defaultJobs, reportRemoteError } = await import('./transfer.js');
  const { builtRuns, pushBuilt, stageRemote } = await import('../repro-remote.js');
  const jobs = Number(remote.options.jobs) > 0 ? Number(remote.options.jobs) : defaultJobs();
  let backend;
  try {
    backend = await openRemote(remote);
  } catch (e) {
    return reportRemoteError(e, io);
  }
  const transfers = new AbortController();
  try {
    const built = builtRuns();
    const pull = flags.pull ? stageRemote(ws, backend, remote.name, jobs, transfers.signal, io) : undefined;
    const code = await reproInWorkspace(ws, target, executors, flags, io, { ...(pull ? { remote: pull } : {}), onEvent: built.onEvent });
    if (!flags.push || code !== EXIT.ok) return code;
    const r = await pushBuilt(ws, backend, target.selected, built.keys(), jobs, transfers.signal);
    io.out(`Pushed ${r.transferred.length} object(s) to ${remote.name}; ${r.present} already there.\n`);
    for (const b of r.bad) io.err(`refused ${b.key}: ${b.problem}\n`);
    return r.bad.length === 0 && r.missing.length === 0 ? EXIT.ok : EXIT.failed;
  } catch (e) {
    return reportRemoteError(e, io);
  } finally {
    transfers.abort();
    await backend.close().catch(() => undefined);
  }
}

/** The run itself, holding the workspace, with Ctrl-C handling: first stops the stages, second exits at once. */
async function reproInWorkspace(
  ws: Workspace,
  target: RunTarget,
  executors: ReadonlyMap<ExecutorKind, Executor>,
  flags: ReproFlags,
  io: Io,
  extra: { remote?: StageRemote; onEvent?: (e: ReproEvent) => void } = {},
): Promise<number> {
  const interruption = handleInterrupts(executors.values());
  try {
    const { status } = await runOnce(
      {
        ws,
        target,
        executors,
        options: { force: flags.force, jobs: flags.jobs, keepGoing: flags.keepGoing, useRunCache: flags.runCache, signal: interruption.signal, resources: target.resources, ...(extra.remote ? { remote: extra.remote } : {}) },
        verbose: flags.verbose,
        io,
        ...(extra.onEvent ? { onEvent: extra.onEvent } : {}),
      },
      interruption.report,
    );
    return status === 'interrupted' ? EXIT.interrupted : status === 'failed' ? EXIT.failed : EXIT.ok;
  } finally {
    interruption.dispose();
  }
}
