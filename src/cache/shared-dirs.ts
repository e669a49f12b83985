import { chmodSync, mkdirSync, promises as fsp, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { uniqueSuffix } from '../util/atomic-write.js';

/** rwxrwsr-x: the group may add entries, and new folders keep the folder's group (setgid). */
export const GROUP_DIR_MODE = 0o2775;

/*
 * In a group-shared cache a folder must be group-writable from the moment it appears: made with
 * mkdir, it would first carry the umask's mode (no group write), and another user's process that
 * finds it then cannot add its object (EACCES; seen as a failed commit when two users built the same
 * outputs at once). So each missing level is made under a hidden temporary name next to it, made
 * group-writable, and renamed into place. A rename onto a folder someone else just made either
 * replaces it while it is still empty (same mode, nothing lost) or fails (it holds something, or a
 * sticky parent protects it): the temporary one goes, and a failure is an error only when the folder
 * is not there now.
 */
const tmpNameFor = (dir: string): string => path.join(path.dirname(dir), `.${path.basename(dir)}.mkdir-${uniqueSuffix()}`);
const madeMeanwhile = (dir: string): boolean => statSync(dir, { throwIfNoEntry: false })?.isDirectory() ?? false;

/** The levels of `dir` that do not exist yet, outermost first. */
function missingLevels(dir: string): string[] {
  const missing: string[] = [];
  for (let d = path.resolve(dir); !statSync(d, { throwIfNoEntry: false }); d = path.dirname(d)) {
    missing.unshift(d);
    if (d === path.dirname(d)) break;
  }
  return missing;
}

/**
 * `mkdir -p dir`; with `group`, every folder this call creates is group-writable and setgid from
 * the moment it appears (see above).
 */
export async function makeSharedDirs(dir: string, group: boolean): Promise<void> {
  if (!group) {
    await fsp.mkdir(dir, { recursive: true });
    return;
  }
  for (const level of missingLevels(dir)) {
    const tmp = tmpNameFor(level);
    await fsp.mkdir(tmp);
    try {
      await fsp.chmod(tmp, GROUP_DIR_MODE);
      await fsp.rename(tmp, level);
    } catch (e) {
      await fsp.rm(tmp, { recursive: true, force: true });
      if (!madeMeanwhile(level)) throw e;
    }
  }
}

/** `makeSharedDirs` for the synchronous write paths (small objects, run-cache entries). */
export function makeSharedDirsSync(dir: string, group: boolean): void {
  if (!group) {
    mkdirSync(dir, { recursive: true });
    return;
  }
  for (const level of missingLevels(dir)) {
    const tmp = tmpNameFor(level);
    mkdirSync(tmp);
    try {
      chmodSync(tmp, GROUP_DIR_MODE);
      renameSync(tmp, level);
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      if (!madeMeanwhile(level)) throw e;
    }
  }
}
