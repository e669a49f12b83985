/**
 * DVC's hashes as dvc-data computes them. Expected values come from Python itself:
 * hashlib.md5(json.dumps(sorted([{"md5": ..., "relpath": ...}], key=relpath), sort_keys=True).encode()),
 * the bytes dvc-data's Tree.as_bytes() hashes (dvc_data/hashfile/tree.py).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dvcHash, md5File } from '../../src/hash/dvc-md5.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tree(files: Record<string, string | Buffer>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'dvc-md5-'));
  dirs.push(root);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), content);
  }
  return root;
}

describe('DVC md5', () => {
  it('hashes a directory as the md5 of Python json.dumps of its sorted listing, non-ASCII names escaped', async () => {
    const root = tree({ 'a.txt': 'a\nb\n', 'b.txt': 'x\n', 's/c.bin': Buffer.from([0, 1]), 'été/d.txt': 'd\n', 'Z.txt': 'z\n' });
    expect(await dvcHash(root)).toEqual({ md5: '3368ed129f342555b6813315b6841e32.dir', size: 12, nfiles: 5 });
  });

  it('hashes a file as plain md5 (DVC 3), or after CRLF -> LF when dos2unix (DVC 2 text files)', async () => {
    const root = tree({ 'crlf.txt': 'a\r\nb\r\n' });
    expect(await md5File(path.join(root, 'crlf.txt'))).toBe('59b0d7772f0561efb95518f3cb8abc60');
    expect(await md5File(path.join(root, 'crlf.txt'), true)).toBe('dd8c6a395b5dd36c56d23275028f526c');
  });

  it('leaves binary files (a NUL in the first 8 KiB) unconverted under dos2unix', async () => {
    const bytes = Buffer.from([0, 13, 10]);
    const root = tree({ 'b.bin': bytes });
    expect(await md5File(path.join(root, 'b.bin'), true)).toBe(await md5File(path.join(root, 'b.bin')));
  });

  it('is undefined for a missing path', async () => {
    expect(await dvcHash(path.join(tree({}), 'nope'))).toBeUndefined();
  });
});
