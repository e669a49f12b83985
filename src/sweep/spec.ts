import { createHash } from 'node:crypto';
import { closestMatch } from '../config/did-you-mean.js';
import type { ProjectFiles } from '../config/project-files.js';
import { sweepsSchema, type SweepBody, type SweepFigure } from '../config/schema.js';
import { keySpanAt, offsetSpan, parseYamlSource, spanAt, type YamlPath, type YamlSource } from '../config/yaml-document.js';
import { validateAt } from '../config/zod-diagnostics.js';
import type { Diagnostic, SourceSpan } from '../model/diagnostic.js';
import { err, ok, type Result } from '../model/result.js';
import { interpolateString } from '../resolve/interpolate.js';
import { DataFiles, isMapping, lookupDotted } from '../resolve/params-files.js';
import { canonicalJson } from '../util/canonical-json.js';
import { looksLikeCall, paramKeyLabel, parseAxisExpression, parseParamKey, type AxisProblem, type ParamKey } from './axis.js';
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

/** One cartesian product of a sweep: free axes times zip groups, each combined with fixed values. */
export interface Grid {
  name: string;
  /** Independent axes: their cartesian product. */
  axes: Axis[];
  /** Each group's axes advance together (same length), as one dimension of the product. */
  zips: Axis[][];
  /** One value each, set in every variant of the grid. */
  fixed: { key: ParamKey; value: unknown; span?: SourceSpan }[];
  span?: SourceSpan;
}

/** One `variants:` entry: each key's values (one, or several from range()/choice(): their product). */
export interface ExplicitVariant {
  assignments: { key: ParamKey; values: unknown[] }[];
  span?: SourceSpan;
}

/** A column of the results table read from a stage's file: `breakdown.MVAU.LUT` from build/resource_breakdown.yaml. */
export interface MetricsFileSpec {
  prefix: string;
  path: string;
  /** Only this (dotted) section of the file. */
  key?: string;
}

/** The grid name of a sweep's top-level `axes:`/`zip:`, and of its `variants:` list. */
export const MAIN_GRID = 'main';
export const VARIANTS_GRID = 'variants';

/** A sweep as declared (pipeline.yaml `sweeps:`) or given with `-S` on the command line. */
export interface SweepSpec {
  name: string;
  desc?: string;
  /** The union of these grids and `explicit` is the sweep. */
  grids: Grid[];
  derived: DerivedParam[];
  explicit: ExplicitVariant[];
  /** Column aliases for tables, in declaration order: `LUT: post_synth.LUT`. */
  columns: { alias: string; column: string }[];
  metricsFiles: MetricsFileSpec[];
  /** `figures:` as declared; drawn by `sweep plot` and `report --sweep`. */
  figures?: Record<string, SweepFigure>;
}

/**
 * One configuration of a sweep, identified by its values: every key any grid sets (a key a grid
 * does not set has the params file's value), never by key order or by the grid that produced it.
 */
