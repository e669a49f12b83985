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
