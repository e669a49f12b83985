import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ignore from 'ignore';
import { writeFileAtomicSync } from '../util/atomic-write.js';
import { checkedWritePath } from './safe-path.js';

/**
 * Adds `/name` to the `.gitignore` in the folder of `relPath` (root-relative, POSIX), as DVC does for
 * every cached output it commits or checks out (`dvc/output.py` → `scm.ignore`): one anchored line
 * per output, the file created when missing, never a line twice. Only in a git repository (the root
 * holds `.git`): without git there is nothing to keep files out of, and DVC writes none either.
 * Entries are never removed by a run (DVC removes them only with `dvc remove`).
 *
 * Synchronous on purpose: stages commit in parallel, and a read-modify-write of the same
 * `.gitignore` must not interleave with another one of this process. Returns true when it wrote.
 */
export function ignoreOutput(root: string, relPath: string): boolean {
  if (!isGitRepository(root) || ignoredByGit(root, relPath)) return false;
  const dir = path.posix.dirname(relPath);
  const entry = `/${path.posix.basename(relPath)}`;
  const rel = dir === '.' ? '.gitignore' : `${dir}/.gitignore`;
  const abs = checkedWritePath(root, rel);
  let text = '';
  try {
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const lines = text.split(/\r?\n/);
  if (lines.includes(entry)) return false;
  const prefix = text === '' || text.endsWith('\n') ? text : `${text}\n`;
  writeFileAtomicSync(abs, `${prefix}${entry}\n`);
  return true;
}

/**
 * True when the `.gitignore` files from the root down to the path's folder already ignore it or one
 * of its folders (DVC asks git, `scm.is_ignored`, and adds nothing then). The deepest file with an
 * opinion decides, as in git.
 */
function ignoredByGit(root: string, relPath: string): boolean {
  const parts = relPath.split('/');
  for (let depth = 1; depth <= parts.length; depth++) {
    let ignored = false;
    for (let d = 0; d < depth; d++) {
      const base = parts.slice(0, d).join('/');
      let text: string;
      try {
        text = readFileSync(path.join(root, base, '.gitignore'), 'utf8');
      } catch {
        continue;
      }
      const inner = parts.slice(d, depth).join('/');
      const isDir = depth < parts.length;
      const result = ignore().add(text).test(isDir ? `${inner}/` : inner);
      if (result.ignored) ignored = true;
      else if (result.unignored) ignored = false;
    }
    if (ignored) return true;
  }
  return false;
}

const repositories = new Map<string, boolean>();

function isGitRepository(root: string): boolean {
  let known = repositories.get(root);
  if (known === undefined) repositories.set(root, (known = statSync(path.join(root, '.git'), { throwIfNoEntry: false }) !== undefined));
  return known;
}

/** `.orchestrator/.gitignore`: everything in the tool's folder is local state except its config (as DVC's `.dvc/.gitignore`). */
export const TOOL_DIR_GITIGNORE = `# Written by orchestrator init: the cache, state, logs and runs here are local to this machine.
/*
!/.gitignore
!/config
`;
