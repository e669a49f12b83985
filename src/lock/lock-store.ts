import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Diagnostic } from '../model/diagnostic.js';
import { err, ok, type Result } from '../model/result.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { parseLock, serializeLock } from './lock-format.js';
import { LOCK_FILE, type LockEntry, type LockFile } from './lock-types.js';

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

  /** Saves run one after another: two renames racing could otherwise land an older snapshot last. */
  private saving: Promise<void> = Promise.resolve();

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
    return this.data.stages[stage];
  }

  set(stage: string, entry: LockEntry): void {
    this.data.stages[stage] = entry;
  }

  /** Writes the lock, dropping entries of stages not in `known`. */
  save(known: ReadonlySet<string>): Promise<void> {
    const next = this.saving.then(async () => {
      for (const name of Object.keys(this.data.stages)) if (!known.has(name)) delete this.data.stages[name];
      const text = serializeLock(this.data);
      if (text === this.lastText) return;
      await writeFileAtomic(this.file, text);
      this.lastText = text;
    });
    this.saving = next.catch(() => undefined);
    return next;
  }

  /** Every hash any stage's outs reference (for gc). */
  outHashes(): string[] {
    return Object.values(this.data.stages).flatMap((e) => e.outs.map((o) => o.hash));
  }
}
