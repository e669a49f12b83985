/**
 * Abort and progress plumbing shared by the network backends (S3, SSH).
 */
import { Transform, type TransformCallback } from 'node:stream';

/** Throws the signal's reason (an AbortError) when it has fired: callers stop before the next step. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  signal?.throwIfAborted();
}

/** A pass-through stream that reports how many bytes went through it (for `onBytes`); a promise `onBytes` returns holds the stream until it settles. */
export function countingStream(onBytes: ((bytes: number) => void | Promise<void>) | undefined): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      const held = onBytes?.(chunk.length);
      // A hold that ends in an abort leaves the stream held: the aborted request or pipeline ends it (an
      // error emitted here would reach a stream nobody listens to any more).
      if (held) held.then(() => cb(null, chunk), () => undefined);
      else cb(null, chunk);
    },
  });
}

/** True for the error an aborted operation rejects with (ours, Node's or the AWS SDK's). */
export function isAbortError(err: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted) return true;
  const name = (err as { name?: unknown } | null)?.name;
  return name === 'AbortError';
}
