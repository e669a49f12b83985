import type { ExecutorKind } from '../model/stage.js';

/**
 * Whether a stage's `cpus`/`mem_gb` are taken from this machine while it runs (local processes,
 * Docker containers), or are a cluster's to place (Slurm jobs): the scheduler counts only the former
 * against this machine's capacity. Kept here so nothing outside `src/exec/` compares executor kinds.
 */
export function usesThisMachine(kind: ExecutorKind): boolean {
  switch (kind) {
    case 'local':
    case 'docker':
      return true;
    case 'slurm':
      return false;
  }
}

/** The stages a given executor runs (doctor's per-executor checks), so callers compare no kinds themselves. */
export function stagesRunBy<S extends { executor: ExecutorKind }>(kind: ExecutorKind, stages: readonly S[]): S[] {
  return stages.filter((s) => s.executor === kind);
}
