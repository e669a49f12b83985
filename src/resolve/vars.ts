import path from 'node:path';
import type { Diagnostic } from '../model/diagnostic.js';
import { err, ok, type Result } from '../model/result.js';
import { keySpanAt, spanAt, type YamlPath, type YamlSource } from '../config/yaml-document.js';
import { didYouMean } from '../config/did-you-mean.js';
import { isMapping, pointAt, type DataFiles } from './params-files.js';
import { environmentMapping, type Scope } from './expression.js';

/** Where a variable came from: a file (or part of pipeline.yaml) and the path of its root there. */
interface Origin {
  source: YamlSource;
  basePath: YamlPath;
  /** Distinguishes sources; the same file listed twice is not a redefinition. */
  label: string;
}

interface Entry {
  values: Record<string, unknown>;
  origin: Origin;
}

/** Top-level name under which the process environment is visible to templates (`${env.NAME}`). */
export const ENV_ROOT = 'env';

/**
 * Builds the templating context: params.yaml (when present) first, then each `vars` entry in order,
 * plus `env` (the injected environment; empty when none was given). Defining the same key in two
 * sources is an error pointing at both definitions; so is a variable named `env`.
 */
export function buildContext(
  pipeline: YamlSource,
  vars: readonly unknown[],
  data: DataFiles,
  env: Readonly<Record<string, string | undefined>> = {},
  base = '.',
): Result<Scope, Diagnostic[]> {
  const diagnostics: Diagnostic[] = [];
  const entries: Entry[] = [];
  // A pipeline file's params.yaml and vars files are next to it (DVC: relative to the dvc.yaml's folder).
  const inBase = (file: string) => (base === '.' ? file : path.posix.normalize(path.posix.join(base, file)));
  const defaultParamsFile = inBase('params.yaml');
  const defaultParams = data.load(defaultParamsFile);
  if (defaultParams.ok) {
    const values = defaultParams.value.value ?? {};
    if (isMapping(values)) entries.push({ values, origin: { source: defaultParams.value, basePath: [], label: defaultParamsFile } });
    else diagnostics.push(notMapping(defaultParams.value, defaultParamsFile));
  } else if (!defaultParams.error.every((d) => d.code === 'file-missing')) {
    // Nothing in pipeline.yaml names params.yaml: point at the file itself.
    diagnostics.push(...pointAt(defaultParams.error, { file: defaultParamsFile, line: 1, col: 1, endLine: 1, endCol: 1 }));
  }

  vars.forEach((entry, i) => {
    const at = spanAt(pipeline, ['vars', i]);
    if (isMapping(entry)) {
      entries.push({ values: entry, origin: { source: pipeline, basePath: ['vars', i], label: `vars[${i}]` } });
      return;
    }
    if (typeof entry !== 'string') return; // the schema already reported it
    const [declared = '', keyList] = splitVarsEntry(entry);
    const file = inBase(declared);
    if (file === defaultParamsFile && keyList === undefined) return; // always loaded first
    const loaded = data.load(file);
    if (!loaded.ok) {
      diagnostics.push(...pointAt(loaded.error, at));
      return;
    }
    const values = loaded.value.value ?? {};
    if (!isMapping(values)) {
      diagnostics.push(notMapping(loaded.value, file));
      return;
    }
    const origin: Origin = { source: loaded.value, basePath: [], label: file };
    if (keyList === undefined) {
      entries.push({ values, origin });
      return;
    }
    const selected: Record<string, unknown> = {};
    for (const key of keyList) {
      if (Object.hasOwn(values, key)) selected[key] = values[key];
      else diagnostics.push({ code: 'missing-param', message: `"${key}" not found in ${file}${didYouMean(key, Object.keys(values))}`, span: at });
    }
    entries.push({ values: selected, origin });
  });

  const scope: Scope = {};
  const origins = new Map<string, Origin>();
  for (const entry of entries) {
    if (Object.hasOwn(entry.values, ENV_ROOT)) {
      diagnostics.push({
        code: 'invalid-value',
        message: `variable "${ENV_ROOT}" from ${describe(entry.origin)} is reserved: \${${ENV_ROOT}.NAME} reads the environment variable NAME`,
        span: keySpanAt(entry.origin.source, [...entry.origin.basePath, ENV_ROOT]),
      });
    }
    diagnostics.push(...merge(scope, entry.values, [], entry.origin, origins));
  }
  Object.defineProperty(scope, ENV_ROOT, { value: environmentMapping(env), enumerable: true, writable: true, configurable: true });
  return diagnostics.length > 0 ? err(diagnostics) : ok(scope);
}

/** `file.yaml:a,b` -> ['file.yaml', ['a', 'b']]. */
function splitVarsEntry(entry: string): [string, string[] | undefined] {
  const colon = entry.indexOf(':');
  if (colon === -1) return [entry, undefined];
  const keys = entry.slice(colon + 1).split(',').map((k) => k.trim()).filter((k) => k !== '');
  return [entry.slice(0, colon), keys];
}

function notMapping(source: YamlSource, file: string): Diagnostic {
  return { code: 'invalid-type', message: `${file}: expected a mapping of variables at the top level`, span: spanAt(source, []) };
}

