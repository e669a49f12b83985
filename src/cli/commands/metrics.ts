import { dvcDiff, renderDiffMarkdown } from '../../report/dvc-diff.js';
import { parseDataText } from '../../resolve/params-formats.js';
import { flatten, metricsPaths } from '../../sweep/metrics-files.js';
import { refReader, resolveRef, type Ref } from '../../sweep/refs.js';
import { renderText } from '../../sweep/table.js';
import { EXIT, type Io } from '../io.js';
import { loadProject } from '../project.js';
import { diffRefs, type DiffFlags } from './params.js';

/** DVC's `{"type", "msg"}` for a metrics file that could not be read. */
type FileResult = { data: unknown } | { error: { type: string; msg: string } };

async function metricsAt(root: string, ref: Ref, paths: readonly string[]): Promise<Map<string, FileResult>> {
  const read = refReader(root, ref);
  const out = new Map<string, FileResult>();
  for (const p of paths) {
    let text: string | undefined;
    try {
      text = await read(p);
    } catch (e) {
      out.set(p, { error: { type: 'OSError', msg: (e as Error).message } });
      continue;
    }
    if (text === undefined) {
      out.set(p, { error: { type: 'FileNotFoundError', msg: `${p} does not exist` } });
      continue;
    }
    const parsed = parseDataText(p, text);
    out.set(p, parsed.ok ? { data: parsed.value ?? {} } : { error: { type: 'ParseError', msg: parsed.error } });
  }
  return out;
}

const dataOnly = (files: ReadonlyMap<string, FileResult>) => new Map([...files].flatMap(([p, r]) => ('data' in r ? [[p, r.data] as const] : [])));

/** `--json` prints DVC's document: `{rev: {data: {file: {data: ...} | {error: {type, msg}}}}}`. */
export async function metricsShowCommand(root: string, refText: string | undefined, flags: { json: boolean }, io: Io): Promise<number> {
  const project = loadProject(root, io);
  if (typeof project === 'number') return project;
  const ref = await resolveRef(root, refText ?? 'workspace');
  if (!ref.ok) {
    io.err(`error: ${ref.error}\n`);
    return EXIT.invalid;
  }
  const files = await metricsAt(root, ref.value, metricsPaths(project.pipeline));
  if (flags.json) {
    io.out(`${JSON.stringify({ [ref.value.label]: { data: Object.fromEntries(files) } }, null, 2)}\n`);
    return EXIT.ok;
  }
  if (files.size === 0) {
    io.out('No metrics: declare them with metrics: [file] in a stage of pipeline.yaml.\n');
    return EXIT.ok;
  }
  const rows: unknown[][] = [];
  for (const [p, r] of files) {
    if ('error' in r) rows.push([p, '', r.error.type === 'FileNotFoundError' ? '(missing)' : `(${r.error.msg})`]);
    else for (const [k, v] of Object.entries(flatten(r.data))) rows.push([p, k, v]);
  }
  io.out(`${renderText({ columns: ['Path', 'Metric', ref.value.label], rows })}\n`);
  return EXIT.ok;
}

/** `--json` prints DVC's document `{file: {key: {old, new, diff?}}}`; `--md` DVC's Markdown table. */
export async function metricsDiffCommand(root: string, refs: string[], flags: DiffFlags, io: Io): Promise<number> {
  const project = loadProject(root, io);
  if (typeof project === 'number') return project;
  const sides = await diffRefs(root, refs, io);
  if (typeof sides === 'number') return sides;
  const paths = metricsPaths(project.pipeline);
  const [a, b] = await Promise.all(sides.map((r) => metricsAt(root, r, paths)));
  for (const [side, files] of [[sides[0], a!], [sides[1], b!]] as const) {
    const failed = [...files].filter(([, r]) => 'error' in r);
    if (failed.length > 0) io.err(`warning: could not read at ${side.label}: ${failed.map(([p]) => p).join(', ')}\n`);
  }
  const diff = dvcDiff(dataOnly(a!), dataOnly(b!), flags.all);
  if (flags.json) {
    io.out(`${JSON.stringify(diff, null, 2)}\n`);
    return EXIT.ok;
  }
  if (flags.md) {
    io.out(renderDiffMarkdown(diff, { title: 'Metric', oldLabel: sides[0].label, newLabel: sides[1].label, changes: true, precision: 5 }));
    return EXIT.ok;
  }
  const rows = Object.entries(diff).flatMap(([file, entries]) => Object.entries(entries).map(([key, e]) => [file, key, e.old, e.new, e.diff, percentChange(e.old, e.new)]));
  if (rows.length === 0) {
    io.out(`No metrics changed between ${sides[0].label} and ${sides[1].label}.\n`);
    return EXIT.ok;
  }
  io.out(`${renderText({ columns: ['Path', 'Metric', sides[0].label, sides[1].label, 'Change', '%'], rows })}\n`);
  return EXIT.ok;
}

/** The relative change for a terminal reader (`+12.5%`); empty when it has no meaning (non-numbers, old 0). */
export function percentChange(old: unknown, now: unknown): string {
  if (typeof old !== 'number' || typeof now !== 'number' || old === 0) return '';
  const pct = ((now - old) / Math.abs(old)) * 100;
  const text = Math.abs(pct) >= 100 ? pct.toFixed(0) : Math.abs(pct) >= 10 ? pct.toFixed(1) : pct.toFixed(2);
  return `${pct > 0 ? '+' : ''}${text}%`;
}
