import * as fs from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { mapLimit } from '../util/concurrency.js';
import { SMALL_FILE } from '../util/small-file.js';
import { hashFile, hashSmallFile, type ContentHash } from './hash-file.js';
import { comparePaths, manifestHash } from './manifest.js';
import { StatCache } from './stat-cache.js';
import type { ManifestEntry, PathHash } from './types.js';
import { walkTree } from './walk.js';
import { HashWorkerPool, type BatchResult } from './worker-pool.js';

export interface PoolThreshold {
  /** Start the pool when the uncached bytes exceed this... */
  bytes: number;
  /** ...or the uncached file count does. */
  files: number;
}

export interface HasherOptions {
  /** Workspace root; every path given to the Hasher is relative to it. */
  root: string;
  /** Defaults to an in-memory cache. The caller owns it and calls `save()`. */
  statCache?: StatCache;
  /** Worker threads for uncached files; default os.availableParallelism(). <= 1 hashes in-thread. */
  workers?: number;
  /** Below this much uncached work, hashing stays on the main thread (no thread start-up cost). */
  poolThreshold?: PoolThreshold;
}

export const DEFAULT_POOL_THRESHOLD: PoolThreshold = { bytes: 64 << 20, files: 256 };
/** Batches sent to a worker: small enough that cores finish together, big enough to amortise messaging. */
const BATCH_MAX_FILES = 64;
const BATCH_MAX_BYTES = 16 << 20;
/** Concurrent in-thread hashFile calls: enough to keep the libuv pool reading ahead. */
const IN_THREAD_CONCURRENCY = 4;

interface FileToHash {
  /** Workspace-relative path: the stat-cache key. */
  key: string;
  /** Path inside the hashed directory ('' when the hashed path is the file itself). */
  mpath: string;
  abs: string;
  stat: fs.Stats;
}

type Scanned = { kind: 'file'; file: FileToHash } | { kind: 'dir'; files: FileToHash[]; emptyDirs: string[] } | undefined;

/**
 * Content hashes of workspace paths. Files whose stat matches the stat cache are never read;
 * the rest are hashed on the main thread, or on a worker pool when there is enough of them.
 */
export class Hasher {
  readonly root: string;
  readonly statCache: StatCache;
  private readonly workers: number;
  private readonly threshold: PoolThreshold;
  private pool: HashWorkerPool | undefined;

  constructor(opts: HasherOptions) {
    this.root = path.resolve(opts.root);
    this.statCache = opts.statCache ?? StatCache.inMemory();
    this.workers = opts.workers ?? availableParallelism();
    this.threshold = opts.poolThreshold ?? DEFAULT_POOL_THRESHOLD;
  }

  /** undefined when nothing exists at `rel`. */
  async hashPath(rel: string): Promise<PathHash | undefined> {
    return (await this.hashPaths([rel])).get(rel);
  }

  /** All paths are scanned first so the pool decision sees the whole batch of uncached work. */
  async hashPaths(rels: readonly string[]): Promise<Map<string, PathHash | undefined>> {
    const scanned = new Map<string, Scanned>();
    for (const rel of rels) if (!scanned.has(rel)) scanned.set(rel, await this.scan(rel));

    const known = new Map<string, ContentHash>(); // by abs path
    const todo = new Map<string, FileToHash>();
    for (const s of scanned.values()) {
      if (!s) continue;
      for (const f of s.kind === 'file' ? [s.file] : s.files) {
        if (known.has(f.abs) || todo.has(f.abs)) continue;
        const hash = this.statCache.lookup(f.key, f.stat);
        if (hash !== undefined) known.set(f.abs, { hash, size: f.stat.size });
        else todo.set(f.abs, f);
      }
    }
    await this.hashUncached([...todo.values()], known);

    const out = new Map<string, PathHash | undefined>();
    for (const [rel, s] of scanned) out.set(rel, s && assemble(s, known));
    return out;
  }

  /** Record a file whose content hash the caller knows (e.g. it was just restored from the cache). */
  async recordKnown(rel: string, hash: string): Promise<void> {
    const key = this.key(rel);
    const st = await fs.promises.stat(path.join(this.root, key));
    if (st.isFile()) this.statCache.record(key, st, hash);
  }

  /** `recordKnown` for every file of a restored directory (entries as returned by a restore). */
  async recordKnownUnder(relDir: string, files: ReadonlyArray<{ relPath: string; hash: string }>): Promise<void> {
    const base = this.key(relDir);
    for (const f of files) {
      const key = f.relPath === '' ? base : base === '' ? f.relPath : `${base}/${f.relPath}`;
      const st = fs.statSync(path.join(this.root, key), { throwIfNoEntry: false });
      if (st?.isFile()) this.statCache.record(key, st, f.hash);
    }
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.close();
  }

