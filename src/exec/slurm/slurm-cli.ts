import { execFile, spawnSync } from 'node:child_process';

export type CliResult =
  | { ok: true; stdout: string; stderr: string }
  | { ok: false; missing: boolean; code: number | null; stdout: string; stderr: string; message: string };

/** How long one Slurm client call may take before it counts as failed (a busy controller answers slowly). */
const CALL_TIMEOUT_MS = 60_000;

/**
 * Runs one Slurm client command (sbatch, squeue, scontrol, scancel, sinfo). Never throws: a missing
 * binary, a non-zero exit and a timeout are results, and the caller decides what is transient.
 */
export function slurmCall(command: string, args: readonly string[], env?: NodeJS.ProcessEnv, timeoutMs = CALL_TIMEOUT_MS): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(command, args, { env: env ?? process.env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (!error) return resolve({ ok: true, stdout, stderr });
      const e = error as NodeJS.ErrnoException & { code?: string | number; killed?: boolean };
      const missing = e.code === 'ENOENT';
      const code = typeof e.code === 'number' ? e.code : null;
      const detail = (stderr || '').trim().split('\n').filter((l) => l !== '').pop();
      const message = missing ? `${command} not found on PATH` : e.killed ? `${command} did not answer within ${timeoutMs / 1000} s` : detail || e.message;
      resolve({ ok: false, missing, code, stdout: stdout ?? '', stderr: stderr ?? '', message });
    });
  });
}

/** Synchronous scancel, for the last moment before the process exits. */
export function scancelNow(jobIds: readonly string[]): void {
  if (jobIds.length === 0) return;
  spawnSync('scancel', [...jobIds], { stdio: 'ignore', timeout: 10_000 });
}
