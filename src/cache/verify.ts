import { isDirHash } from '../hash/types.js';
import { mapLimit } from '../util/concurrency.js';
import type { ObjectStore } from './object-store.js';

export interface BadObject {
  hash: string;
  problem: string;
  /** Where it was moved; undefined if it vanished first. */
  quarantinedAt: string | undefined;
}

/** A sound manifest that lists files the cache no longer has: restoring it would fail. */
export interface IncompleteManifest {
  hash: string;
  missing: string[];
}

export interface CacheVerifyReport {
  checked: number;
  bad: BadObject[];
  incomplete: IncompleteManifest[];
}

/** Objects re-hashed at once: enough to keep the disk busy while the main thread hashes. */
const CONCURRENCY = 4;

/**
 * Re-hash every object; quarantine the bad ones. File objects go first, so a manifest that lists a
 * file found bad here is reported as incomplete in the same run.
 */
export async function verifyCache(store: ObjectStore): Promise<CacheVerifyReport> {
  const all: string[] = [];
  for await (const h of store.listObjects()) all.push(h);
  const order = [...all.filter((h) => !isDirHash(h)), ...all.filter(isDirHash)];
  const bad: BadObject[] = [];
  const sound = new Set<string>();
  await mapLimit(order, CONCURRENCY, async (hash) => {
    const found = await store.inspect(hash);
    if (found === undefined) sound.add(hash);
    else if (found.kind === 'corrupt') {
      const err = await store.reject(hash, undefined, found.problem);
      bad.push({ hash, problem: found.problem, quarantinedAt: err.quarantinedAt });
    }
  });
  const incomplete: IncompleteManifest[] = [];
  for (const hash of order.filter((h) => isDirHash(h) && sound.has(h))) {
    const entries = await store.readManifest(hash);
    const missing = [...new Set(entries.map((e) => e.hash))].filter((h) => !sound.has(h));
    if (missing.length > 0) incomplete.push({ hash, missing: missing.sort() });
  }
  bad.sort((a, b) => (a.hash < b.hash ? -1 : 1));
  return { checked: all.length, bad, incomplete };
}
