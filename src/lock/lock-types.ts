import type { ToolVersion } from '../model/environment.js';

/** A dep or out as recorded in pipeline.lock. */
export interface LockedPath {
  path: string;
  /** sha256 hex, or manifest hash with `.dir` for directories. */
  hash: string;
  size: number;
  /** Directories only. */
  nfiles?: number;
}

export interface LockedOut extends LockedPath {
  /** Recorded only when false: such outputs cannot be restored from the cache. */
  cache?: boolean;
  /**
   * The `persist` flag the output was built with; written only when true. Undefined when not known:
   * an entry read from a lock of schema 1, written before the flag was recorded (never compared).
   */
  persist?: boolean;
  /**
   * A file output whose owner-executable bit was set (DVC's `isexec`); written only when true. A
   * restore makes the file executable. Not part of the hash: a `chmod` alone changes no stage.
   */
  isexec?: true;
}

/** One stage's entry: everything needed to decide whether it is up to date. */
export interface LockEntry {
  cmd: string[];
  wdir: string;
  /** Declared env, sorted. */
  env: Record<string, string>;
  /** Where the command ran: "host" or a container image digest. */
  environment: string;
  /** `tools:` versions it ran with (first output line and hash of the whole output); absent without tools. */
  tools?: Record<string, ToolVersion>;
  deps: LockedPath[];
  /** params file -> dotted key -> value. */
  params: Record<string, Record<string, unknown>>;
  outs: LockedOut[];
}

export interface LockFile {
  stages: Record<string, LockEntry>;
}

/**
 * 2: every entry records its outputs' `persist` flag (`persist: true`; absent means false). A lock of
 * schema 1 does not, so there its absence means "not known". A lock still holding such an entry is
 * written as schema 1 (with `persist: true` where known), so the unknown stays unknown.
 */
export const LOCK_SCHEMA_VERSION = 2;
/** The schemas this version reads. */
export const LOCK_SCHEMAS_READ: readonly number[] = [1, 2];
export const LOCK_FILE = 'pipeline.lock';
