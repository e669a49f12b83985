import type * as z from 'zod';
import type { Diagnostic, DiagnosticCode } from '../model/diagnostic.js';
import { err, ok, type Result } from '../model/result.js';
import { didYouMean } from './did-you-mean.js';
import { keySpanAt, mapKeySpans, spanAt, type YamlPath, type YamlSource } from './yaml-document.js';

type Issue = z.core.$ZodIssue;

/** Where validated data sits in its YAML file, so issue paths can be mapped back to nodes. */
export interface ValidationSite {
  source: YamlSource;
  /** Path of the validated value inside the document. */
  basePath: YamlPath;
  data: unknown;
  schema: z.ZodType;
}

/** Validates `site.data` and returns the parsed value, or diagnostics pointing into the YAML. */
export function validateAt<T>(schema: z.ZodType<T>, site: Omit<ValidationSite, 'schema'>): Result<T, Diagnostic[]> {
  const parsed = schema.safeParse(site.data);
  if (parsed.success) return ok(parsed.data);
  return err(issuesToDiagnostics(parsed.error.issues, { ...site, schema }));
}

export function issuesToDiagnostics(issues: readonly Issue[], site: ValidationSite): Diagnostic[] {
  return issues.flatMap((issue) => issueToDiagnostics(issue, [], site));
}

function issueToDiagnostics(issue: Issue, prefix: YamlPath, site: ValidationSite): Diagnostic[] {
  const rel = [...prefix, ...(issue.path as (string | number)[])];
  const full = [...site.basePath, ...rel];
  const value = valueAt(site.data, rel);
  const where = pathString(full);
  if ((issue.code === 'invalid_type' || issue.code === 'invalid_union') && value === undefined && rel.length > 0) {
    const parent = full.slice(0, -1);
    return [
      {
        code: 'invalid-type',
        message: `${pathString(parent) || 'top level'}: missing required key "${String(full[full.length - 1])}"`,
        span: keySpanAt(site.source, parent),
      },
    ];
  }
  switch (issue.code) {
    case 'invalid_union': {
      const branch = bestUnionBranch(issue.errors);
      if (branch) return branch.flatMap((inner) => issueToDiagnostics(inner, rel, site));
      return [typeDiagnostic(issue.message, value, full, site)];
    }
    case 'unrecognized_keys': {
      const allowed = objectKeysAt(site.schema, rel) ?? [];
      const keySpans = mapKeySpans(site.source, full);
      return issue.keys.map((key) => ({
        code: 'unknown-key' as const,
        message: `unknown key "${key}" ${objectLabel(full)}${didYouMean(key, allowed)}`,
        span: keySpans.get(key) ?? spanAt(site.source, full),
      }));
    }
    case 'invalid_type':
      return [typeDiagnostic(phrase(issue), value, full, site)];
    case 'invalid_value': {
      const code: DiagnosticCode = full[full.length - 1] === 'executor' ? 'unknown-executor' : 'invalid-value';
      const options = issue.values.filter((v): v is string => typeof v === 'string');
      const hint = typeof value === 'string' ? didYouMean(value, options) : '';
      return [{ code, message: `${where}: expected ${issue.message}, got ${describeValue(value)}${hint}`, span: spanAt(site.source, full) }];
    }
    case 'invalid_key': {
      // A mapping key the schema refuses (a tool or sweep name): point at the key, say what it should be.
      const expected = issue.issues[0]?.message ?? 'a valid key';
      const key = String(full[full.length - 1]);
      return [{ code: 'invalid-value', message: `${pathString(full.slice(0, -1))}: key "${key}": expected ${expected}`, span: keySpanAt(site.source, full) }];
    }
    case 'too_small':
    case 'too_big':
    case 'not_multiple_of':
      return [{ code: 'invalid-value', message: `${where}: expected ${issue.message}, got ${describeValue(value)}`, span: spanAt(site.source, full) }];
    default:
      return [{ code: 'invalid-value', message: `${where}: ${issue.message}`, span: spanAt(site.source, full) }];
  }
}

function typeDiagnostic(expected: string, value: unknown, full: YamlPath, site: ValidationSite): Diagnostic {
  return {
    code: 'invalid-type',
    message: `${pathString(full) || 'top level'}: expected ${expected}, got ${kindOf(value)}`,
    span: spanAt(site.source, full),
  };
}

/**
 * Picks the union member that got furthest: one whose type matched at the root (its issues are
 * nested or about values). Undefined when every member rejected the value's type outright.
 */
function bestUnionBranch(branches: readonly (readonly Issue[])[]): readonly Issue[] | undefined {
  let best: readonly Issue[] | undefined;
  let bestScore = -1;
  for (const branch of branches) {
    if (branch.length === 0) continue;
    if (branch.some((i) => i.code === 'invalid_type' && i.path.length === 0)) continue;
    const score = Math.max(...branch.map((i) => i.path.length));
    if (score > bestScore) {
      best = branch;
      bestScore = score;
    }
  }
  return best;
}

function phrase(issue: Extract<Issue, { code: 'invalid_type' }>): string {
  // Schemas set human phrases; zod's default text only shows up for an unlabelled schema.
  if (!issue.message.startsWith('Invalid input')) return issue.message;
  const words: Record<string, string> = { string: 'a string', number: 'a number', boolean: 'true or false', array: 'a list', object: 'a mapping', record: 'a mapping', null: 'nothing' };
  return words[issue.expected] ?? issue.expected;
}

export function kindOf(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'a mapping';
    default:
      return typeof value;
  }
}

function describeValue(value: unknown): string {
  if (Array.isArray(value) && value.length === 0) return 'an empty list';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  return kindOf(value);
}

/** `stages.train.deps[0]`; keys that are not identifiers are quoted: `params[1]["other.yaml"]`. */
export function pathString(path: YamlPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z0-9_@-]+$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

function objectLabel(full: YamlPath): string {
  if (full.length === 0) return 'at the top level';
  if (full[0] === 'stages' && full.length === 2) return `in stage "${String(full[1])}"`;
  if (full[0] === 'stages' && full.length === 3 && full[2] === 'do') return `in stage "${String(full[1])}"`;
  return `in "${pathString(full)}"`;
}

function valueAt(data: unknown, path: YamlPath): unknown {
  let current = data;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

interface LooseDef {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  options?: z.ZodType[];
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
}

/** Keys allowed by the object schema found at `path`, for did-you-mean on unknown keys. */
function objectKeysAt(schema: z.ZodType, path: YamlPath, i = 0): string[] | undefined {
  const def = schema._zod.def as unknown as LooseDef;
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'readonly':
      return def.innerType ? objectKeysAt(def.innerType, path, i) : undefined;
    case 'pipe':
      return def.in ? objectKeysAt(def.in, path, i) : undefined;
    case 'union':
      for (const option of def.options ?? []) {
        const keys = objectKeysAt(option, path, i);
        if (keys) return keys;
      }
      return undefined;
    case 'object': {
      if (i === path.length) return Object.keys(def.shape ?? {});
      const child = def.shape?.[String(path[i])];
      return child ? objectKeysAt(child, path, i + 1) : undefined;
    }
    case 'array':
      return i < path.length && def.element ? objectKeysAt(def.element, path, i + 1) : undefined;
    case 'record':
      return i < path.length && def.valueType ? objectKeysAt(def.valueType, path, i + 1) : undefined;
    default:
      return undefined;
  }
}
