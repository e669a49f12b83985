import { copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ReproEvent } from '../engine/events.js';
import { staticChecks } from '../engine/preflight.js';
import { loadProject, type Project } from '../engine/project.js';
import type { ReproOptions, StageRunner } from '../engine/repro.js';
import { WorkspaceRun } from '../engine/run.js';
import { ExecutionSlots } from './execution-slots.js';
import { newRunId } from '../engine/run-id.js';
import { ToolVersions } from '../engine/tool-versions.js';
import { describeFailure } from '../ui/failure-text.js';
import { cacheLocation, closeWorkspace, openWorkspace, type Workspace } from '../engine/workspace.js';
import type { Executor } from '../exec/executor.js';
import type { LinkType } from '../model/stage.js';
import { stageDemand } from '../schedule/capacity.js';
import { schedule } from '../schedule/scheduler.js';
import { renderDiagnostic } from '../ui/diagnostics.js';
import { createReproPrinter, duration } from '../ui/repro-printer.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { mapLimit } from '../util/concurrency.js';
import { workspaceLayout } from '../workspace/layout.js';
import type { ExecutorKind } from '../model/stage.js';
import { paramKeyLabel } from './axis.js';
import { listInputFiles, syncInputs } from './inputs.js';
import { mergeMetrics, metricsPaths, readMetrics, readTableFiles, workspaceReader } from './metrics-files.js';
import { sweepStageRoots } from './stage-roots.js';
import { selectStages } from '../graph/select.js';
import { byFile, editParamsText } from './params-edit.js';
import type { SweepSpec, Variant } from './spec.js';
import { sweepDir, SweepRecordWriter, variantRoot, type SweepRecord, type VariantRecord } from './state.js';
import { nullRecord } from '../util/null-record.js';

export interface SweepRunRequest {
  /** The main workspace (its cache is every variant's cache). */
  main: Project;
  spec: SweepSpec;
  variants: Variant[];
  /** Stop at these stages (and their upstream) in every variant; empty: every stage. */
  targets: readonly string[];
  /** Run the selected stages even when up to date (each distinct fingerprint once per sweep run). */
  force: boolean;
  origin: SweepRecord['origin'];
  previous: SweepRecord | undefined;
  argv: string[];
  executors: ReadonlyMap<ExecutorKind, Executor>;
  jobs: number;
  capacity: Record<string, number>;
  linkTypes: readonly LinkType[] | undefined;
  useRunCache: boolean;
  signal: AbortSignal;
  verbose: boolean;
  timestamps: boolean;
  write: (text: string) => void;
  /** Receives the event sink, so a signal handler can print "interrupting". */
  emit?: (send: (e: ReproEvent) => void) => void;
  /** A live view instead of printed lines (a terminal): gets every variant's events and progress. */
  view?: SweepView;
}

/** What a live view of a sweep is told; `variant-done` when a variant's record is final. */
export interface SweepView {
  start(variants: { id: string; stages: string[] }[]): void;
  onEvent(variant: string, e: ReproEvent): void;
  variantDone(variant: string, record: VariantRecord): void;
  stop(): Promise<void>;
}

export interface SweepRunResult {
  record: SweepRecord;
  interrupted: boolean;
}

interface PreparedVariant {
  variant: Variant;
  record: VariantRecord;
  root: string;
  ws?: Workspace;
  project?: Project;
  /** The engine's run of this variant's workspace (crash recovery, stages, run record). */
  run?: WorkspaceRun;
  runner?: StageRunner;
  stages: string[];
  done: number;
  started?: number;
  finished?: number;
  stageStatus: Record<string, string>;
}

/**
 * Runs every variant of a sweep in its own workspace under ONE scheduler: nodes are
 * `<variant>/<stage>`, `jobs` and the capacities bound all of them together, the shared
 * BuildCoordinator builds a fingerprint two variants need at once only once, and a variant's
 * failure never stops the others (the scheduler keeps going; only that variant's dependents skip).
 */
