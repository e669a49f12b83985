import { createHash } from 'node:crypto';
import type { ProjectFiles } from '../config/project-files.js';
import { sweepsSchema, type SweepBody } from '../config/schema.js';
import { keySpanAt, parseYamlSource, spanAt, type YamlPath, type YamlSource } from '../config/yaml-document.js';
import { validateAt } from '../config/zod-diagnostics.js';
import type { Diagnostic, SourceSpan } from '../model/diagnostic.js';
import { err, ok, type Result } from '../model/result.js';
import { interpolateString } from '../resolve/interpolate.js';
import { DataFiles, isMapping, lookupDotted } from '../resolve/params-files.js';
import { canonicalJson } from '../util/canonical-json.js';
import { paramKeyLabel, parseAxisValues, parseParamKey, type ParamKey } from './axis.js';
import type { ParamAssignment } from './params-edit.js';
import { getOwn, setOwn } from '../util/null-record.js';

/** One swept dimension: a key and the values it takes. */
export interface Axis {
  key: ParamKey;
  values: unknown[];
  span?: SourceSpan;
}

export interface DerivedParam {
  key: ParamKey;
  /** A value, or a string with `${...}` evaluated against the variant's params. */
  template: unknown;
  span?: SourceSpan;
}

/** A sweep as declared (pipeline.yaml `sweeps:`) or given with `-S` on the command line. */
export interface SweepSpec {
  name: string;
  desc?: string;
  /** Independent axes: their cartesian product. */
  axes: Axis[];
  /** Each group's axes advance together (same length), as one dimension of the product. */
  zips: Axis[][];
  derived: DerivedParam[];
  /** Explicit variants, after the product. */
  explicit: { assignments: ParamAssignment[]; span?: SourceSpan }[];
}

/** One configuration of a sweep: the values it sets, and its stable, readable id. */
export interface Variant {
  id: string;
  /** Swept values (axes, zipped axes, explicit entries), in axis order. */
  swept: ParamAssignment[];
  /** Derived values, in declaration order. */
  derived: ParamAssignment[];
}

/** Reads `sweeps:` of pipeline.yaml (already shape-checked by the pipeline loader) into specs. */
export function declaredSweeps(files: ProjectFiles, pipelineFile = 'pipeline.yaml'): Result<{ specs: Map<string, SweepSpec>; source: YamlSource }, Diagnostic[]> {
  const text = files.readText(pipelineFile);
  if (text === undefined) return err([{ code: 'file-missing', message: `${pipelineFile}: file not found` }]);
  const parsed = parseYamlSource(pipelineFile, text);
  if (!parsed.ok) return parsed;
  const source = parsed.value;
  const raw = isMapping(source.value) ? source.value.sweeps : undefined;
  const specs = new Map<string, SweepSpec>();
  if (raw === undefined || raw === null) return ok({ specs, source });
  const checked = validateAt(sweepsSchema, { source, basePath: ['sweeps'], data: raw });
  if (!checked.ok) return checked;
  const diagnostics: Diagnostic[] = [];
  for (const [name, body] of Object.entries(checked.value)) {
    const spec = specFromBody(name, body, source, diagnostics);
    if (spec) specs.set(name, spec);
  }
  return diagnostics.length > 0 ? err(diagnostics) : ok({ specs, source });
}

