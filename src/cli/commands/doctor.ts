import { loadPipeline } from '../../config/load.js';
import { collectPipelineFiles } from '../../config/pipeline-files.js';
import { fsProjectFiles } from '../../config/project-files.js';
import type { CheckResult, DoctorContext } from '../../doctor/check.js';
import { doctorCheckLoaders } from '../../doctor/registry.js';
import { renderDiagnostic } from '../../ui/diagnostics.js';
import { EXIT, type Io } from '../io.js';

export interface DoctorFlags {
  json: boolean;
  /** Also submit a tiny Slurm probe job (workspace visible from the nodes?). */
  slurm?: boolean;
}

/**
 * Runs every registered check and prints one table. Exit 0 when nothing failed (warnings and skipped
 * rows do not count), 1 otherwise. An invalid pipeline.yaml is itself a failed row; its diagnostics
 * go to stderr and the checks that need no pipeline still run.
 */
export async function doctorCommand(root: string, flags: DoctorFlags, io: Io): Promise<number> {
  const rows: CheckResult[] = [];
  const files = fsProjectFiles(root);
  let pipeline: DoctorContext['pipeline'];
  const pipelineFiles = collectPipelineFiles(root);
  // pipeline.yaml, or a DVC project's dvc.yaml files (named as one row either way).
  const rowName = pipelineFiles[0] === undefined || pipelineFiles[0] === 'pipeline.yaml' ? 'pipeline.yaml' : 'dvc.yaml';
  if (pipelineFiles.length === 0) {
    rows.push({ name: rowName, status: 'skip', detail: `none in ${root}; only checks that need no pipeline ran` });
  } else {
    // As every other command: `${env.NAME}` reads this process's environment.
    const loaded = loadPipeline(files, { env: process.env, pipelineFiles });
    if (loaded.ok) {
      pipeline = loaded.value;
      const inFiles = rowName === 'dvc.yaml' ? ` in ${pipelineFiles.length} dvc.yaml file${pipelineFiles.length === 1 ? '' : 's'}` : '';
      rows.push({ name: rowName, status: 'ok', detail: `${pipeline.stages.length} stage${pipeline.stages.length === 1 ? '' : 's'}${inFiles}` });
      const inert = pipeline.inertKeys ?? [];
      if (inert.length > 0) rows.push({ name: 'DVC keys', status: 'warn', detail: `accepted as in DVC, without effect here: ${inert.join(', ')}`, hint: 'see "DVC compatibility" in the README' });
    } else {
      for (const d of loaded.error) io.err(`${renderDiagnostic(d, files)}\n`);
      rows.push({ name: rowName, status: 'fail', detail: `${loaded.error.length} error${loaded.error.length === 1 ? '' : 's'} (shown above)`, hint: 'fix them; checks that need the pipeline were skipped' });
    }
  }

  const ctx: DoctorContext = { root, pipeline, env: process.env, slurmProbe: flags.slurm === true };
  for (const load of doctorCheckLoaders) {
    try {
      rows.push(...(await (await load())(ctx)));
    } catch (e) {
      rows.push({ name: 'doctor check', status: 'fail', detail: `internal error: ${(e as Error).message}` });
    }
  }

  const ok = rows.every((r) => r.status !== 'fail');
  if (flags.json) io.out(`${JSON.stringify({ ok, checks: rows }, null, 2)}\n`);
  else io.out(renderTable(rows));
  return ok ? EXIT.ok : EXIT.failed;
}

const MARK: Record<CheckResult['status'], string> = { ok: '✓', fail: '✗', warn: '!', skip: '-' };

/** `✓ name  detail`, names padded to one column, hints on their own line under the detail. */
export function renderTable(rows: readonly CheckResult[]): string {
  const width = Math.max(0, ...rows.map((r) => r.name.length));
  const lines: string[] = [];
  for (const r of rows) {
    lines.push(`${MARK[r.status]} ${r.name.padEnd(width)}  ${r.detail}`);
    if (r.hint && (r.status === 'fail' || r.status === 'warn')) lines.push(`  ${' '.repeat(width)}  hint: ${r.hint}`);
  }
  const failed = rows.filter((r) => r.status === 'fail').length;
  lines.push('', failed === 0 ? 'All checks passed.' : `${failed} check${failed === 1 ? '' : 's'} failed.`);
  return `${lines.join('\n')}\n`;
}
