import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { walkDir } from './walk.js';

/** What DVC records for a path: md5 (directories: of the JSON listing, with `.dir`), size, file count. */
export interface DvcHash {
  md5: string;
  size: number;
  nfiles?: number;
}

/**
 * DVC's hash of a workspace path (dvc-data's `HashFile`): a file's plain md5 (DVC 3, `hash: md5`),
 * or with `dos2unix` the md5 after CRLF → LF for files that look like text (DVC 2). A directory's
 * hash is the md5 of `json.dumps([{"md5": ..., "relpath": ...}, ...], sort_keys=True)` sorted by
 * relpath (Python's default separators `, ` and `: `, non-ASCII escaped), plus `.dir`.
 * Undefined when nothing is at `abs`.
 */
export async function dvcHash(abs: string, opts: { dos2unix?: boolean } = {}): Promise<DvcHash | undefined> {
  const st = await stat(abs).catch(() => undefined);
  if (!st) return undefined;
  if (st.isFile()) return { md5: await md5File(abs, !!opts.dos2unix), size: st.size };
  if (!st.isDirectory()) return undefined;
  const files = await walkDir(abs);
  const entries: Array<{ md5: string; relpath: string }> = [];
  let size = 0;
  for (const f of files) {
    entries.push({ md5: await md5File(f.abs, !!opts.dos2unix), relpath: f.rel.split(path.sep).join('/') });
    size += f.stat.size;
  }
  return { md5: `${dirListingMd5(entries)}.dir`, size, nfiles: entries.length };
}

/** md5 of DVC's directory listing bytes (without the `.dir` suffix). */
export function dirListingMd5(entries: ReadonlyArray<{ md5: string; relpath: string }>): string {
  const sorted = [...entries].sort((a, b) => (a.relpath < b.relpath ? -1 : a.relpath > b.relpath ? 1 : 0));
  const text = `[${sorted.map((e) => `{"md5": ${pyJson(e.md5)}, "relpath": ${pyJson(e.relpath)}}`).join(', ')}]`;
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/** A string as Python's `json.dumps` writes it (ensure_ascii). */
function pyJson(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** md5 hex of a file's bytes; with `dos2unix`, of its bytes after CRLF → LF when it looks like text (no NUL in its first 8 KiB). */
export async function md5File(abs: string, dos2unix = false): Promise<string> {
  const hash = createHash('md5');
  let text: boolean | undefined;
  let pendingCr = false;
  for await (const chunk of createReadStream(abs, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    if (!dos2unix) {
      hash.update(chunk);
      continue;
    }
    text ??= !chunk.subarray(0, 8192).includes(0);
    if (!text) {
      hash.update(chunk);
      continue;
    }
    let data: Buffer = pendingCr ? Buffer.concat([Buffer.from('\r'), chunk]) : chunk;
    pendingCr = data.length > 0 && data[data.length - 1] === 0x0d;
    if (pendingCr) data = data.subarray(0, data.length - 1);
    hash.update(Buffer.from(data.toString('latin1').replace(/\r\n/g, '\n'), 'latin1'));
  }
  if (pendingCr) hash.update('\r');
  return hash.digest('hex');
}
