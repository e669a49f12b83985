import { constants as fsc, lstatSync, promises as fsp, readFileSync, renameSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import * as path from 'node:path';
import { hashFile, sha256Hex } from '../hash/hash-file.js';
import { manifestHashOfBytes, parseDirListing, serializeManifest, type DirListing } from '../hash/manifest.js';
import { isDirHash, type ManifestEntry, type PathHash } from '../hash/types.js';
import { DEFAULT_POOL_THRESHOLD, type PoolThreshold } from '../hash/hasher.js';
import { HashWorkerPool } from '../hash/worker-pool.js';
import { mapLimit } from '../util/concurrency.js';
import { existingPaths } from '../util/existing-paths.js';
import { readWhole, SMALL_FILE, withFileBytes } from '../util/small-file.js';
import { CacheTmp } from './cache-tmp.js';
import { CorruptObjectError, MissingObjectError } from './errors.js';
import { isObjectName, objectPathIn } from './object-path.js';
import { Quarantine } from './quarantine.js';
import { makeSharedDirs, makeSharedDirsSync } from './shared-dirs.js';
import { restoreObject, type RestoredFile, type RestoreOptions } from './restore.js';

export { CorruptObjectError, MissingObjectError } from './errors.js';
export { DEFAULT_LINK_TYPES, type LinkType, type RestoredFile, type RestoreOptions } from './restore.js';

/** Thrown when bytes being committed do not have the hash the caller computed for them. */
export class ContentChangedError extends Error {
  readonly code = 'ECONTENTCHANGED';
  constructor(
    readonly file: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${file} changed while being committed (expected sha256 ${expected}, copied bytes have ${actual})`);
  }
}

export interface ObjectStoreOptions {
  /** Files copied/hashed at once by commit and restore. Measured: see bench/README.md. */
  concurrency?: number;
  /** Above this many existing objects (or bytes), a directory commit re-hashes them on all cores. */
  verifyPoolThreshold?: PoolThreshold;
  /** `cache.shared = group`: folders created group-writable and setgid, so a group shares the cache. */
  shared?: boolean;
}

const DEFAULT_CONCURRENCY = 32;
/** Objects per worker request when re-hashing existing objects; as in the Hasher's batches. */
const VERIFY_BATCH = 64;

/** Why fetched bytes in `file` are not object `hash`; undefined when they are. */
export async function checkFetched(file: string, hash: string): Promise<string | undefined> {
  const st = lstatSync(file);
  if (!isDirHash(hash) && st.size > SMALL_FILE) {
    const got = (await hashFile(file)).hash;
    return got === hash ? undefined : `its bytes hash to ${got}`;
  }
  return withFileBytes(file, (bytes) => checkFetchedBytes(bytes, hash));
}

/** Why fetched `bytes` are not object `hash` (a manifest must also parse); undefined when they are. */
export function checkFetchedBytes(bytes: Buffer, hash: string): string | undefined {
  const got = isDirHash(hash) ? manifestHashOfBytes(bytes) : sha256Hex(bytes);
  if (got !== hash) return `its bytes hash to ${got}`;
  if (!isDirHash(hash)) return undefined;
  try {
    const listing = parseDirListing(bytes);
    const bad = listing.entries.find((e) => !/^[0-9a-f]{64}$/.test(e.hash));
    return bad ? `its manifest lists a malformed hash for ${bad.path}` : undefined;
  } catch (err) {
    return `not a readable manifest (${(err as Error).message})`;
  }
}

/** What is wrong with a stored object; undefined when it is sound. */
export type ObjectProblem = { kind: 'missing' } | { kind: 'corrupt'; problem: string };

/** What identifies one file on disk until it is rewritten, chmodded or replaced. */
interface FileIdentity {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

/**
 * Content-addressed objects under `<cacheDir>/objects/<hash[0:2]>/<hash[2:]>`, read-only (0444).
 * An object only ever appears by rename of a temp file whose bytes were hashed after copying,
 * so a name matches its content when written. Bytes can still go bad later (disk, a user, another
 * tool), so every restore re-hashes what it places (but a copy of an object this process has itself
 * just verified and placed, unchanged since: `verifiedHere`) and a commit re-hashes an object it would
 * keep; a bad object is moved to `<cacheDir>/quarantine/` and never handed out again.
 */
export class ObjectStore {
  readonly objectsDir: string;
  private readonly tmp: CacheTmp;
  private readonly concurrency: number;
  private readonly verifyPoolThreshold: PoolThreshold;
  private readonly madePrefixes = new Set<string>();
  /** The identity of each object this process verified and renamed into place (see `verifiedHere`). */
  private readonly placedHere = new Map<string, FileIdentity>();
  readonly quarantine: Quarantine;
  readonly shared: boolean;

  constructor(
    readonly cacheDir: string,
    opts: ObjectStoreOptions = {},
  ) {
    this.objectsDir = path.join(cacheDir, 'objects');
    this.shared = opts.shared ?? false;
    this.tmp = new CacheTmp(path.join(cacheDir, 'tmp'), this.shared);
    this.concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
    this.verifyPoolThreshold = opts.verifyPoolThreshold ?? DEFAULT_POOL_THRESHOLD;
    this.quarantine = new Quarantine(path.join(cacheDir, 'quarantine'), this.shared);
  }

  objectPath(hash: string): string {
    return objectPathIn(this.objectsDir, hash);
  }

  /**
   * Whether `st` (an lstat of object `hash`) is the very file this process hashed, found right and
   * renamed into place, unchanged since (same inode, size, mtime and ctime: a write or chmod moves
   * them): its bytes are known without reading them again. `pull` restores what it has just fetched
   * with a plain copy on this ground.
   */
  verifiedHere(hash: string, st: Stats): boolean {
    const id = this.placedHere.get(hash);
    return id !== undefined && id.dev === st.dev && id.ino === st.ino && id.size === st.size && id.mtimeMs === st.mtimeMs && id.ctimeMs === st.ctimeMs;
  }

  private rememberPlaced(hash: string): void {
    const st = lstatSync(this.objectPath(hash), { throwIfNoEntry: false });
    if (st?.isFile()) this.placedHere.set(hash, { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs });
  }

  async has(hash: string): Promise<boolean> {
    try {
      await fsp.access(this.objectPath(hash));
      return true;
    } catch {
      return false;
    }
  }

  /** Which of `hashes` are present (as `has`), batched: a prefix folder holding many of them is listed once. */
  async present(hashes: Iterable<string>): Promise<Set<string>> {
    const byPath = new Map<string, string>();
    for (const h of hashes) byPath.set(this.objectPath(h), h);
    const found = await existingPaths([...byPath.keys()], { concurrency: 64, exists: (abs) => fsp.access(abs).then(() => true, () => false) });
    return new Set([...found].map((p) => byPath.get(p)!));
  }

  /** Copy `absSrc` in as object `hash`; the copy is hashed, so a concurrent edit is caught, not stored. */
  async putFile(absSrc: string, hash: string, size?: number): Promise<void> {
    if (await this.keepExisting(hash, size)) return;
    if (size !== undefined && size <= SMALL_FILE) return this.putSmallFile(absSrc, hash);
    await this.tmp.prepare();
    const tmp = this.tmp.name(hash.slice(0, 12));
    try {
      await fsp.copyFile(absSrc, tmp, fsc.COPYFILE_FICLONE);
      const got = await hashFile(tmp);
      if (got.hash !== hash) throw new ContentChangedError(absSrc, hash, got.hash);
      await fsp.chmod(tmp, 0o444);
      await this.renameIntoPlace(tmp, hash);
    } catch (err) {
      await fsp.rm(tmp, { force: true }).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Small files are stored with a few synchronous calls: read once, hash those bytes, write them.
   * Cheaper than a copy plus a re-read through the thread pool, and just as safe: the object's bytes
   * are the bytes that were hashed.
   */
  private async putSmallFile(absSrc: string, hash: string): Promise<void> {
    await this.tmp.prepare();
    withFileBytes(absSrc, (bytes) => {
      const got = sha256Hex(bytes);
      if (got !== hash) throw new ContentChangedError(absSrc, hash, got);
      this.writeSmall(hash, bytes);
    });
  }

  /**
   * Bytes already hashed to `hash` become the object: a few synchronous calls, temp file and rename.
   * The tmp folder must be prepared.
   */
  private writeSmall(hash: string, bytes: Buffer): void {
    const dest = this.objectPath(hash);
    const tmp = this.tmp.name(hash.slice(0, 12));
    try {
      writeFileSync(tmp, bytes, { flag: 'wx', mode: 0o444 });
      try {
        renameSync(tmp, dest);
      } catch (err) {
        // The prefix directory is missing (first object under it, or gc removed it).
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        makeSharedDirsSync(path.dirname(dest), this.shared);
        renameSync(tmp, dest);
      }
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
    this.rememberPlaced(hash);
  }

  /** Store the canonical manifest; returns its hash (sha256 + '.dir'). */
  async putManifest(entries: readonly ManifestEntry[], emptyDirs: readonly string[] = []): Promise<string> {
    const bytes = serializeManifest(entries, emptyDirs);
    const hash = manifestHashOfBytes(bytes);
    const existing = await this.inspect(hash, bytes.length);
    if (existing === undefined) return hash;
    if (existing.kind === 'corrupt') await this.quarantine.take(this.objectPath(hash), hash);
    await this.tmp.prepare();
    const tmp = this.tmp.name(hash.slice(0, 12));
    try {
      // Manifests are few and small, so they get an fsync: a torn manifest would hide a whole directory.
      const fh = await fsp.open(tmp, 'wx', 0o444);
      try {
        await fh.writeFile(bytes);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await this.renameIntoPlace(tmp, hash);
    } catch (err) {
      await fsp.rm(tmp, { force: true }).catch(() => undefined);
      throw err;
    }
    return hash;
  }

  /** The files a manifest lists; see `readDirListing`. */
  async readManifest(dirHash: string, forPath?: string): Promise<ManifestEntry[]> {
    return (await this.readDirListing(dirHash, forPath)).entries;
  }

  /**
   * Parsed manifest; its bytes are re-hashed, so a corrupt manifest is quarantined and thrown
   * (`CorruptObjectError`), never restored from. `forPath` names the output in the error.
   */
  async readDirListing(dirHash: string, forPath?: string): Promise<DirListing> {
    if (!isDirHash(dirHash)) throw new Error(`not a directory hash: ${dirHash}`);
    return parseDirListing(await this.readVerified(dirHash, forPath, manifestHashOfBytes));
  }

  /**
   * A file object's bytes, re-hashed as for a restore: a missing object throws `MissingObjectError`,
   * a bad one is quarantined and thrown as `CorruptObjectError`, so no caller ever reads wrong bytes.
   * For small files (metrics read from the cache, a push's small objects); `forPath` names the
   * output in the error. With `into`, the bytes are read synchronously into that buffer and returned
   * as a view of it (a larger buffer when they do not fit): a push of thousands of small objects
   * reuses a few buffers instead of touching fresh memory for each.
   */
  async readFileVerified(hash: string, forPath?: string, into?: Buffer): Promise<Buffer> {
    if (isDirHash(hash)) throw new Error(`not a file hash: ${hash}`);
    return this.readVerified(hash, forPath, sha256Hex, into);
  }

  /** An object's bytes, checked against its name with `hashOf`: missing throws, bad is quarantined and thrown. */
  private async readVerified(hash: string, forPath: string | undefined, hashOf: (bytes: Buffer) => string, into?: Buffer): Promise<Buffer> {
    const file = this.objectPath(hash);
    const st = lstatSync(file, { throwIfNoEntry: false });
    if (!st) throw new MissingObjectError(hash, forPath);
    if (!st.isFile()) throw await this.reject(hash, forPath, st.isDirectory() ? 'a directory stands in its place' : 'not a regular file');
    const bytes = into ? readWhole(file, into) : await fsp.readFile(file);
    const got = hashOf(bytes);
    if (got !== hash) throw await this.reject(hash, forPath, `its bytes hash to ${got}`);
    return bytes;
  }

  /** Move a bad object to quarantine; returns the error that says so (for the caller to throw). */
  async reject(hash: string, forPath: string | undefined, problem: string): Promise<CorruptObjectError> {
    this.placedHere.delete(hash);
    const at = await this.quarantine.take(this.objectPath(hash), hash);
    return new CorruptObjectError(hash, forPath, problem, at);
  }

  /** Store a file, or a directory's files (in parallel) followed by its manifest. */
  async commit(absPath: string, ph: PathHash): Promise<void> {
    if (ph.kind === 'file') return this.putFile(absPath, ph.hash, ph.size);
    const sound = await this.soundExisting(ph.manifest);
    const todo = sound.size === 0 ? ph.manifest : ph.manifest.filter((e) => !sound.has(e.hash));
    await mapLimit(todo, this.concurrency, (e) => this.putFile(path.join(absPath, e.path), e.hash, e.size));
    // Last, so a visible manifest implies its files were all stored (unless gc removed some later).
    const hash = await this.putManifest(ph.manifest, ph.emptyDirs);
    if (hash !== ph.hash) throw new Error(`manifest of ${absPath} hashes to ${hash}, expected ${ph.hash}`);
  }

  /**
   * True when the object, and for a directory every file it lists, is present. Presence only: a
   * present but corrupt object counts, so the restore that follows reports and quarantines it.
   */
  async isComplete(hash: string): Promise<boolean> {
    if (!isDirHash(hash)) return this.has(hash);
    let entries: ManifestEntry[];
    try {
      const bytes = await fsp.readFile(this.objectPath(hash));
      if (manifestHashOfBytes(bytes) !== hash) return true;
      entries = parseDirListing(bytes).entries;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EISDIR';
    }
    const unique = new Set(entries.map((e) => e.hash));
    return (await this.present(unique)).size === unique.size;
  }

  /** See `restoreObject`. */
  async restore(hash: string, absDest: string, opts: RestoreOptions = {}): Promise<RestoredFile[]> {
    const listing = isDirHash(hash) ? await this.readDirListing(hash, absDest) : undefined;
    return restoreObject(this, hash, listing, absDest, { concurrency: this.concurrency, ...opts });
  }

  /**
   * Removes what killed processes left in the cache's tmp folder (files older than an hour: a younger
   * one may be a fetch in flight). Runs once per store; `tempPath` runs it too.
   */
  async sweepTemps(): Promise<void> {
    // No folder, nothing to sweep: do not create one.
    if (await fsp.stat(this.tmp.dir).then(() => true, () => false)) await this.tmp.prepare();
  }

  /** A fresh name in the cache's tmp folder (same filesystem as the objects), for bytes fetched from a remote. */
  async tempPath(tag: string): Promise<string> {
    await this.tmp.prepare();
    return this.tmp.name(tag);
  }

  /**
   * Makes the fetched file `tmp` object `hash` if, and only if, its bytes hash to that name (a
   * manifest must also parse and list only well-formed hashes; `sha256`, when given, is the hash of
   * the bytes as the download wrote them): the object appears by rename,
   * so no reader ever sees unverified bytes. A refused file is deleted; returns what was wrong.
   */
  async adoptTemp(tmp: string, hash: string, sha256?: string): Promise<string | undefined> {
    try {
      // A file whose bytes were hashed as they arrived (`sha256`) is not read again.
      const problem = sha256 !== undefined && !isDirHash(hash) ? (sha256 === hash ? undefined : `its bytes hash to ${sha256}`) : await checkFetched(tmp, hash);
      if (problem !== undefined) {
        await fsp.rm(tmp, { force: true });
        return problem;
      }
      await fsp.chmod(tmp, 0o444);
      await this.renameIntoPlace(tmp, hash);
      return undefined;
    } catch (err) {
      await fsp.rm(tmp, { force: true }).catch(() => undefined);
      throw err;
    }
  }

  /**
   * `adoptTemp` for fetched bytes held in memory (small objects): verified, then written to a temp
   * file and renamed into place. Returns what was wrong, or undefined once the object is stored.
   */
  async adoptBytes(bytes: Buffer, hash: string): Promise<string | undefined> {
    await this.tmp.prepare();
    // Checked and written in one synchronous step: nothing can change the bytes in between.
    const problem = checkFetchedBytes(bytes, hash);
    if (problem !== undefined) return problem;
    this.writeSmall(hash, bytes);
    return undefined;
  }

  /** Every stored hash, manifests included. */
  async *listObjects(): AsyncIterable<string> {
    const prefixes = await fsp.readdir(this.objectsDir).catch(() => [] as string[]);
    for (const prefix of prefixes.sort()) {
      if (prefix.length !== 2) continue;
      const names = await fsp.readdir(path.join(this.objectsDir, prefix)).catch(() => [] as string[]);
      for (const rest of names.sort()) if (isObjectName(prefix, rest)) yield prefix + rest;
    }
  }

  async remove(hash: string): Promise<void> {
    this.placedHere.delete(hash);
    await fsp.rm(this.objectPath(hash), { force: true });
  }

  /** Re-hash the stored bytes (a manifest's own bytes for `.dir`). Missing counts as not valid. */
  async verify(hash: string): Promise<boolean> {
    return (await this.inspect(hash)) === undefined;
  }

  /**
   * Re-hash one object (a manifest's own bytes, which must also parse). `size`, when known, is
   * checked first: a truncated object is caught without reading it. Changes nothing.
   */
  async inspect(hash: string, size?: number): Promise<ObjectProblem | undefined> {
    const file = this.objectPath(hash);
    const st = lstatSync(file, { throwIfNoEntry: false });
    if (!st) return { kind: 'missing' };
    if (!st.isFile()) return { kind: 'corrupt', problem: st.isDirectory() ? 'a directory stands in its place' : 'not a regular file' };
    if (size !== undefined && st.size !== size) return { kind: 'corrupt', problem: `${st.size} bytes where ${size} were stored` };
    let bytes: Buffer | undefined;
    let got: string;
    try {
      if (isDirHash(hash)) {
        bytes = readFileSync(file);
        got = manifestHashOfBytes(bytes);
      } else if (st.size <= SMALL_FILE) {
        got = withFileBytes(file, sha256Hex);
      } else {
        got = (await hashFile(file)).hash;
      }
    } catch (err) {
      // Moved away meanwhile (a concurrent commit of the same bytes quarantined it).
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
      throw err;
    }
    if (got !== hash) return { kind: 'corrupt', problem: `its bytes hash to ${got}` };
    if (bytes && isDirHash(hash)) {
      try {
        parseDirListing(bytes);
      } catch (err) {
        return { kind: 'corrupt', problem: `not a readable manifest (${(err as Error).message})` };
      }
    }
    return undefined;
  }

  /**
   * The existing objects of a directory being committed that re-hash correctly, hashed on a worker
   * pool when there are many (a rerun with identical outputs, `repro -f`); the bad ones are
   * quarantined. Below the threshold nothing is checked here and `putFile` checks each object.
   */
  private async soundExisting(entries: readonly ManifestEntry[]): Promise<Set<string>> {
    const sound = new Set<string>();
    const present = new Map<string, number>();
    let bytes = 0;
    for (const e of entries) {
      if (present.has(e.hash)) continue;
      const st = lstatSync(this.objectPath(e.hash), { throwIfNoEntry: false });
      if (!st?.isFile() || st.size !== e.size) continue; // absent, or bad in a way putFile sees by itself
      present.set(e.hash, e.size);
      bytes += e.size;
    }
    if (present.size <= this.verifyPoolThreshold.files && bytes <= this.verifyPoolThreshold.bytes) return sound;
    const hashes = [...present.keys()];
    const pool = new HashWorkerPool();
    try {
      const batches: string[][] = [];
      for (let i = 0; i < hashes.length; i += VERIFY_BATCH) batches.push(hashes.slice(i, i + VERIFY_BATCH));
      await Promise.all(
        batches.map(async (batch) => {
          const results = await pool.hashBatch(batch.map((h) => this.objectPath(h)));
          for (const [i, r] of results.entries()) {
            const hash = batch[i] as string;
            if ('hash' in r && r.hash === hash) sound.add(hash);
            else if ('hash' in r) await this.quarantine.take(this.objectPath(hash), hash);
            // a read error: left to putFile, which checks again
          }
        }),
      );
    } finally {
      await pool.close();
    }
    return sound;
  }

  /**
   * Commit of bytes whose object already exists: keep it only if it re-hashes correctly, else
   * quarantine it so the caller stores the good bytes in its place. Costs one read of the object
   * (see bench/README.md, "re-commit"), paid only when the object already exists.
   */
  private async keepExisting(hash: string, size: number | undefined): Promise<boolean> {
    const found = await this.inspect(hash, size);
    if (found === undefined) return true;
    if (found.kind === 'corrupt') await this.quarantine.take(this.objectPath(hash), hash);
    return false;
  }

  /** The prefix directory is remembered, but recreated if something (gc) removed it meanwhile. */
  private async renameIntoPlace(tmp: string, hash: string): Promise<void> {
    const prefix = hash.slice(0, 2);
    const dir = path.join(this.objectsDir, prefix);
    if (!this.madePrefixes.has(prefix)) {
      await makeSharedDirs(dir, this.shared);
      this.madePrefixes.add(prefix);
    }
    try {
      await fsp.rename(tmp, this.objectPath(hash));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await makeSharedDirs(dir, this.shared);
      await fsp.rename(tmp, this.objectPath(hash));
    }
    this.rememberPlaced(hash);
  }
}
