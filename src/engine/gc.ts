import { lstatSync } from 'node:fs';
import path from 'node:path';
import type { RunCacheEntry } from '../cache/run-cache.js';
import { isDirHash } from '../hash/types.js';
import { LockStore } from '../lock/lock-store.js';
import type { LockedOut } from '../lock/lock-types.js';
import { err, ok, type Result } from '../model/result.js';
import { isCacheObjectProblem } from './known-failure.js';
import type { Workspace } from './workspace.js';

/** A sweep variant's workspace: its own pipeline.lock, this workspace's cache. */
export interface VariantWorkspace {
  sweep: string;
  variant: string;
  root: string;
}

export interface GcOptions {
  dry: boolean;
  /** Run-cache entries kept per stage, newest first; `Infinity` keeps all. */
  keepRuns: number;
  /** Sweep variants sharing this cache: everything their locks reference is kept. */
  variants?: readonly VariantWorkspace[];
}

/** One output path a keeper holds on to, over all the versions it references. */
export interface KeptPath {
  path: string;
  /** A directory output (its versions are manifests). */
  directory: boolean;
  /** Distinct hashes of this path (one per variant whose output differs). */
  versions: number;
  /** Cache objects (files, and manifests of directories) present for them. */
  objects: number;
  bytes: number;
}

/** Who keeps objects alive: the workspace's lock, one sweep's variant locks, or older runs in the run-cache. */
export type Keeper = { kind: 'lock' } | { kind: 'sweep'; sweep: string; variants: number } | { kind: 'run-cache'; runs: number };

export interface KeptGroup {
  keeper: Keeper;
  paths: KeptPath[];
  objects: number;
  bytes: number;
}

export interface RemovedObject {
  hash: string;
  size: number;
  /** The outputs it held, as named by the run-cache entries dropped with it (a file inside a directory as `dir/file`); empty when nothing names it any more. */
  paths: string[];
}

export interface GcReport {
  removed: RemovedObject[];
  removedRuns: string[];
  keptObjects: number;
  keptBytes: number;
  kept: KeptGroup[];
  /** Every output the keep rules hold on to (lock, sweep variants, kept run-cache entries): what `gc --cloud` keeps on a remote. */
  keptOuts: LockedOut[];
  /** The run-cache entries kept. */
  keptRuns: string[];
}

/** A variant lock gc cannot read: it would not know what that variant needs, so it removes nothing. */
export interface GcRefusal {
  file: string;
  message: string;
}

/**
 * Removes run-cache entries beyond the newest `keepRuns` per stage, then every object that neither
 * the lock, a sweep variant's lock, nor a kept run-cache entry references. A run-cache entry whose
 * outputs one of those locks records is always kept: it is what a revert restores. With `dry`,
 * only reports what it would remove.
 */
