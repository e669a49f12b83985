import type { StageGraph } from './stage-graph.js';

/** A node of the collapsed graph: one stage, or every instance of one foreach/matrix group. */
export interface CollapsedNode {
  id: string;
  /** Stage names it stands for, topological order. */
  members: string[];
  group: boolean;
}

export interface CollapsedGraph {
  /** Topological order of the first member of each node. */
  nodes: CollapsedNode[];
  edges: { from: string; to: string }[];
}

/** `build@heads-2` belongs to group `build`; a name without `@` is its own node. */
export function groupOf(stage: string): string | undefined {
  const at = stage.indexOf('@');
  return at > 0 ? stage.slice(0, at) : undefined;
}

/**
 * The graph restricted to `names` with each foreach/matrix group drawn as one node: a 70-variant
 * matrix is one box, not 70. Edges between groups are kept once; edges inside a group dropped.
 */
export function collapseGroups(graph: StageGraph, names: readonly string[]): CollapsedGraph {
  const keep = new Set(names);
  const nodeOf = new Map<string, string>();
  const nodes = new Map<string, CollapsedNode>();
  for (const n of names) {
    const g = groupOf(n);
    // A plain stage that happens to share the group's name keeps its own node.
    const id = g !== undefined && !keep.has(g) ? g : n;
    nodeOf.set(n, id);
    const node = nodes.get(id) ?? { id, members: [], group: g !== undefined && id === g };
    node.members.push(n);
    nodes.set(id, node);
  }
  const edges = new Map<string, { from: string; to: string }>();
  for (const to of names) {
    for (const e of graph.upstream.get(to) ?? []) {
      if (!keep.has(e.from)) continue;
      const a = nodeOf.get(e.from)!;
      const b = nodeOf.get(to)!;
      if (a !== b) edges.set(`${a}\u0000${b}`, { from: a, to: b });
    }
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()] };
}
