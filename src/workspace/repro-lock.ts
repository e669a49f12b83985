import { randomBytes } from 'node:crypto';
import { link, lstat, mkdir, readdir, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isProcessAlive } from '../exec/process-group.js';
import { ownerAlive, readOwnerFile, thisProcessAsOwner, type LockOwner } from './lock-owner.js';

export type { LockOwner } from './lock-owner.js';
export type AcquireResult = { ok: true; release: () => Promise<void> } | { ok: false; owner: LockOwner };

/**
 * One writer per workspace, as a folder of numbered claims (`<path>/<n>.owner`, owner JSON).
 *
 * The holder is whoever created the highest claim, as long as there is no `<n>.released` beside it
 * and its owner lives. To take the lock, a contender writes its owner record to a file of its own and
 * hard-links it to `<highest + 1>.owner`: link() fails if the name exists, so of all contenders that
 * saw the same free claim exactly one wins, and no one can undo another's claim (the old lock deleted
 * a dead owner's file and recreated it, so two waiters that both saw it dead could both win). The
 * highest claim is never deleted; the winner removes lower ones. A contender whose view was old may
 * link a number whose file was already cleaned up, so after linking it checks that no higher claim
 * exists: the highest ever made still does, and it backs off. A claim is free only when its owner is
 * certainly dead (same host, pid gone, zombie or reused), never because it is slow: no staleness
 * timeout can take a lock from a process busy hashing for minutes. proper-lockfile (4.1.2) was
 * measured against the same stress test and rejected: two holders in 1 of 40 trials (stat, rmdir,
 * mkdir takeover), a killed owner's lock free only after `stale` (at least 2 s), and a live owner
 * whose event loop was blocked for longer than that lost its lock.
 *
 * A plain file at `path` is the previous version's lock: honoured while its owner lives, removed
 * (unlink, which cannot remove the folder another contender may have made meanwhile) when it died.
 */
export async function acquireReproLock(file: string, opts: { wait: boolean; onWait?: (owner: LockOwner) => void }): Promise<AcquireResult> {
  await mkdir(path.dirname(file), { recursive: true });
  // Beside the lock, named as the crash-leftover sweep expects, so a killed contender's is cleaned up.
  const candidate = `${file}.tmp-${process.pid}-${randomBytes(6).toString('hex')}-0`;
  await writeFile(candidate, JSON.stringify(thisProcessAsOwner()), { flag: 'wx' });
  let told = false;
  try {
    for (;;) {
      const step = await attempt(file, candidate);
      if (step.kind === 'won') {
        // Tidying only: a failure here must not leave a lock that was taken without a release.
        await removeOlderClaims(file, step.claim).catch(() => undefined);
        const released = path.join(file, `${step.claim}.released`);
        return { ok: true, release: () => writeFile(released, '') };
      }
      if (step.kind === 'again') continue;
      if (!opts.wait) return { ok: false, owner: step.owner };
      if (!told) opts.onWait?.(step.owner);
      told = true;
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await unlink(candidate).catch(() => undefined);
  }
}

/** The owner of the lock as it stands (dead or alive), or undefined if no one holds it. */
export async function reproLockHolder(file: string): Promise<LockOwner | undefined> {
  const kind = await lockKind(file);
  if (kind === 'missing') return undefined;
  if (kind === 'legacy') return readLegacyOwner(file);
  const { top, released } = claims(await readdir(file));
  return top === 0 || released.has(top) ? undefined : readOwnerFile(claimPath(file, top));
}

type Attempt = { kind: 'won'; claim: number } | { kind: 'busy'; owner: LockOwner } | { kind: 'again' };

async function attempt(file: string, candidate: string): Promise<Attempt> {
  const kind = await lockKind(file);
  if (kind === 'missing') {
    await mkdir(file).catch(ignore('EEXIST'));
    return { kind: 'again' };
  }
  if (kind === 'legacy') {
    const owner = await readLegacyOwner(file);
    if (owner && ownerAlive(owner)) return { kind: 'busy', owner };
    await unlink(file).catch(ignore('ENOENT', 'EISDIR'));
    return { kind: 'again' };
  }
  const { top, released } = claims(await readdir(file));
  if (top > 0 && !released.has(top)) {
    const owner = await readOwnerFile(claimPath(file, top));
    // Gone since the listing: a higher claim was made (only then are claims removed). Look again.
    if (owner === undefined && (await exists(claimPath(file, top))) === false) return { kind: 'again' };
    if (owner && ownerAlive(owner)) return { kind: 'busy', owner };
  }
  const claim = top + 1;
  try {
    await link(candidate, claimPath(file, claim));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return { kind: 'again' };
  }
  // Our listing may have been old; a claim above ours means someone else holds, or held, the lock.
  if (claims(await readdir(file)).top > claim) return { kind: 'again' };
  return { kind: 'won', claim };
}

/**
 * Claims below ours: no one decides anything by them any more (a late contender's recreated one
 * included). And candidate files of killed contenders, by their own names, which no one makes again.
 */
async function removeOlderClaims(file: string, claim: number): Promise<void> {
  for (const name of await readdir(file)) {
    const n = /^(\d+)\.(?:owner|released)$/.exec(name);
    if (n && Number(n[1]) < claim) await unlink(path.join(file, name)).catch(ignore('ENOENT'));
  }
  const prefix = `${path.basename(file)}.tmp-`;
  for (const name of await readdir(path.dirname(file))) {
    const pid = name.startsWith(prefix) ? Number(name.slice(prefix.length).split('-')[0]) : NaN;
    if (pid > 0 && pid !== process.pid && !isProcessAlive(pid)) await unlink(path.join(path.dirname(file), name)).catch(ignore('ENOENT'));
  }
}

function claims(names: readonly string[]): { top: number; released: Set<number> } {
  let top = 0;
  const released = new Set<number>();
  for (const name of names) {
    const m = /^(\d+)\.(owner|released)$/.exec(name);
    if (!m) continue;
    if (m[2] === 'released') released.add(Number(m[1]));
    else top = Math.max(top, Number(m[1]));
  }
  return { top, released };
}

function claimPath(file: string, claim: number): string {
  return path.join(file, `${claim}.owner`);
}

async function lockKind(file: string): Promise<'missing' | 'legacy' | 'claims'> {
  try {
    const st = await lstat(file);
    if (st.isDirectory()) return 'claims';
    if (st.isFile()) return 'legacy';
    throw new Error('it is neither a lock folder nor an old lock file');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw e;
  }
}

/** The old single-file lock's owner; an unreadable one gets a moment (its owner may be writing it). */
async function readLegacyOwner(file: string): Promise<LockOwner | undefined> {
  const once = () => readOwnerFile(file).catch(() => undefined);
  const owner = await once();
  if (owner) return owner;
  await new Promise((r) => setTimeout(r, 100));
  return once();
}

async function exists(file: string): Promise<boolean> {
  return lstat(file).then(
    () => true,
    () => false,
  );
}

function ignore(...codes: string[]): (e: NodeJS.ErrnoException) => void {
  return (e) => {
    if (!codes.includes(e.code ?? '')) throw e;
  };
}
