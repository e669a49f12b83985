/**
 * S3 and S3-compatible servers (MinIO, Ceph, s3rver) through the AWS SDK v3. Loaded lazily by the
 * remote registry: `orchestrator status` never pays for the SDK.
 *
 * - URL `s3://bucket/prefix`; DVC's options `endpointurl`, `region`, `profile`, `access_key_id`,
 *   `secret_access_key`, `session_token` (credentials belong in `config.local` or the environment,
 *   never in the committed config), `use_ssl`, `ssl_verify`.
 * - An upload is one PUT (small files) or a multipart upload (large files); S3 makes the object visible
 *   only when the PUT or CompleteMultipartUpload finishes, so a reader never sees a partial key.
 * - `existing` lists the key prefixes it needs (`objects/ab/`), or the whole namespace when that
 *   costs fewer requests; never one HEAD per key.
 * - The SDK does not retry (`maxAttempts: 1`): the transfer layer above retries `transient` errors with
 *   its own backoff, and two nested retry loops would multiply waits.
 */
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { mapLimit } from '../../util/concurrency.js';
import { isAbortError } from './abort.js';
import { hashingStream } from './stream-hash.js';
import { getTarget, RemoteError, type GetOptions, type RemoteBackend, type RemoteConfig, type RemoteKey, type TempSweep, type TransferOptions, type UploadOptions } from './backend.js';

/** Files at least this large go up as a multipart upload (parallel parts, retried part by part by S3). */
export const S3_MULTIPART_THRESHOLD = 16 * 1024 * 1024;
const MIN_PART_SIZE = 16 * 1024 * 1024;
const MAX_PARTS = 10_000;
const PART_QUEUE = 4;
/** Parallel listings of key prefixes in `existing`. */
const LIST_CONCURRENCY = 16;
/** A listing page holds at most this many keys (S3's limit). */
const PAGE = 1000;

export interface S3Location {
  bucket: string;
  /** '' or a prefix ending in '/'. */
  prefix: string;
}

/** `s3://bucket/some/prefix` -> { bucket, prefix: 'some/prefix/' }. */
export function parseS3Url(url: string): S3Location {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(url);
  if (!m || !m[1]) throw new RemoteError('config', `${url}: not an S3 URL (expected s3://BUCKET/PREFIX)`);
  const prefix = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
  return { bucket: m[1], prefix: prefix ? `${prefix}/` : '' };
}

function flag(value: string | undefined, name: string, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  throw new RemoteError('config', `option ${name}: expected true or false, got '${value}'`);
}

