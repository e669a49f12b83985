/**
 * fetch lends each small-object `get` a buffer from a few it reuses, and push reads each small
 * object into one (fresh memory per object cost page faults). Against a real folder remote: the
 * buffers are reused, and a buffer whose get or put failed (a read or write of it may still be in
 * flight) is never lent again.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ObjectStore } from '../../../src/cache/object-store.js';
import { RemoteError, type GetOptions, type RemoteBackend, type RemoteKey, type TransferOptions } from '../../../src/cache/remote/backend.js';
import { LocalFolderBackend } from '../../../src/cache/remote/local.js';
import { fetch, objectKey, push } from '../../../src/cache/remote/transfer.js';
import { RunCache } from '../../../src/cache/run-cache.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'orch-fetch-buffers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fetch of small objects', () => {
  it('reuses a few lent buffers, never one whose get failed, and stores every object verified', async () => {
    const remote = await LocalFolderBackend.open({ name: 'share', url: path.join(dir, 'remote'), options: {} });
    const objects = Array.from({ length: 40 }, (_, i) => randomBytes(10 * 1024 + i));
    const hashes = objects.map((b) => createHash('sha256').update(b).digest('hex'));
    for (const [i, b] of objects.entries()) await remote.put(objectKey(hashes[i]!), b);

    const lent: Buffer[] = [];
    let failed: Buffer | undefined;
    let failedAt = -1;
    const flaky = objectKey(hashes[5]!);
    // The real backend, with one transient failure after part of the bytes arrived, and a late
    // write into that failed buffer on every later get (what a read still in flight would do).
    const backend = new Proxy(remote, {
      get(target, prop, receiver) {
        if (prop !== 'get') return Reflect.get(target, prop, receiver) as unknown;
        return async (key: RemoteKey, maxBytes: number, opts: GetOptions = {}) => {
          failed?.fill(0x5a);
          if (opts.into) lent.push(opts.into);
          if (key === flaky && failed === undefined && opts.into) {
            await target.get(key, maxBytes, opts);
            failed = opts.into;
            failedAt = lent.length - 1;
            throw new RemoteError('transient', 'connection reset mid-object');
          }
          return target.get(key, maxBytes, opts);
        };
      },
    }) satisfies RemoteBackend;

    const store = new ObjectStore(path.join(dir, 'cache'));
    const report = await fetch(
      { store, runCache: new RunCache(path.join(dir, 'cache')), backend, jobs: 3, signal: new AbortController().signal, tries: 3 },
      hashes.map((hash, i) => ({ hash, size: objects[i]!.length })),
    );

    expect(report.bad).toEqual([]);
    expect(report.transferred).toHaveLength(objects.length);
    for (const h of hashes) expect(await store.verify(h)).toBe(true);
    expect(failed).toBeDefined();
    const distinct = new Set(lent.map((b) => b.buffer));
    // One per transfer in flight plus the one dropped: not one per object.
    expect(distinct.size).toBeLessThanOrEqual(3 + 1);
    const afterFailure = lent.slice(failedAt + 1);
    expect(afterFailure.length).toBeGreaterThan(0);
    expect(afterFailure.some((b) => b.buffer === failed!.buffer)).toBe(false);
    await remote.close();
  });
});

describe('push of small objects', () => {
  it('reads them into a few reused buffers, never one whose put failed, and uploads every object intact', async () => {
    const remote = await LocalFolderBackend.open({ name: 'up', url: path.join(dir, 'up'), options: {} });
    const store = new ObjectStore(path.join(dir, 'push-cache'));
    const objects = Array.from({ length: 40 }, (_, i) => randomBytes(10 * 1024 + i));
    const hashes = objects.map((b) => createHash('sha256').update(b).digest('hex'));
    for (const [i, b] of objects.entries()) expect(await store.adoptBytes(b, hashes[i]!)).toBeUndefined();

    const lent: { key: RemoteKey; buffer: ArrayBufferLike }[] = [];
    let failed: { view: Buffer; copy: Buffer } | undefined;
    let failedAt = -1;
    const flaky = objectKey(hashes[5]!);
    let retried = (): void => undefined;
    const retry = new Promise<void>((resolve) => (retried = resolve));
    // The real backend, with one transient failure on the first try of one object: the bytes it was
    // given must stay as they were (a request still in flight could send them), so the buffer under
    // them must not be read into again, not even once its retry has succeeded. Other objects wait
    // for that retry, so some are read after it.
    const backend = new Proxy(remote, {
      get(target, prop, receiver) {
        if (prop !== 'put') return Reflect.get(target, prop, receiver) as unknown;
        return async (key: RemoteKey, bytes: Buffer, opts: TransferOptions = {}) => {
          lent.push({ key, buffer: bytes.buffer });
          if (failed) expect(failed.view.equals(failed.copy)).toBe(true);
          if (key === flaky && failed === undefined) {
            failed = { view: bytes, copy: Buffer.from(bytes) };
            failedAt = lent.length - 1;
            throw new RemoteError('transient', 'connection reset mid-object');
          }
          if (key === flaky) retried();
          else if (failed) await retry;
          return target.put(key, bytes, opts);
        };
      },
    }) satisfies RemoteBackend;

    const report = await push(
      { store, runCache: new RunCache(path.join(dir, 'push-cache')), backend, jobs: 3, signal: new AbortController().signal, tries: 3 },
      hashes.map((hash, i) => ({ hash, size: objects[i]!.length })),
    );

    expect(report.bad).toEqual([]);
    expect(report.transferred).toHaveLength(objects.length);
    for (const [i, h] of hashes.entries()) expect((await remote.get(objectKey(h), objects[i]!.length)).equals(objects[i]!)).toBe(true);
    expect(failed).toBeDefined();
    // One per transfer in flight plus the one dropped: not one per object.
    expect(new Set(lent.map((l) => l.buffer)).size).toBeLessThanOrEqual(3 + 1);
    // Other objects after the failure (its retry sends the same bytes again, rightly).
    const afterFailure = lent.slice(failedAt + 1).filter((l) => l.key !== flaky);
    expect(afterFailure.length).toBeGreaterThan(0);
    expect(afterFailure.some((l) => l.buffer === failed!.view.buffer)).toBe(false);
    await remote.close();
  });
});

describe('push of a small object whose cache file has grown', () => {
  it('refuses it by its size before reading it (a huge corrupt file is never read into memory), quarantined, not uploaded', async () => {
    const remote = await LocalFolderBackend.open({ name: 'grown', url: path.join(dir, 'grown'), options: {} });
    const store = new ObjectStore(path.join(dir, 'grown-cache'));
    const bytes = randomBytes(4096);
    const hash = createHash('sha256').update(bytes).digest('hex');
    expect(await store.adoptBytes(bytes, hash)).toBeUndefined();
    chmodSync(store.objectPath(hash), 0o644);
    writeFileSync(store.objectPath(hash), randomBytes(3 * 1024 * 1024));

    const report = await push({ store, runCache: new RunCache(path.join(dir, 'grown-cache')), backend: remote, jobs: 2, signal: new AbortController().signal }, [{ hash, size: bytes.length }]);

    expect(report.transferred).toEqual([]);
    expect(report.bad).toEqual([{ key: objectKey(hash), problem: `${3 * 1024 * 1024} bytes where 4096 were stored (local cache; moved to quarantine)` }]);
    expect(await store.has(hash)).toBe(false);
    expect(await remote.existing([objectKey(hash)])).toEqual(new Set());
    await remote.close();
  });
});
