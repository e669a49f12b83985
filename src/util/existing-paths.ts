import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { mapLimit } from './concurrency.js';

/** A folder with at least this many of the wanted paths is listed once instead of checking each. */
export const LIST_THRESHOLD = 8;

export interface ExistingPathsOptions {
  /** Checks at once (listings and single checks alike). */
  concurrency: number;
  /** The check for a path in a folder with few wanted paths (true: it exists). */
  exists: (abs: string) => Promise<boolean>;
  signal?: AbortSignal;
  /** A listing that fails with another error than ENOENT; the default rethrows it. */
  onListError?: (e: NodeJS.ErrnoException, dir: string) => never;
}

/**
 * Which of `paths` (absolute) exist, batched by folder: a folder holding at least LIST_THRESHOLD of
 * them is read once, others are checked path by path. Checking the 20,000 files of a directory
 * output in a content-addressed cache (256 folders) takes 256 listings instead of 20,000 calls, each
 * a round trip through the thread pool (or the network, for a shared folder). A missing folder
 * means none of its paths exist.
 */
export async function existingPaths(paths: readonly string[], opts: ExistingPathsOptions): Promise<Set<string>> {
  const byDir = new Map<string, string[]>();
  for (const p of paths) {
    const dir = path.dirname(p);
    const list = byDir.get(dir);
    if (list) list.push(p);
    else byDir.set(dir, [p]);
  }
  const found = new Set<string>();
  await mapLimit([...byDir], opts.concurrency, async ([dir, wanted]) => {
    opts.signal?.throwIfAborted();
    if (wanted.length >= LIST_THRESHOLD) {
      const names = new Set(
        await fsp.readdir(dir).catch((e: NodeJS.ErrnoException) => {
          if (e.code === 'ENOENT') return [];
          if (opts.onListError) opts.onListError(e, dir);
          throw e;
        }),
      );
      for (const p of wanted) if (names.has(path.basename(p))) found.add(p);
      return;
    }
    for (const p of wanted) if (await opts.exists(p)) found.add(p);
  });
  return found;
}
