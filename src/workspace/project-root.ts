import { statSync } from 'node:fs';
import path from 'node:path';

/**
 * What marks a folder as a project root, nearest first wins (as git finds `.git` and DVC finds
 * `.dvc`). `pipeline.yaml` marks one too: the tool's own format is one file per project, so a
 * pipeline.yaml project inside a larger git repository keeps its own root. `dvc.yaml` does not: a
 * DVC repository holds many, all belonging to the root above them.
 */
const ROOT_MARKERS: ReadonlyArray<{ name: string; dir: boolean | undefined }> = [
  { name: '.orchestrator', dir: true },
  { name: '.dvc', dir: true },
  { name: '.git', dir: undefined }, // a directory, or a file in a git worktree or submodule
  { name: 'pipeline.yaml', dir: false },
];

/** The project root for a command started in `start`: the nearest folder upward holding a marker; `start` itself when none does. */
export function findProjectRoot(start: string): string {
  const from = path.resolve(start);
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (ROOT_MARKERS.some((m) => isMarker(path.join(dir, m.name), m.dir))) return dir;
    if (path.dirname(dir) === dir) return from;
  }
}

function isMarker(abs: string, dir: boolean | undefined): boolean {
  const st = statSync(abs, { throwIfNoEntry: false });
  if (!st) return false;
  return dir === undefined || st.isDirectory() === dir;
}
