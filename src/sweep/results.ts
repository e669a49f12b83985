import { closestMatch } from '../config/did-you-mean.js';
import { isProcessAlive } from '../exec/process-group.js';
import { err, ok, type Result } from '../model/result.js';
import { scalar } from './axis.js';
import { effectiveStatus, type SweepRecord, type VariantRecord } from './state.js';
import { compareCells, type Table } from './table.js';

/**
 * The results of a sweep as data: typed cells and column metadata, no formatting. `sweep show`
 * filters, sorts, pivots and renders it; reports and plots (issue 18) read the same structure.
 */
export type Cell = string | number | boolean | null;

export type ColumnKind = 'variant' | 'grids' | 'param' | 'derived' | 'status' | 'duration' | 'stage-time' | 'metric' | 'error';

export interface Column {
  /** The name the data has (`model.bits`, `post_synth.LUT`, `time.hls`). */
  key: string;
  /** The name shown: the sweep's alias (`LUT`) or the key. */
  label: string;
  kind: ColumnKind;
  /** Every present value is a number. */
  numeric: boolean;
  /** `s` for durations. */
  unit?: 's';
  /** Left out of the default view (per-stage times): `--only time` shows them. */
  hidden?: boolean;
}

export interface ResultRow {
  /** Variant id, or `baseline` for the main workspace's row. */
  variant: string;
  baseline: boolean;
  status: string;
  grids: string[];
  /** By column key; a missing key is a missing value. */
  values: Record<string, Cell>;
}

export interface ResultTable {
  sweep: string;
  columns: Column[];
  rows: ResultRow[];
}

/** The main workspace as a row: its params (the sweep's keys) and metrics, read by the caller. */
export interface BaselineValues {
  params: Record<string, unknown>;
  metrics: Record<string, Cell>;
}

export const BASELINE_ID = 'baseline';

/**
 * One row per variant: variant, grids, swept params, derived params, status, duration (seconds of
 * stage execution, summed), each stage's seconds (`time.<stage>`), every metric any variant has
 * (first-seen order), and `error` when some variant failed. Aliases (`columns:`) rename columns.
 */
export function resultTable(record: SweepRecord, opts: { baseline?: BaselineValues } = {}, alive: (pid: number) => boolean = isProcessAlive): ResultTable {
  const rows = record.variants.map((v) => rowOf(record, v, alive));
  if (opts.baseline) {
    const values: Record<string, Cell> = {};
    for (const [k, v] of Object.entries(opts.baseline.params)) values[k] = toCell(v);
    Object.assign(values, opts.baseline.metrics);
    values.variant = BASELINE_ID;
    values.status = 'baseline';
    rows.unshift({ variant: BASELINE_ID, baseline: true, status: 'baseline', grids: [], values });
  }
  const stageKeys = unique(record.variants.flatMap((v) => Object.keys(v.stageSeconds ?? {}))).map((s) => `time.${s}`);
  const metricKeys = unique(rows.flatMap((r) => (r.baseline ? Object.keys(opts.baseline!.metrics) : Object.keys(record.variants.find((v) => v.id === r.variant)?.metrics ?? {}))));
  const columns: Column[] = [];
  const add = (key: string, kind: ColumnKind, unit?: 's', hidden = false) => {
    if (columns.some((c) => c.key === key)) return;
    const present = rows.map((r) => r.values[key]).filter((x) => x !== undefined && x !== null);
    columns.push({ key, label: key, kind, numeric: present.length > 0 && present.every((x) => typeof x === 'number'), ...(unit ? { unit } : {}), ...(hidden ? { hidden } : {}) });
  };
  add('variant', 'variant');
  // Only a sweep of several grids (or grids and variants) says which grid a row came from.
  if (new Set(record.variants.flatMap((v) => v.grids ?? [])).size > 1) add('grids', 'grids');
  for (const k of record.sweptKeys) add(k, 'param');
  for (const k of record.derivedKeys) add(k, 'derived');
  add('status', 'status');
  add('duration', 'duration', 's');
  for (const k of stageKeys) add(k, 'stage-time', 's', true);
  for (const k of metricKeys) add(k, 'metric');
  if (rows.some((r) => r.values.error !== undefined)) add('error', 'error');
  for (const a of record.columns ?? []) {
    const c = columns.find((x) => x.key === a.column);
    if (c) c.label = a.alias;
  }
  return { sweep: record.name, columns, rows };
}

