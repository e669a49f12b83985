import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { existingPaths, LIST_THRESHOLD } from '../../src/util/existing-paths.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'orch-existing-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('existingPaths', () => {
  it('lists a folder with many wanted paths once, checks the others one by one, and agrees with the checks', async () => {
    const many = path.join(dir, 'many');
    const few = path.join(dir, 'few');
    mkdirSync(many);
    mkdirSync(few);
    const wantedMany = Array.from({ length: LIST_THRESHOLD + 4 }, (_, i) => path.join(many, `f${i}`));
    wantedMany.filter((_, i) => i % 3 !== 0).forEach((p) => writeFileSync(p, 'x'));
    writeFileSync(path.join(many, 'unwanted'), 'x');
    const wantedFew = [path.join(few, 'a'), path.join(few, 'b')];
    writeFileSync(wantedFew[0]!, 'x');
    const gone = Array.from({ length: LIST_THRESHOLD }, (_, i) => path.join(dir, 'no-such-folder', `g${i}`));

    const checked: string[] = [];
    const exists = async (p: string) => {
      checked.push(p);
      return (await import('node:fs')).existsSync(p);
    };
    const found = await existingPaths([...wantedMany, ...wantedFew, ...gone, path.join(dir, 'lone-missing')], { concurrency: 4, exists });

    expect([...found].sort()).toEqual([...wantedMany.filter((_, i) => i % 3 !== 0), wantedFew[0]!].sort());
    // Only the folders with few wanted paths were checked path by path.
    expect(checked.sort()).toEqual([...wantedFew, path.join(dir, 'lone-missing')].sort());
  });

  it('reports a listing that fails for another reason than a missing folder', async () => {
    const notDir = path.join(dir, 'plain-file');
    writeFileSync(notDir, 'x');
    const wanted = Array.from({ length: LIST_THRESHOLD }, (_, i) => path.join(notDir, `h${i}`));
    await expect(existingPaths(wanted, { concurrency: 2, exists: async () => false })).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(
      existingPaths(wanted, {
        concurrency: 2,
        exists: async () => false,
        onListError: (e, d) => {
          throw new Error(`cannot list ${d}: ${e.code}`);
        },
      }),
    ).rejects.toThrow(`cannot list ${notDir}: ENOTDIR`);
  });
});
