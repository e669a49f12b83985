import { realpathSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { allOutput, cleanupProjects, createProject, stageLines, tick, yamlLines } from './harness.js';

afterEach(cleanupProjects);

const twoStages = (aCmd = `${tick('a')} && cp in.txt a.txt`) =>
  yamlLines(
    'stages:',
    '  a:',
    `    cmd: ${aCmd}`,
    '    deps: [in.txt]',
    '    outs: [a.txt]',
    '  b:',
    `    cmd: ${tick('b')} && cat a.txt a.txt > b.txt`,
    '    deps: [a.txt]',
    '    outs: [b.txt]',
  );

describe('repro basics', () => {
  it('runs every stage once, writes the lock, and a second repro runs nothing', async () => {
    const p = createProject({ 'pipeline.yaml': twoStages(), 'in.txt': 'hello\n' });
    const first = await p.runOk(['repro']);
    expect(p.counts('a', 'b')).toEqual({ a: 1, b: 1 });
    expect(p.read('b.txt')).toBe('hello\nhello\n');
    expect(stageLines(first, 'a').join('\n')).toMatch(/a: finished/);
    const lock = p.lockText();
    expect(lock).toBeDefined();
    expect(Object.keys(p.lock().stages).sort()).toEqual(['a', 'b']);

    const second = await p.runOk(['repro']);
    expect(p.counts('a', 'b')).toEqual({ a: 1, b: 1 });
    expect(stageLines(second, 'a')).toEqual(['a: up to date']);
    expect(stageLines(second, 'b')).toEqual(['b: up to date']);
    expect(p.lockText()).toBe(lock);

    const status = await p.runOk(['status']);
    expect(status.stdout).toMatch(/Everything is up to date/);
  });

  it('reruns a stage whose cmd changed; identical output bytes do not rerun its downstream', async () => {
    const p = createProject({ 'pipeline.yaml': twoStages(), 'in.txt': 'hello\n' });
    await p.runOk(['repro']);
    p.write('pipeline.yaml', twoStages(`${tick('a')} && cat in.txt > a.txt`));
    const status = await p.runOk(['status']);
    expect(status.stdout).toMatch(/a: will run\n\s+cmd changed: /);
    await p.runOk(['repro']);
    expect(p.counts('a', 'b')).toEqual({ a: 2, b: 1 });
    expect(p.lock().stages.a!.cmd).toBe(`${tick('a')} && cat in.txt > a.txt`);
  });

  it('reruns a stage whose cmd changed only in whitespace', async () => {
    const p = createProject({ 'pipeline.yaml': twoStages(), 'in.txt': 'hello\n' });
    await p.runOk(['repro']);
    p.write('pipeline.yaml', twoStages(`${tick('a')} &&  cp in.txt a.txt`));
    await p.runOk(['repro']);
    expect(p.counts('a', 'b')).toEqual({ a: 2, b: 1 });
    await p.runOk(['repro']);
    expect(p.counts('a', 'b')).toEqual({ a: 2, b: 1 });
  });

  it('runs a list cmd in order and stops at the first failing command', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines(
        'stages:',
        '  steps:',
        '    cmd:',
        '      - echo one >> order.txt',
        '      - echo two >> order.txt && exit 3',
        '      - echo three >> order.txt',
        '    outs: [order.txt]',
      ),
    });
    const r = await p.run(['repro']);
    expect(r.code).toBe(1);
    expect(p.read('order.txt')).toBe('one\ntwo\n');
    expect(stageLines(r, 'steps').join('\n')).toMatch(/steps: failed: .*(command 2 of 3|exit(ed)? (with )?(code )?3)/);
    expect(p.lockText() ?? '').not.toMatch(/steps:/);
  });

  it('runs every command of a successful list cmd, in order', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines(
        'stages:',
        '  steps:',
        '    cmd:',
        '      - echo one > order.txt',
        '      - echo two >> order.txt',
        '      - echo three >> order.txt',
        '    outs: [order.txt]',
      ),
    });
    await p.runOk(['repro']);
    expect(p.read('order.txt')).toBe('one\ntwo\nthree\n');
    expect(p.lock().stages.steps!.cmd).toEqual(['echo one > order.txt', 'echo two >> order.txt', 'echo three >> order.txt']);
  });

  it('fails a stage whose command did not create a declared out, naming the out', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines(
        'stages:',
        '  make:',
        `    cmd: ${tick('make')} && echo made > made.txt`,
        '    outs: [made.txt, forgotten.txt]',
        '  after:',
        `    cmd: ${tick('after')} && cp made.txt after.txt`,
        '    deps: [made.txt]',
        '    outs: [after.txt]',
      ),
    });
    const r = await p.run(['repro']);
    expect(r.code).toBe(1);
    const failure = stageLines(r, 'make').find((l) => l.includes('failed'));
    expect(failure).toBeDefined();
    expect(failure).toContain('forgotten.txt');
    expect(p.counts('make', 'after')).toEqual({ make: 1, after: 0 });
    expect(p.lockText() ?? '').not.toMatch(/^ {2}make:/m);
  });

  it('fails when a command exits non-zero and records nothing for it', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines('stages:', '  bad:', `    cmd: ${tick('bad')} && echo partial > out.txt && exit 7`, '    outs: [out.txt]'),
    });
    const r = await p.run(['repro']);
    expect(r.code).toBe(1);
    expect(allOutput(r)).toMatch(/bad: failed: .*7/);
    expect(p.lockText() ?? '').not.toMatch(/bad:/);
    // Still not up to date: the next repro tries again.
    const again = await p.run(['repro']);
    expect(again.code).toBe(1);
    expect(p.runs('bad')).toBe(2);
  });

  it('runs commands through sh with ORCHESTRATOR_STAGE, ORCHESTRATOR_ROOT and cwd = wdir', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines(
        'stages:',
        '  probe:',
        '    wdir: sub/dir',
        `    cmd: ${tick('probe', '../..')} && printf '%s\\n%s\\n%s\\n' "$ORCHESTRATOR_STAGE" "$ORCHESTRATOR_ROOT" "$(pwd -P)" > env.txt`,
        '    outs: [env.txt]',
      ),
      'sub/dir/.keep': '',
    });
    await p.runOk(['repro']);
    expect(p.runs('probe')).toBe(1);
    // outs are relative to wdir.
    const [stage, root, cwd] = p.read('sub/dir/env.txt').split('\n');
    expect(stage).toBe('probe');
    expect(realpathSync(root!)).toBe(realpathSync(p.dir));
    expect(cwd).toBe(realpathSync(p.abs('sub/dir')));
    expect(p.lock().stages.probe!.outs!.map((o) => o.path)).toEqual(['sub/dir/env.txt']);
  });

  it('sets ORCHESTRATOR_STAGE to the expanded name of a foreach stage', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines(
        'stages:',
        '  each:',
        '    foreach: [x, y]',
        '    do:',
        '      cmd: echo "$ORCHESTRATOR_STAGE" > name-${item}.txt',
        '      outs: ["name-${item}.txt"]',
      ),
    });
    await p.runOk(['repro']);
    expect(p.read('name-x.txt')).toBe('each@x\n');
    expect(p.read('name-y.txt')).toBe('each@y\n');
  });

  it('passes the declared stage env to the command', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines(
        'stages:',
        '  envy:',
        '    env: {GREETING: hi there, COUNT: 3}',
        '    cmd: echo "$GREETING/$COUNT" > env.txt',
        '    outs: [env.txt]',
      ),
    });
    await p.runOk(['repro']);
    expect(p.read('env.txt')).toBe('hi there/3\n');
  });

  it('works with -C given before the subcommand from an unrelated cwd', async () => {
    const p = createProject({ 'pipeline.yaml': twoStages(), 'in.txt': 'x\n' });
    const r = await p.run(['repro'], { cwd: '/' });
    expect(r.code).toBe(0);
    expect(p.exists('b.txt')).toBe(true);
  });
});
