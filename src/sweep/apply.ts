import { cp, rm } from 'node:fs/promises';
import path from 'node:path';
import { restoreOutputs } from '../engine/outputs.js';
import type { Workspace } from '../engine/workspace.js';
import { LockStore } from '../lock/lock-store.js';
import type { LockedOut } from '../lock/lock-types.js';
import { checkedWritePath } from '../workspace/safe-path.js';
import type { Pipeline, Stage } from '../model/stage.js';
import { err, ok, type Result } from '../model/result.js';

export interface ApplyOutcome {
  /** Stages whose lock entry and outputs now match the variant's. */
  restored: string[];
  /** Stages that must be rebuilt here: they embed absolute paths, or the variant never built them. */
  rebuild: { stage: string; why: 'not-built' | 'not-in-cache' }[];
}

/**
 * Brings a variant's outputs into the main workspace, whose params already equal the variant's:
 * its lock entries are taken over and their outputs restored from the shared cache (outputs declared
 * `cache: false` are copied from the variant's workspace). Stages with `absolute_paths` too: a
 * sweep builds them at their canonical stage root (`.orchestrator/stage-roots/`), which their
 * outputs name and which stays, so the restored outputs are exactly the variant's and stay valid.
 */
export async function applyVariantOutputs(ws: Workspace, pipeline: Pipeline, variantRoot: string): Promise<Result<ApplyOutcome, string>> {
  const variantLock = await LockStore.load(variantRoot);
  if (!variantLock.ok) return err(`${path.join(variantRoot, 'pipeline.lock')}: ${variantLock.error.map((d) => d.message).join('; ')}`);
  const outcome: ApplyOutcome = { restored: [], rebuild: [] };
  for (const stage of pipeline.stages) {
    const entry = variantLock.value.get(stage.name);
    // Only an entry for exactly the outputs the stage declares is applied: nothing else is written.
    if (!entry || !sameOutPaths(stage, entry.outs)) {
      outcome.rebuild.push({ stage: stage.name, why: 'not-built' });
      continue;
    }
    const cached = entry.outs.filter((o) => o.cache !== false);
    let complete = true;
    for (const o of cached) if (!(await ws.store.isComplete(o.hash))) complete = false;
    if (!complete) {
      outcome.rebuild.push({ stage: stage.name, why: 'not-in-cache' });
      continue;
    }
    await restoreOutputs(ws, cached);
    for (const o of entry.outs.filter((x) => x.cache === false)) {
      const dest = checkedWritePath(ws.root, o.path);
      await rm(dest, { recursive: true, force: true });
      await cp(path.join(variantRoot, o.path), dest, { recursive: true }).catch(() => undefined);
    }
    ws.lock.set(stage.name, entry);
    outcome.restored.push(stage.name);
  }
  await ws.lock.save(new Set(pipeline.stages.map((s) => s.name)));
  await ws.lock.flush();
  return ok(outcome);
}

function sameOutPaths(stage: Stage, outs: readonly LockedOut[]): boolean {
  const declared = new Set(stage.outs.map((o) => o.path));
  const locked = new Set(outs.map((o) => o.path));
  return declared.size === locked.size && outs.length === locked.size && [...locked].every((p) => declared.has(p));
}
