/**
 * Issue 12, "never lose a byte": hostile and careless pipelines. Each one is rejected before
 * anything runs: exit 2, a `FILE:LINE:COL:` diagnostic, no "internal error", nothing written.
 */
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProjects, createProject, type Project, type RunResult } from './harness.js';

afterEach(cleanupProjects);

const SENTINELS = { 'in.txt': 'hello\n', 'keep/a.txt': 'a\n', 'sub/keep.txt': 'k\n', 'params.yaml': 'a: 1\n' };

/** Files (not directories) in the project, `.runs/` left out. */
function files(p: Project): string[] {
  return p.listFiles().filter((f) => !f.startsWith('.runs/'));
}

async function expectRejected(p: Project, position: RegExp): Promise<RunResult> {
  const before = files(p);
  const r = await p.run(['repro']);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  expect(r.stderr).toMatch(position);
  expect(r.code, r.stderr).toBe(2);
  expect(files(p)).toEqual(before);
  expect(p.exists('pipeline.lock')).toBe(false);
  return r;
}

const stage = (outs: string, extra = '') => `stages:\n  s:\n    cmd: echo x > y\n${extra}    outs: [${outs}]\n`;

describe('outputs are the stage\'s own and nothing else', () => {
  const cases: [string, string][] = [
    ['root as .', stage('.')],
    ['root as ""', stage('""')],
    ['root as ./', stage('./')],
    ['root as .. from wdir sub', stage('..', '    wdir: sub\n')],
    ['.git', stage('.git')],
    ['inside .orchestrator', stage('.orchestrator/cache')],
    ['.dvc', stage('.dvc')],
    ['pipeline.yaml', stage('pipeline.yaml')],
    ['dvc.lock', stage('dvc.lock')],
    ['params.yaml', stage('params.yaml')],
    ['a directory holding a vars file', `vars: [conf/extra.yaml]\n${stage('conf')}`],
    ['another stage\'s wdir', `stages:\n  s:\n    cmd: echo x > y\n    outs: [sub]\n  t:\n    wdir: sub\n    cmd: echo t\n`],
  ];
  for (const [name, pipeline] of cases) {
    it(`rejects an output that is ${name}`, async () => {
      const p = createProject({ ...SENTINELS, 'conf/extra.yaml': 'b: 2\n', 'pipeline.yaml': pipeline });
      const r = await expectRejected(p, /pipeline\.yaml:\d+:\d+: /);
      expect(r.stderr).toMatch(/output/);
      for (const f of Object.keys(SENTINELS)) expect(p.exists(f)).toBe(true);
    });
  }
});

describe('params and vars are read only from inside the workspace', () => {
  let outside: string;
  afterEach(() => rmSync(outside, { recursive: true, force: true }));
  const secretDir = () => {
    outside = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'orchestrator-outside-')));
    writeFileSync(path.join(outside, 'secret.yaml'), 'a: 41\ntoken: s3cr3t\n');
    return path.join(outside, 'secret.yaml');
  };

  it('refuses params.yaml that is a symlink out of the workspace', async () => {
    const p = createProject({ 'pipeline.yaml': 'stages:\n  s:\n    cmd: echo ${a} > o\n    params: [a]\n    outs: [o]\n' });
    p.symlink(secretDir(), 'params.yaml');
    const r = await expectRejected(p, /(params|pipeline)\.yaml:\d+:\d+: .*outside the workspace/);
    expect(r.stderr).not.toContain('s3cr3t');
  });

  it('refuses a vars file reached through a symlinked directory', async () => {
    const p = createProject({ 'pipeline.yaml': 'vars: [conf/secret.yaml]\nstages:\n  s:\n    cmd: echo ${token} > o\n    outs: [o]\n' });
    secretDir();
    p.symlink(outside, 'conf');
    await expectRejected(p, /pipeline\.yaml:1:\d+: .*outside the workspace/);
  });
});

