import * as fs from 'node:fs';
import { setImmediate as yieldToLoop } from 'node:timers/promises';

/** Directory entries never included in a directory's hash (VCS data and our own state). */
export const SKIPPED_NAMES: ReadonlySet<string> = new Set(['.git', '.orchestrator']);

export interface WalkedFile {
  /** POSIX path relative to the walked directory. */
  rel: string;
  abs: string;
  stat: fs.Stats;
}

interface DirNode {
  abs: string;
  rel: string;
  /** Resolved path, to detect symlinks that lead back into their own ancestry. */
  real: string;
  parent: DirNode | undefined;
}

/** Syscalls between event-loop yields, so a huge tree does not starve timers and I/O callbacks. */
const YIELD_EVERY = 2000;

/** What a directory holds, as far as its hash is concerned. */
export interface WalkedTree {
  files: WalkedFile[];
  /** Directories (relative POSIX paths, root excluded) in which no file or directory was found. */
  emptyDirs: string[];
}

/**
 * Every regular file under `absDir`, following symlinks to files and directories. Symlinks that
 * lead to an ancestor (a loop) and dangling symlinks are skipped; so are sockets and FIFOs.
 *
 * Uses synchronous readdir/stat: measured on the target VM, 20,000 stats take ~65 ms
 * synchronously versus 140-280 ms through fs.promises (per-request promise and thread-pool
 * overhead dominates a ~3 µs syscall). Yielding every few thousand calls keeps the loop responsive.
 */
export async function walkDir(absDir: string): Promise<WalkedFile[]> {
  return (await walkTree(absDir)).files;
}

/** `walkDir`, plus the directories that hold nothing (a restore must recreate them). */
export async function walkTree(absDir: string): Promise<WalkedTree> {
  const files: WalkedFile[] = [];
  const emptyDirs: string[] = [];
  const stack: DirNode[] = [{ abs: absDir, rel: '', real: fs.realpathSync(absDir), parent: undefined }];
  let ops = 0;
  while (stack.length > 0) {
    const dir = stack.pop() as DirNode;
    let dirents: fs.Dirent[];
    try {
      dirents = fs.readdirSync(dir.abs, { withFileTypes: true });
    } catch (err) {
      // Vanished while walking: it is simply not part of the snapshot.
      if (isMissing(err)) continue;
      throw err;
    }
    let children = 0;
    for (const d of dirents) {
      if (++ops % YIELD_EVERY === 0) await yieldToLoop();
      if (SKIPPED_NAMES.has(d.name)) continue;
      const abs = `${dir.abs}/${d.name}`;
      const rel = dir.rel === '' ? d.name : `${dir.rel}/${d.name}`;
      if (d.isDirectory()) {
        stack.push({ abs, rel, real: `${dir.real}/${d.name}`, parent: dir });
        children++;
      } else if (d.isFile() || d.isSymbolicLink()) {
        const stat = fs.statSync(abs, { throwIfNoEntry: false });
        if (!stat) continue; // dangling symlink or raced deletion
        if (stat.isFile()) {
          files.push({ rel, abs, stat });
          children++;
        } else if (stat.isDirectory()) {
          const real = fs.realpathSync(abs);
          if (!isLoop(dir, real)) {
            stack.push({ abs, rel, real, parent: dir });
            children++;
          }
        }
      }
    }
    if (children === 0 && dir.rel !== '') emptyDirs.push(dir.rel);
  }
  return { files, emptyDirs };
}

function isLoop(dir: DirNode, targetReal: string): boolean {
  const prefix = targetReal.endsWith('/') ? targetReal : `${targetReal}/`;
  if (dir.real === targetReal || dir.real.startsWith(prefix)) return true;
  for (let n: DirNode | undefined = dir; n; n = n.parent) if (n.real === targetReal) return true;
  return false;
}

export function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
