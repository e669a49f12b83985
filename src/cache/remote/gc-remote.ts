import { promises as fsp, readFileSync } from 'node:fs';
import { parseDirListing } from '../../hash/manifest.js';
import { isDirHash } from '../../hash/types.js';
import type { ObjectStore } from '../object-store.js';
import { checkFetched } from '../object-store.js';
import { RemoteError, type RemoteBackend, type RemoteKey } from './backend.js';
import { objectKey, runKey, withRetry, type OutRef } from './transfer.js';

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
  opts: { dry: boolean; signal: AbortSignal },
): Promise<RemoteGcReport> {
  const live = new Set<RemoteKey>(keptRuns.map(runKey));
  for (const o of keptOuts) {
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
