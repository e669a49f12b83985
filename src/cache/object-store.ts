import { constants as fsc, existsSync, mkdirSync, promises as fsp, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { hashFile, sha256Hex } from '../hash/hash-file.js';
import { manifestHashOfBytes, parseManifest, serializeManifest } from '../hash/manifest.js';
import { isDirHash, type ManifestEntry, type PathHash } from '../hash/types.js';
import { mapLimit } from '../util/concurrency.js';
import { CacheTmp } from './cache-tmp.js';
import { isObjectName, objectPathIn } from './object-path.js';
import { restoreObject, type RestoredFile, type RestoreOptions } from './restore.js';

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
}

const DEFAULT_CONCURRENCY = 32;
/**
 * Files up to this size are stored with a few synchronous calls: read once, hash those bytes, write
 * them. Cheaper than a copy plus a re-read through the thread pool, and just as safe: the object's
 * bytes are the bytes that were hashed.
 */
const SMALL_FILE = 256 * 1024;

/**
 * Content-addressed objects under `<cacheDir>/objects/<hash[0:2]>/<hash[2:]>`, read-only (0444).
 * An object only ever appears by rename of a temp file whose bytes were hashed after copying,
 * so a name always matches its content.
 */
export class ObjectStore {
  readonly objectsDir: string;
  private readonly tmp: CacheTmp;
  private readonly concurrency: number;
  private readonly madePrefixes = new Set<string>();

  constructor(
    readonly cacheDir: string,
    opts: ObjectStoreOptions = {},
  ) {
    this.objectsDir = path.join(cacheDir, 'objects');
    this.tmp = new CacheTmp(path.join(cacheDir, 'tmp'));
    this.concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
  }

  objectPath(hash: string): string {
    return objectPathIn(this.objectsDir, hash);
  }

  async has(hash: string): Promise<boolean> {
    try {
      await fsp.access(this.objectPath(hash));
      return true;
    } catch {
      return false;
    }
  }

  /** Copy `absSrc` in as object `hash`; the copy is hashed, so a concurrent edit is caught, not stored. */
  async putFile(absSrc: string, hash: string, size?: number): Promise<void> {
    if (size !== undefined && size <= SMALL_FILE) return this.putSmallFile(absSrc, hash);
    if (await this.has(hash)) return;
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

  private async putSmallFile(absSrc: string, hash: string): Promise<void> {
    const dest = this.objectPath(hash);
    if (existsSync(dest)) return;
    const bytes = readFileSync(absSrc);
    const got = sha256Hex(bytes);
    if (got !== hash) throw new ContentChangedError(absSrc, hash, got);
    await this.tmp.prepare();
    const tmp = this.tmp.name(hash.slice(0, 12));
    try {
      writeFileSync(tmp, bytes, { flag: 'wx', mode: 0o444 });
      try {
        renameSync(tmp, dest);
      } catch (err) {
        // The prefix directory is missing (first object under it, or gc removed it).
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        mkdirSync(path.dirname(dest), { recursive: true });
        renameSync(tmp, dest);
      }
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
  }

  /** Store the canonical manifest; returns its hash (sha256 + '.dir'). */
  async putManifest(entries: readonly ManifestEntry[]): Promise<string> {
    const bytes = serializeManifest(entries);
    const hash = manifestHashOfBytes(bytes);
    if (await this.has(hash)) return hash;
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

  /** Parsed manifest; its bytes are re-hashed so a corrupt manifest is an error, not a wrong restore. */
  async readManifest(dirHash: string): Promise<ManifestEntry[]> {
    if (!isDirHash(dirHash)) throw new Error(`not a directory hash: ${dirHash}`);
    const bytes = await fsp.readFile(this.objectPath(dirHash));
    if (manifestHashOfBytes(bytes) !== dirHash) throw new Error(`cache object ${dirHash} is corrupt`);
    return parseManifest(bytes);
  }

  /** Store a file, or a directory's files (in parallel) followed by its manifest. */
  async commit(absPath: string, ph: PathHash): Promise<void> {
    if (ph.kind === 'file') return this.putFile(absPath, ph.hash, ph.size);
    await mapLimit(ph.manifest, this.concurrency, (e) => this.putFile(path.join(absPath, e.path), e.hash, e.size));
    // Last, so a visible manifest implies its files were all stored (unless gc removed some later).
    const hash = await this.putManifest(ph.manifest);
    if (hash !== ph.hash) throw new Error(`manifest of ${absPath} hashes to ${hash}, expected ${ph.hash}`);
  }

  /** True when the object, and for a directory every file it lists, is present. */
  async isComplete(hash: string): Promise<boolean> {
    if (!isDirHash(hash)) return this.has(hash);
    let entries: ManifestEntry[];
    try {
      entries = await this.readManifest(hash);
    } catch {
      return false;
    }
    const unique = [...new Set(entries.map((e) => e.hash))];
    let complete = true;
    await mapLimit(unique, 64, async (h) => {
      if (complete && !(await this.has(h))) complete = false;
    });
    return complete;
  }

  /** See `restoreObject`. */
  async restore(hash: string, absDest: string, opts: RestoreOptions = {}): Promise<RestoredFile[]> {
    const entries = isDirHash(hash) ? await this.readManifest(hash) : undefined;
    return restoreObject(this, hash, entries, absDest, { concurrency: this.concurrency, ...opts });
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
    await fsp.rm(this.objectPath(hash), { force: true });
  }

  /** Re-hash the stored bytes (a manifest's own bytes for `.dir`). Missing counts as not valid. */
  async verify(hash: string): Promise<boolean> {
    try {
      if (isDirHash(hash)) return manifestHashOfBytes(await fsp.readFile(this.objectPath(hash))) === hash;
      return (await hashFile(this.objectPath(hash))).hash === hash;
    } catch {
      return false;
    }
  }

  /** The prefix directory is remembered, but recreated if something (gc) removed it meanwhile. */
  private async renameIntoPlace(tmp: string, hash: string): Promise<void> {
    const prefix = hash.slice(0, 2);
    const dir = path.join(this.objectsDir, prefix);
    if (!this.madePrefixes.has(prefix)) {
      await fsp.mkdir(dir, { recursive: true });
      this.madePrefixes.add(prefix);
    }
    try {
      await fsp.rename(tmp, this.objectPath(hash));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await fsp.mkdir(dir, { recursive: true });
      await fsp.rename(tmp, this.objectPath(hash));
    }
  }
}