export async function runSweep(req: SweepRunRequest): Promise<SweepRunResult> {
  const { main, spec } = req;
  const previous = new Map((req.previous?.variants ?? []).map((v) => [v.id, v]));
  const record: SweepRecord = {
    version: 1,
    name: spec.name,
    ...(spec.desc !== undefined ? { desc: spec.desc } : {}),
    origin: req.origin,
    argv: req.argv,
    ...(req.targets.length > 0 ? { targets: [...req.targets] } : {}),
    ...(spec.columns.length > 0 ? { columns: spec.columns } : {}),
    ...(spec.metricsFiles.length > 0 ? { metricsFiles: spec.metricsFiles } : {}),
    sweptKeys: unique(req.variants.flatMap((v) => v.swept.map((a) => paramKeyLabel(a.key)))),
    derivedKeys: unique(req.variants.flatMap((v) => v.derived.map((a) => paramKeyLabel(a.key)))),
    updated: new Date().toISOString(),
    pid: process.pid,
    variants: req.variants.map((v) => {
      const before = previous.get(v.id);
      return {
        id: v.id,
        params: Object.fromEntries(v.swept.map((a) => [paramKeyLabel(a.key), a.value])),
        derived: Object.fromEntries(v.derived.map((a) => [paramKeyLabel(a.key), a.value])),
        grids: v.grids,
        status: 'pending',
        ...(before?.stageSeconds ? { stageSeconds: before.stageSeconds } : {}),
        ...(before?.metrics ? { metrics: before.metrics } : {}),
      };
    }),
  };
  await mkdir(sweepDir(main.root, spec.name), { recursive: true });
  const writer = new SweepRecordWriter(main.root, record);
  await writer.save();

  const lines = createReproPrinter({ root: main.root, write: req.write, timestamps: req.timestamps, verbose: req.verbose });
  const view = req.view;
  const printer = (e: ReproEvent) => {
    if (!view || e.type === 'interrupting') lines(e);
  };
  const say = (text: string) => {
    if (!view) req.write(`${req.timestamps ? `${new Date().toISOString().slice(11, 19)} ` : ''}${text}\n`);
  };
  req.emit?.(printer);
  const stageRoots = sweepStageRoots(main.root);

  const paramsFiles = new Set(req.variants.flatMap((v) => [...v.swept, ...v.derived].map((a) => a.key.file)));
  const inputs = await listInputFiles(main.root, main.pipeline, paramsFiles);
  const mainStatCache = workspaceLayout(main.root).statCache;
  const runId = newRunId();
  const coordinator = new ExecutionSlots(req.jobs, req.signal);
  // One set of tool probes for the whole sweep (run in the main workspace): 70 variants, one `vivado -version`.
  const toolVersions = new ToolVersions(main.root, runId);

  const prepared: PreparedVariant[] = await mapLimit(req.variants, 4, async (variant, i) => {
    const p: PreparedVariant = { variant, record: record.variants[i]!, root: variantRoot(main.root, spec.name, variant.id), stages: [], done: 0, stageStatus: nullRecord() };
    if (req.signal.aborted) return p;
    const problem = await prepareVariant(p, req, inputs, mainStatCache, runId).catch((e: Error) => `internal error: ${e.message}`);
    if (problem !== undefined) {
      p.record.status = 'failed';
      p.record.error = { message: problem };
      say(`${variant.id}: failed: ${problem.split('\n')[0]}`);
    }
    return p;
  });

  view?.start(prepared.map((p) => ({ id: p.variant.id, stages: p.stages })));
  for (const p of prepared) if (!p.project && p.record.status === 'failed') view?.variantDone(p.variant.id, p.record);
  const byId = new Map(prepared.map((p) => [p.variant.id, p]));
  const order: string[] = [];
  const upstream = new Map<string, string[]>();
  for (const p of prepared) {
    if (!p.project) continue;
    for (const stage of p.stages) {
      const node = `${p.variant.id}/${stage}`;
      order.push(node);
      upstream.set(node, p.project.graph.upstream.get(stage)!.map((e) => `${p.variant.id}/${e.from}`));
    }
  }
  const split = (node: string): [PreparedVariant, string] => {
    const slash = node.indexOf('/');
    return [byId.get(node.slice(0, slash))!, node.slice(slash + 1)];
  };

  let finishedVariants = prepared.filter((p) => !p.project).length;
  const finalize = async (p: PreparedVariant, interrupted: boolean) => {
    if (!p.ws || !p.project) return;
    const statuses = Object.values(p.stageStatus);
    const complete = p.stages.every((s) => ['ran', 'restored', 'up to date'].includes(p.stageStatus[s] ?? ''));
    const all = p.project.graph.order;
    p.record.status = complete ? 'succeeded' : statuses.includes('failed') ? 'failed' : 'interrupted';
    if (p.record.status === 'interrupted' && !interrupted) p.record.error ??= { message: 'stopped before it finished' };
    p.record.finished = new Date().toISOString();
    p.record.stages = Object.fromEntries(all.map((s) => [s, p.stages.includes(s) ? (p.stageStatus[s] ?? 'not run') : 'not selected']));
    if (p.started !== undefined && p.finished !== undefined && statuses.some((s) => s !== 'up to date')) p.record.wallMs = p.finished - p.started;
    if (p.record.status === 'succeeded') delete p.record.error;
    if (p.record.status === 'failed' && p.record.error?.log) {
      const last = await lastLogLine(path.join(req.main.root, p.record.error.log));
      if (last !== undefined) p.record.error.lastLine = last;
    }
    const files = await readMetrics(metricsPaths(p.project.pipeline), workspaceReader(p.root));
    p.record.metrics = { ...mergeMetrics(files), ...(await readTableFiles(spec.metricsFiles, workspaceReader(p.root))) };
    try {
      await (p.run ? p.run.closeStages() : p.ws.lock.flush());
    } catch (e) {
      p.record.status = 'failed';
      p.record.error = { message: `could not write pipeline.lock: ${(e as Error).message}` };
    }
    await closeWorkspace(p.ws);
    await p.run?.finishRecord(p.record.status === 'succeeded' ? 'succeeded' : p.record.status === 'failed' ? 'failed' : 'interrupted');
    finishedVariants++;
    view?.variantDone(p.variant.id, p.record);
    const summary = p.run?.summary() ?? '';
    const took = p.record.wallMs !== undefined && statuses.some((s) => s !== 'up to date') ? ` in ${duration(p.record.wallMs)}` : '';
    say(`[${finishedVariants}/${prepared.length}] ${p.variant.id}: ${p.record.status} (${summary})${took}`);
    await writer.save();
  };

  const options: ReproOptions = { force: req.force, jobs: req.jobs, keepGoing: true, useRunCache: req.useRunCache, signal: req.signal, coordinator };
  const result = await schedule(
    order,
    upstream,
    async (node) => {
      const [p, stage] = split(node);
      p.started ??= Date.now();
      if (p.record.status === 'pending') {
        p.record.status = 'running';
        p.record.started = new Date().toISOString();
        void writer.save();
      }
      const outcome = await p.runner!.run(stage, options);
      p.finished = Date.now();
      if (outcome !== 'restart') p.done++;
      // A variant whose every stage finished is reported now; one with skipped dependents at the end.
      if (p.done === p.stages.length) await finalize(p, false);
      return outcome;
    },
    {
      // -j is enforced by ExecutionSlots when a stage executes; planning, restores and waiting for
      // a twin build need no slot, so every ready node may start.
      jobs: Math.max(req.jobs, order.length),
      keepGoing: true,
      signal: req.signal,
      resources: {
        capacity: req.capacity,
        demand: (node) => {
          const [p, stage] = split(node);
          return stageDemand(p.project!.graph.stages.get(stage)!);
        },
      },
    },
  );
  for (const [node, why] of result.notStarted) {
    const [p, stage] = split(node);
    p.run?.record({ type: 'stage-not-started', stage, why });
    p.stageStatus[stage] = 'not run';
    if (why.reason === 'upstream-failed') printer({ type: 'stage-not-started', stage: node, why: { ...why, upstream: `${p.variant.id}/${why.upstream}` } });
  }
  const interrupted = req.signal.aborted;
  for (const p of prepared) if (p.project && p.record.finished === undefined) await finalize(p, interrupted);
  if (interrupted) for (const p of prepared) if (!p.project && p.record.status === 'pending') p.record.status = 'interrupted';
  delete record.pid;
  await writer.save();
  await view?.stop();
  return { record, interrupted };

  async function prepareVariant(
    p: PreparedVariant,
    r: SweepRunRequest,
    inputFiles: string[],
    statCacheFile: string,
    runId: string,
  ): Promise<string | undefined> {
    await mkdir(p.root, { recursive: true });
    await syncInputs(r.main.root, p.root, inputFiles);
    for (const [file, assignments] of byFile([...p.variant.swept, ...p.variant.derived])) {
      const text = await readFile(path.join(r.main.root, file), 'utf8').catch(() => '');
      const edited = editParamsText(file, text, assignments);
      if (!edited.ok) return edited.error;
      const dest = path.join(p.root, file);
      const current = await readFile(dest, 'utf8').catch(() => undefined);
      if (current !== edited.value) {
        await mkdir(path.dirname(dest), { recursive: true });
        await writeFileAtomic(dest, edited.value, { durable: false });
      }
    }
    // Linked inputs share inodes with the main workspace, so its stat cache saves rehashing them.
    const ownStatCache = workspaceLayout(p.root).statCache;
    if (!(await stat(ownStatCache).catch(() => undefined))) {
      await mkdir(path.dirname(ownStatCache), { recursive: true });
      await copyFile(statCacheFile, ownStatCache).catch(() => undefined);
    }

    const loaded = loadProject(p.root);
    if (!loaded.ok) return `invalid pipeline for this variant:\n${loaded.error.diagnostics.map((d) => renderDiagnostic(d, loaded.error.files)).join('\n')}`;
    const project = loaded.value;
    const stages = project.graph.order.map((n) => project.graph.stages.get(n)!);
    const problems = staticChecks(stages, r.executors, r.capacity);
    if (problems.length > 0) return problems.map((d) => renderDiagnostic(d, project.files)).join('\n');
    const cache = cacheLocation(r.main.root);
    if (!cache.ok) return cache.error.map((d) => d.message).join('\n');
    const opened = await openWorkspace(p.root, { cacheDir: cache.value.dir, cacheShared: cache.value.shared, linkTypes: r.linkTypes, dvcLock: 'off' });
    if (!opened.ok) return opened.error.map((d) => d.message).join('\n');
    const ws = opened.value;
    // Holding the sweep lock, every running marker in a variant workspace is a dead run's: the same
    // recovery as repro's, so an execution still running (a Slurm job, a local stage) is adopted.
    const selected = selectStages(project.graph, r.targets);
    if (!selected.ok) return selected.error.map((d) => d.message).join('\n');
    const run = await WorkspaceRun.open({ ws, pipeline: project.pipeline, graph: project.graph, selected: selected.value, executors: r.executors, argv: r.argv, runId, toolVersions, stageRoots });
    await run.recover();
    const onEvent = (e: ReproEvent) => {
      if (e.type === 'interrupting') return;
      const status = stageStatusOf(e);
      if (status) p.stageStatus[e.stage] = status;
      if (e.type === 'stage-succeeded') (p.record.stageSeconds ??= nullRecord())[e.stage] = Math.round(e.durationMs / 10) / 100;
      view?.onEvent(p.variant.id, e);
      if (e.type === 'stage-failed' && !p.record.error) {
        const exitCode = e.failure.kind === 'exit-code' ? e.failure.code : undefined;
        p.record.error = { stage: e.stage, message: describeFailure(e.failure), ...(exitCode !== undefined ? { exitCode } : {}), ...(e.logFile ? { log: path.relative(r.main.root, e.logFile) } : {}) };
      }
      printer({ ...e, stage: `${p.variant.id}/${e.stage}` } as ReproEvent);
    };
    p.ws = ws;
    p.project = project;
    p.run = run;
    p.stages = selected.value;
    p.runner = run.stages(onEvent);
    return undefined;
  }
}

function stageStatusOf(e: ReproEvent): string | undefined {
  switch (e.type) {
    case 'stage-skipped':
      return 'up to date';
    case 'stage-restored':
      return 'restored';
    case 'stage-succeeded':
      return 'ran';
    case 'stage-failed':
      return 'failed';
    case 'stage-cancelled':
      return 'cancelled';
    default:
      return undefined;
  }
}

/** The last line a stage's command wrote (the orchestrator's own `# ...` lines skipped). */
async function lastLogLine(file: string): Promise<string | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const lines = text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('# ') && !l.startsWith('$ '));
  return lines.at(-1)?.slice(0, 500);
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
