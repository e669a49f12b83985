import type { ExecRequest, Executor, RunningMarker } from '../exec/executor.js';
import type { StageGraph } from '../graph/stage-graph.js';
import type { ExecutorKind, Pipeline, Stage } from '../model/stage.js';
import type { StagePlan } from '../plan/change-reason.js';
import { inputChanges, planStage } from '../plan/plan-stage.js';
import type { LockedOut } from '../lock/lock-types.js';
import type { NodeOutcome, ResourceLimits, Slot } from '../schedule/scheduler.js';
import { RunningMarkers } from '../workspace/running-markers.js';
import type { ReproListener } from './events.js';
import { observeStage } from './observe.js';
import { cp, rm } from 'node:fs/promises';
import path from 'node:path';
import { Hasher } from '../hash/hasher.js';
import { StatCache } from '../hash/stat-cache.js';
import type { PathHash } from '../hash/types.js';
import type { ObservedEnvironment } from '../model/environment.js';
import type { StageFingerprint } from '../plan/fingerprint.js';
import { checkedWritePath } from '../workspace/safe-path.js';
import { commitOutputs, lockEntryFromRunCache, removeOutputs, restoreOutputs, type CommitResult } from './outputs.js';
import { describeKnownFailure, isCacheObjectProblem } from './known-failure.js';
import { StageLog } from './stage-log.js';
import { ToolVersions } from './tool-versions.js';
import type { EnvironmentObservation } from '../model/environment.js';
import type { StageFailure } from '../model/failure.js';
import { describeFailure } from '../ui/failure-text.js';
import type { Workspace } from './workspace.js';

export interface ReproOptions {
  force: boolean;
  jobs: number;
  keepGoing: boolean;
  useRunCache: boolean;
  signal: AbortSignal;
  resources?: ResourceLimits;
  /** Cancels one stage without stopping the run (watch mode restarts stages whose inputs changed). */
  stageSignal?: (stage: string) => AbortSignal | undefined;
  /**
   * Fingerprints of runs that failed before (watch mode): a stage about to run with exactly these
   * inputs fails at once instead of repeating a failure nothing has changed.
   */
  failedFingerprints?: ReadonlyMap<string, string>;
  /** Shared by runs of several workspaces (sweep variants): one fingerprint is built once at a time. */
  coordinator?: BuildCoordinator;
  /** False when no one shows `stage-output` events as they come; the logs are written either way. Default true. */
  followOutput?: boolean;
  /** `repro --pull`: a stage about to run first asks the remote for what would let it restore instead. */
  remote?: StageRemote;
}

/**
 * What `repro --pull` asks of a remote for a stage the plan would run: fetch into the local cache its
 * run-cache entry (by fingerprint) with its objects, or else, when only its outputs are missing (its
 * inputs match the lock), the lock's outputs. True when something arrived: the stage is planned
 * again and now restores. Every fetched object is verified before it is placed (see transfer.ts).
 */
export interface StageRemote {
  fetchFor(stage: string, fingerprintKey: string | undefined, lockOuts: readonly LockedOut[] | undefined): Promise<boolean>;
}

/**
 * Lets stages of different workspaces that have the same fingerprint run once: the first claims it,
 * the others wait for it to finish and then plan again (and find its outputs in the shared cache).
 */
export class BuildCoordinator {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly built = new Set<string>();

  /** Whether a build of this fingerprint ended in this run (a forced run builds each fingerprint once). */
  hasBuilt(key: string): boolean {
    return this.built.has(key);
  }

  /** `release` for the first claimer; `'retry'` (after the builder finished) for the others. */
  async claim(key: string): Promise<{ release: () => void } | 'retry'> {
    const running = this.inFlight.get(key);
    if (running) {
      await running;
      return 'retry';
    }
    let release!: () => void;
    this.inFlight.set(key, new Promise<void>((resolve) => (release = resolve)));
    return {
      release: () => {
        this.inFlight.delete(key);
        this.built.add(key);
        release();
      },
    };
  }
}

export interface ReproContext {
  ws: Workspace;
  pipeline: Pipeline;
  graph: StageGraph;
  executors: ReadonlyMap<ExecutorKind, Executor>;
  runId: string;
  /** Stages whose running marker was left by a dead process, with those markers. */
  interrupted: ReadonlyMap<string, readonly RunningMarker[]>;
  /** Markers of a dead run's selected stages: reattach to their execution if inputs are unchanged. */
  reattach?: ReadonlyMap<string, RunningMarker>;
  onEvent: ReproListener;
  /** Tool probes shared by several runners (sweep variants); by default each runner probes once per run. */
  toolVersions?: ToolVersions;
  /** Canonical directories for stages that embed absolute paths (sweeps: built once for all variants). */
  stageRoots?: StageRoots;
}

