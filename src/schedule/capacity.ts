import type { Diagnostic } from '../model/diagnostic.js';
import type { Stage } from '../model/stage.js';
import { usesThisMachine } from '../exec/placement.js';

/** Resources the machine itself provides; everything else is a named token declared by the user. */
export const MACHINE_RESOURCES = ['cpus', 'mem_gb'] as const;

/**
 * Capacities in force: the machine's cpus/mem_gb, then pipeline.yaml `resources:`, then
 * `--resources k=v` (later wins), so a user can lower cpus on a shared box or grant a license.
 */
export function resolveCapacity(
  machine: { cpus: number; mem_gb: number },
  declared: Readonly<Record<string, number>>,
  overrides: Readonly<Record<string, number>>,
): Record<string, number> {
  return { ...machine, ...declared, ...overrides };
}

/**
 * What a stage holds while it runs. Undeclared resources cost nothing (the `-j` slot still applies).
 * Slurm stages hold only named tokens here: their cpus and memory are the cluster's to place.
 */
export function stageDemand(stage: Stage): Record<string, number> {
  if (usesThisMachine(stage.executor)) return stage.resources;
  return Object.fromEntries(Object.entries(stage.resources).filter(([k]) => !(MACHINE_RESOURCES as readonly string[]).includes(k)));
}

/** A stage that can never fit (more than the total, or a token nobody declared) is an error before anything runs. */
export function checkDemands(stages: readonly Stage[], capacity: Readonly<Record<string, number>>): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const stage of stages) {
    for (const [name, amount] of Object.entries(stageDemand(stage))) {
      const total = capacity[name];
      if (total === undefined) {
        diagnostics.push({
          code: 'invalid-value',
          message: `stage "${stage.name}" requests resource "${name}", which has no capacity`,
          span: stage.span,
          hint: `declare it at the top of pipeline.yaml (resources: {${name}: N}) or pass --resources ${name}=N`,
        });
      } else if (amount > total) {
        diagnostics.push({
          code: 'invalid-value',
          message: `stage "${stage.name}" requests ${name}: ${amount}, more than the ${total} available`,
          span: stage.span,
          hint: (MACHINE_RESOURCES as readonly string[]).includes(name)
            ? `this machine has ${total}; lower the request or run the stage on a bigger machine`
            : `raise the capacity (resources: {${name}: ${amount}} or --resources ${name}=${amount})`,
        });
      }
    }
  }
  return diagnostics;
}

/** Parses `--resources` values: `name=number`, repeatable or comma-separated. */
export function parseResourceOverrides(values: readonly string[]): { ok: true; value: Record<string, number> } | { ok: false; error: string } {
  const out: Record<string, number> = {};
  for (const item of values.flatMap((v) => v.split(','))) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*([0-9]+(?:\.[0-9]+)?)\s*$/.exec(item);
    if (!m) return { ok: false, error: `--resources: expected name=number, got "${item}"` };
    out[m[1]!] = Number(m[2]);
  }
  return { ok: true, value: out };
}
