import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { dirListingMd5, dvcHash, md5File, type DvcHash } from '../hash/dvc-md5.js';
import { isSafeRelativePath, manifestHash } from '../hash/manifest.js';
import type { ManifestEntry, PathHash } from '../hash/types.js';
import { dvcLockEntry, readDvcLock, type DvcLockEntry, type DvcLockedPath } from '../lock/dvc-lock.js';
import type { LockEntry, LockedOut } from '../lock/lock-types.js';
import type { EnvironmentObservation } from '../model/environment.js';
import type { Stage } from '../model/stage.js';
import { canonicalJson } from '../util/canonical-json.js';
import { lockEntry, lockedOut, lockedPath } from './outputs.js';
import type { Workspace } from './workspace.js';

/**
 * Reads DVC's `dvc.lock` for stages that have no entry in pipeline.lock yet, so a DVC project whose
 * outputs are up to date reruns nothing the first time it is used here. A stage is adopted only
 * when its dvc.lock entry names the same command, deps, params (values) and outs as the stage
 * declares now, and every dep and out hashes (DVC's md5, verified here against the workspace) to
 * what dvc.lock recorded; an out missing from the workspace may come from DVC's cache
 * (`.dvc/cache`, DVC 3's `files/md5/ab/cdef...` or DVC 2's `ab/cdef...`), verified by md5 too.
 *
 * In `write` mode (runs) the adopted entry goes into pipeline.lock, cached outs are stored in the
 * tool's cache (by sha256, so `checkout` can restore them), and dvc.lock is never read again for
 * that stage. In `read` mode (status) the entry is only computed: nothing is written.
 */
export class DvcLockReader {
  private readonly locks = new Map<string, Map<string, unknown> | undefined>();
  /** Objects (by sha256) verified in DVC's cache: in `read` mode, where a restore would take them from. */
  private readonly verifiedInDvcCache = new Set<string>();

  constructor(
    private readonly ws: Workspace,
    private readonly mode: 'read' | 'write',
  ) {}

  /** The pipeline.lock entry dvc.lock vouches for, or undefined (no dvc.lock entry, or anything differs). */
  async adopt(stage: Stage, environment: EnvironmentObservation, depHashes: ReadonlyMap<string, PathHash | undefined>, outHashes: ReadonlyMap<string, PathHash | undefined>): Promise<LockEntry | undefined> {
    if (!environment.ok || stage.tools) return undefined;
    const dvc = this.entryFor(stage);
    if (!dvc || !sameCmd(dvc.cmd, stage.cmd) || !samePaths(dvc.deps, stage.deps) || !samePaths(dvc.outs, stage.outs) || !sameParams(dvc, stage)) return undefined;
    for (const dep of dvc.deps) {
      if (!depHashes.get(dep.path) || !matches(await dvcHash(this.abs(dep.path), { dos2unix: dep.dos2unix }), dep)) return undefined;
    }
    const outs = await this.outs(stage, dvc, outHashes);
    if (!outs) return undefined;
    const deps = stage.deps.map((d) => lockedPath(d.path, depHashes.get(d.path)!));
    const entry = lockEntry(stage, environment.value, deps, outs);
    if (this.mode === 'write') this.ws.lock.set(stage.name, entry);
    return entry;
  }

  /** The stage's outs as dvc.lock records them (for `checkout` without a pipeline.lock entry); undefined when dvc.lock has no entry naming exactly its outs. */
  async outsOnly(stage: Stage): Promise<LockedOut[] | undefined> {
    const dvc = this.entryFor(stage);
    if (!dvc || !samePaths(dvc.outs, stage.outs)) return undefined;
    const outHashes = await this.ws.hasher.hashPaths(stage.outs.map((o) => o.path));
    return this.outs(stage, dvc, outHashes, true);
  }

