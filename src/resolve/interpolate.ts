import type { Diagnostic, DiagnosticCode } from '../model/diagnostic.js';
import { err, ok, type Result } from '../model/result.js';
import { keySpanAt, spanAt, spanInScalar, type YamlPath, type YamlSource } from '../config/yaml-document.js';
import { evaluate, parseExpression, selectPath, type Scope } from './expression.js';
import { cmdText, scalarToString } from './cmd-unpack.js';

/** A templating problem, located by path (relative to the interpolated value) and offset in the string. */
export interface InterpolationIssue {
  code: DiagnosticCode;
  message: string;
  path: YamlPath;
  /** Offset of the `${` in the string value, and the length of the `${...}` text. */
  offset?: number;
  length?: number;
  /** The problem is in the mapping key that `path` ends in, not in its value. */
  inKey?: boolean;
}

type Segment = { kind: 'text'; text: string } | { kind: 'expr'; source: string; offset: number; length: number };

/** Splits `a ${x} \${y}` into text and expression parts; `\${` is a literal `${`. */
export function splitTemplate(input: string): Result<Segment[], Omit<InterpolationIssue, 'path'>> {
  const segments: Segment[] = [];
  let textStart = 0;
  let buffer = '';
  let i = 0;
  while (i < input.length) {
    if (input.startsWith('\\${', i)) {
      buffer += input.slice(textStart, i) + '${';
      i += 3;
      textStart = i;
      continue;
    }
    if (!input.startsWith('${', i)) {
      i++;
      continue;
    }
    const end = closingBrace(input, i + 2);
    if (end === -1) {
      return err({ code: 'invalid-interpolation', message: `unterminated "\${" in "${input}"`, offset: i, length: 2 });
    }
    buffer += input.slice(textStart, i);
    if (buffer !== '') segments.push({ kind: 'text', text: buffer });
    buffer = '';
    segments.push({ kind: 'expr', source: input.slice(i + 2, end), offset: i, length: end + 1 - i });
    i = end + 1;
    textStart = i;
  }
  buffer += input.slice(textStart);
  if (buffer !== '') segments.push({ kind: 'text', text: buffer });
  return ok(segments);
}

function closingBrace(input: string, from: number): number {
  let quote: string | undefined;
  for (let i = from; i < input.length; i++) {
    const c = input[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '}') return i;
  }
  return -1;
}

export type TemplateMode = 'plain' | 'cmd';

/**
 * Renders one string. A string that is exactly `${expr}` keeps the value's type (outside cmd);
 * otherwise parts are stringified, and in `cmd` dicts/lists unpack to shell arguments.
 */
export function interpolateString(
  input: string,
  scope: Scope,
  mode: TemplateMode,
): Result<unknown, Omit<InterpolationIssue, 'path'>[]> {
  const split = splitTemplate(input);
  if (!split.ok) return err([split.error]);
  const segments = split.value;
  const only = segments[0];
  if (segments.length === 1 && only?.kind === 'expr' && mode === 'plain') {
    const value = evaluateSegment(only, scope);
    return value.ok ? value : err([value.error]);
  }
  const issues: Omit<InterpolationIssue, 'path'>[] = [];
  let out = '';
  for (const segment of segments) {
    if (segment.kind === 'text') {
      out += segment.text;
      continue;
    }
    const value = evaluateSegment(segment, scope);
    if (!value.ok) {
      issues.push(value.error);
      continue;
    }
    const text = mode === 'cmd' ? cmdText(value.value) : scalarToString(value.value);
    if (text.ok) out += text.value;
    else {
      const why = mode === 'cmd' ? text.error : `${text.error} and cannot be embedded in a string`;
      issues.push({ code: 'invalid-interpolation', message: `"\${${segment.source}}" ${why}`, offset: segment.offset, length: segment.length });
    }
  }
  return issues.length > 0 ? err(issues) : ok(out);
}

function evaluateSegment(segment: Extract<Segment, { kind: 'expr' }>, scope: Scope): Result<unknown, Omit<InterpolationIssue, 'path'>> {
  const at = { offset: segment.offset, length: segment.length };
  const selected = selectPath(segment.source, scope);
  if (selected) return ok(selected.value);
  const parsed = parseExpression(segment.source);
  if (!parsed.ok) return err({ ...parsed.error, ...at });
  const value = evaluate(parsed.value, scope);
  return value.ok ? value : err({ ...value.error, ...at });
}

/**
 * Interpolates every string inside `value`, mapping keys included, as DVC does (`- ${file}:` in
 * params, `- report.${item}.ipynb: {cache: false}` in outs). `modeAt` picks cmd mode by path.
 * Failed strings are left as written so validation can still report unknown keys.
 */
export function interpolateTree(
  value: unknown,
  scope: Scope,
  modeAt: (path: YamlPath) => TemplateMode,
  path: YamlPath = [],
): { value: unknown; issues: InterpolationIssue[] } {
  if (typeof value === 'string') {
    const rendered = interpolateString(value, scope, modeAt(path));
    if (rendered.ok) return { value: rendered.value, issues: [] };
    return { value, issues: rendered.error.map((issue) => ({ ...issue, path })) };
  }
  const issues: InterpolationIssue[] = [];
  if (Array.isArray(value)) {
    const items = value.map((item, i) => {
      const child = interpolateTree(item, scope, modeAt, [...path, i]);
      issues.push(...child.issues);
      return child.value;
    });
    return { value: items, issues };
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [written, item] of Object.entries(value)) {
      const key = interpolateKey(written, scope, [...path, written], issues);
      if (Object.hasOwn(out, key)) {
        issues.push({ code: 'invalid-interpolation', message: `key "${written}" renders to "${key}", which this mapping already has`, path: [...path, written], inKey: true });
        continue;
      }
      const child = interpolateTree(item, scope, modeAt, [...path, written]);
      issues.push(...child.issues);
      // defineProperty: a YAML key named __proto__ must stay a plain key.
      Object.defineProperty(out, key, { value: child.value, enumerable: true, writable: true, configurable: true });
    }
    return { value: out, issues };
  }
  return { value, issues };
}

/** A mapping key with `${...}` rendered to a string (a key must be a scalar); the written key on failure. */
function interpolateKey(written: string, scope: Scope, path: YamlPath, issues: InterpolationIssue[]): string {
  if (!written.includes('${')) return written;
  const rendered = interpolateString(written, scope, 'plain');
  if (!rendered.ok) {
    issues.push(...rendered.error.map((issue) => ({ ...issue, path, inKey: true })));
    return written;
  }
  const text = scalarToString(rendered.value);
  if (text.ok) return text.value;
  issues.push({ code: 'invalid-interpolation', message: `key "${written}" ${text.error}; a key must be a string or number`, path, inKey: true });
  return written;
}

/** Points an issue at its `${` inside the YAML scalar (or at the node when there is no offset). */
export function interpolationDiagnostic(source: YamlSource, basePath: YamlPath, issue: InterpolationIssue): Diagnostic {
  const path = [...basePath, ...issue.path];
  if (issue.inKey) return { code: issue.code, message: issue.message, span: keySpanAt(source, path) };
  const span =
    issue.offset === undefined ? spanAt(source, path) : spanInScalar(source, path, issue.offset, issue.length ?? 2);
  return { code: issue.code, message: issue.message, span };
}
