import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContentChangedError, ObjectStore, type LinkType } from '../../src/cache/object-store.js';
import { Hasher } from '../../src/hash/hasher.js';
import type { DirHash, FileHash } from '../../src/hash/types.js';
import { tempDir } from '../hash/tmpdir.js';

const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');
const mode = (p: string): number => statSync(p).mode & 0o777;

async function setup(files: Record<string, string | Uint8Array>) {
  const root = tempDir(files);
  const store = new ObjectStore(path.join(root, '.orchestrator', 'cache'));
  const hasher = new Hasher({ root, workers: 1 });
  return { root, store, hasher };
}

async function committedDir(files: Record<string, string | Uint8Array>) {
  const s = await setup(files);
  const ph = (await s.hasher.hashPath('out')) as DirHash;
  await s.store.commit(path.join(s.root, 'out'), ph);
  return { ...s, ph };
}

describe('ObjectStore', () => {
  it('stores a file read-only under its hash, once', async () => {
    const { root, store } = await setup({ f: 'abc' });
    const hash = sha('abc');
    expect(await store.has(hash)).toBe(false);
    await store.putFile(path.join(root, 'f'), hash);
    await store.putFile(path.join(root, 'f'), hash);
    const obj = store.objectPath(hash);
    expect(obj).toBe(path.join(root, '.orchestrator/cache/objects/ba', hash.slice(2)));
    expect(readFileSync(obj, 'utf8')).toBe('abc');
    expect(mode(obj)).toBe(0o444);
    expect(await store.has(hash)).toBe(true);
    expect(await store.verify(hash)).toBe(true);
    expect(readdirSync(path.join(root, '.orchestrator/cache/tmp'))).toEqual([]);
  });

  it('refuses bytes that do not match the hash and leaves nothing behind', async () => {
    const { root, store } = await setup({ f: 'changed' });
    const claimed = sha('original');
    const err = await store.putFile(path.join(root, 'f'), claimed).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContentChangedError);
    expect(String(err)).toMatch(/changed while being committed/);
    expect(await store.has(claimed)).toBe(false);
    expect(readdirSync(path.join(root, '.orchestrator/cache/tmp'))).toEqual([]);
  });

  it('rejects malformed hashes instead of building paths from them', async () => {
    const { store } = await setup({});
    expect(() => store.objectPath('../../etc/passwd')).toThrow(/valid object hash/);
  });

  it('commits a directory: every file plus the manifest; lists, verifies and removes objects', async () => {
    const { store, ph } = await committedDir({ 'out/a': 'A', 'out/s/b': 'B', 'out/s/c': 'A' });
    expect(await store.isComplete(ph.hash)).toBe(true);
    expect(await store.readManifest(ph.hash)).toEqual(ph.manifest);
    const listed = [];
    for await (const h of store.listObjects()) listed.push(h);
    expect(listed.sort()).toEqual([sha('A'), sha('B'), ph.hash].sort());
    expect(await store.verify(ph.hash)).toBe(true);
    await store.remove(sha('B'));
    expect(await store.has(sha('B'))).toBe(false);
    expect(await store.verify(sha('B'))).toBe(false);
  });

  it('isComplete is false when one file object is missing, or the manifest is', async () => {
    const { store, ph } = await committedDir({ 'out/a': 'A', 'out/b': 'B' });
    await store.remove(sha('B'));
    expect(await store.isComplete(ph.hash)).toBe(false);
    expect(await store.isComplete('0'.repeat(64) + '.dir')).toBe(false);
  });

  it('isComplete of a large directory (its prefix folders listed, not each object checked) sees one missing object', async () => {
    const files = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`out/f${i}`, `content ${i}`]));
    const { store, ph } = await committedDir(files);
    expect(await store.isComplete(ph.hash)).toBe(true);
    const gone = sha('content 1234');
    await store.remove(gone);
    expect(await store.isComplete(ph.hash)).toBe(false);
    const all = ph.manifest.map((e) => e.hash);
    const here = await store.present([...all, '0'.repeat(64)]);
    expect(here.size).toBe(all.length - 1);
    expect(here.has(gone)).toBe(false);
  });

  it('verify detects a corrupted object', async () => {
    const { store, root } = await setup({ f: 'abc' });
    await store.putFile(path.join(root, 'f'), sha('abc'));
    const obj = store.objectPath(sha('abc'));
    await import('node:fs/promises').then((f) => f.chmod(obj, 0o644));
    writeFileSync(obj, 'abd');
    expect(await store.verify(sha('abc'))).toBe(false);
  });

  it('cleans temp files older than an hour when a put starts', async () => {
    const { root, store } = await setup({ f: 'x' });
    const tmp = path.join(root, '.orchestrator/cache/tmp');
    mkdirSync(tmp, { recursive: true });
    writeFileSync(path.join(tmp, 'stale'), '');
    writeFileSync(path.join(tmp, 'fresh'), '');
    const old = new Date(Date.now() - 2 * 3600_000);
    utimesSync(path.join(tmp, 'stale'), old, old);
    await store.putFile(path.join(root, 'f'), sha('x'));
    expect(readdirSync(tmp)).toEqual(['fresh']);
  });
});

