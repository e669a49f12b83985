import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { Scalar } from './metrics-files.js';

/** Where sweeps live: `.orchestrator/sweeps/<sweep>/<variant id>/` is a variant's workspace. */
export function sweepsDir(root: string): string {
  return path.join(root, '.orchestrator', 'sweeps');
}
export function sweepDir(root: string, name: string): string {
  return path.join(sweepsDir(root), name);
}
export function variantRoot(root: string, sweep: string, id: string): string {
  return path.join(sweepDir(root, sweep), id);
}

export type VariantStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'interrupted';

export interface VariantRecord {
  id: string;
  /** Swept values by key label (`model.bits`, `other.yaml:x`). */
  params: Record<string, unknown>;
  /** Derived values by key label. */
  derived: Record<string, unknown>;
  /** The grids (and `variants`) of the sweep that contain this configuration. */
  grids?: string[];
  status: VariantStatus;
  started?: string;
  finished?: string;
  /** Wall time of the last run that did something (first stage start to last stage end; interleaved with other variants). */
  wallMs?: number;
  /** Seconds each stage's command took when this variant last executed it (restores take none). */
  stageSeconds?: Record<string, number>;
  /** Per stage: ran, restored, up to date, failed, cancelled, not run, not selected. */
  stages?: Record<string, string>;
  /** Why it failed: the stage, in words, the exit code and the last line the command wrote. */
  error?: { stage?: string; message: string; exitCode?: number; lastLine?: string; log?: string };
  /** Flattened metrics of the variant's `metrics:` files, read when it finished. */
  metrics?: Record<string, Scalar>;
}

/** `.orchestrator/sweeps/<name>/sweep.json`: the sweep as last run, one record per variant. */
export interface SweepRecord {
  version: 1;
  name: string;
  desc?: string;
  /** `pipeline` (declared in pipeline.yaml) or `command-line` (-S axes). */
  origin: 'pipeline' | 'command-line';
  /** The command that ran it, to repeat it. */
  argv: string[];
  /** `sweep run NAME TARGET...`: the stages it stopped at. */
  targets?: string[];
  /** Column aliases of the sweep's `columns:` (alias -> column). */
  columns?: { alias: string; column: string }[];
  /** The sweep's `metrics_files:`, read into `metrics` under their prefix. */
  metricsFiles?: { prefix: string; path: string; key?: string }[];
  /** Column order for tables: swept keys, then derived keys. */
  sweptKeys: string[];
  derivedKeys: string[];
  updated: string;
  /** pid of the run in progress (absent when finished): a dead pid means "interrupted". */
  pid?: number;
  variants: VariantRecord[];
}

export function sweepFile(root: string, name: string): string {
  return path.join(sweepDir(root, name), 'sweep.json');
}

export async function readSweep(root: string, name: string): Promise<SweepRecord | undefined> {
  try {
    return JSON.parse(await readFile(sweepFile(root, name), 'utf8')) as SweepRecord;
  } catch {
    return undefined;
  }
}

export async function listSweeps(root: string): Promise<SweepRecord[]> {
  const names = await readdir(sweepsDir(root)).catch(() => [] as string[]);
  const out: SweepRecord[] = [];
  for (const name of names.sort()) {
    const record = await readSweep(root, name);
    if (record) out.push(record);
  }
  return out;
}

/** Coalesced atomic writes of one sweep's record: the last write always carries the latest state. */
export class SweepRecordWriter {
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;

  constructor(
    private readonly root: string,
    readonly record: SweepRecord,
  ) {}

  save(): Promise<void> {
    this.dirty = true;
    this.writing = this.writing.then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      this.record.updated = new Date().toISOString();
      await writeFileAtomic(sweepFile(this.root, this.record.name), `${JSON.stringify(this.record, null, 2)}\n`, { durable: false });
    });
    return this.writing;
  }
}

/** A variant recorded as running by a process that is gone was interrupted (e.g. killed). */
export function effectiveStatus(record: SweepRecord, v: VariantRecord, alive: (pid: number) => boolean): VariantStatus {
  if ((v.status === 'running' || v.status === 'pending') && record.pid !== undefined && !alive(record.pid)) return 'interrupted';
  return v.status;
}

/** Every sweep variant's workspace here (a folder under a sweep's folder that holds a pipeline.lock). */
export async function listVariantWorkspaces(root: string): Promise<{ sweep: string; variant: string; root: string }[]> {
  const out: { sweep: string; variant: string; root: string }[] = [];
  for (const sweep of (await readdir(sweepsDir(root)).catch(() => [] as string[])).sort()) {
    const entries = await readdir(sweepDir(root, sweep), { withFileTypes: true }).catch(() => []);
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (!e.isDirectory() || e.name === 'sweep.lock') continue;
      const vroot = variantRoot(root, sweep, e.name);
      if (await stat(path.join(vroot, 'pipeline.lock')).then(() => true, () => false)) out.push({ sweep, variant: e.name, root: vroot });
    }
  }
  return out;
}
