import { parseDataText } from '../../resolve/params-formats.js';
import { isMapping } from '../../resolve/params-files.js';
import { err, ok, type Result } from '../../model/result.js';

/** One data point of a plot: field name -> value (numbers where the text was a number). */
export type Datum = Record<string, string | number | boolean | null>;

/** Files a plot can read data from; anything else with an image extension is shown as an image. */
export type PlotFileKind = 'table' | 'image';

const IMAGE = /\.(png|jpe?g|gif|svg)$/i;

export function plotFileKind(file: string): PlotFileKind {
  return IMAGE.test(file) ? 'image' : 'table';
}

/**
 * A plot file's rows, as DVC reads them (dvc/repo/plots parse): `.csv`/`.tsv` with a header line
 * (or columns named 0, 1, ... with `header: false`); JSON and YAML a list of records, or a mapping
 * whose first list of records (searched depth-first) is the data, e.g. `{"roc": [{fpr, tpr}, ...]}`.
 */
export function parsePlotData(file: string, text: string, opts: { header?: boolean } = {}): Result<Datum[], string> {
  const lower = file.toLowerCase();
  if (lower.endsWith('.csv') || lower.endsWith('.tsv')) return ok(parseDelimited(text, lower.endsWith('.tsv') ? '\t' : ',', opts.header ?? true));
  const parsed = parseDataText(file, text);
  if (!parsed.ok) return parsed;
  const rows = firstRecordList(parsed.value);
  if (rows === undefined) return err(`${file}: no list of records found (expected [{...}, ...] or {name: [{...}, ...]})`);
  return ok(rows.map((r) => (isMapping(r) ? flatRecord(r) : { value: scalar(r) })));
}

function firstRecordList(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (!isMapping(value)) return undefined;
  for (const v of Object.values(value)) {
    const found = firstRecordList(v);
    if (found !== undefined) return found;
  }
  return undefined;
}

function flatRecord(r: Record<string, unknown>): Datum {
  const out: Datum = {};
  for (const [k, v] of Object.entries(r)) Object.defineProperty(out, k, { value: scalar(v), enumerable: true, writable: true, configurable: true });
  return out;
}

function scalar(v: unknown): string | number | boolean | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** RFC 4180 fields: quotes around a field, `""` inside quotes; numeric text becomes a number. */
export function parseDelimited(text: string, delimiter: string, header: boolean): Datum[] {
  const records = splitRecords(text, delimiter).filter((r) => !(r.length === 1 && r[0] === ''));
  if (records.length === 0) return [];
  const names = header ? records[0]!.map((n) => n.trim()) : records[0]!.map((_, i) => String(i));
  return records.slice(header ? 1 : 0).map((cells) => {
    const row: Datum = {};
    names.forEach((n, i) => Object.defineProperty(row, n, { value: typed(cells[i] ?? ''), enumerable: true, writable: true, configurable: true }));
    return row;
  });
}

function typed(cell: string): string | number {
  const t = cell.trim();
  if (t !== '' && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return Number(t);
  return cell;
}

function splitRecords(text: string, delimiter: string): string[][] {
  const records: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === delimiter) row.push(field), (field = '');
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field), records.push(row), (row = []), (field = '');
    } else field += c;
  }
  if (field !== '' || row.length > 0) row.push(field), records.push(row);
  return records;
}
