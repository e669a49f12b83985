import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stageFileName } from '../../workspace/layout.js';
import { parseStatusFile, type ScriptStep } from '../slurm/job-script.js';

/**
 * A local execution's files: `.orchestrator/local/<run id>/<stage>.sh` (the script that runs it),
 * `.status` (its exit status, written by the script as its last act) and `.json` (its process group
 * and log, for a later run that adopts it). Removed once the execution is over.
 */
export interface LocalRunFiles {
  dir: string;
  script: string;
  status: string;
  record: string;
}

/** What a later run needs to adopt an execution: its process group and the log it writes. */
export interface LocalRunRecord {
  pgid: number;
  log: string;
}

export type ScriptStatus = { code: number; step: ScriptStep };

export function localRunFiles(root: string, runId: string, stage: string): LocalRunFiles {
  const dir = path.join(localRunsDir(root), runId);
  const stem = path.join(dir, stageFileName(stage));
  return { dir, script: `${stem}.sh`, status: `${stem}.status`, record: `${stem}.json` };
}

function localRunsDir(root: string): string {
  return path.join(root, '.orchestrator', 'local');
}

/** Writes the script, clearing what an earlier attempt of the same run and stage left. */
export function writeScript(files: LocalRunFiles, script: string): void {
  mkdirSync(files.dir, { recursive: true });
  rmSync(files.status, { force: true });
  rmSync(files.record, { force: true });
  writeFileSync(files.script, script);
}

/** Renamed into place: a reader never sees half a record. */
export function writeRecord(files: LocalRunFiles, record: LocalRunRecord): void {
  writeFileSync(`${files.record}.tmp`, JSON.stringify(record));
  renameSync(`${files.record}.tmp`, files.record);
}

export function readRecord(files: LocalRunFiles): LocalRunRecord | undefined {
  try {
    const value = JSON.parse(readFileSync(files.record, 'utf8')) as Partial<LocalRunRecord>;
    return Number.isInteger(value.pgid) && typeof value.log === 'string' ? { pgid: value.pgid!, log: value.log } : undefined;
  } catch {
    return undefined;
  }
}

export function readStatus(files: LocalRunFiles): ScriptStatus | undefined {
  try {
    return parseStatusFile(readFileSync(files.status, 'utf8'));
  } catch {
    return undefined;
  }
}

export function removeRunFiles(files: LocalRunFiles): void {
  for (const f of [files.script, files.status, files.record, `${files.record}.tmp`]) rmSync(f, { force: true });
  try {
    rmdirSync(files.dir);
  } catch {
    // Other stages of the run still have files here.
  }
}

/**
 * Removes the files of every execution a dead run left, except those whose process group is in
 * `keep` (the run adopts them). Called while holding the workspace, when no execution of its own runs.
 */
export function removeStaleRunFiles(root: string, keep: ReadonlySet<number>): void {
  const base = localRunsDir(root);
  for (const runId of safeList(base)) {
    const dir = path.join(base, runId);
    const stems = new Set(safeList(dir).map((f) => f.replace(/\.(sh|status|json)(\.tmp)?$/, '')));
    for (const stem of stems) {
      const files: LocalRunFiles = { dir, script: path.join(dir, `${stem}.sh`), status: path.join(dir, `${stem}.status`), record: path.join(dir, `${stem}.json`) };
      const record = readRecord(files);
      if (!record || !keep.has(record.pgid)) removeRunFiles(files);
    }
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
