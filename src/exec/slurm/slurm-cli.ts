import { loadExeca, loadedExeca } from '../../util/execa-module.js';

export type CliResult =
  | { ok: true; stdout: string; stderr: string }
  | { ok: false; missing: boolean; code: number | null; stdout: string; stderr: string; message: string };

/** How long one Slurm client call may take before it counts as failed (a busy controller answers slowly). */
const CALL_TIMEOUT_MS = 60_000;

/**
 * Runs one Slurm client command (sbatch, squeue, scontrol, scancel, sinfo). Never throws: a missing
 * binary, a non-zero exit and a timeout are results, and the caller decides what is transient.
 */
export async function slurmCall(command: string, args: readonly string[], env?: NodeJS.ProcessEnv, timeoutMs = CALL_TIMEOUT_MS): Promise<CliResult> {
  const { execa } = await loadExeca();
  const r = await execa(command, args, {
    env: env ?? process.env,
    extendEnv: false,
    stdin: 'ignore',
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
    reject: false,
    stripFinalNewline: false,
  });
  if (!r.failed) return { ok: true, stdout: r.stdout, stderr: r.stderr };
  const missing = r.code === 'ENOENT';
  const detail = r.stderr.trim().split('\n').filter((l) => l !== '').pop();
  const message = missing ? `${command} not found on PATH` : r.timedOut ? `${command} did not answer within ${timeoutMs / 1000} s` : detail || (r.shortMessage ?? `${command} failed`);
  return { ok: false, missing, code: r.exitCode ?? null, stdout: r.stdout, stderr: r.stderr, message };
}

/** Synchronous scancel, for the last moment before the process exits (a job was submitted, so execa is loaded). */
export function scancelNow(jobIds: readonly string[]): void {
  const execa = loadedExeca();
  if (jobIds.length === 0 || !execa) return;
  execa.execaSync('scancel', [...jobIds], { stdio: 'ignore', timeout: 10_000, reject: false });
}