/** The SDK client configuration for a remote's options (exported for tests of the option handling). */
export function s3ClientConfig(options: Readonly<Record<string, string>>): S3ClientConfig {
  // No `logger`: the SDK's default (a NoOpLogger) prints nothing, so its messages never reach the
  // console of a CLI that renders its own errors from the RemoteError this module throws. A custom
  // silent logger would do the same but costs more: the SDK's logger middleware then copies every
  // request's input and output through its sensitive-data filter (a profile of a 20,000-object
  // fetch put several hundred ms of one core there).
  const cfg: S3ClientConfig = { maxAttempts: 1, followRegionRedirects: true };
  const endpoint = options['endpointurl'];
  const useSsl = flag(options['use_ssl'], 'use_ssl', true);
  if (endpoint) {
    cfg.endpoint = /^[a-z]+:\/\//i.test(endpoint) ? endpoint : `${useSsl ? 'https' : 'http'}://${endpoint}`;
    // S3-compatible servers rarely support virtual-host buckets on a bare host:port.
    cfg.forcePathStyle = true;
    // Servers other than AWS (s3rver, older MinIO/Ceph) mishandle the SDK's default aws-chunked
    // checksummed uploads; every fetched object is verified against its sha256 anyway.
    cfg.requestChecksumCalculation = 'WHEN_REQUIRED';
    cfg.responseChecksumValidation = 'WHEN_REQUIRED';
  }
  const region = options['region'] ?? process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'];
  if (region) cfg.region = region;
  else if (endpoint) cfg.region = 'us-east-1';
  if (options['profile']) cfg.profile = options['profile'];
  const keyId = options['access_key_id'];
  const secret = options['secret_access_key'];
  if (keyId !== undefined || secret !== undefined) {
    if (!keyId || !secret) {
      throw new RemoteError('config', 'access_key_id and secret_access_key must be set together', 'set both with `orchestrator remote modify --local NAME OPTION VALUE`, or neither to use the environment or ~/.aws');
    }
    cfg.credentials = { accessKeyId: keyId, secretAccessKey: secret, ...(options['session_token'] ? { sessionToken: options['session_token'] } : {}) };
  }
  const sslVerify = options['ssl_verify'];
  const agentOptions: { rejectUnauthorized?: boolean; ca?: Buffer; keepAlive: boolean } = { keepAlive: true };
  if (sslVerify !== undefined && /^(false|0|no)$/i.test(sslVerify)) agentOptions.rejectUnauthorized = false;
  else if (sslVerify !== undefined && !/^(true|1|yes)$/i.test(sslVerify)) {
    try {
      agentOptions.ca = readFileSync(sslVerify);
    } catch (e) {
      throw new RemoteError('config', `option ssl_verify: cannot read CA bundle ${sslVerify}: ${(e as Error).message}`);
    }
  }
  // Connection timeout for an unreachable host; requestTimeout is the socket's idle time.
  cfg.requestHandler = { connectionTimeout: 10_000, requestTimeout: 120_000, httpsAgent: agentOptions, httpAgent: { keepAlive: true } };
  return cfg;
}

const AUTH_CODES = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'TokenRefreshRequired', 'AllAccessDisabled', 'CredentialsProviderError']);
const TRANSIENT_CODES = new Set(['SlowDown', 'RequestTimeout', 'RequestTimeTooSkewed', 'InternalError', 'ServiceUnavailable', 'Throttling', 'ThrottlingException', 'RequestThrottled', 'TimeoutError', 'RequestTimeoutException', 'BadDigest', 'IncompleteBody']);
const TRANSIENT_ERRNO = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNABORTED', 'ENETDOWN', 'UND_ERR_SOCKET']);

/** An SDK or network error as a RemoteError the transfer layer can act on. Abort errors pass through. */
export function mapS3Error(err: unknown, where: string, loc: S3Location, signal?: AbortSignal): unknown {
  if (err instanceof RemoteError || isAbortError(err, signal)) return err;
  const e = err as { name?: string; Code?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number }; $response?: { statusCode?: number } };
  const name = e.Code ?? e.name ?? '';
  const status = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  const msg = `${where}: ${e.message || name || String(err)}`;
  if (name === 'NoSuchBucket') {
    return new RemoteError('no-container', `${where}: bucket '${loc.bucket}' does not exist`, `create it (e.g. \`aws s3 mb s3://${loc.bucket}\`) or correct the remote's URL with \`orchestrator remote modify NAME url s3://BUCKET/PREFIX\``, { cause: err });
  }
  if (name === 'NoSuchKey' || (name === 'NotFound' && status === 404)) return new RemoteError('not-found', `${where}: no such key`, undefined, { cause: err });
  if (AUTH_CODES.has(name) || status === 403 || /Could not load credentials/i.test(e.message ?? '')) {
    return new RemoteError('auth', msg, 'check the credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the `profile` option and ~/.aws/credentials, or `orchestrator remote modify --local NAME access_key_id ...`', { cause: err });
  }
  if (/Region is missing/i.test(e.message ?? '')) {
    return new RemoteError('config', msg, 'set the bucket\'s region: `orchestrator remote modify NAME region REGION` or AWS_REGION', { cause: err });
  }
  if (e.code && (e.code === 'ENOTFOUND')) {
    return new RemoteError('config', msg, 'check the endpoint host name (`endpointurl`)', { cause: err });
  }
  if (TRANSIENT_CODES.has(name) || (e.code !== undefined && TRANSIENT_ERRNO.has(e.code)) || (status !== undefined && status >= 500) || status === 429 || /socket hang up|ECONNRESET|ECONNREFUSED|timed? ?out|aborted/i.test(e.message ?? '')) {
    return new RemoteError('transient', msg, undefined, { cause: err });
  }
  return new RemoteError('other', msg, undefined, { cause: err });
}

