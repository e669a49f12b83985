import { constants as fsc, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Pipeline } from '../model/stage.js';
import { mkdirp as mkdir, writeFileAtomic } from '../util/atomic-write.js';
import { mapLimit } from '../util/concurrency.js';
import { git } from './git.js';


/**
 * The project's input files: what a variant workspace gets linked. In a git repository that is what
 * git sees (tracked, plus untracked files that are not ignored, as DVC's experiment workspaces);
 * elsewhere every file. Plus each stage's existing deps (data is often git-ignored). Never the tool's
 * state, pipeline.lock, or anything at or under a stage's output: a variant builds its own outputs.
 */
export async function listInputFiles(root: string, pipeline: Pipeline, exclude: ReadonlySet<string>): Promise<string[]> {
  const files = new Set<string>((await gitFiles(root)) ?? (await walk(root, '')));
  for (const stage of pipeline.stages) for (const dep of stage.deps) for (const f of await walk(root, dep.path)) files.add(f);
  const outs = pipeline.stages.flatMap((s) => s.outs.map((o) => o.path));
  const isOutput = (f: string) => outs.some((o) => f === o || f.startsWith(`${o}/`));
  return [...files]
    .filter((f) => !(f === '.orchestrator' || f.startsWith('.orchestrator/') || f === '.git' || f.startsWith('.git/')))
    .filter((f) => f !== 'pipeline.lock' && !exclude.has(f) && !isOutput(f))
    .sort();
}

async function gitFiles(root: string): Promise<string[] | undefined> {
  try {
    const stdout = await git(root, ['ls-files', '-z', '--cached', '--others', '--exclude-standard']);
    // A tracked file deleted in the worktree is still listed: keep only what exists.
    const listed = stdout.split('\0').filter((f) => f !== '');
    const exists = await mapLimit(listed, 64, (f) => fsp.lstat(path.join(root, f)).then(() => true, () => false));
    return listed.filter((_, i) => exists[i]);
  } catch {
    return undefined;
  }
}

/** Files (and symlinks) at or under `rel`, root-relative; nothing when it does not exist. */
export async function walk(root: string, rel: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (r: string): Promise<void> => {
    let st;
    try {
      st = await fsp.lstat(path.join(root, r));
    } catch {
      return;
    }
    if (!st.isDirectory()) {
      if (r !== '') out.push(r);
      return;
    }
    if (r === '.orchestrator' || r === '.git') return;
    const entries = await fsp.readdir(path.join(root, r));
    for (const e of entries) await visit(r === '' ? e : `${r}/${e}`);
  };
  await visit(rel === '.' ? '' : rel);
  return out;
}

interface LinkedFile {
  /** The main workspace file's identity when it was linked: unchanged means nothing to do. */
  ino: number;
  size: number;
  mtimeMs: number;
  /** The variant's file right after linking; a file that no longer matches was replaced by a stage. */
  destIno: number;
}

interface LinkManifest {
  version: 1;
  files: Record<string, LinkedFile>;
}

export type LinkMode = 'reflink' | 'hardlink' | 'copy';

export interface SyncResult {
  linked: number;
  unchanged: number;
  removed: number;
  modes: Partial<Record<LinkMode, number>>;
}

/**
 * Makes `destRoot` hold the same input files as `srcRoot`: a copy-on-write reflink where the
 * filesystem has them, else a hardlink, else a copy. Never a symlink: it would point out of the
 * variant workspace and fail the workspace's path check. Files linked earlier and unchanged since
 * are left alone; inputs that disappeared are removed. `.orchestrator/sweep-inputs.json` remembers.
 */
export async function syncInputs(srcRoot: string, destRoot: string, files: readonly string[]): Promise<SyncResult> {
  const manifestFile = path.join(destRoot, '.orchestrator', 'sweep-inputs.json');
  const previous = await readManifest(manifestFile);
  const next: LinkManifest = { version: 1, files: {} };
  const result: SyncResult = { linked: 0, unchanged: 0, removed: 0, modes: {} };
  await mapLimit(files, 16, async (rel) => {
    const src = path.join(srcRoot, rel);
    const dest = path.join(destRoot, rel);
    const st = await fsp.lstat(src);
    const before = previous.files[rel];
    if (before && before.ino === st.ino && before.size === st.size && before.mtimeMs === st.mtimeMs) {
      const d = await fsp.lstat(dest).catch(() => undefined);
      if (d && d.ino === before.destIno) {
        next.files[rel] = before;
        result.unchanged++;
        return;
      }
    }
    await fsp.mkdir(path.dirname(dest), { recursive: true });
    await fsp.rm(dest, { force: true, recursive: true });
    let mode: LinkMode;
    if (st.isSymbolicLink()) {
      await fsp.symlink(await fsp.readlink(src), dest);
      mode = 'copy';
    } else {
      mode = await placeFile(src, dest);
    }
    result.modes[mode] = (result.modes[mode] ?? 0) + 1;
    const d = await fsp.lstat(dest);
    next.files[rel] = { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, destIno: d.ino };
    result.linked++;
  });
  for (const [rel, was] of Object.entries(previous.files)) {
    if (next.files[rel]) continue;
    const dest = path.join(destRoot, rel);
    const d = await fsp.lstat(dest).catch(() => undefined);
    // Only what we linked: a file a stage wrote there since is its business.
    if (d && d.ino === was.destIno) {
      await fsp.rm(dest, { force: true });
      result.removed++;
    }
  }
  await mkdir(path.dirname(manifestFile));
  await writeFileAtomic(manifestFile, `${JSON.stringify(next)}\n`, { durable: false });
  return result;
}

async function placeFile(src: string, dest: string): Promise<LinkMode> {
  try {
    await fsp.copyFile(src, dest, fsc.COPYFILE_FICLONE_FORCE);
    return 'reflink';
  } catch {
    // No reflinks here (ext4, tmpfs): share the inode instead.
  }
  try {
    await fsp.link(src, dest);
    return 'hardlink';
  } catch {
    // Another filesystem: copy.
  }
  await fsp.copyFile(src, dest);
  return 'copy';
}

async function readManifest(file: string): Promise<LinkManifest> {
  try {
    const parsed = JSON.parse(await fsp.readFile(file, 'utf8')) as LinkManifest;
    if (parsed.version === 1 && parsed.files) return parsed;
  } catch {
    // First sync, or an unreadable manifest: relink everything.
  }
  return { version: 1, files: {} };
}