function specFromBody(name: string, body: SweepBody, source: YamlSource, diagnostics: Diagnostic[]): SweepSpec | undefined {
  const base: YamlPath = ['sweeps', name];
  const before = diagnostics.length;
  const key = (text: string, path: YamlPath): ParamKey | undefined => {
    const parsed = parseParamKey(text);
    if (parsed.ok) return parsed.value;
    diagnostics.push({ code: 'invalid-value', message: `${path.join('.')}: ${parsed.error}`, span: keySpanAt(source, path) });
    return undefined;
  };
  const axesOf = (mapping: Record<string, unknown>, path: YamlPath): Axis[] => {
    const axes: Axis[] = [];
    for (const [k, spec] of Object.entries(mapping)) {
      const parsedKey = key(k, [...path, k]);
      const values = parseAxisValues(spec);
      if (!values.ok) diagnostics.push({ code: 'invalid-value', message: `sweep "${name}", axis ${k}: ${values.error}`, span: spanAt(source, [...path, k]) });
      if (parsedKey && values.ok) axes.push({ key: parsedKey, values: values.value, span: keySpanAt(source, [...path, k]) });
    }
    return axes;
  };
  const axes = axesOf(body.axes ?? {}, [...base, 'axes']);
  const zips = (body.zip ?? []).map((group, i) => {
    const zipped = axesOf(group, [...base, 'zip', i]);
    const lengths = new Set(zipped.map((a) => a.values.length));
    if (lengths.size > 1) {
      diagnostics.push({
        code: 'invalid-value',
        message: `sweep "${name}", zip[${i}]: zipped axes need the same number of values (${zipped.map((a) => `${paramKeyLabel(a.key)}: ${a.values.length}`).join(', ')})`,
        span: spanAt(source, [...base, 'zip', i]),
      });
    }
    return zipped;
  });
  const derived: DerivedParam[] = [];
  for (const [k, template] of Object.entries(body.derived ?? {})) {
    const parsedKey = key(k, [...base, 'derived', k]);
    if (parsedKey) derived.push({ key: parsedKey, template, span: spanAt(source, [...base, 'derived', k]) });
  }
  const explicit = (body.variants ?? []).map((v, i) => {
    const assignments: ParamAssignment[] = [];
    for (const [k, value] of Object.entries(v)) {
      const parsedKey = key(k, [...base, 'variants', i, k]);
      if (parsedKey) assignments.push({ key: parsedKey, value });
    }
    return { assignments, span: spanAt(source, [...base, 'variants', i]) };
  });
  const seen = new Map<string, SourceSpan | undefined>();
  for (const a of [...axes, ...zips.flat()]) {
    const label = paramKeyLabel(a.key);
    if (seen.has(label)) diagnostics.push({ code: 'invalid-value', message: `sweep "${name}": ${label} is swept twice`, ...(a.span ? { span: a.span } : {}) });
    seen.set(label, a.span);
  }
  if (diagnostics.length > before) return undefined;
  return { name, ...(body.desc !== undefined ? { desc: body.desc } : {}), axes, zips, derived, explicit };
}

/** A sweep from `-S` arguments: the cartesian product of their axes. */
export function commandLineSweep(name: string, axes: Axis[]): SweepSpec {
  return { name, axes, zips: [], derived: [], explicit: [] };
}

/** Default name of a command-line sweep: stable for the same -S axes, so rerunning resumes it. */
export function commandLineSweepName(axes: readonly Axis[]): string {
  const canonical = canonicalJson(axes.map((a) => [paramKeyLabel(a.key), a.values]));
  return `cli-${createHash('sha256').update(canonical).digest('hex').slice(0, 8)}`;
}

/** `-S` axes given with a declared sweep replace its axis of the same key or add one. */
export function withExtraAxes(spec: SweepSpec, extra: readonly Axis[]): SweepSpec {
  if (extra.length === 0) return spec;
  const labels = new Set(extra.map((a) => paramKeyLabel(a.key)));
  return {
    ...spec,
    axes: [...spec.axes.filter((a) => !labels.has(paramKeyLabel(a.key))), ...extra],
    zips: spec.zips.map((g) => g.filter((a) => !labels.has(paramKeyLabel(a.key)))).filter((g) => g.length > 0),
  };
}

/**
 * Every variant of a sweep, with derived values computed and keys checked against the params files
 * (`data` reads them; a key a file lacks needs `+`). Pure apart from reading through `data`.
 */
export function expandSweep(spec: SweepSpec, data: DataFiles): Result<Variant[], Diagnostic[]> {
  const diagnostics: Diagnostic[] = [];
  const fileValues = (file: string): Record<string, unknown> | undefined => {
    const loaded = data.load(file);
    if (!loaded.ok) return undefined;
    return isMapping(loaded.value.value) ? loaded.value.value : {};
  };
  const checkKey = (key: ParamKey, span: SourceSpan | undefined) => {
    if (key.add) return;
    const values = fileValues(key.file);
    if (values === undefined) {
      diagnostics.push({ code: 'file-missing', message: `sweep "${spec.name}": ${key.file}: file not found`, ...(span ? { span } : {}) });
      return;
    }
    const found = lookupDotted(values, key.key);
    if (!found.ok) {
      diagnostics.push({
        code: 'missing-param',
        message: `sweep "${spec.name}": param "${paramKeyLabel(key)}" not found in ${key.file}${found.error} (write +${key.key} to add it)`,
        ...(span ? { span } : {}),
      });
    }
  };
  for (const a of [...spec.axes, ...spec.zips.flat()]) checkKey(a.key, a.span);
  for (const d of spec.derived) checkKey(d.key, d.span);
  for (const v of spec.explicit) for (const a of v.assignments) checkKey(a.key, v.span);
  if (diagnostics.length > 0) return err(diagnostics);

  // Dimensions of the product: each free axis alone, each zip group as one.
  const dimensions: ParamAssignment[][][] = [
    ...spec.axes.map((a) => a.values.map((value) => [{ key: a.key, value }])),
    ...spec.zips.map((group) => group[0]!.values.map((_, i) => group.map((a) => ({ key: a.key, value: a.values[i] })))),
  ];
  const combos: ParamAssignment[][] = dimensions.length === 0 ? [] : dimensions.reduce<ParamAssignment[][]>((acc, dim) => acc.flatMap((prefix) => dim.map((choice) => [...prefix, ...choice])), [[]]);
  combos.push(...spec.explicit.map((v) => v.assignments));

  const variants: Variant[] = [];
  const seen = new Set<string>();
  for (const swept of combos) {
    const signature = canonicalJson(swept.map((a) => [paramKeyLabel(a.key), a.value]));
    if (seen.has(signature)) continue;
    seen.add(signature);
    const derived = deriveValues(spec, swept, fileValues, diagnostics);
    if (derived) variants.push({ id: '', swept, derived });
  }
  if (diagnostics.length > 0) return err(diagnostics);
  assignIds(variants);
  return ok(variants);
}

