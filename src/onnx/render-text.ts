import { renderText } from '../sweep/table.js';
import type { ModelDiff } from './diff-models.js';
import type { ModelSummary, TensorSummary } from './summary-types.js';

const bytes = (n: number) => (n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(2)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);
const shape = (t: TensorSummary) => `${t.name} [${(t.shape ?? []).join(',')}] ${t.finnDatatype ?? t.elemType ?? ''}`.trimEnd();
const indent = (text: string) => text.split('\n').map((l) => `  ${l}`).join('\n');

/** The terminal view of `inspect`: header lines, then the compact per-layer table. */
export function renderSummary(s: ModelSummary): string {
  const out: string[] = [];
  out.push(`${s.file}: ${s.kind} (${s.kindReason})`);
  out.push(`  ir ${s.irVersion ?? '?'}, producer ${s.producer || '-'}, ${bytes(s.fileBytes)}; opsets ${s.opsets.map((o) => `${o.domain || 'ai.onnx'}:${o.version}`).join(' ')}`);
  out.push(`  inputs: ${s.inputs.map(shape).join('; ') || '-'}`);
  out.push(`  outputs: ${s.outputs.map(shape).join('; ') || '-'}`);
  out.push(`  ${s.nodeCount} nodes: ${Object.entries(s.nodesByOpType).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${v} ${k}`).join(', ')}`);
  const w = s.weightTotals;
  out.push(`  weights: ${bytes(w.bytes)} at annotated widths (${bytes(w.carrierBytes)} as stored in ${w.initializers} initializers)`);
  // Long values (FINN keeps paths; the test stand-ins keep their whole state) are cut: --json has them whole.
  for (const [k, v] of Object.entries(s.metadata)) out.push(`  metadata ${k} = ${v.length > 100 ? `${v.slice(0, 100)}... (${v.length} characters)` : v}`);
  for (const c of s.children) out.push(`  partition ${c.node} -> ${c.model}${c.error ? `: ${c.error}` : c.summary ? ` (${c.summary.kind}, ${c.summary.nodeCount} nodes)` : ''}`);
  if (s.reports.found.length > 0) out.push(`  reports: ${s.reports.found.join(', ')}`);
  for (const e of s.reports.errors) out.push(`  report problem: ${e}`);
  if (s.layers.length > 0) {
    const rows = s.layers.map((l) => {
      const a = l.attributes;
      const dt = [a.inputDataType, a.weightDataType, a.outputDataType].map((x) => x ?? '-').join('/');
      const fifo = a.depth !== undefined ? String(a.depth) : [a.inFIFODepths, a.outFIFODepths].map((x) => (Array.isArray(x) ? x.join(',') : '-')).join('/');
      const r = l.reports;
      return [l.name, l.impl ?? '-', a.PE, a.SIMD, a.MW ?? a.NumChannels, a.MH, dt, a.mem_mode, a.ram_style, a.resType, fifo, l.cycles, r.estimateCycles, l.weightBytes, r.estimate?.LUT ?? r.hls?.LUT, r.postSynth?.LUT];
    });
    out.push('');
    out.push(indent(renderText({ columns: ['layer', 'impl', 'PE', 'SIMD', 'MW', 'MH', 'in/w/out dtype', 'mem_mode', 'ram', 'res', 'FIFO in/out', 'cycles', 'est.cycles', 'weight B', 'est.LUT', 'synth LUT'], rows })));
  }
  return `${out.join('\n')}\n`;
}

export function renderDiff(d: ModelDiff): string {
  const out: string[] = [];
  out.push(`${d.a.file} -> ${d.b.file}`);
  out.push(`  kind: ${d.a.kind} -> ${d.b.kind}; nodes: ${d.a.nodes} -> ${d.b.nodes}; weights: ${bytes(d.a.weightBytes)} -> ${bytes(d.b.weightBytes)} (stored ${bytes(d.a.carrierBytes)} -> ${bytes(d.b.carrierBytes)})`);
  const section = (title: string, columns: string[], rows: unknown[][]) => {
    if (rows.length === 0) return;
    out.push('', `  ${title}:`, indent(indent(renderText({ columns, rows }))));
  };
  section('node counts by op type', ['op type', 'before', 'after'], d.opTypes.map((r) => [r.opType, r.before, r.after]));
  section('nodes removed', ['node', 'op type'], d.removed.map((r) => [r.name, r.opType]));
  section('nodes added', ['node', 'op type'], d.added.map((r) => [r.name, r.opType]));
  section('datatypes', ['tensor', 'before', 'after'], d.datatypes.map((r) => [r.tensor, r.before, r.after]));
  section('attributes', ['node', 'attribute', 'before', 'after'], d.attributes.map((r) => [r.node, r.attribute, r.before, r.after]));
  section('weight bytes (annotated width)', ['node', 'before', 'after'], d.weights.map((r) => [r.node, r.before, r.after]));
  section('cycles estimate', ['layer', 'before', 'after'], d.cycles.map((r) => [r.node, r.before, r.after]));
  if (d.opTypes.length + d.removed.length + d.added.length + d.datatypes.length + d.attributes.length + d.weights.length + d.cycles.length === 0) out.push('  no differences in nodes, datatypes, attributes or weights');
  return `${out.join('\n')}\n`;
}
