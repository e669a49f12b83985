import { implOf, isHardwareNode } from '../onnx/graph-kind.js';
import { plainValue } from '../onnx/hardware-layers.js';
import type { GraphInfo, NodeInfo } from '../onnx/model-types.js';

/**
 * An ONNX graph drawn as SVG: a layered layout (dagre, loaded lazily) top to bottom, one box per
 * node (`<g class="node">`) coloured by its domain, folding in the label, the FINN datatype (else
 * the element type) and shape on every edge; initializers are listed in their node's label, not
 * drawn. Self-contained: no scripts, no external resources, so the page opens offline and the run
 * report can embed the SVG as is.
 */

const CHAR_W = 6.6;
const LINE_H = 14;
const PAD = 8;

/** Colours per domain; other domains get a stable colour from their name. */
const DOMAIN_COLOURS: Record<string, string> = {
  '': '#e8e8e8',
  'onnx.brevitas': '#f4b6b6',
  'qonnx.custom_op.general': '#fbd38d',
  'finn.custom_op.general': '#fbd38d',
  'finn.custom_op.fpgadataflow': '#90cdf4',
  'finn.custom_op.fpgadataflow.hls': '#9ae6b4',
  'finn.custom_op.fpgadataflow.rtl': '#d6bcfa',
};