describe('ObjectStore.restore', () => {
  const files = { 'out/a.txt': 'alpha', 'out/sub/b.bin': randomBytes(5000), 'out/sub/deep/c': 'gamma' };

  it.each<[LinkType[], string]>([
    [['copy'], 'copy'],
    [['reflink', 'copy'], 'default'],
    [['hardlink'], 'hardlink'],
    [['symlink'], 'symlink'],
  ])('restores a directory with %j', async (linkTypes, kind) => {
    const { root, store, hasher, ph } = await committedDir(files);
    const dest = path.join(root, 'restored');
    const restored = await store.restore(ph.hash, dest, { linkTypes });
    expect(restored).toEqual(ph.manifest.map((e) => ({ relPath: e.path, hash: e.hash, size: e.size })));
    const again = (await hasher.hashPath('restored')) as DirHash;
    expect(again.hash).toBe(ph.hash);
    const a = path.join(dest, 'a.txt');
    const obj = store.objectPath(sha('alpha'));
    if (kind === 'symlink') {
      expect(lstatSync(a).isSymbolicLink()).toBe(true);
      expect(readlinkSync(a)).toBe(obj);
    } else if (kind === 'hardlink') {
      expect(statSync(a).ino).toBe(statSync(obj).ino);
    } else {
      expect(statSync(a).ino).not.toBe(statSync(obj).ino);
    }
    // Linked files are read-only, so in-place edits cannot corrupt the cache; copies are writable.
    expect(mode(a)).toBe(kind === 'hardlink' || kind === 'symlink' ? 0o444 : 0o644);
    expect(readdirSync(root).filter((n) => n.includes('orchestrator-'))).toEqual([]);
  });

  it('editing a copy-restored file leaves the object intact', async () => {
    const { root, store, ph } = await committedDir(files);
    const dest = path.join(root, 'restored');
    await store.restore(ph.hash, dest);
    writeFileSync(path.join(dest, 'a.txt'), 'edited');
    expect(readFileSync(store.objectPath(sha('alpha')), 'utf8')).toBe('alpha');
    expect(await store.verify(sha('alpha'))).toBe(true);
  });

  it('replaces an existing directory (stale files disappear) and an existing file', async () => {
    const { root, store, ph } = await committedDir(files);
    const out = path.join(root, 'out');
    writeFileSync(path.join(out, 'stale'), 'old');
    writeFileSync(path.join(out, 'a.txt'), 'modified');
    await store.restore(ph.hash, out);
    expect(existsSync(path.join(out, 'stale'))).toBe(false);
    expect(readFileSync(path.join(out, 'a.txt'), 'utf8')).toBe('alpha');
    // a file restored over a directory, and a directory over a file
    await store.restore(sha('alpha'), out);
    expect(readFileSync(out, 'utf8')).toBe('alpha');
    await store.restore(ph.hash, out);
    expect(readFileSync(path.join(out, 'sub/deep/c'), 'utf8')).toBe('gamma');
    expect(readdirSync(root).filter((n) => n.includes('orchestrator-'))).toEqual([]);
  });

  it('restores a single file (relPath "") into a missing parent directory', async () => {
    const { root, store, hasher } = await setup({ f: 'content' });
    const ph = (await hasher.hashPath('f')) as FileHash;
    await store.commit(path.join(root, 'f'), ph);
    const dest = path.join(root, 'x', 'y', 'f');
    expect(await store.restore(ph.hash, dest)).toEqual([{ relPath: '', hash: ph.hash, size: 7 }]);
    expect(readFileSync(dest, 'utf8')).toBe('content');
    expect(mode(dest)).toBe(0o644);
  });

  it('fails without touching the destination when an object is missing', async () => {
    const { root, store, ph } = await committedDir(files);
    await store.remove(sha('gamma'));
    const out = path.join(root, 'out');
    await expect(store.restore(ph.hash, out)).rejects.toThrow();
    expect(readFileSync(path.join(out, 'a.txt'), 'utf8')).toBe('alpha');
    expect(readdirSync(root).filter((n) => n.includes('orchestrator-'))).toEqual([]);
  });
});