  /**
   * Each out as it is in the workspace (when it matches dvc.lock's md5) or in DVC's cache. With
   * `fromCacheOnly`, an out the user changed is taken from DVC's cache (checkout decides what to
   * overwrite); otherwise a changed out means the stage is not up to date.
   */
  private async outs(stage: Stage, dvc: DvcLockEntry, outHashes: ReadonlyMap<string, PathHash | undefined>, fromCacheOnly = false): Promise<LockedOut[] | undefined> {
    const outs: LockedOut[] = [];
    for (const out of stage.outs) {
      const recorded = dvc.outs.find((o) => o.path === out.path)!;
      const flags = { ...(out.cache ? {} : { cache: false as const }), persist: out.persist };
      const current = outHashes.get(out.path);
      if (current && !fromCacheOnly) {
        if (!matches(await dvcHash(this.abs(out.path), { dos2unix: recorded.dos2unix }), recorded)) return undefined;
        if (this.mode === 'write' && out.cache) await this.ws.store.commit(this.abs(out.path), current);
        outs.push({ ...lockedOut(out.path, current), ...flags });
        continue;
      }
      if (!out.cache && !current) return undefined; // an uncached out that is gone cannot be brought back
      const imported = await this.importFromDvcCache(recorded);
      if (!imported) {
        if (fromCacheOnly && current) continue;
        return undefined;
      }
      this.verifiedInDvcCache.add(imported.hash);
      outs.push({ path: out.path, ...imported, ...(recorded.isexec ? { isexec: true } : {}), ...flags });
    }
    return outs;
  }

  /**
   * An adopted out's object is in DVC's cache, verified by md5 (whole: for a directory, the listing
   * and every file): a run in `write` mode would restore it from there. For `status`, which writes
   * nothing, so it shows "will restore" where a run would restore.
   */
  inDvcCache(hash: string): boolean {
    return this.verifiedInDvcCache.has(hash);
  }

  private entryFor(stage: Stage): DvcLockEntry | undefined {
    const qualified = /^(.*dvc\.yaml):(.+)$/.exec(stage.name);
    const file = qualified ? qualified[1]! : 'dvc.yaml';
    const name = qualified ? qualified[2]! : stage.name;
    const lockFile = file.replace(/dvc\.yaml$/, 'dvc.lock');
    if (!this.locks.has(lockFile)) {
      let text: string | undefined;
      try {
        text = readFileSync(this.abs(lockFile), 'utf8');
      } catch {
        text = undefined;
      }
      this.locks.set(lockFile, text === undefined ? undefined : readDvcLock(text));
    }
    const raw = this.locks.get(lockFile)?.get(name);
    return raw === undefined ? undefined : dvcLockEntry(raw, stage.wdir);
  }

  /** An object of DVC's cache, verified by md5 and (in write mode) stored in the tool's cache; its sha256 hash. */
  private async importFromDvcCache(recorded: DvcLockedPath): Promise<{ hash: string; size: number; nfiles?: number } | undefined> {
    const object = this.dvcObject(recorded.md5);
    if (!object) return undefined;
    if (!recorded.md5.endsWith('.dir')) {
      const file = await this.importFile(object, recorded.md5, recorded.dos2unix);
      return file && { hash: file.hash, size: file.size };
    }
    let listing: Array<{ md5?: unknown; relpath?: unknown }>;
    try {
      listing = JSON.parse(readFileSync(object, 'utf8')) as typeof listing;
    } catch {
      return undefined;
    }
    if (!Array.isArray(listing)) return undefined;
    const files = listing.map((e) => ({ md5: e.md5, relpath: e.relpath }));
    if (!files.every((f): f is { md5: string; relpath: string } => typeof f.md5 === 'string' && typeof f.relpath === 'string' && isSafeRelativePath(f.relpath))) return undefined;
    if (`${dirListingMd5(files)}.dir` !== recorded.md5) return undefined;
    const manifest: ManifestEntry[] = [];
    for (const f of files) {
      const fileObject = this.dvcObject(f.md5);
      const stored = fileObject && (await this.importFile(fileObject, f.md5, recorded.dos2unix));
      if (!stored) return undefined;
      manifest.push({ path: f.relpath, hash: stored.hash, size: stored.size });
    }
    manifest.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const hash = this.mode === 'write' ? await this.ws.store.putManifest(manifest) : manifestHash(manifest);
    return { hash, size: manifest.reduce((n, e) => n + e.size, 0), nfiles: manifest.length };
  }

