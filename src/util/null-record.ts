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

/** `obj[key]` when `key` is the object's own property (never an inherited `constructor` or `__proto__`). */
export function getOwn(obj: object, key: string | number): unknown {
  return Object.hasOwn(obj, key) ? (obj as Record<string | number, unknown>)[key] : undefined;
}

/** `obj[key] = value` as a plain own property, also for `__proto__` (which assignment would turn into a prototype change). */
export function setOwn(obj: object, key: string | number, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}
