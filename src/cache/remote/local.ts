import { constants as fsc, promises as fsp, statSync } from 'node:fs';
import path from 'node:path';
import { mapLimit } from '../../util/concurrency.js';
import { existingPaths } from '../../util/existing-paths.js';
import { getTarget, RemoteError, type GetOptions, type PlaceOptions, type RemoteBackend, type RemoteConfig, type RemoteKey, type TempSweep, type TransferOptions, type UploadOptions } from './backend.js';
import { placeHashing } from '../place-verified.js';
import { sentBytesMismatch } from './stream-hash.js';
import { CacheTmp, sweepStale } from '../cache-tmp.js';
import { makeSharedDirs } from '../shared-dirs.js';
import { syncPaths } from '../../util/sync-fs.js';

/** Existence checks at once: a shared filesystem (NFS) answers each stat with a round trip. */
const STAT_CONCURRENCY = 64;
/**
 * Batched uploads are committed (one filesystem sync, then their renames) once this many objects or
 * bytes are staged: a killed push loses at most this much of what it sent, and a sync is not spent
 * on a few objects. An interrupted push commits what it staged when it closes the backend.
 */
export const COMMIT_OBJECTS = 1000;
const COMMIT_BYTES = 128 * 1024 * 1024;
const KEY_RE = /^(objects\/[0-9a-f]{2}\/[0-9a-f]{62}(\.dir)?|runs\/[0-9A-Za-z_-]{2}\/[0-9A-Za-z_-]{2,128}\.json)$/;

/** A batched upload written to `tmp` and waiting for its commit. */
interface Staged {
  tmp: string;
  dest: string;
}

/**
 * A remote in a folder (a mounted group share, NFS): the local cache's own layout. An upload is a
 * copy to `<root>/tmp/` (same filesystem), synced to disk, then renamed under its key, so a reader
 * never sees part of an object, not even after the file server crashed. One upload is fsynced on
 * its own; batched ones (a push) stay in `tmp/` until a batch is committed: one sync of the
 * filesystem for all of them, then their renames. When the folder is group-writable, folders
 * created here are too (setgid, so they keep the folder's group), and objects are read-only for
 * everyone: the group shares them.
 */
export class LocalFolderBackend implements RemoteBackend {
  private readonly groupShared: boolean;
  /** Same sweep as the local cache's tmp: uploads a killed process left (older than an hour) go. */
  private readonly tmp: CacheTmp;
  /** Key folders known to exist: one mkdir per folder per run, not per object. */
  private readonly madeDirs = new Set<string>();
  /** Batched uploads written and closed, not yet committed; and their bytes. */
  private staged: Staged[] = [];
  private stagedBytes = 0;
  /** The last commit; commits run one after another, in order. */
  private committing: Promise<void> = Promise.resolve();
  /** Folders renamed into since the last flush: it syncs them too. */
  private renamedInto = new Set<string>();
  /** Set when a commit failed: what it held may be missing, so every later upload and flush fails with it. */
  private failed: RemoteError | undefined;

  private constructor(
    readonly url: string,
    private readonly root: string,
  ) {
    this.groupShared = (statSync(root).mode & 0o020) !== 0;
    this.tmp = new CacheTmp(path.join(root, 'tmp'), this.groupShared);
  }

