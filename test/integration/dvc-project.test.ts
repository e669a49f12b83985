/**
 * DVC projects used as they are: dvc.yaml files collected across the repository, dvc.lock adopted
 * on first use, .dvc/cache imported, the project root found upward, `init` and .gitignore entries.
 * Each scenario names the DVC functional test (treeverse/dvc, tests/func/...) it follows.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProjects, createProject, stageLines, tick, yamlLines, type Project } from './harness.js';
import { putDirInDvcCache, putInDvcCache, writeDvcLock } from './dvc-lock-writer.js';
import { dirListingMd5, md5File } from '../../src/hash/dvc-md5.js';

afterEach(cleanupProjects);

const git = (p: Project, ...args: string[]) => execFileSync('git', ['-C', p.dir, ...args], { encoding: 'utf8' });

/** Root stage `prep` (data/raw.txt -> data/clean.txt) and sub/dvc.yaml's `train` reading ../data/clean.txt. */
function twoFileProject(): Project {
  return createProject({
    'data/raw.txt': 'raw\n',
    'dvc.yaml': yamlLines('stages:', '  prep:', `    cmd: ${tick('prep')} && cp data/raw.txt data/clean.txt`, '    deps: [data/raw.txt]', '    outs: [data/clean.txt]'),
    'sub/dvc.yaml': yamlLines(
      'stages:',
      '  train:',
      `    cmd: ${tick('train', '..')} && cat ../data/clean.txt > model.txt && echo \${lr} >> model.txt`,
      '    deps: [../data/clean.txt]',
      '    params: [lr]',
      '    outs: [model.txt]',
    ),
    'sub/params.yaml': 'lr: 0.1\n',
  });
}

const prepStage = (p: Project) => ({ prep: { cmd: `${tick('prep')} && cp data/raw.txt data/clean.txt`, deps: ['data/raw.txt'], outs: ['data/clean.txt'] } });

