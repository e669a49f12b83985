import type { Diagnostic } from '../model/diagnostic.js';
import { err, ok, type Result } from '../model/result.js';
import type { Stage } from '../model/stage.js';

/** Why stage `to` depends on stage `from`: its dep `depPath` overlaps `from`'s out `outPath`. */
export interface StageEdge {
  from: string;
  to: string;
  depPath: string;
  outPath: string;
}

export interface StageGraph {
  stages: ReadonlyMap<string, Stage>;
  /** stage -> stages it depends on, with the edges explaining why. */
  upstream: ReadonlyMap<string, StageEdge[]>;
  downstream: ReadonlyMap<string, StageEdge[]>;
  /** Topological order; ties broken by name so the order is stable. */
  order: string[];
}

interface OutRef {
  stage: Stage;
  out: Stage['outs'][number];
}

/**
 * Builds the DAG: an edge wherever a dep path equals, lies under, or contains another stage's out.
 * Rejects overlapping outs, a stage depending on its own out, and cycles. Paths are indexed by
 * themselves and by every ancestor directory, so this is O(paths × depth), not O(paths²): a
 * pipeline of thousands of stages builds in milliseconds.
 */
export function buildGraph(stages: readonly Stage[]): Result<StageGraph, Diagnostic[]> {
  const diagnostics: Diagnostic[] = [];
  const byName = new Map(stages.map((s) => [s.name, s]));
  const outs: OutRef[] = stages.flatMap((stage) => stage.outs.map((out) => ({ stage, out })));
  /** Out indices by exact path, and by each proper ancestor directory of their path. */
  const atPath = new Map<string, number[]>();
  const underPath = new Map<string, number[]>();
  outs.forEach(({ out }, i) => {
    push(atPath, out.path, i);
    for (const dir of ancestors(out.path)) push(underPath, dir, i);
  });
  /** Indices of outs overlapping `p` (equal, containing it, or under it), ascending. */
  const overlapping = (p: string): number[] => {
    const found = [...(atPath.get(p) ?? []), ...(underPath.get(p) ?? [])];
    for (const dir of ancestors(p)) found.push(...(atPath.get(dir) ?? []));
    return [...new Set(found)].sort((a, b) => a - b);
  };

  const pairs: Array<[number, number]> = [];
  outs.forEach((b, j) => {
    for (const i of overlapping(b.out.path)) {
      if (i >= j) break;
      pairs.push([i, j]);
    }
  });
  pairs.sort(([i1, j1], [i2, j2]) => i1 - i2 || j1 - j2);
  for (const [i, j] of pairs) {
    const [a, b] = [outs[i]!, outs[j]!];
    const owners = a.stage === b.stage ? `stage "${a.stage.name}"` : `stages "${a.stage.name}" and "${b.stage.name}"`;
    diagnostics.push({
      code: 'overlapping-outs',
      message: `output "${b.out.path}" overlaps output "${a.out.path}" (both declared by ${owners})`,
      span: b.out.span,
      related: [{ message: `"${a.out.path}" is declared here`, span: a.out.span }],
      hint: 'every output path must belong to exactly one stage; depend on the other stage\'s output instead',
    });
  }

  const upstream = new Map<string, StageEdge[]>(stages.map((s) => [s.name, []]));
  const downstream = new Map<string, StageEdge[]>(stages.map((s) => [s.name, []]));
  for (const stage of stages) {
    for (const dep of stage.deps) {
      for (const i of overlapping(dep.path)) {
        const { stage: owner, out } = outs[i]!;
        if (owner === stage) {
          diagnostics.push({
            code: 'self-dependency',
            message: `stage "${stage.name}" depends on its own output "${out.path}"`,
            span: dep.span,
            related: [{ message: `"${out.path}" is declared as an output here`, span: out.span }],
          });
          continue;
        }
        const edge = { from: owner.name, to: stage.name, depPath: dep.path, outPath: out.path };
        const ups = upstream.get(stage.name)!;
        if (!ups.some((e) => e.from === edge.from && e.depPath === edge.depPath)) ups.push(edge);
        downstream.get(owner.name)!.push(edge);
      }
    }
  }
  if (diagnostics.length > 0) return err(diagnostics);

  const cycle = findCycle(stages, upstream);
  if (cycle) return err([cycleDiagnostic(cycle, byName)]);

  return ok({ stages: byName, upstream, downstream, order: topologicalOrder(stages, upstream) });
}

