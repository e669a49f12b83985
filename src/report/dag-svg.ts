import type { CollapsedGraph } from '../graph/collapse.js';
import { esc } from './html.js';

/** How a node is coloured: the worst status among its members, e.g. `failed` over `succeeded`. */
export type NodeStatus = 'failed' | 'cancelled' | 'not-started' | 'succeeded' | 'restored' | 'up-to-date' | 'running' | 'unknown';

const FILL: Record<NodeStatus, string> = {
  failed: '#ffd8d3',
  cancelled: '#fff1c2',
  'not-started': '#eceef1',
  succeeded: '#d3f4dc',
  restored: '#e6dcfb',
  'up-to-date': '#f3f4f6',
  running: '#d6e8ff',
  unknown: '#ffffff',
};

const CHAR_W = 7;
const NODE_H = 34;

/**
 * The collapsed DAG as a layered SVG, left to right (dagre, loaded lazily). Each node is a
 * `g.dag-node` with `data-stage` (its id) and `data-members` (how many stages it stands for).
 */
export async function dagSvg(graph: CollapsedGraph, statusOf: (node: string) => NodeStatus): Promise<string> {
  if (graph.nodes.length === 0) return '<p>No stages.</p>';
  const { graphlib, layout } = await import('@dagrejs/dagre');
  const g = new graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 14, ranksep: 48, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  const label = (n: CollapsedGraph['nodes'][number]) => (n.group ? `${n.id} ×${n.members.length}` : n.id);
  for (const n of graph.nodes) g.setNode(n.id, { width: Math.min(260, 20 + label(n).length * CHAR_W), height: NODE_H });
  for (const e of graph.edges) g.setEdge(e.from, e.to);
  layout(g);
  const size = g.graph() as { width?: number; height?: number };
  const parts: string[] = [];
  for (const e of g.edges()) {
    const pts = (g.edge(e) as { points: { x: number; y: number }[] }).points;
    parts.push(`<path class="dag-edge" d="M${pts.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join('L')}" fill="none" stroke="#8c95a3" marker-end="url(#arrow)"/>`);
  }
  for (const n of graph.nodes) {
    const box = g.node(n.id) as { x: number; y: number; width: number; height: number };
    const status = statusOf(n.id);
    const x = box.x - box.width / 2;
    const y = box.y - box.height / 2;
    parts.push(
      `<g class="dag-node" data-stage="${esc(n.id)}" data-members="${n.members.length}" data-status="${status}"><title>${esc(n.members.length > 1 ? `${n.members.length} stages: ${n.members.slice(0, 20).join(', ')}${n.members.length > 20 ? ', ...' : ''}` : n.id)} (${status})</title>` +
        `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${box.width}" height="${box.height}" rx="5" fill="${FILL[status]}" stroke="#5b6472"${n.group ? ' stroke-dasharray="4 2"' : ''}/>` +
        `<text x="${box.x.toFixed(1)}" y="${(box.y + 4).toFixed(1)}" text-anchor="middle" font-size="12" font-family="system-ui,sans-serif">${esc(truncate(label(n), 36))}</text></g>`,
    );
  }
  const w = Math.ceil(size.width ?? 100);
  const h = Math.ceil(size.height ?? 100);
  return `<svg class="dag" xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}"><defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0L10,5L0,10z" fill="#8c95a3"/></marker></defs>${parts.join('')}</svg>`;
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}
