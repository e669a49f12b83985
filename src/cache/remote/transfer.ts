import { createHash } from 'node:crypto';
import { lstatSync, promises as fsp, readFileSync, statSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { parseDirListing } from '../../hash/manifest.js';
import { isDirHash } from '../../hash/types.js';
import { mapLimit } from '../../util/concurrency.js';
import { checkFetched, CorruptObjectError, MissingObjectError, type ObjectStore } from '../object-store.js';
import { parseEntry, type RunCache, type RunCacheEntry, type RunCacheOut } from '../run-cache.js';
import { RemoteError, type PlaceOptions, type RemoteBackend, type RemoteKey, type TransferOptions } from './backend.js';

/*
 * Backend-agnostic push and fetch. What moves is computed from outputs (lock entries, run-cache
 * entries): a file's object, a directory's manifest and every file it lists. Order makes a partial
 * transfer harmless on both sides: file objects first, then the manifests naming them, then the
 * run-cache entries naming those; each appears atomically (the backend's upload, the store's
 * adoptTemp), so an interrupted transfer leaves only complete objects and a rerun skips them. A push
 * batches its uploads and flushes the backend after each of the three steps, so nothing goes up
 * before what it names is there.
 */

export const objectKey = (hash: string): RemoteKey => `objects/${hash.slice(0, 2)}/${hash.slice(2)}`;
export const runKey = (key: string): RemoteKey => `runs/${key.slice(0, 2)}/${key}.json`;
export const hashOfKey = (key: RemoteKey): string => key.slice('objects/'.length).replace('/', '');
const HASH_RE = /^[0-9a-f]{64}(\.dir)?$/;
/**
 * File objects up to this size move through memory: read and verified once, sent from the same
 * bytes; fetched into memory, verified and written once. No temp file on this side, a third of the
 * system calls of a file-to-file transfer (most objects of a FINN build or a dataset are this small).
 */
const IN_MEMORY_MAX = 1024 * 1024;
const inMemory = (hash: string, size: number): boolean => !isDirHash(hash) && size >= 0 && size <= IN_MEMORY_MAX;

/**
 * Buffers for small objects, one per transfer in flight and reused from object to object: fresh
 * memory is touched once, not per object (its page faults cost more than the copy). A buffer goes
 * back only when its object's first attempt succeeded: a failed attempt (then retried, or thrown)
 * might still have a read or a write in flight on it, so that one is dropped.
 */
class BufferPool {
  private readonly free: Buffer[] = [];
  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafe(IN_MEMORY_MAX + 1);
  }
  give(buf: Buffer): void {
    this.free.push(buf);
  }
}

export interface ProgressSink {
  /** Objects (and bytes, when known) this transfer will move. */
  start(verb: string, objects: number, bytes: number): void;
  object(bytes: number): void;
  end(): void;
}

export interface TransferContext {
  store: ObjectStore;
  runCache: RunCache;
  backend: RemoteBackend;
  jobs: number;
  signal: AbortSignal;
  progress?: ProgressSink;
  /** Tries per object for transient errors (default 5: 0.2, 0.4, 0.8, 1.6 s apart, plus jitter). */
  tries?: number;
}

export interface BadObject {
  key: RemoteKey;
  problem: string;
}

export interface TransferReport {
  /** Keys moved by this call. */
  transferred: RemoteKey[];
  /** Keys the other side already had. */
  present: number;
  bytes: number;
  /** Keys the source side lacks (not in the local cache for a push, not on the remote for a fetch). */
  missing: RemoteKey[];
  /** Refused: bytes that do not match their name, on the remote (fetch) or in the local cache (push, then quarantined). */
  bad: BadObject[];
}

const emptyReport = (): TransferReport => ({ transferred: [], present: 0, bytes: 0, missing: [], bad: [] });

export interface OutRef {
  hash: string;
  size: number;
  cache?: boolean;
}

