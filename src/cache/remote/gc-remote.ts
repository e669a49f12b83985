import { promises as fsp, readFileSync } from 'node:fs';
import { parseDirListing } from '../../hash/manifest.js';
import { isDirHash } from '../../hash/types.js';
import type { ObjectStore } from '../object-store.js';
import { checkFetched } from '../object-store.js';
import { RemoteError, type RemoteBackend, type RemoteKey } from './backend.js';
import { checkRunEntry, objectKey, runKey, withRetry, type OutRef } from './transfer.js';
import type { RunCacheEntry } from '../run-cache.js';

export interface RemoteGcReport {
  removed: RemoteKey[];
  kept: number;
}

/**
 * `gc --cloud`: removes from the remote every object and run-cache entry the keep rules of `gc` do
 * not hold on to (`keptOuts`, `keptRuns`, computed by `collectGarbage`). A kept directory's files
 * are read from its manifest, locally or else from the remote (verified); a kept manifest that can be
 * read from neither stops the whole gc before anything is deleted, so its files are never taken
 * for garbage.
 */
export async function collectRemoteGarbage(
  store: ObjectStore,
  backend: RemoteBackend,
  keptOuts: readonly OutRef[],
  keptRuns: readonly string[],
  opts: { dry: boolean; signal: AbortSignal; keepRuns: number; lockedHashes: ReadonlySet<string> },
): Promise<RemoteGcReport> {
  const live = new Set<RemoteKey>(keptRuns.map(runKey));
  const outs = [...keptOuts];
  // Entries only the remote has (pushed from other clones) get gc's rules too: the run a lock
  // describes is kept, and the --keep-runs newest per stage.
  const remoteOnly: RunCacheEntry[] = [];
  for await (const k of backend.list('runs/', { signal: opts.signal })) {
    if (live.has(k)) continue;
    const entry = await readRemoteEntry(store, backend, k, opts.signal);
    if (entry) remoteOnly.push(entry);
  }
  const byStage = new Map<string, RunCacheEntry[]>();
  for (const e of remoteOnly) (byStage.get(e.stage) ?? byStage.set(e.stage, []).get(e.stage)!).push(e);
  for (const entries of byStage.values()) {
    entries.sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0));
    entries.forEach((e, i) => {
      if (i < opts.keepRuns || e.outs.every((o) => opts.lockedHashes.has(o.hash))) {
        live.add(runKey(e.key));
        outs.push(...e.outs);
      }
    });
  }
  for (const o of outs) {
    live.add(objectKey(o.hash));
    if (!isDirHash(o.hash) || live.has(`${objectKey(o.hash)}#listed`)) continue;
    live.add(`${objectKey(o.hash)}#listed`);
    for (const h of await manifestFiles(store, backend, o.hash, opts.signal)) live.add(objectKey(h));
  }
  const doomed: RemoteKey[] = [];
  let kept = 0;
  for (const prefix of ['objects/', 'runs/']) {
    for await (const k of backend.list(prefix, { signal: opts.signal })) {
      if (live.has(k)) kept++;
      else doomed.push(k);
    }
  }
  if (!opts.dry && doomed.length > 0) {
    // Run-cache entries first, then manifests, then files: a remote interrupted midway never holds an entry or manifest naming a deleted object.
    const order = (k: RemoteKey) => (k.startsWith('runs/') ? 0 : k.endsWith('.dir') ? 1 : 2);
    for (const rank of [0, 1, 2]) {
      const batch = doomed.filter((k) => order(k) === rank);
      if (batch.length) await withRetry(() => backend.delete(batch, { signal: opts.signal }), opts.signal);
    }
  }
  return { removed: doomed.sort(), kept };
}

/** A remote run-cache entry, checked as a fetch checks it; undefined (so it is garbage) when bad. */
async function readRemoteEntry(store: ObjectStore, backend: RemoteBackend, key: RemoteKey, signal: AbortSignal): Promise<RunCacheEntry | undefined> {
  const tmp = await store.tempPath('gc-run');
  try {
    await withRetry(() => backend.download(key, tmp, { signal }), signal);
    const checked = checkRunEntry(readFileSync(tmp, 'utf8'), key.slice(key.lastIndexOf('/') + 1, -'.json'.length));
    return typeof checked === 'string' ? undefined : checked;
  } catch (e) {
    if (e instanceof RemoteError && e.kind === 'not-found') return undefined;
    throw e;
  } finally {
    await fsp.rm(tmp, { force: true });
  }
}

async function manifestFiles(store: ObjectStore, backend: RemoteBackend, hash: string, signal: AbortSignal): Promise<string[]> {
  if (await store.has(hash)) {
    try {
      return (await store.readDirListing(hash)).entries.map((e) => e.hash);
    } catch {
      // quarantined: read the remote's copy
    }
  }
  const tmp = await store.tempPath('gc');
  try {
    await withRetry(() => backend.download(objectKey(hash), tmp, { signal }), signal);
    const problem = await checkFetched(tmp, hash);
    if (problem) throw new RemoteError('other', `kept manifest ${objectKey(hash)} on ${backend.url} is bad (${problem}); gc --cloud removed nothing`, 'push it again from a workspace that has it');
    return parseDirListing(readFileSync(tmp)).entries.map((e) => e.hash);
  } catch (e) {
    // A kept manifest the remote does not have: nothing of it is there to keep or lose.
    if (e instanceof RemoteError && e.kind === 'not-found') return [];
    throw e;
  } finally {
    await fsp.rm(tmp, { force: true });
  }
}
