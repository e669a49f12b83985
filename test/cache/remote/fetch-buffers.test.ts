/**
 * fetch lends each small-object `get` a buffer from a few it reuses (fresh memory per object cost
 * page faults). Against a real folder remote: the buffers are reused, and a buffer whose get failed
 * (a read of it may still be in flight) is never lent again.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ObjectStore } from '../../../src/cache/object-store.js';
import { RemoteError, type GetOptions, type RemoteBackend, type RemoteKey } from '../../../src/cache/remote/backend.js';
import { LocalFolderBackend } from '../../../src/cache/remote/local.js';
import { fetch, objectKey } from '../../../src/cache/remote/transfer.js';
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
