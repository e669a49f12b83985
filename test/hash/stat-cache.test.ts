import { statSync, writeFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StatCache } from '../../src/hash/stat-cache.js';
import { tempDir } from './tmpdir.js';

const h1 = '1'.repeat(64);
const h2 = '2'.repeat(64);

describe('StatCache', () => {
  it('hits only when ino, size and mtime match', async () => {
    const dir = tempDir({ f: 'hello' });
    const sc = StatCache.inMemory();
    const st = statSync(path.join(dir, 'f'));
    sc.record('f', st, h1);
    expect(sc.lookup('f', st)).toBe(h1);
    expect(sc.lookup('f', { ...st, mtimeMs: st.mtimeMs + 0.001 })).toBeUndefined();
    expect(sc.lookup('f', { ...st, size: st.size + 1 })).toBeUndefined();
    expect(sc.lookup('f', { ...st, ino: st.ino + 1 })).toBeUndefined();
    expect(sc.lookup('g', st)).toBeUndefined();
  });

  it('persists across instances and only saves when dirty', async () => {
    const dir = tempDir({ f: 'x' });
    const file = StatCache.defaultPath(dir);
    const st = statSync(path.join(dir, 'f'));
    const a = await StatCache.load(file);
    a.record('f', st, h1);
    a.record('d/g', st, h2);
    await a.save();
    const b = await StatCache.load(file);
    expect(b.size).toBe(2);
    expect(b.lookup('f', st)).toBe(h1);
    const mtimeBefore = statSync(file).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    await b.save(); // not dirty (looked up today already): no write
    expect(statSync(file).mtimeMs).toBe(mtimeBefore);
  });

  it('forgets a prefix and everything under it, but not siblings sharing a name prefix', async () => {
    const dir = tempDir({ f: 'x' });
    const st = statSync(path.join(dir, 'f'));
    const sc = StatCache.inMemory();
    for (const p of ['out', 'out/a', 'out/b/c', 'outer', 'x']) sc.record(p, st, h1);
    sc.forget('out');
    expect(['out', 'out/a', 'out/b/c', 'outer', 'x'].map((p) => sc.lookup(p, st) !== undefined)).toEqual([
      false,
      false,
      false,
      true,
      true,
    ]);
  });

  it('treats a missing or corrupt file as empty', async () => {
    const dir = tempDir();
    expect((await StatCache.load(path.join(dir, 'nope.json'))).size).toBe(0);
    const file = StatCache.defaultPath(dir);
    mkdirSync(path.dirname(file), { recursive: true });
    for (const junk of ['{not json', '[]', '{"version":1,"entries":[["a",1]]}', '\0\0\0']) {
      writeFileSync(file, junk);
      const sc = await StatCache.load(file);
      expect(sc.size).toBe(0);
    }
    // and saving over a corrupt file works
    const sc = await StatCache.load(file);
    sc.record('f', { ino: 1, size: 2, mtimeMs: 3 }, h1);
    await sc.save();
    expect((await StatCache.load(file)).lookup('f', { ino: 1, size: 2, mtimeMs: 3 })).toBe(h1);
  });

  it('loads and saves 20,000 entries', async () => {
    const dir = tempDir();
    const file = StatCache.defaultPath(dir);
    const sc = await StatCache.load(file);
    for (let i = 0; i < 20_000; i++) sc.record(`out/d${i % 100}/f${i}`, { ino: i, size: 100, mtimeMs: 1700000000123.4567 }, h1);
    await sc.save();
    const again = await StatCache.load(file);
    expect(again.size).toBe(20_000);
    expect(again.lookup('out/d5/f105', { ino: 105, size: 100, mtimeMs: 1700000000123.4567 })).toBe(h1);
  });
});
