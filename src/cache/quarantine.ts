import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { uniqueSuffix } from '../util/atomic-write.js';
import { makeSharedDirs } from './shared-dirs.js';

/**
 * `<cacheDir>/quarantine/`: objects whose bytes did not match their name. Moved, not deleted, so
 * the bytes stay available for a post-mortem; out of `objects/`, so they are never handed out again.
 * Nothing reads from here; `gc` does not look here, delete it by hand once inspected.
 */
export class Quarantine {
  constructor(
    readonly dir: string,
    private readonly shared = false,
  ) {}

  /**
   * Move `objectPath` (a file, or whatever took its place) here; returns the new path, or undefined
   * when it was already gone (another restore of the same object moved it first).
   */
  async take(objectPath: string, hash: string): Promise<string | undefined> {
    const target = path.join(this.dir, `${hash}-${uniqueSuffix()}`);
    try {
      await makeSharedDirs(this.dir, this.shared);
      await fsp.rename(objectPath, target);
      return target;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }
}
