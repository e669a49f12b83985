/** The project root found upward (dvc/repo/__init__.py find_root; git's discovery) and the pipeline files collected (dvc/repo/index.py collect_files). */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findProjectRoot } from '../../src/workspace/project-root.js';
import { collectPipelineFiles } from '../../src/config/pipeline-files.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tree(entries: string[]): string {
  const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'root-')));
  dirs.push(root);
  for (const e of entries) {
    const abs = path.join(root, e);
    if (e.endsWith('/')) mkdirSync(abs, { recursive: true });
    else {
      mkdirSync(path.dirname(abs), { recursive: true });
      writeFileSync(abs, e.endsWith('dvc.yaml') ? 'stages: {}\n' : '');
    }
  }
  return root;
}

describe('findProjectRoot', () => {
  it('finds the nearest folder holding .orchestrator/, .dvc/, .git or pipeline.yaml', () => {
    const root = tree(['.git/', 'a/.dvc/', 'a/b/c/', 'x/y/', 'p/pipeline.yaml', 'p/q/']);
    expect(findProjectRoot(path.join(root, 'a/b/c'))).toBe(path.join(root, 'a'));
    expect(findProjectRoot(path.join(root, 'x/y'))).toBe(root);
    expect(findProjectRoot(path.join(root, 'p/q'))).toBe(path.join(root, 'p'));
  });

  it('takes a .git file (worktree, submodule) as a marker but not a file named .dvc or .orchestrator', () => {
    const root = tree(['.git', 'a/.orchestrator', 'a/b/']);
    expect(findProjectRoot(path.join(root, 'a/b'))).toBe(root);
  });

  it('is the starting folder when nothing above is marked', () => {
    // The system's temp folder and its parents hold no marker (a fresh machine's /tmp).
    const root = tree(['s/']);
    expect(findProjectRoot(path.join(root, 's'))).toBe(path.join(root, 's'));
  });
});

describe('collectPipelineFiles', () => {
  it('is pipeline.yaml alone when the root holds one', () => {
    expect(collectPipelineFiles(tree(['pipeline.yaml', 'dvc.yaml', 'a/dvc.yaml']))).toEqual(['pipeline.yaml']);
  });

  it('collects every dvc.yaml, root first, skipping .git, .dvc, .orchestrator, subrepos and .dvcignore-d folders', () => {
    const root = tree(['dvc.yaml', 'b/dvc.yaml', 'a/x/dvc.yaml', '.orchestrator/sweeps/s/v/dvc.yaml', '.dvc/dvc.yaml', 'sub/.dvc/', 'sub/dvc.yaml', 'ign/dvc.yaml', 'a/y/dvc.yaml']);
    writeFileSync(path.join(root, '.dvcignore'), 'ign\n');
    writeFileSync(path.join(root, 'a/.dvcignore'), '/y\n');
    expect(collectPipelineFiles(root)).toEqual(['dvc.yaml', 'a/x/dvc.yaml', 'b/dvc.yaml']);
  });

  it('applies .gitignore only in a git repository, with a deeper negation winning', () => {
    const root = tree(['dvc.yaml', 'out/dvc.yaml', 'keep/dvc.yaml']);
    writeFileSync(path.join(root, '.gitignore'), '/out\nkeep/dvc.yaml\n');
    writeFileSync(path.join(root, 'keep/.gitignore'), '!dvc.yaml\n');
    expect(collectPipelineFiles(root)).toEqual(['dvc.yaml', 'keep/dvc.yaml', 'out/dvc.yaml']);
    mkdirSync(path.join(root, '.git'));
    expect(collectPipelineFiles(root)).toEqual(['dvc.yaml', 'keep/dvc.yaml']);
  });

  it('is empty when there is no pipeline file', () => {
    expect(collectPipelineFiles(tree(['src/main.py']))).toEqual([]);
  });
});