export async function collectGarbage(ws: Workspace, opts: GcOptions): Promise<Result<GcReport, GcRefusal>> {
  const sizes = new ObjectSizes(ws);
  const lockOuts = ws.lock.outs();
  const sweeps = new Map<string, { variants: number; outs: LockedOut[] }>();
  for (const v of opts.variants ?? []) {
    const loaded = await LockStore.load(v.root);
    if (!loaded.ok) return err({ file: path.join(v.root, 'pipeline.lock'), message: loaded.error.map((d) => d.message).join('; ') });
    const group = sweeps.get(v.sweep) ?? { variants: 0, outs: [] };
    group.variants++;
    group.outs.push(...loaded.value.outs());
    sweeps.set(v.sweep, group);
  }

  const byStage = new Map<string, RunCacheEntry[]>();
  for await (const entry of ws.runCache.list()) {
    const list = byStage.get(entry.stage) ?? [];
    list.push(entry);
    byStage.set(entry.stage, list);
  }
  const lockedHashes = new Set([...lockOuts, ...[...sweeps.values()].flatMap((s) => s.outs)].map((o) => o.hash));
  const olderRuns: RunCacheEntry[] = [];
  const dropped: RunCacheEntry[] = [];
  for (const entries of byStage.values()) {
    entries.sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0));
    entries.forEach((entry, i) => {
      // The run a lock describes is never dropped: it is what reverting to that lock restores.
      const inLock = entry.outs.every((o) => lockedHashes.has(o.hash));
      if (inLock) return;
      if (i < opts.keepRuns) olderRuns.push(entry);
      else dropped.push(entry);
    });
  }

  const kept: Array<KeptGroup & { hashes: Set<string> }> = [await keptGroup(ws, sizes, { kind: 'lock' }, lockOuts)];
  for (const [sweep, s] of [...sweeps].sort(([a], [b]) => (a < b ? -1 : 1))) {
    kept.push(await keptGroup(ws, sizes, { kind: 'sweep', sweep, variants: s.variants }, s.outs));
  }
  if (olderRuns.length > 0) kept.push(await keptGroup(ws, sizes, { kind: 'run-cache', runs: olderRuns.length }, olderRuns.flatMap((e) => e.outs)));

  const live = new Set<string>();
  for (const group of kept) for (const hash of group.hashes) live.add(hash);

  // What the dropped runs called each object, so the listing says "model/w.txt", not a hash.
  const names = new Map<string, Set<string>>();
  const name = (hash: string, p: string) => (names.get(hash) ?? names.set(hash, new Set()).get(hash)!).add(p);
  for (const entry of dropped) {
    for (const out of entry.outs) {
      name(out.hash, isDirHash(out.hash) ? `${out.path}/` : out.path);
      for (const e of await manifestEntries(ws, out.hash)) name(e.hash, `${out.path}/${e.path}`);
    }
  }

  const removed: RemovedObject[] = [];
  let keptObjects = 0;
  let keptBytes = 0;
  for await (const hash of ws.store.listObjects()) {
    if (live.has(hash)) {
      keptObjects++;
      keptBytes += sizes.of(hash) ?? 0;
    } else removed.push({ hash, size: sizes.of(hash) ?? 0, paths: [...(names.get(hash) ?? [])].sort() });
  }
  if (!opts.dry) {
    for (const entry of dropped) await ws.runCache.remove(entry.key);
    for (const o of removed) await ws.store.remove(o.hash);
    // And the temps killed fetches left (older than an hour).
    await ws.store.sweepTemps();
  }
  return ok({
    removed,
    removedRuns: dropped.map((e) => e.key).sort(),
    keptObjects,
    keptBytes,
    kept: kept.map((g) => ({ keeper: g.keeper, paths: g.paths, objects: g.objects, bytes: g.bytes })),
    keptOuts: [...lockOuts, ...[...sweeps.values()].flatMap((s) => s.outs), ...olderRuns.flatMap((e): LockedOut[] => e.outs)].filter((o) => o.cache !== false),
    keptRuns: [...byStage.values()].flat().filter((e) => !dropped.includes(e)).map((e) => e.key).sort(),
  });
}

/** The objects `outs` reference (manifests and the files they list), grouped by output path. */
async function keptGroup(ws: Workspace, sizes: ObjectSizes, keeper: Keeper, outs: readonly LockedOut[]): Promise<KeptGroup & { hashes: Set<string> }> {
  const hashes = new Set<string>();
  const byPath = new Map<string, { versions: Set<string>; objects: Set<string> }>();
  // A `cache: false` output has no objects to keep.
  for (const out of outs.filter((o) => o.cache !== false)) {
    const slot = byPath.get(out.path) ?? { versions: new Set(), objects: new Set() };
    byPath.set(out.path, slot);
    slot.versions.add(out.hash);
    slot.objects.add(out.hash);
    for (const e of await manifestEntries(ws, out.hash)) slot.objects.add(e.hash);
    for (const h of slot.objects) hashes.add(h);
  }
  const present = (set: Iterable<string>) => [...set].filter((h) => sizes.of(h) !== undefined);
  const total = (set: Iterable<string>) => present(set).reduce((n, h) => n + sizes.of(h)!, 0);
  const paths = [...byPath]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([p, s]) => ({ path: p, directory: [...s.versions].some(isDirHash), versions: s.versions.size, objects: present(s.objects).length, bytes: total(s.objects) }));
  return { keeper, paths, objects: present(hashes).length, bytes: total(hashes), hashes };
}

/**
 * A directory output's files; none for a file, or for a manifest that is missing or corrupt (the
 * store quarantined it: the directory cannot be restored from it). Any other read error (EIO,
 * EMFILE) propagates, so gc stops before deleting anything rather than taking the directory's files
 * for unreferenced.
 */
async function manifestEntries(ws: Workspace, hash: string): Promise<{ path: string; hash: string }[]> {
  if (!isDirHash(hash)) return [];
  try {
    return await ws.store.readManifest(hash);
  } catch (e) {
    if (isCacheObjectProblem(e)) return [];
    throw e;
  }
}

/** Sizes of stored objects, from one lstat each; undefined for an object not in the cache. */
class ObjectSizes {
  private readonly known = new Map<string, number | undefined>();
  constructor(private readonly ws: Workspace) {}

  of(hash: string): number | undefined {
    if (!this.known.has(hash)) this.known.set(hash, lstatSync(this.ws.store.objectPath(hash), { throwIfNoEntry: false })?.size);
    return this.known.get(hash);
  }
}
