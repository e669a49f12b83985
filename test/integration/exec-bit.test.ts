/**
 * A file output's executable bit (DVC's `isexec`): recorded in the lock, and given back by every
 * way an output comes back — a restore from the cache (each link type), the run-cache, checkout,
 * pull from a remote, and adoption from DVC's cache.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanupProjects, createProject, stageLines, tick, yamlLines, type Project } from './harness.js';
import { putInDvcCache, writeDvcLock } from './dvc-lock-writer.js';

afterEach(cleanupProjects);
const folders: string[] = [];
afterAll(() => {
  for (const d of folders) rmSync(d, { recursive: true, force: true });
});

const GEN = `${tick('gen')} && printf '#!/bin/sh\\necho hello from tool\\n' > tool.sh && chmod 755 tool.sh && cp in.txt data.txt`;
const project = (extra = '') =>
  createProject({
    'pipeline.yaml': yamlLines('stages:', '  gen:', `    cmd: ${GEN}`, '    deps: [in.txt]', '    outs: [tool.sh, data.txt]', extra),
    'in.txt': 'input\n',
  });

const executable = (p: Project, rel: string): boolean => (statSync(p.abs(rel)).mode & 0o100) !== 0;
const runTool = (p: Project): string => execFileSync(p.abs('tool.sh'), { encoding: 'utf8' });

describe('the executable bit of a file output', () => {
  it('is recorded in the lock (isexec: true) for the executable file only', async () => {
    const p = project();
    await p.runOk(['repro']);
    const outs = p.lock().stages.gen!.outs ?? [];
    expect(outs.find((o) => o.path === 'tool.sh')?.isexec).toBe(true);
    expect(outs.find((o) => o.path === 'data.txt')).not.toHaveProperty('isexec');
    expect(p.lockText()).toMatch(/path: tool\.sh\n\s+hash: \w+\n\s+size: \d+\n\s+isexec: true/);
  });

  for (const types of [undefined, '[hardlink, copy]', '[symlink, copy]']) {
    it(`comes back with a restore from the cache (cache.type ${types ?? 'default'})`, async () => {
      const p = project(types ? `cache:\n  type: ${types}` : '');
      await p.runOk(['repro']);
      p.remove('tool.sh');
      p.remove('data.txt');
      const r = await p.runOk(['repro']);
      expect(stageLines(r, 'gen')).toEqual(['gen: restored from the cache']);
      expect(p.counts('gen')).toEqual({ gen: 1 });
      expect(executable(p, 'tool.sh')).toBe(true);
      expect(runTool(p)).toBe('hello from tool\n');
      // An executable file is a copy of its own (a link would share the object's mode); the other is linked as asked.
      expect(statSync(p.abs('tool.sh')).nlink).toBe(1);
      expect(executable(p, 'data.txt')).toBe(false);
      if (types?.startsWith('[hardlink')) expect(statSync(p.abs('data.txt')).nlink).toBe(2);
      if (types?.startsWith('[symlink')) expect(realpathSync(p.abs('data.txt'))).toContain(path.join('.orchestrator', 'cache'));
      // Restoring again leaves it alone: the lock is unchanged and nothing is rewritten.
      const lock = p.lockText();
      await p.runOk(['repro']);
      expect(p.lockText()).toBe(lock);
    });
  }

  it('comes back with a run-cache hit', async () => {
    const p = project();
    await p.runOk(['repro']);
    p.write('in.txt', 'other input\n');
    await p.runOk(['repro']);
    p.write('in.txt', 'input\n');
    const r = await p.runOk(['repro']);
    expect(stageLines(r, 'gen').join('\n')).toMatch(/run-cache/);
    expect(p.counts('gen')).toEqual({ gen: 2 });
    expect(executable(p, 'tool.sh')).toBe(true);
    expect(p.lock().stages.gen!.outs?.find((o) => o.path === 'tool.sh')).toHaveProperty('isexec', true);
  });

  it('is not a change of the stage, and checkout gives it back when only it was lost', async () => {
    const p = project();
    await p.runOk(['repro']);
    chmodSync(p.abs('tool.sh'), 0o644);
    expect((await p.runOk(['status'])).stdout).toMatch(/up to date/);
    const r = await p.runOk(['checkout']);
    expect(r.stdout).toMatch(/1 output restored/);
    expect(executable(p, 'tool.sh')).toBe(true);
    expect(p.counts('gen')).toEqual({ gen: 1 });
  });

  it('comes back with a pull into a fresh clone from a folder remote', async () => {
    const p = project();
    await p.runOk(['repro']);
    const remote = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'orchestrator-exec-remote-')));
    folders.push(remote);
    await p.runOk(['remote', 'add', '-d', 'store', path.join(remote, 'store')]);
    await p.runOk(['push']);
    const clone = createProject({
      'pipeline.yaml': p.read('pipeline.yaml'),
      'pipeline.lock': p.read('pipeline.lock'),
      'in.txt': 'input\n',
      '.orchestrator/config': p.read('.orchestrator/config'),
    });
    await clone.runOk(['pull']);
    expect(executable(clone, 'tool.sh')).toBe(true);
    expect(runTool(clone)).toBe('hello from tool\n');
    expect(executable(clone, 'data.txt')).toBe(false);
    expect(clone.counts('gen')).toEqual({ gen: 0 });
  });

  it("comes back from DVC's cache when dvc.lock says isexec: true", async () => {
    const dvcYaml = yamlLines('stages:', '  gen:', `    cmd: ${GEN}`, '    deps: [in.txt]', '    outs: [tool.sh, data.txt]');
    const p = createProject({ 'dvc.yaml': dvcYaml, 'in.txt': 'input\n', 'data.txt': 'input\n', 'tool.sh': '#!/bin/sh\necho hello from tool\n' });
    chmodSync(p.abs('tool.sh'), 0o755);
    await writeDvcLock(p.dir, '.', { gen: { cmd: GEN, deps: ['in.txt'], outs: ['tool.sh', 'data.txt'] } });
    expect(p.read('dvc.lock')).toMatch(/path: tool\.sh[^-]*isexec: true/);
    for (const f of ['tool.sh', 'data.txt']) {
      const object = putInDvcCache(p.dir, readFileSync(p.abs(f)), 3);
      // DVC keeps its cache files read-only, without the x bit.
      chmodSync(path.join(p.dir, '.dvc/cache/files/md5', object.slice(0, 2), object.slice(2)), 0o444);
      p.remove(f);
    }
    const r = await p.runOk(['repro']);
    expect(p.counts('gen')).toEqual({ gen: 0 });
    expect(stageLines(r, 'gen').join('\n')).toMatch(/restored/);
    expect(executable(p, 'tool.sh')).toBe(true);
    expect(runTool(p)).toBe('hello from tool\n');
    expect(executable(p, 'data.txt')).toBe(false);
  });
});

// The lock keeps it across a read and write by an unrelated run.
it('survives a rewrite of the lock by another stage', async () => {
  const p = createProject({
    'pipeline.yaml': yamlLines('stages:', '  gen:', `    cmd: ${GEN}`, '    deps: [in.txt]', '    outs: [tool.sh, data.txt]', '  other:', `    cmd: ${tick('other')} && cp b.txt o.txt`, '    deps: [b.txt]', '    outs: [o.txt]'),
    'in.txt': 'input\n',
    'b.txt': 'b\n',
  });
  await p.runOk(['repro']);
  writeFileSync(p.abs('b.txt'), 'b2\n');
  await p.runOk(['repro']);
  expect(p.counts('gen', 'other')).toEqual({ gen: 1, other: 2 });
  expect(p.lock().stages.gen!.outs?.find((o) => o.path === 'tool.sh')).toHaveProperty('isexec', true);
});