function rowOf(record: SweepRecord, v: VariantRecord, alive: (pid: number) => boolean): ResultRow {
  const status = effectiveStatus(record, v, alive);
  const values: Record<string, Cell> = {};
  for (const [k, x] of Object.entries({ ...v.params, ...v.derived })) values[k] = toCell(x);
  for (const [k, x] of Object.entries(v.metrics ?? {})) values[k] = x;
  const seconds = Object.entries(v.stageSeconds ?? {});
  for (const [stage, s] of seconds) values[`time.${stage}`] = s;
  if (seconds.length > 0) values.duration = round(seconds.reduce((sum, [, s]) => sum + s, 0));
  values.variant = v.id;
  values.status = status;
  if (v.grids) values.grids = v.grids.join(' ');
  if (status === 'failed' && v.error) values.error = failureText(v.error);
  return { variant: v.id, baseline: false, status, grids: v.grids ?? [], values };
}

/** `hls: exit 1: ERROR: [HLS 200-70] ...`: the stage, the exit code and the command's last line. */
export function failureText(e: NonNullable<VariantRecord['error']>): string {
  const what = e.exitCode !== undefined ? `exit ${e.exitCode}` : e.message.split('\n')[0]!;
  return `${e.stage ? `${e.stage}: ` : ''}${what}${e.lastLine ? `: ${e.lastLine}` : ''}`;
}

const round = (n: number) => Math.round(n * 100) / 100;

function toCell(v: unknown): Cell {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return JSON.stringify(v);
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

/**
 * The column a name means: its key, its alias, or the one column whose key ends in `.name`
 * (`seq_len` for `model.seq_len`). An error names the columns and a near match.
 */
export function findColumn(table: ResultTable, name: string): Result<Column, string> {
  const exact = table.columns.find((c) => c.key === name) ?? table.columns.find((c) => c.label === name);
  if (exact) return ok(exact);
  const suffix = table.columns.filter((c) => c.key.endsWith(`.${name}`));
  if (suffix.length === 1) return ok(suffix[0]!);
  const names = unique(table.columns.flatMap((c) => [c.label, c.key]));
  const near = closestMatch(name, names);
  if (suffix.length > 1) return err(`"${name}" could be ${suffix.map((c) => c.key).join(' or ')}; write the whole key`);
  return err(`sweep ${table.sweep} has no column "${name}"${near ? ` (did you mean "${near}"?)` : ''}; columns: ${table.columns.map((c) => c.label).join(', ')}`);
}

export interface Condition {
  column: Column;
  op: '=' | '!=' | '<' | '<=' | '>' | '>=';
  value: Cell;
}

/** `--where 'model.seq_len=512,model.bits=2'` (also `!=`, `<`, `<=`, `>`, `>=`); all must hold. */
export function parseWhere(table: ResultTable, text: string): Result<Condition[], string> {
  const out: Condition[] = [];
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const m = /^([^=!<>]+?)\s*(!=|<=|>=|=|<|>)\s*(.*)$/.exec(part);
    if (!m) return err(`--where ${part}: expected COLUMN=VALUE (or != < <= > >=), e.g. model.bits=2`);
    const column = findColumn(table, m[1]!.trim());
    if (!column.ok) return err(`--where ${part}: ${column.error}`);
    out.push({ column: column.value, op: m[2] as Condition['op'], value: toCell(scalar(m[3]!)) });
  }
  return ok(out);
}

export function filterRows(table: ResultTable, conditions: readonly Condition[]): ResultTable {
  const holds = (row: ResultRow, c: Condition): boolean => {
    const v = row.values[c.column.key] ?? null;
    if (c.op === '=') return sameCell(v, c.value);
    if (c.op === '!=') return !sameCell(v, c.value);
    if (v === null || c.value === null) return false;
    const d = compareCells(v, c.value);
    return c.op === '<' ? d < 0 : c.op === '<=' ? d <= 0 : c.op === '>' ? d > 0 : d >= 0;
  };
  return { ...table, rows: table.rows.filter((r) => r.baseline || conditions.every((c) => holds(r, c))) };
}

const sameCell = (a: Cell, b: Cell) => a === b || (a !== null && b !== null && String(a) === String(b));

/** Rows of one grid (the baseline row stays). */
export function gridRows(table: ResultTable, grid: string): ResultTable {
  return { ...table, rows: table.rows.filter((r) => r.baseline || r.grids.includes(grid)) };
}

/** Sorts by several columns in turn; missing values last whichever the direction. The baseline stays first. */
export function sortRows(table: ResultTable, keys: readonly { column: Column; descending: boolean }[]): ResultTable {
  if (keys.length === 0) return table;
  const missing = (v: Cell | undefined) => v === undefined || v === null;
  const rows = [...table.rows].sort((a, b) => {
    if (a.baseline !== b.baseline) return a.baseline ? -1 : 1;
    for (const k of keys) {
      const va = a.values[k.column.key];
      const vb = b.values[k.column.key];
      const d = missing(va) || missing(vb) ? compareCells(va, vb) : (k.descending ? -1 : 1) * compareCells(va, vb);
      if (d !== 0) return d;
    }
    return 0;
  });
  return { ...table, rows };
}

