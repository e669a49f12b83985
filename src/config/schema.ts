import * as z from 'zod';
import type { LinkType } from '../model/stage.js';

// Every schema carries a human phrase as its error; zod-diagnostics turns it into
// "<path>: expected <phrase>, got <what was there>". Objects are strict so typos are caught.

const text = (what: string) => z.string({ error: what });
const path = () => text('a path');
const bool = () => z.boolean({ error: 'true or false' });
const stringList = (what: string, item: string) => z.array(text(item), { error: what });

const envValue = z.union([z.string(), z.number(), z.boolean()], { error: 'a string, number or boolean' });
const envMap = z.record(z.string(), envValue, { error: 'a mapping of variable names to values' });

export const LINK_TYPES: readonly LinkType[] = ['reflink', 'hardlink', 'symlink', 'copy'];

export const executorSchema = z.enum(['local', 'docker', 'slurm'], { error: 'one of local, docker, slurm' });

export const containerSchema = z.strictObject(
  {
    image: text('an image name').optional(),
    mounts: stringList('a list of mounts', 'a mount (host:container)').optional(),
    env: envMap.optional(),
    env_passthrough: stringList('a list of variable names', 'a variable name').optional(),
    user: text('a user name or uid:gid').optional(),
    workdir: text('a path').optional(),
    shm_size: z.union([z.string(), z.number()], { error: 'a size such as 8g' }).optional(),
    network: text('a network name').optional(),
    gpus: z.union([z.string(), z.number()], { error: 'a GPU count or "all"' }).optional(),
  },
  { error: 'a container mapping' },
);

export const slurmSchema = z.strictObject(
  {
    partition: text('a partition name').optional(),
    time: z.union([z.string(), z.number()], { error: 'a time limit such as 04:00:00' }).optional(),
    account: text('an account name').optional(),
    qos: text('a QOS name').optional(),
    constraint: text('a constraint').optional(),
    gres: text('a GRES string such as gpu:1').optional(),
    sbatch_args: stringList('a list of sbatch arguments', 'an sbatch argument').optional(),
    setup: z.union([z.string(), z.array(z.string())], { error: 'a command or a list of commands' }).optional(),
    retries: z.number({ error: 'a number' }).int({ error: 'a whole number' }).min(0, { error: 'a non-negative number' }).optional(),
  },
  { error: 'a slurm mapping' },
);

/** DVC's output annotations (dvc/annotations.py): documentation only, accepted as DVC accepts them. */
const annotationOptions = {
  desc: text('a description').optional(),
  type: text('a type name').optional(),
  labels: stringList('a list of labels', 'a label').optional(),
  meta: z.unknown().optional(),
};
/**
 * DVC's per-output flags (dvc/schema.py OUT_PSTAGE_DETAILED_SCHEMA). `remote`, `push` and `checkpoint`
 * are accepted without effect here; `inertKeys` in resolve names them once for status and doctor.
 */
const outOptions = {
  ...annotationOptions,
  cache: bool().optional(),
  persist: bool().optional(),
  checkpoint: bool().optional(),
  remote: text('a remote name').optional(),
  push: bool().optional(),
};
const plotOptions = {
  ...outOptions,
  x: text('a field name').optional(),
  y: text('a field name').optional(),
  x_label: text('an axis label').optional(),
  y_label: text('an axis label').optional(),
  template: text('a template name').optional(),
  title: text('a title').optional(),
  header: bool().optional(),
};

const outputEntry = <T extends z.ZodType>(options: T) =>
  z.union(
    [
      path(),
      z
        .record(z.string(), options, { error: 'a mapping' })
        .refine((entry) => Object.keys(entry).length === 1, { error: 'exactly one path per entry' }),
    ],
    { error: 'a path or {path: {options}}' },
  );
const outputList = <T extends z.ZodType>(options: T) => z.array(outputEntry(options), { error: 'a list of paths' });
/** A stage's plot may carry one set of properties or, as DVC allows, a list of them. */
const plotEntryOptions = z.union([z.strictObject(plotOptions), z.array(z.strictObject(plotOptions))], { error: 'plot properties or a list of them' });

const paramsEntry = z.union(
  [
    text('a parameter key'),
    z.record(
      z.string(),
      z.union([stringList('a list of parameter keys', 'a parameter key'), z.null()], {
        error: 'a list of parameter keys, or nothing for the whole file',
      }),
    ),
  ],
  { error: 'a parameter key or {file: [keys]}' },
);

/**
 * `tools:` — name -> a command whose stdout identifies the tool's version (`vivado -version`). The
 * output is part of the stage's fingerprint, so a shared cache never hands out a build of another
 * tool version.
 */
