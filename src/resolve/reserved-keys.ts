import type { Diagnostic } from '../model/diagnostic.js';
import { keySpanAt, type YamlPath, type YamlSource } from '../config/yaml-document.js';

/**
 * `__proto__` is refused as a key anywhere in pipeline.yaml (stage names, env, resources, matrix
 * axes, inline vars): the schema library drops such keys silently, and a stage or variable that
 * quietly vanishes is worse than an error. Params files may use it: they are read by key, never
 * merged into objects with a prototype.
 */
export const RESERVED_KEY = '__proto__';

/** Walks the document without recursion (it may be deeply nested) and reports every reserved key. */
export function findReservedKeys(source: YamlSource): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const seen = new Set<object>();
  const stack: { value: unknown; path: YamlPath }[] = [{ value: source.value, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (value === null || typeof value !== 'object' || seen.has(value)) continue;
    seen.add(value);
    if (Array.isArray(value)) {
      value.forEach((item, i) => stack.push({ value: item, path: [...path, i] }));
      continue;
    }
    for (const [key, item] of Object.entries(value)) {
      if (key === RESERVED_KEY) {
        diagnostics.push({
          code: 'invalid-value',
          message: `"${RESERVED_KEY}" is reserved and cannot be used as a name or key in ${source.file}`,
          span: keySpanAt(source, [...path, key]),
        });
      }
      stack.push({ value: item, path: [...path, key] });
    }
  }
  return diagnostics;
}