/**
 * A stage marked `absolute_paths` writes its directory into its outputs, so its outputs can only be
 * shared between runs at the same path. With StageRoots it runs at one directory per path-free
 * fingerprint: every workspace whose inputs for it are equal gets the same directory, the same
 * fingerprint and so the same cache entry, built once.
 */
export interface StageRoots {
  rootFor(stage: Stage, pathFreeKey: string): string;
  /** Makes `root` hold the workspace's files as the stage would see them, minus its own outputs. */
  prepare(ws: Workspace, stage: Stage, root: string): Promise<void>;
}

/**
 * What one run keeps per workspace. "Interrupted" and "reattach" are one-shot facts: consumed when the
 * stage is first planned, so a replan (watch restart, a build another variant finished) starts clean.
 */
interface RunState extends ReproContext {
  markers: RunningMarkers;
  lockSaver: LockSaver;
  pendingInterrupted: Set<string>;
  pendingReattach: Map<string, RunningMarker>;
  /** Stages whose restore was refused (bad cache object): the reason shown when they are planned again. */
  restoreFailures: Map<string, string>;
  /** Stages `repro --pull` already asked the remote for (once per stage and run). */
  pulled: Set<string>;
  toolVersions: ToolVersions;
}

/** Plans and (re)builds stages of one workspace, one call per stage. */
export interface StageRunner {
  /** `slot` is released as soon as the stage's command has ended, before its outputs are committed. */
  run(stage: string, opts: ReproOptions, slot?: Slot): Promise<NodeOutcome>;
  /**
   * From now on stages are planned from this pipeline (watch mode, after params or pipeline.yaml
   * changed). Its selection and edges must be those the run was scheduled with.
   */
  replace(pipeline: Pipeline, graph: StageGraph): void;
  /** When the run is over: writes the lock (rejects if it cannot) and closes the markers journal. */
  finish(): Promise<void>;
}

/** What a run schedules, one call per stage; several runners share one scheduler in a sweep. */
export function stageRunner(ctx: ReproContext): StageRunner {
  const state: RunState = {
    ...ctx,
    markers: new RunningMarkers(ctx.ws.layout.running, ctx.runId),
    lockSaver: new LockSaver(ctx.ws, () => state.pipeline),
    pendingInterrupted: new Set(ctx.interrupted.keys()),
    pendingReattach: new Map(ctx.reattach ?? []),
    restoreFailures: new Map(),
    pulled: new Set(),
    toolVersions: ctx.toolVersions ?? new ToolVersions(ctx.ws.root, ctx.runId),
  };
  return {
    run: (name, opts, slot) => reproStageSafely(state, state.graph.stages.get(name)!, opts, slot),
    replace: (pipeline, graph) => {
      state.pipeline = pipeline;
      state.graph = graph;
    },
    finish: async () => {
      try {
        await state.lockSaver.finish();
      } finally {
        state.markers.close();
      }
    },
  };
}

/**
 * Writes the lock while a run goes on, at most once per interval: a burst of finishing stages (a
 * fan-out of hundreds) costs a few writes, not one each. A stage committed in the last interval
 * before a crash is not in the lock yet; its run-cache entry is, so the next run restores it
 * instead of running it (see `finish` for the final write).
 */
class LockSaver {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ws: Workspace,
    private readonly pipeline: () => Pipeline,
  ) {}

  request(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.save().catch(() => undefined);
    }, LOCK_SAVE_INTERVAL_MS);
  }

  async finish(): Promise<void> {
    this.ws.runCache.flush();
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      void this.save().catch(() => undefined);
    }
    await this.ws.lock.flush();
  }

  private save(): Promise<void> {
    return this.ws.lock.save(new Set(this.pipeline().stages.map((s) => s.name)));
  }
}

const LOCK_SAVE_INTERVAL_MS = 200;

