/**
 * Writes a dvc.lock as DVC 3 writes one (schema '2.0', `hash: md5`, md5 of files and of DVC's
 * `.dir` listings, paths relative to the stage's wdir), from the workspace as it is. Real DVC is
 * not installable on this machine; the md5 rules are dvc-data's (see src/hash/dvc-md5.ts), checked
 * against Python's hashlib/json in test/integration/dvc-project.test.ts.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { dvcHash } from '../../src/hash/dvc-md5.js';

export interface DvcLockStage {
  cmd: string | string[];
  /** Relative to `wdir` (default: the folder of the lock). */
  deps?: string[];
  outs?: string[];
  /** file -> key -> value, as dvc.lock records params. */
  params?: Record<string, Record<string, unknown>>;
  wdir?: string;
}

/** `lockDir` is the folder of dvc.yaml/dvc.lock, relative to `root`. */
export async function writeDvcLock(root: string, lockDir: string, stages: Record<string, DvcLockStage>, opts: { dvc2?: boolean } = {}): Promise<void> {
  const doc: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(stages)) {
    const wdir = path.join(root, lockDir, s.wdir ?? '.');
    const entry: Record<string, unknown> = { cmd: s.cmd };
    const paths = async (list: string[]) =>
      Promise.all(
        list.map(async (p) => {
          const h = await dvcHash(path.join(wdir, p), { dos2unix: !!opts.dvc2 });
          if (!h) throw new Error(`writeDvcLock: ${p} does not exist`);
          // DVC's Meta records `isexec: true` for an executable file.
          const isexec = h.nfiles === undefined && (statSync(path.join(wdir, p)).mode & 0o100) !== 0;
          return { path: p, ...(opts.dvc2 ? {} : { hash: 'md5' }), md5: h.md5, size: h.size, ...(h.nfiles !== undefined ? { nfiles: h.nfiles } : {}), ...(isexec ? { isexec: true } : {}) };
        }),
      );
    if (s.deps?.length) entry.deps = await paths(s.deps);
    if (s.params) entry.params = s.params;
    if (s.outs?.length) entry.outs = await paths(s.outs);
    doc[name] = entry;
  }
  writeFileSync(path.join(root, lockDir, 'dvc.lock'), stringify({ schema: '2.0', stages: doc }));
}

/** Puts a workspace file into DVC's cache as DVC 3 (`files/md5/ab/cdef`) or DVC 2 (`ab/cdef`) stores it; returns its md5. */
export function putInDvcCache(root: string, bytes: Buffer, layout: 3 | 2, suffix = ''): string {
  const md5 = createHash('md5').update(bytes).digest('hex') + suffix;
  const dir = path.join(root, '.dvc', 'cache', ...(layout === 3 ? ['files', 'md5'] : []), md5.slice(0, 2));
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, md5.slice(2)), bytes);
  return md5;
}

/** A directory into DVC's cache: every file, then the `.dir` listing (Python json.dumps with sort_keys). */
export function putDirInDvcCache(root: string, relDir: string, files: string[], layout: 3 | 2): string {
  const listing = files.sort().map((f) => ({ md5: putInDvcCache(root, readFileSync(path.join(root, relDir, f)), layout), relpath: f }));
  const text = `[${listing.map((e) => `{"md5": "${e.md5}", "relpath": "${e.relpath}"}`).join(', ')}]`;
  return putInDvcCache(root, Buffer.from(text), layout, '.dir');
}
