/**
 * A record keyed by user-chosen names (stage names, params keys, file names). It has no prototype,
 * so `constructor`, `toString` or `__proto__` are ordinary keys: `r.constructor` is undefined unless
 * set, and `r['__proto__'] = x` stores x instead of replacing the prototype.
 */
export function nullRecord<T>(entries?: Iterable<readonly [string, T]>): Record<string, T> {
  const record = Object.create(null) as Record<string, T>;
  if (entries) for (const [key, value] of entries) record[key] = value;
  return record;
}
