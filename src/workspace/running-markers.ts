import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { RunningMarker } from '../exec/executor.js';
import { writeFileAtomic } from '../util/atomic-write.js';

/** One journal line. `runId` of an `end` may name another (dead) run whose marker this run settled. */
type JournalEntry = ({ op: 'start' } & RunningMarker) | { op: 'end'; stage: string; runId: string };

const JOURNAL = /\.jsonl$/;
const COMPACTED = '0-compacted.jsonl';

/**
 * Which stages are running, kept so a crash can be noticed and cleaned up later: an append-only
 * journal per run (`<dir>/<run id>.jsonl`, one line when a stage starts, one when it ends). A stage
 * whose start has no end belongs to a run that is still going or that died. One small write per
 * event and no file per stage: markers sit on every stage's critical path.
 *
 * A single write(2) of a short line is never torn by a killed process; a torn line after a power
 * loss is skipped when reading, which at worst forgets that a stage was running (its outputs were
 * removed before it started, so it reruns anyway).
 */
export class RunningMarkers {
  private fd: number | undefined;

  constructor(
    private readonly dir: string,
    /** This run's id: names the journal this instance appends to. */
    private readonly runId = 'unknown',
  ) {}

  write(marker: RunningMarker): void {
    this.append({ op: 'start', ...marker });
  }

  /** This run's stage ended (whatever the outcome). */
  remove(stage: string): void {
    this.append({ op: 'end', stage, runId: this.runId });
  }

  /** A dead run's marker has been dealt with (its processes stopped, the stage rerun or left stale). */
  settle(marker: Pick<RunningMarker, 'stage' | 'runId'>): void {
    this.append({ op: 'end', stage: marker.stage, runId: marker.runId });
  }

  /** Closes this run's journal (it stays on disk until `compact` finds nothing running in it). */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** Markers of stages started and not ended, in every journal (live runs' and dead runs'). */
  async list(): Promise<RunningMarker[]> {
    return [...(await this.read()).pending.values()];
  }

  /**
   * Replaces every journal by one holding only what is still pending. Only for the workspace's one
   * writer (it holds the repro lock), before its own run starts. Crash-safe: the compacted file is
   * complete before the journals it replaces are removed, and reading both gives the same answer.
   */
  async compact(): Promise<void> {
    const { pending, files } = await this.read();
    if (files.length === 0 || (files.length === 1 && files[0] === COMPACTED && pending.size > 0)) return;
    if (pending.size > 0) {
      const lines = [...pending.values()].map((m) => JSON.stringify({ op: 'start', ...m }));
      await writeFileAtomic(path.join(this.dir, COMPACTED), `${lines.join('\n')}\n`, { durable: false });
    }
    for (const f of files) if (pending.size === 0 || f !== COMPACTED) await rm(path.join(this.dir, f), { force: true });
  }

  private append(entry: JournalEntry): void {
    if (this.fd === undefined) {
      mkdirSync(this.dir, { recursive: true });
      this.fd = openSync(path.join(this.dir, `${this.runId}.jsonl`), 'a');
    }
    writeSync(this.fd, `${JSON.stringify(entry)}\n`);
  }

  private async read(): Promise<{ pending: Map<string, RunningMarker>; files: string[] }> {
    let files: string[];
    try {
      files = (await readdir(this.dir)).filter((n) => JOURNAL.test(n)).sort();
    } catch {
      return { pending: new Map(), files: [] };
    }
    const pending = new Map<string, RunningMarker>();
    const ended = new Set<string>();
    for (const name of files) {
      const text = await readFile(path.join(this.dir, name), 'utf8').catch(() => '');
      for (const line of text.split('\n')) {
        const e = parseEntry(line);
        if (!e) continue;
        const k = key(e.runId, e.stage);
        if (e.op === 'start') {
          const { op: _op, ...marker } = e;
          pending.set(k, marker);
          ended.delete(k);
        } else if (pending.has(k)) {
          pending.delete(k);
        } else {
          // Settles a start in a journal read later (another run's): applied after all are read.
          ended.add(k);
        }
      }
    }
    for (const k of ended) pending.delete(k);
    return { pending, files };
  }
}

const key = (runId: string, stage: string) => `${runId}\0${stage}`;

function parseEntry(line: string): JournalEntry | undefined {
  if (line === '') return undefined;
  try {
    const e = JSON.parse(line) as Partial<JournalEntry> | null;
    if (!e || typeof e.stage !== 'string' || typeof e.runId !== 'string') return undefined;
    if (e.op === 'end') return e as JournalEntry;
    if (e.op === 'start' && typeof (e as RunningMarker).pid === 'number') return e as JournalEntry;
  } catch {
    // A torn last line (power loss): skipped.
  }
  return undefined;
}
