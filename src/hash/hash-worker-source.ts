/**
 * Source of the hashing worker, run with `new Worker(src, {eval: true})`. It is a string so the
 * same code works from compiled dist/ and from TypeScript sources under vitest, where a `.ts`
 * worker file could not be loaded by plain Node. Kept tiny; `hashFile` in hash-file.ts is the
 * main-thread equivalent, and a test checks both give the same hashes.
 *
 * Request: {id, paths: string[]}. Reply: {id, results: Array<{hash, size} | {error, code}>}.
 * Sync reads are fine here: the worker has nothing else to do, and a page-cache copy is ~10x
 * faster than sha256, so not overlapping it costs little.
 */
export const HASH_WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const { createHash } = require('node:crypto');
const CHUNK = 1 << 20;
const buf = Buffer.allocUnsafe(CHUNK);
function hashOne(p) {
  const fd = fs.openSync(p, 'r');
  try {
    const h = createHash('sha256');
    let size = 0;
    for (;;) {
      const n = fs.readSync(fd, buf, 0, CHUNK, size);
      if (n === 0) break;
      h.update(n === CHUNK ? buf : buf.subarray(0, n));
      size += n;
    }
    return { hash: h.digest('hex'), size };
  } finally {
    fs.closeSync(fd);
  }
}
parentPort.on('message', (msg) => {
  const results = msg.paths.map((p) => {
    try { return hashOne(p); } catch (e) { return { error: String(e && e.message || e), code: e && e.code }; }
  });
  parentPort.postMessage({ id: msg.id, results });
});
`;