/** Retries a remote call while it fails with a transient error; anything else fails at once. */
export async function withRetry<T>(fn: () => Promise<T>, signal: AbortSignal, tries = 5): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    signal.throwIfAborted();
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof RemoteError) || e.kind !== 'transient' || attempt + 1 >= tries) throw e;
      await delay(200 * 2 ** attempt * (1 + Math.random() / 2), undefined, { signal });
    }
  }
}

/**
 * Waits until `signal` aborts, then rejects with its reason: a paused transfer still ends at Ctrl-C
 * (exit 130, its temps removed) or dies with the process when killed.
 */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_, reject) => {
    if (signal.aborted) return reject(signal.reason);
    // An interval keeps the event loop alive while nothing else is pending.
    const keepAlive = setInterval(() => undefined, 1 << 30);
    signal.addEventListener('abort', () => (clearInterval(keepAlive), reject(signal.reason)), { once: true });
  });
}

/** Test hook: after this many objects, stop and wait (to be interrupted or killed), so interruption tests need no sleeps. */
async function pauseHook(done: number, signal: AbortSignal): Promise<void> {
  const after = Number(process.env.ORCHESTRATOR_TRANSFER_PAUSE_AFTER ?? NaN);
  if (!Number.isInteger(after) || done < after) return;
  process.stderr.write(`transfer paused after ${done} objects (ORCHESTRATOR_TRANSFER_PAUSE_AFTER)\n`);
  await untilAborted(signal);
}

let bytesPause: Promise<never> | undefined;

/**
 * Test hook: the `onBytes` a transfer of `key` passes to the backend when
 * ORCHESTRATOR_TRANSFER_PAUSE_AFTER_BYTES is set. Once this many bytes of one file have moved, it
 * returns a promise that settles only on abort; a backend that awaits `onBytes` (the SSH loops, the
 * S3 streams) then holds its temp file, partly written, until the test interrupts or kills the
 * process. Pauses once per process; without the variable, backends get no callback at all.
 */
function bytesHook(key: RemoteKey, signal: AbortSignal): ((bytes: number) => Promise<void> | void) | undefined {
  const after = Number(process.env.ORCHESTRATOR_TRANSFER_PAUSE_AFTER_BYTES ?? NaN);
  if (!Number.isInteger(after)) return undefined;
  let moved = 0;
  return (bytes) => {
    moved += bytes;
    if (bytesPause) return bytesPause;
    if (moved < after) return;
    process.stderr.write(`transfer paused after ${moved} bytes of ${key} (ORCHESTRATOR_TRANSFER_PAUSE_AFTER_BYTES)\n`);
    bytesPause = untilAborted(signal);
    bytesPause.catch(() => undefined);
    return bytesPause;
  };
}

/** The transfer options for one object: the abort signal, and the test hook's `onBytes` when set. */
function objectOpts(key: RemoteKey, signal: AbortSignal): TransferOptions {
  const onBytes = bytesHook(key, signal);
  return onBytes ? { signal, onBytes } : { signal };
}

/** A push's uploads are batched: `push` flushes the backend before anything that names them goes up. */
function uploadOpts(key: RemoteKey, signal: AbortSignal): PlaceOptions {
  return { ...objectOpts(key, signal), batched: true };
}

/** The objects outputs reference, read from the local cache; manifests that are missing or bad are reported. */
async function localObjects(store: ObjectStore, outs: readonly OutRef[], report: TransferReport): Promise<{ files: Map<string, number>; manifests: Map<string, string[]> }> {
  const files = new Map<string, number>();
  const manifests = new Map<string, string[]>();
  for (const out of outs) {
    if (out.cache === false) continue;
    if (!isDirHash(out.hash)) {
      files.set(out.hash, out.size);
      continue;
    }
    if (manifests.has(out.hash)) continue;
    try {
      const listing = await store.readDirListing(out.hash);
      manifests.set(out.hash, [...new Set(listing.entries.map((e) => e.hash))]);
      for (const e of listing.entries) files.set(e.hash, e.size);
    } catch (e) {
      if (e instanceof MissingObjectError) report.missing.push(objectKey(out.hash));
      else if (e instanceof CorruptObjectError) report.bad.push({ key: objectKey(out.hash), problem: e.problem });
      else throw e;
    }
  }
  return { files, manifests };
}

