import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { RemoteError } from './backend.js';

/**
 * The sha256 of a file moved as chunks that complete out of order (many SFTP requests in flight):
 * each chunk is hashed as soon as every byte before it has been, so the bytes are hashed once, as
 * they pass, and at most the chunks in flight wait in memory.
 */
export class InOrderHash {
  private readonly hash: Hash = createHash('sha256');
  private readonly waiting = new Map<number, Buffer>();
  private next = 0;

  add(offset: number, chunk: Buffer): void {
    this.waiting.set(offset, chunk);
    for (let c = this.waiting.get(this.next); c !== undefined; c = this.waiting.get(this.next)) {
      this.waiting.delete(this.next);
      this.hash.update(c);
      this.next += c.length;
    }
  }

  /** The hex digest; throws if a chunk is missing (a bug in the caller, never a remote's fault). */
  digest(size: number): string {
    if (this.next !== size || this.waiting.size > 0) throw new Error(`InOrderHash: hashed ${this.next} of ${size} bytes`);
    return this.hash.digest('hex');
  }
}

/** The error for sent bytes that do not hash to the object's name: nothing was made visible. */
export function sentBytesMismatch(got: string): RemoteError {
  return new RemoteError('mismatch', `the bytes read hash to ${got}`);
}

/**
 * A pass-through stream that counts (`onBytes`, awaited when it returns a promise) and hashes what
 * flows through it; `digest()` once it has ended. With `expect`, it holds back its last chunk until
 * the end and releases it only if the whole hashes to `expect`, else fails with a RemoteError of kind
 * 'mismatch': a receiver that needs every byte (a PUT with a Content-Length, the last part of a
 * multipart upload) never completes with wrong ones.
 */
export function hashingStream(onBytes?: (bytes: number) => void | Promise<void>, expect?: string): Transform & { digest(): string } {
  const hash = createHash('sha256');
  let hex: string | undefined;
  let held: Buffer | undefined;
  const t = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      hash.update(chunk);
      let out: Buffer | undefined = chunk;
      if (expect !== undefined) [out, held] = [held, chunk];
      // A promise from onBytes holds the stream until it settles (backpressure; the test hook that
      // pauses a transfer mid-file). One that rejects (an abort) leaves the stream to the aborted
      // request: an error emitted here would reach a stream nobody listens to any more.
      const wait = onBytes?.(chunk.length);
      if (wait) wait.then(() => cb(null, out), () => undefined);
      else cb(null, out);
    },
    flush(cb: TransformCallback) {
      hex = hash.digest('hex');
      if (expect !== undefined && hex !== expect) return cb(sentBytesMismatch(hex));
      cb(null, held);
    },
  });
  return Object.assign(t, {
    digest(): string {
      if (hex === undefined) throw new Error('hashingStream: digest() before the stream ended');
      return hex;
    },
  });
}
