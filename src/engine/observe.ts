import type { PathHash } from '../hash/types.js';
import type { EnvironmentObservation } from '../model/environment.js';
import type { Stage } from '../model/stage.js';
import { stageFingerprint, type StageFingerprint } from '../plan/fingerprint.js';
import { inputChanges, type ObservedHash, type StageObservation } from '../plan/plan-stage.js';
import type { Workspace } from './workspace.js';
import { runCacheEligible } from '../plan/run-cache-eligibility.js';

/** A stage's observation plus the raw hashes and fingerprint the run/commit steps reuse. */
export interface ObservedStage {
  observation: StageObservation;
  depHashes: Map<string, PathHash | undefined>;
  /** Undefined while some dep is missing or the environment cannot be described. */
  fingerprint?: StageFingerprint;
  /** The directory the stage's command runs in: the workspace root, or its canonical stage root. */
  execRoot: string;
  /** The lock entry came from dvc.lock just now (a run saves pipeline.lock for it). */
  adopted: boolean;
}

export interface ObserveContext {
  ws: Workspace;
  /**
   * Where a stage that embeds absolute paths runs, by its path-free fingerprint (see `StageRoots`);
   * without it such a stage runs in the workspace and its fingerprint holds the workspace root.
   */
  rootFor?: (stage: Stage, pathFreeKey: string) => string;
  environment: EnvironmentObservation;
  interrupted: boolean;
  useRunCache: boolean;
}

/** Hashes a stage's deps and outs and looks up the lock and caches: the I/O half of planning. */
export async function observeStage(stage: Stage, ctx: ObserveContext): Promise<ObservedStage> {
  const { ws } = ctx;
  const [depHashes, outHashes] = await Promise.all([
    ws.hasher.hashPaths(stage.deps.map((d) => d.path)),
    ws.hasher.hashPaths(stage.outs.map((o) => o.path)),
  ]);
  let lock = ws.lock.getAdoptingFlags(stage);
  let adopted = false;
  if (!lock && ws.dvcLock) {
    lock = await ws.dvcLock.adopt(stage, ctx.environment, depHashes, outHashes);
    adopted = lock !== undefined;
  }
  const observation: StageObservation = {
    stage,
    lock,
    deps: toObserved(depHashes),
    outs: toObserved(outHashes),
    environment: ctx.environment,
    interrupted: ctx.interrupted,
    lockOutsInCache: false,
    upstreamChanged: [],
  };

  // Cache look-ups cost a stat per object, so only make them when the answer can matter.
  if (lock && lock.outs.some((o) => observation.outs.get(o.path)?.hash !== o.hash)) {
    // An entry adopted from dvc.lock may restore outs from DVC's cache (status only reads it there).
    const elsewhere = adopted ? (hash: string) => ws.dvcLock!.inDvcCache(hash) : undefined;
    observation.lockOutsInCache = await allInCache(ws, lock.outs, elsewhere);
  }
  let fingerprint: StageFingerprint | undefined;
  let execRoot = ws.root;
  if (ctx.environment.ok && [...depHashes.values()].every((h) => h !== undefined)) {
    const input = { stage, depHashes: new Map([...depHashes].map(([p, h]) => [p, h!.hash])), environment: ctx.environment.value, root: ws.root };
    if (stage.absolutePaths && ctx.rootFor) {
      // One directory per path-free fingerprint: every workspace with these inputs runs (and finds) it there.
      execRoot = ctx.rootFor(stage, stageFingerprint({ ...input, stage: { ...stage, absolutePaths: false } }).key);
    }
    fingerprint = stageFingerprint({ ...input, root: execRoot });
    const inputsChanged = !lock || inputChanges(observation, lock).length > 0;
    if (ctx.useRunCache && inputsChanged && runCacheEligible(stage)) {
      const entry = await ws.runCache.get(fingerprint.key);
      if (entry && declaresExactly(stage, entry.outs) && (await allInCache(ws, entry.outs))) {
        observation.runCacheKey = entry.key;
      }
    }
  }
  return { observation, depHashes, execRoot, adopted, ...(fingerprint ? { fingerprint } : {}) };
}

async function allInCache(ws: Workspace, outs: ReadonlyArray<{ hash: string; cache?: boolean }>, elsewhere?: (hash: string) => boolean): Promise<boolean> {
  for (const o of outs) if (o.cache === false || !(elsewhere?.(o.hash) || (await ws.store.isComplete(o.hash)))) return false;
  return true;
}

function toObserved(hashes: Map<string, PathHash | undefined>): Map<string, ObservedHash | undefined> {
  return new Map(
    [...hashes].map(([p, h]) => [p, h && { hash: h.hash, size: h.size, ...(h.kind === 'dir' ? { nfiles: h.nfiles } : {}) }]),
  );
}

/**
 * A run-cache entry is applied only when it names exactly the stage's declared outputs: an entry
 * edited by hand (or from a bug) must never restore an undeclared path or leave a declared one stale.
 */
function declaresExactly(stage: Stage, outs: ReadonlyArray<{ path: string }>): boolean {
  const declared = new Set(stage.outs.map((o) => o.path));
  const named = new Set(outs.map((o) => o.path));
  return named.size === outs.length && named.size === declared.size && [...named].every((p) => declared.has(p));
}
