import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, promises as fsp, renameSync, rmSync, writeSync } from 'node:fs';

let processTag: string | undefined;
let counter = 0;

/**
 * A name no other temp file has: this process's pid, a random tag drawn once per process (a crashed
 * process with the same pid may have left files), and a counter. Cheaper than random bytes per name,
 * which cost a syscall each on the per-stage path.
 */
export function uniqueSuffix(): string {
  processTag ??= randomBytes(4).toString('hex');
  return `${process.pid}-${processTag}-${(counter++).toString(36)}`;
}

/** A unique temp name next to `absPath`, so the final rename stays on one filesystem. */
export function tempSibling(absPath: string, tag = 'tmp'): string {
  return `${absPath}.${tag}-${uniqueSuffix()}`;
}

export async function mkdirp(dir: string): Promise<void> {
  await fsp.mkdir(dir, { recursive: true });
}

export interface AtomicWriteOptions {
  mode?: number;
  /**
   * fsync before the rename (default true), so even a power loss leaves the old or the new bytes.
   * Files that only speed things up or report (markers, run records, run-cache entries) pass false:
   * the rename alone already protects them from a crashed or killed process, at no fsync cost.
   */
  durable?: boolean;
}

/**
 * Write via temp file + (fsync) + rename so readers see either the old or the new content,
 * never a torn file, even after a crash.
 */
export async function writeFileAtomic(absPath: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  const tmp = tempSibling(absPath);
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(tmp, 'wx', opts.mode ?? 0o644);
    await handle.writeFile(data);
    if (opts.durable !== false) await handle.sync();
    await handle.close();
    handle = undefined;
    await fsp.rename(tmp, absPath);
  } catch (err) {
    if (handle) await handle.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

/**
 * `writeFileAtomic` for small files on the hot path of a run (markers, run-cache entries, small
 * objects): a few synchronous syscalls cost less than a round trip through the thread pool.
 */
export function writeFileAtomicSync(absPath: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): void {
  const tmp = tempSibling(absPath);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', opts.mode ?? 0o644);
    writeAllSync(fd, data);
    if (opts.durable !== false) fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, absPath);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
}

function writeAllSync(fd: number, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
}

/** Remove a path of any kind; missing is fine. */
export async function removePath(absPath: string): Promise<void> {
  await fsp.rm(absPath, { recursive: true, force: true });
}