  /** Workspace-relative POSIX key; '' is the root. Paths escaping the root are a caller bug. */
  private key(rel: string): string {
    const norm = path.posix.normalize(rel.split(path.sep).join('/')).replace(/\/+$/, '');
    if (norm === '.' || norm === '') return '';
    if (norm.startsWith('../') || norm === '..' || path.posix.isAbsolute(norm)) {
      throw new Error(`path escapes the workspace: ${rel}`);
    }
    return norm;
  }

  private async scan(rel: string): Promise<Scanned> {
    const key = this.key(rel);
    const abs = key === '' ? this.root : path.join(this.root, key);
    const stat = fs.statSync(abs, { throwIfNoEntry: false });
    if (!stat) return undefined;
    if (stat.isFile()) return { kind: 'file', file: { key, mpath: '', abs, stat } };
    if (!stat.isDirectory()) throw new Error(`not a regular file or directory: ${rel}`);
    const walked = await walkTree(abs);
    return {
      kind: 'dir',
      files: walked.files.map((w) => ({ key: key === '' ? w.rel : `${key}/${w.rel}`, mpath: w.rel, abs: w.abs, stat: w.stat })),
      emptyDirs: walked.emptyDirs.sort(comparePaths),
    };
  }

  private async hashUncached(files: FileToHash[], into: Map<string, ContentHash>): Promise<void> {
    if (files.length === 0) return;
    const bytes = files.reduce((n, f) => n + f.stat.size, 0);
    const usePool = this.workers > 1 && (bytes > this.threshold.bytes || files.length > this.threshold.files);
    const done = (f: FileToHash, r: ContentHash): void => {
      into.set(f.abs, r);
      // A size mismatch means the file changed after its stat: do not pin that stat to these bytes.
      if (r.size === f.stat.size) this.statCache.record(f.key, f.stat, r.hash);
    };
    if (!usePool) {
      const large = files.filter((f) => f.stat.size > SMALL_FILE);
      for (const f of files) if (f.stat.size <= SMALL_FILE) done(f, hashSmallFile(f.abs));
      await mapLimit(large, IN_THREAD_CONCURRENCY, async (f) => done(f, await hashFile(f.abs)));
      return;
    }
    this.pool ??= new HashWorkerPool(this.workers);
    const pool = this.pool;
    await Promise.all(
      makeBatches(files).map(async (batch) => {
        const results = await pool.hashBatch(batch.map((f) => f.abs));
        batch.forEach((f, i) => done(f, unwrap(results[i], f.abs)));
      }),
    );
  }
}

/** Largest files first, so no core is left with one big file at the end while others idle. */
function makeBatches(files: FileToHash[]): FileToHash[][] {
  const sorted = [...files].sort((a, b) => (a.stat.size < b.stat.size ? 1 : a.stat.size > b.stat.size ? -1 : 0));
  const batches: FileToHash[][] = [];
  let cur: FileToHash[] = [];
  let curBytes = 0;
  for (const f of sorted) {
    const sz = f.stat.size;
    if (cur.length > 0 && (cur.length >= BATCH_MAX_FILES || curBytes + sz > BATCH_MAX_BYTES)) {
      batches.push(cur);
      cur = [];
      curBytes = 0;
    }
    cur.push(f);
    curBytes += sz;
  }
  if (cur.length > 0) batches.push(cur);
  return batches;
}

function unwrap(r: BatchResult | undefined, abs: string): ContentHash {
  if (r && 'hash' in r) return r;
  const err = new Error(`hashing ${abs} failed: ${r?.error ?? 'no result'}`) as NodeJS.ErrnoException;
  if (r?.code) err.code = r.code;
  throw err;
}

function assemble(s: NonNullable<Scanned>, known: Map<string, ContentHash>): PathHash {
  if (s.kind === 'file') {
    const h = known.get(s.file.abs) as ContentHash;
    return (s.file.stat.mode & 0o100) !== 0 ? { kind: 'file', hash: h.hash, size: h.size, exec: true } : { kind: 'file', hash: h.hash, size: h.size };
  }
  const manifest: ManifestEntry[] = s.files.map((f) => {
    const h = known.get(f.abs) as ContentHash;
    // The owner's x bit, as git records it; the rest of the mode is the user's umask.
    return (f.stat.mode & 0o100) !== 0 ? { path: f.mpath, hash: h.hash, size: h.size, exec: true } : { path: f.mpath, hash: h.hash, size: h.size };
  });
  manifest.sort((a, b) => comparePaths(a.path, b.path));
  const size = manifest.reduce((n, e) => n + e.size, 0);
  const hash = manifestHash(manifest, s.emptyDirs);
  return { kind: 'dir', hash, size, nfiles: manifest.length, manifest, ...(s.emptyDirs.length > 0 ? { emptyDirs: s.emptyDirs } : {}) };
}
