import type { Diagnostic } from '../model/diagnostic.js';
import { err, ok, type Result } from '../model/result.js';
import type { Stage } from '../model/stage.js';
import { overlaps } from './paths.js';

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

/**
 * Builds the DAG: an edge wherever a dep path equals, lies under, or contains another stage's out.
 * Rejects overlapping outs, a stage depending on its own out, and cycles.
 */
export function buildGraph(stages: readonly Stage[]): Result<StageGraph, Diagnostic[]> {
  const diagnostics: Diagnostic[] = [];
  const byName = new Map(stages.map((s) => [s.name, s]));
  const outs = stages.flatMap((stage) => stage.outs.map((out) => ({ stage, out })));

  for (let i = 0; i < outs.length; i++) {
    for (let j = i + 1; j < outs.length; j++) {
      const a = outs[i]!;
      const b = outs[j]!;
      if (!overlaps(a.out.path, b.out.path)) continue;
      const owners =
        a.stage === b.stage ? `stage "${a.stage.name}"` : `stages "${a.stage.name}" and "${b.stage.name}"`;
      diagnostics.push({
        code: 'overlapping-outs',
        message: `output "${b.out.path}" overlaps output "${a.out.path}" (both declared by ${owners})`,
        span: b.out.span,
        related: [{ message: `"${a.out.path}" is declared here`, span: a.out.span }],
        hint: 'every output path must belong to exactly one stage; depend on the other stage\'s output instead',
      });
    }
  }

  const upstream = new Map<string, StageEdge[]>(stages.map((s) => [s.name, []]));
  const downstream = new Map<string, StageEdge[]>(stages.map((s) => [s.name, []]));
  for (const stage of stages) {
    for (const dep of stage.deps) {
      for (const { stage: owner, out } of outs) {
        if (!overlaps(dep.path, out.path)) continue;
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

/** Kahn's algorithm, always taking the alphabetically first ready stage. */
function topologicalOrder(stages: readonly Stage[], upstream: ReadonlyMap<string, StageEdge[]>): string[] {
  const pending = new Map(stages.map((s) => [s.name, new Set(upstream.get(s.name)!.map((e) => e.from))]));
  const order: string[] = [];
  while (pending.size > 0) {
    const ready = [...pending].filter(([, ups]) => ups.size === 0).map(([name]) => name).sort();
    for (const name of ready) {
      pending.delete(name);
      order.push(name);
    }
    for (const ups of pending.values()) for (const name of ready) ups.delete(name);
  }
  return order;
}

/** Returns the edges of one cycle in dependency order, or undefined. */
function findCycle(stages: readonly Stage[], upstream: ReadonlyMap<string, StageEdge[]>): StageEdge[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const path: StageEdge[] = [];
  const visit = (name: string): StageEdge[] | undefined => {
    state.set(name, 'visiting');
    for (const edge of upstream.get(name) ?? []) {
      const s = state.get(edge.from);
      if (s === 'done') continue;
      path.push(edge);
      if (s === 'visiting') {
        const start = path.findIndex((e) => e.to === edge.from);
        return path.slice(start);
      }
      const found = visit(edge.from);
      if (found) return found;
      path.pop();
    }
    state.set(name, 'done');
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