export interface Variant {
  id: string;
  /** Values of the sweep's keys (axes, zipped axes, fixed values, explicit entries), in the sweep's key order. */
  swept: ParamAssignment[];
  /** Derived values, in declaration order. */
  derived: ParamAssignment[];
  /** Grids (and `variants`) that contain this configuration. */
  grids: string[];
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

/** Where inside the scalar at `path` an axis problem lies (the whole value when unknown). */
function problemSpan(source: YamlSource, path: YamlPath, problem: AxisProblem, value: unknown): SourceSpan {
  const whole = spanAt(source, path);
  if (problem.offset === undefined || typeof value !== 'string') return whole;
  const found = source.doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
  const range = found?.range;
  if (!range) return whole;
  const raw = source.text.slice(range[0], range[1]);
  const at = raw.indexOf(value);
  if (at === -1) return whole;
  const start = range[0] + at + problem.offset;
  return offsetSpan(source, start, start + Math.max(1, problem.length ?? 1));
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
  const axesOf = (mapping: Record<string, unknown>, path: YamlPath, where: string): Axis[] => {
    const axes: Axis[] = [];
    for (const [k, spec] of Object.entries(mapping)) {
      const parsedKey = key(k, [...path, k]);
      const values = parseAxisExpression(spec);
      if (!values.ok) diagnostics.push({ code: 'invalid-value', message: `sweep "${name}", ${where}axis ${k}: ${values.error.message}`, span: problemSpan(source, [...path, k], values.error, spec) });
      if (parsedKey && values.ok) axes.push({ key: parsedKey, values: values.value, span: keySpanAt(source, [...path, k]) });
    }
    return axes;
  };
  const zipsOf = (groups: Record<string, unknown>[], path: YamlPath, where: string): Axis[][] =>
    groups.map((group, i) => {
      const zipped = axesOf(group, [...path, i], where);
      const lengths = new Set(zipped.map((a) => a.values.length));
      if (lengths.size > 1) {
        diagnostics.push({
          code: 'invalid-value',
          message: `sweep "${name}", ${where}zip[${i}]: zipped axes need the same number of values (${zipped.map((a) => `${paramKeyLabel(a.key)}: ${a.values.length}`).join(', ')})`,
          span: spanAt(source, [...path, i]),
        });
      }
      return zipped;
    });
  const grids: Grid[] = [];
  if (body.axes !== undefined || body.zip !== undefined) {
    grids.push({ name: MAIN_GRID, axes: axesOf(body.axes ?? {}, [...base, 'axes'], ''), zips: zipsOf(body.zip ?? [], [...base, 'zip'], ''), fixed: [], span: keySpanAt(source, [...base, body.axes !== undefined ? 'axes' : 'zip']) });
  }
  for (const [gridName, g] of Object.entries(body.grids ?? {})) {
    const path: YamlPath = [...base, 'grids', gridName];
    if (gridName === MAIN_GRID || gridName === VARIANTS_GRID) {
      diagnostics.push({ code: 'invalid-value', message: `sweep "${name}": grid name "${gridName}" is reserved (the sweep's own axes and variants are shown as grids "${MAIN_GRID}" and "${VARIANTS_GRID}")`, span: keySpanAt(source, path) });
      continue;
    }
    const fixed: Grid['fixed'] = [];
    for (const [k, value] of Object.entries(g.fixed ?? {})) {
      const parsedKey = key(k, [...path, 'fixed', k]);
      if (looksLikeCall(value)) {
        diagnostics.push({ code: 'invalid-value', message: `sweep "${name}", grid ${gridName}, fixed ${k}: one value each here; put "${value}" under axes:`, span: spanAt(source, [...path, 'fixed', k]) });
        continue;
      }
      if (parsedKey) fixed.push({ key: parsedKey, value, span: keySpanAt(source, [...path, 'fixed', k]) });
    }
    const where = `grid ${gridName}, `;
    grids.push({ name: gridName, axes: axesOf(g.axes ?? {}, [...path, 'axes'], where), zips: zipsOf(g.zip ?? [], [...path, 'zip'], where), fixed, span: keySpanAt(source, path) });
  }
  const derived: DerivedParam[] = [];
  for (const [k, template] of Object.entries(body.derived ?? {})) {
    const parsedKey = key(k, [...base, 'derived', k]);
    if (parsedKey) derived.push({ key: parsedKey, template, span: spanAt(source, [...base, 'derived', k]) });
  }
  const explicit: ExplicitVariant[] = (body.variants ?? []).map((v, i) => {
    const assignments: ExplicitVariant['assignments'] = [];
    for (const [k, value] of Object.entries(v)) {
      const path: YamlPath = [...base, 'variants', i, k];
      const parsedKey = key(k, path);
      let values: unknown[] = [value];
      // range()/choice() expand here as in an axis (their product); other values, lists included, are values.
      if (isValueCall(value)) {
        const parsed = parseAxisExpression(value);
        if (!parsed.ok) diagnostics.push({ code: 'invalid-value', message: `sweep "${name}", variants[${i}] ${k}: ${parsed.error.message}`, span: problemSpan(source, path, parsed.error, value) });
        else values = parsed.value;
      }
      if (parsedKey) assignments.push({ key: parsedKey, values });
    }
    return { assignments, span: spanAt(source, [...base, 'variants', i]) };
  });
  for (const g of grids) {
    const seen = new Set<string>();
    for (const a of [...g.axes, ...g.zips.flat(), ...g.fixed]) {
      const label = paramKeyLabel(a.key);
      if (seen.has(label)) diagnostics.push({ code: 'invalid-value', message: `sweep "${name}"${g.name === MAIN_GRID ? '' : `, grid ${g.name}`}: ${label} is set twice`, ...(a.span ? { span: a.span } : {}) });
      seen.add(label);
    }
  }
  const columns = Object.entries(body.columns ?? {}).map(([alias, column]) => ({ alias, column }));
  const metricsFiles: MetricsFileSpec[] = [];
  for (const [prefix, f] of Object.entries(body.metrics_files ?? {})) {
    const spec = typeof f === 'string' ? { path: f } : f;
    const rel = spec.path.replace(/^\.\//, '');
    if (rel.startsWith('/') || rel.split('/').includes('..') || rel === '') {
      diagnostics.push({ code: 'invalid-value', message: `sweep "${name}", metrics_files.${prefix}: "${spec.path}" must be a path inside the workspace`, span: spanAt(source, [...base, 'metrics_files', prefix]) });
      continue;
    }
    metricsFiles.push({ prefix, path: rel, ...(spec.key !== undefined ? { key: spec.key } : {}) });
  }
  if (diagnostics.length > before) return undefined;
  return { name, ...(body.desc !== undefined ? { desc: body.desc } : {}), grids, derived, explicit, columns, metricsFiles, ...(body.figures ? { figures: body.figures } : {}) };
}

/** A variant value meant as range()/choice(): those names, or a near miss (`rnage(...)`), which is then an error. */
function isValueCall(value: unknown): value is string {
  if (!looksLikeCall(value)) return false;
  const fn = /^\s*([A-Za-z_]\w*)/.exec(value)![1]!;
  return fn === 'range' || fn === 'choice' || closestMatch(fn, ['range', 'choice']) !== undefined;
}

/** A sweep from `-S` arguments: the cartesian product of their axes. */
export function commandLineSweep(name: string, axes: Axis[]): SweepSpec {
  return { name, grids: [{ name: MAIN_GRID, axes, zips: [], fixed: [] }], derived: [], explicit: [], columns: [], metricsFiles: [] };
}

/** Default name of a command-line sweep: stable for the same -S axes, so rerunning resumes it. */
export function commandLineSweepName(axes: readonly Axis[]): string {
  const canonical = canonicalJson(axes.map((a) => [paramKeyLabel(a.key), a.values]));
  return `cli-${createHash('sha256').update(canonical).digest('hex').slice(0, 8)}`;
}

/** `-S` axes given with a declared sweep replace that key (axis, zipped axis, fixed or explicit value) in every grid, or add it. */
export function withExtraAxes(spec: SweepSpec, extra: readonly Axis[]): SweepSpec {
  if (extra.length === 0) return spec;
  const labels = new Set(extra.map((a) => paramKeyLabel(a.key)));
  const keep = (a: { key: ParamKey }) => !labels.has(paramKeyLabel(a.key));
  return {
    ...spec,
    grids: spec.grids.map((g) => ({
      ...g,
      axes: [...g.axes.filter(keep), ...extra],
      zips: g.zips.map((z) => z.filter(keep)).filter((z) => z.length > 0),
      fixed: g.fixed.filter(keep),
    })),
    explicit: spec.explicit.map((v) => ({ ...v, assignments: [...v.assignments.filter(keep), ...extra.map((a) => ({ key: a.key, values: a.values }))] })),
  };
}

/**
 * Every variant of a sweep — the union of its grids and explicit variants, each configuration once
 * — with derived values computed and keys checked against the params files (`data` reads them; a
 * key a file lacks needs `+`). Pure apart from reading through `data`.
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
  for (const g of spec.grids) for (const a of [...g.axes, ...g.zips.flat(), ...g.fixed]) checkKey(a.key, a.span);
  for (const d of spec.derived) checkKey(d.key, d.span);
  for (const v of spec.explicit) for (const a of v.assignments) checkKey(a.key, v.span);
  if (diagnostics.length > 0) return err(diagnostics);

  // The sweep's keys, in first-seen order: every variant has a value for each (its identity).
  const keys = new Map<string, ParamKey>();
  const sources: { name: string; span?: SourceSpan; combos: ParamAssignment[][]; keys: Set<string> }[] = [];
  for (const g of spec.grids) {
    const dimensions: ParamAssignment[][][] = [
      ...g.axes.map((a) => a.values.map((value) => [{ key: a.key, value }])),
      ...g.zips.map((group) => group[0]!.values.map((_, i) => group.map((a) => ({ key: a.key, value: a.values[i] })))),
    ];
    const fixed = g.fixed.map((f) => ({ key: f.key, value: f.value }));
    const combos = product(dimensions).map((c) => [...c, ...fixed]);
    sources.push({ name: g.name, ...(g.span ? { span: g.span } : {}), combos, keys: new Set([...g.axes, ...g.zips.flat(), ...g.fixed].map((a) => paramKeyLabel(a.key))) });
    for (const a of [...g.axes, ...g.zips.flat(), ...g.fixed]) if (!keys.has(paramKeyLabel(a.key))) keys.set(paramKeyLabel(a.key), a.key);
  }
  for (const v of spec.explicit) {
    const combos = product(v.assignments.map((a) => a.values.map((value) => [{ key: a.key, value }])));
    sources.push({ name: VARIANTS_GRID, ...(v.span ? { span: v.span } : {}), combos, keys: new Set(v.assignments.map((a) => paramKeyLabel(a.key))) });
    for (const a of v.assignments) if (!keys.has(paramKeyLabel(a.key))) keys.set(paramKeyLabel(a.key), a.key);
  }
  const derivedKeys = new Set(spec.derived.map((d) => paramKeyLabel(d.key)));
  for (const g of spec.grids) {
    for (const a of [...g.axes, ...g.zips.flat(), ...g.fixed]) {
      if (derivedKeys.has(paramKeyLabel(a.key))) diagnostics.push({ code: 'invalid-value', message: `sweep "${spec.name}": ${paramKeyLabel(a.key)} is both swept and derived`, ...(a.span ? { span: a.span } : {}) });
    }
  }

  // A key some grids set and another does not: that grid's variants take the params file's value.
  // Ambiguous (an error) when the file has none (a +key): those variants would have no value for it.
  const fileDefault = new Map<string, { value: unknown } | undefined>();
  for (const [label, key] of keys) {
    const found = lookupDotted(fileValues(key.file) ?? {}, key.key);
    fileDefault.set(label, found.ok ? { value: found.value } : undefined);
  }
  const reported = new Set<string>();
  for (const s of sources) {
    for (const [label] of keys) {
      if (s.keys.has(label) || fileDefault.get(label) !== undefined || s.combos.length === 0) continue;
      const tag = `${s.name}\0${label}\0${s.span?.line}`;
      if (reported.has(tag)) continue;
      reported.add(tag);
      const setBy = sources.filter((o) => o.keys.has(label)).map((o) => (o.name === VARIANTS_GRID ? 'a variants: entry' : `grid ${o.name}`));
      const who = s.name === VARIANTS_GRID ? 'this variants: entry' : s.name === MAIN_GRID ? 'the sweep\'s axes' : `grid ${s.name}`;
      diagnostics.push({
        code: 'invalid-value',
        message: `sweep "${spec.name}": ${who} does not set ${label}, which ${[...new Set(setBy)].join(' and ')} set${setBy.length === 1 ? 's' : ''} and ${keys.get(label)!.file} does not have: its variants would have no value for it (set it${s.name === VARIANTS_GRID ? '' : ' under fixed:'})`,
        ...(s.span ? { span: s.span } : {}),
      });
    }
  }
  if (diagnostics.length > 0) return err(diagnostics);

  const variants: Variant[] = [];
  const bySignature = new Map<string, Variant>();
  for (const s of sources) {
    for (const combo of s.combos) {
      const values = new Map(combo.map((a) => [paramKeyLabel(a.key), a.value]));
      const swept: ParamAssignment[] = [...keys].map(([label, key]) => ({ key, value: values.has(label) ? values.get(label) : fileDefault.get(label)!.value }));
      const signature = variantSignature(swept);
      const existing = bySignature.get(signature);
      if (existing) {
        if (!existing.grids.includes(s.name)) existing.grids.push(s.name);
        continue;
      }
      const derived = deriveValues(spec, swept, fileValues, diagnostics);
      if (!derived) continue;
      const v: Variant = { id: '', swept, derived, grids: [s.name] };
      bySignature.set(signature, v);
      variants.push(v);
    }
  }
  if (diagnostics.length > 0) return err(diagnostics);
  assignIds(variants);
  return ok(variants);
}

/** A configuration's identity: its values by key, independent of key order. */
export function variantSignature(swept: readonly ParamAssignment[]): string {
  const byKey: Record<string, unknown> = {};
  for (const a of swept) setOwn(byKey, paramKeyLabel(a.key), a.value);
  return canonicalJson(byKey);
}

function product(dimensions: ParamAssignment[][][]): ParamAssignment[][] {
  return dimensions.reduce<ParamAssignment[][]>((acc, dim) => acc.flatMap((prefix) => dim.map((choice) => [...prefix, ...choice])), [[]]);
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
    const signature = variantSignature(v.swept);
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
