import type { RemoteBackend } from '../cache/remote/backend.js';
import { fetch, push, type TransferContext } from '../cache/remote/transfer.js';
import type { RunCacheEntry } from '../cache/run-cache.js';
import type { ReproEvent } from '../engine/events.js';
import type { StageRemote } from '../engine/repro.js';
import type { Workspace } from '../engine/workspace.js';
import type { Io } from './io.js';
import { lockedOuts } from './commands/transfer.js';

/** `repro --pull`: the engine's StageRemote over a backend; refused objects are reported on stderr. */
export function stageRemote(ws: Workspace, backend: RemoteBackend, name: string, jobs: number, signal: AbortSignal, io: Io): StageRemote {
  const ctx: TransferContext = { store: ws.store, runCache: ws.runCache, backend, jobs, signal };
  const tell = (stage: string, r: { bad: { key: string; problem: string }[] }) => {
    for (const b of r.bad) io.err(`${stage}: refused ${b.key} from ${name}: ${b.problem}; not placed in the cache\n`);
  };
  return {
    async fetchFor(stage, fingerprintKey, lockOuts) {
      if (fingerprintKey !== undefined && !(await ws.runCache.get(fingerprintKey))) {
        const r = await fetch(ctx, [], [fingerprintKey]);
        tell(stage, r);
        if (r.runs.length > 0 && r.transferred.some((k) => k.startsWith('runs/'))) return true;
      }
      if (lockOuts === undefined || lockOuts.some((o) => o.cache === false)) return false;
      const r = await fetch(ctx, lockOuts);
      tell(stage, r);
      return r.missing.length === 0 && r.bad.length === 0 && r.transferred.length > 0;
    },
  };
}

/** Collects, from a run's events, the run-cache keys of the stages it built (what `repro --push` shares). */
export function builtRuns(): { onEvent: (e: ReproEvent) => void; keys: () => string[] } {
  const planned = new Map<string, string>();
  const built: string[] = [];
  return {
    onEvent: (e) => {
      if (e.type === 'stage-planned' && e.fingerprint) planned.set(e.stage, e.fingerprint);
      if ((e.type === 'stage-succeeded' || e.type === 'stage-restored') && planned.has(e.stage)) built.push(planned.get(e.stage)!);
    },
    keys: () => built,
  };
}

/** `repro --push`: the selected stages' outputs and the run-cache entries of what this run built. */
export async function pushBuilt(ws: Workspace, backend: RemoteBackend, stages: readonly string[], runKeys: readonly string[], jobs: number, signal: AbortSignal) {
  ws.runCache.flush();
  const runs: RunCacheEntry[] = [];
  for (const k of runKeys) {
    const e = await ws.runCache.get(k);
    if (e) runs.push(e);
  }
  return push({ store: ws.store, runCache: ws.runCache, backend, jobs, signal }, lockedOuts(ws, stages), runs);
}