  private async importFile(object: string, md5: string, dos2unix: boolean): Promise<{ hash: string; size: number } | undefined> {
    const sums = await md5AndSha256(object, dos2unix);
    if (sums.md5 !== md5) return undefined;
    if (this.mode === 'write') await this.ws.store.putFile(object, sums.sha256, sums.size);
    return { hash: sums.sha256, size: sums.size };
  }

  /** Where DVC 3 (`files/md5/ab/cdef...`) or DVC 2 (`ab/cdef...`) keeps an object, when it is there. */
  private dvcObject(md5: string): string | undefined {
    if (!/^[0-9a-f]{32}(\.dir)?$/.test(md5)) return undefined;
    const cache = path.join(this.ws.root, '.dvc', 'cache');
    for (const candidate of [path.join(cache, 'files', 'md5', md5.slice(0, 2), md5.slice(2)), path.join(cache, md5.slice(0, 2), md5.slice(2))]) {
      if (statSync(candidate, { throwIfNoEntry: false })?.isFile()) return candidate;
    }
    return undefined;
  }

  private abs(rel: string): string {
    return path.join(this.ws.root, rel);
  }
}

/** DVC's md5 of the object (dos2unix for DVC 2 text files) and the sha256 the tool stores it under. */
async function md5AndSha256(abs: string, dos2unix: boolean): Promise<{ md5: string; sha256: string; size: number }> {
  const sha = createHash('sha256');
  const md5 = createHash('md5');
  let size = 0;
  for await (const chunk of createReadStream(abs, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    sha.update(chunk);
    if (!dos2unix) md5.update(chunk);
    size += chunk.length;
  }
  return { md5: dos2unix ? await md5File(abs, true) : md5.digest('hex'), sha256: sha.digest('hex'), size };
}

function matches(actual: DvcHash | undefined, recorded: DvcLockedPath): boolean {
  return actual !== undefined && actual.md5 === recorded.md5;
}

/** DVC compares the rendered command; lines are compared without surrounding blank space. */
function sameCmd(recorded: readonly string[], declared: readonly string[]): boolean {
  const norm = (c: readonly string[]) => c.join('\n').trim();
  return norm(recorded) === norm(declared);
}

function samePaths(recorded: readonly DvcLockedPath[], declared: ReadonlyArray<{ path: string }>): boolean {
  const names = new Set(recorded.map((r) => r.path));
  return names.size === recorded.length && names.size === declared.length && declared.every((d) => names.has(d.path));
}

/** Every declared param has dvc.lock's value, and dvc.lock records no other key. */
function sameParams(dvc: DvcLockEntry, stage: Stage): boolean {
  const keysByFile = new Map<string, Set<string>>();
  for (const p of stage.params) {
    const recorded = dvc.params[p.file];
    if (!recorded) return false;
    if (p.key === '') {
      if (canonicalJson(recorded) !== canonicalJson(p.value)) return false;
      keysByFile.set(p.file, new Set(Object.keys(recorded)));
      continue;
    }
    if (!Object.hasOwn(recorded, p.key) || canonicalJson(recorded[p.key]) !== canonicalJson(p.value)) return false;
    keysByFile.set(p.file, (keysByFile.get(p.file) ?? new Set()).add(p.key));
  }
  for (const [file, recorded] of Object.entries(dvc.params)) {
    const keys = keysByFile.get(file);
    if (!keys || Object.keys(recorded).some((k) => !keys.has(k))) return false;
  }
  return true;
}