/** An unexpected error (disk full, permissions) fails the stage with its message instead of vanishing. */
async function reproStageSafely(ctx: RunState, stage: Stage, opts: ReproOptions, slot?: Slot): Promise<NodeOutcome> {
  try {
    return await reproStage(ctx, stage, opts, slot);
  } catch (e) {
    // A full disk, a permission, a symlink out of the workspace: the user's to fix, said plainly.
    const known = describeKnownFailure(e);
    const detail = process.env.ORCHESTRATOR_DEBUG ? `${(e as Error).stack}` : (e as Error).message;
    ctx.onEvent({ type: 'stage-failed', stage: stage.name, failure: { kind: 'workspace-error', message: known ?? `internal error: ${detail}` }, durationMs: 0 });
    return 'failed';
  }
}

async function reproStage(ctx: RunState, stage: Stage, opts: ReproOptions, slot?: Slot): Promise<NodeOutcome> {
  const { ws } = ctx;
  const executor = ctx.executors.get(stage.executor)!;
  const environment = await ctx.toolVersions.observe(executor, stage, opts.signal);
  const interrupted = ctx.pendingInterrupted.delete(stage.name);
  const rootFor = ctx.stageRoots ? (s: Stage, key: string) => ctx.stageRoots!.rootFor(s, key) : undefined;
  const observed = await observeStage(stage, { ws, environment, interrupted, useRunCache: opts.useRunCache, ...(rootFor ? { rootFor } : {}) });
  if (observed.adopted) ctx.lockSaver.request();
  // Forced: each fingerprint once per run, however many workspaces of a sweep share it.
  const force = opts.force && !(observed.fingerprint && opts.coordinator?.hasBuilt(observed.fingerprint.key));
  let plan = planStage(observed.observation, { force, useRunCache: opts.useRunCache });
  const restoreFailure = ctx.restoreFailures.get(stage.name);
  if (restoreFailure !== undefined) {
    ctx.restoreFailures.delete(stage.name);
    // Never a second restore attempt in the same pass: the stage runs.
    plan = { stage: plan.stage, action: 'run', reasons: [{ kind: 'cache-restore-failed', detail: restoreFailure }, ...plan.reasons] };
  }
  const orphan = ctx.pendingReattach.get(stage.name);
  ctx.pendingReattach.delete(stage.name);
  // Reattach only to an execution of exactly these inputs; anything else it was doing is stale.
  const attach = orphan && plan.action === 'run' && orphan.fingerprint !== undefined && orphan.fingerprint === observed.fingerprint?.key ? orphan : undefined;
  if (orphan && !attach) await executor.cleanup(orphan);
  // The dead run's markers are dealt with now (a reattached execution gets this run's marker first).
  if (interrupted && !attach) settleInterrupted(ctx, stage.name);
  ctx.onEvent({
    type: 'stage-planned',
    stage: stage.name,
    plan,
    executor: stage.executor,
    ...(observed.fingerprint ? { fingerprint: observed.fingerprint.key } : {}),
  });

  switch (plan.action) {
    case 'skip':
      ctx.onEvent({ type: 'stage-skipped', stage: stage.name, plan });
      return 'succeeded';
    case 'restore':
      try {
        await restoreStage(ctx, stage, plan, observed.depHashes, environment);
      } catch (e) {
        // A bad object was quarantined by the store (nothing was written): plan again, which now
        // runs the stage, and say why.
        if (!isCacheObjectProblem(e)) throw e;
        ctx.restoreFailures.set(stage.name, (e as Error).message);
        return reproStage(ctx, stage, opts, slot);
      }
      ctx.onEvent({ type: 'stage-restored', stage: stage.name, plan });
      return 'succeeded';
    case 'run': {
      if (observed.fingerprint && opts.failedFingerprints?.get(stage.name) === observed.fingerprint.key) {
        ctx.onEvent({ type: 'stage-failed', stage: stage.name, failure: { kind: 'failed-before' }, durationMs: 0 });
        return 'failed';
      }
      if (opts.remote && !opts.force && !stage.alwaysChanged && !ctx.pulled.has(stage.name) && restoreFailure === undefined) {
        ctx.pulled.add(stage.name);
        const lock = observed.observation.lock;
        const lockOuts = lock && inputChanges(observed.observation, lock).length === 0 ? lock.outs : undefined;
        // Something arrived: plan again, which now restores it (or runs, if it still cannot).
        if (await opts.remote.fetchFor(stage.name, observed.fingerprint?.key, lockOuts)) return reproStage(ctx, stage, opts, slot);
      }
      const claim = opts.coordinator && observed.fingerprint ? await opts.coordinator.claim(observed.fingerprint.key) : undefined;
      // Another workspace built these exact inputs meanwhile: plan again, now a restore.
      if (claim === 'retry') return reproStage(ctx, stage, opts, slot);
      try {
        const own = opts.stageSignal?.(stage.name);
        const signal = own ? AbortSignal.any([opts.signal, own]) : opts.signal;
        const outcome = await executeStage(ctx, stage, plan, observed, environment, executor, signal, attach, slot, opts.followOutput);
        // Stopped on its own (its inputs changed), not by Ctrl-C: run it again with the new inputs.
        return outcome === 'cancelled' && own?.aborted && !opts.signal.aborted ? 'restart' : outcome;
      } finally {
        claim?.release();
      }
    }
  }
}