/**
 * Uploads what the remote lacks of `outs` (and of `runs`, run-cache entries, with their outputs).
 * One batched existence check first; every local object is re-hashed before it leaves (a bad one is
 * quarantined and reported, never uploaded).
 */
export async function push(ctx: TransferContext, outs: readonly OutRef[], runs: readonly RunCacheEntry[] = []): Promise<TransferReport> {
  const { store, backend, signal } = ctx;
  const report = emptyReport();
  const { files, manifests } = await localObjects(store, [...outs, ...runs.flatMap((r) => r.outs)], report);
  const keys = [...[...files.keys()].map(objectKey), ...[...manifests.keys()].map(objectKey), ...runs.map((r) => runKey(r.key))];
  // Objects are content-addressed, so their size is known (run-cache entries differ in their timestamps).
  const sizes = new Map<RemoteKey, number>([...files].map(([h, n]) => [objectKey(h), n]));
  for (const h of manifests.keys()) {
    const n = statSync(store.objectPath(h), { throwIfNoEntry: false })?.size;
    if (n !== undefined) sizes.set(objectKey(h), n);
  }
  const there = await withRetry(() => backend.existing(keys, { signal, sizes }), signal, ctx.tries);
  report.present = keys.filter((k) => there.has(k)).length;
  const onRemote = (hash: string) => there.has(objectKey(hash));

  const todoFiles = [...files].filter(([h]) => !onRemote(h));
  const todoManifests = [...manifests.keys()].filter((h) => !onRemote(h));
  const todoRuns = runs.filter((r) => !there.has(runKey(r.key)));
  const manifestBytes = todoManifests.reduce((n, h) => n + (statSync(store.objectPath(h), { throwIfNoEntry: false })?.size ?? 0), 0);
  ctx.progress?.start('push', todoFiles.length + todoManifests.length + todoRuns.length, todoFiles.reduce((n, [, s]) => n + s, manifestBytes));
  let done = 0;
  const pool = new BufferPool();
  const uploadObject = async (hash: string, size: number): Promise<void> => {
    signal.throwIfAborted();
    const key = objectKey(hash);
    const file = store.objectPath(hash);
    const refuse = async (problem: string): Promise<void> => {
      await store.reject(hash, undefined, problem);
      report.bad.push({ key, problem: `${problem} (local cache; moved to quarantine)` });
    };
    // Every object is verified on its way out: a small one read and hashed once, then sent from
    // those bytes; a large one hashed by the backend as it is sent (it becomes visible only if it
    // matches); a manifest, which must also parse, checked before.
    let send: () => Promise<void>;
    let bytes: number;
    let attempts = 0;
    let lent: Buffer | undefined;
    // A file object is checked against its record before it is read: a cache file far larger than
    // its record is never read into memory.
    const st = isDirHash(hash) ? undefined : lstatSync(file, { throwIfNoEntry: false });
    if (!isDirHash(hash)) {
      if (!st) return void report.missing.push(key);
      if (!st.isFile()) return refuse('not a regular file');
      if (size >= 0 && st.size !== size) return refuse(`${st.size} bytes where ${size} were stored`);
    }
    if (inMemory(hash, size)) {
      const into = pool.take();
      let small: Buffer;
      try {
        small = await store.readFileVerified(hash, undefined, into); // a bad object is quarantined by the store
      } catch (e) {
        pool.give(into); // nothing remote saw it
        if (e instanceof MissingObjectError) return void report.missing.push(key);
        if (e instanceof CorruptObjectError) return void report.bad.push({ key, problem: `${e.problem} (local cache; moved to quarantine)` });
        throw e;
      }
      lent = into;
      send = () => (attempts++, backend.put(key, small, uploadOpts(key, signal)));
      bytes = small.length;
    } else if (st) {
      send = () => backend.upload(file, key, st.size, { ...uploadOpts(key, signal), expectSha256: hash });
      bytes = st.size;
    } else {
      const found = await store.inspect(hash);
      if (found?.kind === 'missing') return void report.missing.push(key);
      if (found?.kind === 'corrupt') return refuse(found.problem);
      bytes = statSync(file).size;
      send = () => backend.upload(file, key, bytes, uploadOpts(key, signal));
    }
    try {
      await withRetry(send, signal, ctx.tries);
    } catch (e) {
      if (e instanceof RemoteError && e.kind === 'mismatch') return refuse(e.message);
      throw e;
    }
    if (lent && attempts === 1) pool.give(lent);
    there.add(key);
    report.transferred.push(key);
    report.bytes += bytes;
    ctx.progress?.object(bytes);
    await pauseHook(++done, signal);
  };
  try {
    await mapLimit(todoFiles, ctx.jobs, ([h, s]) => uploadObject(h, s));
    await backend.flush?.();
    // A manifest goes up only once all its files are there: a visible manifest implies a complete directory.
    await mapLimit(todoManifests.filter((m) => manifests.get(m)!.every(onRemote)), ctx.jobs, (h) => uploadObject(h, -1));
    await backend.flush?.();
    const complete = (o: RunCacheOut) => onRemote(o.hash);
    await mapLimit(todoRuns.filter((r) => r.outs.every(complete)), ctx.jobs, async (r) => {
      signal.throwIfAborted();
      const file = ctx.runCache.entryPath(r.key);
      await withRetry(() => backend.upload(file, runKey(r.key), statSync(file).size, { signal, batched: true }), signal, ctx.tries);
      report.transferred.push(runKey(r.key));
      ctx.progress?.object(0);
      await pauseHook(++done, signal);
    });
    await backend.flush?.();
  } finally {
    ctx.progress?.end();
  }
  return report;
}

