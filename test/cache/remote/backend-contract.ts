/**
 * The RemoteBackend contract, as shared test cases: every backend's test file calls
 * `describeBackendContract` with a way to open a backend on its own (real) server. The cases check
 * behaviour the transfer layer relies on: bytes round-trip (including multipart-sized files), batched
 * existence checks, listing, idempotent deletes, invisible partial uploads, and 'not-found'.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RemoteError, type RemoteBackend } from '../../../src/cache/remote/backend.js';

export interface ContractTarget {
  open(): Promise<RemoteBackend>;
  /**
   * Server-side requests made so far that look up keys (listings, HEADs, opens): counted by the
   * server. A plain folder has no server to count them.
   */
  lookups?(): number;
  /** Resolves once every request answered so far is counted by `lookups`; the call itself counts as one. */
  settle?(): Promise<void>;
  /** Size of a file that the backend must move in several parts / many requests. */
  largeSize: number;
}

export function objectKey(content: Buffer | string): string {
  const h = createHash('sha256').update(content).digest('hex');
  return `objects/${h.slice(0, 2)}/${h.slice(2)}`;
}

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const k of it) out.push(k);
  return out.sort();
}

export function describeBackendContract(name: string, target: () => ContractTarget): void {
  describe(`${name}: RemoteBackend contract`, () => {
    let dir: string;
    let backend: RemoteBackend;
    const file = (rel: string, content: Buffer | string): string => {
      const p = path.join(dir, rel);
      writeFileSync(p, content);
      return p;
    };

    beforeAll(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'orch-remote-contract-'));
      backend = await target().open();
    });
    afterAll(async () => {
      await backend?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    test('uploads and downloads small, empty and multipart-sized files byte for byte, reporting every byte', async () => {
      const cases = [Buffer.from('hello remote\n'), Buffer.alloc(0), randomBytes(target().largeSize)];
      for (const [i, content] of cases.entries()) {
        const key = objectKey(content);
        let up = 0;
        await backend.upload(file(`up-${i}`, content), key, content.length, { onBytes: (n) => void (up += n) });
        expect(up).toBe(content.length);
        let down = 0;
        const dest = path.join(dir, `down-${i}`);
        await backend.download(key, dest, { onBytes: (n) => void (down += n) });
        expect(down).toBe(content.length);
        expect(statSync(dest).size).toBe(content.length);
        expect(readFileSync(dest).equals(content)).toBe(true);
      }
    });

    test('download truncates a longer file the caller left at the temp path', async () => {
      const content = Buffer.from('short');
      const key = objectKey(content);
      await backend.upload(file('short', content), key, content.length);
      const dest = file('stale-temp', 'x'.repeat(1000));
      await backend.download(key, dest);
      expect(readFileSync(dest, 'utf8')).toBe('short');
    });

    test('existing answers for many keys with at most one lookup per key directory, not one per key', async () => {
      // Contents whose hashes fall into four directories, so 200 keys share few directories.
      const dirsWanted = new Set(['objects/00', 'objects/01', 'objects/02', 'objects/03']);
      const clustered = (tag: string, n: number): string[] => {
        const out: string[] = [];
        for (let i = 0; out.length < n; i++) {
          const content = `${tag} ${i}\n`;
          if (dirsWanted.has(path.posix.dirname(objectKey(content)))) out.push(content);
        }
        return out;
      };
      const present = clustered('object', 100);
      for (const content of present) await backend.upload(file('obj', content), objectKey(content), content.length);
      const runKey = `runs/ab/${'ab'.padEnd(64, '0')}.json`;
      await backend.upload(file('run', '{}'), runKey, 2);
      const asked = [...present.map((c) => objectKey(c)), ...clustered('absent', 100).map((c) => objectKey(c)), runKey, 'runs/cd/missing.json'];
      const dirs = new Set(asked.map((k) => path.posix.dirname(k)));
      expect(dirs.size).toBe(6);
      await target().settle?.();
      const before = target().lookups?.() ?? 0;
      const found = await backend.existing(asked);
      await target().settle?.();
      const lookups = (target().lookups?.() ?? 0) - before - (target().settle ? 1 : 0);
      expect([...found].sort()).toEqual([...present.map((c) => objectKey(c)), runKey].sort());
      expect(lookups).toBeLessThanOrEqual(dirs.size);
      // A server that counts its lookups saw this call's (the count is not stuck at zero).
      if (target().lookups) expect(lookups).toBeGreaterThan(0);
      expect(await backend.existing([])).toEqual(new Set());
    });

    test('list yields every key under a prefix and nothing else', async () => {
      const a = objectKey('list a');
      const b = objectKey('list b');
      await backend.upload(file('la', 'list a'), a, 6);
      await backend.upload(file('lb', 'list b'), b, 6);
      const runKey = `runs/ef/${'ef'.padEnd(64, '1')}.json`;
      await backend.upload(file('lr', '{"x":1}'), runKey, 7);
      const objects = await collect(backend.list('objects/'));
      expect(objects).toEqual(expect.arrayContaining([a, b]));
      expect(objects.every((k) => /^objects\/[0-9a-f]{2}\/[0-9a-f]{62}$/.test(k))).toBe(true);
      const runs = await collect(backend.list('runs/'));
      expect(runs).toContain(runKey);
      expect(runs.every((k) => k.startsWith('runs/'))).toBe(true);
    });

    test('delete removes keys and is idempotent for keys already gone', async () => {
      const key = objectKey('to delete');
      await backend.upload(file('del', 'to delete'), key, 9);
      const never = objectKey('never uploaded');
      await backend.delete([key, never]);
      expect(await backend.existing([key])).toEqual(new Set());
      await backend.delete([key]);
      await expect(backend.download(key, path.join(dir, 'gone'))).rejects.toMatchObject({ kind: 'not-found' });
    });

    test('an upload aborted after its first bytes leaves nothing visible under the key', async () => {
      const content = randomBytes(target().largeSize * 2);
      const key = objectKey(content);
      const ac = new AbortController();
      const local = file('big-abort', content);
      const attempt = backend.upload(local, key, content.length, {
        signal: ac.signal,
        onBytes: () => ac.abort(),
      });
      await expect(attempt).rejects.toMatchObject({ name: 'AbortError' });
      expect(await backend.existing([key])).toEqual(new Set());
      expect(await collect(backend.list('objects/'))).not.toContain(key);
      await expect(backend.download(key, path.join(dir, 'aborted'))).rejects.toMatchObject({ kind: 'not-found' });
      // The same upload, not aborted, then succeeds.
      await backend.upload(local, key, content.length);
      expect(await backend.existing([key])).toEqual(new Set([key]));
    });

    test('downloading a missing key fails with kind not-found', async () => {
      const err = await backend.download(objectKey('missing'), path.join(dir, 'missing')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RemoteError);
      expect((err as RemoteError).kind).toBe('not-found');
    });

    test('an upload whose bytes do not hash to expectSha256 fails with kind mismatch and leaves nothing', async () => {
      for (const content of [Buffer.from('expected bytes\n'), randomBytes(target().largeSize)]) {
        const key = objectKey(content);
        const local = file('mismatch', content);
        const wrong = createHash('sha256').update('other bytes').digest('hex');
        await expect(backend.upload(local, key, content.length, { expectSha256: wrong })).rejects.toMatchObject({ kind: 'mismatch' });
        expect(await backend.existing([key])).toEqual(new Set());
        await expect(backend.download(key, path.join(dir, 'mismatch-down'))).rejects.toMatchObject({ kind: 'not-found' });
        // The right hash goes through, and a download reports the hash of what it wrote (or nothing).
        const right = createHash('sha256').update(content).digest('hex');
        await backend.upload(local, key, content.length, { expectSha256: right });
        const sha = await backend.download(key, path.join(dir, 'mismatch-down'));
        if (sha !== undefined) expect(sha).toBe(right);
        expect(readFileSync(path.join(dir, 'mismatch-down')).equals(content)).toBe(true);
      }
    });

    test('put and get move bytes held in memory, byte for byte, reporting every byte', async () => {
      // Empty, one SFTP request, several requests, and not a multiple of any request size.
      for (const content of [Buffer.alloc(0), Buffer.from('in memory\n'), randomBytes(200 * 1024 + 7)]) {
        const key = objectKey(content);
        let up = 0;
        await backend.put(key, content, { onBytes: (n) => void (up += n) });
        expect(up).toBe(content.length);
        let down = 0;
        const got = await backend.get(key, content.length, { onBytes: (n) => void (down += n) });
        expect(down).toBe(content.length);
        expect(got.equals(content)).toBe(true);
        // What put stored is what download (the file path) reads too.
        const dest = path.join(dir, 'put-then-download');
        await backend.download(key, dest);
        expect(readFileSync(dest).equals(content)).toBe(true);
      }
    });

    test('batched uploads and puts are under their keys once flush resolves', async () => {
      // A backend may stage them (the folder remote commits a batch with one filesystem sync) or
      // place each at once (S3, SFTP); either way flush is the point after which they are there.
      const content = [Buffer.from('batched put\n'), Buffer.from('batched upload\n')];
      const [putKey, uploadKey] = content.map(objectKey) as [string, string];
      await backend.put(putKey, content[0]!, { batched: true });
      await backend.upload(file('batched', content[1]!), uploadKey, content[1]!.length, { batched: true });
      await backend.flush?.();
      expect(await backend.existing([putKey, uploadKey])).toEqual(new Set([putKey, uploadKey]));
      expect((await backend.get(uploadKey, 100)).equals(content[1]!)).toBe(true);
    });

    test('get reads at most maxBytes + 1 of an object larger than the caller expects', async () => {
      const content = randomBytes(300 * 1024);
      const key = objectKey(content);
      await backend.put(key, content);
      const got = await backend.get(key, 1000);
      expect(got.length).toBe(1001);
      expect(got.equals(content.subarray(0, 1001))).toBe(true);
    });

    test('get reads into a lent buffer when it is large enough, and never past maxBytes + 1 of it', async () => {
      const content = randomBytes(200 * 1024 + 7);
      const key = objectKey(content);
      await backend.put(key, content);
      const into = Buffer.alloc(content.length + 4096, 0xee);
      const got = await backend.get(key, content.length, { into });
      expect(got.equals(content)).toBe(true);
      expect(got.buffer).toBe(into.buffer); // a view of the lent buffer, no copy of its own
      expect(got.byteOffset).toBe(into.byteOffset);
      // A larger object read into the same buffer: only maxBytes + 1 bytes of it are touched.
      const bigger = randomBytes(300 * 1024);
      await backend.put(objectKey(bigger), bigger);
      into.fill(0xee);
      const cut = await backend.get(objectKey(bigger), 1000, { into });
      expect(cut.equals(bigger.subarray(0, 1001))).toBe(true);
      expect(into.subarray(1001).every((b) => b === 0xee)).toBe(true);
      // Too small to lend: the bytes get a buffer of their own and the lent one is untouched.
      const small = Buffer.alloc(16, 0xee);
      const own = await backend.get(key, content.length, { into: small });
      expect(own.equals(content)).toBe(true);
      expect(own.buffer).not.toBe(small.buffer);
      expect(small.every((b) => b === 0xee)).toBe(true);
    });

    test('get of a missing key fails with kind not-found', async () => {
      await expect(backend.get(objectKey('never put'), 10)).rejects.toMatchObject({ kind: 'not-found' });
    });

    test('a put aborted after its first reported bytes is all or nothing under the key', async () => {
      // SFTP and a folder report bytes before the object takes its name (the abort must then leave
      // nothing); S3 reports once its single PUT is complete (the object is then whole).
      const content = randomBytes(512 * 1024);
      const key = objectKey(content);
      const ac = new AbortController();
      const outcome = await backend.put(key, content, { signal: ac.signal, onBytes: () => ac.abort() }).then(
        () => 'completed',
        (e: Error) => e.name,
      );
      if (outcome === 'completed') expect((await backend.get(key, content.length)).equals(content)).toBe(true);
      else {
        expect(outcome).toBe('AbortError');
        expect(await backend.existing([key])).toEqual(new Set());
        await expect(backend.get(key, content.length)).rejects.toMatchObject({ kind: 'not-found' });
      }
    });

    test('an aborted signal stops a download before it starts', async () => {
      const ac = new AbortController();
      ac.abort();
      await expect(backend.download(objectKey('hello remote\n'), path.join(dir, 'x'), { signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
    });
  });
}
