import { describeIoError } from '../util/io-error.js';
import { UnsafeWritePathError } from '../workspace/safe-path.js';

/**
 * The words for a failure (restore, commit, delete) with a cause the user or the machine caused (a
 * symlink out of the workspace, a full disk); undefined for anything else, which is a bug.
 */
export function describeKnownFailure(e: unknown): string | undefined {
  if (e instanceof UnsafeWritePathError || isCacheObjectProblem(e)) return (e as Error).message;
  return describeIoError(e);
}

/** A cache object that is corrupt (now quarantined) or missing: the store refused to hand it out. */
export function isCacheObjectProblem(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'ECORRUPTOBJECT' || code === 'EMISSINGOBJECT';
}
