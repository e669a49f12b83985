import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { loadProject } from '../../engine/project.js';
import { diffModels } from '../../onnx/diff-models.js';
import { inspectModel } from '../../onnx/inspect-model.js';
import type { GraphInfo } from '../../onnx/model-types.js';
import { CachedFileError, resolveModelTarget } from '../../onnx/model-target.js';
import { renderDiff, renderSummary } from '../../onnx/render-text.js';
import type { ModelSummary } from '../../onnx/summary-types.js';
import { mkdirp, writeFileAtomic } from '../../util/atomic-write.js';
import { EXIT, type Io } from '../io.js';
import { report } from '../project.js';

export interface InspectOptions {
  json: boolean;
  /** Write the drawn graph to this HTML file. */
  html?: string;
  /** Write inspect.html and inspect.json into this directory. */
  out?: string;
}

type Inspected = { summary: ModelSummary; graph: GraphInfo; childGraphs: GraphInfo[] };

/** Resolves and inspects one target; prints the problem and returns an exit code when it cannot. */
async function inspectTarget(root: string, text: string, io: Io): Promise<Inspected | number> {
  let stages: ReturnType<typeof loadProject> | undefined;
  const loadStages = () => {
    if (!existsSync(path.join(root, 'pipeline.yaml')) && !existsSync(path.join(root, 'dvc.yaml'))) return undefined;
    stages ??= loadProject(root);
    return stages.ok ? stages.value.pipeline.stages : undefined;
  };
  const target = await resolveModelTarget(root, text, loadStages);
  if (stages && !stages.ok) return report(stages.error.diagnostics, stages.error.files, io);
  if (!target.ok) {
    io.err(`error: ${target.error}\n`);
    return EXIT.invalid;
  }
  try {
    const r = await inspectModel(target.value.files, target.value.rel);
    if (!r.ok) {
      io.err(`${r.error.file}: ${r.error.message}\n`);
      return EXIT.invalid;
    }
    r.value.summary.file = target.value.label;
    return r.value;
  } catch (e) {
    if (e instanceof CachedFileError) {
      io.err(`error: ${e.message}\n`);
      return EXIT.failed;
    }
    throw e;
  }
}

function flatten(s: ModelSummary): ModelSummary[] {
  return [s, ...s.children.flatMap((c) => (c.summary ? flatten(c.summary) : []))];
}

/** `inspect TARGET`: a model's summary (text table or --json), optionally its drawn graph as HTML. */
export async function inspectCommand(root: string, target: string, opts: InspectOptions, io: Io): Promise<number> {
  const r = await inspectTarget(root, target, io);
  if (typeof r === 'number') return r;
  const written: string[] = [];
  if (opts.html || opts.out) {
    const { onnxGraphHtml } = await import('../../report/onnx-graph.js');
    const models = flatten(r.summary);
    const graphs = [r.graph, ...r.childGraphs];
    const html = await onnxGraphHtml(
      `ONNX graph: ${r.summary.file}`,
      models.map((m, i) => ({ title: m.file, subtitle: `${m.kind} (${m.kindReason}); ${m.nodeCount} nodes`, graph: graphs[i]! })),
    );
    const files: Array<[string, string]> = [];
    if (opts.html) files.push([path.resolve(root, opts.html), html]);
    if (opts.out) {
      files.push([path.resolve(root, opts.out, 'inspect.html'), html]);
      files.push([path.resolve(root, opts.out, 'inspect.json'), `${JSON.stringify(r.summary, null, 2)}\n`]);
    }
    for (const [file, text] of files) {
      if (existsSync(file) && statSync(file).isDirectory()) {
        io.err(`error: ${path.relative(root, file) || file}: is a directory\n`);
        return EXIT.invalid;
      }
      await mkdirp(path.dirname(file));
      await writeFileAtomic(file, text);
      const rel = path.relative(root, file);
      written.push(rel.startsWith('..') ? file : rel);
    }
  }
  if (opts.json) io.out(`${JSON.stringify(written.length > 0 ? { ...r.summary, written } : r.summary)}\n`);
  else {
    io.out(renderSummary(r.summary));
    for (const w of written) io.out(`wrote ${w}\n`);
  }
  return EXIT.ok;
}

/** `inspect diff A B`: what changed between two models (files, stages, STAGE@REV, SWEEP/VARIANT/STAGE). */
export async function inspectDiffCommand(root: string, a: string, b: string, opts: { json: boolean }, io: Io): Promise<number> {
  const ra = await inspectTarget(root, a, io);
  if (typeof ra === 'number') return ra;
  const rb = await inspectTarget(root, b, io);
  if (typeof rb === 'number') return rb;
  const d = diffModels(ra.summary, rb.summary);
  io.out(opts.json ? `${JSON.stringify(d)}\n` : renderDiff(d));
  return EXIT.ok;
}
