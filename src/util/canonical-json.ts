/** Returns a deep copy with object keys sorted, so equal values serialize to equal text. */
export function canonicalize<T>(value: T): T {
  if (Array.isArray(value)) return value.map(canonicalize) as T;
  if (value !== null && typeof value === 'object') {
    const src = value as Record<string, unknown>;
    return Object.fromEntries(Object.keys(src).sort().map((k) => [k, canonicalize(src[k])])) as T;
  }
  return value;
}

/** JSON text with sorted keys: a stable identity for any plain value. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonicalize(value));
}