describe('dvc.yaml as the pipeline', () => {
  // tests/func/test_dvcfile.py::test_load_all_multistage — dvc.yaml alone is the pipeline
  it('runs a dvc.yaml with no pipeline.yaml', async () => {
    const p = createProject({ 'in.txt': 'x\n', 'dvc.yaml': yamlLines('stages:', '  a:', `    cmd: ${tick('a')} && cp in.txt a.txt`, '    deps: [in.txt]', '    outs: [a.txt]') });
    await p.runOk(['repro']);
    expect(p.counts('a')).toEqual({ a: 1 });
    expect(Object.keys(p.lock().stages)).toEqual(['a']);
    await p.runOk(['repro']);
    expect(p.counts('a')).toEqual({ a: 1 });
  });

  // dvc/repo/index.py collect_files + tests/func/test_stage_load.py::test_collect — every dvc.yaml, one graph
  it('collects dvc.yaml files of subfolders into one graph, each resolved against its own folder', async () => {
    const p = twoFileProject();
    const dag = await p.runOk(['dag', '--json']);
    const doc = JSON.parse(dag.stdout) as { stages: string[]; edges: Array<{ from: string; to: string }> };
    expect([...doc.stages].sort()).toEqual(['prep', 'sub/dvc.yaml:train']);
    expect(doc.edges.map((e) => [e.from, e.to])).toEqual([['prep', 'sub/dvc.yaml:train']]);
    await p.runOk(['repro']);
    expect(p.read('sub/model.txt')).toBe('raw\n0.1\n');
    const entry = p.lock().stages['sub/dvc.yaml:train']!;
    expect(entry.wdir).toBe('sub');
    expect(entry.deps?.map((d) => d.path)).toEqual(['data/clean.txt']);
    expect(Object.keys(entry.params ?? {})).toEqual(['sub/params.yaml']);
  });

  // tests/func/test_ignore.py::test_ignore + dvc/ignore.py (subrepos, .dvc/.git never walked)
  it('skips dvc.yaml files in .dvcignore-d and git-ignored folders and in DVC subrepos', async () => {
    const bad = yamlLines('stages:', '  x:', '    cmd: false');
    const p = createProject({
      'dvc.yaml': yamlLines('stages:', '  a:', `    cmd: ${tick('a')}`),
      'ignored/dvc.yaml': bad,
      'gitignored/dvc.yaml': bad,
      'subrepo/dvc.yaml': bad,
      'kept/dvc.yaml': yamlLines('stages:', '  k:', `    cmd: ${tick('k', '..')}`),
      '.dvcignore': 'ignored/\n',
      '.gitignore': '/gitignored\n',
    });
    git(p, 'init', '-q');
    mkdirSync(p.abs('subrepo/.dvc'));
    const status = await p.runOk(['status', '--json']);
    expect(status.stdout).not.toMatch(/"x"|:x"/);
    await p.runOk(['repro']);
    expect(p.counts('a', 'k')).toEqual({ a: 1, k: 1 });
  });

  // tests/func/test_stage_load.py::test_collect (":stage", "dvc.yaml:stage", "path/dvc.yaml")
  it('addresses stages as DVC does: stage, :stage, dvc.yaml:stage, sub/dvc.yaml:stage, sub/dvc.yaml', async () => {
    const p = twoFileProject();
    await p.runOk(['repro', '-s', ':prep']);
    await p.runOk(['repro', '-s', 'dvc.yaml:prep', '-f']);
    expect(p.counts('prep', 'train')).toEqual({ prep: 2, train: 0 });
    await p.runOk(['repro', '-s', 'sub/dvc.yaml:train']);
    await p.runOk(['repro', '-s', '-f', 'sub/dvc.yaml']);
    expect(p.counts('prep', 'train')).toEqual({ prep: 2, train: 2 });
    const unknown = await p.run(['repro', 'sub/dvc.yaml:nope']);
    expect(unknown.code).toBe(2);
  });

  // tests/func/test_run.py (paths outside the repo are rejected) — `..` inside the repository is allowed, above it is not
  it('allows ../ paths that stay in the repository and rejects those that leave it', async () => {
    const p = twoFileProject();
    p.write('sub/dvc.yaml', yamlLines('stages:', '  t:', '    cmd: cat ../../outside.txt', '    deps: [../../outside.txt]'));
    const r = await p.run(['status']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/sub\/dvc\.yaml:\d+:\d+: .*outside the workspace/);
  });
});

describe('project root found upward', () => {
  // dvc/repo/__init__.py find_root — `cd src; dvc status` works anywhere inside the repository
  it('works from a subfolder without -C, and with -C pointing at a subfolder', async () => {
    const p = twoFileProject();
    git(p, 'init', '-q');
    await p.runOk(['repro'], 0, { noChdirFlag: true, cwd: p.abs('sub') });
    expect(p.counts('prep', 'train')).toEqual({ prep: 1, train: 1 });
    const fromSub = await p.runOk(['status'], 0, { noChdirFlag: true, cwd: p.abs('sub') });
    expect(fromSub.stdout).toMatch(/Everything is up to date/);
    const withC = await p.runOk(['status', '--json'], 0, { noChdirFlag: true, cwd: p.abs('data') });
    expect(JSON.parse(withC.stdout)).toBeTruthy();
    expect(p.exists('sub/.orchestrator')).toBe(false);
  });

  // git's `-C` (DVC has `--cd`): a folder that does not exist is an error, not a search from its parent
  it('rejects -C of a folder that does not exist (exit 2) instead of finding the project above it', async () => {
    const p = twoFileProject();
    const r = await p.run(['-C', p.abs('nope'), 'status'], { noChdirFlag: true });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/-C .*nope: no such directory/);
  });

  // tests/func/test_scm.py::test_init_sub_dir — the nearest marker wins (.orchestrator/ below a .git)
  it('takes the nearest folder holding .orchestrator/, .dvc/ or .git', async () => {
    const p = createProject({ 'inner/pipeline.yaml': yamlLines('stages:', '  i:', `    cmd: ${tick('i', '..')}`), 'inner/deep/.keep': '' });
    git(p, 'init', '-q');
    await p.runOk(['repro'], 0, { noChdirFlag: true, cwd: p.abs('inner/deep') });
    expect(p.counts('i')).toEqual({ i: 1 });
    expect(p.exists('inner/pipeline.lock')).toBe(true);
  });
});

