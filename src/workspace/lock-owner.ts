import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { isProcessAlive, isZombie, processStartTime } from '../exec/process-group.js';

/** Who holds a lock: the JSON in its owner file (the same fields the old single-file lock had). */
export interface LockOwner {
  pid: number;
  /** Kernel start time of `pid`, so a reused pid is not mistaken for the owner. */
  start?: string;
  host: string;
  since: string;
}

export function thisProcessAsOwner(): LockOwner {
  return { pid: process.pid, start: processStartTime(process.pid), host: os.hostname(), since: new Date().toISOString() };
}

/** The owner in `file`, or undefined if it is missing or not an owner record. */
export async function readOwnerFile(file: string): Promise<LockOwner | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const owner = JSON.parse(text) as Partial<LockOwner>;
    return typeof owner.pid === 'number' && typeof owner.host === 'string' ? (owner as LockOwner) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * False only when the owner is certainly gone: it ran on this machine and its pid is free, a zombie,
 * or now belongs to a process started at another time. An owner on another host (a workspace on NFS)
 * cannot be checked from here and counts as alive; so does a live owner however busy it is, since
 * nothing here depends on it refreshing anything.
 */
export function ownerAlive(owner: LockOwner): boolean {
  if (owner.host !== os.hostname()) return true;
  if (!isProcessAlive(owner.pid) || isZombie(owner.pid)) return false;
  return owner.start === undefined || processStartTime(owner.pid) === owner.start;
}
