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

/**
 * Removes what killed processes left half-written in a workspace: temp files of atomic writes and
 * the temp or set-aside folders of restores, which can be as big as an output (hundreds of MB).
 * Called under the workspace lock, so no other command of this workspace is writing them; a name
 * that carries the pid of a live process is kept all the same (a sweep variant sharing the cache).
 * Only the folders this tool writes to are looked at: the root (pipeline.lock), `.orchestrator`'s
 * state folders, the run-cache, and the folders holding declared outputs. Returns the paths removed.
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
      if (!m) continue;
      const pid = m[2] === undefined ? undefined : Number(m[2]);
      if (pid !== undefined && (pid === process.pid || isProcessAlive(pid))) continue;
      const abs = path.join(dir, name);
      try {
        // rmSync does not follow symlinks: a leftover that is a link loses the link only.
        rmSync(abs, { recursive: true, force: true });
        removed.push(abs);
      } catch {
        // best effort: the next run tries again
      }
    }
  }
  return removed;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
