import type { CollapsedGraph } from './collapse.js';

/**
 * The collapsed graph as a terminal picture: each stage under the first stage it depends on, with
 * box-drawing branches; a stage that depends on several is drawn once and referred to elsewhere
 * (`↗ name`). A foreach/matrix group is one line, `build ×70`.
 *
 *   prep
 *   ├─▶ bad
 *   └─▶ build ×6
 *       └─▶ summary  (also after: bad)
 */
export function asciiDag(graph: CollapsedGraph): string {
  const label = new Map(graph.nodes.map((n) => [n.id, n.group ? `${n.id} ×${n.members.length}` : n.id]));
  const order = new Map(graph.nodes.map((n, i) => [n.id, i]));
  const parents = new Map<string, string[]>(graph.nodes.map((n) => [n.id, []]));
  const children = new Map<string, string[]>(graph.nodes.map((n) => [n.id, []]));
  for (const e of graph.edges) {
    parents.get(e.to)!.push(e.from);
    children.get(e.from)!.push(e.to);
  }
  const byOrder = (a: string, b: string) => order.get(a)! - order.get(b)!;
  // A node hangs under its parent that comes first in topological order.
  const home = new Map<string, string>();
  for (const [id, ps] of parents) if (ps.length > 0) home.set(id, [...ps].sort(byOrder)[0]!);
  const lines: string[] = [];
  const draw = (id: string, prefix: string, branch: string, childPrefix: string) => {
    const others = parents.get(id)!.filter((p) => p !== home.get(id)).sort(byOrder);
    lines.push(`${prefix}${branch}${label.get(id)}${others.length > 0 ? `  (also after: ${others.map((o) => label.get(o)).join(', ')})` : ''}`);
    const kids = children.get(id)!.filter((c) => home.get(c) === id).sort(byOrder);
    kids.forEach((c, i) => {
      const last = i === kids.length - 1;
      draw(c, prefix + childPrefix, last ? '└─▶ ' : '├─▶ ', last ? '    ' : '│   ');
    });
  };
  for (const n of graph.nodes) if (parents.get(n.id)!.length === 0) draw(n.id, '', '', '');
  return lines.join('\n');
}
