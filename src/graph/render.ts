import type { StageGraph } from './stage-graph.js';

export type DagFormat = 'text' | 'dot' | 'mermaid' | 'json';

/** Renders the graph restricted to `names` (topological order) in one of the supported formats. */
export function renderDag(graph: StageGraph, names: readonly string[], format: DagFormat): string {
  const keep = new Set(names);
  const edges = names.flatMap((to) =>
    uniqueFroms(graph, to).filter((from) => keep.has(from)).map((from) => ({ from, to })),
  );
  switch (format) {
    case 'json':
      return JSON.stringify({ stages: names, edges }, null, 2);
    case 'dot':
      return [
        'digraph pipeline {',
        '  rankdir=LR;',
        ...names.map((n) => `  ${quoteDot(n)};`),
        ...edges.map((e) => `  ${quoteDot(e.from)} -> ${quoteDot(e.to)};`),
        '}',
      ].join('\n');
    case 'mermaid': {
      const id = new Map(names.map((n, i) => [n, `s${i}`]));
      return [
        'flowchart LR',
        ...names.map((n) => `  ${id.get(n)}["${n.replace(/"/g, '#quot;')}"]`),
        ...edges.map((e) => `  ${id.get(e.from)} --> ${id.get(e.to)}`),
      ].join('\n');
    }
    case 'text':
      return names
        .map((n) => {
          const ups = uniqueFroms(graph, n).filter((f) => keep.has(f));
          return ups.length === 0 ? n : `${n}  <- ${ups.join(', ')}`;
        })
        .join('\n');
  }
}

function uniqueFroms(graph: StageGraph, to: string): string[] {
  return [...new Set(graph.upstream.get(to)!.map((e) => e.from))].sort();
}

function quoteDot(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
