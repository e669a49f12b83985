import { lstatSync, unlinkSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { runCacheOut, type RunCacheEntry } from '../cache/run-cache.js';
import type { PathHash } from '../hash/types.js';
import type { LockEntry, LockedOut, LockedPath } from '../lock/lock-types.js';
import type { StageFailure } from '../model/failure.js';
import type { Stage } from '../model/stage.js';
import type { ObservedEnvironment } from '../model/environment.js';
import { paramsByFile, type StageFingerprint } from '../plan/fingerprint.js';
import { checkedWritePath, resolvesInsideWorkspace } from '../workspace/safe-path.js';
import { ignoreOutput } from '../workspace/gitignore.js';
import type { Workspace } from './workspace.js';
import { runCacheEligible } from '../plan/run-cache-eligibility.js';

/** Removes the outputs a stage will recreate (all but `persist` ones), so stale files never survive a run. */
export async function removeOutputs(ws: Workspace, stage: Stage): Promise<void> {
  for (const out of stage.outs) {
    if (out.persist) continue;
    const abs = checkedWritePath(ws.root, out.path);
    // Usually absent or one file: settled with a call or two; only a directory goes to the thread pool.
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) await rm(abs, { recursive: true, force: true });
    else unlinkSync(abs);
  }
}

export type CommitResult = { ok: true; entry: LockEntry } | { ok: false; failure: StageFailure };

/**
 * After a successful run: checks every declared out exists, stores cached outs in the object store,
 * records a run-cache entry, and returns the new lock entry. Dep hashes are the ones observed before
 * the run, so an input edited during the run makes the stage stale instead of silently "up to date".
 */
export async function commitOutputs(
  ws: Workspace,
  stage: Stage,
  depHashes: ReadonlyMap<string, PathHash | undefined>,
  fingerprint: StageFingerprint,
  environment: ObservedEnvironment,
): Promise<CommitResult> {
  const escaping = stage.outs.filter((o) => !resolvesInsideWorkspace(ws.root, o.path));
  if (escaping.length > 0) {
    return { ok: false, failure: { kind: 'missing-output', paths: escaping.map((o) => o.path), escaping: true } };
  }
  const hashes = await ws.hasher.hashPaths(stage.outs.map((o) => o.path));
  const missing = stage.outs.filter((o) => !hashes.get(o.path));
  if (missing.length > 0) {
    return { ok: false, failure: { kind: 'missing-output', paths: missing.map((o) => o.path) } };
  }
  const outs: LockedOut[] = [];
  const recordRun = runCacheEligible(stage);
  for (const out of stage.outs) {
    const h = hashes.get(out.path)!;
    // An uncached output's bytes are still stored when the run is recorded, so a run-cache hit can
    // bring them back (as copies), as DVC does for `cache: false` outputs.
    if (out.cache || recordRun) await ws.store.commit(path.join(ws.root, out.path), h);
    if (out.cache) ignoreOutput(ws.root, out.path);
    outs.push({ ...lockedOut(out.path, h), ...(out.cache ? {} : { cache: false }), persist: out.persist });
  }
  if (recordRun) {
    const runOuts = outs.map(runCacheOut);
    ws.runCache.record({ key: fingerprint.key, stage: stage.name, fingerprint: fingerprint.text, outs: runOuts, created: new Date().toISOString() });
  }
  const deps = stage.deps.map((d) => lockedPath(d.path, depHashes.get(d.path)!));
  return { ok: true, entry: lockEntry(stage, environment, deps, outs) };
}

/**
 * Brings outputs back from the cache; outputs whose bytes already match are left untouched. Each
 * destination is checked the moment before it is written (see `checkedWritePath`).
 */
export async function restoreOutputs(ws: Workspace, outs: readonly LockedOut[], uncached: ReadonlySet<string> = new Set()): Promise<void> {
  for (const out of outs) {
    if (inPlace(await ws.hasher.hashPath(out.path), out)) continue;
    const abs = checkedWritePath(ws.root, out.path);
    // An uncached output is the user's file, as if tracked by git: always a copy, never a link into the cache.
    const linkTypes = uncached.has(out.path) ? (['copy'] as const) : ws.linkTypes;
    const restored = await ws.store.restore(out.hash, abs, { linkTypes, exec: out.isexec === true });
    await ws.hasher.recordKnownUnder(out.path, restored);
    ignoreOutput(ws.root, out.path);
  }
}

/**
 * The output is in the workspace as recorded: its bytes, and the executable bit when one was
 * recorded. Right bytes without it are placed again (as a copy) rather than chmod-ed: the file could
 * be a hard link sharing its mode with the cache object.
 */
export function inPlace(current: PathHash | undefined, out: LockedOut): boolean {
  return current?.hash === out.hash && (out.isexec !== true || (current.kind === 'file' && current.exec === true));
}

/** The lock entry a restore from the run-cache produces: current inputs, the entry's outputs. */
export function lockEntryFromRunCache(
  stage: Stage,
  environment: ObservedEnvironment,
  depHashes: ReadonlyMap<string, PathHash | undefined>,
  entry: RunCacheEntry,
): LockEntry {
  const deps = stage.deps.map((d) => lockedPath(d.path, depHashes.get(d.path)!));
  // The entry's fingerprint included the flags, so they are the stage's.
  const flags = new Map(stage.outs.map((o) => [o.path, o]));
  return lockEntry(
    stage,
    environment,
    deps,
    entry.outs.map((o) => ({ ...o, ...(flags.get(o.path)?.cache === false ? { cache: false } : {}), persist: flags.get(o.path)?.persist ?? false })),
  );
}

export function lockEntry(stage: Stage, environment: ObservedEnvironment, deps: LockedPath[], outs: LockedOut[]): LockEntry {
  const tools = Object.keys(environment.tools).length > 0 ? { tools: environment.tools } : {};
  return { cmd: stage.cmd, wdir: stage.wdir, env: environment.env, environment: environment.id, ...tools, deps, params: paramsByFile(stage), outs };
}

/** A dep as the lock records it. */
export function lockedPath(p: string, h: PathHash): LockedPath {
  return { path: p, hash: h.hash, size: h.size, ...(h.kind === 'dir' ? { nfiles: h.nfiles } : {}) };
}

/** An out as the lock records it: a dep's fields, and whether a file output is executable. */
export function lockedOut(p: string, h: PathHash): LockedOut {
  return { ...lockedPath(p, h), ...(h.kind === 'file' && h.exec ? { isexec: true } : {}) };
}