export const toolsSchema = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, { error: 'a tool name of letters, digits, _ . - (not starting with a digit, . or -)' }),
  z.string({ error: 'a command that prints the tool version' }).refine((c) => c.trim() !== '', { error: 'a command that prints the tool version, not an empty string' }),
  { error: 'a mapping of tool names to version commands (vivado: vivado -version)' },
);

const resourceMap = z.record(
  z.string(),
  z.number({ error: 'a number' }).min(0, { error: 'a non-negative number' }),
  { error: 'a mapping of resource names to numbers' },
);

/** A single stage's fields (also the body of `foreach: ... do:` and of matrix stages). */
export const stageBodySchema = z.strictObject(
  {
    cmd: z.union([text('a command'), z.array(text('a command'), { error: 'a list of commands' }).min(1, { error: 'at least one command' })], {
      error: 'a command or a list of commands',
    }),
    wdir: path().optional(),
    deps: z.array(path(), { error: 'a list of paths' }).optional(),
    params: z.array(paramsEntry, { error: 'a list of parameters' }).optional(),
    outs: outputList(z.strictObject(outOptions)).optional(),
    metrics: outputList(z.strictObject(outOptions)).optional(),
    plots: outputList(plotEntryOptions).optional(),
    env: envMap.optional(),
    executor: executorSchema.optional(),
    container: containerSchema.optional(),
    slurm: slurmSchema.optional(),
    tools: toolsSchema.optional(),
    resources: resourceMap.optional(),
    always_changed: bool().optional(),
    frozen: bool().optional(),
    absolute_paths: bool().optional(),
    desc: text('a description').optional(),
    meta: z.unknown().optional(),
  },
  { error: 'a stage definition (mapping)' },
);
export type StageBody = z.infer<typeof stageBodySchema>;

export const foreachTemplateSchema = z.strictObject(
  {
    foreach: z.union([z.array(z.unknown()), z.record(z.string(), z.unknown()), z.string()], {
      error: 'a list, a mapping or a ${...} expression',
    }),
    do: z.record(z.string(), z.unknown(), { error: 'a stage definition (mapping)' }),
  },
  { error: 'a stage definition (mapping)' },
);

export const matrixSchema = z.record(
  z.string(),
  z.union([z.array(z.unknown()).min(1, { error: 'at least one value' }), z.string()], {
    error: 'a list of values or a ${...} expression',
  }),
  { error: 'a mapping of axis names to lists of values' },
);

export const defaultsSchema = z.strictObject(
  {
    executor: executorSchema.optional(),
    container: containerSchema.optional(),
    env: envMap.optional(),
    slurm: slurmSchema.optional(),
    tools: toolsSchema.optional(),
  },
  { error: 'a mapping' },
);
export type Defaults = z.infer<typeof defaultsSchema>;
export type SlurmSpec = z.infer<typeof slurmSchema>;

/**
 * `sweeps:` — named parameter sweeps. Axis keys are `[+][file:]dotted.key` (`+` adds a key the params
 * file does not have yet); values are a list, `range(start, stop[, step])`, `choice(a, b)` or `a,b,c`.
 * Ranges, key existence and derived expressions are checked by src/sweep (with positions) when a
 * sweep is expanded; here only the shape.
 */
const sweepAxes = z.record(
  z.string(),
  z.union([z.array(z.unknown()).min(1, { error: 'at least one value' }), z.string(), z.number(), z.boolean()], {
    error: 'a list of values, range(start, stop, step), choice(a, b) or a,b,c',
  }),
  { error: 'a mapping of parameter keys to values' },
);

const sweepGrid = z.strictObject(
  {
    desc: text('a description').optional(),
    axes: sweepAxes.optional(),
    zip: z.array(sweepAxes, { error: 'a list of mappings whose axes advance together' }).optional(),
    fixed: z.record(z.string(), z.unknown(), { error: 'a mapping of parameter keys to one value each' }).optional(),
  },
  { error: 'a grid (mapping with axes, zip, fixed)' },
);

/** `metrics_files:` — a prefix per file: a path, or {path, key} to take one section of the file. */
const sweepMetricsFile = z.union(
  [
    z.string(),
    z.strictObject({ path: z.string({ error: 'a file path' }), key: z.string({ error: 'a dotted key inside the file' }).optional() }, { error: 'a mapping with path and key' }),
  ],
  { error: 'a file path, or a mapping with path and key' },
);

