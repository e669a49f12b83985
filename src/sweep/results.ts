import { isProcessAlive } from '../exec/process-group.js';
import { compareCells, type Table } from './table.js';
import { effectiveStatus, type SweepRecord, type VariantRecord } from './state.js';

export interface ResultRow {
  variant: string;
  status: string;
  /** Seconds, for machines; the text renderers format it. */
  duration: number | undefined;
  values: Record<string, unknown>;
}

export interface ResultOptions {
  sortBy?: string;
  descending?: boolean;
  /** Columns to keep (besides `variant`), in this order; a key also selects every `key.*`. */
  only?: readonly string[];
}

/**
 * `sweep show`: one row per variant — swept params, derived params, status, duration, then every
 * metric any variant has (first-seen order). `only` picks and orders columns; `sortBy` any column.
 */
export function resultTable(record: SweepRecord, opts: ResultOptions = {}, alive: (pid: number) => boolean = isProcessAlive): { table: Table; rows: ResultRow[] } {
  const metricKeys = [...new Set(record.variants.flatMap((v) => Object.keys(v.metrics ?? {})))];
  const all = ['variant', ...record.sweptKeys, ...record.derivedKeys.filter((k) => !record.sweptKeys.includes(k)), 'status', 'duration', ...metricKeys];
  const rows = record.variants.map((v) => rowOf(record, v, alive));
  const value = (row: ResultRow, column: string): unknown =>
    column === 'variant' ? row.variant : column === 'status' ? row.status : column === 'duration' ? row.duration : row.values[column];
  let columns = all;
  if (opts.only && opts.only.length > 0) {
    columns = ['variant'];
    for (const key of opts.only) for (const c of all) if ((c === key || c.startsWith(`${key}.`)) && !columns.includes(c)) columns.push(c);
  }
  if (opts.sortBy) {
    const key = opts.sortBy;
    const sign = opts.descending ? -1 : 1;
    rows.sort((a, b) => {
      const va = value(a, key);
      const vb = value(b, key);
      const missing = (v: unknown) => v === undefined || v === null;
      // Missing values stay last whichever way the sort goes.
      if (missing(va) || missing(vb)) return compareCells(va, vb);
      return sign * compareCells(va, vb);
    });
  }
  return { table: { columns, rows: rows.map((r) => columns.map((c) => value(r, c))) }, rows };
}

/** Every column name a sweep's table has (for --sort-by/--only checks and did-you-mean). */
export function resultColumns(record: SweepRecord): string[] {
  return resultTable(record).table.columns;
}

function rowOf(record: SweepRecord, v: VariantRecord, alive: (pid: number) => boolean): ResultRow {
  return {
    variant: v.id,
    status: effectiveStatus(record, v, alive),
    duration: v.durationMs === undefined ? undefined : Math.round(v.durationMs / 100) / 10,
    values: { ...v.params, ...v.derived, ...v.metrics },
  };
}
