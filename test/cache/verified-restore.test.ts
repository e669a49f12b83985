import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ObjectStore, type LinkType } from '../../src/cache/object-store.js';
import { Hasher } from '../../src/hash/hasher.js';
import type { DirHash } from '../../src/hash/types.js';
import { tempDir } from '../hash/tmpdir.js';

const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');
const BIG = randomBytes(600 * 1024); // above the small-file threshold: the streaming path

async function stored(files: Record<string, string | Uint8Array>) {
  const root = tempDir(files);
  const store = new ObjectStore(path.join(root, '.orchestrator', 'cache'));
  const hasher = new Hasher({ root, workers: 1 });
  return { root, store, hasher };
}

/** Overwrite a (read-only) object in place. */
function damage(store: ObjectStore, hash: string, bytes: Uint8Array | string): void {
  const obj = store.objectPath(hash);
  chmodSync(obj, 0o644);
  writeFileSync(obj, bytes);
}

const flip = (b: Uint8Array): Buffer => {
  const c = Buffer.from(b);
  c[c.length >> 1] = (c[c.length >> 1] as number) ^ 1;
  return c;
};
const quarantined = (root: string): string[] => {
  const dir = path.join(root, '.orchestrator', 'cache', 'quarantine');
  return existsSync(dir) ? readdirSync(dir) : [];
};
const leftovers = (dir: string): string[] => readdirSync(dir).filter((n) => n.includes('.orchestrator-'));

const damages: Array<[string, (bytes: Buffer, store: ObjectStore, hash: string) => void]> = [
  ['a flipped byte', (b, s, h) => damage(s, h, flip(b))],
  ['truncation', (b, s, h) => damage(s, h, b.subarray(0, b.length - 1))],
  ['the bytes of another object', (_b, s, h) => damage(s, h, 'some other object\n')],
  ['a directory in its place', (_b, s, h) => {
    rmSync(s.objectPath(h), { force: true });
    mkdirSync(s.objectPath(h));
  }],
];

describe('restores verify the bytes they place', () => {
  for (const [what, harm] of damages) {
    for (const [size, bytes] of [['small', Buffer.from('the good bytes\n')], ['large', BIG]] as const) {
      it(`refuses a ${size} file object damaged by ${what}, quarantines it, and leaves the destination alone`, async () => {
        const { root, store } = await stored({ f: bytes, 'out.txt': 'user bytes\n' });
        const hash = sha(bytes);
        await store.putFile(path.join(root, 'f'), hash, bytes.length);
        harm(bytes, store, hash);
        const err = await store.restore(hash, path.join(root, 'out.txt')).catch((e: unknown) => e);
        expect((err as { code?: string }).code).toBe('ECORRUPTOBJECT');
        expect((err as Error).message).toContain(hash);
        expect((err as Error).message).toContain(path.join(root, 'out.txt'));
        expect(readFileSync(path.join(root, 'out.txt'), 'utf8')).toBe('user bytes\n');
        expect(leftovers(root)).toEqual([]);
        expect(quarantined(root)).toEqual([expect.stringMatching(new RegExp(`^${hash}-`))]);
        // Never handed out again: the next attempt finds no object at all.
        expect(await store.has(hash)).toBe(false);
        const again = await store.restore(hash, path.join(root, 'out.txt')).catch((e: unknown) => e);
        expect((again as { code?: string }).code).toBe('EMISSINGOBJECT');
      });
    }
  }

  for (const link of ['copy', 'hardlink', 'symlink'] as LinkType[]) {
    it(`fails a whole directory restore (${link}) when one file object is bad; the old directory stays`, async () => {
      const { root, store, hasher } = await stored({ 'out/a': 'A', 'out/sub/b': BIG });
      const ph = (await hasher.hashPath('out')) as DirHash;
      await store.commit(path.join(root, 'out'), ph);
      damage(store, sha(BIG), flip(BIG));
      rmSync(path.join(root, 'out', 'a'));
      const err = await store.restore(ph.hash, path.join(root, 'out'), { linkTypes: [link] }).catch((e: unknown) => e);
      expect((err as { code?: string }).code).toBe('ECORRUPTOBJECT');
      expect((err as Error).message).toContain(path.join(root, 'out', 'sub', 'b'));
      expect(readdirSync(path.join(root, 'out'))).toEqual(['sub']);
      expect(leftovers(root)).toEqual([]);
    });
  }

  it('refuses a corrupt manifest', async () => {
    const { root, store, hasher } = await stored({ 'out/a': 'A' });
    const ph = (await hasher.hashPath('out')) as DirHash;
    await store.commit(path.join(root, 'out'), ph);
    damage(store, ph.hash, '[]');
    const err = await store.restore(ph.hash, path.join(root, 'copy')).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('ECORRUPTOBJECT');
    expect(existsSync(path.join(root, 'copy'))).toBe(false);
    expect(await store.has(ph.hash)).toBe(false);
  });

  it('reports a missing object as EMISSINGOBJECT, naming the output', async () => {
    const { root, store } = await stored({});
    const err = await store.restore(sha('nothing'), path.join(root, 'out.txt')).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('EMISSINGOBJECT');
    expect((err as Error).message).toContain('out.txt');
  });

  it('returns the restored files with the verified hashes, for the stat cache', async () => {
    const { root, store, hasher } = await stored({ 'out/a': 'A', 'out/b': BIG });
    const ph = (await hasher.hashPath('out')) as DirHash;
    await store.commit(path.join(root, 'out'), ph);
    rmSync(path.join(root, 'out'), { recursive: true });
    const restored = await store.restore(ph.hash, path.join(root, 'out'));
    expect(restored).toEqual(ph.manifest.map((e) => ({ relPath: e.path, hash: e.hash, size: e.size })));
    expect(readFileSync(path.join(root, 'out', 'b')).equals(BIG)).toBe(true);
  });
});

