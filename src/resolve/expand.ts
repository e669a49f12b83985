import type { Diagnostic } from '../model/diagnostic.js';
import { err, ok, type Result } from '../model/result.js';
import { keySpanAt, spanAt, type YamlPath, type YamlSource } from '../config/yaml-document.js';
import { foreachTemplateSchema, matrixSchema } from '../config/schema.js';
import { kindOf, pathString, validateAt } from '../config/zod-diagnostics.js';
import { interpolateString, interpolateTree, interpolationDiagnostic } from './interpolate.js';
import { isMapping } from './params-files.js';
import type { Scope } from './expression.js';
import { MAX_STAGES } from './limits.js';

/** One concrete stage before templating of its fields: `build@4` from `build: {foreach: ...}`. */
export interface StageInstance {
  name: string;
  templateName: string;
  /** Where the stage body is in pipeline.yaml (`stages.X`, or `stages.X.do` for foreach). */
  bodyPath: YamlPath;
  body: Record<string, unknown>;
  scope: Scope;
}

const STAGE_NAME = /^[A-Za-z0-9_.-]+$/;

/** Expands `foreach`/`matrix` templates; plain stages come back as a single instance. */
export function expandStage(name: string, raw: unknown, scope: Scope, source: YamlSource, maxInstances = Infinity): Result<StageInstance[], Diagnostic[]> {
  const stagePath = ['stages', name];
  if (!STAGE_NAME.test(name)) {
    return err([
      {
        code: 'invalid-value',
        message: `invalid stage name "${name}": use letters, digits, "_", "." and "-" ("@" is reserved for foreach/matrix)`,
        span: keySpanAt(source, stagePath),
      },
    ]);
  }
  if (!isMapping(raw)) {
    return err([{ code: 'invalid-type', message: `${pathString(stagePath)}: expected a stage definition (mapping), got ${kindOf(raw)}`, span: spanAt(source, stagePath) }]);
  }
  if ('foreach' in raw && 'matrix' in raw) {
    return err([{ code: 'invalid-value', message: `stage "${name}" uses both foreach and matrix; pick one`, span: keySpanAt(source, stagePath) }]);
  }
  if ('foreach' in raw) return expandForeach(name, raw, scope, source);
  if ('matrix' in raw) return expandMatrix(name, raw, scope, source, maxInstances);
  return ok([{ name, templateName: name, bodyPath: stagePath, body: raw, scope }]);
}

/**
 * A `${expr}` string evaluated to a collection; a written list or mapping has every `${...}` inside
 * it (keys too) interpolated, as DVC resolves foreach and matrix data (`context.resolve`).
 */
function resolveCollection(value: unknown, scope: Scope, source: YamlSource, path: YamlPath): Result<unknown, Diagnostic[]> {
  if (typeof value !== 'string') {
    const templated = interpolateTree(value, scope, () => 'plain');
    if (templated.issues.length > 0) return err(templated.issues.map((issue) => interpolationDiagnostic(source, path, issue)));
    return ok(templated.value);
  }
  const rendered = interpolateString(value, scope, 'plain');
  if (!rendered.ok) return err(rendered.error.map((issue) => interpolationDiagnostic(source, path, { ...issue, path: [] })));
  return ok(rendered.value);
}

const isScalar = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

function expandForeach(name: string, raw: Record<string, unknown>, scope: Scope, source: YamlSource): Result<StageInstance[], Diagnostic[]> {
  const stagePath = ['stages', name];
  const checked = validateAt(foreachTemplateSchema, { source, basePath: stagePath, data: raw });
  if (!checked.ok) return checked;
  const foreachPath = [...stagePath, 'foreach'];
  const items = resolveCollection(checked.value.foreach, scope, source, foreachPath);
  if (!items.ok) return items;
  const base = { templateName: name, bodyPath: [...stagePath, 'do'], body: checked.value.do };
  if (Array.isArray(items.value)) {
    const list = items.value;
    // Scalars name the stage by value (`build@4`); structured items by position (`build@0`).
    const byValue = list.every(isScalar);
    return ok(list.map((item, i) => ({ ...base, name: `${name}@${byValue ? String(item) : i}`, scope: { ...scope, item } })));
  }
  if (isMapping(items.value)) {
    return ok(Object.entries(items.value).map(([key, item]) => ({ ...base, name: `${name}@${key}`, scope: { ...scope, key, item } })));
  }
  return err([{ code: 'invalid-value', message: `${pathString(foreachPath)}: expected a list or a mapping, got ${kindOf(items.value)}`, span: spanAt(source, foreachPath) }]);
}

function expandMatrix(name: string, raw: Record<string, unknown>, scope: Scope, source: YamlSource, maxInstances: number): Result<StageInstance[], Diagnostic[]> {
  const matrixPath = ['stages', name, 'matrix'];
  const checked = validateAt(matrixSchema, { source, basePath: matrixPath, data: raw.matrix });
  if (!checked.ok) return checked;
  const axes: [string, unknown[]][] = [];
  const diagnostics: Diagnostic[] = [];
  for (const [axis, declared] of Object.entries(checked.value)) {
    const values = resolveCollection(declared, scope, source, [...matrixPath, axis]);
    if (!values.ok) diagnostics.push(...values.error);
    else if (!Array.isArray(values.value) || values.value.length === 0) {
      const got = Array.isArray(values.value) ? 'an empty list' : kindOf(values.value);
      diagnostics.push({ code: 'invalid-value', message: `${pathString([...matrixPath, axis])}: expected a non-empty list, got ${got}`, span: spanAt(source, [...matrixPath, axis]) });
    } else axes.push([axis, values.value]);
  }
  if (diagnostics.length > 0) return err(diagnostics);
  // Checked before expanding: a few long axes multiply to more stages than memory holds.
  const count = axes.reduce((n, [, values]) => n * values.length, 1);
  if (count > maxInstances) {
    return err([{ code: 'limit-exceeded', message: `${pathString(matrixPath)}: expands to ${count} stages; a pipeline may have at most ${MAX_STAGES} in all`, span: keySpanAt(source, matrixPath) }]);
  }

  const body = Object.fromEntries(Object.entries(raw).filter(([key]) => key !== 'matrix'));
  // Cartesian product, first axis outermost, so names come out in declaration order.
  let combos: { parts: string[]; item: Record<string, unknown> }[] = [{ parts: [], item: {} }];
  for (const [axis, values] of axes) {
    combos = combos.flatMap((combo) =>
      values.map((value, i) => ({
        parts: [...combo.parts, isScalar(value) ? String(value) : `${axis}${i}`],
        item: { ...combo.item, [axis]: value },
      })),
    );
  }
  // As DVC's MatrixDefinition: `${key}` is the generated name's suffix, `${item.<axis>}` each value.
  return ok(
    combos.map((combo) => {
      const key = combo.parts.join('-');
      return { name: `${name}@${key}`, templateName: name, bodyPath: ['stages', name], body, scope: { ...scope, key, item: combo.item } };
    }),
  );
}
