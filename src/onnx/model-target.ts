import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ObjectStore } from '../cache/object-store.js';
import { isDirHash, type ManifestEntry } from '../hash/types.js';
import { parseLock } from '../lock/lock-format.js';
import { LOCK_FILE, type LockedOut } from '../lock/lock-types.js';
import { err, ok, type Result } from '../model/result.js';
import type { Stage } from '../model/stage.js';
import { git } from '../sweep/git.js';
import { listVariantWorkspaces } from '../sweep/state.js';
import { workspaceLayout } from '../workspace/layout.js';
import { directoryFiles, type ModelFiles } from './inspect-model.js';

/** A model to inspect: where its files come from and its path among them. */
export interface ModelTarget {
  files: ModelFiles;
  rel: string;
  /** What the user named, resolved: "hw (build/hw/model.onnx)", "hw@HEAD~1 (...)". */
  label: string;
}

/** The file name FINN-T stages give their ONNX output inside their output directory. */
const STAGE_MODEL = 'model.onnx';

const isFile = (p: string) => stat(p).then((s) => s.isFile(), () => false);

/**
 * What `inspect` accepts, first match wins:
 * - a path to a file (relative to the root);
 * - STAGE: the stage's ONNX output in the workspace (an out ending in .onnx, or model.onnx inside a
 *   directory out);
 * - STAGE@REV: the same output as pipeline.lock at git revision REV recorded it, read from the
 *   cache (each object verified before it is read);
 * - SWEEP/VARIANT/STAGE or VARIANT/STAGE: the stage's output in a sweep variant's workspace.
 */
export async function resolveModelTarget(root: string, text: string, stages: () => Stage[] | undefined): Promise<Result<ModelTarget, string>> {
  const abs = path.resolve(root, text);
  if (await isFile(abs)) return ok({ files: directoryFiles(path.dirname(abs), path.dirname(text)), rel: path.basename(abs), label: text });
  const all = stages();
  if (!all) return err(`${text}: no such file (and no pipeline here to name a stage)`);
  const byName = new Map(all.map((s) => [s.name, s]));
  const direct = byName.get(text);
  if (direct) return stageInWorkspace(root, direct, text);
  const at = text.lastIndexOf('@');
  if (at > 0 && byName.has(text.slice(0, at))) return stageAtRevision(root, byName.get(text.slice(0, at))!, text.slice(at + 1));
  const parts = text.split('/');
  if (parts.length === 2 || parts.length === 3) {
    const stage = byName.get(parts[parts.length - 1]!);
    if (stage) {
      const [sweep, variant] = parts.length === 3 ? [parts[0], parts[1]] : [undefined, parts[0]];
      const found = (await listVariantWorkspaces(root)).filter((v) => v.variant === variant && (sweep === undefined || v.sweep === sweep));
      if (found.length === 1) return stageInWorkspace(found[0]!.root, stage, text);
      if (found.length > 1) return err(`${text}: variant "${variant}" is in several sweeps (${found.map((f) => f.sweep).join(', ')}): write SWEEP/${variant}/${stage.name}`);
      return err(`${text}: no sweep variant "${variant}"${sweep ? ` in sweep "${sweep}"` : ''} (see orchestrator sweep show)`);
    }
  }
  return err(`${text}: no such file, and not a stage (${[...byName.keys()].slice(0, 12).join(', ')}), STAGE@REV or SWEEP/VARIANT/STAGE`);
}

function onnxOut(stage: Stage): string[] {
  return stage.outs.filter((o) => o.kind === 'out').map((o) => o.path);
}

async function stageInWorkspace(root: string, stage: Stage, label: string): Promise<Result<ModelTarget, string>> {
  const outs = onnxOut(stage);
  for (const out of outs) {
    const abs = path.resolve(root, out);
    if (out.endsWith('.onnx') && (await isFile(abs))) return ok({ files: directoryFiles(path.dirname(abs), path.dirname(out)), rel: path.basename(out), label: `${label} (${out})` });
    if (await isFile(path.join(abs, STAGE_MODEL))) return ok({ files: directoryFiles(abs, out), rel: STAGE_MODEL, label: `${label} (${out}/${STAGE_MODEL})` });
  }
  return err(`${label}: stage ${stage.name} has no ONNX output here (looked for ${outs.map((o) => (o.endsWith('.onnx') ? o : `${o}/${STAGE_MODEL}`)).join(', ') || 'outs'}; run it first?)`);
}

async function stageAtRevision(root: string, stage: Stage, rev: string): Promise<Result<ModelTarget, string>> {
  const label = `${stage.name}@${rev}`;
  const lockText = await git(root, ['show', `${rev}:./${LOCK_FILE}`]).catch(() => undefined);
  if (lockText === undefined) {
    const known = await git(root, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]).then(() => true, () => false);
    return err(known ? `${label}: no ${LOCK_FILE} committed at ${rev}` : `${label}: "${rev}" is not a git revision here`);
  }
  const lock = parseLock(lockText);
  if (!lock.ok) return err(`${label}: ${LOCK_FILE} at ${rev} cannot be read (${lock.error[0]?.message ?? 'invalid'})`);
  const entry = lock.value.stages[stage.name];
  if (!entry) return err(`${label}: ${LOCK_FILE} at ${rev} has no entry for stage ${stage.name}`);
  const store = new ObjectStore(workspaceLayout(root).cache);
  for (const out of entry.outs) {
    if (!isDirHash(out.hash)) {
      if (out.path.endsWith('.onnx')) return ok({ files: cachedFiles(store, label, out, [{ path: path.posix.basename(out.path), hash: out.hash, size: out.size }]), rel: path.posix.basename(out.path), label: `${label} (${out.path})` });
      continue;
    }
    let manifest: ManifestEntry[];
    try {
      manifest = await store.readManifest(out.hash, out.path);
    } catch (e) {
      return err(`${label}: ${out.path}: ${(e as Error).message}`);
    }
    if (manifest.some((m) => m.path === STAGE_MODEL)) return ok({ files: cachedFiles(store, label, out, manifest), rel: STAGE_MODEL, label: `${label} (${out.path}/${STAGE_MODEL})` });
  }
  return err(`${label}: the lock at ${rev} records no ONNX output for ${stage.name}`);
}

/** The files of a locked output, served from the cache: each object is re-hashed before it is read. */
function cachedFiles(store: ObjectStore, label: string, out: LockedOut, manifest: ManifestEntry[]): ModelFiles {
  const byPath = new Map(manifest.map((m) => [m.path, m]));
  const base = isDirHash(out.hash) ? out.path : path.posix.dirname(out.path);
  return {
    async locate(rel) {
      const m = byPath.get(path.posix.normalize(rel));
      if (!m) return undefined;
      const problem = await store.inspect(m.hash, m.size);
      if (problem?.kind === 'missing') throw new CachedFileError(`${label}: ${base}/${rel}: not in the cache (removed by gc?)`);
      if (problem) throw new CachedFileError((await store.reject(m.hash, `${base}/${rel}`, problem.problem)).message);
      return store.objectPath(m.hash);
    },
    display: (rel) => `${label}:${path.posix.join(base, rel)}`,
  };
}

/** A locked file that is gone from the cache or corrupt: the inspect fails with this message (exit 1). */
export class CachedFileError extends Error {}