describe('dvc.lock read on first use', () => {
  // tests/func/repro/test_repro.py::test_repro_up_to_date — an up-to-date DVC project reruns nothing
  it('records stages whose dvc.lock matches as up to date and never runs them', async () => {
    const p = twoFileProject();
    p.write('data/clean.txt', 'raw\n');
    p.write('sub/model.txt', 'raw\n0.1\n');
    await writeDvcLock(p.dir, '.', prepStage(p));
    await writeDvcLock(p.dir, 'sub', { train: { cmd: `${tick('train', '..')} && cat ../data/clean.txt > model.txt && echo 0.1 >> model.txt`, deps: ['../data/clean.txt'], params: { 'params.yaml': { lr: 0.1 } }, outs: ['model.txt'] } });
    const dvcLock = p.read('dvc.lock');
    const status = await p.runOk(['status']);
    expect(status.stdout).toMatch(/Everything is up to date/);
    expect(p.exists('pipeline.lock')).toBe(false); // status writes nothing
    await p.runOk(['repro']);
    expect(p.counts('prep', 'train')).toEqual({ prep: 0, train: 0 });
    expect(Object.keys(p.lock().stages).sort()).toEqual(['prep', 'sub/dvc.yaml:train']);
    expect(p.read('dvc.lock')).toBe(dvcLock); // DVC's own lock stays untouched
    // Verified once: with dvc.lock gone, pipeline.lock alone says up to date.
    p.remove('dvc.lock');
    p.remove('sub/dvc.lock');
    await p.runOk(['repro']);
    expect(p.counts('prep', 'train')).toEqual({ prep: 0, train: 0 });
  });

  // tests/func/repro/test_repro.py::test_repro_when_cmd_changes
  it('runs a stage whose command differs from dvc.lock', async () => {
    const p = twoFileProject();
    p.write('data/clean.txt', 'raw\n');
    await writeDvcLock(p.dir, '.', { prep: { ...prepStage(p).prep, cmd: 'cp data/raw.txt data/clean.txt' } });
    await p.runOk(['repro', 'prep']);
    expect(p.counts('prep')).toEqual({ prep: 1 });
  });

  // tests/func/repro/test_repro.py::test_repro_changed_data — a dep whose md5 differs reruns it and what follows
  it('runs a stage whose dep no longer has dvc.lock md5, and its downstream', async () => {
    const p = twoFileProject();
    p.write('data/clean.txt', 'raw\n');
    p.write('sub/model.txt', 'raw\n0.1\n');
    await writeDvcLock(p.dir, '.', prepStage(p));
    await writeDvcLock(p.dir, 'sub', { train: { cmd: `${tick('train', '..')} && cat ../data/clean.txt > model.txt && echo 0.1 >> model.txt`, deps: ['../data/clean.txt'], params: { 'params.yaml': { lr: 0.1 } }, outs: ['model.txt'] } });
    p.write('data/raw.txt', 'changed\n');
    await p.runOk(['repro']);
    expect(p.counts('prep', 'train')).toEqual({ prep: 1, train: 1 });
  });

  // tests/func/repro/test_repro.py::test_repro_multiple_params — a param value differing from dvc.lock reruns only that stage
  it('runs only the stage whose param changed since dvc.lock', async () => {
    const p = twoFileProject();
    p.write('data/clean.txt', 'raw\n');
    p.write('sub/model.txt', 'raw\n0.1\n');
    await writeDvcLock(p.dir, '.', prepStage(p));
    await writeDvcLock(p.dir, 'sub', { train: { cmd: `${tick('train', '..')} && cat ../data/clean.txt > model.txt && echo 0.1 >> model.txt`, deps: ['../data/clean.txt'], params: { 'params.yaml': { lr: 0.1 } }, outs: ['model.txt'] } });
    p.write('sub/params.yaml', 'lr: 0.2\n');
    await p.runOk(['repro']);
    expect(p.counts('prep', 'train')).toEqual({ prep: 0, train: 1 });
    expect(p.read('sub/model.txt')).toBe('raw\n0.2\n');
  });

  // tests/func/repro/test_repro.py::test_repro_changed_dir_data — directory outs by DVC's .dir md5
  it('verifies a directory output by the md5 of DVC\'s .dir listing, and reruns when a file in it changed', async () => {
    const p = createProject({ 'in.txt': 'i\n', 'dvc.yaml': yamlLines('stages:', '  d:', `    cmd: ${tick('d')} && mkdir -p out/s && cp in.txt out/a && cp in.txt out/s/b`, '    deps: [in.txt]', '    outs: [out]') });
    p.write('out/a', 'i\n');
    p.write('out/s/b', 'i\n');
    await writeDvcLock(p.dir, '.', { d: { cmd: `${tick('d')} && mkdir -p out/s && cp in.txt out/a && cp in.txt out/s/b`, deps: ['in.txt'], outs: ['out'] } });
    // The listing hash is Python's json.dumps([...], sort_keys=True) md5, as dvc-data computes it.
    const md5a = await md5File(p.abs('out/a'));
    expect(p.read('dvc.lock')).toContain(`${dirListingMd5([{ md5: md5a, relpath: 's/b' }, { md5: md5a, relpath: 'a' }])}.dir`);
    expect((await p.runOk(['status'])).stdout).toMatch(/Everything is up to date/);
    p.write('out/s/b', 'edited\n');
    await p.runOk(['repro']);
    expect(p.counts('d')).toEqual({ d: 1 });
  });

  // DVC 2 locks (no `hash: md5`) hashed text with CRLF converted — tests/func/test_lockfile.py::test_params_dump (lock read back)
  it('reads a DVC 2 lock whose md5 of a CRLF text file was taken after dos2unix', async () => {
    const p = createProject({ 'in.txt': 'a\r\nb\r\n', 'dvc.yaml': yamlLines('stages:', '  c:', `    cmd: ${tick('c')} && cp in.txt o.txt`, '    deps: [in.txt]', '    outs: [o.txt]') });
    p.write('o.txt', 'a\r\nb\r\n');
    await writeDvcLock(p.dir, '.', { c: { cmd: `${tick('c')} && cp in.txt o.txt`, deps: ['in.txt'], outs: ['o.txt'] } }, { dvc2: true });
    expect(p.read('dvc.lock')).not.toMatch(/hash: md5/);
    expect(p.read('dvc.lock')).toContain(await md5File(p.abs('in.txt'), true));
    await p.runOk(['repro']);
    expect(p.counts('c')).toEqual({ c: 0 });
  });
});