describe('stage names that are Object.prototype members', () => {
  for (const name of ['constructor', 'toString', 'valueOf', 'hasOwnProperty']) {
    it(`runs and locks a stage named ${name}`, async () => {
      const p = createProject({
        'params.yaml': 'a: 1\n',
        'pipeline.yaml': `stages:\n  ${name}:\n    cmd: echo x > o\n    params: [a]\n    outs: [o]\n  after:\n    cmd: cat o > q\n    deps: [o]\n    outs: [q]\n`,
      });
      await p.runOk(['repro']);
      expect(Object.keys(p.lock().stages).sort()).toEqual(['after', name].sort());
      const again = await p.runOk(['status']);
      expect(again.stdout).toMatch(/up to date/);
    });
  }

  it('rejects __proto__ as a stage name, env key or matrix axis (positioned), instead of dropping it', async () => {
    for (const pipeline of [
      'stages:\n  __proto__:\n    cmd: echo x > o\n    outs: [o]\n',
      'stages:\n  s:\n    cmd: echo x\n    env:\n      __proto__: x\n',
      'stages:\n  s:\n    matrix:\n      __proto__: [1, 2]\n    cmd: echo x\n',
    ]) {
      const p = createProject({ 'pipeline.yaml': pipeline });
      const r = await expectRejected(p, /pipeline\.yaml:\d+:\d+: .*__proto__.*reserved/);
      expect(r.stderr).not.toContain('internal error');
    }
  });
});

describe('no internal errors', () => {
  it('NUL in a dep path', async () => {
    const p = createProject({ ...SENTINELS, 'pipeline.yaml': 'stages:\n  s:\n    cmd: echo x\n    deps: ["in\\0x"]\n' });
    await expectRejected(p, /pipeline\.yaml:4:\d+: .*NUL/);
  });

  it('a 300-character stage name', async () => {
    const p = createProject({ ...SENTINELS, 'pipeline.yaml': `stages:\n  ${'a'.repeat(300)}:\n    cmd: echo x > o\n    outs: [o]\n` });
    await expectRejected(p, /pipeline\.yaml:2:3: .*300 bytes/);
  });

  it('a 6,000-character path', async () => {
    const p = createProject({ ...SENTINELS, 'pipeline.yaml': `stages:\n  s:\n    cmd: echo x\n    deps: [${'abcde/'.repeat(1000)}x]\n` });
    await expectRejected(p, /pipeline\.yaml:4:\d+: .*bytes/);
  });

  it('a 256-byte path component', async () => {
    const p = createProject({ ...SENTINELS, 'pipeline.yaml': `stages:\n  s:\n    cmd: echo x > o\n    outs: [build/${'b'.repeat(256)}]\n` });
    await expectRejected(p, /pipeline\.yaml:4:\d+: .*file name may have at most 255/);
  });

  it('a self-referencing alias in a tracked param', async () => {
    const p = createProject({ 'in.txt': 'x\n', 'params.yaml': 'a: &x [*x]\nb: 1\n', 'pipeline.yaml': 'stages:\n  s:\n    cmd: echo x\n    params: [a]\n' });
    await expectRejected(p, /params\.yaml:1:\d+: .*alias/);
  });

  it('an alias cycle through two anchors', async () => {
    const p = createProject({ 'params.yaml': 'a: &x {b: &y [*x]}\n', 'pipeline.yaml': 'stages:\n  s:\n    cmd: echo x\n    params: [a]\n' });
    await expectRejected(p, /params\.yaml:1:\d+: .*alias/);
  });

  it('a 5,000-segment ${a.a.a...} expression', async () => {
    const p = createProject({ 'params.yaml': 'a: 1\n', 'pipeline.yaml': `stages:\n  s:\n    cmd: echo \${${Array(5000).fill('a').join('.')}}\n` });
    await expectRejected(p, /pipeline\.yaml:3:\d+: .*too long|more than/);
  });

  it('a 125,000-stage matrix', async () => {
    const axis = (n: number) => `[${Array.from({ length: n }, (_, i) => i).join(', ')}]`;
    const p = createProject({ 'pipeline.yaml': `stages:\n  s:\n    matrix:\n      x: ${axis(500)}\n      y: ${axis(250)}\n    cmd: echo \${item.x}\n` });
    await expectRejected(p, /pipeline\.yaml:3:\d+: .*125000 stages/);
  });

  it('a deeply nested params file is read in linear time and reported with a position', async () => {
    // 200 KB of brackets: the YAML hint's regular expression used to take ~15 s on this line.
    const p = createProject({ 'params.yaml': `a: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`, 'pipeline.yaml': 'stages:\n  s:\n    cmd: echo x\n    params: [a]\n' });
    await expectRejected(p, /params\.yaml:1:\d+: /);
  });
});

describe('a dep under a file', () => {
  it('is a positioned error, not an I/O failure in the hasher', async () => {
    const p = createProject({ 'in.txt': 'x\n', 'pipeline.yaml': 'stages:\n  s:\n    cmd: echo x\n    deps: [in.txt/x]\n' });
    await expectRejected(p, /pipeline\.yaml:4:\d+: .*"in\.txt", which is a file/);
  });
});
