import path from 'node:path';
import type { Diagnostic, SourceSpan } from '../model/diagnostic.js';
import { err, ok, type Result } from '../model/result.js';
import type { ContainerSpec, DepSpec, OutKind, OutSpec, ParamValue, PlotProps, SlurmSpec, Stage } from '../model/stage.js';
import { keySpanAt, spanAt, type YamlPath, type YamlSource } from '../config/yaml-document.js';
import type { Defaults, StageBody } from '../config/schema.js';
import { pathString } from '../config/zod-diagnostics.js';
import { lookupDotted, pointAt, type DataFiles } from './params-files.js';
import type { StageInstance } from './expand.js';
import { excerpt, pathProblem } from './limits.js';

/** What resolve returns per stage (Slurm settings are `Stage.slurm`). */
export type ResolvedStage = Stage;

interface Context {
  instance: StageInstance;
  source: YamlSource;
  data: DataFiles;
  diagnostics: Diagnostic[];
}

/** Turns a templated, validated stage body into a `Stage` with root-relative POSIX paths and params values. */
export function normalizeStage(
  instance: StageInstance,
  body: StageBody,
  defaults: Defaults,
  source: YamlSource,
  data: DataFiles,
  base = '.',
): Result<ResolvedStage, Diagnostic[]> {
  const ctx: Context = { instance, source, data, diagnostics: [] };
  const at = (...rest: YamlPath) => [...instance.bodyPath, ...rest];
  const wdir = workspacePath(ctx, base, body.wdir ?? '.', at('wdir')) ?? base;
  const deps: DepSpec[] = [];
  (body.deps ?? []).forEach((dep, i) => {
    const resolved = workspacePath(ctx, wdir, dep, at('deps', i));
    if (resolved !== undefined) deps.push({ path: resolved, span: spanAt(source, at('deps', i)) });
  });
  const outs = [
    ...outputs(ctx, wdir, body.outs, 'outs', 'out'),
    ...outputs(ctx, wdir, body.metrics, 'metrics', 'metric'),
    ...outputs(ctx, wdir, body.plots, 'plots', 'plot'),
  ];
  const params = paramValues(ctx, wdir, body.params ?? []);
  if (ctx.diagnostics.length > 0) return err(ctx.diagnostics);

  const stage: ResolvedStage = {
    name: instance.name,
    cmd: typeof body.cmd === 'string' ? commandLines(body.cmd) : body.cmd,
    wdir,
    deps,
    params,
    outs,
    env: { ...stringValues(defaults.env), ...stringValues(body.env) },
    executor: body.executor ?? defaults.executor ?? 'local',
    resources: { ...body.resources },
    alwaysChanged: body.always_changed ?? false,
    frozen: body.frozen ?? false,
    absolutePaths: body.absolute_paths ?? false,
    span: keySpanAt(source, ['stages', instance.templateName]),
  };
  const container = mergeContainer(defaults.container, body.container);
  if (container) stage.container = container;
  const slurm = mergeSlurm(defaults.slurm, body.slurm);
  if (slurm) stage.slurm = slurm;
  const tools = { ...defaults.tools, ...body.tools };
  if (Object.keys(tools).length > 0) stage.tools = tools;
  if (body.desc !== undefined) stage.desc = body.desc;
  return ok(stage);
}

/**
 * A `cmd` string runs line by line, stopping at the first failing line, as DVC's `cmd.splitlines()`
 * (dvc/stage/run.py); a list is taken as written. Line breaks as Python's `str.splitlines`.
 */