/**
 * Checks a fetched run-cache entry. It has no content hash in its name, but its key is the sha256 of
 * its fingerprint text: the entry must parse, carry the key its name says, hash to it, and name only
 * well-formed objects (which are then fetched and verified like any other).
 */
export function checkRunEntry(text: string, key: string): RunCacheEntry | string {
  let entry: RunCacheEntry | undefined;
  try {
    entry = parseEntry(text);
  } catch (e) {
    return `not JSON (${(e as Error).message})`;
  }
  if (!entry) return 'not a run-cache entry (missing or mistyped fields)';
  if (entry.key !== key) return `it carries key ${entry.key}`;
  const got = createHash('sha256').update(entry.fingerprint).digest('hex');
  if (got !== key) return `its fingerprint hashes to ${got}`;
  const bad = entry.outs.find((o) => !HASH_RE.test(o.hash));
  if (bad) return `it names a malformed hash for ${bad.path}`;
  return entry;
}

/**
 * Downloads what the local cache lacks of `outs`, and the run-cache entries `runKeys` with their
 * outputs. Nothing becomes visible before it verifies: objects land in the cache's tmp folder, are
 * hashed, then renamed into place; manifests are placed after every file they list, run-cache
 * entries after all their objects. A bad remote object is reported by key and never placed.
 */
