/** One file inside a directory output, as recorded in its manifest. */
export interface ManifestEntry {
  /** POSIX path relative to the directory. */
  path: string;
  /** sha256 hex of the file's bytes. */
  hash: string;
  size: number;
  /**
   * The owner-executable bit was set. Serialized only when true, so the manifests (and hashes) of
   * directories without executable files are the same as before this field existed.
   */
  exec?: boolean;
}

export interface FileHash {
  kind: 'file';
  /** sha256 hex of the bytes. */
  hash: string;
  size: number;
  /** The owner-executable bit was set (present only when true). Not part of the hash. */
  exec?: true;
}

export interface DirHash {
  kind: 'dir';
  /** sha256 hex of the canonical manifest bytes, with the suffix `.dir` (as DVC does). */
  hash: string;
  /** Sum of file sizes. */
  size: number;
  nfiles: number;
  /** Sorted by path. */
  manifest: ManifestEntry[];
  /**
   * Directories with nothing inside (POSIX, relative, sorted), so a restore recreates them. Absent
   * or empty when there are none; then the manifest bytes are exactly those of older versions.
   */
  emptyDirs?: string[];
}

export type PathHash = FileHash | DirHash;

export const DIR_SUFFIX = '.dir';
export const isDirHash = (hash: string): boolean => hash.endsWith(DIR_SUFFIX);
