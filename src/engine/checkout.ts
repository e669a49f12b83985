import type { LockedOut } from '../lock/lock-types.js';
import type { Workspace } from './workspace.js';
import { restoreOutputs } from './outputs.js';

export type CheckoutItem =
  | { stage: string; path: string; result: 'unchanged' | 'restored' }
  | { stage: string; path: string; result: 'modified-kept' | 'not-in-cache' | 'not-cached' | 'no-lock-entry' };

/**
 * Makes outputs match the lock. Missing outputs are restored; an output the user changed is only
 * overwritten with `force`, so checkout never silently discards work.
 */
export async function checkout(ws: Workspace, stages: readonly string[], opts: { force: boolean }): Promise<CheckoutItem[]> {
  const items: CheckoutItem[] = [];
  for (const stage of stages) {
    const entry = ws.lock.get(stage);
    if (!entry) {
      items.push({ stage, path: '', result: 'no-lock-entry' });
      continue;
    }
    for (const out of entry.outs) items.push({ stage, path: out.path, result: await checkoutOne(ws, out, opts.force) });
  }
  return items;
}

async function checkoutOne(ws: Workspace, out: LockedOut, force: boolean): Promise<CheckoutItem['result']> {
  const current = await ws.hasher.hashPath(out.path);
  if (current?.hash === out.hash) return 'unchanged';
  if (out.cache === false) return 'not-cached';
  if (current && !force) return 'modified-kept';
  if (!(await ws.store.isComplete(out.hash))) return 'not-in-cache';
  await restoreOutputs(ws, [out]);
  return 'restored';
}
