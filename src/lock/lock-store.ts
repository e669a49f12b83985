import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Diagnostic } from '../model/diagnostic.js';
import { err, ok, type Result } from '../model/result.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { parseLock, serializeLock, type LockEntryTextCache } from './lock-format.js';
import { LOCK_FILE, type LockEntry, type LockFile, type LockedOut } from './lock-types.js';
import { getOwn, setOwn } from '../util/null-record.js';

/**
 * The lock in memory plus its file. Every `save` rewrites the whole file atomically, keeping only
 * stages that still exist in the pipeline, and skips the write when the bytes would not change.
 */
export class LockStore {
  private constructor(
    private readonly file: string,
    private readonly data: LockFile,
    private lastText: string | undefined,
  ) {}

  private readonly texts: LockEntryTextCache = new Map();
  private known: ReadonlySet<string> = new Set();
  private dirty = false;
  private inFlight: Promise<void> | undefined;
  private failure: unknown;

  static async load(root: string): Promise<Result<LockStore, Diagnostic[]>> {
    const file = path.join(root, LOCK_FILE);
    let text: string | undefined;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        return err([{ code: 'file-unreadable', message: `${LOCK_FILE}: ${(e as Error).message}` }]);
      }
    }
    if (text === undefined) return ok(new LockStore(file, { stages: {} }, undefined));
    const parsed = parseLock(text);
    return parsed.ok ? ok(new LockStore(file, parsed.value, text)) : parsed;
  }

  get(stage: string): LockEntry | undefined {
    // Own entries only: a stage named `constructor` has no entry until one is set.
    return getOwn(this.data.stages, stage) as LockEntry | undefined;
  }

  /**
   * The stage's entry, with `persist` flags a schema-1 lock did not record set to what the stage
   * declares now. An unknown flag is never compared, so the entry already agrees with them; once
   * every entry knows its flags the lock is written as schema 2 and a later change is seen.
   */
  getAdoptingFlags(stage: { name: string; outs: ReadonlyArray<{ path: string; persist: boolean }> }): LockEntry | undefined {
    const entry = this.get(stage.name);
    if (!entry || entry.outs.every((o) => o.persist !== undefined)) return entry;
    const declared = new Map(stage.outs.map((o) => [o.path, o.persist]));
    const adopted = { ...entry, outs: entry.outs.map((o) => (o.persist !== undefined || !declared.has(o.path) ? o : { ...o, persist: declared.get(o.path)! })) };
    this.set(stage.name, adopted);
    return adopted;
  }

  set(stage: string, entry: LockEntry): void {
    setOwn(this.data.stages, stage, entry);
  }

  /**
   * Writes the lock, dropping entries of stages not in `known`. One write is in flight at a time and
   * the next one carries every change made meanwhile, so a burst of finishing stages costs a few
   * writes, never a stale snapshot landing last. The promise settles when the change is on disk.
   */
  save(known: ReadonlySet<string>): Promise<void> {
    this.known = known;
    this.dirty = true;
    this.inFlight ??= this.writeLoop().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  /** Waits for pending saves; rethrows a failed one (disk full, permissions) so the caller can report it. */
  async flush(): Promise<void> {
    await this.inFlight?.catch(() => undefined);
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      throw failure;
    }
  }

  private async writeLoop(): Promise<void> {
    while (this.dirty) {
      this.dirty = false;
      for (const name of Object.keys(this.data.stages)) if (!this.known.has(name)) delete this.data.stages[name];
      const text = serializeLock(this.data, this.texts);
      if (text === this.lastText) continue;
      try {
        await writeFileAtomic(this.file, text);
        this.lastText = text;
      } catch (e) {
        this.failure = e;
        throw e;
      }
    }
  }

  /** Every stage's outs (for gc). */
  outs(): LockedOut[] {
    return Object.values(this.data.stages).flatMap((e) => e.outs);
  }
}