/** `figures:` — a figure over the sweep's table (see src/report/sweep-figures.ts). */
export const sweepFigure = z.strictObject(
  {
    x: z.string({ error: 'a column of the table' }),
    y: z.union([z.string(), z.array(z.string())], { error: 'a column, or a list of columns' }),
    color: z.string({ error: 'a column of the table' }).optional(),
    where: z.string({ error: 'a condition such as "model.bits=2"' }).optional(),
    grid: z.string({ error: 'a grid name' }).optional(),
    template: z.enum(['linear', 'scatter', 'bar'], { error: 'linear, scatter or bar' }).optional(),
    stacked: z.string({ error: 'a metrics prefix, e.g. breakdown' }).optional(),
    title: z.string({ error: 'a title' }).optional(),
  },
  { error: 'a figure (mapping with x, y, color, where, grid, template, stacked, title)' },
);
export type SweepFigure = z.infer<typeof sweepFigure>;

export const sweepSchema = z
  .strictObject(
    {
      desc: text('a description').optional(),
      axes: sweepAxes.optional(),
      zip: z.array(sweepAxes, { error: 'a list of mappings whose axes advance together' }).optional(),
      grids: z.record(z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, { error: 'a grid name of letters, digits, _ . -' }), sweepGrid, { error: 'a mapping of grid names to grids' }).optional(),
      derived: z.record(z.string(), z.unknown(), { error: 'a mapping of parameter keys to values or ${...} expressions' }).optional(),
      variants: z
        .array(z.record(z.string(), z.unknown(), { error: 'a mapping of parameter keys to values' }), { error: 'a list of variants' })
        .min(1, { error: 'at least one variant' })
        .optional(),
      columns: z.record(z.string(), z.string({ error: 'a column of the table (a param or metric key)' }), { error: 'a mapping of column names to table columns' }).optional(),
      metrics_files: z.record(z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_-]*$/, { error: 'a prefix of letters, digits, _ -' }), sweepMetricsFile, { error: 'a mapping of column prefixes to files' }).optional(),
      figures: z.record(z.string(), sweepFigure, { error: 'a mapping of figure names to figures' }).optional(),
    },
    { error: 'a sweep definition (mapping with axes, zip, grids, derived, variants, columns, metrics_files)' },
  )
  .refine((s) => s.axes !== undefined || s.zip !== undefined || s.variants !== undefined || s.grids !== undefined, {
    error: 'at least one of axes, zip, grids or variants',
  });
export type SweepBody = z.infer<typeof sweepSchema>;

export const sweepsSchema = z.record(z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, { error: 'a sweep name of letters, digits, _ . -' }), sweepSchema, {
  error: 'a mapping of sweep names to sweeps',
});

/** Top level; `defaults` and stages are validated after templating, so they are only shaped here. */
export const pipelineFileSchema = z.strictObject(
  {
    vars: z
      .array(z.union([z.string(), z.record(z.string(), z.unknown())], { error: 'a file name or a mapping of variables' }), {
        error: 'a list of files or mappings',
      })
      .optional(),
    defaults: z.record(z.string(), z.unknown(), { error: 'a mapping' }).optional(),
    resources: z
      .record(z.string(), z.number({ error: 'a number' }).positive({ error: 'a positive number' }), {
        error: 'a mapping of resource names to capacities',
      })
      .optional(),
    stages: z.record(z.string(), z.unknown(), { error: 'a mapping of stage names to stages' }).optional(),
    sweeps: sweepsSchema.optional(),
    // DVC's top-level sections (dvc/schema.py MULTI_STAGE_SCHEMA). `params`/`metrics` feed
    // `params diff` and `metrics show/diff`; `plots`, `artifacts`, `datasets` are accepted without effect.
    params: stringList('a list of params files', 'a params file').optional(),
    metrics: stringList('a list of metrics files', 'a metrics file').optional(),
    plots: z
      .array(z.union([path(), z.record(z.string(), z.union([z.record(z.string(), z.unknown()), z.null()]))], { error: 'a path or {name: {plot definition}}' }), {
        error: 'a list of plots',
      })
      .optional(),
    artifacts: z
      .record(
        z.string(),
        z.strictObject({ path: path(), ...annotationOptions }, { error: 'an artifact definition with a path' }),
        { error: 'a mapping of artifact names to definitions' },
      )
      .optional(),
    datasets: z.unknown().optional(),
    cache: z
      .strictObject(
        {
          type: z
            .union([z.string(), z.array(z.string())], { error: 'a list of link types (reflink, hardlink, symlink, copy)' })
            .transform((v, ctx) => {
              const types = (Array.isArray(v) ? v : v.split(',')).map((t) => t.trim());
              const bad = types.filter((t) => !LINK_TYPES.includes(t as LinkType));
              if (bad.length > 0 || types.length === 0) {
                ctx.addIssue({ code: 'custom', message: `unknown link type ${bad.map((b) => `"${b}"`).join(', ') || '""'}; use reflink, hardlink, symlink or copy` });
                return z.NEVER;
              }
              return types as LinkType[];
            })
            .optional(),
        },
        { error: 'a mapping' },
      )
      .optional(),
  },
  { error: 'a mapping with stages' },
);