export async function fetch(
  ctx: TransferContext,
  outs: readonly OutRef[],
  runKeys: readonly string[] = [],
  /** Which fetched run-cache entries to keep (e.g. only the selected stages'). */
  wantRun: (entry: RunCacheEntry) => boolean = () => true,
): Promise<TransferReport & { runs: RunCacheEntry[] }> {
  const { store, backend, signal } = ctx;
  const report = emptyReport();
  const runs: RunCacheEntry[] = [];
  // Temps a killed fetch left (older than an hour) go, even when this fetch has nothing to download.
  await store.sweepTemps();
  let done = 0;
  /** Downloads `key` to a temp file: its path and, when the backend hashed the bytes as they came, their sha256. */
  const download = async (key: RemoteKey): Promise<{ tmp: string; sha256: string | undefined } | undefined> => {
    const tmp = await store.tempPath(key.slice(-12));
    try {
      const sha256 = await withRetry(() => backend.download(key, tmp, objectOpts(key, signal)), signal, ctx.tries);
      return { tmp, sha256 };
    } catch (e) {
      await fsp.rm(tmp, { force: true });
      if (e instanceof RemoteError && e.kind === 'not-found') {
        report.missing.push(key);
        return undefined;
      }
      throw e;
    }
  };
  const pool = new BufferPool();
  /** `backend.get` into a pooled buffer; `done` gives the buffer back once the caller is through with the bytes. */
  const get = async (key: RemoteKey, expected: number): Promise<{ bytes: Buffer; done: () => void } | undefined> => {
    const into = pool.take();
    let attempts = 0;
    try {
      const bytes = await withRetry(() => backend.get(key, expected, { ...objectOpts(key, signal), into: attempts++ === 0 ? into : undefined }), signal, ctx.tries);
      return { bytes, done: () => void (attempts === 1 && pool.give(into)) };
    } catch (e) {
      if (e instanceof RemoteError && e.kind === 'not-found') {
        report.missing.push(key);
        return undefined;
      }
      throw e;
    }
  };
  const counted = async (bytes: number) => {
    ctx.progress?.object(bytes);
    await pauseHook(++done, signal);
  };

  // 1. Run-cache entries (read and checked in memory; placed last).
  const wanted = [...outs];
  await mapLimit(
    runKeys.filter((k) => !statSync(ctx.runCache.entryPath(k), { throwIfNoEntry: false })),
    ctx.jobs,
    async (k) => {
      const tmp = (await download(runKey(k)))?.tmp;
      if (!tmp) return;
      const checked = checkRunEntry(readFileSync(tmp, 'utf8'), k);
      await fsp.rm(tmp, { force: true });
      if (typeof checked === 'string') return void report.bad.push({ key: runKey(k), problem: checked });
      if (!wantRun(checked)) return;
      runs.push(checked);
      wanted.push(...checked.outs);
    },
  );

  // 2. Manifests: a local one is read (verified); a remote one is fetched and verified, not yet placed.
  const files = new Map<string, number>();
  const manifestFiles = new Map<string, string[]>();
  const pendingManifests = new Map<string, string>();
  const dirs = [...new Set(wanted.filter((o) => o.cache !== false && isDirHash(o.hash)).map((o) => o.hash))];
  for (const o of wanted) if (o.cache !== false && !isDirHash(o.hash)) files.set(o.hash, o.size);
  await mapLimit(dirs, ctx.jobs, async (h) => {
    if (await store.has(h)) {
      try {
        const listing = await store.readDirListing(h);
        manifestFiles.set(h, listing.entries.map((e) => e.hash));
        for (const e of listing.entries) files.set(e.hash, e.size);
        return;
      } catch (e) {
        // Quarantined by the store: fetch a good copy below.
        if (!(e instanceof CorruptObjectError)) throw e;
      }
    }
    const tmp = (await download(objectKey(h)))?.tmp;
    if (!tmp) return;
    const problem = await checkFetched(tmp, h);
    if (problem) {
      await fsp.rm(tmp, { force: true });
      return void report.bad.push({ key: objectKey(h), problem });
    }
    const listing = parseDirListing(readFileSync(tmp));
    manifestFiles.set(h, listing.entries.map((e) => e.hash));
    for (const e of listing.entries) files.set(e.hash, e.size);
    pendingManifests.set(h, tmp);
  });

  // 3. File objects the cache lacks.
  const here = await store.present(files.keys());
  const todo = [...files].filter(([h]) => !here.has(h));
  report.present = files.size - todo.length + (dirs.length - pendingManifests.size);
  ctx.progress?.start('fetch', todo.length + pendingManifests.size + runs.length, todo.reduce((n, [, s]) => n + s, 0));
  try {
    await mapLimit(todo, ctx.jobs, async ([h, expected]) => {
      signal.throwIfAborted();
      let size: number;
      let problem: string | undefined;
      if (inMemory(h, expected)) {
        const got = await get(objectKey(h), expected);
        if (!got) return;
        size = got.bytes.length;
        problem = size > expected ? `more than the ${expected} bytes its manifest or lock entry records` : await store.adoptBytes(got.bytes, h);
        got.done();
      } else {
        const got = await download(objectKey(h));
        if (!got) return;
        size = statSync(got.tmp).size;
        problem = await store.adoptTemp(got.tmp, h, got.sha256);
      }
      if (problem) return void report.bad.push({ key: objectKey(h), problem });
      report.transferred.push(objectKey(h));
      report.bytes += size;
      await counted(size);
    });

    // 4. Manifests whose files are all here now; 5. run-cache entries whose objects all are.
    for (const [h, tmp] of pendingManifests) {
      const listed = new Set(manifestFiles.get(h));
      const complete = (await store.present(listed)).size === listed.size;
      if (!complete) {
        await fsp.rm(tmp, { force: true });
        continue;
      }
      const problem = await store.adoptTemp(tmp, h);
      if (problem) report.bad.push({ key: objectKey(h), problem });
      else {
        report.transferred.push(objectKey(h));
        await counted(0);
      }
    }
    for (const entry of runs) {
      if (!(await Promise.all(entry.outs.map((o) => store.isComplete(o.hash)))).every(Boolean)) continue;
      await ctx.runCache.put(entry);
      report.transferred.push(runKey(entry.key));
      await counted(0);
    }
  } finally {
    for (const tmp of pendingManifests.values()) await fsp.rm(tmp, { force: true }).catch(() => undefined);
    ctx.progress?.end();
  }
  return { ...report, runs };
}

