/**
 * The shared-folder backend (a mounted group share, NFS) through the same RemoteBackend contract as
 * S3 and SSH, on a real folder; then what only it does: batched uploads, staged in its `tmp/` and
 * committed with one filesystem sync per batch.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMIT_OBJECTS, LocalFolderBackend } from '../../../src/cache/remote/local.js';
import { describeBackendContract } from './backend-contract.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'orch-folder-remote-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeBackendContract('folder', () => ({
  open: () => LocalFolderBackend.open({ name: 'share', url: path.join(dir, 'store'), options: {} }),
  largeSize: 20 * 1024 * 1024,
}));

const keyOf = (bytes: Buffer): string => {
  const h = createHash('sha256').update(bytes).digest('hex');
  return `objects/${h.slice(0, 2)}/${h.slice(2)}`;
};
const contents = (n: number, tag: string): Buffer[] => Array.from({ length: n }, (_, i) => Buffer.from(`${tag} ${i}\n`));

describe('folder remote: batched uploads', () => {
  let n = 0;
  const fresh = async (): Promise<{ backend: LocalFolderBackend; root: string }> => {
    const root = path.join(dir, `batched-${++n}`);
    return { backend: await LocalFolderBackend.open({ name: 'share', url: root, options: {} }), root };
  };
  const temps = (root: string): string[] => readdirSync(path.join(root, 'tmp'));

  it('are invisible under their keys until flush, which makes them all visible and leaves no temp', async () => {
    const { backend, root } = await fresh();
    const small = contents(5, 'put');
    const local = path.join(root, '..', `upload-${n}`);
    writeFileSync(local, 'uploaded from a file\n');
    const fileKey = keyOf(Buffer.from('uploaded from a file\n'));
    for (const b of small) await backend.put(keyOf(b), b, { batched: true });
    await backend.upload(local, fileKey, 21, { batched: true, expectSha256: fileKey.replace('objects/', '').replace('/', '') });
    const keys = [...small.map(keyOf), fileKey];
    expect(await backend.existing(keys)).toEqual(new Set());
    expect(temps(root)).toHaveLength(6);
    await backend.flush();
    expect(await backend.existing(keys)).toEqual(new Set(keys));
    expect(temps(root)).toEqual([]);
    expect((await backend.get(keyOf(small[2]!), 100)).toString()).toBe('put 2\n');
    await backend.close();
  });

  it('close commits what is staged (an interrupted push keeps what it sent)', async () => {
    const { backend, root } = await fresh();
    const small = contents(3, 'closed');
    for (const b of small) await backend.put(keyOf(b), b, { batched: true });
    await backend.close();
    const again = await LocalFolderBackend.open({ name: 'share', url: root, options: {} });
    expect(await again.existing(small.map(keyOf))).toEqual(new Set(small.map(keyOf)));
    expect(temps(root)).toEqual([]);
  });

  it(`a full batch (${COMMIT_OBJECTS} objects) is committed without waiting for flush`, async () => {
    const { backend, root } = await fresh();
    const many = contents(COMMIT_OBJECTS + 1, 'many');
    for (const b of many) await backend.put(keyOf(b), b, { batched: true });
    const keys = many.map(keyOf);
    const seen = await backend.existing(keys);
    expect(seen).toEqual(new Set(keys.slice(0, COMMIT_OBJECTS)));
    expect(temps(root)).toHaveLength(1);
    await backend.flush();
    expect(await backend.existing(keys)).toEqual(new Set(keys));
    await backend.close();
  });

  it('a failed commit fails the flush and every later upload, and leaves no temp behind', async () => {
    const { backend, root } = await fresh();
    const [good, blocked] = [Buffer.from('good\n'), Buffer.from('blocked\n')];
    // Something that is not a folder where the blocked object's key folder would be: its rename fails.
    mkdirSync(path.join(root, 'objects'), { recursive: true });
    writeFileSync(path.join(root, path.dirname(keyOf(blocked))), 'not a folder');
    await backend.put(keyOf(good), good, { batched: true });
    await backend.put(keyOf(blocked), blocked, { batched: true });
    await expect(backend.flush()).rejects.toMatchObject({ name: 'RemoteError', kind: 'other' });
    await expect(backend.put(keyOf(Buffer.from('later\n')), Buffer.from('later\n'), { batched: true })).rejects.toMatchObject({ kind: 'other' });
    await backend.close();
    expect(temps(root)).toEqual([]);
    expect(await backend.existing([keyOf(blocked)])).toEqual(new Set());
  });
});
