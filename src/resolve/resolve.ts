import path from 'node:path';
import type { Diagnostic } from '../model/diagnostic.js';
import { err, ok, type Result } from '../model/result.js';
import type { Pipeline } from '../model/stage.js';
import type { SourceSpan } from '../model/diagnostic.js';
import { keySpanAt, spanAt, type YamlSource } from '../config/yaml-document.js';
import { defaultsSchema, pipelineFileSchema, stageBodySchema, type Defaults } from '../config/schema.js';
import { kindOf, validateAt } from '../config/zod-diagnostics.js';
import { interpolateTree, interpolationDiagnostic } from './interpolate.js';
import { isMapping, type DataFiles } from './params-files.js';
import { buildContext, fullyLoadedFiles, stageContext } from './vars.js';
import { inertStageKeys, inertTopLevelKeys } from './inert-keys.js';
import { interpolateString } from './interpolate.js';
import { scalarToString } from './cmd-unpack.js';
import { expandStage } from './expand.js';
import { normalizeStage, type ResolvedStage } from './normalize.js';
import type { Scope } from './expression.js';
import { excerpt, MAX_STAGES, stageNameProblem } from './limits.js';
import { findProtectedOutputs } from './protected-outputs.js';
import { findReservedKeys } from './reserved-keys.js';

export interface ResolveOptions {
  /** What `${env.NAME}` reads; the caller injects it (the CLI passes process.env). Default: empty. */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Root-relative folder of the pipeline file (`.` at the root): its wdir, deps, outs, params and
   * vars paths start there, as DVC resolves each dvc.yaml against its own folder.
   */
  base?: string;
  /** Put before every stage name (`sub/dvc.yaml:`), so stages of several files share one namespace. */
  stagePrefix?: string;
}

/** pipeline.yaml (already parsed) + params files -> concrete stages, or every problem found. */
export function resolvePipeline(source: YamlSource, data: DataFiles, opts: ResolveOptions = {}): Result<Pipeline, Diagnostic[]> {
  const raw = source.value ?? {};
  if (!isMapping(raw)) {
    return err([{ code: 'invalid-type', message: `top level: expected a mapping with stages, got ${kindOf(raw)}`, span: spanAt(source, []) }]);
  }
  const reserved = findReservedKeys(source);
  if (reserved.length > 0) return err(finish(reserved));
  const diagnostics: Diagnostic[] = [];
  const checked = validateAt(pipelineFileSchema, { source, basePath: [], data: raw });
  if (!checked.ok) diagnostics.push(...checked.error);
  // Keep going after top-level problems so one run reports as much as possible.
  const top = checked.ok ? checked.value : undefined;
  const vars = top?.vars ?? (Array.isArray(raw.vars) ? raw.vars : []);
  const stages = top?.stages ?? (isMapping(raw.stages) ? raw.stages : {});
  const resources = top?.resources ?? {};

  const base = opts.base ?? '.';
  const context = buildContext(source, vars, data, opts.env, base);
  if (!context.ok) return err(finish([...diagnostics, ...context.error]));
  const scope = context.value;

  const loadedVars = fullyLoadedFiles(vars, data);
  const varsFiles = new Set([...loadedVars, ...vars.filter((v): v is string => typeof v === 'string').map((v) => v.split(':')[0]!)]);
  varsFiles.delete('params.yaml');
  const inert = new Set(inertTopLevelKeys(raw));
  const topFiles = (field: 'params' | 'metrics') => topLevelFiles(source, top?.[field], field, scope, diagnostics);
  const paramsFiles = topFiles('params');
  const metricsFiles = topFiles('metrics');

  const defaults = resolveDefaults(source, raw.defaults, scope, diagnostics);
  const resolved: ResolvedStage[] = [];
  const seen = new Map<string, string>();
  for (const [name, stageRaw] of Object.entries(stages)) {
    const instances = expandStage(name, stageRaw, scope, source, MAX_STAGES - seen.size);
    if (!instances.ok) {
      diagnostics.push(...instances.error);
      continue;
    }
    if (seen.size + instances.value.length > MAX_STAGES) {
      diagnostics.push(tooManyStages(source, name));
      break;
    }
    for (const instance of instances.value) {
      const badName = stageNameProblem(instance.name);
      if (badName !== undefined) {
        diagnostics.push({ code: 'invalid-value', message: `stage name "${excerpt(instance.name)}" ${badName}`, span: keySpanAt(source, ['stages', instance.templateName]) });
        continue;
      }
      if (seen.has(instance.name)) {
        diagnostics.push({
          code: 'duplicate-stage',
          message: `stage "${instance.name}" is defined more than once`,
          span: keySpanAt(source, ['stages', instance.templateName]),
        });
        continue;
      }
      seen.set(instance.name, name);
      let stageScope = instance.scope;
      let stageBody = instance.body;
      if (Object.hasOwn(stageBody, 'vars')) {
        const { vars: own, ...rest } = stageBody;
        const wdir = typeof rest.wdir === 'string' ? renderedWdir(rest.wdir, stageScope) : '.';
        const extended = stageContext(source, [...instance.bodyPath, 'vars'], own, stageScope, data, wdir, loadedVars);
        if (!extended.ok) {
          diagnostics.push(...extended.error);
          continue;
        }
        stageScope = extended.value.scope;
        stageBody = rest;
        for (const f of extended.value.files) varsFiles.add(f);
      }
      const templated = interpolateTree(stageBody, stageScope, (path) => (path[0] === 'cmd' ? 'cmd' : 'plain'));
      diagnostics.push(...templated.issues.map((issue) => interpolationDiagnostic(source, instance.bodyPath, issue)));
      const body = validateAt(stageBodySchema, { source, basePath: instance.bodyPath, data: templated.value });
      const problems = body.ok ? [] : body.error;
      if (templated.issues.length > 0) {
        // A value that failed to render is still its raw string: skip follow-on errors about it.
        const failed = templated.issues.map((issue) => spanAt(source, [...instance.bodyPath, ...issue.path]));
        diagnostics.push(...problems.filter((d) => !failed.some((f) => d.span && contains(f, d.span))));
        continue;
      }
      diagnostics.push(...problems);
      if (!body.ok || !defaults) continue;
      for (const key of inertStageKeys(body.value)) inert.add(key);
      const stage = normalizeStage(instance, body.value, defaults, source, data, base);
      if (stage.ok) resolved.push(opts.stagePrefix ? { ...stage.value, name: `${opts.stagePrefix}${stage.value.name}` } : stage.value);
      else diagnostics.push(...stage.error);
    }
  }
  if (diagnostics.length === 0) diagnostics.push(...findProtectedOutputs(resolved, [source.file, ...data.requested()]));
  if (diagnostics.length > 0) return err(finish(diagnostics));
  return ok({
    stages: resolved,
    resources,
    ...(top?.cache?.type ? { linkTypes: top.cache.type } : {}),
    ...(paramsFiles.length > 0 ? { paramsFiles } : {}),
    ...(metricsFiles.length > 0 ? { metricsFiles } : {}),
    ...(Array.isArray(top?.plots) && top.plots.length > 0 ? { plots: top.plots } : {}),
    ...(varsFiles.size > 0 ? { varsFiles: [...varsFiles].sort() } : {}),
    ...(inert.size > 0 ? { inertKeys: [...inert].sort() } : {}),
  });
}

