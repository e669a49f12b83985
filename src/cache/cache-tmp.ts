import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { uniqueSuffix } from '../util/atomic-write.js';
import { makeSharedDirs } from './shared-dirs.js';

/** Temp files older than this are leftovers of a crashed process, not a put in progress. */
export const STALE_TMP_MS = 60 * 60 * 1000;

/**
 * The cache's `tmp/` directory: same filesystem as the objects so a finished temp file can be
 * renamed into place atomically.
 */
export class CacheTmp {
  private cleaned: Promise<void> | undefined;

  constructor(
    readonly dir: string,
    private readonly shared = false,
  ) {}

  /** Create the directory and, once per instance, sweep stale leftovers. */
  prepare(): Promise<void> {
    this.cleaned ??= (async () => {
      await makeSharedDirs(this.dir, this.shared);
      await sweepStale(this.dir, Date.now() - STALE_TMP_MS);
    })();
    return this.cleaned;
  }

  name(tag: string): string {
    return path.join(this.dir, `${tag}-${uniqueSuffix()}`);
  }
}

/** Entries of `dir` last written before `olderThan`, removed unless `dry`; returns the names removed (or, dry, that would be). */
export async function sweepStale(dir: string, olderThan: number, dry = false): Promise<string[]> {
  const names = await fsp.readdir(dir).catch(() => [] as string[]);
  const removed = await Promise.all(
    names.map(async (n) => {
      const p = path.join(dir, n);
      const st = await fsp.lstat(p).catch(() => undefined);
      if (!st || st.mtimeMs >= olderThan) return undefined;
      if (dry) return n;
      return fsp.rm(p, { recursive: true, force: true }).then(() => n, () => undefined);
    }),
  );
  return removed.filter((n): n is string => n !== undefined).sort();
}
