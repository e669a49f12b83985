import { isMapping } from '../resolve/params-files.js';

// DVC's params/metrics diff, computed as dvc/utils/diff.py does, so `--json` prints exactly DVC's
// document: `{file: {dotted.key: {old, new, diff?}}}`.

export interface DiffEntry {
  old: unknown;
  new: unknown;
  diff?: number;
}
export type DvcDiff = Record<string, Record<string, DiffEntry>>;

/** Python's `repr` for the plain data a params or metrics file holds (DVC prints lists with `str(list)`). */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : value > 0 ? 'inf' : value < 0 ? '-inf' : 'nan';
  if (typeof value === 'string') {
    const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
    const body = value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
    return quote + (quote === "'" ? body.replace(/'/g, "\\'") : body) + quote;
  }
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (isMapping(value)) return `{${Object.entries(value).map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`).join(', ')}}`;
  return String(value);
}

/** DVC's `format_dict`: lists become their Python text, mappings are walked. */
function formatDict(value: unknown): unknown {
  if (Array.isArray(value)) return pyRepr(value);
  if (!isMapping(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: formatDict(v), enumerable: true, writable: true, configurable: true });
  return out;
}

/** flatten_dict with the dot reducer: nested mappings to dotted keys (an empty mapping disappears). */
function flattenDot(value: Record<string, unknown>, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  for (const [k, v] of Object.entries(value)) {
    const key = prefix === '' ? k : `${prefix}.${k}`;
    if (isMapping(v)) flattenDot(v, key, out);
    else out.set(key, v);
  }
  return out;
}

const isNumber = (v: unknown): v is number | boolean => typeof v === 'number' || typeof v === 'boolean';

/** `_diff_vals`: unchanged values only with `all`; `diff` when both are numbers (Python bools are numbers too). */
function diffVals(old: unknown, now: unknown, all: boolean): DiffEntry | undefined {
  if (!all && JSON.stringify(old) === JSON.stringify(now)) return undefined;
  const entry: DiffEntry = { old: old ?? null, new: now ?? null };
  if (isNumber(old) && isNumber(now)) entry.diff = Number(now) - Number(old);
  return entry;
}

/**
 * Both sides as `file -> parsed content` (absent: the file is missing on that side). Files sorted,
 * keys sorted, for a stable document (DVC's own order follows Python sets).
 */
export function dvcDiff(oldSide: ReadonlyMap<string, unknown>, newSide: ReadonlyMap<string, unknown>, all: boolean): DvcDiff {
  const result: DvcDiff = {};
  const files = [...new Set([...oldSide.keys(), ...newSide.keys()])].sort();
  for (const file of files) {
    const a = formatDict(oldSide.get(file) ?? {});
    const b = formatDict(newSide.get(file) ?? {});
    const entries: Record<string, DiffEntry> = {};
    if (isMapping(a) || isMapping(b)) {
      const flatA = isMapping(a) ? flattenDot(a) : new Map<string, unknown>();
      const flatB = isMapping(b) ? flattenDot(b) : new Map<string, unknown>();
      for (const key of [...new Set([...flatA.keys(), ...flatB.keys()])].sort()) {
        const entry = diffVals(flatA.get(key), flatB.get(key), all);
        if (entry) Object.defineProperty(entries, key, { value: entry, enumerable: true, writable: true, configurable: true });
      }
    } else {
      const entry = diffVals(a, b, all);
      if (entry) entries[''] = entry;
    }
    if (Object.keys(entries).length > 0) Object.defineProperty(result, file, { value: entries, enumerable: true, writable: true, configurable: true });
  }
  return result;
}

/** A cell as DVC's table shows it: `-` for nothing, Python's text for values, numbers rounded when asked. */
function cell(value: unknown, precision: number | undefined): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'number' && precision !== undefined && !Number.isInteger(value)) return String(Number(value.toFixed(precision)));
  if (typeof value === 'string') return value;
  return pyRepr(value);
}

/**
 * DVC's `--md` table (tabulate's "github" format, as in dvc tests/unit/test_compare.py): columns
 * padded to the widest cell or the header plus two, a blank line after the table.
 */
export function renderDiffMarkdown(diff: DvcDiff, opts: { title: string; oldLabel: string; newLabel: string; changes: boolean; precision?: number }): string {
  const header = ['Path', opts.title, opts.oldLabel, opts.newLabel, ...(opts.changes ? ['Change'] : [])];
  const rows: string[][] = [];
  for (const [file, entries] of Object.entries(diff)) {
    for (const [key, e] of Object.entries(entries)) {
      rows.push([file, key, cell(e.old, opts.precision), cell(e.new, opts.precision), ...(opts.changes ? [cell(e.diff, opts.precision)] : [])]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length + 2, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.replace(/\|/g, '\\|').padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line), '', ''].join('\n');
}

/** dpath.search + merge: the parts of `data` the dotted `keys` name, nested as in the file. */
export function selectKeys(data: unknown, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const parts = key.split('.');
    let source: unknown = data;
    for (const part of parts) source = isMapping(source) && Object.hasOwn(source, part) ? source[part] : Array.isArray(source) && /^\d+$/.test(part) ? source[Number(part)] : undefined;
    if (source === undefined) continue;
    let target = out;
    parts.slice(0, -1).forEach((part) => {
      if (!isMapping(target[part])) Object.defineProperty(target, part, { value: {}, enumerable: true, writable: true, configurable: true });
      target = target[part] as Record<string, unknown>;
    });
    Object.defineProperty(target, parts[parts.length - 1]!, { value: structuredClone(source), enumerable: true, writable: true, configurable: true });
  }
  return out;
}
