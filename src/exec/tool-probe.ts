import path from 'node:path';
import type { Stage } from '../model/stage.js';
import { loadExeca } from '../util/execa-module.js';
import type { ToolProbeOutcome } from './executor.js';

/** Longest a version command may take: a probe that hangs (a license server, a prompt) must not hang the run. */
const PROBE_TIMEOUT_MS = 120_000;

/**
 * Runs a `tools:` command on this machine with `shell` (`sh`, or `bash` for a Slurm stage's setup
 * lines) in the stage's wdir, with the caller's environment plus the stage's declared env, stdin
 * closed. Stdout is the version text; a failure keeps stdout and stderr for the message.
 */
export async function probeOnThisHost(opts: { stage: Stage; root: string; script: string; shell: 'sh' | 'bash'; signal?: AbortSignal }): Promise<ToolProbeOutcome> {
  const { execa } = await loadExeca();
  const r = await execa(opts.shell, ['-c', opts.script], {
    cwd: path.join(opts.root, opts.stage.wdir),
    env: { ...opts.stage.env },
    stdin: 'ignore',
    reject: false,
    all: true,
    timeout: PROBE_TIMEOUT_MS,
    ...(opts.signal ? { cancelSignal: opts.signal } : {}),
  });
  if (r.exitCode === 0 && !r.failed) return { ok: true, stdout: r.stdout };
  const output = r.all || (r.timedOut ? `no answer within ${PROBE_TIMEOUT_MS / 1000} s` : r.shortMessage);
  return { ok: false, ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}), ...(r.signal ? { signal: r.signal } : {}), output: output ?? "" };
}
