import { describeIoError } from '../util/io-error.js';
import { UnsafeWritePathError } from '../workspace/safe-path.js';

/**
 * The words for a failure (restore, commit, delete) with a cause the user or the machine caused (a
 * symlink out of the workspace, a full disk); undefined for anything else, which is a bug.
 */
export function describeKnownFailure(e: unknown): string | undefined {
  if (e instanceof UnsafeWritePathError) return e.message;
  return describeIoError(e);
}