function push(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Proper ancestor directories of a workspace path, nearest first, ending with the root ('.' and ''). */
function ancestors(p: string): string[] {
  if (p === '.' || p === '') return [];
  const dirs: string[] = [];
  for (let i = p.lastIndexOf('/'); i > 0; i = p.lastIndexOf('/', i - 1)) dirs.push(p.slice(0, i));
  dirs.push('.', '');
  return dirs;
}

/** Kahn's algorithm in rounds: each round takes every ready stage, alphabetically. */
function topologicalOrder(stages: readonly Stage[], upstream: ReadonlyMap<string, StageEdge[]>): string[] {
  const waiting = new Map(stages.map((s) => [s.name, new Set(upstream.get(s.name)!.map((e) => e.from)).size]));
  const dependents = new Map<string, string[]>(stages.map((s) => [s.name, []]));
  for (const s of stages) for (const from of new Set(upstream.get(s.name)!.map((e) => e.from))) dependents.get(from)!.push(s.name);
  const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  let ready = [...waiting].filter(([, n]) => n === 0).map(([name]) => name).sort(byCodeUnit);
  const order: string[] = [];
  while (ready.length > 0) {
    for (const name of ready) order.push(name); // not push(...ready): 100,000 arguments overflow the stack
    const next: string[] = [];
    for (const name of ready) {
      for (const d of dependents.get(name)!) {
        const left = waiting.get(d)! - 1;
        waiting.set(d, left);
        if (left === 0) next.push(d);
      }
    }
    ready = next.sort(byCodeUnit);
  }
  return order;
}

/**
 * Returns the edges of one cycle in dependency order, or undefined. Depth-first with an explicit
 * stack (a chain of 100,000 stages must not overflow the call stack); `path` holds the edges from
 * the start stage to the one on top of the stack.
 */
function findCycle(stages: readonly Stage[], upstream: ReadonlyMap<string, StageEdge[]>): StageEdge[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const path: StageEdge[] = [];
  const visit = (start: string): StageEdge[] | undefined => {
    const stack: { name: string; next: number }[] = [{ name: start, next: 0 }];
    state.set(start, 'visiting');
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const edges = upstream.get(top.name) ?? [];
      if (top.next >= edges.length) {
        state.set(top.name, 'done');
        stack.pop();
        path.pop();
        continue;
      }
      const edge = edges[top.next++]!;
      const s = state.get(edge.from);
      if (s === 'done') continue;
      path.push(edge);
      if (s === 'visiting') {
        const at = path.findIndex((e) => e.to === edge.from);
        return path.slice(at);
      }
      state.set(edge.from, 'visiting');
      stack.push({ name: edge.from, next: 0 });
    }
    return undefined;
  };
  // Plain code-unit order: localeCompare would load ICU collation data on every start-up.
  for (const stage of [...stages].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (state.has(stage.name)) continue;
    const found = visit(stage.name);
    if (found) return found;
  }
  return undefined;
}

function cycleDiagnostic(cycle: StageEdge[], stages: ReadonlyMap<string, Stage>): Diagnostic {
  // Edges were collected walking dependencies backwards; present them in data-flow order.
  const edges = [...cycle].reverse();
  const names = [...edges.map((e) => e.from), edges[0]!.from];
  const depSpan = (e: StageEdge) => stages.get(e.to)?.deps.find((d) => d.path === e.depPath)?.span;
  return {
    code: 'cycle',
    message: `dependency cycle: ${names.join(' -> ')}`,
    span: depSpan(edges[edges.length - 1]!) ?? stages.get(edges[0]!.to)?.span,
    related: edges.map((e) => ({
      message: `stage "${e.to}" depends on "${e.depPath}", an output of stage "${e.from}"`,
      span: depSpan(e),
    })),
  };
}
