import type { LockedOut } from '../lock/lock-types.js';
import type { Stage } from '../model/stage.js';
import type { Workspace } from './workspace.js';
import { describeKnownFailure } from './known-failure.js';
import { inPlace, restoreOutputs } from './outputs.js';

export type CheckoutItem =
  | { stage: string; path: string; result: 'unchanged' | 'restored' }
  | { stage: string; path: string; result: 'modified-kept' | 'not-in-cache' | 'not-cached' | 'no-lock-entry' | 'not-declared' }
  /** The restore was refused or failed (a symlink out of the workspace, a bad cache object, I/O): `message` says why. */
  | { stage: string; path: string; result: 'failed'; message: string };

/**
 * Makes outputs match the lock. Missing outputs are restored; an output the user changed is only
 * overwritten with `force`, so checkout never silently discards work. Only paths the stage declares
 * today are touched: a lock entry (edited by hand, or left from an older pipeline) naming any other
 * path is reported, never written.
 */
export async function checkout(ws: Workspace, stages: readonly Stage[], opts: { force: boolean }): Promise<CheckoutItem[]> {
  const items: CheckoutItem[] = [];
  for (const stage of stages) {
    // A DVC project checked out before its first run here: dvc.lock's outs, imported from DVC's cache.
    const dvcOuts = ws.lock.get(stage.name) ? undefined : await ws.dvcLock?.outsOnly(stage);
    const entry = ws.lock.get(stage.name) ?? (dvcOuts ? { outs: dvcOuts } : undefined);
    if (!entry) {
      items.push({ stage: stage.name, path: '', result: 'no-lock-entry' });
      continue;
    }
    const declared = new Set(stage.outs.map((o) => o.path));
    for (const out of entry.outs) {
      if (!declared.has(out.path)) {
        items.push({ stage: stage.name, path: out.path, result: 'not-declared' });
        continue;
      }
      try {
        items.push({ stage: stage.name, path: out.path, result: await checkoutOne(ws, out, opts.force) });
      } catch (e) {
        const message = describeKnownFailure(e);
        if (message === undefined) throw e;
        items.push({ stage: stage.name, path: out.path, result: 'failed', message });
      }
    }
  }
  return items;
}

async function checkoutOne(ws: Workspace, out: LockedOut, force: boolean): Promise<'unchanged' | 'restored' | 'modified-kept' | 'not-in-cache' | 'not-cached'> {
  const current = await ws.hasher.hashPath(out.path);
  if (inPlace(current, out)) return 'unchanged';
  if (out.cache === false) return 'not-cached';
  // Right bytes, only the executable bit lost (a chmod, an archive that dropped it): nothing of the
  // user's to keep; placed again when the cache has the object.
  const sameBytes = current?.hash === out.hash;
  if (current && !sameBytes && !force) return 'modified-kept';
  if (!(await ws.store.isComplete(out.hash))) return sameBytes ? 'unchanged' : 'not-in-cache';
  await restoreOutputs(ws, [out]);
  return 'restored';
}