describe('.dvc/cache imported', () => {
  // tests/func/test_checkout.py::test_checkout (outputs restored from the cache) — DVC 3 layout, by repro
  it('restores outputs missing from the workspace from .dvc/cache (files/md5/ab/...) instead of running', async () => {
    const p = createProject({ 'in.txt': 'i\n', 'dvc.yaml': yamlLines('stages:', '  d:', `    cmd: ${tick('d')} && mkdir -p out && cp in.txt out/a && cp in.txt f.txt`, '    deps: [in.txt]', '    outs: [out, f.txt]') });
    p.write('out/a', 'i\n');
    p.write('f.txt', 'i\n');
    await writeDvcLock(p.dir, '.', { d: { cmd: `${tick('d')} && mkdir -p out && cp in.txt out/a && cp in.txt f.txt`, deps: ['in.txt'], outs: ['out', 'f.txt'] } });
    expect(putDirInDvcCache(p.dir, 'out', ['a'], 3)).toMatch(/\.dir$/);
    putInDvcCache(p.dir, readFileSync(p.abs('f.txt')), 3);
    p.remove('out');
    p.remove('f.txt');
    const r = await p.runOk(['repro']);
    expect(p.counts('d')).toEqual({ d: 0 });
    expect(stageLines(r, 'd').join('\n')).toMatch(/restored/);
    expect(p.read('out/a')).toBe('i\n');
    expect(p.read('f.txt')).toBe('i\n');
  });

  // tests/func/test_status.py (a missing output DVC's cache holds: `dvc status` says deleted, checkout brings it back)
  it('status before the first run says an output in .dvc/cache will be restored, not run, and writes nothing', async () => {
    const p = createProject({ 'in.txt': 'i\n', 'dvc.yaml': yamlLines('stages:', '  d:', `    cmd: ${tick('d')} && mkdir -p out && cp in.txt out/a && cp in.txt f.txt`, '    deps: [in.txt]', '    outs: [out, f.txt]') });
    p.write('out/a', 'i\n');
    p.write('f.txt', 'i\n');
    await writeDvcLock(p.dir, '.', { d: { cmd: `${tick('d')} && mkdir -p out && cp in.txt out/a && cp in.txt f.txt`, deps: ['in.txt'], outs: ['out', 'f.txt'] } });
    putDirInDvcCache(p.dir, 'out', ['a'], 3);
    putInDvcCache(p.dir, readFileSync(p.abs('f.txt')), 3);
    p.remove('out');
    p.remove('f.txt');
    const status = await p.runOk(['status']);
    expect(status.stdout).toMatch(/^d: will restore from the cache$/m);
    expect(status.stdout).toMatch(/^\s+out missing: f\.txt$/m);
    expect(status.stdout).toMatch(/^\s+out missing: out$/m);
    expect(p.exists('pipeline.lock')).toBe(false);
    expect(p.exists('.orchestrator/cache/objects')).toBe(false);
    const json = JSON.parse((await p.runOk(['status', '--json'])).stdout) as { stages: Array<{ stage: string; action: string }> };
    expect(json.stages.find((s) => s.stage === 'd')?.action).toBe('restore');
    // Without the objects in DVC's cache, it runs.
    rmSync(p.abs('.dvc/cache'), { recursive: true });
    expect((await p.runOk(['status'])).stdout).toMatch(/d: will run/);
  });

  // tests/func/test_checkout.py::test_checkout_missing_md5_in_lock_file_for_outs_deps — DVC 2 layout (ab/cdef), by checkout
  it('checkout restores from a DVC 2 cache (ab/cdef...) with no pipeline.lock yet', async () => {
    const p = createProject({ 'in.txt': 'i\n', 'dvc.yaml': yamlLines('stages:', '  d:', `    cmd: ${tick('d')} && cp in.txt f.txt`, '    deps: [in.txt]', '    outs: [f.txt]') });
    p.write('f.txt', 'i\n');
    await writeDvcLock(p.dir, '.', { d: { cmd: `${tick('d')} && cp in.txt f.txt`, deps: ['in.txt'], outs: ['f.txt'] } });
    putInDvcCache(p.dir, Buffer.from('i\n'), 2);
    p.remove('f.txt');
    const r = await p.runOk(['checkout']);
    expect(r.stdout).toMatch(/1 output restored/);
    expect(p.read('f.txt')).toBe('i\n');
  });

  // tests/func/test_checkout.py::test_checkout_corrupted_cache_file — a bad object is never handed out
  it('does not import a DVC cache object whose bytes do not have its md5: the stage runs', async () => {
    const p = createProject({ 'in.txt': 'i\n', 'dvc.yaml': yamlLines('stages:', '  d:', `    cmd: ${tick('d')} && cp in.txt f.txt`, '    deps: [in.txt]', '    outs: [f.txt]') });
    p.write('f.txt', 'i\n');
    await writeDvcLock(p.dir, '.', { d: { cmd: `${tick('d')} && cp in.txt f.txt`, deps: ['in.txt'], outs: ['f.txt'] } });
    const md5 = putInDvcCache(p.dir, Buffer.from('i\n'), 3);
    writeFileSync(p.abs(`.dvc/cache/files/md5/${md5.slice(0, 2)}/${md5.slice(2)}`), 'tampered\n');
    p.remove('f.txt');
    await p.runOk(['repro']);
    expect(p.counts('d')).toEqual({ d: 1 });
    expect(p.read('f.txt')).toBe('i\n');
  });
});

