import { rm } from 'node:fs/promises';
import path from 'node:path';
import { closestMatch } from '../../config/did-you-mean.js';
import { createExecutors } from '../../exec/registry.js';
import { DataFiles, lookupDotted } from '../../resolve/params-files.js';
import { preflight } from '../../engine/preflight.js';
import { selectStages } from '../../graph/select.js';
import { resolveCapacity } from '../../schedule/capacity.js';
import { applyVariantOutputs } from '../../sweep/apply.js';
import { parseParamKey, parseSetArgument } from '../../sweep/axis.js';
import { chooseColumns, failureText, filterRows, findColumn, findPick, gridRows, parseWhere, pivot, resultTable, sortRows, toTable, type BaselineValues, type Column, type ColumnPick } from '../../sweep/results.js';
import { mergeMetrics, metricsPaths, readMetrics, readTableFiles, workspaceReader } from '../../sweep/metrics-files.js';
import { runSweep } from '../../sweep/run-sweep.js';
import { writeParams } from '../../sweep/set-params.js';
import { commandLineSweep, commandLineSweepName, declaredSweeps, expandSweep, withExtraAxes, type Axis, type SweepSpec, type Variant } from '../../sweep/spec.js';
import { listSweeps, readSweep, sweepDir, variantRoot, type SweepRecord } from '../../sweep/state.js';
import { renderCsv, renderMarkdown, renderText } from '../../sweep/table.js';
import { holdWorkspaceLock, takeLock, withExclusiveWorkspace } from '../exclusive-workspace.js';
import { EXIT, type Io } from '../io.js';
import { machineCapacity } from '../machine.js';
import { cacheLinkTypes, loadProject, report, type Project } from '../project.js';
import { handleInterrupts } from '../interrupt.js';

export interface SweepRunFlags {
  set: string[];
  /** Stop at these stages (and their upstream) in every variant. */
  targets: string[];
  force: boolean;
  jobs: number;
  resources: Record<string, number>;
  runCache: boolean;
  wait: boolean;
  verbose: boolean;
  dry: boolean;
  json: boolean;
}

/** The sweep a `sweep run`/`--dry` means: a declared one (plus -S axes), or the -S axes alone. */
function sweepToRun(project: Project, name: string | undefined, sets: readonly string[], io: Io): { spec: SweepSpec; origin: SweepRecord['origin'] } | number {
  const declared = declaredSweeps(project.files);
  if (!declared.ok) return report(declared.error, project.files, io);
  const axes: Axis[] = [];
  for (const arg of sets) {
    const parsed = parseSetArgument(arg);
    if (!parsed.ok) {
      io.err(`error: ${parsed.error}\n`);
      return EXIT.invalid;
    }
    axes.push({ key: parsed.value.key, values: parsed.value.values });
  }
  const spec = name === undefined ? undefined : declared.value.specs.get(name);
  if (spec) return { spec: withExtraAxes(spec, axes), origin: 'pipeline' };
  if (axes.length === 0) {
    const names = [...declared.value.specs.keys()];
    if (name === undefined) io.err(`error: name a sweep${names.length > 0 ? ` (${names.join(', ')})` : ''} or give axes with -S key=values\n`);
    else {
      const near = closestMatch(name, names);
      io.err(`error: no sweep "${name}" in pipeline.yaml${near ? ` (did you mean "${near}"?)` : ''}; declare it under sweeps: or give axes with -S\n`);
    }
    return EXIT.invalid;
  }
  if (name !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name)) {
    io.err(`error: sweep name "${name}": use letters, digits, _ . -\n`);
    return EXIT.invalid;
  }
  return { spec: commandLineSweep(name ?? commandLineSweepName(axes), axes), origin: 'command-line' };
}

