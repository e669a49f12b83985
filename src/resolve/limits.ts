/**
 * Limits on what a pipeline may declare. Stage names become file names under `.orchestrator/`
 * (logs, running markers), and paths are handed to the operating system, so both must fit what a
 * Linux filesystem accepts; the rest keeps a hostile pipeline from exhausting memory or the stack.
 */

/** Stages after foreach/matrix expansion. */
export const MAX_STAGES = 100_000;
/** Bytes of a stage name: a name plus `.log`/`.json` must stay within one 255-byte file name. */
export const MAX_STAGE_NAME_BYTES = 200;
/** Bytes of one path component (NAME_MAX on Linux). */
export const MAX_COMPONENT_BYTES = 255;
/** Bytes of a root-relative path (PATH_MAX on Linux, less its terminating NUL). */
export const MAX_PATH_BYTES = 4095;

/** Why a declared path cannot be used as a file name, or undefined when it can. */
export function pathProblem(p: string): string | undefined {
  if (p.includes('\0')) return 'contains a NUL character';
  const bytes = Buffer.byteLength(p);
  if (bytes > MAX_PATH_BYTES) return `is ${bytes} bytes long; paths may have at most ${MAX_PATH_BYTES}`;
  const long = p.split('/').find((part) => Buffer.byteLength(part) > MAX_COMPONENT_BYTES);
  if (long !== undefined) return `has a component of ${Buffer.byteLength(long)} bytes ("${long.slice(0, 20)}..."); a file name may have at most ${MAX_COMPONENT_BYTES}`;
  return undefined;
}

/** Why an (expanded) stage name cannot be used, or undefined when it can. */
export function stageNameProblem(name: string): string | undefined {
  if (name.includes('\0')) return 'contains a NUL character';
  if (name.includes('/')) return 'contains "/" (stage names become file names)';
  const bytes = Buffer.byteLength(name);
  if (bytes > MAX_STAGE_NAME_BYTES) return `is ${bytes} bytes long; stage names become file names and may have at most ${MAX_STAGE_NAME_BYTES}`;
  return undefined;
}

/** Shortens a value for a message, so a 6,000-character path does not flood the terminal. */
export function excerpt(text: string, max = 60): string {
  const shown = text.replace(/\0/g, '\\0');
  return shown.length <= max ? shown : `${shown.slice(0, max)}... (${text.length} characters)`;
}
