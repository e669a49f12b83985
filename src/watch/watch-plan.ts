import { isSameOrUnder, overlaps } from '../graph/paths.js';
import type { StageGraph } from '../graph/stage-graph.js';
import type { Stage } from '../model/stage.js';
import { canonicalJson } from '../util/canonical-json.js';

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

/** What a pass runs: a graph and the selected stages in it. */
export interface WatchedSelection {
  graph: StageGraph;
  selected: readonly string[];
}

/**
 * The selected stages whose OWN inputs changed: a dep at, under or over a changed path, or a
 * definition (rendered cmd, param values, deps, outs, env, executor, container) that differs between
 * `before` and the freshly resolved `after`. A stage that vanished from `after` counts as changed.
 * Downstream stages are not included: their inputs change only if their upstream's outputs do,
 * which the plan sees when the upstream has run again (cascade).
 */
export function stagesWithChangedInputs(before: WatchedSelection, after: WatchedSelection, changedPaths: readonly string[]): Set<string> {
  const changed = new Set<string>();
  for (const name of before.selected) {
    const old = before.graph.stages.get(name)!;
    const fresh = after.graph.stages.get(name);
    const readsChanged = old.deps.some((d) => changedPaths.some((c) => isSameOrUnder(c, d.path) || isSameOrUnder(d.path, c)));
    if (readsChanged || !fresh || (fresh !== old && stageDefinition(fresh) !== stageDefinition(old))) changed.add(name);
  }
  return changed;
}

/** True when `after` selects the same stages with the same edges: a running pass can take it over as it is. */
export function sameSchedule(before: WatchedSelection, after: WatchedSelection): boolean {
  if (before.selected.length !== after.selected.length || before.selected.some((n, i) => after.selected[i] !== n)) return false;
  const edges = (s: WatchedSelection, name: string) => s.graph.upstream.get(name)!.map((e) => e.from).sort().join('\n');
  return before.selected.every((name) => edges(before, name) === edges(after, name));
}

/**
 * What decides a stage's result, as text. Source positions, `desc`, and where or with how much it
 * runs (`slurm`, `resources`) are left out: editing a comment above a stage, or its partition,
 * must not restart an hour-long build.
 */
function stageDefinition(stage: Stage): string {
  const { span: _span, desc: _desc, slurm: _slurm, resources: _resources, frozen: _frozen, ...rest } = stage;
  return canonicalJson({
    ...rest,
    deps: rest.deps.map((d) => d.path),
    params: rest.params.map((p) => [p.file, p.key, p.value]),
    outs: rest.outs.map(({ span: _s, ...o }) => o),
  });
}
