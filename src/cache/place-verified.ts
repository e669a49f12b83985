import { constants as fsc, promises as fsp } from 'node:fs';
import * as fs from 'node:fs';
import { createHash } from 'node:crypto';
import { hashFile, hashSmallFile, HASH_CHUNK_SIZE, sha256Hex, type ContentHash } from '../hash/hash-file.js';
import type { LinkType } from '../model/stage.js';
import { SMALL_FILE, withFileBytes } from '../util/small-file.js';

/**
 * Put the object `src` at `dest` with `link` and return the hash of the bytes now at `dest`, so the
 * caller can refuse them before anyone sees them. A copy hashes the bytes it writes in the same pass;
 * a reflink, hardlink or symlink has nothing to copy, so the placed file is read once and hashed.
 * `mode` applies to copies and reflinks (they belong to the user); links keep the object's 0444.
 */
export async function placeHashing(link: LinkType, src: string, dest: string, size: number, mode: number): Promise<ContentHash> {
  switch (link) {
    case 'copy':
      return size <= SMALL_FILE ? copySmallHashing(src, dest, mode) : copyHashing(src, dest, mode);
    case 'reflink':
      await fsp.copyFile(src, dest, fsc.COPYFILE_FICLONE_FORCE);
      await fsp.chmod(dest, mode);
      return hashPlaced(dest, size);
    case 'hardlink':
      await fsp.link(src, dest);
      return hashPlaced(dest, size);
    case 'symlink':
      await fsp.symlink(src, dest);
      return hashPlaced(dest, size);
    default: {
      const never: never = link;
      throw new Error(`unknown link type ${String(never)}`);
    }
  }
}

function hashPlaced(dest: string, size: number): Promise<ContentHash> | ContentHash {
  return size > SMALL_FILE ? hashFile(dest) : hashSmallFile(dest);
}

function copySmallHashing(src: string, dest: string, mode: number): ContentHash {
  return withFileBytes(src, (bytes) => {
    fs.writeFileSync(dest, bytes, { flag: 'wx' });
    // Explicit, so the umask does not decide whether a restored file is editable or executable.
    fs.chmodSync(dest, mode);
    return { hash: sha256Hex(bytes), size: bytes.length };
  });
}

/** Reads chunk n+1 while chunk n is hashed and written: one pass over the bytes, two buffers. */
async function copyHashing(src: string, dest: string, mode: number): Promise<ContentHash> {
  const input = await fsp.open(src, 'r');
  try {
    const output = await fsp.open(dest, 'wx');
    try {
      const hash = createHash('sha256');
      const bufs = [Buffer.allocUnsafe(HASH_CHUNK_SIZE), Buffer.allocUnsafe(HASH_CHUNK_SIZE)];
      let size = 0;
      let reading = input.read(bufs[0] as Buffer, 0, HASH_CHUNK_SIZE, 0);
      for (let i = 0; ; i++) {
        const { bytesRead: n, buffer } = await reading;
        if (n === 0) break;
        size += n;
        // The other buffer is free: its write finished in the previous turn.
        if (n === HASH_CHUNK_SIZE) reading = input.read(bufs[(i + 1) % 2] as Buffer, 0, HASH_CHUNK_SIZE, size);
        const chunk = buffer.subarray(0, n);
        hash.update(chunk);
        await writeAll(output, chunk);
        if (n < HASH_CHUNK_SIZE) break;
      }
      await output.chmod(mode);
      return { hash: hash.digest('hex'), size };
    } finally {
      await output.close();
    }
  } finally {
    await input.close();
  }
}

async function writeAll(fh: fsp.FileHandle, chunk: Buffer): Promise<void> {
  for (let off = 0; off < chunk.length; ) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
}