/** The wdir a stage's `vars` files are relative to (templated with the outer scope, as DVC does). */
function renderedWdir(wdir: string, scope: Scope): string {
  const rendered = interpolateString(wdir, scope, 'plain');
  const text = rendered.ok ? scalarToString(rendered.value) : undefined;
  return text?.ok ? text.value : '.';
}

/** DVC's top-level `params:`/`metrics:` lists, templated like everything else, as normalized root-relative paths. */
function topLevelFiles(source: YamlSource, entries: readonly string[] | undefined, field: string, scope: Scope, diagnostics: Diagnostic[]): string[] {
  const files: string[] = [];
  (entries ?? []).forEach((entry, i) => {
    const templated = interpolateTree(entry, scope, () => 'plain');
    diagnostics.push(...templated.issues.map((issue) => interpolationDiagnostic(source, [field, i], issue)));
    if (templated.issues.length > 0) return;
    const text = scalarToString(templated.value);
    const file = text.ok ? path.posix.normalize(text.value) : '';
    if (!text.ok || file === '..' || file.startsWith('../') || path.posix.isAbsolute(file)) {
      diagnostics.push({ code: 'path-escapes-workspace', message: `${field}[${i}]: "${String(templated.value)}" is not a path inside the workspace`, span: spanAt(source, [field, i]) });
      return;
    }
    files.push(file);
  });
  return [...new Set(files)].sort();
}

function tooManyStages(source: YamlSource, name: string): Diagnostic {
  return {
    code: 'limit-exceeded',
    message: `the pipeline expands to more than ${MAX_STAGES} stages (counting every foreach/matrix item)`,
    span: keySpanAt(source, ['stages', name]),
    hint: 'split the sweep into several pipelines or narrow its matrix',
  };
}

function resolveDefaults(source: YamlSource, raw: unknown, scope: Scope, diagnostics: Diagnostic[]): Defaults | undefined {
  if (raw === undefined || raw === null) return {};
  const templated = interpolateTree(raw, scope, () => 'plain');
  diagnostics.push(...templated.issues.map((issue) => interpolationDiagnostic(source, ['defaults'], issue)));
  if (templated.issues.length > 0) return undefined;
  const checked = validateAt(defaultsSchema, { source, basePath: ['defaults'], data: templated.value });
  if (checked.ok) return checked.value;
  diagnostics.push(...checked.error);
  return undefined;
}

/** Drops repeats (a foreach body reports once, not per item) and orders by file and position. */
export function finish(diagnostics: Diagnostic[]): Diagnostic[] {
  const unique = new Map<string, Diagnostic>();
  for (const d of diagnostics) {
    const key = JSON.stringify([d.code, d.message, d.span]);
    if (!unique.has(key)) unique.set(key, d);
  }
  return [...unique.values()].sort((a, b) => {
    if (!a.span || !b.span) return a.span ? 1 : b.span ? -1 : 0;
    return a.span.file.localeCompare(b.span.file) || a.span.line - b.span.line || a.span.col - b.span.col;
  });
}

function contains(outer: SourceSpan, inner: SourceSpan): boolean {
  const before = (l1: number, c1: number, l2: number, c2: number) => l1 < l2 || (l1 === l2 && c1 <= c2);
  return (
    outer.file === inner.file &&
    before(outer.line, outer.col, inner.line, inner.col) &&
    before(inner.endLine, inner.endCol, outer.endLine, outer.endCol)
  );
}
