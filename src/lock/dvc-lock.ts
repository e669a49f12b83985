import path from 'node:path';
import { yamlLib } from '../util/yaml-lib.js';

/** A dep or out as DVC recorded it in dvc.lock. */
export interface DvcLockedPath {
  /** Root-relative POSIX path (dvc.lock paths are relative to the stage's wdir; resolved here). */
  path: string;
  /** md5 hex; directories end in `.dir` (md5 of DVC's JSON listing). */
  md5: string;
  size?: number;
  nfiles?: number;
  /** A file DVC recorded as executable (`isexec: true`). */
  isexec?: true;
  /** DVC 2 entries (no `hash: md5` field) hashed text files after CRLF → LF conversion. */
  dos2unix: boolean;
}

/** One stage of dvc.lock, paths resolved against the stage's wdir. */
export interface DvcLockEntry {
  cmd: string[];
  deps: DvcLockedPath[];
  outs: DvcLockedPath[];
  /** Root-relative params file -> key (dotted, as declared) or the whole file's top-level keys -> value. */
  params: Record<string, Record<string, unknown>>;
}

/**
 * The stages of a dvc.lock (schema '2.0' as written by DVC 2 and 3, or DVC 1's schema-less form),
 * still raw, by name; undefined when the file is not a lock DVC could have written.
 */
export function readDvcLock(text: string): Map<string, unknown> | undefined {
  let data: unknown;
  try {
    data = yamlLib().parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(data)) return undefined;
  const stages = data.schema === undefined ? data : data.stages;
  return isRecord(stages) ? new Map(Object.entries(stages)) : undefined;
}

/**
 * One raw dvc.lock stage with its paths made root-relative (dvc.lock paths are relative to the
 * stage's `wdir`). Anything of an unexpected shape gives undefined: that stage is simply not
 * adopted and runs, never trusted half-read.
 */
export function dvcLockEntry(raw: unknown, wdir: string): DvcLockEntry | undefined {
  if (!isRecord(raw)) return undefined;
  const cmd = typeof raw.cmd === 'string' ? [raw.cmd] : Array.isArray(raw.cmd) && raw.cmd.every((c) => typeof c === 'string') ? (raw.cmd as string[]) : undefined;
  const deps = lockedPaths(raw.deps, wdir);
  const outs = lockedPaths(raw.outs, wdir);
  if (!cmd || !deps || !outs) return undefined;
  const params: Record<string, Record<string, unknown>> = {};
  if (isRecord(raw.params)) {
    for (const [file, values] of Object.entries(raw.params)) if (isRecord(values)) params[join(wdir, file)] = values;
  }
  return { cmd, deps, outs, params };
}

function lockedPaths(raw: unknown, wdir: string): DvcLockedPath[] | undefined {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) return undefined;
  const result: DvcLockedPath[] = [];
  for (const item of raw) {
    if (!isRecord(item) || typeof item.path !== 'string' || typeof item.md5 !== 'string') return undefined;
    const p: DvcLockedPath = { path: join(wdir, item.path), md5: item.md5, dos2unix: item.hash !== 'md5' };
    if (typeof item.size === 'number') p.size = item.size;
    if (typeof item.nfiles === 'number') p.nfiles = item.nfiles;
    if (item.isexec === true) p.isexec = true;
    result.push(p);
  }
  return result;
}

/** wdir + a dvc.lock path, normalized, without the trailing `/` DVC keeps on directories. */
function join(wdir: string, p: string): string {
  const joined = path.posix.normalize(path.posix.join(wdir, p));
  return joined.length > 1 && joined.endsWith('/') ? joined.slice(0, -1) : joined;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