export async function openS3Backend(config: RemoteConfig): Promise<RemoteBackend> {
  const loc = parseS3Url(config.url);
  // The SDK warns that versions published after January 2027 need Node 22; this one is pinned.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  return new S3Backend(config.url, loc, new S3Client(s3ClientConfig(config.options)));
}

class S3Backend implements RemoteBackend {
  constructor(
    readonly url: string,
    private readonly loc: S3Location,
    private readonly client: S3Client,
  ) {}

  private fail(err: unknown, where: string, signal?: AbortSignal): never {
    throw mapS3Error(err, `${this.url}: ${where}`, this.loc, signal);
  }

  /** Every key under `prefix` (relative to the remote), one listing page after the other. */
  private async *listRaw(prefix: string, signal?: AbortSignal, sizes?: Map<string, number>): AsyncGenerator<string[]> {
    let token: string | undefined;
    const full = this.loc.prefix + prefix;
    do {
      let page;
      try {
        page = await this.client.send(new ListObjectsV2Command({ Bucket: this.loc.bucket, Prefix: full, ContinuationToken: token, MaxKeys: PAGE }), { abortSignal: signal });
      } catch (e) {
        this.fail(e, `list ${prefix}`, signal);
      }
      if (sizes) for (const o of page.Contents ?? []) if (o.Key?.startsWith(this.loc.prefix) && o.Size !== undefined) sizes.set(o.Key.slice(this.loc.prefix.length), o.Size);
      yield (page.Contents ?? []).flatMap((o) => (o.Key?.startsWith(this.loc.prefix) ? [o.Key.slice(this.loc.prefix.length)] : []));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  private async collect(prefix: string, into: Set<string>, wanted: ReadonlySet<string>, signal?: AbortSignal, sizes?: Map<string, number>): Promise<number> {
    let seen = 0;
    for await (const keys of this.listRaw(prefix, signal, sizes)) {
      seen += keys.length;
      for (const k of keys) if (wanted.has(k)) into.add(k);
    }
    return seen;
  }

  async existing(keys: readonly RemoteKey[], opts: TransferOptions & { sizes?: ReadonlyMap<RemoteKey, number> } = {}): Promise<Set<RemoteKey>> {
    const found = new Set<RemoteKey>();
    if (keys.length === 0) return found;
    const wanted = new Set(keys);
    const listed = opts.sizes ? new Map<string, number>() : undefined;
    // Group by namespace (`objects`, `runs`) and two-character directory (`objects/ab/`).
    const byNamespace = new Map<string, Set<string>>();
    for (const k of wanted) {
      const parts = k.split('/');
      const ns = parts.length >= 3 ? `${parts[0]}/` : '';
      const dir = parts.length >= 3 ? `${parts[0]}/${parts[1]}/` : k;
      let dirs = byNamespace.get(ns);
      if (!dirs) byNamespace.set(ns, (dirs = new Set()));
      dirs.add(dir);
    }
    for (const [ns, dirSet] of byNamespace) {
      const dirs = [...dirSet];
      if (ns === '' || dirs.length <= 2) {
        await mapLimit(dirs, LIST_CONCURRENCY, (d) => this.collect(d, found, wanted, opts.signal, listed));
        continue;
      }
      // Estimate the namespace's size from one directory (hashes spread evenly over 256 of them):
      // listing it all costs size/1000 sequential requests, listing the needed directories costs
      // one or more requests each.
      const first = dirs[0] as string;
      const inFirst = await this.collect(first, found, wanted, opts.signal, listed);
      const rest = dirs.slice(1);
      const wholeRequests = Math.ceil((Math.max(inFirst, 1) * 256) / PAGE);
      const perDirRequests = rest.length * Math.max(1, Math.ceil(inFirst / PAGE));
      if (wholeRequests < perDirRequests) await this.collect(ns, found, wanted, opts.signal, listed);
      else await mapLimit(rest, LIST_CONCURRENCY, (d) => this.collect(d, found, wanted, opts.signal, listed));
    }
    // A key of another size is a partial object (s3rver writes a PUT in place as it arrives; S3 never shows one): absent.
    if (opts.sizes && listed) for (const [k, n] of opts.sizes) if (found.has(k) && listed.has(k) && listed.get(k) !== n) found.delete(k);
    return found;
  }

  async *list(prefix: string, opts: TransferOptions = {}): AsyncIterable<RemoteKey> {
    for await (const keys of this.listRaw(prefix, opts.signal)) yield* keys;
  }

  async upload(localFile: string, key: RemoteKey, size: number, opts: UploadOptions = {}): Promise<void> {
    const { signal, onBytes } = opts;
    signal?.throwIfAborted();
    const Key = this.loc.prefix + key;
    const file = createReadStream(localFile);
    // Hashed as read; with expectSha256 the last bytes are held back until they match, so neither a
    // PUT nor the last part of a multipart upload (hence CompleteMultipartUpload) gets wrong bytes.
    const small = size < S3_MULTIPART_THRESHOLD;
    const body = file.pipe(hashingStream(small ? onBytes : undefined, opts.expectSha256));
    // The SDK pipes a body into its request, and a pipe does not pass errors on: a failing body
    // (unreadable file, bytes that do not match) must abort the request itself.
    let bodyError: unknown;
    const request = new AbortController();
    const stop = (e: unknown): void => {
      bodyError ??= e;
      request.abort(e);
    };
    file.on('error', (e) => body.destroy(e));
    body.on('error', stop);
    const onAbort = (): void => request.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (small) {
        // One PUT: the object exists only once the whole body arrived.
        await this.client.send(new PutObjectCommand({ Bucket: this.loc.bucket, Key, Body: body, ContentLength: size }), { abortSignal: request.signal });
        return;
      }
      const partSize = Math.max(MIN_PART_SIZE, Math.ceil(size / MAX_PARTS));
      const upload = new Upload({ client: this.client, params: { Bucket: this.loc.bucket, Key, Body: body, ContentLength: size }, partSize, queueSize: PART_QUEUE });
      let loaded = 0;
      upload.on('httpUploadProgress', (p) => {
        if (p.loaded !== undefined && p.loaded > loaded) {
          onBytes?.(p.loaded - loaded);
          loaded = p.loaded;
        }
      });
      // Aborting stops the parts and sends AbortMultipartUpload; CompleteMultipartUpload is never sent.
      request.signal.addEventListener('abort', () => void upload.abort(), { once: true });
      await upload.done();
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      if (bodyError instanceof RemoteError) throw bodyError;
      this.fail(bodyError ?? e, `upload ${key}`, signal);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      file.destroy();
      body.destroy();
    }
  }

  async put(key: RemoteKey, bytes: Buffer, opts: TransferOptions = {}): Promise<void> {
    const { signal } = opts;
    signal?.throwIfAborted();
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.loc.bucket, Key: this.loc.prefix + key, Body: bytes, ContentLength: bytes.length }), { abortSignal: signal });
      opts.onBytes?.(bytes.length);
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      this.fail(e, `upload ${key}`, signal);
    }
  }

  async get(key: RemoteKey, maxBytes: number, opts: GetOptions = {}): Promise<Buffer> {
    const { signal } = opts;
    signal?.throwIfAborted();
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.loc.bucket, Key: this.loc.prefix + key }), { abortSignal: signal });
      const body = res.Body as Readable | undefined;
      if (!body) throw new RemoteError('other', `${this.url}: download ${key}: empty response`);
      // Chunks are copied into one buffer (the caller's when lent) as they come.
      const out = getTarget(maxBytes, opts);
      let got = 0;
      for await (const chunk of body as AsyncIterable<Buffer>) {
        got += chunk.copy(out, got);
        if (got > maxBytes) break; // leaving the loop destroys the body: no more is read
      }
      opts.onBytes?.(got);
      return out.subarray(0, got);
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      this.fail(e, `download ${key}`, signal);
    }
  }

  async download(key: RemoteKey, localFile: string, opts: TransferOptions = {}): Promise<string> {
    const { signal, onBytes } = opts;
    signal?.throwIfAborted();
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.loc.bucket, Key: this.loc.prefix + key }), { abortSignal: signal });
      const body = res.Body as Readable | undefined;
      if (!body) throw new RemoteError('other', `${this.url}: download ${key}: empty response`);
      const hashed = hashingStream(onBytes);
      await pipeline(body, hashed, createWriteStream(localFile), { signal });
      return hashed.digest();
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      this.fail(e, `download ${key}`, signal);
    }
  }

  async delete(keys: readonly RemoteKey[], opts: TransferOptions = {}): Promise<void> {
    const batches: string[][] = [];
    for (let i = 0; i < keys.length; i += PAGE) batches.push(keys.slice(i, i + PAGE).map((k) => this.loc.prefix + k));
    await mapLimit(batches, 4, async (batch) => {
      let res;
      try {
        res = await this.client.send(new DeleteObjectsCommand({ Bucket: this.loc.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }), { abortSignal: opts.signal });
      } catch (e) {
        this.fail(e, 'delete', opts.signal);
      }
      const errors = (res.Errors ?? []).filter((x) => x.Code !== 'NoSuchKey');
      if (errors.length > 0) {
        const first = errors[0];
        this.fail(Object.assign(new Error(`${first?.Key}: ${first?.Message ?? first?.Code}`), { name: first?.Code ?? 'Error' }), `delete (${errors.length} keys failed)`);
      }
    });
  }

  /**
   * Multipart uploads under the remote's prefix started before `olderThan` and never completed (a
   * killed push): their parts cost storage but are invisible to readers. Aborted unless `dry`. A server
   * without ListMultipartUploads (s3rver) is reported as unchecked, not an error; on AWS a bucket
   * lifecycle rule AbortIncompleteMultipartUpload does the same job without anyone running gc.
   */
  async sweepTemps(olderThan: number, opts: { dry: boolean; signal?: AbortSignal }): Promise<TempSweep> {
    const removed: string[] = [];
    let KeyMarker: string | undefined;
    let UploadIdMarker: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(new ListMultipartUploadsCommand({ Bucket: this.loc.bucket, Prefix: this.loc.prefix, KeyMarker, UploadIdMarker }), { abortSignal: opts.signal });
      } catch (e) {
        const code = (e as { Code?: string; name?: string }).Code ?? (e as { name?: string }).name;
        if (code === 'NotImplemented' || code === 'MethodNotAllowed') return { removed, unchecked: `${this.url} does not list incomplete multipart uploads (${code}); on AWS S3, a lifecycle rule AbortIncompleteMultipartUpload removes them` };
        this.fail(e, 'list incomplete multipart uploads', opts.signal);
      }
      for (const u of page.Uploads ?? []) {
        if (!u.Key || !u.UploadId || (u.Initiated && u.Initiated.getTime() >= olderThan)) continue;
        if (!opts.dry) {
          try {
            await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.loc.bucket, Key: u.Key, UploadId: u.UploadId }), { abortSignal: opts.signal });
          } catch (e) {
            if ((e as { name?: string }).name !== 'NoSuchUpload') this.fail(e, `abort multipart upload of ${u.Key}`, opts.signal);
          }
        }
        removed.push(`upload ${u.Key.slice(this.loc.prefix.length)} (${u.UploadId})`);
      }
      KeyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      UploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (KeyMarker);
    return { removed };
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
