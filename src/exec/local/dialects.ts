import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Job, RunnerDialect } from './runner.js';

/** Single-quotes a string for sh: every byte literal, newlines included. */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * Portable runner: `sh -s` reading jobs as shell text (read in blocks by the shell's own parser, so
 * nothing is re-framed). A job runs as `{ (JOB); echo "D id $?"; } &`: the reporter `{ }` survives
 * whatever the job does (`exit`, `exec`), so a status always comes back. JOB sets up the log,
 * wdir and environment, then `exec sh -c CMD`, so the command sees exactly what `sh -c` gives it
 * (its own `$$`, no variables of the runner) and its syntax errors land in the log with status 2.
 * Its EXIT trap (input closed) sends SIGTERM to the runner's process group, which holds every job.
 */
export const shellDialect: RunnerDialect = {
  name: 'sh',
  file: 'sh',
  args: ['-s'],
  preamble: `trap 'trap "" TERM; kill -TERM 0 2>/dev/null' EXIT\n`,
  encode(id: number, job: Job): string {
    const exports = Object.entries(job.env).map(([k, v]) => `${k}=${shellQuote(v)}`);
    const script = [
      `exec </dev/null >>${shellQuote(job.log)} 2>&1`,
      `cd ${shellQuote(job.dir)} || exit`,
      ...(exports.length > 0 ? [`export ${exports.join(' ')}`] : []),
      `exec sh -c ${shellQuote(job.command)}`,
    ].join('\n');
    return `{ (\n${script}\n); echo "D ${id} $?"; } &\n`;
  },
};

/** Where `npm run build` puts the compiled native/spawn.c. */
const NATIVE_RELATIVE = path.join('dist', 'native', 'orchestrator-spawn');

/**
 * Native runner (native/spawn.c): `posix_spawn` of `sh -c CMD` straight from a small C process, as
 * make does, one process creation less per command than the shell runner's two forks. Jobs are
 * NUL-terminated fields, which no path, variable or command can contain.
 */
export function nativeDialect(file: string): RunnerDialect {
  return {
    name: 'native',
    file,
    args: [],
    preamble: '',
    encode(id: number, job: Job): string {
      const vars = Object.entries(job.env).map(([k, v]) => `${k}=${v}`);
      const fields = [String(id), job.dir, job.log, String(vars.length), ...vars, job.command];
      // Preflight rejects NUL in commands and env; a field holding one would shift every field after it.
      if (fields.some((f) => f.includes('\0'))) throw new Error('a NUL character in a command, path or environment variable');
      return `${fields.join('\0')}\0`;
    },
  };
}

/** The compiled helper of this installation, found from this module up to the package root. */
export function findNativeRunner(from = path.dirname(fileURLToPath(import.meta.url))): string | undefined {
  for (let dir = from, i = 0; i < 8; i++, dir = path.dirname(dir)) {
    const candidate = path.join(dir, NATIVE_RELATIVE);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
    if (path.dirname(dir) === dir) break;
  }
  return undefined;
}

/** Environment variable that picks the runner: `native`, `sh`, or unset for native when it was built. */
export const RUNNER_VARIABLE = 'ORCHESTRATOR_LOCAL_RUNNER';

/** The runner dialect to use, or a message saying why the requested one is not available. */
export function chooseDialect(requested = process.env[RUNNER_VARIABLE]): RunnerDialect | string {
  if (requested === 'sh') return shellDialect;
  if (requested !== undefined && requested !== '' && requested !== 'native') {
    return `${RUNNER_VARIABLE}=${requested}: expected "native" or "sh"`;
  }
  const file = findNativeRunner();
  if (file) return nativeDialect(file);
  if (requested === 'native') return `${RUNNER_VARIABLE}=native, but the helper was not built (${NATIVE_RELATIVE}: run \`npm run build\` with a C compiler installed)`;
  return shellDialect;
}
