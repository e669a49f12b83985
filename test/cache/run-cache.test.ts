import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunCache, type RunCacheEntry } from '../../src/cache/run-cache.js';
import { tempDir } from '../hash/tmpdir.js';

const entry = (key: string): RunCacheEntry => ({
  key,
  stage: 'synth',
  fingerprint: '{"v":1,"cmd":"make"}',
  outs: [
    { path: 'build/bit', hash: 'a'.repeat(64), size: 10, isexec: true },
    { path: 'build/dir', hash: 'b'.repeat(64) + '.dir', size: 20, nfiles: 3 },
  ],
  created: '2024-01-01T00:00:00.000Z',
});

describe('RunCache', () => {
  it('round-trips entries, lists and removes them', async () => {
    const rc = new RunCache(tempDir());
    const k1 = 'ab' + '1'.repeat(62);
    const k2 = 'cd' + '2'.repeat(62);
    expect(await rc.get(k1)).toBeUndefined();
    await rc.put(entry(k1));
    await rc.put(entry(k2));
    expect(await rc.get(k1)).toEqual(entry(k1));
    expect(rc.entryPath(k1)).toBe(path.join(rc.cacheDir, 'runs', 'ab', `${k1}.json`));
    const listed: string[] = [];
    for await (const e of rc.list()) listed.push(e.key);
    expect(listed).toEqual([k1, k2]);
    await rc.remove(k1);
    expect(await rc.get(k1)).toBeUndefined();
  });

  it('treats corrupt or mismatched entry files as absent', async () => {
    const rc = new RunCache(tempDir());
    const k = 'ef' + '3'.repeat(62);
    mkdirSync(path.dirname(rc.entryPath(k)), { recursive: true });
    for (const junk of ['{', 'null', '{"key":"x"}', JSON.stringify({ ...entry('other') })]) {
      writeFileSync(rc.entryPath(k), junk);
      expect(await rc.get(k)).toBeUndefined();
    }
    const listed = [];
    for await (const e of rc.list()) listed.push(e);
    expect(listed).toEqual([]);
  });

  it('rejects keys that would escape the runs directory', () => {
    expect(() => new RunCache(tempDir()).entryPath('../../x')).toThrow(/valid run-cache key/);
  });
});
