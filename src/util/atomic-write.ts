import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';

/** A unique temp name next to `absPath`, so the final rename stays on one filesystem. */
export function tempSibling(absPath: string, tag = 'tmp'): string {
  return `${absPath}.${tag}-${process.pid}-${randomBytes(6).toString('hex')}`;
}

export async function mkdirp(dir: string): Promise<void> {
  await fsp.mkdir(dir, { recursive: true });
}

/**
 * Write via temp file + fsync + rename so readers see either the old or the new content,
 * never a torn file, even after a crash.
 */
export async function writeFileAtomic(absPath: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const tmp = tempSibling(absPath);
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(tmp, 'wx', mode);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fsp.rename(tmp, absPath);
  } catch (err) {
    if (handle) await handle.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

/** Remove a path of any kind; missing is fine. */
export async function removePath(absPath: string): Promise<void> {
  await fsp.rm(absPath, { recursive: true, force: true });
}