describe('init and .gitignore', () => {
  // tests/func/test_init.py::test_double_init (+ .dvc/.gitignore written by dvc init)
  it('init creates .orchestrator/ whose .gitignore keeps only config; a second init fails unless -f', async () => {
    const p = createProject({});
    git(p, 'init', '-q');
    const first = await p.run(['init']);
    expect(first.code).toBe(0);
    mkdirSync(p.abs('.orchestrator/cache'), { recursive: true });
    writeFileSync(p.abs('.orchestrator/cache/x'), '');
    const ignored = (rel: string) => {
      try {
        git(p, 'check-ignore', '-q', rel);
        return true;
      } catch {
        return false;
      }
    };
    expect(ignored('.orchestrator/cache/x')).toBe(true);
    expect(ignored('.orchestrator/config')).toBe(false);
    expect(ignored('.orchestrator/.gitignore')).toBe(false);
    const second = await p.run(['init']);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/already initialised/);
    expect((await p.run(['init', '-f'])).code).toBe(0);
    expect(p.exists('.orchestrator/cache/x')).toBe(true); // -f keeps the cache
  });

  // tests/func/test_checkout.py::test_gitignore_basic and ::test_gitignore_when_checkout
  it('adds each cached output to its folder\'s .gitignore once, never a cache: false output', async () => {
    const p = createProject({
      'in.txt': 'i\n',
      'pipeline.yaml': yamlLines(
        'stages:',
        '  a:',
        '    cmd: mkdir -p build && cp in.txt build/model.onnx && cp in.txt m.json && cp in.txt top.txt',
        '    deps: [in.txt]',
        '    outs: [build/model.onnx, top.txt]',
        '    metrics: [{m.json: {cache: false}}]',
      ),
    });
    git(p, 'init', '-q');
    await p.runOk(['repro']);
    expect(p.read('build/.gitignore')).toBe('/model.onnx\n');
    expect(p.read('.gitignore')).toBe('/top.txt\n');
    p.remove('build/model.onnx');
    await p.runOk(['checkout']);
    await p.runOk(['repro', '-f']);
    expect(p.read('build/.gitignore')).toBe('/model.onnx\n');
    expect(p.read('.gitignore')).toBe('/top.txt\n');
  });

  // tests/func/test_init.py::test_init_no_scm_cli — without git, no .gitignore is written
  it('writes no .gitignore outside a git repository', async () => {
    const p = createProject({ 'in.txt': 'i\n', 'pipeline.yaml': yamlLines('stages:', '  a:', '    cmd: cp in.txt o.txt', '    deps: [in.txt]', '    outs: [o.txt]') });
    await p.runOk(['repro']);
    expect(p.exists('.gitignore')).toBe(false);
  });
});
