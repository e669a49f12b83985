import type { Diagnostic, SourceSpan } from '../model/diagnostic.js';
import { err, ok, type Result } from '../model/result.js';
import type { ProjectFiles } from '../config/project-files.js';
import { parseYamlSource, plainSource, type YamlSource } from '../config/yaml-document.js';
import { paramsFormat, parseNonYamlParams } from './params-formats.js';
import { didYouMean } from '../config/did-you-mean.js';

/**
 * Reads params and vars files once each: YAML and JSON (with positions), TOML and Python (DVC's
 * rules, see python-params.ts; positions point at the file). Missing files come back as a `file-missing`
 * diagnostic without a span: the caller knows which pipeline.yaml entry referenced the file.
 */
export class DataFiles {
  private readonly cache = new Map<string, Result<YamlSource, Diagnostic[]>>();

  constructor(private readonly files: ProjectFiles) {}

  /** Every file asked for so far (found or not), root-relative. */
  requested(): string[] {
    return [...this.cache.keys()];
  }

  load(file: string): Result<YamlSource, Diagnostic[]> {
    const cached = this.cache.get(file);
    if (cached) return cached;
    const result = this.read(file);
    this.cache.set(file, result);
    return result;
  }

  private read(file: string): Result<YamlSource, Diagnostic[]> {
    const outside = this.files.outsideRoot?.(file);
    if (outside !== undefined) {
      return err([{ code: 'path-escapes-workspace', message: `${file} resolves to ${outside}, outside the workspace (through a symlink); params and vars are read only from inside it` }]);
    }
    const text = this.files.readText(file);
    if (text === undefined) return err([{ code: 'file-missing', message: `${file}: file not found` }]);
    const format = paramsFormat(file);
    if (format === 'yaml' || format === 'json') return parseYamlSource(file, text);
    const parsed = parseNonYamlParams(file, text, format);
    if (!parsed.ok) return err([{ code: 'yaml-syntax', message: parsed.error, span: { file, line: 1, col: 1, endLine: 1, endCol: 1 } }]);
    return ok(plainSource(file, text, parsed.value));
  }
}

/** Gives span-less diagnostics (e.g. a missing file) the span of the entry that referenced them. */
export function pointAt(diagnostics: Diagnostic[], span: SourceSpan): Diagnostic[] {
  return diagnostics.map((d) => (d.span ? d : { ...d, span }));
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Looks up a dotted key (`model.heads`, `layers.0`); on failure returns a did-you-mean suffix (maybe empty). */
export function lookupDotted(root: unknown, key: string): Result<unknown, string> {
  let current = root;
  const parts = key.split('.');
  for (const [i, part] of parts.entries()) {
    const seen = parts.slice(0, i).join('.');
    const prefix = seen === '' ? '' : `${seen}.`;
    if (isMapping(current) && Object.hasOwn(current, part)) {
      current = current[part];
    } else if (Array.isArray(current) && /^\d+$/.test(part) && Number(part) < current.length) {
      current = current[Number(part)];
    } else {
      const candidates = isMapping(current) ? Object.keys(current) : [];
      return err(didYouMean(part, candidates, prefix));
    }
  }
  return ok(current);
}
