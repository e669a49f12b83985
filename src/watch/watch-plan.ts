import { isSameOrUnder, overlaps } from '../graph/paths.js';
import type { StageGraph } from '../graph/stage-graph.js';

/**
 * What watch mode watches: the config files, and every dep of the selected stages that no stage
 * produces (outputs change because we ran; watching them would loop).
 */
export function watchedPaths(graph: StageGraph, selected: readonly string[], configFiles: readonly string[]): string[] {
  const outs = [...graph.stages.values()].flatMap((s) => s.outs.map((o) => o.path));
  const deps = selected.flatMap((name) => graph.stages.get(name)!.deps.map((d) => d.path));
  const external = deps.filter((d) => !outs.some((o) => overlaps(d, o)));
  return [...new Set([...configFiles, ...external])].sort();
}

/** The selected stages a change to `changed` paths makes stale: direct readers and everything downstream. */
export function affectedStages(graph: StageGraph, selected: readonly string[], changed: readonly string[]): Set<string> {
  const inScope = new Set(selected);
  const affected = new Set<string>();
  for (const name of selected) {
    const stage = graph.stages.get(name)!;
    if (stage.deps.some((d) => changed.some((c) => isSameOrUnder(c, d.path) || isSameOrUnder(d.path, c)))) affected.add(name);
  }
  const stack = [...affected];
  while (stack.length > 0) {
    for (const edge of graph.downstream.get(stack.pop()!) ?? []) {
      if (inScope.has(edge.to) && !affected.has(edge.to)) {
        affected.add(edge.to);
        stack.push(edge.to);
      }
    }
  }
  return affected;
}
