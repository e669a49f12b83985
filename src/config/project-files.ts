import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';

/** Read-only view of the workspace; the loader and resolver never touch the disk directly. */
export interface ProjectFiles {
  /** Text of a file relative to the root, or undefined when it is missing or unreadable. */
  readText(relPath: string): string | undefined;
  /** Where `relPath` really is when a symlink takes it outside the root; undefined when it stays inside (or is missing). */
  outsideRoot?(relPath: string): string | undefined;
}

/** Reads files under `root` synchronously, caching each read; paths escaping `root` read as missing. */
export function fsProjectFiles(root: string): ProjectFiles {
  const absRoot = path.resolve(root);
  const cache = new Map<string, string | undefined>();
  const outsideRoot = (relPath: string): string | undefined => {
    let real: string;
    try {
      real = realpathSync(path.resolve(absRoot, relPath));
    } catch {
      return undefined;
    }
    const realRoot = realpathSync(absRoot);
    return real === realRoot || real.startsWith(realRoot + path.sep) ? undefined : real;
  };
  return {
    readText(relPath: string): string | undefined {
      if (path.isAbsolute(relPath)) return undefined;
      const abs = path.resolve(absRoot, relPath);
      const rel = path.relative(absRoot, abs);
      if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
      if (cache.has(abs)) return cache.get(abs);
      let text: string | undefined;
      try {
        // A symlink out of the workspace reads as missing here; `outsideRoot` says why.
        text = outsideRoot(relPath) === undefined ? readFileSync(abs, 'utf8') : undefined;
      } catch {
        text = undefined;
      }
      cache.set(abs, text);
      return text;
    },
    outsideRoot,
  };
}

/** In-memory files for tests; keys are POSIX paths relative to the root. */
export function memoryProjectFiles(files: Record<string, string>): ProjectFiles {
  const normalized = new Map<string, string>();
  for (const [key, text] of Object.entries(files)) normalized.set(path.posix.normalize(key), text);
  return {
    readText(relPath: string): string | undefined {
      if (path.posix.isAbsolute(relPath)) return undefined;
      const key = path.posix.normalize(relPath);
      if (key.startsWith('..')) return undefined;
      return normalized.get(key);
    },
  };
}