async function restoreStage(
  ctx: RunState,
  stage: Stage,
  plan: StagePlan,
  depHashes: Awaited<ReturnType<typeof observeStage>>['depHashes'],
  environment: EnvironmentObservation,
): Promise<void> {
  const { ws } = ctx;
  if (plan.restoreFrom === 'run-cache') {
    const entry = (await ws.runCache.get(plan.runCacheKey!))!;
    await restoreOutputs(ws, entry.outs, new Set(stage.outs.filter((o) => !o.cache).map((o) => o.path)));
    // A run-cache hit needs a fingerprint, which needs the environment.
    if (!environment.ok) throw new Error('restore from the run-cache without an environment');
    ws.lock.set(stage.name, lockEntryFromRunCache(stage, environment.value, depHashes, entry));
    ctx.lockSaver.request();
  } else {
    await restoreOutputs(ws, ws.lock.get(stage.name)!.outs);
  }
}

async function executeStage(
  ctx: RunState,
  stage: Stage,
  plan: StagePlan,
  observed: Awaited<ReturnType<typeof observeStage>>,
  environment: EnvironmentObservation,
  executor: Executor,
  signal: AbortSignal,
  attach?: RunningMarker,
  slot?: Slot,
  followOutput = true,
): Promise<NodeOutcome> {
  const { ws } = ctx;
  const started = Date.now();
  const elapsed = () => Date.now() - started;
  // Interrupted while its inputs and tools were looked at (a probe cut off by Ctrl-C fails): cancelled.
  if (signal.aborted) return 'cancelled';
  const missingDeps = stage.deps.filter((d) => !observed.depHashes.get(d.path));
  if (!environment.ok || missingDeps.length > 0 || !observed.fingerprint) {
    const failure: StageFailure = environment.ok
      ? { kind: 'missing-dependency', paths: missingDeps.map((d) => d.path) }
      : { kind: 'environment-unavailable', problem: environment.problem };
    ctx.onEvent({ type: 'stage-failed', stage: stage.name, failure, durationMs: 0 });
    return 'failed';
  }

  // Reattaching keeps the running execution's outputs; a fresh start clears stale ones first.
  if (!attach) await removeOutputs(ws, stage);
  // A stage at its canonical root runs there; its outputs come back through the cache.
  const execRoot = observed.execRoot;
  const elsewhere = execRoot !== ws.root && ctx.stageRoots !== undefined;
  if (elsewhere && !attach) await ctx.stageRoots!.prepare(ws, stage, execRoot);
  const log = StageLog.open(ws.layout.logs, stage.name, ctx.runId);
  log.line(`# stage ${stage.name}, run ${ctx.runId}, started ${new Date(started).toISOString()}`);
  for (const c of stage.cmd) log.line(`$ ${c}`);
  // On disk before the command can append to the same file.
  log.flush();
  ctx.onEvent({ type: 'stage-started', stage: stage.name, plan, cmd: stage.cmd, logFile: log.file });

  const { markers } = ctx;
  const marker: RunningMarker = {
    stage: stage.name,
    runId: ctx.runId,
    pid: process.pid,
    executor: executor.kind,
    handleId: attach?.handleId ?? '',
    started: new Date(started).toISOString(),
    fingerprint: observed.fingerprint.key,
  };
  markers.write(marker);
  if (attach) settleInterrupted(ctx, stage.name);
  const request: ExecRequest = {
    stage,
    root: execRoot,
    runId: ctx.runId,
    // Built on demand: the local executor passes only the stage's own variables to its shell.
    get env() {
      return commandEnv(stage, execRoot, ctx.runId);
    },
    logFile: log.file,
    followOutput,
    onLine: (line, stream) => {
      if (!executor.logsOutput) log.line(line);
      ctx.onEvent({ type: 'stage-output', stage: stage.name, line, stream });
    },
    onHandleId: (handleId) => markers.write({ ...marker, handleId }),
    onQueue: (times) => ctx.onEvent({ type: 'stage-queued', stage: stage.name, ...times }),
  };
  let handle = attach ? await executor.reattach(attach, request) : undefined;
  if (attach) log.line(handle ? `# reattached to ${attach.handleId}, started by run ${attach.runId}` : `# could not reattach to ${attach.handleId}; starting afresh`);
  if (attach && !handle) {
    await executor.cleanup(attach);
    await removeOutputs(ws, stage);
  }
  handle ??= await executor.start(request);
  const onAbort = () => void handle.cancel();
  signal.addEventListener('abort', onAbort, { once: true });
  // Aborted while it was starting: the listener came too late to see it.
  if (signal.aborted) onAbort();
  const outcome = await handle.wait().finally(() => signal.removeEventListener('abort', onAbort));
  // The command succeeded: its slot and resources go to the next stage while this one commits. (A
  // failure keeps them until the stage ends, so the scheduler learns of it before starting more.)
  if (outcome.status === 'succeeded') slot?.release();

  try {
    if (outcome.status === 'cancelled') {
      log.line('# cancelled');
      ctx.onEvent({ type: 'stage-cancelled', stage: stage.name, logFile: log.file });
      return 'cancelled';
    }
    if (outcome.status === 'failed') {
      log.line(`# failed: ${describeFailure(outcome.failure)}`);
      ctx.onEvent({ type: 'stage-failed', stage: stage.name, failure: outcome.failure, durationMs: elapsed(), logFile: log.file });
      return 'failed';
    }
    const committed = elsewhere
      ? await commitFromStageRoot(ws, execRoot, stage, observed.depHashes, observed.fingerprint, environment.value)
      : await commitOutputs(ws, stage, observed.depHashes, observed.fingerprint, environment.value);
    if (!committed.ok) {
      log.line(`# failed: ${describeFailure(committed.failure)}`);
      ctx.onEvent({ type: 'stage-failed', stage: stage.name, failure: committed.failure, durationMs: elapsed(), logFile: log.file });
      return 'failed';
    }
    ws.lock.set(stage.name, committed.entry);
    ctx.lockSaver.request();
    log.line(`# succeeded in ${elapsed()} ms`);
    ctx.onEvent({ type: 'stage-succeeded', stage: stage.name, durationMs: elapsed(), logFile: log.file });
    return 'succeeded';
  } finally {
    markers.remove(stage.name);
    log.close();
  }
}