  static async open(config: RemoteConfig): Promise<LocalFolderBackend> {
    const root = config.url.startsWith('file://') ? config.url.slice('file://'.length) : config.url;
    const st = await fsp.stat(root).catch((e: NodeJS.ErrnoException) => e);
    if (st instanceof Error) {
      if (st.code !== 'ENOENT') throw fsError(st, root);
      // The folder itself is created (as `dvc push` does), its parent must exist: a typo'd mount point is an error.
      const parent = path.dirname(root);
      if (!(await fsp.stat(parent).catch(() => undefined))?.isDirectory()) {
        throw new RemoteError('no-container', `remote "${config.name}": ${parent} does not exist`, 'is the shared folder mounted? check the url with orchestrator remote list');
      }
      await fsp.mkdir(root).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw fsError(e, root);
      });
    } else if (!st.isDirectory()) {
      throw new RemoteError('no-container', `remote "${config.name}": ${root} is not a folder`);
    }
    return new LocalFolderBackend(root, root);
  }

  private abs(key: RemoteKey): string {
    if (!KEY_RE.test(key)) throw new RemoteError('other', `not a remote key: ${JSON.stringify(key)}`);
    return path.join(this.root, ...key.split('/'));
  }

  async existing(keys: readonly RemoteKey[], opts: TransferOptions = {}): Promise<Set<RemoteKey>> {
    const byPath = new Map(keys.map((k) => [this.abs(k), k]));
    const found = await existingPaths([...byPath.keys()], {
      concurrency: STAT_CONCURRENCY,
      exists: (abs) => fsp.lstat(abs).then((s) => s.isFile(), () => false),
      signal: opts.signal,
      onListError: (e, dir) => {
        throw fsError(e, dir);
      },
    });
    return new Set([...found].map((p) => byPath.get(p)!));
  }

  async *list(prefix: string, opts: TransferOptions = {}): AsyncIterable<RemoteKey> {
    const top = prefix.replace(/\/+$/, '');
    const dirs = await fsp.readdir(path.join(this.root, top)).catch(() => [] as string[]);
    for (const d of dirs.sort()) {
      opts.signal?.throwIfAborted();
      const names = await fsp.readdir(path.join(this.root, top, d)).catch(() => [] as string[]);
      for (const n of names.sort()) {
        const key = `${top}/${d}/${n}`;
        if (KEY_RE.test(key)) yield key;
      }
    }
  }

  async upload(localFile: string, key: RemoteKey, size: number, opts: UploadOptions = {}): Promise<void> {
    const expected = opts.expectSha256;
    await this.place(key, size, opts, async (tmp) => {
      if (expected === undefined) await fsp.copyFile(localFile, tmp, fsc.COPYFILE_FICLONE);
      else {
        // One pass: the bytes are hashed as they are copied.
        const got = (await placeHashing('copy', localFile, tmp, size, 0o600)).hash;
        if (got !== expected) throw sentBytesMismatch(got);
      }
      return fsp.open(tmp, 'r+');
    });
  }

  async put(key: RemoteKey, bytes: Buffer, opts: PlaceOptions = {}): Promise<void> {
    await this.place(key, bytes.length, opts, async (tmp) => {
      const fh = await fsp.open(tmp, 'wx', 0o600);
      try {
        await fh.writeFile(bytes); // loops until every byte is written
      } catch (e) {
        await fh.close();
        throw e;
      }
      return fh;
    });
  }

  /**
   * Writes a temp file in `<root>/tmp/` with `write` (which returns it open) and puts it under
   * `key`: synced and renamed at once, or, batched, staged for the next commit. The bytes are
   * reported once written, before the rename or the staging, so an abort then still leaves nothing.
   */
  private async place(key: RemoteKey, size: number, opts: PlaceOptions, write: (tmp: string) => Promise<fsp.FileHandle>): Promise<void> {
    if (this.failed) throw this.failed;
    const dest = this.abs(key);
    opts.signal?.throwIfAborted();
    await this.tmp.prepare().catch((e: NodeJS.ErrnoException) => Promise.reject(fsError(e, this.tmp.dir)));
    const tmp = this.tmp.name(path.basename(dest).slice(0, 12));
    try {
      const fh = await write(tmp);
      try {
        if (!opts.batched) await fh.sync();
        await fh.chmod(key.startsWith('runs/') ? (this.groupShared ? 0o664 : 0o644) : 0o444);
      } finally {
        await fh.close();
      }
      opts.onBytes?.(size);
      opts.signal?.throwIfAborted();
      if (!opts.batched) return await this.rename(tmp, dest);
    } catch (e) {
      await fsp.rm(tmp, { force: true }).catch(() => undefined);
      throw e instanceof RemoteError || (e as Error).name === 'AbortError' ? e : fsError(e as NodeJS.ErrnoException, dest);
    }
    this.staged.push({ tmp, dest });
    this.stagedBytes += size;
    if (this.staged.length >= COMMIT_OBJECTS || this.stagedBytes >= COMMIT_BYTES) await this.commit();
  }

  /** Renames a written temp under its key, making the key's folder when it is new here. */
  private async rename(tmp: string, dest: string): Promise<void> {
    const dir = path.dirname(dest);
    if (!this.madeDirs.has(dir)) {
      await makeSharedDirs(dir, this.groupShared);
      this.madeDirs.add(dir);
    }
    await fsp.rename(tmp, dest).catch(async (e: NodeJS.ErrnoException) => {
      // The folder went away meanwhile (gc --cloud of its last object): make it again.
      if (e.code !== 'ENOENT') throw e;
      await makeSharedDirs(dir, this.groupShared);
      await fsp.rename(tmp, dest);
    });
  }

  /**
   * Commits the staged uploads, after any commit before: one sync of the filesystem for all their
   * bytes, then their renames. A failure removes the batch's temps and fails every later upload and
   * flush (kind 'other', never retried: some of the batch may be missing, and a push must not say it
   * sent them).
   */
  private commit(): Promise<void> {
    const batch = this.staged;
    this.staged = [];
    this.stagedBytes = 0;
    const run = this.committing.then(async () => {
      if (this.failed) throw this.failed;
      if (batch.length === 0) return;
      try {
        await syncPaths(batch.map((b) => b.tmp));
        await mapLimit(batch, STAT_CONCURRENCY, (b) => this.rename(b.tmp, b.dest));
        for (const b of batch) this.renamedInto.add(path.dirname(b.dest));
      } catch (e) {
        throw this.fail(e);
      }
    }).catch(async (e) => {
      await Promise.all(batch.map((b) => fsp.rm(b.tmp, { force: true }).catch(() => undefined)));
      throw e;
    });
    this.committing = run.catch(() => undefined);
    return run;
  }

  /**
   * Commits what is staged, then syncs the folders the commits renamed into: a manifest or run-cache
   * entry pushed after a flush is never on the disk without the objects it names.
   */
  async flush(): Promise<void> {
    await this.commit();
    const dirs = [...this.renamedInto];
    this.renamedInto.clear();
    await syncPaths(dirs).catch((e: unknown) => Promise.reject(this.fail(e)));
  }

  /** Remembers a failed commit or sync as the error every later upload and flush fails with (kind 'other': not retried). */
  private fail(e: unknown): RemoteError {
    const err = e instanceof RemoteError ? e : fsError(e as NodeJS.ErrnoException, this.root);
    this.failed = new RemoteError('other', err.message, err.hint, { cause: e });
    return this.failed;
  }

  async download(key: RemoteKey, localFile: string, opts: TransferOptions = {}): Promise<undefined> {
    opts.signal?.throwIfAborted();
    const src = this.abs(key);
    try {
      await fsp.copyFile(src, localFile, fsc.COPYFILE_FICLONE);
      opts.onBytes?.((await fsp.stat(localFile)).size);
      return undefined; // a kernel copy: the caller hashes the bytes
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && !(await fsp.stat(path.dirname(localFile)).catch(() => undefined))) throw e;
      throw code === 'ENOENT' ? new RemoteError('not-found', `${key} is not on ${this.url}`) : fsError(e as NodeJS.ErrnoException, src);
    }
  }

  async get(key: RemoteKey, maxBytes: number, opts: GetOptions = {}): Promise<Buffer> {
    opts.signal?.throwIfAborted();
    const src = this.abs(key);
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(src, 'r');
    } catch (e) {
      throw (e as NodeJS.ErrnoException).code === 'ENOENT' ? new RemoteError('not-found', `${key} is not on ${this.url}`) : fsError(e as NodeJS.ErrnoException, src);
    }
    try {
      const buf = getTarget(maxBytes, opts);
      let got = 0;
      while (got < buf.length) {
        const want = buf.length - got;
        const { bytesRead } = await fh.read(buf, got, want, got);
        got += bytesRead;
        if (bytesRead < want) break; // a short read of a regular file is its end
      }
      opts.onBytes?.(got);
      return buf.subarray(0, got);
    } catch (e) {
      throw fsError(e as NodeJS.ErrnoException, src);
    } finally {
      await fh.close();
    }
  }

  async delete(keys: readonly RemoteKey[], opts: TransferOptions = {}): Promise<void> {
    await mapLimit(keys, STAT_CONCURRENCY, async (k) => {
      opts.signal?.throwIfAborted();
      await fsp.rm(this.abs(k), { force: true }).catch((e: NodeJS.ErrnoException) => Promise.reject(fsError(e, k)));
    });
  }

  /** Copies into `tmp/` a killed upload left behind (an in-flight one is younger than `olderThan`). */
  async sweepTemps(olderThan: number, opts: { dry: boolean; signal?: AbortSignal }): Promise<TempSweep> {
    opts.signal?.throwIfAborted();
    return { removed: (await sweepStale(this.tmp.dir, olderThan, opts.dry)).map((n) => `tmp/${n}`) };
  }

  /** Flushes what is staged (an interrupted push keeps what it sent); after a failed commit, removes it. */
  async close(): Promise<void> {
    if (this.failed) {
      await this.commit().catch(() => undefined);
      return;
    }
    await this.flush();
  }
}

/** A filesystem error as a RemoteError: a stale NFS handle or an I/O error may pass; permissions do not. */
function fsError(e: NodeJS.ErrnoException, where: string): RemoteError {
  const code = e.code ?? '';
  const kind = ['ESTALE', 'EIO', 'EAGAIN', 'ETIMEDOUT', 'EBUSY', 'EINTR'].includes(code) ? 'transient' : ['EACCES', 'EPERM', 'EROFS'].includes(code) ? 'auth' : 'other';
  const hint = kind === 'auth' ? 'check that you (or your group) may write to the remote folder' : code === 'ENOSPC' ? 'the remote folder is full' : undefined;
  return new RemoteError(kind, `${where}: ${e.message}`, hint, { cause: e });
}