function deriveValues(
  spec: SweepSpec,
  swept: readonly ParamAssignment[],
  fileValues: (file: string) => Record<string, unknown> | undefined,
  diagnostics: Diagnostic[],
): ParamAssignment[] | undefined {
  if (spec.derived.length === 0) return [];
  // Scope: params.yaml's values (other files' merged under them), with this variant's values set.
  const files = new Set(['params.yaml', ...swept.map((a) => a.key.file), ...spec.derived.map((d) => d.key.file)]);
  const scope: Record<string, unknown> = {};
  for (const file of files) deepMerge(scope, structuredClone(fileValues(file) ?? {}));
  for (const a of swept) setDotted(scope, a.key.key, a.value);
  const out: ParamAssignment[] = [];
  for (const d of spec.derived) {
    let value = d.template;
    if (typeof d.template === 'string' && d.template.includes('${')) {
      const rendered = interpolateString(d.template, scope, 'plain');
      if (!rendered.ok) {
        const where = swept.map((a) => `${paramKeyLabel(a.key)}=${JSON.stringify(a.value)}`).join(', ');
        for (const issue of rendered.error) {
          diagnostics.push({ code: issue.code, message: `sweep "${spec.name}", derived ${paramKeyLabel(d.key)} (variant ${where}): ${issue.message}`, ...(d.span ? { span: d.span } : {}) });
        }
        return undefined;
      }
      value = rendered.value;
    }
    setDotted(scope, d.key.key, value);
    out.push({ key: d.key, value });
  }
  return out;
}

function deepMerge(target: Record<string, unknown>, incoming: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(incoming)) {
    const existing = getOwn(target, k);
    if (isMapping(existing) && isMapping(v)) deepMerge(existing, v);
    else if (!Object.hasOwn(target, k)) setOwn(target, k, v);
  }
}

function setDotted(target: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let current: Record<string, unknown> = target;
  for (const part of parts.slice(0, -1)) {
    const next = getOwn(current, part);
    if (!isMapping(next) && !Array.isArray(next)) setOwn(current, part, {});
    current = getOwn(current, part) as Record<string, unknown>;
  }
  setOwn(current, parts[parts.length - 1]!, value);
}

/**
 * Ids read like the swept values (`num_heads=4,head_dim=16`), using each key's last segment unless
 * two keys share it. Long or clashing ids fall back to a hash of the values, so an id never depends
 * on a variant's position (adding a value to an axis must not rename the others).
 */
function assignIds(variants: Variant[]): void {
  const labels = new Map<string, string>();
  const allKeys = [...new Set(variants.flatMap((v) => v.swept.map((a) => paramKeyLabel(a.key))))];
  const lastSegments = allKeys.map((k) => k.split(/[.:]/).pop()!);
  allKeys.forEach((k, i) => labels.set(k, lastSegments.filter((s) => s === lastSegments[i]).length > 1 ? k.replace(/:/g, '.') : lastSegments[i]!));
  const used = new Set<string>();
  for (const v of variants) {
    const signature = canonicalJson(v.swept.map((a) => [paramKeyLabel(a.key), a.value]));
    const hash = createHash('sha256').update(signature).digest('hex');
    let id = v.swept.map((a) => `${labels.get(paramKeyLabel(a.key))}=${idValue(a.value)}`).join(',');
    if (id === '' || id.length > 120) id = `v-${hash.slice(0, 12)}`;
    if (used.has(id)) id = `${id}~${hash.slice(0, 6)}`;
    used.add(id);
    v.id = id;
  }
}

function idValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.replace(/[^A-Za-z0-9._+-]/g, '_');
}
