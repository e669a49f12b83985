import type { RunCacheEntry } from '../cache/run-cache.js';
import { isDirHash } from '../hash/types.js';
import type { Workspace } from './workspace.js';

export interface GcOptions {
  dry: boolean;
  /** Run-cache entries kept per stage, newest first; `Infinity` keeps all. */
  keepRuns: number;
}

export interface GcReport {
  removedObjects: string[];
  removedRuns: string[];
  keptObjects: number;
}

/**
 * Removes run-cache entries beyond the newest `keepRuns` per stage, then every object that neither
 * the lock nor a kept run-cache entry references. With `dry`, only reports what it would remove.
 */
export async function collectGarbage(ws: Workspace, opts: GcOptions): Promise<GcReport> {
  const byStage = new Map<string, RunCacheEntry[]>();
  for await (const entry of ws.runCache.list()) {
    const list = byStage.get(entry.stage) ?? [];
    list.push(entry);
    byStage.set(entry.stage, list);
  }
  const lockHashes = new Set(ws.lock.outHashes());
  const roots = new Set(lockHashes);
  const removedRuns: string[] = [];
  for (const entries of byStage.values()) {
    entries.sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0));
    entries.forEach((entry, i) => {
      // The run the lock describes is never dropped: it is what reverting to the lock restores.
      const inLock = entry.outs.every((o) => lockHashes.has(o.hash));
      if (i < opts.keepRuns || inLock) entry.outs.forEach((o) => roots.add(o.hash));
      else removedRuns.push(entry.key);
    });
  }

  const live = new Set<string>();
  for (const hash of roots) {
    live.add(hash);
    if (!isDirHash(hash)) continue;
    try {
      for (const e of await ws.store.readManifest(hash)) live.add(e.hash);
    } catch {
      // A missing manifest references nothing that could be kept.
    }
  }

  const removedObjects: string[] = [];
  let keptObjects = 0;
  for await (const hash of ws.store.listObjects()) {
    if (live.has(hash)) keptObjects++;
    else removedObjects.push(hash);
  }
  if (!opts.dry) {
    for (const key of removedRuns) await ws.runCache.remove(key);
    for (const hash of removedObjects) await ws.store.remove(hash);
  }
  return { removedObjects, removedRuns, keptObjects };
}
