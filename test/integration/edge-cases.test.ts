import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProjects, createProject, STACK_FRAME, tick, yamlLines } from './harness.js';

afterEach(cleanupProjects);

describe('what counts as a change', () => {
  it('a directory dep: editing, adding or removing a nested file reruns the stage', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines('stages:', '  list:', `    cmd: ${tick('list')} && find data -type f | sort > list.txt && cat data/sub/x.txt >> list.txt`, '    deps: [data]', '    outs: [list.txt]'),
      'data/sub/x.txt': 'x\n',
      'data/y.txt': 'y\n',
    });
    await p.runOk(['repro']);
    await p.runOk(['repro']);
    expect(p.runs('list')).toBe(1);
    p.write('data/sub/x.txt', 'x changed\n');
    await p.runOk(['repro']);
    expect(p.runs('list')).toBe(2);
    p.write('data/sub/z.txt', 'new\n');
    await p.runOk(['repro']);
    expect(p.runs('list')).toBe(3);
    p.remove('data/y.txt');
    await p.runOk(['repro']);
    expect(p.runs('list')).toBe(4);
    expect(p.read('list.txt')).toBe('data/sub/x.txt\ndata/sub/z.txt\nx changed\n');
    await p.runOk(['repro']);
    expect(p.runs('list')).toBe(4);
  });

  it('a dep edited while its stage runs leaves the stage out of date', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines('stages:', '  s:', `    cmd: ${tick('s')} && cp in.txt out.txt && echo more >> in.txt`, '    deps: [in.txt]', '    outs: [out.txt]'),
      'in.txt': 'first\n',
    });
    await p.runOk(['repro']);
    const status = await p.runOk(['status']);
    expect(status.stdout).toMatch(/s: will run\n\s+dep modified: in\.txt/);
  });

  it('a changed declared env value reruns the stage', async () => {
    const yaml = (v: string) => yamlLines('stages:', '  s:', `    cmd: ${tick('s')} && echo "$MODE" > mode.txt`, `    env: {MODE: ${v}}`, '    outs: [mode.txt]');
    const p = createProject({ 'pipeline.yaml': yaml('fast') });
    await p.runOk(['repro']);
    p.write('pipeline.yaml', yaml('slow'));
    const status = await p.runOk(['status']);
    expect(status.stdout).toMatch(/env MODE changed: fast -> slow/);
    await p.runOk(['repro']);
    expect(p.runs('s')).toBe(2);
    expect(p.read('mode.txt')).toBe('slow\n');
  });

  it('a dep added to a stage reruns it; an out added reruns it', async () => {
    const base = ['stages:', '  s:', `    cmd: ${tick('s')} && cat a.txt > o1.txt && echo two > o2.txt`];
    const p = createProject({ 'pipeline.yaml': yamlLines(...base, '    deps: [a.txt]', '    outs: [o1.txt]'), 'a.txt': 'a\n', 'b.txt': 'b\n' });
    await p.runOk(['repro']);
    p.write('pipeline.yaml', yamlLines(...base, '    deps: [a.txt, b.txt]', '    outs: [o1.txt]'));
    expect((await p.runOk(['status'])).stdout).toMatch(/dep added: b\.txt/);
    await p.runOk(['repro']);
    expect(p.runs('s')).toBe(2);
    p.write('pipeline.yaml', yamlLines(...base, '    deps: [a.txt, b.txt]', '    outs: [o1.txt, o2.txt]'));
    expect((await p.runOk(['status'])).stdout).toMatch(/out added: o2\.txt/);
    await p.runOk(['repro']);
    expect(p.runs('s')).toBe(3);
    expect(p.lock().stages.s!.outs!.map((o) => o.path)).toEqual(['o1.txt', 'o2.txt']);
  });

  it('a changed wdir reruns the stage', async () => {
    const yaml = (wdir: string) => yamlLines('stages:', '  s:', `    wdir: ${wdir}`, `    cmd: pwd > where.txt`, '    outs: [where.txt]');
    const p = createProject({ 'pipeline.yaml': yaml('one'), 'one/.keep': '', 'two/.keep': '' });
    await p.runOk(['repro']);
    expect(p.exists('one/where.txt')).toBe(true);
    p.write('pipeline.yaml', yaml('two'));
    await p.runOk(['repro']);
    expect(p.read('two/where.txt').trim()).toBe(p.abs('two'));
  });
});

describe('workspace', () => {
  it('-C with a relative path: ORCHESTRATOR_ROOT is absolute and outputs land in the project', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines('stages:', '  s:', '    cmd: echo "$ORCHESTRATOR_ROOT" > root.txt', '    outs: [root.txt]'),
    });
    const r = await p.run(['-C', path.basename(p.dir), 'repro'], { cwd: path.dirname(p.dir), noChdirFlag: true });
    expect(r.code, r.stderr).toBe(0);
    expect(p.read('root.txt').trim()).toBe(p.dir);
  });

  it('a corrupted pipeline.lock is reported with its position, exit 2, no stack trace', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines('stages:', '  s:', `    cmd: ${tick('s')} && echo s > s.txt`, '    outs: [s.txt]'),
      'pipeline.lock': 'schema: 1\nstages:\n  s:\n<<<<<<< HEAD\n    cmd: [oops\n',
    });
    const r = await p.run(['repro']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/pipeline\.lock/);
    expect(r.stderr).not.toMatch(STACK_FRAME);
    expect(p.runs('s')).toBe(0);
    expect(p.read('pipeline.lock')).toBe('schema: 1\nstages:\n  s:\n<<<<<<< HEAD\n    cmd: [oops\n');
  });

  it('does not write into the workspace for status on a fresh project other than tool state', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines('stages:', '  s:', `    cmd: ${tick('s')} && echo s > s.txt`, '    outs: [s.txt]'),
    });
    await p.runOk(['status']);
    expect(p.exists('pipeline.lock')).toBe(false);
    expect(p.exists('s.txt')).toBe(false);
    expect(p.exists('.orchestrator/cache')).toBe(false);
  });
});
