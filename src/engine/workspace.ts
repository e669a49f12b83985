import { mkdir } from 'node:fs/promises';
import { ObjectStore, DEFAULT_LINK_TYPES, type LinkType } from '../cache/object-store.js';
import { RunCache } from '../cache/run-cache.js';
import { Hasher } from '../hash/hasher.js';
import { StatCache } from '../hash/stat-cache.js';
import { LockStore } from '../lock/lock-store.js';
import { DvcLockReader } from './dvc-lock-adopt.js';
import type { Diagnostic } from '../model/diagnostic.js';
import { err, ok, type Result } from '../model/result.js';
import { workspaceLayout, type WorkspaceLayout } from '../workspace/layout.js';
import { loadProjectConfig } from '../config/remote-config.js';

/** The stateful parts of a workspace that commands share: lock, hasher + stat cache, object store, run-cache. */
export interface Workspace {
  root: string;
  layout: WorkspaceLayout;
  lock: LockStore;
  statCache: StatCache;
  hasher: Hasher;
  store: ObjectStore;
  runCache: RunCache;
  linkTypes: readonly LinkType[];
  /** DVC's dvc.lock, read for stages pipeline.lock has no entry for yet (see DvcLockReader). */
  dvcLock?: DvcLockReader;
}

export interface OpenWorkspaceOptions {
  linkTypes?: readonly LinkType[] | undefined;
  /** Another workspace's cache (sweep variants share the main workspace's objects and run-cache). */
  cacheDir?: string;
  /**
   * How dvc.lock is used for stages without a pipeline.lock entry: `read` (default) verifies it and
   * says a stage is up to date; `write` (a run, a checkout) also records the entry in pipeline.lock
   * and stores the outputs in the cache; `off` ignores it (sweep variants).
   */
  dvcLock?: 'read' | 'write' | 'off';
  /** With `cacheDir`: that cache is shared by a Unix group (`cache.shared = group`). */
  cacheShared?: boolean;
}

export interface CacheLocation {
  dir: string;
  shared: boolean;
}

/**
 * Where a workspace's cache is: `.orchestrator/cache`, or `cache.dir` from the project config (a
 * folder outside the workspace that several workspaces and users share; see `cache.shared`).
 */
export function cacheLocation(root: string): Result<CacheLocation, Diagnostic[]> {
  const loaded = loadProjectConfig(root);
  if (!loaded.ok) {
    const p = loaded.error;
    const span = p.line ? { span: { file: p.file, line: p.line, col: p.column ?? 1, endLine: p.line, endCol: (p.column ?? 1) + 1 } } : {};
    return err([{ code: 'invalid-value', message: p.line ? p.message : `${p.file}: ${p.message}`, ...span, ...(p.hint ? { hint: p.hint } : {}) }]);
  }
  return ok({ dir: loaded.value.cacheDir ?? workspaceLayout(root).cache, shared: loaded.value.cacheShared === 'group' });
}

export async function openWorkspace(root: string, opts: OpenWorkspaceOptions = {}): Promise<Result<Workspace, Diagnostic[]>> {
  const layout = workspaceLayout(root);
  let cache: CacheLocation;
  if (opts.cacheDir !== undefined) cache = { dir: opts.cacheDir, shared: opts.cacheShared ?? false };
  else {
    const found = cacheLocation(root);
    if (!found.ok) return found;
    cache = found.value;
  }
  const lock = await LockStore.load(root);
  if (!lock.ok) return err(lock.error);
  const statCache = await StatCache.load(layout.statCache);
  const ws: Workspace = {
    root,
    layout,
    lock: lock.value,
    statCache,
    hasher: new Hasher({ root, statCache }),
    store: new ObjectStore(cache.dir, { shared: cache.shared }),
    runCache: new RunCache(cache.dir, cache.shared),
    linkTypes: opts.linkTypes ?? DEFAULT_LINK_TYPES,
  };
  const dvcLock = opts.dvcLock ?? 'read';
  if (dvcLock !== 'off') ws.dvcLock = new DvcLockReader(ws, dvcLock);
  return ok(ws);
}

/** Writes pending run-cache entries, persists the stat cache and stops hashing workers. Safe to call on every exit path. */
export async function closeWorkspace(ws: Workspace): Promise<void> {
  ws.runCache.flush();
  await mkdir(ws.layout.state, { recursive: true });
  await ws.statCache.save();
  await ws.hasher.close();
}
