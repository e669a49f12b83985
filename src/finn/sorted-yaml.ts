import { stringify } from 'yaml';

/** Deterministic YAML: keys sorted at every level, floats rounded to 6 significant digits. */
export function sortedYaml(value: unknown): string {
  return stringify(normalize(value), { sortMapEntries: true, lineWidth: 0 });
}

function normalize(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? value : Number(value.toPrecision(6));
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
  }
  return value;
}
