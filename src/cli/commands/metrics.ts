import { diffJson, diffValues } from '../../sweep/diff.js';
import { metricsPaths, readMetrics, type Scalar } from '../../sweep/metrics-files.js';
import { refReader, resolveRef, type Ref } from '../../sweep/refs.js';
import { renderText } from '../../sweep/table.js';
import { EXIT, type Io } from '../io.js';
import { loadProject } from '../project.js';
import { diffRefs } from './params.js';

async function metricsAt(root: string, ref: Ref, paths: readonly string[]) {
  const files = await readMetrics(paths, refReader(root, ref));
  return { files, values: new Map<string, Record<string, Scalar>>(files.filter((f) => !f.error).map((f) => [f.path, f.values])) };
}

export async function metricsShowCommand(root: string, refText: string | undefined, flags: { json: boolean }, io: Io): Promise<number> {
  const project = loadProject(root, io);
  if (typeof project === 'number') return project;
  const ref = await resolveRef(root, refText ?? 'workspace');
  if (!ref.ok) {
    io.err(`error: ${ref.error}\n`);
    return EXIT.invalid;
  }
  const { files } = await metricsAt(root, ref.value, metricsPaths(project.pipeline));
  if (flags.json) {
    const metrics = Object.fromEntries(files.map((f) => [f.path, f.error ? { error: f.error } : f.values]));
    io.out(`${JSON.stringify({ ref: ref.value.label, metrics }, null, 2)}\n`);
    return EXIT.ok;
  }
  if (files.length === 0) {
    io.out('No metrics: declare them with metrics: [file] in a stage of pipeline.yaml.\n');
    return EXIT.ok;
  }
  const rows: unknown[][] = [];
  for (const f of files) {
    if (f.error) rows.push([f.path, '', f.error === 'missing' ? '(missing)' : `(${f.error})`]);
    else for (const [k, v] of Object.entries(f.values)) rows.push([f.path, k, v]);
  }
  io.out(`${renderText({ columns: ['Path', 'Metric', ref.value.label], rows })}\n`);
  return EXIT.ok;
}

export async function metricsDiffCommand(root: string, refs: string[], flags: { json: boolean; all: boolean }, io: Io): Promise<number> {
  const project = loadProject(root, io);
  if (typeof project === 'number') return project;
  const sides = await diffRefs(root, refs, io);
  if (typeof sides === 'number') return sides;
  const paths = metricsPaths(project.pipeline);
  const [a, b] = await Promise.all(sides.map((r) => metricsAt(root, r, paths)));
  const rows = diffValues(a!.values, b!.values, { all: flags.all });
  if (flags.json) {
    io.out(`${JSON.stringify({ old: sides[0].label, new: sides[1].label, metrics: diffJson(rows) }, null, 2)}\n`);
    return EXIT.ok;
  }
  if (rows.length === 0) {
    io.out(`No metrics changed between ${sides[0].label} and ${sides[1].label}.\n`);
    return EXIT.ok;
  }
  io.out(`${renderText({ columns: ['Path', 'Metric', sides[0].label, sides[1].label, 'Change'], rows: rows.map((r) => [r.file, r.key, r.old, r.new, r.change]) })}\n`);
  return EXIT.ok;
}
