import type { Pipeline, PlotProps } from '../../model/stage.js';
import { isMapping } from '../../resolve/params-files.js';
import { err, ok, type Result } from '../../model/result.js';
import { plotFileKind } from './data.js';

/** DVC's built-in templates (dvc-render), each re-written here as a Vega-Lite spec (templates.ts). */
export const TEMPLATES = ['linear', 'simple', 'scatter', 'smooth', 'confusion', 'confusion_normalized', 'bar_horizontal', 'bar_horizontal_sorted'] as const;
export type TemplateName = (typeof TEMPLATES)[number];

/** Where a plot's y values come from: a file and the fields to draw (empty: inferred from the data). */
export interface YSource {
  file: string;
  fields: string[];
}

/** One plot, from a stage's `plots:` entry or the top-level `plots:` list, normalized. */
export interface PlotDefinition {
  id: string;
  kind: 'vega' | 'image';
  template: TemplateName;
  /** A field of every file, or per file (`{file: field}`); absent: DVC's `step` (the row index). */
  x?: string | Record<string, string>;
  y: YSource[];
  title?: string;
  x_label?: string;
  y_label?: string;
  /** CSV/TSV without a header line: columns are named 0, 1, ... */
  header?: boolean;
  /** `stage NAME` or `top-level plots`: named in errors. */
  origin: string;
}

/**
 * Every plot the pipeline declares, as DVC collects them (dvc/repo/plots `_collect_pipeline_files`):
 * the top-level list first, then each stage's plot outputs; a stage plot already named at the top
 * level as an id is not drawn twice. Errors name the plot and what is wrong.
 */
export function collectPlotDefinitions(pipeline: Pipeline): Result<PlotDefinition[], string[]> {
  const defs: PlotDefinition[] = [];
  const errors: string[] = [];
  for (const [i, entry] of (pipeline.plots ?? []).entries()) {
    const where = `plots[${i}]`;
    if (typeof entry === 'string') {
      defs.push(fileDefinition(entry, {}, 'top-level plots'));
      continue;
    }
    if (!isMapping(entry)) {
      errors.push(`${where}: expected a path or {id: {x, y, template, ...}}`);
      continue;
    }
    for (const [id, raw] of Object.entries(entry)) {
      const props = raw === null || raw === undefined ? {} : raw;
      if (!isMapping(props)) {
        errors.push(`plot "${id}": expected a mapping of plot properties`);
        continue;
      }
      const def = topLevelDefinition(id, props);
      if (def.ok) defs.push(def.value);
      else errors.push(def.error);
    }
  }
  const ids = new Set(defs.map((d) => d.id));
  for (const stage of pipeline.stages) {
    for (const out of stage.outs) {
      if (out.kind !== 'plot') continue;
      const sets = out.plot ?? [{}];
      sets.forEach((props, i) => {
        const id = i === 0 ? out.path : `${out.path}#${i + 1}`;
        if (ids.has(id)) return;
        ids.add(id);
        const def = fileDefinition(out.path, props, `stage ${stage.name}`, id);
        defs.push(def);
      });
    }
  }
  for (const d of defs) if (!(TEMPLATES as readonly string[]).includes(d.template)) errors.push(`plot "${d.id}" (${d.origin}): unknown template "${d.template}"; use one of ${TEMPLATES.join(', ')}`);
  return errors.length > 0 ? err(errors) : ok(defs);
}

function fileDefinition(file: string, props: PlotProps, origin: string, id = file): PlotDefinition {
  return {
    id,
    kind: plotFileKind(file) === 'image' ? 'image' : 'vega',
    template: (props.template ?? 'linear') as TemplateName,
    ...(props.x !== undefined ? { x: props.x } : {}),
    y: [{ file, fields: props.y === undefined ? [] : [props.y] }],
    ...labels({ ...props }),
    ...(props.header !== undefined ? { header: props.header } : {}),
    origin,
  };
}

function labels(props: Record<string, unknown>): Pick<PlotDefinition, 'title' | 'x_label' | 'y_label'> {
  const out: Pick<PlotDefinition, 'title' | 'x_label' | 'y_label'> = {};
  for (const k of ['title', 'x_label', 'y_label'] as const) if (typeof props[k] === 'string') out[k] = props[k] as string;
  return out;
}

/**
 * A top-level entry `{id: props}`: with `y: {file: field | [fields]}` the data comes from those
 * files and `id` is only a name; otherwise `id` is the data file and `y` a field or a list of them.
 */
function topLevelDefinition(id: string, props: Record<string, unknown>): Result<PlotDefinition, string> {
  const bad = (what: string) => err(`plot "${id}": ${what}`);
  const { x, y, template } = props;
  if (template !== undefined && typeof template !== 'string') return bad('template must be a template name');
  if (x !== undefined && typeof x !== 'string' && !(isMapping(x) && Object.values(x).every((v) => typeof v === 'string'))) return bad('x must be a field name or {file: field}');
  let sources: YSource[];
  if (y === undefined) sources = [{ file: id, fields: [] }];
  else if (typeof y === 'string') sources = [{ file: id, fields: [y] }];
  else if (Array.isArray(y) && y.every((f) => typeof f === 'string')) sources = [{ file: id, fields: y as string[] }];
  else if (isMapping(y)) {
    sources = [];
    for (const [file, fields] of Object.entries(y)) {
      if (typeof fields === 'string') sources.push({ file, fields: [fields] });
      else if (Array.isArray(fields) && fields.every((f) => typeof f === 'string')) sources.push({ file, fields: fields as string[] });
      else if (fields === null) sources.push({ file, fields: [] });
      else return bad(`y.${file} must be a field name or a list of them`);
    }
    if (sources.length === 0) return bad('y names no file');
  } else return bad('y must be a field, a list of fields, or {file: field | [fields]}');
  const image = sources.every((s) => plotFileKind(s.file) === 'image');
  return ok({
    id,
    kind: image ? 'image' : 'vega',
    template: (template ?? 'linear') as TemplateName,
    ...(x !== undefined ? { x: x as string | Record<string, string> } : {}),
    y: sources,
    ...labels(props),
    ...(typeof props.header === 'boolean' ? { header: props.header } : {}),
    origin: 'top-level plots',
  });
}

/** Definitions matching TARGETs (a plot id or one of its files); every target must match one. */
export function selectPlots(defs: readonly PlotDefinition[], targets: readonly string[]): Result<PlotDefinition[], string[]> {
  if (targets.length === 0) return ok([...defs]);
  const norm = (t: string) => t.replace(/^\.\//, '').replace(/\/$/, '');
  const unknown = targets.filter((t) => !defs.some((d) => matches(d, norm(t))));
  if (unknown.length > 0) return err(unknown.map((t) => `"${t}" is neither a plot id nor a plot file of pipeline.yaml`));
  return ok(defs.filter((d) => targets.some((t) => matches(d, norm(t)))));
}

function matches(d: PlotDefinition, t: string): boolean {
  return d.id === t || d.y.some((s) => s.file === t || s.file.startsWith(`${t}/`));
}
