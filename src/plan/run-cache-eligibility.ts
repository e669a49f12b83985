import type { Stage } from '../model/stage.js';

/**
 * DVC's callback stage (`Stage.is_callback`): a command with neither deps (params count as deps) nor
 * outputs. Nothing could tell whether it is up to date, so it runs on every repro.
 */
export function isCallbackStage(stage: Stage): boolean {
  return stage.deps.length === 0 && stage.params.length === 0 && stage.outs.length === 0;
}

/**
 * Whether a run of `stage` may be recorded in and restored from the run-cache, by DVC's rules
 * (dvc/stage/cache.py `_can_hash`, dvc/stage/__init__.py `Stage.run`): not a callback stage, not
 * always_changed, at least one dep (params count) and one output, no `persist` output (its content
 * depends on earlier runs, not only on the inputs), and no plain output with `cache: false`. An
 * uncached metric or plot does not prevent it: its bytes are kept for the run-cache and restored as
 * a copy (`_uncached_outs`), so DVC's recommended `metrics: [{m.json: {cache: false}}]` keeps the
 * run-cache.
 */
export function runCacheEligible(stage: Stage): boolean {
  if (isCallbackStage(stage) || stage.alwaysChanged) return false;
  if (stage.deps.length + stage.params.length === 0 || stage.outs.length === 0) return false;
  return stage.outs.every((o) => !o.persist && (o.cache || o.kind !== 'out'));
}