export function commandLines(cmd: string): string[] {
  const lines = cmd.split(/\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/);
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Joins `p` onto the stage's wdir and normalizes; reports paths that leave the workspace. */
function workspacePath(ctx: Context, wdir: string, p: string, where: YamlPath): string | undefined {
  const fail = (why: string) => {
    ctx.diagnostics.push({ code: 'path-escapes-workspace', message: `${pathString(where)}: ${why}`, span: spanAt(ctx.source, where) });
    return undefined;
  };
  const problem = pathProblem(p);
  if (problem !== undefined) {
    ctx.diagnostics.push({ code: 'invalid-path', message: `${pathString(where)}: "${excerpt(p)}" ${problem}`, span: spanAt(ctx.source, where) });
    return undefined;
  }
  if (path.posix.isAbsolute(p) || /^[A-Za-z]:[\\/]/.test(p)) return fail(`"${excerpt(p)}" is an absolute path; use a path inside the workspace`);
  let joined = path.posix.normalize(path.posix.join(wdir, p));
  if (joined.length > 1 && joined.endsWith('/')) joined = joined.slice(0, -1);
  if (joined === '..' || joined.startsWith('../')) return fail(`"${excerpt(p)}" is outside the workspace`);
  return joined;
}

type OutputFlags = { cache?: boolean; persist?: boolean } & PlotProps;
type OutputEntry = string | Record<string, OutputFlags | OutputFlags[]>;

/** A plot's list of property sets (DVC allows several) is cached unless one says otherwise. */
function flagsOf(options: OutputFlags | OutputFlags[]): OutputFlags {
  if (!Array.isArray(options)) return options;
  return {
    cache: options.every((o) => o.cache !== false),
    persist: options.some((o) => o.persist === true),
  };
}

const PLOT_KEYS = ['x', 'y', 'template', 'title', 'x_label', 'y_label', 'header'] as const;

/** The plot properties of each set that has any (flags such as `cache` are not plot properties). */
function plotProps(options: OutputFlags | OutputFlags[]): PlotProps[] {
  return (Array.isArray(options) ? options : [options]).flatMap((o) => {
    const props = Object.fromEntries(PLOT_KEYS.filter((k) => o[k] !== undefined).map((k) => [k, o[k]])) as PlotProps;
    return Object.keys(props).length > 0 ? [props] : [];
  });
}

function outputs(ctx: Context, wdir: string, entries: OutputEntry[] | undefined, field: string, kind: OutKind): OutSpec[] {
  const specs: OutSpec[] = [];
  (entries ?? []).forEach((entry, i) => {
    const [declared, raw] = typeof entry === 'string' ? [entry, {}] : (Object.entries(entry)[0] ?? ['', {}]);
    const options = flagsOf(raw);
    const where = [...ctx.instance.bodyPath, field, i];
    const resolved = workspacePath(ctx, wdir, declared, where);
    if (resolved === undefined) return;
    const span = typeof entry === 'string' ? spanAt(ctx.source, where) : keySpanAt(ctx.source, [...where, declared]);
    const plot = kind === 'plot' ? plotProps(raw) : [];
    specs.push({ path: resolved, kind, cache: options.cache ?? true, persist: options.persist ?? false, ...(plot.length > 0 ? { plot } : {}), span });
  });
  return specs;
}

function paramValues(ctx: Context, wdir: string, entries: NonNullable<StageBody['params']>): ParamValue[] {
  const values: ParamValue[] = [];
  const where = (...rest: YamlPath) => [...ctx.instance.bodyPath, 'params', ...rest];
  entries.forEach((entry, i) => {
    if (typeof entry === 'string') {
      const span = spanAt(ctx.source, where(i));
      bind(ctx, values, workspacePath(ctx, wdir, 'params.yaml', where(i)), entry, span, span);
      return;
    }
    for (const [file, keys] of Object.entries(entry)) {
      const resolved = workspacePath(ctx, wdir, file, where(i, file));
      const fileSpan = keySpanAt(ctx.source, where(i, file));
      if (keys === null || keys.length === 0) bind(ctx, values, resolved, '', fileSpan, fileSpan);
      else keys.forEach((key, j) => bind(ctx, values, resolved, key, spanAt(ctx.source, where(i, file, j)), fileSpan));
    }
  });
  return values;
}

/** Reads one params value; `key` '' means the whole file. File problems point at `fileSpan`. */
function bind(ctx: Context, values: ParamValue[], file: string | undefined, key: string, span: SourceSpan, fileSpan: SourceSpan): void {
  if (file === undefined) return;
  const loaded = ctx.data.load(file);
  if (!loaded.ok) {
    ctx.diagnostics.push(...pointAt(loaded.error, fileSpan));
    return;
  }
  const document = loaded.value.value ?? {};
  if (key === '') {
    values.push({ file, key, value: document, span });
    return;
  }
  const found = lookupDotted(document, key);
  if (found.ok) values.push({ file, key, value: found.value, span });
  else ctx.diagnostics.push({ code: 'missing-param', message: `param "${key}" not found in ${file}${found.error}`, span });
}

function stringValues(env: Record<string, string | number | boolean> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(env ?? {}).map(([k, v]) => [k, String(v)]));
}

/** Stage container fields override the defaults one by one; `env` merges key by key. */
function mergeContainer(base: Defaults['container'], own: StageBody['container']): ContainerSpec | undefined {
  if (!base && !own) return undefined;
  const merged: ContainerSpec = {};
  for (const [key, value] of Object.entries({ ...base, ...own })) if (value !== undefined) merged[key] = value;
  if (base?.env || own?.env) merged.env = { ...stringValues(base?.env), ...stringValues(own?.env) };
  return merged;
}

/** Stage slurm fields override the defaults one by one (a stage's `sbatch_args` or `setup` replaces the default's). */
function mergeSlurm(base: Defaults['slurm'], own: StageBody['slurm']): SlurmSpec | undefined {
  if (!base && !own) return undefined;
  const merged: SlurmSpec = {};
  for (const [key, value] of Object.entries({ ...base, ...own })) if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
  return merged;
}