/** What `--only` names: a column, or a prefix (`time`, `breakdown.MVAU`) selecting every `prefix.*` column. */
export type ColumnPick = { column: Column } | { prefix: string };

/** A `--only` name: a column (key, alias, unique last segment), else a prefix of some columns' keys. */
export function findPick(table: ResultTable, name: string): Result<ColumnPick, string> {
  const found = findColumn(table, name);
  if (found.ok) return ok({ column: found.value });
  if (table.columns.some((c) => c.key.startsWith(`${name}.`))) return ok({ prefix: name });
  return found;
}

/**
 * Which columns to show: `picks` choose and order them (a column also brings its `key.*`); by
 * default every column but the hidden ones. `variant` stays first unless `hideVariant`.
 */
export function chooseColumns(table: ResultTable, picks: readonly ColumnPick[] | undefined, opts: { hideVariant: boolean }): Column[] {
  let cols = table.columns.filter((c) => !c.hidden);
  if (picks && picks.length > 0) {
    cols = [table.columns.find((c) => c.key === 'variant')!];
    for (const pick of picks) {
      const prefix = 'prefix' in pick ? pick.prefix : pick.column.key;
      for (const c of table.columns) if ((('column' in pick && c === pick.column) || c.key.startsWith(`${prefix}.`)) && !cols.includes(c)) cols.push(c);
    }
  }
  return opts.hideVariant ? cols.filter((c) => c.key !== 'variant') : cols;
}

/** The rows as a plain table for the renderers. */
export function toTable(table: ResultTable, columns: readonly Column[]): Table {
  return { columns: columns.map((c) => c.label), rows: table.rows.map((r) => columns.map((c) => r.values[c.key] ?? null)) };
}

export interface PivotTable {
  /** The row key's column, then one column per value of the column key. */
  columns: { label: string; value: Cell; numeric: boolean }[];
  rows: Cell[][];
  rowKey: Column;
  colKey: Column;
  valueKey: Column;
}

/**
 * `--pivot num_heads head_dim LUT`: one row per value of ROWKEY, one column per value of COLKEY
 * (both sorted), cells the VALUE of the row with those two values (missing: null). Two rows with the
 * same pair are an error: filter them apart with --where first.
 */
export function pivot(table: ResultTable, rowKey: Column, colKey: Column, valueKey: Column): Result<PivotTable, string> {
  const rows = table.rows.filter((r) => !r.baseline);
  const distinct = (c: Column) => unique(rows.map((r) => r.values[c.key] ?? null).map((v) => JSON.stringify(v))).map((t) => JSON.parse(t) as Cell).sort(compareCells);
  const rowValues = distinct(rowKey);
  const colValues = distinct(colKey);
  const cells = new Map<string, { cell: Cell; variant: string }>();
  for (const r of rows) {
    const at = `${JSON.stringify(r.values[rowKey.key] ?? null)}\0${JSON.stringify(r.values[colKey.key] ?? null)}`;
    const before = cells.get(at);
    if (before) {
      return err(`--pivot: variants ${before.variant} and ${r.variant} both have ${rowKey.label}=${String(r.values[rowKey.key])}, ${colKey.label}=${String(r.values[colKey.key])}; narrow the rows with --where or --grid`);
    }
    cells.set(at, { cell: r.values[valueKey.key] ?? null, variant: r.variant });
  }
  const body = rowValues.map((rv) => [rv, ...colValues.map((cv) => cells.get(`${JSON.stringify(rv)}\0${JSON.stringify(cv)}`)?.cell ?? null)]);
  const numeric = (i: number) => body.some((r) => typeof r[i] === 'number') && body.every((r) => r[i] === null || typeof r[i] === 'number');
  return ok({
    columns: [{ label: `${rowKey.label} \\ ${colKey.label}`, value: null, numeric: numeric(0) }, ...colValues.map((v, i) => ({ label: `${colKey.label}=${v === null ? '-' : String(v)}`, value: v, numeric: numeric(i + 1) }))],
    rows: body,
    rowKey,
    colKey,
    valueKey,
  });
}

/** Every column name a sweep's table has (for did-you-mean). */
export function resultColumns(record: SweepRecord): string[] {
  return resultTable(record).columns.map((c) => c.label);
}
