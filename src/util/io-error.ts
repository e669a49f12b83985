/** errno codes a user or the machine causes (full disk, permissions, read-only mount, quotas, long names). */
const MACHINE_CODES: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  ENAMETOOLONG: 'file name too long',
  ELOOP: 'too many levels of symbolic links',
  ENOTDIR: 'a path component is not a directory',
  EISDIR: 'is a directory',
  EEXIST: 'already exists',
  EXDEV: 'crosses file systems',
  EBUSY: 'resource busy',
  ENOMEM: 'out of memory',
};

/**
 * A one-line description of a file-system error the user can act on, naming the path
 * (`no space left on device: /w/.orchestrator/cache/tmp/…`); undefined for anything that is not such
 * an error. Only `ui/`-level callers print it; the engine passes it along as a stage failure.
 */
export function describeIoError(e: unknown): string | undefined {
  const err = e as NodeJS.ErrnoException | null;
  if (!err || typeof err !== 'object' || typeof err.code !== 'string') return undefined;
  const what = MACHINE_CODES[err.code];
  if (what === undefined) return undefined;
  const dest = (err as { dest?: unknown }).dest;
  const where = err.path ? `${err.path}${typeof dest === 'string' ? ` -> ${dest}` : ''}` : undefined;
  const during = err.syscall ? ` (${err.syscall})` : '';
  return where ? `${what}: ${where}${during}` : `${what}${during}`;
}
