import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Hasher } from '../../src/hash/hasher.js';
import { manifestHash } from '../../src/hash/manifest.js';
import { StatCache } from '../../src/hash/stat-cache.js';
import type { DirHash } from '../../src/hash/types.js';
import { tempDir } from './tmpdir.js';

const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');
const hashers: Hasher[] = [];
afterEach(async () => {
  await Promise.all(hashers.splice(0).map((h) => h.close()));
});
function hasher(root: string, opts: Partial<ConstructorParameters<typeof Hasher>[0]> = {}): Hasher {
  const h = new Hasher({ root, ...opts });
  hashers.push(h);
  return h;
}
const dirHash = async (h: Hasher, rel: string): Promise<DirHash> => (await h.hashPath(rel)) as DirHash;

describe('Hasher', () => {
  it('hashes a file, a directory, and reports missing paths', async () => {
    const root = tempDir({ 'a.txt': 'abc', 'out/x': 'X', 'out/sub/y': 'YY' });
    const h = hasher(root);
    expect(await h.hashPath('a.txt')).toEqual({ kind: 'file', hash: sha('abc'), size: 3 });
    expect(await h.hashPath('nope')).toBeUndefined();
    const d = await dirHash(h, 'out');
    const manifest = [
      { path: 'sub/y', hash: sha('YY'), size: 2 },
      { path: 'x', hash: sha('X'), size: 1 },
    ];
    expect(d).toEqual({ kind: 'dir', hash: manifestHash(manifest), size: 3, nfiles: 2, manifest });
    const many = await h.hashPaths(['a.txt', 'out', 'nope', './out/']);
    expect([...many.keys()]).toEqual(['a.txt', 'out', 'nope', './out/']);
    expect(many.get('./out/')).toEqual(d);
  });

  it('gives the same dir hash whatever order files were created in; .git and .orchestrator are ignored', async () => {
    const one = tempDir({ 'o/a': '1', 'o/b/c': '2', 'o/b/d': '3' });
    const two = tempDir({ 'o/b/d': '3', 'o/a': '1', 'o/b/c': '2', 'o/.git/HEAD': 'x', 'o/.orchestrator/s': 'y' });
    expect((await dirHash(hasher(one), 'o')).hash).toBe((await dirHash(hasher(two), 'o')).hash);
  });

  it('records empty directories and executable files, keeping the old hash of a tree with neither', async () => {
    const root = tempDir({ 'o/a': '1', 'o/b/c': '2' });
    const plain = await dirHash(hasher(root), 'o');
    expect(plain.hash).toBe(manifestHash(plain.manifest));
    expect(plain.emptyDirs).toBeUndefined();
    mkdirSync(path.join(root, 'o', 'empty', 'deeper'), { recursive: true });
    const withEmpty = await dirHash(hasher(root), 'o');
    expect(withEmpty.emptyDirs).toEqual(['empty/deeper']);
    expect(withEmpty.hash).not.toBe(plain.hash);
    chmodSync(path.join(root, 'o', 'a'), 0o755);
    const withExec = await dirHash(hasher(root), 'o');
    expect(withExec.manifest.find((e) => e.path === 'a')?.exec).toBe(true);
    expect(withExec.hash).not.toBe(withEmpty.hash);
  });

  it('changes the dir hash on rename, add, delete and content change', async () => {
    const root = tempDir({ 'o/a': '1', 'o/b': '2' });
    const seen = new Set<string>();
    const snap = async (): Promise<void> => {
      const hash = (await dirHash(hasher(root), 'o')).hash;
      expect(seen.has(hash)).toBe(false);
      seen.add(hash);
    };
    await snap();
    renameSync(path.join(root, 'o/a'), path.join(root, 'o/a2'));
    await snap();
    writeFileSync(path.join(root, 'o/c'), '3');
    await snap();
    rmSync(path.join(root, 'o/b'));
    await snap();
    writeFileSync(path.join(root, 'o/c'), '4');
    await snap();
  });

  it('never re-reads a file whose stat matches the cache', async () => {
    const root = tempDir({ 'o/f': 'aaaa' });
    const f = path.join(root, 'o/f');
    const sc = StatCache.inMemory();
    // A whole-second mtime can be restored exactly (utimes cannot set arbitrary nanoseconds).
    const t = new Date(1_700_000_000_000);
    utimesSync(f, t, t);
    const first = await dirHash(hasher(root, { statCache: sc }), 'o');
    const before = statSync(f);
    // Same size, same mtime, different bytes: a cache hit must return the stale hash.
    writeFileSync(f, 'bbbb');
    utimesSync(f, t, t);
    expect(statSync(f).mtimeMs).toBe(before.mtimeMs);
    const cached = await dirHash(hasher(root, { statCache: sc }), 'o');
    expect(cached.manifest[0]?.hash).toBe(sha('aaaa'));
    expect(cached.hash).toBe(first.hash);
    // Moving mtime invalidates the entry and the real bytes are hashed.
    utimesSync(f, t, new Date(t.getTime() + 5000));
    expect((await dirHash(hasher(root, { statCache: sc }), 'o')).manifest[0]?.hash).toBe(sha('bbbb'));
  });

  it('uses a stat cache persisted by an earlier instance', async () => {
    const root = tempDir({ big: randomBytes(3000) });
    const file = StatCache.defaultPath(root);
    const sc1 = await StatCache.load(file);
    const h = await hasher(root, { statCache: sc1 }).hashPath('big');
    await sc1.save();
    const sc2 = await StatCache.load(file);
    const st = statSync(path.join(root, 'big'));
    expect(sc2.lookup('big', st)).toBe(h?.hash);
    expect(await hasher(root, { statCache: sc2 }).hashPath('big')).toEqual(h);
  });

  it('follows symlinks to files and directories and does not hang on loops', async () => {
    const root = tempDir({ 'real/f': 'F', 'o/g': 'G' });
    symlinkSync(path.join(root, 'real'), path.join(root, 'o', 'linkdir'));
    symlinkSync(path.join(root, 'real', 'f'), path.join(root, 'o', 'linkfile'));
    symlinkSync(path.join(root, 'o'), path.join(root, 'o', 'self')); // loop to itself
    symlinkSync('..', path.join(root, 'real', 'up')); // loop via parent, reached through linkdir
    symlinkSync(path.join(root, 'nowhere'), path.join(root, 'o', 'dangling'));
    const d = await dirHash(hasher(root), 'o');
    expect(d.manifest.map((e) => e.path)).toEqual(['g', 'linkdir/f', 'linkfile']);
    expect(d.manifest[1]?.hash).toBe(sha('F'));
  });

  it('mutual symlink loops between sibling directories terminate (a link back into the chain is skipped)', async () => {
    const root = tempDir({ 'o/a/x': '1', 'o/b/y': '2' });
    symlinkSync(path.join(root, 'o', 'b'), path.join(root, 'o', 'a', 'tob'));
    symlinkSync(path.join(root, 'o', 'a'), path.join(root, 'o', 'b', 'toa'));
    const d = await dirHash(hasher(root), 'o');
    expect(d.manifest.map((e) => e.path)).toEqual(['a/tob/y', 'a/x', 'b/toa/x', 'b/y']);
  });

  it('the worker pool gives the same hashes as the in-thread path', async () => {
    const files: Record<string, Uint8Array> = {};
    for (let i = 0; i < 40; i++) files[`o/d${i % 3}/f${i}`] = randomBytes(i * 977);
    files['o/big'] = randomBytes(3 * (1 << 20) + 5);
    const root = tempDir(files);
    const inThread = await dirHash(hasher(root, { workers: 1 }), 'o');
    const pooled = hasher(root, { workers: 2, poolThreshold: { bytes: 0, files: 0 } });
    const viaPool = await dirHash(pooled, 'o');
    expect(viaPool).toEqual(inThread);
    expect(viaPool.manifest.find((e) => e.path === 'big')?.hash).toBe(sha(files['o/big'] as Uint8Array));
    // the pool survives for a second call and reports unreadable files as errors
    writeFileSync(path.join(root, 'o/new'), 'n');
    expect((await dirHash(pooled, 'o')).nfiles).toBe(42);
  });

  it('recordKnown makes the next hash a cache hit', async () => {
    const root = tempDir({ f: 'real' });
    const sc = StatCache.inMemory();
    const h = hasher(root, { statCache: sc });
    const fake = 'f'.repeat(64);
    await h.recordKnown('f', fake);
    expect((await h.hashPath('f'))?.hash).toBe(fake);
    await h.recordKnownUnder('', [{ relPath: 'f', hash: sha('real') }]);
    expect((await h.hashPath('f'))?.hash).toBe(sha('real'));
  });

  it('refuses paths outside the workspace', async () => {
    await expect(hasher(tempDir()).hashPath('../x')).rejects.toThrow(/escapes/);
  });
});