function merge(target: Scope, incoming: Record<string, unknown>, path: string[], origin: Origin, origins: Map<string, Origin>): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const [key, value] of Object.entries(incoming)) {
    const keyPath = [...path, key];
    if (!Object.hasOwn(target, key)) {
      // Cloned so later merges never mutate a cached params document.
      Object.defineProperty(target, key, { value: structuredClone(value), enumerable: true, writable: true, configurable: true });
      origins.set(JSON.stringify(keyPath), origin);
      continue;
    }
    const existing = target[key];
    if (isMapping(existing) && isMapping(value)) {
      diagnostics.push(...merge(existing, value, keyPath, origin, origins));
      continue;
    }
    const first = originOf(keyPath, origins);
    if (first?.label === origin.label) continue;
    const name = keyPath.join('.');
    diagnostics.push({
      code: 'invalid-value',
      message: `variable "${name}" from ${describe(origin)} is already defined in ${first ? describe(first) : 'another source'}`,
      span: keySpanAt(origin.source, [...origin.basePath, ...keyPath]),
      related: first ? [{ message: `"${name}" first defined here`, span: keySpanAt(first.source, [...first.basePath, ...keyPath]) }] : [],
    });
  }
  return diagnostics;
}

function originOf(keyPath: string[], origins: Map<string, Origin>): Origin | undefined {
  for (let n = keyPath.length; n > 0; n--) {
    const found = origins.get(JSON.stringify(keyPath.slice(0, n)));
    if (found) return found;
  }
  return undefined;
}

function describe(origin: Origin): string {
  return origin.label.startsWith('vars[') ? `${origin.source.file} ${origin.label}` : origin.label;
}

/** Files the top-level context loaded whole: a stage's `vars` may list them again (DVC allows it). */
export function fullyLoadedFiles(vars: readonly unknown[], data: DataFiles): Set<string> {
  const files = new Set<string>();
  if (data.load('params.yaml').ok) files.add('params.yaml');
  for (const entry of vars) if (typeof entry === 'string' && !entry.includes(':')) files.add(entry);
  return files;
}

/**
 * A stage's own `vars:` (DVC's EntryDefinition.resolve_stage): files relative to the stage's wdir and
 * inline mappings, merged into a copy of the stage's scope. Redefining a variable, `item` or `key` is
 * an error, as is `${...}` inside `vars` (DVC: "interpolating is not allowed").
 */
export function stageContext(
  pipeline: YamlSource,
  varsPath: YamlPath,
  vars: unknown,
  scope: Scope,
  data: DataFiles,
  wdir: string,
  loaded: ReadonlySet<string>,
): Result<{ scope: Scope; files: string[] }, Diagnostic[]> {
  const at = (...rest: YamlPath) => spanAt(pipeline, [...varsPath, ...rest]);
  if (!Array.isArray(vars)) return err([{ code: 'invalid-type', message: `${varsPath.join('.')}: expected a list of files or mappings`, span: at() }]);
  const diagnostics: Diagnostic[] = [];
  const files: string[] = [];
  const merged: Scope = { ...scope };
  vars.forEach((entry, i) => {
    if (JSON.stringify(entry ?? null).includes('${')) {
      diagnostics.push({ code: 'invalid-interpolation', message: `${[...varsPath, i].join('.')}: interpolating is not allowed in vars`, span: at(i) });
      return;
    }
    let values: Record<string, unknown>;
    let label: string;
    if (isMapping(entry)) {
      values = entry;
      label = `${varsPath.join('.')}[${i}]`;
    } else if (typeof entry === 'string') {
      const [name = '', keyList] = splitVarsEntry(entry);
      const file = path.posix.normalize(path.posix.join(wdir, name));
      if (keyList === undefined && (loaded.has(file) || files.includes(file))) return; // already loaded whole
      const read = data.load(file);
      if (!read.ok) {
        diagnostics.push(...pointAt(read.error, at(i)));
        return;
      }
      const all = read.value.value ?? {};
      if (!isMapping(all)) {
        diagnostics.push(notMapping(read.value, file));
        return;
      }
      files.push(file);
      label = file;
      values = keyList === undefined ? all : {};
      for (const key of keyList ?? []) {
        if (Object.hasOwn(all, key)) values[key] = all[key];
        else diagnostics.push({ code: 'missing-param', message: `"${key}" not found in ${file}${didYouMean(key, Object.keys(all))}`, span: at(i) });
      }
    } else {
      diagnostics.push({ code: 'invalid-type', message: `${[...varsPath, i].join('.')}: expected a file name or a mapping of variables`, span: at(i) });
      return;
    }
    diagnostics.push(...mergeStageVars(merged, values, [], label, at(i)));
  });
  return diagnostics.length > 0 ? err(diagnostics) : ok({ scope: merged, files });
}

/** Copy-on-write merge: mappings merge key by key, a value already defined is an error (DVC's MergeError). */
function mergeStageVars(target: Scope, incoming: Record<string, unknown>, keyPath: string[], label: string, span: Diagnostic['span']): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const [key, value] of Object.entries(incoming)) {
    const here = [...keyPath, key];
    if (!Object.hasOwn(target, key)) {
      Object.defineProperty(target, key, { value: structuredClone(value), enumerable: true, writable: true, configurable: true });
      continue;
    }
    const existing = target[key];
    if (keyPath.length > 0 || !['item', 'key', ENV_ROOT].includes(key)) {
      if (isMapping(existing) && isMapping(value)) {
        const copy: Scope = { ...existing };
        Object.defineProperty(target, key, { value: copy, enumerable: true, writable: true, configurable: true });
        diagnostics.push(...mergeStageVars(copy, value, here, label, span));
        continue;
      }
    }
    diagnostics.push({ code: 'invalid-value', message: `cannot redefine "${here.join('.')}" from ${label}: it is already defined`, span });
  }
  return diagnostics;
}
