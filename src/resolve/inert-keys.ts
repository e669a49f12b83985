import type { StageBody } from '../config/schema.js';

/**
 * DVC keys this tool accepts but gives no behaviour yet. `status` and `doctor` name them once, so a
 * migrated project loads unchanged and its user still learns what is ignored.
 */
const TOP_LEVEL = ['artifacts', 'datasets'] as const;
const OUTPUT_FLAGS = ['remote', 'push', 'checkpoint'] as const;

export function inertTopLevelKeys(raw: Record<string, unknown>): string[] {
  return TOP_LEVEL.filter((key) => raw[key] !== undefined && raw[key] !== null);
}

/** `outs: remote`, `metrics: push`, ... for every output flag a stage sets that has no effect here. */
export function inertStageKeys(body: StageBody): string[] {
  const found: string[] = [];
  for (const field of ['outs', 'metrics', 'plots'] as const) {
    for (const entry of body[field] ?? []) {
      if (typeof entry === 'string') continue;
      for (const options of Object.values(entry).flatMap((o) => (Array.isArray(o) ? o : [o]))) {
        for (const flag of OUTPUT_FLAGS) if ((options as Record<string, unknown>)[flag] !== undefined) found.push(`${field}: ${flag}`);
      }
    }
  }
  return found;
}
