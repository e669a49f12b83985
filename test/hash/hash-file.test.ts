import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashFile, sha256Hex } from '../../src/hash/hash-file.js';
import { manifestHash, parseManifest, serializeManifest } from '../../src/hash/manifest.js';
import { writeFileAtomic } from '../../src/util/atomic-write.js';
import { tempDir } from './tmpdir.js';
import { readdirSync, readFileSync } from 'node:fs';

const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

describe('hashFile', () => {
  it('matches the sha256 test vector for "abc"', async () => {
    const dir = tempDir({ abc: 'abc' });
    const r = await hashFile(path.join(dir, 'abc'));
    expect(r).toEqual({ hash: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', size: 3 });
    expect(sha256Hex('abc')).toBe(r.hash);
  });

  it.each([0, 1, 1000, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 5 * (1 << 20) + 17])('hashes %i bytes like crypto does', async (n) => {
    const bytes = randomBytes(n);
    const dir = tempDir({ f: bytes });
    expect(await hashFile(path.join(dir, 'f'))).toEqual({ hash: sha(bytes), size: n });
  });

  it('works with a tiny chunk size (many pipelined reads)', async () => {
    const bytes = randomBytes(100_003);
    const dir = tempDir({ f: bytes });
    expect((await hashFile(path.join(dir, 'f'), 4096)).hash).toBe(sha(bytes));
  });

  it('rejects for a missing file', async () => {
    await expect(hashFile(path.join(tempDir(), 'nope'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('manifest', () => {
  const a = { path: 'a/x.bin', hash: 'a'.repeat(64), size: 1 };
  const b = { path: 'b.txt', hash: 'b'.repeat(64), size: 22 };
  const c = { path: 'a/y', hash: 'c'.repeat(64), size: 0 };

  it('is canonical regardless of entry order and extra fields', () => {
    const one = serializeManifest([a, b, c]);
    const two = serializeManifest([c, { ...b, extra: 1 } as typeof b, a]);
    expect(one.equals(two)).toBe(true);
    expect(one.toString()).toBe(
      `[{"path":"a/x.bin","hash":"${a.hash}","size":1},{"path":"a/y","hash":"${c.hash}","size":0},{"path":"b.txt","hash":"${b.hash}","size":22}]`,
    );
    expect(manifestHash([b, a, c])).toBe(sha(one) + '.dir');
  });

  it('round-trips and rejects malformed or unsafe manifests', () => {
    expect(parseManifest(serializeManifest([a, b]))).toEqual([a, b]);
    expect(() => parseManifest('{')).toThrow();
    expect(() => parseManifest('[{"path":"x"}]')).toThrow(/malformed/);
    expect(() => parseManifest(`[{"path":"../x","hash":"${a.hash}","size":1}]`)).toThrow(/unsafe/);
    expect(() => parseManifest(`[{"path":"/etc/x","hash":"${a.hash}","size":1}]`)).toThrow(/unsafe/);
  });
});

describe('writeFileAtomic', () => {
  it('replaces the file and leaves no temp files', async () => {
    const dir = tempDir({ f: 'old' });
    await writeFileAtomic(path.join(dir, 'f'), 'new');
    expect(readFileSync(path.join(dir, 'f'), 'utf8')).toBe('new');
    expect(readdirSync(dir)).toEqual(['f']);
  });

  it('removes its temp file when the write fails', async () => {
    const dir = tempDir();
    await expect(writeFileAtomic(path.join(dir, 'missing-dir', 'f'), 'x')).rejects.toThrow();
    writeFileSync(path.join(dir, 'ok'), '');
    expect(readdirSync(dir)).toEqual(['ok']);
  });
});

describe('manifest string escaping', () => {
  it('serializes awkward paths exactly like JSON.stringify', () => {
    const paths = ['plain/ü/日本.txt', 'quo"te', 'back\\slash', 'tab\there', 'nl\nx', 'emoji 😀', 'lone\ud800x', 'ctl\u001f'];
    const entries = paths.map((p) => ({ path: p, hash: '0'.repeat(64), size: 1 }));
    const expected = JSON.stringify(
      [...entries].sort((a, b) => (a.path < b.path ? -1 : 1)).map((e) => ({ path: e.path, hash: e.hash, size: e.size })),
    );
    expect(serializeManifest(entries).toString('utf8')).toBe(expected);
  });
});