export async function sweepRunCommand(root: string, name: string | undefined, flags: SweepRunFlags, io: Io): Promise<number> {
  const project = loadProject(root, io);
  if (typeof project === 'number') return project;
  const chosen = sweepToRun(project, name, flags.set, io);
  if (typeof chosen === 'number') return chosen;
  const { spec, origin } = chosen;
  const expanded = expandSweep(spec, new DataFiles(project.files));
  if (!expanded.ok) return report(expanded.error, project.files, io);
  const variants = expanded.value;
  const targets = selectStages(project.graph, flags.targets);
  if (!targets.ok) return report(targets.error, project.files, io);

  if (flags.dry) {
    const rows = variants.map((v) => ({ id: v.id, grids: v.grids, params: Object.fromEntries([...v.swept, ...v.derived].map((a) => [a.key.file === 'params.yaml' ? a.key.key : `${a.key.file}:${a.key.key}`, a.value])) }));
    if (flags.json) io.out(`${JSON.stringify({ sweep: spec.name, variants: rows }, null, 2)}\n`);
    else {
      const keys = [...new Set(rows.flatMap((r) => Object.keys(r.params)))];
      io.out(`${renderText({ columns: ['variant', ...keys], rows: rows.map((r) => [r.id, ...keys.map((k) => r.params[k])]) })}\n`);
      io.out(`${rows.length} variant${rows.length === 1 ? '' : 's'} in sweep ${spec.name}; nothing was run (--dry).\n`);
    }
    return EXIT.ok;
  }

  const linkTypes = cacheLinkTypes(project, io);
  if (typeof linkTypes === 'number') return linkTypes;
  const capacity = resolveCapacity(machineCapacity(), project.pipeline.resources, flags.resources);
  const executors = createExecutors();
  const problems = await preflight(project.pipeline.stages, executors, capacity);
  if (problems.length > 0) return report(problems, project.files, io);

  const lock = await takeLock(path.join(sweepDir(root, spec.name), 'sweep.lock'), 'sweep', io, {
    wait: flags.wait,
    onWait: (o) => io.err(`Sweep ${spec.name} is running (pid ${o.pid}, since ${o.since}); waiting for it to finish...\n`),
  });
  if (typeof lock === 'number') return lock;
  if (!lock.ok) {
    io.err(`error: sweep ${spec.name} is already running (pid ${lock.owner.pid}, since ${lock.owner.since})\n`);
    return EXIT.invalid;
  }
  try {
    // The main workspace's lock too, for the whole sweep: its cache is every variant's, so gc,
    // repro and checkout there wait. Taken after the sweep's own lock (never the other way round
    // anywhere), so two commands cannot each hold one and wait for the other.
    return await holdWorkspaceLock(project, io, { wait: flags.wait }, () => runLocked(project, spec, origin, variants, executors, capacity, linkTypes, flags, io));
  } finally {
    await lock.release();
  }
}

async function runLocked(
  project: Project,
  spec: SweepSpec,
  origin: SweepRecord['origin'],
  variants: Variant[],
  executors: ReturnType<typeof createExecutors>,
  capacity: Record<string, number>,
  linkTypes: Exclude<ReturnType<typeof cacheLinkTypes>, number>,
  flags: SweepRunFlags,
  io: Io,
): Promise<number> {
  const { root } = project;
  const interruption = handleInterrupts(executors.values());
  try {
    io.out(`sweep ${spec.name}: ${variants.length} variant${variants.length === 1 ? '' : 's'}, up to ${flags.jobs} stage${flags.jobs === 1 ? '' : 's'} at once\n`);
    const view = io.isTTY && !flags.verbose ? await (await import('../../ui/sweep-view.js')).createSweepView(io.out) : undefined;
    const { record, interrupted } = await runSweep({
      main: project,
      spec,
      variants,
      targets: flags.targets,
      force: flags.force,
      ...(view ? { view } : {}),
      origin,
      previous: await readSweep(root, spec.name),
      argv: process.argv.slice(2),
      executors,
      jobs: flags.jobs,
      capacity,
      linkTypes,
      useRunCache: flags.runCache,
      signal: interruption.signal,
      verbose: flags.verbose,
      timestamps: !io.isTTY,
      write: io.out,
      emit: interruption.report,
    });
    const count = (s: string) => record.variants.filter((v) => v.status === s).length;
    const parts = (['succeeded', 'failed', 'interrupted', 'pending'] as const).map((s) => [count(s), s] as const).filter(([n]) => n > 0);
    io.out(`sweep ${spec.name}: ${parts.map(([n, s]) => `${n} ${s}`).join(', ')}; results: orchestrator sweep show ${spec.name}\n`);
    if (interrupted) return EXIT.interrupted;
    return count('succeeded') === record.variants.length ? EXIT.ok : EXIT.failed;
  } finally {
    interruption.dispose();
  }
}

