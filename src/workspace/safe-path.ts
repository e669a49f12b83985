import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';

/**
 * Thrown instead of deleting or writing a path whose parent directory resolves (through a symlink
 * some stage or user created, possibly during this very run) outside the workspace or into its
 * control folders. Carries both paths so the message names what was refused and where it led.
 */
export class UnsafeWritePathError extends Error {
  readonly code = 'EUNSAFEPATH';
  constructor(
    readonly relPath: string,
    readonly resolvedTo: string,
    readonly why: 'outside-workspace' | 'control-folder',
  ) {
    super(
      why === 'outside-workspace'
        ? `refusing to write or delete "${relPath}": it resolves to ${resolvedTo}, outside the workspace (through a symlink)`
        : `refusing to write or delete "${relPath}": it resolves to ${resolvedTo}, inside the workspace's ${path.basename(controlFolderOf(resolvedTo) ?? '')} folder (through a symlink)`,
    );
  }
}

/** Folders under the root that no output may reach, even through a symlink. */
const CONTROL_FOLDERS = ['.git', '.orchestrator', '.dvc'];

let controlFolders: { root: string; folders: string[] } | undefined;
function controlFolderOf(real: string): string | undefined {
  return controlFolders?.folders.find((f) => real === f || real.startsWith(f + path.sep));
}

const realRoots = new Map<string, string>();

/**
 * Checks, at the moment of a write or delete, that `relPath` (workspace-relative, normalized) lands
 * inside the workspace: the real path of its parent directory must lie under the real root and
 * outside `.git`, `.orchestrator` and `.dvc`. The last component itself may be a symlink: unlink and
 * rename act on the link, never on what it points to. Returns the absolute path to use.
 *
 * This is re-run before every delete and restore rather than once at plan time, because stages run
 * in parallel and any of them can create `build -> /elsewhere` while another is being restored.
 */
export function checkedWritePath(root: string, relPath: string): string {
  let realRoot = realRoots.get(root);
  if (realRoot === undefined) realRoots.set(root, (realRoot = realpathSync(root)));
  const abs = path.join(root, relPath);
  const realParent = realpathOfExistingPrefix(path.dirname(abs));
  if (realParent !== realRoot && !realParent.startsWith(realRoot + path.sep)) {
    throw new UnsafeWritePathError(relPath, path.join(realParent, path.basename(abs)), 'outside-workspace');
  }
  if (controlFolders?.root !== realRoot) controlFolders = { root: realRoot, folders: CONTROL_FOLDERS.map((f) => path.join(realRoot!, f)) };
  const target = path.join(realParent, path.basename(abs));
  if (controlFolderOf(target) !== undefined) throw new UnsafeWritePathError(relPath, target, 'control-folder');
  return abs;
}

/**
 * True when `relPath` itself (following a final symlink too) resolves inside the workspace. Used
 * before reading an output into the cache: a stage that leaves `out -> /etc/passwd` must not get
 * that file committed and later restored as its own.
 */
export function resolvesInsideWorkspace(root: string, relPath: string): boolean {
  let realRoot = realRoots.get(root);
  if (realRoot === undefined) realRoots.set(root, (realRoot = realpathSync(root)));
  const abs = path.join(root, relPath);
  const st = lstatSync(abs, { throwIfNoEntry: false });
  const real = st?.isSymbolicLink() ? realpathOfExistingPrefix(abs) : path.join(realpathOfExistingPrefix(path.dirname(abs)), path.basename(abs));
  return real === realRoot || real.startsWith(realRoot + path.sep);
}

/**
 * realpath of the longest existing prefix, with the rest appended: works for paths not created yet.
 * A dangling symlink on the way counts as where it points (a later mkdir could create its target).
 */
export function realpathOfExistingPrefix(abs: string): string {
  const rest: string[] = [];
  let current = abs;
  for (;;) {
    try {
      return path.join(realpathSync(current), ...rest.reverse());
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return abs;
      if (lstatSync(current, { throwIfNoEntry: false })?.isSymbolicLink()) {
        const target = path.resolve(realpathOfExistingPrefix(parent), readlinkSync(current));
        return path.join(target, ...rest.reverse());
      }
      rest.push(path.basename(current));
      current = parent;
    }
  }
}
