import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeSharedDirs, makeSharedDirsSync } from '../../src/cache/shared-dirs.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'orch-shared-dirs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const mode = (p: string) => (statSync(p).mode & 0o7777).toString(8);
/** Every entry under `dir`, recursively, relative. */
const tree = (dir: string): string[] => readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();

describe('group-shared folders', () => {
  it('every level made is group-writable and setgid, whatever the umask; many callers at once all succeed and leave no temporary folders', async () => {
    const old = process.umask(0o077);
    try {
      const base = path.join(root, 'race');
      mkdirSync(base);
      const target = path.join(base, 'cache', 'objects', 'ab');
      await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 ? makeSharedDirs(target, true) : Promise.resolve(makeSharedDirsSync(target, true)))));
      expect(tree(base)).toEqual(['cache', 'cache/objects', 'cache/objects/ab']);
      for (const d of ['cache', 'cache/objects', 'cache/objects/ab']) expect(mode(path.join(base, d))).toBe('2775');
    } finally {
      process.umask(old);
    }
  });

  it('keeps a folder that already holds something', async () => {
    const dir = path.join(root, 'kept', 'ab');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'object'), 'x');
    await makeSharedDirs(dir, true);
    makeSharedDirsSync(dir, true);
    expect(tree(path.join(root, 'kept'))).toEqual(['ab', 'ab/object']);
  });
});

describe('group-shared folders appear', () => {
  it('already group-writable: another user never finds one it cannot add to', async () => {
    const old = process.umask(0o077);
    const seen: string[] = [];
    try {
      const base = path.join(root, 'watched');
      mkdirSync(base);
      const levels = ['a', 'a/b', 'a/b/c', 'a/b/c/d'].map((d) => path.join(base, d));
      let done = false;
      // Look at every level on every turn of the event loop while the folders are being made.
      const look = () => {
        for (const d of levels) {
          const st = statSync(d, { throwIfNoEntry: false });
          if (st && (st.mode & 0o070) !== 0o070) seen.push(`${d}: ${(st.mode & 0o7777).toString(8)}`);
        }
        if (!done) setImmediate(look);
      };
      look();
      await makeSharedDirs(levels.at(-1)!, true);
      done = true;
    } finally {
      process.umask(old);
    }
    expect(seen).toEqual([]);
  });
});
