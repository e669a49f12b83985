import { constants as fsc, promises as fsp } from 'node:fs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DirListing } from '../hash/manifest.js';
import type { ManifestEntry } from '../hash/types.js';
import { uniqueSuffix } from '../util/atomic-write.js';
import { mapLimit } from '../util/concurrency.js';
import { CorruptObjectError, MissingObjectError } from './errors.js';
import { placeHashing } from './place-verified.js';

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
  /** A file object (not a directory's files, whose listing says it): place it executable, as a copy. */
  exec?: boolean;
}

/** One restored file, for recording in the stat cache. `relPath` is '' when the object is a file. */
export interface RestoredFile {
  relPath: string;
  /** The hash of the bytes placed, checked equal to the object's name: safe to record as known. */
  hash: string;
  size: number;
}

/** What a restore needs from the store. */
export interface ObjectSource {
  objectPath(hash: string): string;
  /** Move a bad object out of the store; returns the error to throw. */
  reject(hash: string, dest: string, problem: string): Promise<CorruptObjectError>;
  /** True when `st` is the object file as this process verified it (ObjectStore.verifiedHere). */
  verifiedHere?(hash: string, st: fs.Stats): boolean;
}

/**
 * Build the output next to `absDest` (`<dest>.orchestrator-tmp-<pid>-<tag>-<n>`), hashing every
 * file as it is placed, then swap it in with renames. A file whose bytes do not match its object's
 * name fails the whole restore (the object is quarantined by `reject`), so the workspace only ever
 * receives verified bytes, a failed restore leaves the old content untouched, and a reader never
 * sees a half-filled directory under the final name.
 */
export async function restoreObject(
  store: ObjectSource,
  hash: string,
  listing: DirListing | undefined,
  absDest: string,
  opts: RestoreOptions = {},
): Promise<RestoredFile[]> {
  const linkTypes = opts.linkTypes ?? DEFAULT_LINK_TYPES;
  if (linkTypes.length === 0) throw new Error('restore: no link types given');
  const concurrency = opts.concurrency ?? 32;
  const suffix = uniqueSuffix();
  const tmp = `${absDest}.orchestrator-tmp-${suffix}`;
  await fsp.mkdir(path.dirname(absDest), { recursive: true });
  try {
    let restored: RestoredFile[];
    if (listing === undefined) {
      await placeFirst(store, { path: '', hash, size: -1, ...(opts.exec ? { exec: true } : {}) }, tmp, absDest, linkTypes);
      restored = [{ relPath: '', hash, size: fs.statSync(tmp).size }];
    } else {
      await fsp.mkdir(tmp);
      makeDirs(tmp, listing);
      restored = listing.entries.map((e) => ({ relPath: e.path, hash: e.hash, size: e.size }));
      const [first, ...rest] = listing.entries;
      if (first) {
        const shown = (e: ManifestEntry): string => path.join(absDest, e.path);
        const link = await placeFirst(store, first, path.join(tmp, first.path), shown(first), linkTypes);
        await mapLimit(rest, concurrency, (e) => placeChecked(store, link, e, path.join(tmp, e.path), shown(e)));
      }
    }
    await swapIntoPlace(tmp, absDest, suffix);
    return restored;
  } catch (err) {
    await fsp.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
}

/** Parents first, empty directories included; synchronous because there are few and order matters. */
function makeDirs(root: string, listing: DirListing): void {
  const dirs = new Set<string>();
  const addWithParents = (start: string): void => {
    for (let d = start; d !== '.' && !dirs.has(d); d = path.posix.dirname(d)) dirs.add(d);
  };
  for (const e of listing.entries) addWithParents(path.posix.dirname(e.path));
  for (const d of listing.emptyDirs) addWithParents(d);
  for (const d of [...dirs].sort((a, b) => a.length - b.length)) fs.mkdirSync(path.join(root, d));
}

/** Find the first link type the filesystem accepts. A missing or bad object is an error, not a reason to try the next. */
async function placeFirst(store: ObjectSource, e: ManifestEntry, dest: string, shown: string, linkTypes: readonly LinkType[]): Promise<LinkType> {
  let lastErr: unknown;
  for (const link of linkTypes) {
    try {
      await placeChecked(store, link, e, dest, shown);
      return link;
    } catch (err) {
      if (err instanceof CorruptObjectError || err instanceof MissingObjectError) throw err;
      lastErr = err;
      await fsp.rm(dest, { force: true }).catch(() => undefined);
    }
  }
  throw lastErr;
}

/**
 * Place one object and check the placed bytes hash to its name. An executable file is always
 * copied: a link would share the object's mode (0444) with every other file of the same content.
 */
async function placeChecked(store: ObjectSource, link: LinkType, e: ManifestEntry, dest: string, shown: string): Promise<void> {
  const src = store.objectPath(e.hash);
  const st = fs.lstatSync(src, { throwIfNoEntry: false });
  if (!st) throw new MissingObjectError(e.hash, shown);
  if (!st.isFile()) throw await store.reject(e.hash, shown, st.isDirectory() ? 'a directory stands in its place' : 'not a regular file');
  const how: LinkType = e.exec && (link === 'hardlink' || link === 'symlink') ? 'copy' : link;
  if (how === 'copy' && store.verifiedHere?.(e.hash, st)) {
    // Hashed by this process as it entered the cache, and the same file since (a pull's fetch):
    // a kernel copy on the thread pool, no second read and hash on the main thread.
    await fsp.copyFile(src, dest, fsc.COPYFILE_EXCL);
    await fsp.chmod(dest, e.exec ? 0o755 : 0o644);
    return;
  }
  const got = await placeHashing(how, src, dest, st.size, e.exec ? 0o755 : 0o644);
  if (got.hash !== e.hash) {
    const problem = got.size !== st.size ? `changed while read` : e.size >= 0 && got.size !== e.size ? `${got.size} bytes where ${e.size} were stored` : `its bytes hash to ${got.hash}`;
    throw await store.reject(e.hash, shown, problem);
  }
}

async function swapIntoPlace(tmp: string, dest: string, suffix: string): Promise<void> {
  const old = `${dest}.orchestrator-old-${suffix}`;
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
