/**
 * Abort and progress plumbing shared by the network backends (S3, SSH).
 */

/** Throws the signal's reason (an AbortError) when it has fired: callers stop before the next step. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  signal?.throwIfAborted();
}

/** True for the error an aborted operation rejects with (ours, Node's or the AWS SDK's). */
export function isAbortError(err: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted) return true;
  const name = (err as { name?: unknown } | null)?.name;
  return name === 'AbortError';
}
