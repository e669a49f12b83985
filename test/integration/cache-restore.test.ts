import { afterEach, describe, expect, it } from 'vitest';
import { statSync } from 'node:fs';
import { cleanupProjects, createProject, stageLines, tick, yamlLines } from './harness.js';

afterEach(cleanupProjects);

const project = () =>
  createProject({
    'pipeline.yaml': yamlLines(
      'stages:',
      '  gen:',
      `    cmd: ${tick('gen')} && cp in.txt file.txt && mkdir -p tree/sub && echo one > tree/one.txt && echo two > tree/sub/two.txt && cp in.txt tree/sub/copy.txt`,
      '    deps: [in.txt]',
      '    outs: [file.txt, tree]',
      '  use:',
      `    cmd: ${tick('use')} && cat file.txt tree/one.txt tree/sub/two.txt > used.txt`,
      '    deps: [file.txt, tree]',
      '    outs: [used.txt]',
    ),
    'in.txt': 'input bytes\n',
  });

describe('restoring outputs from the cache', () => {
  it('restores a deleted file output without running the command', async () => {
    const p = project();
    await p.runOk(['repro']);
    const original = p.read('file.txt');
    const lock = p.lockText();
    p.remove('file.txt');

    const status = await p.runOk(['status']);
    expect(status.stdout).toMatch(/gen: will restore from the cache\n\s+out missing: file\.txt/);

    const r = await p.runOk(['repro']);
    expect(stageLines(r, 'gen')).toEqual(['gen: restored from the cache']);
    expect(p.counts('gen', 'use')).toEqual({ gen: 1, use: 1 });
    expect(p.read('file.txt')).toBe(original);
    expect(p.lockText()).toBe(lock);
  });

  it('restores a deleted directory output with every file', async () => {
    const p = project();
    await p.runOk(['repro']);
    const files = p.listFiles('tree');
    expect(files).toEqual(['one.txt', 'sub/copy.txt', 'sub/two.txt']);
    const contents = files.map((f) => p.read(`tree/${f}`));
    p.remove('tree');

    await p.runOk(['repro']);
    expect(p.counts('gen', 'use')).toEqual({ gen: 1, use: 1 });
    expect(p.listFiles('tree')).toEqual(files);
    expect(files.map((f) => p.read(`tree/${f}`))).toEqual(contents);
  });

  it('restores a directory output that lost one file', async () => {
    const p = project();
    await p.runOk(['repro']);
    p.remove('tree/sub/two.txt');
    await p.runOk(['repro']);
    expect(p.counts('gen', 'use')).toEqual({ gen: 1, use: 1 });
    expect(p.read('tree/sub/two.txt')).toBe('two\n');
  });

  it('restores a modified output and the restored file is writable and independent of the cache', async () => {
    const p = project();
    await p.runOk(['repro']);
    p.write('file.txt', 'scribbled over\n');
    const status = await p.runOk(['status']);
    expect(status.stdout).toMatch(/out modified: file\.txt/);
    await p.runOk(['repro']);
    expect(p.counts('gen', 'use')).toEqual({ gen: 1, use: 1 });
    expect(p.read('file.txt')).toBe('input bytes\n');

    // Editing the restored file in place must not corrupt the cached copy.
    const { appendFileSync } = await import('node:fs');
    appendFileSync(p.abs('file.txt'), 'appended in place\n');
    p.remove('file.txt');
    await p.runOk(['repro']);
    expect(p.read('file.txt')).toBe('input bytes\n');
    expect(p.runs('gen')).toBe(1);
  });

  it('restores outputs into a fresh clone-like checkout that only has the cache and the lock', async () => {
    const p = project();
    await p.runOk(['repro']);
    for (const out of ['file.txt', 'tree', 'used.txt']) p.remove(out);
    const r = await p.runOk(['repro']);
    expect(stageLines(r, 'gen')).toEqual(['gen: restored from the cache']);
    expect(stageLines(r, 'use')).toEqual(['use: restored from the cache']);
    expect(p.counts('gen', 'use')).toEqual({ gen: 1, use: 1 });
    expect(p.read('used.txt')).toBe('input bytes\none\ntwo\n');
  });
});