export interface SweepShowFlags {
  json: boolean;
  csv: boolean;
  md: boolean;
  /** Sort keys in order; `COLUMN:desc` sorts that one descending. */
  sortBy: string[];
  desc: boolean;
  only?: string[];
  where?: string;
  pivot?: [string, string, string];
  grid?: string;
  baseline: boolean;
  variantColumn: boolean;
}

/** The named sweep's record, or the most recently run one when no name is given. */
async function recordFor(root: string, name: string | undefined, io: Io): Promise<SweepRecord | number> {
  if (name !== undefined) {
    const record = await readSweep(root, name);
    if (record) return record;
    const near = closestMatch(name, (await listSweeps(root)).map((r) => r.name));
    io.err(`error: sweep "${name}" has not run here${near ? ` (did you mean "${near}"?)` : ''}; start it with orchestrator sweep run ${name}\n`);
    return EXIT.invalid;
  }
  const all = await listSweeps(root);
  if (all.length === 0) {
    io.err('error: no sweep has run here yet (orchestrator sweep run NAME)\n');
    return EXIT.invalid;
  }
  return all.sort((a, b) => a.updated.localeCompare(b.updated)).pop()!;
}

export async function sweepShowCommand(root: string, name: string | undefined, flags: SweepShowFlags, io: Io): Promise<number> {
  const record = await recordFor(root, name, io);
  if (typeof record === 'number') return record;
  const usage = (message: string) => {
    io.err(`error: ${message}\n`);
    return EXIT.invalid;
  };
  const baseline = flags.baseline ? await baselineValues(root, record, io) : undefined;
  if (typeof baseline === 'number') return baseline;
  let table = resultTable(record, baseline ? { baseline } : {});
  if (flags.grid !== undefined) {
    const grids = [...new Set(record.variants.flatMap((v) => v.grids ?? []))];
    if (!grids.includes(flags.grid)) {
      const near = closestMatch(flags.grid, grids);
      return usage(`sweep ${record.name} has no grid "${flags.grid}"${near ? ` (did you mean "${near}"?)` : ''}; grids: ${grids.join(', ') || 'none'}`);
    }
    table = gridRows(table, flags.grid);
  }
  if (flags.where !== undefined) {
    const conditions = parseWhere(table, flags.where);
    if (!conditions.ok) return usage(conditions.error);
    table = filterRows(table, conditions.value);
  }
  const sortKeys: { column: Column; descending: boolean }[] = [];
  for (const key of flags.sortBy) {
    const m = /^(.*?)(?::(asc|desc))?$/.exec(key)!;
    const column = findColumn(table, m[1]!);
    if (!column.ok) return usage(`--sort-by: ${column.error}`);
    sortKeys.push({ column: column.value, descending: m[2] === undefined ? flags.desc : m[2] === 'desc' });
  }
  table = sortRows(table, sortKeys);

  if (flags.pivot) {
    const keys: Column[] = [];
    for (const k of flags.pivot) {
      const column = findColumn(table, k);
      if (!column.ok) return usage(`--pivot: ${column.error}`);
      keys.push(column.value);
    }
    const pivoted = pivot(table, keys[0]!, keys[1]!, keys[2]!);
    if (!pivoted.ok) return usage(pivoted.error);
    const p = pivoted.value;
    const plain = { columns: p.columns.map((c) => c.label), rows: p.rows };
    if (flags.json) {
      const doc = { sweep: record.name, pivot: { rows: p.rowKey.key, columns: p.colKey.key, value: p.valueKey.key }, columnValues: p.columns.slice(1).map((c) => c.value), rows: p.rows.map((r) => ({ key: r[0], values: r.slice(1) })) };
      io.out(`${JSON.stringify(doc, null, 2)}\n`);
    } else io.out(`${flags.csv ? renderCsv(plain) : flags.md ? renderMarkdown(plain) : renderText(plain)}\n`);
    return EXIT.ok;
  }

  const picks: ColumnPick[] = [];
  for (const key of flags.only ?? []) {
    const pick = findPick(table, key);
    if (!pick.ok) return usage(`--only: ${pick.error}`);
    picks.push(pick.value);
  }
  const columns = chooseColumns(table, picks.length > 0 ? picks : undefined, { hideVariant: !flags.variantColumn });
  const plain = toTable(table, columns);
  if (flags.json) {
    const byId = new Map(record.variants.map((v) => [v.id, v]));
    const variants = table.rows.filter((r) => !r.baseline).map((r) => {
      const v = byId.get(r.variant)!;
      const duration = r.values.duration;
      return { id: v.id, status: r.status, grids: v.grids ?? [], duration_s: typeof duration === 'number' ? duration : null, stage_seconds: v.stageSeconds ?? {}, params: v.params, derived: v.derived, metrics: v.metrics ?? {}, stages: v.stages ?? {}, ...(v.error ? { error: { ...v.error, reason: failureText(v.error) } } : {}) };
    });
    const doc = {
      sweep: record.name,
      ...(record.desc ? { desc: record.desc } : {}),
      origin: record.origin,
      updated: record.updated,
      columns: plain.columns,
      columnInfo: columns,
      rows: plain.rows.map((r) => Object.fromEntries(plain.columns.map((c, i) => [c, r[i] ?? null]))),
      variants,
      ...(baseline ? { baseline: { params: baseline.params, metrics: baseline.metrics } } : {}),
    };
    io.out(`${JSON.stringify(doc, null, 2)}\n`);
    return EXIT.ok;
  }
  if (flags.csv) {
    io.out(`${renderCsv(plain)}\n`);
    return EXIT.ok;
  }
  if (flags.md) {
    io.out(`${renderMarkdown(plain)}\n`);
    return EXIT.ok;
  }
  // On the terminal, seconds carry their unit, and failures are told under the table (with the log)
  // rather than in a wide column, unless --only asked for it.
  const shown = picks.length > 0 ? columns : columns.filter((c) => c.key !== 'error');
  const text = toTable(table, shown);
  const withUnits = { columns: text.columns, rows: text.rows.map((r) => r.map((c, i) => (shown[i]!.unit === 's' && typeof c === 'number' ? `${c}s` : c))) };
  io.out(`${renderText(withUnits)}\n`);
  for (const r of table.rows.filter((x) => x.status === 'failed')) {
    const error = record.variants.find((v) => v.id === r.variant)?.error;
    if (error) io.out(`${r.variant}: failed: ${failureText(error)}${error.log ? `, log: ${error.log}` : ''}\n`);
  }
  return EXIT.ok;
}

