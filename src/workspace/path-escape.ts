import { lstatSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../model/diagnostic.js';
import type { Stage } from '../model/stage.js';
import { realpathOfExistingPrefix } from './safe-path.js';

/**
 * Deps and outs must stay inside the workspace after resolving symlinks: a link pointing outside
 * would let a stage write (or the cache restore) into places the user never declared.
 */
export function findSymlinkEscapes(root: string, stages: readonly Stage[]): Diagnostic[] {
  const realRoot = realpathSync(root);
  const realOf = realPathResolver();
  const diagnostics: Diagnostic[] = [];
  for (const stage of stages) {
    const entries = [...stage.deps.map((d) => ({ ...d, what: 'dependency' })), ...stage.outs.map((o) => ({ ...o, what: 'output' }))];
    for (const entry of entries) {
      const file = fileAncestor(root, entry.path);
      if (file !== undefined) {
        diagnostics.push({
          code: 'invalid-path',
          message: `${entry.what} "${entry.path}" of stage "${stage.name}" lies under "${file}", which is a file, not a directory`,
          span: entry.span,
        });
        continue;
      }
      const real = realOf(path.join(root, entry.path));
      if (real !== realRoot && !real.startsWith(realRoot + path.sep)) {
        diagnostics.push({
          code: 'path-escapes-workspace',
          message: `${entry.what} "${entry.path}" of stage "${stage.name}" resolves to ${real}, outside the workspace (through a symlink)`,
          span: entry.span,
        });
      }
    }
  }
  return diagnostics;
}

/** For a path that does not exist: its nearest existing ancestor when that is not a directory (`in.txt` for `in.txt/x`). */
function fileAncestor(root: string, rel: string): string | undefined {
  try {
    if (lstatSync(path.join(root, rel), { throwIfNoEntry: false })) return undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOTDIR') throw e;
  }
  for (let dir = path.posix.dirname(rel); dir !== '.' && dir !== '/'; dir = path.posix.dirname(dir)) {
    const st = statSync(path.join(root, dir), { throwIfNoEntry: false });
    if (st) return st.isDirectory() ? undefined : dir;
  }
  return undefined;
}

/**
 * Real paths of paths that may not exist yet, with each directory resolved once: a path that is not
 * itself a symlink is its real parent plus its name, so a thousand outputs in one directory cost a
 * thousand lstat calls, not a thousand full resolutions.
 */
function realPathResolver(): (abs: string) => string {
  const dirs = new Map<string, string>();
  const realDir = (dir: string): string => {
    let real = dirs.get(dir);
    if (real === undefined) dirs.set(dir, (real = realpathOfExistingPrefix(dir)));
    return real;
  };
  return (abs) => {
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (st?.isSymbolicLink()) return realpathOfExistingPrefix(abs);
    const parent = path.dirname(abs);
    return parent === abs ? realDir(abs) : path.join(realDir(parent), path.basename(abs));
  };
}
