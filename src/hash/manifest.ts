import { createHash } from 'node:crypto';
import { DIR_SUFFIX, type ManifestEntry } from './types.js';

/** Code-unit order (plain `<`), the same in every JS runtime; the canonical order of manifests. */
export const comparePaths = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A parsed manifest: the files, and the directories that hold nothing (see `DirHash.emptyDirs`). */
export interface DirListing {
  entries: ManifestEntry[];
  emptyDirs: string[];
}

export function sortManifest(entries: readonly ManifestEntry[]): readonly ManifestEntry[] {
  // Callers usually pass an already sorted manifest; checking is O(n), sorting again is not.
  for (let i = 1; i < entries.length; i++) {
    if (comparePaths((entries[i - 1] as ManifestEntry).path, (entries[i] as ManifestEntry).path) >= 0) {
      return [...entries].sort((a, b) => comparePaths(a.path, b.path));
    }
  }
  return entries;
}

/**
 * Canonical bytes: one array sorted by path, fixed key order, no whitespace. A file is
 * `{"path","hash","size"}` plus `"exec":true` when executable; an empty directory is
 * `{"path","dir":true}`. Without executables or empty directories the bytes are those older
 * versions wrote, so existing directory hashes stay valid. Written by hand rather than
 * JSON.stringify(entries) so extra fields on the objects can never leak into the hash.
 */
export function serializeManifest(entries: readonly ManifestEntry[], emptyDirs: readonly string[] = []): Buffer {
  const files = sortManifest(entries).map((e) => ({ path: e.path, text: fileText(e) }));
  const merged =
    emptyDirs.length === 0
      ? files
      : [...files, ...emptyDirs.map((d) => ({ path: d, text: `{"path":${jsonString(d)},"dir":true}` }))].sort((a, b) => comparePaths(a.path, b.path));
  return Buffer.from(`[${merged.map((m) => m.text).join(',')}]`, 'utf8');
}

const fileText = (e: ManifestEntry): string =>
  `{"path":${jsonString(e.path)},"hash":${jsonString(e.hash)},"size":${e.size}${e.exec ? ',"exec":true' : ''}}`;

/** Strings JSON.stringify would emit unchanged inside quotes (no quote, backslash, control char, lone surrogate). */
const PLAIN_JSON = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;
/** Same output as JSON.stringify, ~2x faster for the common plain path; matters for 20k-entry manifests. */
const jsonString = (s: string): string => (PLAIN_JSON.test(s) ? `"${s}"` : JSON.stringify(s));

export function manifestHashOfBytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex') + DIR_SUFFIX;
}

export function manifestHash(entries: readonly ManifestEntry[], emptyDirs: readonly string[] = []): string {
  return manifestHashOfBytes(serializeManifest(entries, emptyDirs));
}

/** The files of a manifest (see `parseDirListing` for the empty directories too). */
export function parseManifest(buf: Uint8Array | string): ManifestEntry[] {
  return parseDirListing(buf).entries;
}

/** Parse and validate manifest bytes; throws on anything that is not a well-formed manifest. */
export function parseDirListing(buf: Uint8Array | string): DirListing {
  const text = typeof buf === 'string' ? buf : Buffer.from(buf).toString('utf8');
  const data: unknown = JSON.parse(text);
  if (!Array.isArray(data)) throw new Error('manifest: expected a JSON array');
  const entries: ManifestEntry[] = [];
  const emptyDirs: string[] = [];
  data.forEach((raw: unknown, i) => {
    const e = raw as (Partial<ManifestEntry> & { dir?: unknown }) | null;
    if (e && typeof e.path === 'string' && e.dir === true && e.hash === undefined) {
      if (!isSafeRelativePath(e.path)) throw new Error(`manifest: unsafe path ${JSON.stringify(e.path)}`);
      emptyDirs.push(e.path);
      return;
    }
    if (
      !e ||
      typeof e.path !== 'string' ||
      typeof e.hash !== 'string' ||
      typeof e.size !== 'number' ||
      !Number.isSafeInteger(e.size) ||
      e.size < 0 ||
      (e.exec !== undefined && e.exec !== true)
    ) {
      throw new Error(`manifest: malformed entry ${i}`);
    }
    if (!isSafeRelativePath(e.path)) throw new Error(`manifest: unsafe path ${JSON.stringify(e.path)}`);
    entries.push({ path: e.path, hash: e.hash, size: e.size, ...(e.exec ? { exec: true } : {}) });
  });
  return { entries, emptyDirs };
}

/** A manifest path must stay inside its directory: restore writes to exactly these paths. */
export function isSafeRelativePath(p: string): boolean {
  if (p === '' || p.startsWith('/') || p.includes('\0')) return false;
  return p.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}
