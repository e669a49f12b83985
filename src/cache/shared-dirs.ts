import { chmodSync, mkdirSync, promises as fsp } from 'node:fs';
import path from 'node:path';

/** rwxrwsr-x: the group may add entries, and new folders keep the folder's group (setgid). */
export const GROUP_DIR_MODE = 0o2775;

/**
 * `mkdir -p dir`; with `group`, every folder this call created is made group-writable and setgid
 * (explicitly: the umask would take the group's write bit away). Returns the first folder created.
 */
export async function makeSharedDirs(dir: string, group: boolean): Promise<string | undefined> {
  const first = await fsp.mkdir(dir, { recursive: true });
  if (!group || first === undefined) return first;
  for (let d = dir; ; d = path.dirname(d)) {
    await fsp.chmod(d, GROUP_DIR_MODE).catch((e: NodeJS.ErrnoException) => {
      // Created by someone else meanwhile (their chmod applies): only their own folders can be changed.
      if (e.code !== 'EPERM') throw e;
    });
    if (d === first || d === path.dirname(d)) break;
  }
  return first;
}

/** `makeSharedDirs` for the synchronous write paths (small objects, run-cache entries). */
export function makeSharedDirsSync(dir: string, group: boolean): void {
  const first = mkdirSync(dir, { recursive: true });
  if (!group || first === undefined) return;
  for (let d = dir; ; d = path.dirname(d)) {
    try {
      chmodSync(d, GROUP_DIR_MODE);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EPERM') throw e;
    }
    if (d === first || d === path.dirname(d)) break;
  }
}
