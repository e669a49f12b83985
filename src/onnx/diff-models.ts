import { plainValue } from './hardware-layers.js';
import type { ModelSummary, NodeSummary } from './summary-types.js';

export interface ModelDiff {
  a: DiffSide;
  b: DiffSide;
  /** Op types whose node count changed ("domain:OpType"): before, after. */
  opTypes: Array<{ opType: string; before: number; after: number }>;
  /** Node names only in A (removed) or only in B (added), with their op type. */
  removed: Array<{ name: string; opType: string }>;
  added: Array<{ name: string; opType: string }>;
  /** Tensors whose FINN datatype changed, appeared or disappeared. */
  datatypes: Array<{ tensor: string; before?: string; after?: string }>;
  /** Attributes of same-named nodes that differ (folding: PE, SIMD, mem_mode, ...). */
  attributes: Array<{ node: string; attribute: string; before?: unknown; after?: unknown }>;
  /** Per node with weights: bytes at annotated width before/after, where they differ. */
  weights: Array<{ node: string; before?: number; after?: number }>;
  /** Per hardware layer: the cycles estimate before/after, where it differs (what a folding change buys). */
  cycles: Array<{ node: string; before?: number; after?: number }>;
}

export interface DiffSide {
  file: string;
  kind: ModelSummary['kind'];
  nodes: number;
  /** Weight memory at the annotated bit widths, and as stored (carrier). */
  weightBytes: number;
  carrierBytes: number;
}

/** Every model of a summary: itself and the partitions it follows (nodes of both are compared). */
function flatten(s: ModelSummary): ModelSummary[] {
  return [s, ...s.children.flatMap((c) => (c.summary ? flatten(c.summary) : []))];
}

const opKey = (n: NodeSummary) => (n.domain ? `${n.domain}:${n.opType}` : n.opType);

function side(s: ModelSummary, all: ModelSummary[]): DiffSide {
  return {
    file: s.file,
    kind: s.kind,
    nodes: all.reduce((a, m) => a + m.nodeCount, 0),
    weightBytes: all.reduce((a, m) => a + m.weightTotals.bytes, 0),
    carrierBytes: all.reduce((a, m) => a + m.weightTotals.carrierBytes, 0),
  };
}

const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);

/** What changed from A to B. Nodes are matched by name (FINN names layers MVAU_rtl_0, ... stably). */
export function diffModels(a: ModelSummary, b: ModelSummary): ModelDiff {
  const A = flatten(a);
  const B = flatten(b);
  const nodesA = new Map(A.flatMap((m) => m.nodes).map((n) => [n.name, n]));
  const nodesB = new Map(B.flatMap((m) => m.nodes).map((n) => [n.name, n]));
  const countA = count(nodesA);
  const countB = count(nodesB);
  const opTypes = [...new Set([...countA.keys(), ...countB.keys()])]
    .sort()
    .map((opType) => ({ opType, before: countA.get(opType) ?? 0, after: countB.get(opType) ?? 0 }))
    .filter((r) => r.before !== r.after);
  const removed = [...nodesA.values()].filter((n) => !nodesB.has(n.name)).map((n) => ({ name: n.name, opType: opKey(n) }));
  const added = [...nodesB.values()].filter((n) => !nodesA.has(n.name)).map((n) => ({ name: n.name, opType: opKey(n) }));
  const dtA = Object.assign({}, ...A.map((m) => m.datatypes)) as Record<string, string>;
  const dtB = Object.assign({}, ...B.map((m) => m.datatypes)) as Record<string, string>;
  const datatypes = [...new Set([...Object.keys(dtA), ...Object.keys(dtB)])]
    .sort()
    .filter((t) => dtA[t] !== dtB[t])
    .map((tensor) => ({ tensor, ...(dtA[tensor] !== undefined ? { before: dtA[tensor] } : {}), ...(dtB[tensor] !== undefined ? { after: dtB[tensor] } : {}) }));
  const attributes: ModelDiff['attributes'] = [];
  for (const [name, na] of nodesA) {
    const nb = nodesB.get(name);
    if (!nb) continue;
    for (const k of [...new Set([...Object.keys(na.attributes), ...Object.keys(nb.attributes)])].sort()) {
      const va = na.attributes[k] && plainValue(na.attributes[k]);
      const vb = nb.attributes[k] && plainValue(nb.attributes[k]);
      if (!same(va, vb)) attributes.push({ node: name, attribute: k, ...(va !== undefined ? { before: va } : {}), ...(vb !== undefined ? { after: vb } : {}) });
    }
  }
  const wA = new Map(A.flatMap((m) => m.weights).map((w) => [w.node, w.bytes]));
  const wB = new Map(B.flatMap((m) => m.weights).map((w) => [w.node, w.bytes]));
  const weights = [...new Set([...wA.keys(), ...wB.keys()])]
    .filter((n) => wA.get(n) !== wB.get(n))
    .map((node) => ({ node, ...(wA.has(node) ? { before: wA.get(node)! } : {}), ...(wB.has(node) ? { after: wB.get(node)! } : {}) }));
  const cA = new Map(a.layers.filter((l) => l.cycles !== undefined).map((l) => [l.name, l.cycles!]));
  const cB = new Map(b.layers.filter((l) => l.cycles !== undefined).map((l) => [l.name, l.cycles!]));
  const cycles = [...new Set([...cA.keys(), ...cB.keys()])]
    .filter((n) => cA.get(n) !== cB.get(n))
    .map((node) => ({ node, ...(cA.has(node) ? { before: cA.get(node)! } : {}), ...(cB.has(node) ? { after: cB.get(node)! } : {}) }));
  return { a: side(a, A), b: side(b, B), opTypes, removed, added, datatypes, attributes, weights, cycles };
}

function count(nodes: Map<string, NodeSummary>): Map<string, number> {
  const out = new Map<string, number>();
  for (const n of nodes.values()) out.set(opKey(n), (out.get(opKey(n)) ?? 0) + 1);
  return out;
}
