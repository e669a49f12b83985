import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomicSync } from '../../util/atomic-write.js';
import { TOOL_DIR_GITIGNORE } from '../../workspace/gitignore.js';
import { workspaceLayout } from '../../workspace/layout.js';
import { EXIT, type Io } from '../io.js';

/**
 * `orchestrator init`: makes `dir` a project root. Creates `.orchestrator/` with its `.gitignore`
 * (only `config` and the `.gitignore` itself are committed, as with DVC's `.dvc/`) and an empty
 * `config`. A second init fails, as `dvc init` does, unless `force`; forcing rewrites the
 * `.gitignore` and never touches the cache (unlike `dvc init -f`, which deletes `.dvc/`).
 */
export function initCommand(dir: string, opts: { force: boolean }, io: Io): number {
  const layout = workspaceLayout(dir);
  const dirStat = statSync(layout.dir, { throwIfNoEntry: false });
  if (dirStat && !dirStat.isDirectory()) {
    io.err(`error: ${layout.dir} exists and is not a directory\n`);
    return EXIT.failed;
  }
  // A run before init created .orchestrator/ without its .gitignore: that folder is not initialised yet.
  const exists = existsSync(path.join(layout.dir, '.gitignore'));
  if (exists && !opts.force) {
    io.err(`error: ${dir} is already initialised (${path.basename(layout.dir)}/ exists); use -f to rewrite ${path.basename(layout.dir)}/.gitignore (the cache is kept)\n`);
    return EXIT.failed;
  }
  mkdirSync(layout.dir, { recursive: true });
  writeFileAtomicSync(path.join(layout.dir, '.gitignore'), TOOL_DIR_GITIGNORE);
  const config = path.join(layout.dir, 'config');
  if (!existsSync(config)) writeFileAtomicSync(config, '');
  const git = existsSync(path.join(dir, '.git'));
  io.out(`Initialised orchestrator in ${dir}${exists ? ' again (cache kept)' : ''}.\n`);
  io.out(`  .orchestrator/ holds the cache, logs and runs (git-ignored), and config (committed).\n`);
  if (!git) io.out(`  No git repository here: outputs get no .gitignore entries until there is one (git init).\n`);
  io.out(`Next: write pipeline.yaml (or use your dvc.yaml as it is), then run: orchestrator repro\n`);
  return EXIT.ok;
}