/**
 * Commits the outputs a stage wrote at its canonical root (hashed there, into the shared cache),
 * then places them in the workspace from the cache, verified, as a restore would.
 */
async function commitFromStageRoot(
  ws: Workspace,
  root: string,
  stage: Stage,
  depHashes: ReadonlyMap<string, PathHash | undefined>,
  fingerprint: StageFingerprint,
  environment: ObservedEnvironment,
): Promise<CommitResult> {
  const at: Workspace = { ...ws, root, hasher: new Hasher({ root, statCache: StatCache.inMemory() }) };
  try {
    const committed = await commitOutputs(at, stage, depHashes, fingerprint, environment);
    if (!committed.ok) return committed;
    await restoreOutputs(ws, committed.entry.outs.filter((o) => o.cache !== false));
    for (const o of committed.entry.outs.filter((x) => x.cache === false)) {
      const dest = checkedWritePath(ws.root, o.path);
      await rm(dest, { recursive: true, force: true });
      await cp(path.join(root, o.path), dest, { recursive: true });
    }
    return committed;
  } finally {
    await at.hasher.close();
  }
}

function settleInterrupted(ctx: RunState, stage: string): void {
  for (const m of ctx.interrupted.get(stage) ?? []) ctx.markers.settle(m);
}

/** The caller's environment, the stage's declared env, and the two variables every stage can rely on. */
export function commandEnv(stage: Stage, root: string, runId: string): Record<string, string> {
  return { ...callerEnv(), ...stage.env, ORCHESTRATOR_STAGE: stage.name, ORCHESTRATOR_ROOT: root, ORCHESTRATOR_RUN_ID: runId };
}

let callerEnvCopy: Record<string, string> | undefined;
/** A plain copy of process.env, made once: reading process.env goes through the C++ environment each time. */
function callerEnv(): Record<string, string> {
  if (!callerEnvCopy) {
    callerEnvCopy = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) callerEnvCopy[k] = v;
  }
  return callerEnvCopy;
}
