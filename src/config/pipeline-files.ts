import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';

/** The tool's own pipeline file: when the root holds one, it is the whole pipeline. */
export const PIPELINE_FILE = 'pipeline.yaml';
/** DVC's pipeline file name; every one in the repository belongs to the pipeline. */
export const DVC_FILE = 'dvc.yaml';

/** Folders never searched: version control, DVC's and the tool's own state (sweep workspaces hold copies of dvc.yaml). */
const NEVER_SEARCHED = new Set(['.git', '.hg', '.dvc', '.orchestrator']);

/**
 * The pipeline files of the project at `root`, root-relative POSIX paths, sorted: `pipeline.yaml`
 * alone when the root holds it; otherwise every `dvc.yaml`, collected as DVC collects them
 * (dvc/repo/index.py `collect_files`): a top-down walk that skips `.git`, `.hg` and `.dvc`, folders
 * that are DVC subrepos (holding their own `.dvc/`), and what `.dvcignore` files ignore, and (in a
 * git repository) what `.gitignore` files ignore. An empty list means there is no pipeline.
 */
export function collectPipelineFiles(root: string): string[] {
  if (statSync(path.join(root, PIPELINE_FILE), { throwIfNoEntry: false })?.isFile()) return [PIPELINE_FILE];
  const useGitignore = statSync(path.join(root, '.git'), { throwIfNoEntry: false }) !== undefined;
  const found: string[] = [];
  const walk = (rel: string, rules: readonly IgnoreRules[]): void => {
    const abs = rel === '' ? root : path.join(root, rel);
    let entries;
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch {
      return; // unreadable folder: DVC's walk skips it too
    }
    const here = [...rules];
    for (const file of useGitignore ? ['.gitignore', '.dvcignore'] : ['.dvcignore']) {
      const own = readIgnoreFile(path.join(abs, file));
      if (own) here.push({ base: rel, matcher: own });
    }
    for (const entry of entries) {
      const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (NEVER_SEARCHED.has(entry.name) || isIgnored(here, child, true)) continue;
        if (statSync(path.join(root, child, '.dvc'), { throwIfNoEntry: false })?.isDirectory()) continue; // a subrepo
        walk(child, here);
      } else if (entry.name === DVC_FILE && (entry.isFile() || entry.isSymbolicLink()) && !isIgnored(here, child, false)) {
        found.push(child);
      }
    }
  };
  walk('', []);
  return found.sort(compareFiles);
}

/** The root's file first, then by path: the order diagnostics and `dag` list files in. */
function compareFiles(a: string, b: string): number {
  const depth = (p: string) => (p === DVC_FILE ? 0 : 1);
  return depth(a) - depth(b) || (a < b ? -1 : a > b ? 1 : 0);
}

interface IgnoreRules {
  /** Folder of the ignore file, root-relative ('' for the root). */
  base: string;
  matcher: Ignore;
}

function readIgnoreFile(abs: string): Ignore | undefined {
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch {
    return undefined;
  }
  return ignore().add(text);
}

/** Later (deeper) files override earlier ones, as in git: the deepest file with an opinion decides. */
function isIgnored(rules: readonly IgnoreRules[], rel: string, dir: boolean): boolean {
  let ignored = false;
  for (const { base, matcher } of rules) {
    const inner = base === '' ? rel : rel.slice(base.length + 1);
    const result = matcher.test(dir ? `${inner}/` : inner);
    if (result.ignored) ignored = true;
    else if (result.unignored) ignored = false;
  }
  return ignored;
}

/**
 * How a stage of `file` is named: DVC addresses stages of the root's pipeline file by their own
 * name and those of other files as `path/to/dvc.yaml:stage`.
 */
export function stageNamePrefix(file: string): string {
  return file === PIPELINE_FILE || file === DVC_FILE ? '' : `${file}:`;
}

/** The folder a pipeline file's relative paths (wdir, deps, outs, params, vars) start from. */
export function pipelineFileBase(file: string): string {
  return path.posix.dirname(file);
}