/** The main workspace's values for the sweep's keys and its metrics (the `--baseline` row). */
async function baselineValues(root: string, record: SweepRecord, io: Io): Promise<BaselineValues | number> {
  const project = loadProject(root, io);
  if (typeof project === 'number') return project;
  const data = new DataFiles(project.files);
  const params: Record<string, unknown> = {};
  for (const label of [...record.sweptKeys, ...record.derivedKeys]) {
    const key = parseParamKey(label);
    if (!key.ok) continue;
    const loaded = data.load(key.value.file);
    if (!loaded.ok) continue;
    const found = lookupDotted(loaded.value.value, key.value.key);
    if (found.ok) params[label] = found.value;
  }
  const read = workspaceReader(root);
  const metrics = { ...mergeMetrics(await readMetrics(metricsPaths(project.pipeline), read)), ...(await readTableFiles(record.metricsFiles ?? [], read)) };
  return { params, metrics };
}

export async function sweepListCommand(root: string, flags: { json: boolean }, io: Io): Promise<number> {
  const project = loadProject(root, io);
  if (typeof project === 'number') return project;
  const declared = declaredSweeps(project.files);
  if (!declared.ok) return report(declared.error, project.files, io);
  const records = new Map((await listSweeps(root)).map((r) => [r.name, r]));
  const names = [...new Set([...declared.value.specs.keys(), ...records.keys()])];
  const items = names.map((name) => {
    const r = records.get(name);
    const table = r ? resultTable(r) : undefined;
    const count = (s: string) => table?.rows.filter((row) => row.status === s).length ?? 0;
    return {
      name,
      declared: declared.value.specs.has(name),
      ...(declared.value.specs.get(name)?.desc ? { desc: declared.value.specs.get(name)!.desc } : {}),
      run: r !== undefined,
      variants: r?.variants.length ?? 0,
      succeeded: count('succeeded'),
      failed: count('failed'),
      unfinished: count('interrupted') + count('pending') + count('running'),
      ...(r ? { updated: r.updated } : {}),
    };
  });
  if (flags.json) {
    io.out(`${JSON.stringify({ sweeps: items }, null, 2)}\n`);
    return EXIT.ok;
  }
  if (items.length === 0) {
    io.out('No sweeps: declare one under sweeps: in pipeline.yaml, or run orchestrator sweep run -S key=a,b\n');
    return EXIT.ok;
  }
  const rows = items.map((i) => [i.name, i.declared ? 'pipeline.yaml' : 'command line', i.run ? i.variants : undefined, i.run ? i.succeeded : undefined, i.run ? i.failed : undefined, i.run ? i.unfinished : undefined, i.updated ?? 'never run']);
  io.out(`${renderText({ columns: ['sweep', 'from', 'variants', 'succeeded', 'failed', 'unfinished', 'updated'], rows })}\n`);
  return EXIT.ok;
}

