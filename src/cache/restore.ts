import { randomBytes } from 'node:crypto';
import { constants as fsc, promises as fsp } from 'node:fs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ManifestEntry } from '../hash/types.js';
import { mapLimit } from '../util/concurrency.js';

/**
 * How a cached file is placed in the workspace. `hardlink` and `symlink` give read-only files that
 * share the cache object: editing them in place fails (EACCES), which protects the cache but
 * surprises tools that rewrite outputs, so the default copies (a free reflink where the
 * filesystem supports it, else a real copy made writable).
 */
import type { LinkType } from '../model/stage.js';

export type { LinkType };
export const DEFAULT_LINK_TYPES: readonly LinkType[] = ['reflink', 'copy'];

export interface RestoreOptions {
  /** Tried in order; the first that works for the first file is used for all of them. */
  linkTypes?: readonly LinkType[];
  concurrency?: number;
}

/** One restored file, for recording in the stat cache. `relPath` is '' when the object is a file. */
export interface RestoredFile {
  relPath: string;
  hash: string;
  size: number;
}

interface ObjectLocator {
  objectPath(hash: string): string;
}

/**
 * Build the output next to `absDest` (`<dest>.orchestrator-tmp-<rand>`), then swap it in with
 * renames, so a failed restore leaves the old content untouched and a reader never sees a
 * half-filled directory under the final name.
 */
export async function restoreObject(
  store: ObjectLocator,
  hash: string,
  manifest: readonly ManifestEntry[] | undefined,
  absDest: string,
  opts: RestoreOptions = {},
): Promise<RestoredFile[]> {
  const linkTypes = opts.linkTypes ?? DEFAULT_LINK_TYPES;
  if (linkTypes.length === 0) throw new Error('restore: no link types given');
  const concurrency = opts.concurrency ?? 32;
  const rand = randomBytes(6).toString('hex');
  const tmp = `${absDest}.orchestrator-tmp-${rand}`;
  await fsp.mkdir(path.dirname(absDest), { recursive: true });
  try {
    let restored: RestoredFile[];
    if (manifest === undefined) {
      const src = store.objectPath(hash);
      const { size } = await fsp.stat(src);
      await placeFirst(src, tmp, linkTypes);
      restored = [{ relPath: '', hash, size }];
    } else {
      await fsp.mkdir(tmp);
      makeDirs(tmp, manifest);
      restored = manifest.map((e) => ({ relPath: e.path, hash: e.hash, size: e.size }));
      const [first, ...rest] = manifest;
      if (first) {
        const link = await placeFirst(store.objectPath(first.hash), path.join(tmp, first.path), linkTypes);
        await mapLimit(rest, concurrency, (e) => place(link, store.objectPath(e.hash), path.join(tmp, e.path)));
      }
    }
    await swapIntoPlace(tmp, absDest, rand);
    return restored;
  } catch (err) {
    await fsp.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
}

/** Parents first; synchronous because there are few directories and order matters. */
function makeDirs(root: string, manifest: readonly ManifestEntry[]): void {
  const dirs = new Set<string>();
  for (const e of manifest) {
    for (let d = path.posix.dirname(e.path); d !== '.' && !dirs.has(d); d = path.posix.dirname(d)) dirs.add(d);
  }
  for (const d of [...dirs].sort((a, b) => a.length - b.length)) fs.mkdirSync(path.join(root, d));
}

/** Find the first link type the filesystem accepts. A missing object is an error, not a reason to try the next. */
async function placeFirst(src: string, dest: string, linkTypes: readonly LinkType[]): Promise<LinkType> {
  if (!fs.existsSync(src)) throw new Error(`cache object missing: ${src}`);
  let lastErr: unknown;
  for (const link of linkTypes) {
    try {
      await place(link, src, dest);
      return link;
    } catch (err) {
      lastErr = err;
      await fsp.rm(dest, { force: true }).catch(() => undefined);
    }
  }
  throw lastErr;
}

async function place(link: LinkType, src: string, dest: string): Promise<void> {
  switch (link) {
    case 'reflink':
      await fsp.copyFile(src, dest, fsc.COPYFILE_FICLONE_FORCE);
      await fsp.chmod(dest, 0o644);
      return;
    case 'copy':
      await fsp.copyFile(src, dest);
      // copyFile keeps the object's 0444; a copy belongs to the user and must be editable.
      await fsp.chmod(dest, 0o644);
      return;
    case 'hardlink':
      await fsp.link(src, dest);
      return;
    case 'symlink':
      await fsp.symlink(src, dest);
      return;
    default: {
      const never: never = link;
      throw new Error(`unknown link type ${String(never)}`);
    }
  }
}

async function swapIntoPlace(tmp: string, dest: string, rand: string): Promise<void> {
  const old = `${dest}.orchestrator-old-${rand}`;
  const existing = await fsp.lstat(dest).catch(() => undefined);
  // rename(2) replaces a file atomically but cannot replace a directory: move that aside first.
  if (existing?.isDirectory()) {
    await fsp.rename(dest, old);
    try {
      await fsp.rename(tmp, dest);
    } catch (err) {
      await fsp.rename(old, dest).catch(() => undefined);
      throw err;
    }
    await fsp.rm(old, { recursive: true, force: true });
    return;
  }
  if (existing && (await fsp.stat(tmp)).isDirectory()) await fsp.rm(dest, { force: true });
  await fsp.rename(tmp, dest);
}
