import type { Diagnostic } from '../model/diagnostic.js';
import { err, ok, type Result } from '../model/result.js';
import type { StageGraph } from './stage-graph.js';

export interface SelectOptions {
  /** `-s`: only the targets themselves, no upstream stages. */
  single?: boolean;
  /** `--downstream`: the targets and every stage depending on them. */
  downstream?: boolean;
}

/**
 * The stages a command acts on, in topological order. No targets means the whole pipeline.
 * A target is a stage name or the name of a foreach/matrix group (`build` selects every `build@...`).
 * Upstream traversal stops at frozen stages: they are included (to be reported) but their inputs are not.
 */
export function selectStages(graph: StageGraph, targets: readonly string[], opts: SelectOptions = {}): Result<string[], Diagnostic[]> {
  if (targets.length === 0) return ok(graph.order);
  const roots = new Set<string>();
  const diagnostics: Diagnostic[] = [];
  for (const target of targets) {
    const matched = graph.order.filter(matcher(target));
    if (matched.length === 0) {
      diagnostics.push({ code: 'unknown-target', message: `unknown stage "${target}"`, hint: suggestion(target, graph.order) });
    }
    matched.forEach((m) => roots.add(m));
  }
  if (diagnostics.length > 0) return err(diagnostics);

  const selected = new Set(roots);
  if (opts.downstream) {
    walk(roots, (name) => graph.downstream.get(name)!.map((e) => e.to), selected);
  } else if (!opts.single) {
    const expandable = [...roots].filter((name) => !graph.stages.get(name)!.frozen);
    walk(expandable, (name) => (graph.stages.get(name)!.frozen ? [] : graph.upstream.get(name)!.map((e) => e.from)), selected);
  }
  return ok(graph.order.filter((name) => selected.has(name)));
}

/**
 * DVC's addressing: `stage`, `:stage` and `dvc.yaml:stage` name a stage of the root's pipeline file,
 * `sub/dvc.yaml:stage` one of another file, and a pipeline file alone (`sub/dvc.yaml`) all its stages.
 */
function matcher(target: string): (name: string) => boolean {
  const fileOnly = /(^|\/)(dvc|pipeline)\.yaml$/.test(target);
  if (fileOnly) {
    const root = !target.includes('/');
    return (name) => (root ? !/^[^@]*\.yaml:/.test(name) : name.startsWith(`${target}:`));
  }
  const named = target.replace(/^(?:(?:\.\/)?(?:dvc|pipeline)\.yaml)?:/, '').replace(/^\.\//, '');
  return (name) => name === named || name.startsWith(`${named}@`);
}

function walk(start: Iterable<string>, next: (name: string) => string[], into: Set<string>): void {
  const stack = [...start];
  while (stack.length > 0) {
    for (const n of next(stack.pop()!)) {
      if (into.has(n)) continue;
      into.add(n);
      stack.push(n);
    }
  }
}

function suggestion(target: string, names: readonly string[]): string | undefined {
  const close = names.filter((n) => n.includes(target) || target.includes(n.split('@')[0]!));
  return close.length > 0 ? `known stages include: ${close.slice(0, 5).join(', ')}` : `run "orchestrator dag" to list the stages`;
}
