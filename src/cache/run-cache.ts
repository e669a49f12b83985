import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomicSync } from '../util/atomic-write.js';
import { makeSharedDirsSync } from './shared-dirs.js';

export interface RunCacheOut {
  path: string;
  hash: string;
  size: number;
  nfiles?: number;
  /** A file output that was executable (see LockedOut.isexec). */
  isexec?: true;
}

/** An output as a run-cache entry keeps it: these fields only, optional ones only when set. */
export function runCacheOut(o: RunCacheOut): RunCacheOut {
  return { path: o.path, hash: o.hash, size: o.size, ...(o.nfiles !== undefined ? { nfiles: o.nfiles } : {}), ...(o.isexec === true ? { isexec: true } : {}) };
}

/** What a stage produced for a given fingerprint, so the same run can be restored instead of repeated. */
export interface RunCacheEntry {
  /** Hash of the stage fingerprint. */
  key: string;
  stage: string;
  fingerprint: string;
  outs: RunCacheOut[];
  /** ISO timestamp. */
  created: string;
}

const KEY_RE = /^[0-9A-Za-z_-]{2,128}$/;

const pendingByDir = new Map<string, Map<string, RunCacheEntry>>();

/**
 * Entries at `<cacheDir>/runs/<key[0:2]>/<key>.json`, written atomically. Entries are small and looked
 * up once per stage, so reads and writes are synchronous (no thread-pool round trips per stage).
 */
export class RunCache {
  readonly runsDir: string;
  /**
   * Entries recorded but not written yet (see `record`), readable by `get` all the same, also
   * through another instance on the same directory (sweep variants share one cache).
   */
  private readonly pending: Map<string, RunCacheEntry>;
  private writeScheduled = false;

  constructor(
    readonly cacheDir: string,
    /** `cache.shared = group`: folders and entries writable by the group. */
    private readonly shared = false,
  ) {
    this.runsDir = path.join(cacheDir, 'runs');
    let pending = pendingByDir.get(this.runsDir);
    if (!pending) pendingByDir.set(this.runsDir, (pending = new Map()));
    this.pending = pending;
  }

  entryPath(key: string): string {
    if (!KEY_RE.test(key)) throw new Error(`not a valid run-cache key: ${JSON.stringify(key)}`);
    return path.join(this.runsDir, key.slice(0, 2), `${key}.json`);
  }

  /** Absent, unreadable and corrupt entries all read as undefined: the run cache is an optimisation. */
  async get(key: string): Promise<RunCacheEntry | undefined> {
    const pending = this.pending.get(key);
    if (pending) return pending;
    const file = this.entryPath(key);
    // A miss is the common case on a first run: checked without the cost of a thrown ENOENT.
    if (!existsSync(file)) return undefined;
    try {
      const entry = parseEntry(readFileSync(file, 'utf8'));
      return entry?.key === key ? entry : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Records an entry now and writes it once the current burst of work is done (before the next
   * turn of the event loop's I/O): a stage's successor starts without waiting for this file. An
   * entry lost to a crash only costs a rerun. `flush` writes what is still pending.
   */
  record(entry: RunCacheEntry): void {
    this.pending.set(entry.key, entry);
    if (this.writeScheduled) return;
    this.writeScheduled = true;
    setImmediate(() => this.flush());
  }

  /** Writes recorded entries; one that cannot be written is dropped (the run cache is an optimisation). */
  flush(): void {
    this.writeScheduled = false;
    for (const [key, entry] of this.pending) {
      this.pending.delete(key);
      try {
        this.putSync(entry);
      } catch {
        // disk full, permissions: a later run simply misses this entry
      }
    }
  }

  async put(entry: RunCacheEntry): Promise<void> {
    this.putSync(entry);
  }

  private putSync(entry: RunCacheEntry): void {
    const file = this.entryPath(entry.key);
    const doc = {
      key: entry.key,
      stage: entry.stage,
      fingerprint: entry.fingerprint,
      outs: entry.outs.map(runCacheOut),
      created: entry.created,
    };
    const text = `${JSON.stringify(doc, null, 2)}\n`;
    const mode = this.shared ? 0o664 : 0o644;
    try {
      writeFileAtomicSync(file, text, { durable: false, mode });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      makeSharedDirsSync(path.dirname(file), this.shared);
      writeFileAtomicSync(file, text, { durable: false, mode });
    }
  }

  async *list(): AsyncIterable<RunCacheEntry> {
    const prefixes = await fsp.readdir(this.runsDir).catch(() => [] as string[]);
    for (const prefix of prefixes.sort()) {
      const names = await fsp.readdir(path.join(this.runsDir, prefix)).catch(() => [] as string[]);
      for (const name of names.sort()) {
        if (!name.endsWith('.json')) continue;
        const entry = await this.get(name.slice(0, -'.json'.length)).catch(() => undefined);
        if (entry) yield entry;
      }
    }
  }

  async remove(key: string): Promise<void> {
    await fsp.rm(this.entryPath(key), { force: true });
  }
}

/** An entry's JSON, checked field by field; undefined when it is not a well-formed entry. */
export function parseEntry(text: string): RunCacheEntry | undefined {
  const d = JSON.parse(text) as Partial<RunCacheEntry> | null;
  if (!d || typeof d.key !== 'string' || typeof d.stage !== 'string' || typeof d.fingerprint !== 'string') return undefined;
  if (typeof d.created !== 'string' || !Array.isArray(d.outs)) return undefined;
  const outs: RunCacheOut[] = [];
  for (const o of d.outs as Array<Partial<RunCacheOut> | null>) {
    if (!o || typeof o.path !== 'string' || typeof o.hash !== 'string' || typeof o.size !== 'number') return undefined;
    if (o.nfiles !== undefined && typeof o.nfiles !== 'number') return undefined;
    outs.push(runCacheOut(o as RunCacheOut));
  }
  return { key: d.key, stage: d.stage, fingerprint: d.fingerprint, outs, created: d.created };
}
