import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { isProcessAlive } from '../exec/process-group.js';
import { checkedWritePath } from './safe-path.js';
import type { WorkspaceLayout } from './layout.js';

/**
 * Temp names this tool creates beside the file they will replace: `<name>.tmp-<pid>-<tag>-<n>`
 * (atomic writes: lock, state, markers, run-cache entries) and `<name>.orchestrator-tmp-…` /
 * `<name>.orchestrator-old-…` (a restore building an output, or moving the old one aside). Older
 * versions used random hex after `orchestrator-tmp-`, without a pid.
 */
const TEMP_NAME = /\.(tmp|orchestrator-tmp|orchestrator-old)-(?:(\d+)-[0-9a-f]+-[0-9a-z]+|[0-9a-f]{12})$/;

/** Temp files of cache puts, in `.orchestrator/cache/tmp/`: `<hash prefix>-<pid>-<tag>-<n>`. */
const CACHE_TEMP_NAME = /^[0-9a-z]+-(\d+)-[0-9a-f]+-[0-9a-z]+$/;

/**
 * Removes what killed processes left half-written in a workspace: temp files of atomic writes and
 * the temp or set-aside folders of restores, which can be as big as an output (hundreds of MB).
 * Called under the workspace lock, so no other command of this workspace is writing them; a name
 * that carries the pid of a live process is kept all the same (a sweep variant sharing the cache).
 * Only the folders this tool writes to are looked at: the root (pipeline.lock), `.orchestrator`'s
 * state folders, the run-cache, the cache's temp folder, and the folders holding declared outputs.
 * Returns the paths removed.
 */
export function removeCrashLeftovers(layout: WorkspaceLayout, outPaths: readonly string[]): string[] {
  const dirs = new Set([layout.root, layout.dir, layout.state, layout.running, layout.runs]);
  const runsDir = path.join(layout.cache, 'runs');
  for (const prefix of safeReaddir(runsDir)) dirs.add(path.join(runsDir, prefix));
  for (const out of outPaths) {
    try {
      // The folder an output lives in; never one reached through a symlink out of the workspace.
      dirs.add(path.dirname(checkedWritePath(layout.root, out)));
    } catch {
      // refused: nothing of ours can be there
    }
  }
  const removed: string[] = [];
  for (const dir of dirs) {
    for (const name of safeReaddir(dir)) {
      const m = TEMP_NAME.exec(name);
      if (m) removeIfDead(path.join(dir, name), m[2], removed);
    }
  }
  const cacheTmp = path.join(layout.cache, 'tmp');
  for (const name of safeReaddir(cacheTmp)) {
    const m = CACHE_TEMP_NAME.exec(name);
    if (m) removeIfDead(path.join(cacheTmp, name), m[1], removed);
  }
  return removed;
}

/** Remove `abs` unless `pidText` names this process or a live one (no pid: an old-style name). */
function removeIfDead(abs: string, pidText: string | undefined, removed: string[]): void {
  const pid = pidText === undefined ? undefined : Number(pidText);
  if (pid !== undefined && (pid === process.pid || isProcessAlive(pid))) return;
  try {
    // rmSync does not follow symlinks: a leftover that is a link loses the link only.
    rmSync(abs, { recursive: true, force: true });
    removed.push(abs);
  } catch {
    // best effort: the next run tries again
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
