import type { Datum } from './data.js';
import type { PlotDefinition } from './definitions.js';

/** DVC's index field: the row number, used as x when a plot names none. */
export const STEP = 'step';

/** A plot's data at every revision, flattened to the rows one Vega-Lite spec draws. */
export interface PlotData {
  /** Field the x values are in: the declared x field when all files share it, else `x`. */
  x: string;
  /** Field the y values are in: the y field when there is one, else `value` (as DVC's inferred y). */
  y: string;
  /** Every row carries `rev`, `file`, `field` and `series` (what the colour separates). */
  rows: Datum[];
  /** Distinct series, in order of appearance; one needs no legend. */
  series: string[];
}

/** `files`: rev -> file -> its rows (files missing at a rev are simply absent). */
export function assemblePlot(def: PlotDefinition, revs: readonly string[], files: ReadonlyMap<string, ReadonlyMap<string, Datum[]>>): PlotData {
  const xFieldOf = (file: string) => (typeof def.x === 'string' ? def.x : def.x?.[file]) ?? STEP;
  const pairs: { rev: string; file: string; field: string; xField: string; data: Datum[] }[] = [];
  for (const rev of revs) {
    for (const source of def.y) {
      const data = files.get(rev)?.get(source.file);
      if (data === undefined) continue;
      const xField = xFieldOf(source.file);
      const fields = source.fields.length > 0 ? source.fields : inferY(data, xField);
      for (const field of fields) pairs.push({ rev, file: source.file, field, xField, data });
    }
  }
  const xNames = new Set(pairs.map((p) => p.xField));
  const yNames = new Set(pairs.map((p) => p.field));
  const x = xNames.size <= 1 ? ([...xNames][0] ?? STEP) : 'x';
  let y = yNames.size <= 1 ? ([...yNames][0] ?? 'value') : 'value';
  if (y === x) y = 'value';
  // Name a series only by what varies, so one revision of one file reads "tpr", not "workspace::roc.json::tpr".
  const vary = { rev: new Set(pairs.map((p) => p.rev)).size > 1, file: new Set(pairs.map((p) => p.file)).size > 1, field: yNames.size > 1 };
  const seriesName = (p: (typeof pairs)[number]) => [vary.rev ? p.rev : '', vary.file ? p.file : '', vary.field ? p.field : ''].filter((s) => s !== '').join('::') || p.field;
  const rows: Datum[] = [];
  const series: string[] = [];
  for (const p of pairs) {
    const name = seriesName(p);
    if (!series.includes(name)) series.push(name);
    p.data.forEach((d, i) => {
      const row: Datum = {};
      define(row, x, p.xField === STEP ? i : (d[p.xField] ?? null));
      define(row, y, d[p.field] ?? null);
      define(row, 'rev', p.rev);
      define(row, 'file', p.file);
      define(row, 'field', p.field);
      define(row, 'series', name);
      rows.push(row);
    });
  }
  return { x, y, rows, series };
}

/** DVC's rule: with no y declared, the last field of the first record that is not x. */
function inferY(data: readonly Datum[], xField: string): string[] {
  const keys = Object.keys(data[0] ?? {}).filter((k) => k !== xField);
  return keys.length === 0 ? [] : [keys[keys.length - 1]!];
}

function define(row: Datum, key: string, value: Datum[string]): void {
  Object.defineProperty(row, key, { value, enumerable: true, writable: true, configurable: true });
}
