/** A table for the terminal, CSV or Markdown: named columns, rows of cells (already formatted or raw). */
export interface Table {
  columns: string[];
  rows: unknown[][];
}

/** A cell as text: numbers to at most 6 significant digits (floats only), null/undefined as `-`. */
export function cellText(value: unknown): string {
  if (value === undefined || value === null) return '-';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

const numeric = (rows: unknown[][], i: number) => rows.some((r) => typeof r[i] === 'number') && rows.every((r) => typeof r[i] === 'number' || r[i] === undefined || r[i] === null);

/** Aligned columns, two spaces apart; numeric columns right-aligned. */
export function renderText(table: Table): string {
  const cells = table.rows.map((r) => r.map(cellText));
  const widths = table.columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const right = table.columns.map((_, i) => numeric(table.rows, i));
  const line = (r: string[]) => r.map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(table.columns), ...cells.map(line)].join('\n');
}

/** RFC 4180: fields with a comma, quote or newline are quoted, quotes doubled; empty for missing. */
export function renderCsv(table: Table): string {
  const field = (v: unknown) => {
    const text = v === undefined || v === null ? '' : typeof v === 'string' ? v : typeof v === 'number' ? String(v) : JSON.stringify(v);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [table.columns, ...table.rows].map((r) => r.map(field).join(',')).join('\n');
}

/** GitHub/pandoc pipe table, numeric columns right-aligned: ready to paste into a paper's draft. */
export function renderMarkdown(table: Table): string {
  const esc = (t: string) => t.replace(/\|/g, '\\|');
  const right = table.columns.map((_, i) => numeric(table.rows, i));
  const row = (r: string[]) => `| ${r.map(esc).join(' | ')} |`;
  return [row(table.columns), `|${right.map((r) => (r ? ' ---: ' : ' --- ')).join('|')}|`, ...table.rows.map((r) => row(r.map(cellText)))].join('\n');
}

/** Numbers before strings, numbers numerically, missing values last (in either direction). */
export function compareCells(a: unknown, b: unknown): number {
  const missing = (v: unknown) => v === undefined || v === null;
  if (missing(a) || missing(b)) return missing(a) ? (missing(b) ? 0 : 1) : -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return cellText(a).localeCompare(cellText(b), undefined, { numeric: true });
}