export async function sweepApplyCommand(root: string, name: string, variant: string, flags: { json: boolean }, io: Io): Promise<number> {
  const project = loadProject(root, io);
  if (typeof project === 'number') return project;
  const record = await recordFor(root, name, io);
  if (typeof record === 'number') return record;
  const v = record.variants.find((x) => x.id === variant);
  if (!v) {
    const near = closestMatch(variant, record.variants.map((x) => x.id));
    io.err(`error: sweep ${name} has no variant "${variant}"${near ? ` (did you mean "${near}"?)` : ''}\n`);
    return EXIT.invalid;
  }
  if (v.status !== 'succeeded') {
    io.err(`error: variant ${variant} of sweep ${name} has not succeeded (${v.status}); rerun the sweep first\n`);
    return EXIT.invalid;
  }
  const assignments = Object.entries({ ...v.params, ...v.derived }).map(([label, value]) => {
    const key = parseParamKey(label);
    if (!key.ok) throw new Error(`sweep record: bad key ${label}`);
    return { key: { ...key.value, add: true }, value };
  });
  return withExclusiveWorkspace(project, io, { wait: true }, async (ws) => {
    const written = await writeParams(root, assignments);
    if (!written.ok) {
      io.err(`error: ${written.error}\n`);
      return EXIT.invalid;
    }
    // The params changed: resolve the pipeline again, as the variant saw it.
    const applied = loadProject(root, io);
    if (typeof applied === 'number') return applied;
    const outcome = await applyVariantOutputs(ws, applied.pipeline, variantRoot(root, record.name, variant));
    if (!outcome.ok) {
      io.err(`error: ${outcome.error}\n`);
      return EXIT.failed;
    }
    if (flags.json) {
      io.out(`${JSON.stringify({ sweep: record.name, variant, paramsFiles: written.value, ...outcome.value }, null, 2)}\n`);
      return EXIT.ok;
    }
    io.out(`Applied variant ${variant} of sweep ${record.name}: ${assignments.length} param${assignments.length === 1 ? '' : 's'} written${written.value.length > 0 ? ` to ${written.value.join(', ')}` : ' (already set)'}, ${outcome.value.restored.length} stage${outcome.value.restored.length === 1 ? '' : 's'} restored from the cache.\n`);
    const why = { 'not-built': 'the variant has no lock entry for it', 'not-in-cache': 'its outputs are not in the cache' };
    for (const r of outcome.value.rebuild) io.out(`${r.stage}: not restored (${why[r.why]}); run orchestrator repro to build it here\n`);
    return EXIT.ok;
  });
}

export async function sweepRmCommand(root: string, name: string, flags: { wait: boolean }, io: Io): Promise<number> {
  const dir = sweepDir(root, name);
  if (!(await readSweep(root, name))) {
    const near = closestMatch(name, (await listSweeps(root)).map((r) => r.name));
    io.err(`error: sweep "${name}" has not run here${near ? ` (did you mean "${near}"?)` : ''}; nothing to remove\n`);
    return EXIT.invalid;
  }
  const lock = await takeLock(path.join(dir, 'sweep.lock'), 'sweep', io, { wait: flags.wait });
  if (typeof lock === 'number') return lock;
  if (!lock.ok) {
    io.err(`error: sweep ${name} is running (pid ${lock.owner.pid}); stop it first\n`);
    return EXIT.invalid;
  }
  await rm(dir, { recursive: true, force: true });
  io.out(`Removed sweep ${name} (its workspaces; cached outputs stay until orchestrator gc).\n`);
  return EXIT.ok;
}
