/**
 * The one interface every remote storage speaks (a shared folder, S3, SSH/SFTP). A remote holds the
 * local cache's layout, so a key is a path relative to the cache root with `/` separators:
 *   `objects/<hash[0:2]>/<hash[2:]>`  (a file's bytes, or a directory manifest ending in `.dir`)
 *   `runs/<key[0:2]>/<key>.json`      (a run-cache entry)
 * A backend moves bytes only: it never interprets them. Verification (the hash of what was fetched)
 * and atomic placement in the local cache belong to the transfer layer above it.
 */
export type RemoteKey = string;

export interface TransferOptions {
  /** Aborts the transfer; a backend leaves nothing visible under the key when aborted. */
  signal?: AbortSignal;
  /**
   * Called with the number of bytes moved since the last call (progress). It may return a promise:
   * a backend that moves a file in steps awaits it before the next step (backpressure; the transfer
   * layer's test hook pauses a transfer mid-file this way).
   */
  onBytes?: (bytes: number) => void | Promise<void>;
}

export interface PlaceOptions extends TransferOptions {
  /**
   * The caller calls `flush` before it relies on the key being there (push does, before the
   * manifests that name what it sent). The backend may then return once the bytes are staged and
   * place them with others at once: a folder remote syncs its filesystem once per batch instead of
   * once per object. Unset, the object is under its key when the call returns.
   */
  batched?: boolean;
}

export interface UploadOptions extends PlaceOptions {
  /**
   * The sha256 (hex) the bytes read from the local file must have. The backend hashes them as they
   * are sent and makes the key visible only if they match; otherwise it throws RemoteError kind
   * 'mismatch' and leaves nothing under the key. One read of the file both checks and sends it.
   */
  expectSha256?: string;
}

export interface GetOptions extends TransferOptions {
  /**
   * A buffer the caller lends for the bytes: when it holds `maxBytes + 1`, the result is a view of it
   * (valid until the caller reuses it). A fetch of thousands of small objects then reuses a few
   * buffers instead of touching fresh memory for each (page faults cost more than the copy).
   */
  into?: Buffer;
}

/** Where a `get` reads its at most `maxBytes + 1` bytes: the lent buffer when it is large enough, else a new one. */
export function getTarget(maxBytes: number, opts: GetOptions): Buffer {
  return opts.into && opts.into.length > maxBytes ? opts.into.subarray(0, maxBytes + 1) : Buffer.allocUnsafe(maxBytes + 1);
}

export interface RemoteBackend {
  /** The remote's URL for messages, never with credentials. */
  readonly url: string;
  /**
   * Which of `keys` exist on the remote. Batched: one listing per key prefix or a bounded number of
   * parallel existence checks, never a sequential round trip per key. A backend whose listing carries
   * sizes (S3) treats a key whose size differs from `sizes` as absent: a partial object a non-atomic
   * S3-compatible server (s3rver) shows after a cut PUT, which a push then replaces.
   */
  existing(keys: readonly RemoteKey[], opts?: TransferOptions & { sizes?: ReadonlyMap<RemoteKey, number> }): Promise<Set<RemoteKey>>;
  /** Every key under `prefix` (`objects/`, `runs/`), in no particular order. */
  list(prefix: string, opts?: TransferOptions): AsyncIterable<RemoteKey>;
  /**
   * Uploads a local file so that it appears under `key` atomically: a reader of the remote never sees
   * part of it under that key (temp name + rename, or a single/multipart PUT that completes at once).
   */
  upload(localFile: string, key: RemoteKey, size: number, opts?: UploadOptions): Promise<void>;
  /**
   * Downloads `key` into `localFile`, a temp path the caller owns (created or truncated). The caller
   * verifies the bytes and renames them into place. Throws RemoteError kind 'not-found' when absent.
   * Returns the sha256 (hex) of the bytes written when the backend hashed them as they arrived
   * (so the caller need not read them again), or undefined.
   */
  download(key: RemoteKey, localFile: string, opts?: TransferOptions): Promise<string | undefined>;
  /**
   * `upload` of bytes already in memory (a small object the caller has read and verified once): no
   * temp file on this side, the same atomic appearance on the remote.
   */
  put(key: RemoteKey, bytes: Buffer, opts?: PlaceOptions): Promise<void>;
  /**
   * Puts every batched upload made so far under its key, durably. A backend that places each object
   * at once has nothing to do and need not implement it. `close` also flushes what is staged (an
   * interrupted push keeps what it sent), unless a commit failed: then the staged bytes are removed.
   */
  flush?(): Promise<void>;
  /**
   * `download` into memory, for a small object whose size the caller knows. At most `maxBytes + 1`
   * bytes are read and returned, so a remote object larger than expected cannot exhaust memory and
   * still fails the caller's size and hash checks. Throws RemoteError kind 'not-found' when absent.
   */
  get(key: RemoteKey, maxBytes: number, opts?: GetOptions): Promise<Buffer>;
  /** Deletes keys; a key that is already gone is not an error. */
  delete(keys: readonly RemoteKey[], opts?: TransferOptions): Promise<void>;
  /**
   * Leftovers of killed uploads (a folder's or SFTP temp file, an S3 multipart upload never completed)
   * last written before `olderThan` (ms since the epoch): removed unless `dry`. A younger one may be
   * another push in flight and is never touched. `gc --cloud` calls it.
   */
  sweepTemps?(olderThan: number, opts: { dry: boolean; signal?: AbortSignal }): Promise<TempSweep>;
  close(): Promise<void>;
}

export interface TempSweep {
  /** What was (or, dry, would be) removed: paths relative to the remote, or `upload <key> (<id>)` for S3. */
  removed: string[];
  /** What could not be checked and why (e.g. a server without ListMultipartUploads). */
  unchecked?: string;
}

/**
 * Why a remote operation failed, as data the transfer layer acts on:
 * - transient: worth retrying with backoff (connection reset, timeout, 5xx, server restarting);
 * - mismatch: the local bytes being uploaded do not hash to their name (a bad local object);
 * - everything else fails at once with the message and hint shown to the user.
 */
export type RemoteErrorKind = 'transient' | 'auth' | 'host-key' | 'not-found' | 'no-container' | 'config' | 'mismatch' | 'other';

/** Marks RemoteError instances across copies of this module (see `Symbol.hasInstance` below). */
const REMOTE_ERROR = Symbol.for('orchestrator.RemoteError');

export class RemoteError extends Error {
  /**
   * The CLI bundle and the lazily imported S3/SSH modules (loaded from the unbundled dist/) each hold a
   * copy of this class; `instanceof` recognises an instance of either copy by its brand, so the
   * transfer layer's retry and message handling see every backend's errors.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[REMOTE_ERROR] === true;
  }

  readonly [REMOTE_ERROR] = true;

  constructor(
    readonly kind: RemoteErrorKind,
    message: string,
    /** What the user can do about it, e.g. "check the bucket name with `orchestrator remote list`". */
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RemoteError';
  }
}

/** One configured remote as read from the project config: its URL and DVC-style options. */
export interface RemoteConfig {
  name: string;
  url: string;
  /** DVC's option names: `endpointurl`, `region`, `profile`, `port`, `user`, `keyfile`, `known_hosts`, ... */
  options: Readonly<Record<string, string>>;
}