describe('directories come back exactly', () => {
  for (const link of ['copy', 'hardlink', 'symlink'] as LinkType[]) {
    it(`restores empty subdirectories and the executable bit (${link})`, async () => {
      const { root, store, hasher } = await stored({ 'out/run.sh': '#!/bin/sh\n', 'out/data': 'd', 'out/same': '#!/bin/sh\n' });
      chmodSync(path.join(root, 'out', 'run.sh'), 0o755);
      mkdirSync(path.join(root, 'out', 'x', 'report'), { recursive: true });
      mkdirSync(path.join(root, 'out', 'empty'));
      const ph = (await hasher.hashPath('out')) as DirHash;
      expect(ph.emptyDirs).toEqual(['empty', 'x/report']);
      await store.commit(path.join(root, 'out'), ph);
      rmSync(path.join(root, 'out'), { recursive: true });
      await store.restore(ph.hash, path.join(root, 'out'), { linkTypes: [link] });
      expect(statSync(path.join(root, 'out', 'x', 'report')).isDirectory()).toBe(true);
      expect(statSync(path.join(root, 'out', 'empty')).isDirectory()).toBe(true);
      expect(statSync(path.join(root, 'out', 'run.sh')).mode & 0o100).toBe(0o100);
      expect(statSync(path.join(root, 'out', 'same')).mode & 0o100).toBe(0);
      const again = await new Hasher({ root, workers: 1 }).hashPath('out');
      expect(again?.hash).toBe(ph.hash);
    });
  }
});