/** The objects of each of `outs` (by its hash), and which of them are present locally and on the remote (manifests read from either side). */
export async function cloudStatus(
  ctx: TransferContext,
  outs: readonly OutRef[],
): Promise<{ perOut: Map<string, RemoteKey[]>; local: Set<RemoteKey>; remote: Set<RemoteKey>; unknownDirs: RemoteKey[] }> {
  const { store, backend, signal } = ctx;
  const perOut = new Map<string, RemoteKey[]>();
  const unknownDirs: RemoteKey[] = [];
  for (const o of outs) {
    if (o.cache === false || perOut.has(o.hash)) continue;
    const keys = new Set<RemoteKey>([objectKey(o.hash)]);
    perOut.set(o.hash, [...keys]);
    if (!isDirHash(o.hash)) continue;
    let entries: string[] | undefined;
    if (await store.has(o.hash)) entries = (await store.readDirListing(o.hash).catch(() => undefined))?.entries.map((e) => e.hash);
    if (!entries) {
      const tmp = await store.tempPath('status');
      try {
        await withRetry(() => backend.download(objectKey(o.hash), tmp, { signal }), signal, ctx.tries);
        if ((await checkFetched(tmp, o.hash)) === undefined) entries = parseDirListing(readFileSync(tmp)).entries.map((e) => e.hash);
      } catch (e) {
        if (!(e instanceof RemoteError && e.kind === 'not-found')) throw e;
      } finally {
        await fsp.rm(tmp, { force: true });
      }
    }
    if (entries) for (const h of entries) keys.add(objectKey(h));
    else unknownDirs.push(objectKey(o.hash));
    perOut.set(o.hash, [...keys]);
  }
  const all = [...new Set([...perOut.values()].flat())];
  const here = await store.present(all.map(hashOfKey));
  const local = new Set(all.filter((k) => here.has(hashOfKey(k))));
  const remote = await withRetry(() => backend.existing(all, { signal }), signal, ctx.tries);
  return { perOut, local, remote, unknownDirs };
}
