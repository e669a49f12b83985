import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import * as parse from '../finn/parse-reports.js';
import type { FinnReports, ReportError } from '../finn/report-types.js';
import type { Result } from '../model/result.js';
import { err, ok } from '../model/result.js';
import type { GraphInfo } from './model-types.js';
import { OnnxFormatError, scanModel } from './scan-model.js';
import { summarize } from './summarize.js';
import type { ModelSummary } from './summary-types.js';

/**
 * Where a model and the files beside it come from: the workspace, or a stage's output as a lock
 * at some git revision recorded it (files are then cache objects, verified before they are read).
 * Paths are POSIX, relative to the source's base directory.
 */
export interface ModelFiles {
  /** A path on disk holding the bytes of `rel`, or undefined when there is no such file. */
  locate(rel: string): Promise<string | undefined>;
  /** How to name `rel` in messages. */
  display(rel: string): string;
}

export function directoryFiles(base: string, displayBase = base): ModelFiles {
  return {
    async locate(rel) {
      const p = path.resolve(base, rel);
      const s = await stat(p).catch(() => undefined);
      return s?.isFile() ? p : undefined;
    },
    display: (rel) => (path.isAbsolute(rel) ? rel : path.join(displayBase, rel)),
  };
}

export interface InspectError {
  file: string;
  message: string;
}

/** Child models deeper than this are listed, not followed (a partition pointing at itself ends here too). */
const MAX_DEPTH = 4;

type Parser<T> = (file: string, text: string) => Result<T, ReportError>;
const REPORTS: Array<[string, keyof FinnReports, Parser<unknown>]> = [
  ['estimate_layer_resources.json', 'estimateLayerResources', parse.parseEstimateLayerResources],
  ['estimate_layer_cycles.json', 'estimateLayerCycles', parse.parseEstimateLayerCycles],
  ['estimate_layer_resources_hls.json', 'estimateLayerResourcesHls', parse.parseEstimateLayerResourcesHls],
  ['post_synth_resources.json', 'postSynthResources', parse.parsePostSynthResources],
  ['op_and_param_counts.json', 'opAndParamCounts', parse.parseOpAndParamCounts],
];

/** FINN's per-layer reports beside a model: <dir>/report/, or <output_dir>/report/ for intermediate_models/*.onnx. */
async function reportsBeside(files: ModelFiles, rel: string): Promise<{ reports: Partial<FinnReports>; found: string[]; errors: string[] }> {
  const dir = path.posix.dirname(rel);
  const dirs = [path.posix.join(dir, 'report'), dir];
  if (path.posix.basename(dir) === 'intermediate_models') dirs.push(path.posix.join(dir, '..', 'report'));
  const reports: Partial<FinnReports> = {};
  const found: string[] = [];
  const errors: string[] = [];
  for (const [name, field, parser] of REPORTS) {
    for (const d of dirs) {
      const r = path.posix.normalize(path.posix.join(d, name));
      const at = await files.locate(r);
      if (!at) continue;
      const parsed = parser(files.display(r), await readFile(at, 'utf8'));
      if (parsed.ok) {
        (reports as Record<string, unknown>)[field] = parsed.value;
        found.push(files.display(r));
      } else errors.push(`${parsed.error.file}: ${parsed.error.message}`);
      break;
    }
  }
  return { reports, found, errors };
}

/** Inspects `rel` and, recursively, the child models its StreamingDataflowPartition nodes name. */
export async function inspectModel(files: ModelFiles, rel: string, depth = 0, seen = new Set<string>()): Promise<Result<{ summary: ModelSummary; graph: GraphInfo; childGraphs: GraphInfo[] }, InspectError>> {
  const shown = files.display(rel);
  const at = await files.locate(rel);
  if (!at) return err({ file: shown, message: 'no such file' });
  let info;
  try {
    info = scanModel(at);
  } catch (e) {
    if (e instanceof OnnxFormatError) return err({ file: shown, message: `not an ONNX model: ${e.message}` });
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') return err({ file: shown, message: 'is a directory, not an ONNX file' });
    if (code) return err({ file: shown, message: `cannot read (${code})` });
    throw e;
  }
  seen.add(at);
  const children: ModelSummary['children'] = [];
  const childGraphs: GraphInfo[] = [];
  for (const n of info.graph.nodes) {
    if (n.opType !== 'StreamingDataflowPartition') continue;
    const attr = n.attributes.model;
    if (attr?.type !== 'string') {
      children.push({ node: n.name, model: '', error: 'no model attribute' });
      continue;
    }
    const childRel = path.isAbsolute(attr.value) ? attr.value : path.posix.normalize(path.posix.join(path.posix.dirname(rel), attr.value));
    const childAt = await files.locate(childRel);
    if (!childAt) children.push({ node: n.name, model: attr.value, error: `${files.display(childRel)}: no such file` });
    else if (seen.has(childAt) || depth >= MAX_DEPTH) children.push({ node: n.name, model: attr.value, error: 'not followed (already inspected, or nested too deep)' });
    else {
      const child = await inspectModel(files, childRel, depth + 1, seen);
      if (child.ok) {
        children.push({ node: n.name, model: attr.value, summary: child.value.summary });
        childGraphs.push(child.value.graph, ...child.value.childGraphs);
      } else children.push({ node: n.name, model: attr.value, error: `${child.error.file}: ${child.error.message}` });
    }
  }
  const { reports, found, errors } = depth === 0 ? await reportsBeside(files, rel) : { reports: {}, found: [], errors: [] };
  const summary = summarize({ file: shown, info, children, childGraphs, reports, reportFiles: { found, errors } });
  return ok({ summary, graph: info.graph, childGraphs });
}