export function domainColour(domain: string): string {
  const known = DOMAIN_COLOURS[domain];
  if (known) return known;
  let h = 0;
  for (const ch of domain) h = (h * 31 + ch.charCodeAt(0)) % 360;
  return `hsl(${h}, 60%, 80%)`;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const FOLDING = ['PE', 'SIMD', 'MW', 'MH', 'NumChannels', 'mem_mode', 'ram_style', 'resType', 'depth'] as const;

function nodeLines(n: NodeInfo, inits: Map<string, { dims: number[]; dt: string }>): string[] {
  const lines = [n.opType, n.name];
  const fold = FOLDING.map((k) => {
    const v = n.attributes[k] && plainValue(n.attributes[k]);
    return v === undefined ? undefined : `${k}=${Array.isArray(v) ? v.join(',') : v}`;
  }).filter((x): x is string => x !== undefined);
  for (let i = 0; i < fold.length; i += 3) lines.push(fold.slice(i, i + 3).join(' '));
  const model = n.attributes.model;
  if (n.opType === 'StreamingDataflowPartition' && model?.type === 'string') lines.push(`model=${model.value}`);
  for (const input of n.inputs) {
    const t = inits.get(input);
    if (t) lines.push(`${input} [${t.dims.join('x')}] ${t.dt}`);
  }
  return lines;
}

interface Box {
  id: string;
  lines: string[];
  fill: string;
  cls: 'node' | 'io';
  title: string;
}

/** The graph as an `<svg>` element. */
export async function onnxGraphSvg(graph: GraphInfo): Promise<string> {
  const { Graph, layout } = await import('@dagrejs/dagre');
  const annotations = graph.annotations;
  const initNames = new Set(graph.initializers.map((t) => t.name));
  const inits = new Map(graph.initializers.map((t) => [t.name, { dims: t.dims, dt: annotations[t.name]?.finn_datatype ?? t.dataType }]));
  const shapes = new Map([...graph.inputs, ...graph.outputs, ...graph.valueInfo].map((v) => [v.name, v]));
  const edgeLabel = (tensor: string) => {
    const v = shapes.get(tensor);
    const dt = annotations[tensor]?.finn_datatype ?? v?.elemType ?? '';
    return `${dt}${v?.shape ? ` [${v.shape.join(',')}]` : ''}`.trim() || tensor;
  };
  const boxes: Box[] = [];
  const producer = new Map<string, string>();
  graph.inputs.filter((v) => !initNames.has(v.name)).forEach((v, i) => {
    boxes.push({ id: `in${i}`, lines: [`input ${v.name}`], fill: '#ffffff', cls: 'io', title: v.name });
    producer.set(v.name, `in${i}`);
  });
  graph.nodes.forEach((n, i) => {
    const title = `${n.domain || 'ai.onnx'}:${n.opType} ${n.name}\n${Object.entries(n.attributes).map(([k, a]) => `${k}=${JSON.stringify(plainValue(a) ?? a.value)}`).join('\n')}`;
    boxes.push({ id: `n${i}`, lines: nodeLines(n, inits), fill: domainColour(n.domain), cls: 'node', title });
    for (const o of n.outputs) producer.set(o, `n${i}`);
  });
  const edges: Array<{ from: string; to: string; label: string }> = [];
  graph.nodes.forEach((n, i) => {
    for (const input of n.inputs) {
      const from = producer.get(input);
      if (from) edges.push({ from, to: `n${i}`, label: edgeLabel(input) });
    }
  });
  graph.outputs.forEach((v, i) => {
    boxes.push({ id: `out${i}`, lines: [`output ${v.name}`], fill: '#ffffff', cls: 'io', title: v.name });
    const from = producer.get(v.name);
    if (from) edges.push({ from, to: `out${i}`, label: edgeLabel(v.name) });
  });

  const g = new Graph({ multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 30, ranksep: 40, edgesep: 10, marginx: 10, marginy: 10 });
  for (const b of boxes) g.setNode(b.id, { width: Math.max(...b.lines.map((l) => l.length)) * CHAR_W + 2 * PAD, height: b.lines.length * LINE_H + 2 * PAD - 4 });
  edges.forEach((e, i) => g.setEdge(e.from, e.to, { label: e.label, width: e.label.length * CHAR_W, height: LINE_H, labelpos: 'c' }, `e${i}`));
  layout(g);
  const info = g.graph();
  const width = Math.ceil(info.width ?? 100);
  const height = Math.ceil(info.height ?? 100);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" class="onnx-graph" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="ui-monospace, monospace" font-size="11">`);
  parts.push('<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>');
  edges.forEach((e, i) => {
    const ed = g.edge({ v: e.from, w: e.to, name: `e${i}` }) as { points: Array<{ x: number; y: number }>; x?: number; y?: number };
    const d = ed.points.map((p, j) => `${j === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    parts.push(`<g class="edge"><path d="${d}" fill="none" stroke="#555" marker-end="url(#arrow)"/>`);
    if (ed.x !== undefined && ed.y !== undefined) parts.push(`<text x="${ed.x.toFixed(1)}" y="${(ed.y + 4).toFixed(1)}" text-anchor="middle" fill="#333" class="dtype">${esc(e.label)}</text>`);
    parts.push('</g>');
  });
  for (const b of boxes) {
    const n = g.node(b.id) as { x: number; y: number; width: number; height: number };
    const x = n.x - n.width / 2;
    const y = n.y - n.height / 2;
    parts.push(`<g class="${b.cls}"><title>${esc(b.title)}</title><rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${n.width.toFixed(1)}" height="${n.height.toFixed(1)}" rx="${b.cls === 'io' ? 12 : 4}" fill="${b.fill}" stroke="#444"/>`);
    b.lines.forEach((l, i) => parts.push(`<text x="${n.x.toFixed(1)}" y="${(y + PAD + 10 + i * LINE_H).toFixed(1)}" text-anchor="middle"${i === 0 ? ' font-weight="bold"' : ''}>${esc(l)}</text>`));
    parts.push('</g>');
  }
  parts.push('</svg>');
  return parts.join('\n');
}

/** The legend: every domain present with its colour. */
function legend(graphs: GraphInfo[]): string {
  const domains = [...new Set(graphs.flatMap((g) => g.nodes.map((n) => n.domain)))].sort();
  return `<ul class="legend">${domains.map((d) => `<li><span style="background:${domainColour(d)}"></span>${esc(d || 'ai.onnx (default)')}</li>`).join('')}</ul>`;
}

export interface GraphSection {
  /** Heading, e.g. the model's path. */
  title: string;
  /** One line under the heading (kind, node count). */
  subtitle: string;
  graph: GraphInfo;
}

/** A standalone HTML page with one drawn graph per section (a model and the partitions it follows). */
export async function onnxGraphHtml(pageTitle: string, sections: GraphSection[]): Promise<string> {
  const svgs = await Promise.all(sections.map((s) => onnxGraphSvg(s.graph)));
  const hw = sections.some((s) => s.graph.nodes.some((n) => isHardwareNode(n.domain) || implOf(n.domain, n.opType)));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(pageTitle)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.3em; } h2 { font-size: 1.1em; margin-top: 2em; }
.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 1em; }
.legend span { display: inline-block; width: 1em; height: 1em; border: 1px solid #444; margin-right: .3em; vertical-align: middle; }
.graph { overflow: auto; border: 1px solid #ccc; padding: .5em; }
</style></head>
<body>
<h1>${esc(pageTitle)}</h1>
${legend(sections.map((s) => s.graph))}
${hw ? '<p>Hardware layers show their folding (PE, SIMD, MW, MH, mem_mode, ...) in the label; edges carry FINN datatypes and shapes.</p>' : '<p>Edges carry FINN datatypes (else the ONNX element type) and shapes.</p>'}
${sections.map((s, i) => `<section><h2>${esc(s.title)}</h2><p>${esc(s.subtitle)}</p><div class="graph">${svgs[i]}</div></section>`).join('\n')}
</body></html>
`;
}