describe('pipeline.lock', () => {
  it('deleting pipeline.lock and running repro recreates a byte-identical lock (from the run-cache)', async () => {
    const p = project();
    await p.runOk(['repro']);
    const lock = p.lockText();
    p.remove('pipeline.lock');
    await p.runOk(['repro']);
    expect(p.lockText()).toBe(lock);
    expect(p.counts('gen', 'use')).toEqual({ gen: 1, use: 1 });
    await p.runOk(['repro']);
    expect(p.counts('gen', 'use')).toEqual({ gen: 1, use: 1 });
  });

  it('with --no-run-cache the commands really rerun and the lock is still identical; then a no-op', async () => {
    const p = project();
    await p.runOk(['repro']);
    const lock = p.lockText();
    p.remove('pipeline.lock');
    await p.runOk(['repro', '--no-run-cache']);
    expect(p.counts('gen', 'use')).toEqual({ gen: 2, use: 2 });
    expect(p.lockText()).toBe(lock);
    const again = await p.runOk(['repro']);
    expect(p.counts('gen', 'use')).toEqual({ gen: 2, use: 2 });
    expect(stageLines(again, 'gen')).toEqual(['gen: up to date']);
    expect(stageLines(again, 'use')).toEqual(['use: up to date']);
  });

  it('reordering deps, outs and stages in pipeline.yaml reruns nothing and keeps the lock byte-identical', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines(
        'stages:',
        '  one:',
        `    cmd: ${tick('one')} && cat a.txt b.txt > one.txt && echo x > one-b.txt`,
        '    deps: [a.txt, b.txt]',
        '    outs: [one.txt, one-b.txt]',
        '  two:',
        `    cmd: ${tick('two')} && cat one.txt b.txt > two.txt`,
        '    deps: [one.txt, b.txt]',
        '    params: [x, y]',
        '    outs: [two.txt]',
      ),
      'params.yaml': 'x: 1\ny: 2\n',
      'a.txt': 'a\n',
      'b.txt': 'b\n',
    });
    await p.runOk(['repro']);
    const lock = p.lockText();
    p.write(
      'pipeline.yaml',
      yamlLines(
        'stages:',
        '  two:',
        `    cmd: ${tick('two')} && cat one.txt b.txt > two.txt`,
        '    params: [y, x]',
        '    outs: [two.txt]',
        '    deps: [b.txt, one.txt]',
        '  one:',
        '    outs: [one-b.txt, one.txt]',
        '    deps: [b.txt, a.txt]',
        `    cmd: ${tick('one')} && cat a.txt b.txt > one.txt && echo x > one-b.txt`,
      ),
    );
    const status = await p.runOk(['status']);
    expect(status.stdout).toMatch(/Everything is up to date/);
    await p.runOk(['repro']);
    expect(p.counts('one', 'two')).toEqual({ one: 1, two: 1 });
    expect(p.lockText()).toBe(lock);
  });

  it('is sorted: stages, deps and outs in alphabetical order', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines(
        'stages:',
        '  zeta:',
        '    cmd: cat b.txt a.txt > z2.txt && cp a.txt z1.txt',
        '    deps: [b.txt, a.txt]',
        '    outs: [z2.txt, z1.txt]',
        '  alpha:',
        '    cmd: cp a.txt alpha.txt',
        '    deps: [a.txt]',
        '    outs: [alpha.txt]',
      ),
      'a.txt': 'a\n',
      'b.txt': 'b\n',
    });
    await p.runOk(['repro']);
    const lock = p.lock();
    expect(Object.keys(lock.stages)).toEqual(['alpha', 'zeta']);
    expect(lock.stages.zeta!.deps!.map((d) => d.path)).toEqual(['a.txt', 'b.txt']);
    expect(lock.stages.zeta!.outs!.map((d) => d.path)).toEqual(['z1.txt', 'z2.txt']);
  });
});

describe('restore link type', () => {
  const linkCount = (p: ReturnType<typeof project>, rel: string) => statSync(p.abs(rel)).nlink;

  it('copies by default, so a restored file shares no inode with the cache', async () => {
    const p = project();
    await p.runOk(['repro']);
    p.remove('file.txt');
    await p.runOk(['checkout']);
    expect(linkCount(p, 'file.txt')).toBe(1);
  });

  it('hardlinks when pipeline.yaml says cache: {type: hardlink}, and the env variable overrides it', async () => {
    const p = project();
    p.write('pipeline.yaml', `${p.read('pipeline.yaml')}cache:\n  type: [hardlink, copy]\n`);
    await p.runOk(['repro']);
    p.remove('tree');
    await p.runOk(['checkout']);
    expect(linkCount(p, 'tree/one.txt')).toBe(2);
    expect(statSync(p.abs('tree/one.txt')).mode & 0o222).toBe(0);

    p.remove('tree');
    await p.runOk(['checkout'], 0, { env: { ORCHESTRATOR_CACHE_TYPE: 'copy' } });
    expect(linkCount(p, 'tree/one.txt')).toBe(1);
  });

  it('rejects an unknown link type with its position', async () => {
    const p = project();
    p.write('pipeline.yaml', `${p.read('pipeline.yaml')}cache:\n  type: fast\n`);
    const r = await p.run(['status']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^pipeline\.yaml:\d+:9: error: cache\.type: unknown link type "fast"/m);
  });
});
