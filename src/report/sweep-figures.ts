import type { SweepFigure } from '../config/schema.js';
import { err, ok, type Result } from '../model/result.js';
import { filterRows, findColumn, gridRows, parseWhere, type Cell, type Column, type ResultTable } from '../sweep/results.js';
import type { VegaLiteSpec } from './plots/templates.js';

/** A figure over a sweep's result table, ready to render. */
export interface SweepFigurePlot {
  name: string;
  spec: VegaLiteSpec;
  points: number;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/**
 * One figure of `sweeps.NAME.figures`: rows of the table (its `grid`, then `where`), x against
 * each y column, one line per `color` value; or, with `stacked: PREFIX`, the columns
 * `PREFIX.<layer type>.<y>` stacked per x value (FINN's resource breakdown per layer type).
 */
export function sweepFigure(table: ResultTable, name: string, fig: SweepFigure): Result<SweepFigurePlot, string> {
  const bad = (m: string) => err(`figure ${name}: ${m}`);
  let rows = table;
  if (fig.grid !== undefined) {
    if (!table.rows.some((r) => r.grids.includes(fig.grid!))) return bad(`no variant of grid "${fig.grid}" in sweep ${table.sweep}`);
    rows = gridRows(rows, fig.grid);
  }
  if (fig.where !== undefined) {
    const where = parseWhere(rows, fig.where);
    if (!where.ok) return bad(where.error.replace(/^--where /, 'where: '));
    rows = filterRows(rows, where.value);
  }
  const variantRows = rows.rows.filter((r) => !r.baseline);
  const xCol = fig.x === 'variant' ? undefined : findColumn(table, fig.x);
  if (xCol && !xCol.ok) return bad(`x: ${xCol.error}`);
  const xKey = xCol?.value.key;
  const xLabel = xCol?.value.label ?? 'variant';
  const xOf = (r: (typeof variantRows)[number]): Cell => (xKey === undefined ? r.variant : (r.values[xKey] ?? null));
  const ys = Array.isArray(fig.y) ? fig.y : [fig.y];
  const title = fig.title ?? name;

  if (fig.stacked !== undefined) {
    const resource = ys[0]!;
    const pattern = new RegExp(`^${escapeRe(fig.stacked)}\\.([^.]+)\\.${escapeRe(resource)}$`);
    const layers = table.columns.flatMap((c) => {
      const m = pattern.exec(c.key);
      return m ? [{ key: c.key, layer: m[1]! }] : [];
    });
    if (layers.length === 0) return bad(`no columns ${fig.stacked}.<layer>.${resource} in sweep ${table.sweep}`);
    const values = variantRows.flatMap((r) => layers.flatMap((l) => (typeof r.values[l.key] === 'number' ? [{ x: String(xOf(r)), layer: l.layer, value: r.values[l.key] as number }] : [])));
    return ok({
      name,
      points: values.length,
      spec: {
        $schema: SCHEMA,
        title,
        data: { values },
        width: Math.max(300, Math.min(1200, 28 * new Set(values.map((v) => v.x)).size)),
        height: 260,
        mark: { type: 'bar', tooltip: true },
        encoding: {
          x: { field: 'x', type: 'ordinal', title: xLabel, sort: null },
          y: { field: 'value', type: 'quantitative', title: resource, stack: 'zero' },
          color: { field: 'layer', type: 'nominal', title: 'layer type' },
          order: { field: 'layer' },
        },
      },
    });
  }

  const yCols: Column[] = [];
  for (const y of ys) {
    const c = findColumn(table, y);
    if (!c.ok) return bad(`y: ${c.error}`);
    yCols.push(c.value);
  }
  const colorCol = fig.color === undefined ? undefined : findColumn(table, fig.color);
  if (colorCol && !colorCol.ok) return bad(`color: ${colorCol.error}`);
  const values = variantRows.flatMap((r) =>
    yCols.flatMap((c) => {
      const y = r.values[c.key];
      if (typeof y !== 'number') return [];
      const series = colorCol ? `${colorCol.value.label}=${String(r.values[colorCol.value.key] ?? '')}` : c.label;
      return [{ x: xOf(r), y, series, measure: c.label, variant: r.variant }];
    }),
  );
  values.sort((a, b) => (typeof a.x === 'number' && typeof b.x === 'number' ? a.x - b.x : String(a.x).localeCompare(String(b.x))));
  const numericX = values.every((v) => typeof v.x === 'number');
  const template = fig.template ?? 'linear';
  const legend = new Set(values.map((v) => v.series)).size > 1;
  const xEnc = { field: 'x', type: numericX && template !== 'bar' ? 'quantitative' : 'ordinal', title: xLabel };
  const yEnc = { field: 'y', type: 'quantitative', title: yCols.length === 1 ? yCols[0]!.label : ys.join(', ') };
  const color = legend ? { color: { field: 'series', type: 'nominal', title: colorCol ? colorCol.value.label : null } } : {};
  const mark = template === 'bar' ? { type: 'bar', tooltip: true } : template === 'scatter' ? { type: 'point', filled: true, tooltip: true } : { type: 'line', point: true, tooltip: true };
  const encoding = { x: xEnc, y: yEnc, ...color, ...(template === 'bar' && legend ? { xOffset: { field: 'series' } } : {}), tooltip: [{ field: 'variant' }, { field: 'x', title: xLabel }, { field: 'y', title: yEnc.title }] };
  // Several y columns (LUT, FF, BRAM, DSP) have different scales: one panel each, side by side.
  const body =
    yCols.length > 1
      ? { facet: { column: { field: 'measure', type: 'nominal', title: null, sort: yCols.map((c) => c.label) } }, spec: { width: 260, height: 220, mark, encoding: { ...encoding, y: { ...yEnc, title: null } } }, resolve: { scale: { y: 'independent' } } }
      : { width: 420, height: 260, mark, encoding };
  return ok({ name, points: values.length, spec: { $schema: SCHEMA, title, data: { values }, ...body } });
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