describe('commit never keeps a bad object', () => {
  for (const [what, harm] of damages) {
    for (const [size, bytes] of [['small', Buffer.from('the good bytes\n')], ['large', BIG]] as const) {
      it(`replaces an existing ${size} object damaged by ${what}`, async () => {
        const { root, store } = await stored({ f: bytes });
        const hash = sha(bytes);
        await store.putFile(path.join(root, 'f'), hash, bytes.length);
        harm(bytes, store, hash);
        await store.putFile(path.join(root, 'f'), hash, bytes.length);
        expect(readFileSync(store.objectPath(hash)).equals(bytes)).toBe(true);
        expect(statSync(store.objectPath(hash)).mode & 0o777).toBe(0o444);
        expect(quarantined(root)).toHaveLength(1);
      });
    }
  }

  it('replaces a corrupt existing manifest', async () => {
    const { root, store, hasher } = await stored({ 'out/a': 'A' });
    const ph = (await hasher.hashPath('out')) as DirHash;
    await store.commit(path.join(root, 'out'), ph);
    damage(store, ph.hash, '[]');
    await store.commit(path.join(root, 'out'), ph);
    expect(await store.verify(ph.hash)).toBe(true);
  });

  it('re-hashes the existing objects of a big directory on the worker pool and replaces a bad one', async () => {
    const { root, hasher } = await stored({ 'out/a': 'A', 'out/b': BIG, 'out/c': 'C' });
    const store = new ObjectStore(path.join(root, '.orchestrator', 'cache'), { verifyPoolThreshold: { bytes: 0, files: 0 } });
    const ph = (await hasher.hashPath('out')) as DirHash;
    await store.commit(path.join(root, 'out'), ph);
    const inoA = statSync(store.objectPath(sha('A'))).ino;
    damage(store, sha(BIG), flip(BIG));
    damage(store, sha('C'), 'D');
    await store.commit(path.join(root, 'out'), ph);
    expect(readFileSync(store.objectPath(sha(BIG))).equals(BIG)).toBe(true);
    expect(readFileSync(store.objectPath(sha('C')), 'utf8')).toBe('C');
    expect(statSync(store.objectPath(sha('A'))).ino).toBe(inoA);
    expect(quarantined(root)).toHaveLength(2);
  });

  it('keeps a sound existing object as it is', async () => {
    const { root, store } = await stored({ f: 'abc' });
    await store.putFile(path.join(root, 'f'), sha('abc'), 3);
    const ino = statSync(store.objectPath(sha('abc'))).ino;
    await store.putFile(path.join(root, 'f'), sha('abc'), 3);
    expect(statSync(store.objectPath(sha('abc'))).ino).toBe(ino);
    expect(quarantined(root)).toEqual([]);
  });
});

describe('a restore of an object this process has just verified (pull)', () => {
  const adopted = async (bytes: Buffer) => {
    const { root, store } = await stored({ 'out.txt': 'user bytes\n' });
    const hash = sha(bytes);
    expect(await store.adoptBytes(bytes, hash)).toBeUndefined();
    return { root, store, hash };
  };

  it('knows the object as verified only while it is the same file, and only in the store that placed it', async () => {
    const { root, store, hash } = await adopted(Buffer.from('fetched bytes\n'));
    const obj = store.objectPath(hash);
    expect(store.verifiedHere(hash, lstatSync(obj))).toBe(true);
    expect(new ObjectStore(path.join(root, '.orchestrator', 'cache')).verifiedHere(hash, lstatSync(obj))).toBe(false);
    damage(store, hash, flip(readFileSync(obj)));
    expect(store.verifiedHere(hash, lstatSync(obj))).toBe(false);
  });

  it('restores it by plain copy, byte for byte, with the user mode', async () => {
    const { root, store, hash } = await adopted(BIG);
    await store.restore(hash, path.join(root, 'out.txt'));
    expect(sha(readFileSync(path.join(root, 'out.txt')))).toBe(hash);
    expect(statSync(path.join(root, 'out.txt')).mode & 0o777).toBe(0o644);
  });

  for (const [what, harm] of [
    ['rewritten in place', (store: ObjectStore, hash: string) => damage(store, hash, flip(BIG))],
    ['replaced by another file', (store: ObjectStore, hash: string) => {
      const other = `${store.objectPath(hash)}.other`;
      writeFileSync(other, flip(BIG));
      renameSync(other, store.objectPath(hash));
    }],
  ] as const) {
    it(`still refuses it once ${what} after the fetch, and quarantines it`, async () => {
      const { root, store, hash } = await adopted(BIG);
      harm(store, hash);
      const err = await store.restore(hash, path.join(root, 'out.txt')).catch((e: unknown) => e);
      expect((err as { code?: string }).code).toBe('ECORRUPTOBJECT');
      expect(readFileSync(path.join(root, 'out.txt'), 'utf8')).toBe('user bytes\n');
      expect(quarantined(root)).toHaveLength(1);
    });
  }
});
