import type { Scalar } from './metrics-files.js';
import { nullRecord } from '../util/null-record.js';

export interface DiffRow {
  file: string;
  key: string;
  old: Scalar | undefined;
  new: Scalar | undefined;
  /** new - old when both are numbers. */
  change?: number;
}

/** Leaf-by-leaf comparison of two sides, each `file -> flattened key -> value`; unchanged rows only with `all`. */
export function diffValues(
  oldSide: ReadonlyMap<string, Record<string, Scalar>>,
  newSide: ReadonlyMap<string, Record<string, Scalar>>,
  opts: { all: boolean },
): DiffRow[] {
  const rows: DiffRow[] = [];
  const files = [...new Set([...oldSide.keys(), ...newSide.keys()])].sort();
  for (const file of files) {
    const a = oldSide.get(file) ?? {};
    const b = newSide.get(file) ?? {};
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const key of keys) {
      const o = Object.hasOwn(a, key) ? a[key] : undefined;
      const n = Object.hasOwn(b, key) ? b[key] : undefined;
      const same = JSON.stringify(o) === JSON.stringify(n);
      if (same && !opts.all) continue;
      const row: DiffRow = { file, key, old: o, new: n };
      if (typeof o === 'number' && typeof n === 'number') row.change = Number((n - o).toPrecision(12));
      rows.push(row);
    }
  }
  return rows;
}

/** DVC-shaped JSON: `{file: {key: {old, new, diff?}}}`. */
export function diffJson(rows: readonly DiffRow[]): Record<string, Record<string, { old: Scalar | null; new: Scalar | null; diff?: number }>> {
  const out = nullRecord<Record<string, { old: Scalar | null; new: Scalar | null; diff?: number }>>();
  for (const r of rows) {
    (out[r.file] ??= nullRecord())[r.key] = { old: r.old ?? null, new: r.new ?? null, ...(r.change !== undefined ? { diff: r.change } : {}) };
  }
  return out;
}
