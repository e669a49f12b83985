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
