import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { SMALL_FILE, withFileBytes } from '../../src/util/small-file.js';

describe('withFileBytes', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orch-small-file-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, bytes: Buffer): string => {
    const p = path.join(dir, name);
    writeFileSync(p, bytes);
    return p;
  };

  test('hands over the whole file, empty, small, at the buffer size and larger than the buffer', () => {
    for (const size of [0, 1, 100 * 1024, SMALL_FILE, SMALL_FILE + 1, SMALL_FILE + 2, 3 * SMALL_FILE + 5]) {
      const content = randomBytes(size);
      expect(withFileBytes(file(`f${size}`, content), (b) => b.equals(content))).toBe(true);
    }
  });

  test('reuses one buffer from call to call (no fresh memory per file)', () => {
    const a = withFileBytes(file('a', Buffer.from('first')), (b) => b);
    const b = withFileBytes(file('b', Buffer.from('other')), (x) => x);
    expect(a.buffer).toBe(b.buffer);
    // Which is why the bytes are valid only inside `use`: the first view now shows the second file.
    expect(a.toString()).toBe('other');
  });

  test('a nested call gets a buffer of its own: the outer bytes stay intact', () => {
    const outer = file('outer', Buffer.from('outer bytes'));
    const inner = file('inner', Buffer.from('INNER BYTES'));
    const seen = withFileBytes(outer, (o) => {
      const i = withFileBytes(inner, (x) => x.toString());
      return [o.toString(), i];
    });
    expect(seen).toEqual(['outer bytes', 'INNER BYTES']);
  });

  test('refuses an asynchronous use, and lends the buffer again after it', () => {
    const p = file('async', Buffer.from('x'));
    expect(() => withFileBytes(p, async () => 1)).toThrow(/must be synchronous/);
    const after = withFileBytes(p, (b) => b);
    expect(withFileBytes(p, (b) => b).buffer).toBe(after.buffer);
  });

  test('a missing file throws ENOENT before use runs', () => {
    let ran = false;
    expect(() => withFileBytes(path.join(dir, 'missing'), () => (ran = true))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(ran).toBe(false);
  });
});
