import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { withFileBytes } from '../util/small-file.js';

/**
 * Read size per request. Measured on the target machine (1 GiB file in page cache, SHA-NI):
 * 256 KiB 1.79 GB/s, 1 MiB 1.92, 2 MiB 1.92, 8 MiB 1.93 with three buffers; hashing alone is ~1.8.
 * 1 MiB keeps memory small with no measurable loss.
 */
export const HASH_CHUNK_SIZE = 1 << 20;
/** Reads in flight while the main thread hashes: three beat two by ~5% in measurement. */
const PIPELINE_DEPTH = 3;

export interface ContentHash {
  /** sha256 hex. */
  hash: string;
  /** Bytes actually hashed (may differ from an earlier stat if the file changed). */
  size: number;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** sha256 of a small file (up to SMALL_FILE), read synchronously into the reused buffer. */
export function hashSmallFile(absPath: string): ContentHash {
  return withFileBytes(absPath, (bytes) => ({ hash: sha256Hex(bytes), size: bytes.length }));
}

/**
 * sha256 of a file. Reads run in the libuv pool ahead of the hash on the main thread, so disk/page-cache
 * copying overlaps hashing instead of alternating with it.
 */
export async function hashFile(absPath: string, chunkSize = HASH_CHUNK_SIZE): Promise<ContentHash> {
  const fh = await fsp.open(absPath, 'r');
  try {
    const { size: statSize } = await fh.stat();
    // A small file gets one right-sized buffer (+1 so a single short read proves EOF).
    const bufLen = Math.min(chunkSize, statSize + 1);
    const depth = statSize + 1 > chunkSize ? PIPELINE_DEPTH : 1;
    const hash = createHash('sha256');
    const bufs = Array.from({ length: depth }, () => Buffer.allocUnsafe(bufLen));
    const inflight: Array<Promise<{ buf: Buffer; n: number }>> = [];
    let pos = 0;
    const issue = (buf: Buffer): void => {
      const at = pos;
      pos += bufLen;
      inflight.push(fh.read(buf, 0, bufLen, at).then((r) => ({ buf, n: r.bytesRead })));
    };
    for (const b of bufs) issue(b);
    let size = 0;
    try {
      for (;;) {
        const { buf, n } = await (inflight.shift() as Promise<{ buf: Buffer; n: number }>);
        if (n > 0) hash.update(n === bufLen ? buf : buf.subarray(0, n));
        size += n;
        // A short read on a regular file means EOF; later prefetches are past the end.
        if (n < bufLen) break;
        issue(buf);
      }
    } finally {
      // Never close the handle under a read still in flight.
      await Promise.allSettled(inflight);
    }
    return { hash: hash.digest('hex'), size };
  } finally {
    await fh.close();
  }
}
