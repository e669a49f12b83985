import type { PlotData } from './assemble.js';
import type { PlotDefinition, TemplateName } from './definitions.js';

/** A Vega-Lite spec as plain JSON (the library's own types are loaded lazily, with the renderer). */
export type VegaLiteSpec = Record<string, unknown>;

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const WIDTH = 420;
const HEIGHT = 260;

/**
 * The Vega-Lite spec for one plot with its data inlined. Written for this project after the
 * meaning of DVC's templates (same names, same roles of x and y), not copied from them.
 */
export function plotSpec(def: Pick<PlotDefinition, 'id' | 'template' | 'title' | 'x_label' | 'y_label'>, data: PlotData): VegaLiteSpec {
  const ctx: Ctx = {
    x: data.x,
    y: data.y,
    xTitle: def.x_label ?? data.x,
    yTitle: def.y_label ?? data.y,
    legend: data.series.length > 1,
  };
  return {
    $schema: SCHEMA,
    title: def.title ?? def.id,
    data: { values: data.rows },
    ...TEMPLATE_BODIES[def.template](ctx),
  };
}

interface Ctx {
  x: string;
  y: string;
  xTitle: string;
  yTitle: string;
  legend: boolean;
}

const q = (field: string, title: string, extra: Record<string, unknown> = {}) => ({ field, type: 'quantitative', title, ...extra });
const seriesColor = (ctx: Ctx) => (ctx.legend ? { color: { field: 'series', type: 'nominal', title: null } } : {});
const tooltip = (ctx: Ctx) => ({ tooltip: [{ field: ctx.x }, { field: ctx.y }, ...(ctx.legend ? [{ field: 'series' }] : [])] });
const sized = { width: WIDTH, height: HEIGHT };

/** A line per series; the zero of y is not forced (metrics such as accuracy live near 1). */
const line = (ctx: Ctx) => ({ x: q(ctx.x, ctx.xTitle), y: q(ctx.y, ctx.yTitle, { scale: { zero: false } }), ...seriesColor(ctx) });

const TEMPLATE_BODIES: Record<TemplateName, (ctx: Ctx) => Record<string, unknown>> = {
  // linear: lines with a point on every datum, each with a tooltip.
  linear: (ctx) => ({ ...sized, mark: { type: 'line', point: true, tooltip: true }, encoding: { ...line(ctx), ...tooltip(ctx) } }),
  simple: (ctx) => ({ ...sized, mark: { type: 'line' }, encoding: line(ctx) }),
  scatter: (ctx) => ({ ...sized, mark: { type: 'point', filled: true, tooltip: true }, encoding: { ...line(ctx), ...tooltip(ctx) } }),
  // smooth: a LOESS curve per series over the raw points, drawn faintly.
  smooth: (ctx) => ({
    ...sized,
    layer: [
      { mark: { type: 'point', opacity: 0.25 }, encoding: line(ctx) },
      { transform: [{ loess: ctx.y, on: ctx.x, groupby: ['series'], bandwidth: 0.3 }], mark: { type: 'line' }, encoding: line(ctx) },
    ],
  }),
  confusion: (ctx) => confusion(ctx, false),
  confusion_normalized: (ctx) => confusion(ctx, true),
  // bar_horizontal: x is the value, y the category (DVC's roles), one bar per series side by side.
  bar_horizontal: (ctx) => bars(ctx, false),
  bar_horizontal_sorted: (ctx) => bars(ctx, true),
};

function bars(ctx: Ctx, sorted: boolean): Record<string, unknown> {
  return {
    width: WIDTH,
    mark: { type: 'bar', tooltip: true },
    encoding: {
      x: q(ctx.x, ctx.xTitle),
      y: { field: ctx.y, type: 'nominal', title: ctx.yTitle, ...(sorted ? { sort: '-x' } : {}) },
      ...(ctx.legend ? { yOffset: { field: 'series' } } : {}),
      ...seriesColor(ctx),
    },
  };
}

/**
 * Counts of (actual = x, predicted = y) pairs as a heat map with the count written in each cell;
 * normalized divides by the number of rows of the same actual class. One panel per series.
 */
function confusion(ctx: Ctx, normalized: boolean): Record<string, unknown> {
  const value = normalized ? 'percent' : 'count';
  const transform = [
    { aggregate: [{ op: 'count', as: 'count' }], groupby: ['series', ctx.x, ctx.y] },
    ...(normalized ? [{ joinaggregate: [{ op: 'sum', field: 'count', as: 'total' }], groupby: ['series', ctx.x] }, { calculate: 'datum.count / datum.total', as: 'percent' }] : []),
  ];
  const cell = {
    width: 300,
    height: 300,
    encoding: {
      x: { field: ctx.x, type: 'nominal', title: ctx.xTitle, sort: 'ascending' },
      y: { field: ctx.y, type: 'nominal', title: ctx.yTitle, sort: 'ascending' },
    },
    layer: [
      { mark: { type: 'rect', tooltip: true }, encoding: { color: { field: value, type: 'quantitative', title: normalized ? 'share' : 'count' } } },
      { mark: { type: 'text' }, encoding: { text: { field: value, type: 'quantitative', ...(normalized ? { format: '.0%' } : {}) } } },
    ],
  };
  return ctx.legend ? { transform, facet: { column: { field: 'series', type: 'nominal', title: null } }, spec: cell } : { transform, ...cell };
}
