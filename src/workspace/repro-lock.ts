import { mkdir, open, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isProcessAlive, processStartTime } from '../exec/process-group.js';

interface LockOwner {
  pid: number;
  start?: string;
  host: string;
  since: string;
}

export type AcquireResult = { ok: true; release: () => Promise<void> } | { ok: false; owner: LockOwner };

/**
 * One writer per workspace. The lock file is created exclusively; a lock whose owner process is gone
 * (or whose pid now belongs to another program) is taken over without asking anyone to unlock.
 */
export async function acquireReproLock(file: string, opts: { wait: boolean; onWait?: (owner: LockOwner) => void }): Promise<AcquireResult> {
  await mkdir(path.dirname(file), { recursive: true });
  const me: LockOwner = { pid: process.pid, start: processStartTime(process.pid), host: os.hostname(), since: new Date().toISOString() };
  let told = false;
  for (;;) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(JSON.stringify(me));
      await handle.close();
      return { ok: true, release: () => rm(file, { force: true }) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = await readOwner(file);
    if (!owner || !ownerAlive(owner)) {
      await rm(file, { force: true });
      continue;
    }
    if (!opts.wait) return { ok: false, owner };
    if (!told) opts.onWait?.(owner);
    told = true;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function readOwner(file: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LockOwner;
  } catch {
    // Created but not yet written by its owner: give it a moment rather than stealing it.
    await new Promise((r) => setTimeout(r, 100));
    try {
      return JSON.parse(await readFile(file, 'utf8')) as LockOwner;
    } catch {
      return undefined;
    }
  }
}

function ownerAlive(owner: LockOwner): boolean {
  if (owner.host !== os.hostname()) return true; // cannot check another machine's processes
  if (!isProcessAlive(owner.pid)) return false;
  return owner.start === undefined || processStartTime(owner.pid) === owner.start;
}
