import { stat } from 'node:fs/promises';
import { CorruptObjectError, MissingObjectError, ObjectStore } from '../cache/object-store.js';
import { isDirHash } from '../hash/types.js';
import { parseLock } from '../lock/lock-format.js';
import { LOCK_FILE, type LockFile } from '../lock/lock-types.js';
import { workspaceLayout } from '../workspace/layout.js';
import { err, ok, type Result } from '../model/result.js';
import { git } from './git.js';
import { workspaceReader } from './metrics-files.js';
import { sweepDir, variantRoot } from './state.js';


/** What a diff compares: the workspace, a git revision, or a sweep variant's workspace. */
export type Ref = { kind: 'workspace'; label: string } | { kind: 'git'; rev: string; label: string } | { kind: 'variant'; sweep: string; id: string; root: string; label: string };

/**
 * `workspace` (or `.`), `SWEEP/VARIANT` when SWEEP is a sweep that has run here, else a git
 * revision (`HEAD`, `HEAD~2`, a tag or commit), checked to exist.
 */
export async function resolveRef(root: string, text: string): Promise<Result<Ref, string>> {
  if (text === 'workspace' || text === '.') return ok({ kind: 'workspace', label: 'workspace' });
  const slash = text.indexOf('/');
  if (slash > 0) {
    const sweep = text.slice(0, slash);
    const id = text.slice(slash + 1);
    if (await exists(sweepDir(root, sweep))) {
      const vroot = variantRoot(root, sweep, id);
      if (!(await exists(vroot))) return err(`sweep "${sweep}" has no variant "${id}" (see orchestrator sweep show ${sweep})`);
      return ok({ kind: 'variant', sweep, id, root: vroot, label: text });
    }
  }
  try {
    await git(root, ['rev-parse', '--verify', '--quiet', `${text}^{commit}`]);
    return ok({ kind: 'git', rev: text, label: text });
  } catch {
    const inRepo = await git(root, ['rev-parse', '--is-inside-work-tree']).then(
      () => true,
      () => false,
    );
    return err(
      inRepo
        ? `"${text}" is neither a git revision nor SWEEP/VARIANT of a sweep run here`
        : `"${text}": not a git repository, and not SWEEP/VARIANT of a sweep run here (compare two variants: SWEEP/A SWEEP/B)`,
    );
  }
}

/** Reads a root-relative file as it is at `ref`; undefined when it does not exist there. */
export function refReader(root: string, ref: Ref): (rel: string) => Promise<string | undefined> {
  switch (ref.kind) {
    case 'workspace':
      return workspaceReader(root);
    case 'variant':
      return workspaceReader(ref.root);
    case 'git': {
      // `REV:./path` is relative to the cwd, so a project in a subdirectory of the repository works.
      const show = (rel: string) => git(root, ['show', `${ref.rev}:./${rel}`]).catch(() => undefined);
      let lockAtRev: Promise<LockFile | undefined> | undefined;
      const store = new ObjectStore(workspaceLayout(root).cache);
      return async (rel) => {
        const text = await show(rel);
        if (text !== undefined) return text;
        // Outputs are usually git-ignored (build/): the lock committed at REV names their bytes.
        lockAtRev ??= show(LOCK_FILE).then((t) => {
          const parsed = t === undefined ? undefined : parseLock(t);
          return parsed?.ok ? parsed.value : undefined;
        });
        const lock = await lockAtRev;
        return lock && readLockedFromCache(store, lock, rel, ref.rev);
      };
    }
  }
}

/**
 * The bytes the lock records for the output `rel`, read from the cache and verified against the
 * hash; undefined when the lock does not name it. Throws, with a sentence saying why, when it is
 * named but cannot be read: not cached, gone from the cache, or corrupt (then quarantined).
 */
async function readLockedFromCache(store: ObjectStore, lock: LockFile, rel: string, rev: string): Promise<string | undefined> {
  const out = Object.values(lock.stages)
    .flatMap((e) => e.outs)
    .find((o) => o.path === rel);
  if (!out || isDirHash(out.hash)) return undefined;
  if (out.cache === false) throw new Error(`not in git at ${rev}, and not cached (cache: false)`);
  try {
    return (await store.readFileVerified(out.hash)).toString('utf8');
  } catch (e) {
    if (e instanceof MissingObjectError) throw new Error(`not in git at ${rev}, and its cached bytes are gone (gc?)`);
    if (e instanceof CorruptObjectError) throw new Error(`not in git at ${rev}; ${e.message}`);
    throw e;
  }
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}
