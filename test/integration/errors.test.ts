import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProjects, createProject, STACK_FRAME, tick, yamlLines, type Project, type RunResult } from './harness.js';

afterEach(cleanupProjects);

/** Files every bad-input test checks were not created. */
const NOT_WRITTEN = ['pipeline.lock', '.orchestrator', 'out.txt', 'a.txt', 'b.txt', 'c.txt'];

function expectConfigError(p: Project, r: RunResult, line: number, message: RegExp): void {
  const context = `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
  expect(r.code, context).toBe(2);
  const first = r.stderr.split('\n')[0] ?? '';
  expect(first, context).toMatch(new RegExp(`^pipeline\\.yaml:${line}:\\d+: `));
  expect(r.stderr, context).toMatch(message);
  expect(r.stderr, context).not.toMatch(STACK_FRAME);
  expect(r.stdout, context).not.toMatch(STACK_FRAME);
  expect(r.stderr, context).not.toMatch(/internal error/);
  for (const f of NOT_WRITTEN) expect(p.exists(f), `${f} must not be written`).toBe(false);
  expect(p.runs('a') + p.runs('b') + p.runs('c'), 'no command may run').toBe(0);
}

/** Runs `repro`, `status` and `dag` on the same bad project: each must reject it the same way. */
async function expectRejected(files: Record<string, string>, line: number, message: RegExp): Promise<Project> {
  const p = createProject(files);
  for (const cmd of [['repro'], ['status'], ['dag'], ['repro', '--dry']]) {
    expectConfigError(p, await p.run(cmd), line, message);
  }
  return p;
}

const okStage = (name: string) => [`  ${name}:`, `    cmd: ${tick(name)} && echo ${name} > ${name}.txt`, `    outs: [${name}.txt]`];

describe('invalid pipeline.yaml', () => {
  it('malformed YAML: position of the syntax error', async () => {
    await expectRejected(
      {
        'pipeline.yaml': yamlLines('stages:', ...okStage('a'), '  b:', `    cmd: ${tick('b')}`, '   outs: [b.txt]'),
      },
      7,
      /error:/,
    );
  });

  it('malformed YAML: unclosed quote', async () => {
    const p = createProject({ 'pipeline.yaml': yamlLines('stages:', ...okStage('a'), '  b:', '    cmd: "echo b > b.txt', '    outs: [b.txt]') });
    const r = await p.run(['repro']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^pipeline\.yaml:\d+:\d+: /);
    expect(r.stderr).not.toMatch(STACK_FRAME);
    for (const f of NOT_WRITTEN) expect(p.exists(f), f).toBe(false);
  });

  it('unknown key, with a "did you mean" suggestion', async () => {
    await expectRejected(
      {
        'pipeline.yaml': yamlLines('stages:', ...okStage('a'), '  b:', `    cmd: ${tick('b')} && cp a.txt b.txt`, '    dpes: [a.txt]', '    outs: [b.txt]'),
      },
      7,
      /unknown key "dpes".*did you mean "deps"/,
    );
  });

  it('unknown top-level key', async () => {
    await expectRejected({ 'pipeline.yaml': yamlLines('stages:', ...okStage('a'), 'stagse:', '  x: {}') }, 5, /unknown key "stagse"/);
  });

  it('wrong type: a string where a list is expected', async () => {
    await expectRejected(
      { 'pipeline.yaml': yamlLines('stages:', ...okStage('a'), '  b:', `    cmd: ${tick('b')}`, '    deps: a.txt', '    outs: [b.txt]') },
      7,
      /stages\.b\.deps: expected a list/,
    );
  });

  it('wrong type: a string where a boolean is expected', async () => {
    await expectRejected(
      { 'pipeline.yaml': yamlLines('stages:', ...okStage('a'), '    always_changed: "yes"') },
      5,
      /always_changed: expected true or false/,
    );
  });

  it('tools: a version command that is not a string, at its line', async () => {
    await expectRejected(
      { 'pipeline.yaml': yamlLines('stages:', ...okStage('a'), '    tools:', '      vivado: [vivado, -version]') },
      6,
      /stages\.a\.tools\.vivado: expected a command that prints the tool version/,
    );
  });

  it('tools: an empty command, a bad tool name, a list instead of a mapping (stage and defaults)', async () => {
    await expectRejected({ 'pipeline.yaml': yamlLines('stages:', ...okStage('a'), '    tools: {vivado: ""}') }, 5, /tools\.vivado: .*not an empty string/);
    await expectRejected({ 'pipeline.yaml': yamlLines('stages:', ...okStage('a'), '    tools: {"-v": vivado -version}') }, 5, /tool name/);
    await expectRejected(
      { 'pipeline.yaml': yamlLines('defaults:', '  tools: [vivado -version]', 'stages:', ...okStage('a')) },
      2,
      /defaults\.tools: expected a mapping of tool names to version commands/,
    );
  });

  it('missing cmd', async () => {
    await expectRejected({ 'pipeline.yaml': yamlLines('stages:', ...okStage('a'), '  b:', '    outs: [b.txt]') }, 5, /cmd/);
  });

  it('undefined ${var} in cmd', async () => {
    await expectRejected(
      { 'pipeline.yaml': yamlLines('stages:', ...okStage('a'), '  b:', '    cmd: echo ${model.nope} > b.txt', '    outs: [b.txt]'), 'params.yaml': 'model:\n  heads: 2\n' },
      6,
      /nope|undefined|not found/,
    );
  });

  it('undefined ${var} in an out path', async () => {
    await expectRejected(
      { 'pipeline.yaml': yamlLines('stages:', ...okStage('a'), '  b:', `    cmd: ${tick('b')}`, '    outs: ["${missing}.txt"]') },
      7,
      /missing/,
    );
  });

  it('a tracked param that does not exist', async () => {
    await expectRejected(
      { 'pipeline.yaml': yamlLines('stages:', ...okStage('a'), '    params: [model.nope]'), 'params.yaml': 'model:\n  heads: 2\n' },
      5,
      /model\.nope/,
    );
  });

  it('a cycle: the message shows the whole cycle', async () => {
    await expectRejected(
      {
        'pipeline.yaml': yamlLines(
          'stages:',
          '  a:',
          '    cmd: cp c.txt a.txt',
          '    deps: [c.txt]',
          '    outs: [a.txt]',
          '  b:',
          '    cmd: cp a.txt b.txt',
          '    deps: [a.txt]',
          '    outs: [b.txt]',
          '  c:',
          '    cmd: cp b.txt c.txt',
          '    deps: [b.txt]',
          '    outs: [c.txt]',
        ),
      },
      4,
      /cycle: (a -> b -> c -> a|b -> c -> a -> b|c -> a -> b -> c)/,
    );
  });

  it('a stage depending on its own output', async () => {
    await expectRejected(
      { 'pipeline.yaml': yamlLines('stages:', '  a:', '    cmd: echo > a.txt', '    deps: [a.txt]', '    outs: [a.txt]') },
      4,
      /own output/,
    );
  });

  it('overlapping outs of two stages', async () => {
    await expectRejected(
      {
        'pipeline.yaml': yamlLines('stages:', '  a:', '    cmd: mkdir -p build', '    outs: [build]', '  b:', '    cmd: echo > build/x.txt', '    outs: [build/x.txt]'),
      },
      7,
      /"build\/x\.txt" overlaps output "build"/,
    );
  });

  it('the same out declared twice', async () => {
    await expectRejected(
      { 'pipeline.yaml': yamlLines('stages:', ...okStage('a'), '  b:', '    cmd: echo b > a.txt', '    outs: [a.txt]') },
      7,
      /overlaps/,
    );
  });

  it('an out escaping the workspace with ../', async () => {
    await expectRejected(
      { 'pipeline.yaml': yamlLines('stages:', ...okStage('a'), '  b:', '    cmd: echo > ../x', '    outs: [../x]') },
      7,
      /outside the workspace/,
    );
  });

  it('a dep escaping the workspace through wdir and ../', async () => {
    await expectRejected(
      { 'pipeline.yaml': yamlLines('stages:', ...okStage('a'), '  b:', '    wdir: sub', `    cmd: ${tick('b', '..')}`, '    deps: [../../secret]', '    outs: [b.txt]') },
      8,
      /outside the workspace/,
    );
  });

  it('an absolute dep path', async () => {
    await expectRejected(
      { 'pipeline.yaml': yamlLines('stages:', ...okStage('a'), '  b:', '    cmd: cat /etc/hostname > b.txt', '    deps: [/etc/hostname]', '    outs: [b.txt]') },
      7,
      /absolute/,
    );
  });

  it('an out escaping the workspace through a symlink; nothing is written outside either', async () => {
    const outside = mkdtempSync(path.join(os.tmpdir(), 'orchestrator-it-outside-'));
    try {
      const files = { 'pipeline.yaml': yamlLines('stages:', ...okStage('a'), '  b:', `    cmd: ${tick('b')} && echo b > link/b.txt`, '    outs: [link/b.txt]') };
      const p = createProject(files);
      p.symlink(outside, 'link');
      for (const cmd of [['repro'], ['status']]) expectConfigError(p, await p.run(cmd), 7, /outside the workspace/);
      expect(readdirSync(outside)).toEqual([]);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('a dep that is a symlink to a file outside the workspace', async () => {
    const outside = mkdtempSync(path.join(os.tmpdir(), 'orchestrator-it-outside-'));
    try {
      const p = createProject({
        'pipeline.yaml': yamlLines('stages:', ...okStage('a'), '  b:', `    cmd: ${tick('b')} && cp data.txt b.txt`, '    deps: [data.txt]', '    outs: [b.txt]'),
      });
      const { writeFileSync } = await import('node:fs');
      writeFileSync(path.join(outside, 'data.txt'), 'secret\n');
      p.symlink(path.join(outside, 'data.txt'), 'data.txt');
      expectConfigError(p, await p.run(['repro']), 7, /outside the workspace/);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('an invalid params.yaml is reported with its own file and line', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines('stages:', ...okStage('a'), '    params: [lr]'),
      'params.yaml': 'lr: 0.1\nseed: [1, 2\n',
    });
    const r = await p.run(['repro']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^params\.yaml:\d+:\d+: /m);
    expect(r.stderr).not.toMatch(STACK_FRAME);
    for (const f of NOT_WRITTEN) expect(p.exists(f), f).toBe(false);
  });

  it('a missing pipeline.yaml exits 2 without a stack trace', async () => {
    const p = createProject({});
    const r = await p.run(['repro']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/pipeline\.yaml/);
    expect(r.stderr).not.toMatch(STACK_FRAME);
    expect(p.exists('.orchestrator')).toBe(false);
  });

  it('an unknown target exits 2 and runs nothing', async () => {
    const p = createProject({ 'pipeline.yaml': yamlLines('stages:', ...okStage('a')) });
    const r = await p.run(['repro', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown stage "nope"/);
    expect(p.runs('a')).toBe(0);
    expect(p.exists('pipeline.lock')).toBe(false);
  });
});

describe('command line', () => {
  it('--help lists the commands and the global -C flag', async () => {
    const p = createProject({});
    const r = await p.run(['--help']);
    expect(r.code).toBe(0);
    const help = r.stdout + r.stderr;
    for (const word of ['-C', 'repro', 'status', 'dag', 'checkout', 'gc', '--version']) expect(help).toContain(word);
  });

  it('repro --help documents every repro flag', async () => {
    const p = createProject({});
    const r = await p.run(['repro', '--help']);
    expect(r.code).toBe(0);
    const help = r.stdout + r.stderr;
    for (const flag of ['-f, --force', '-s, --single-item', '--downstream', '--dry', '-j, --jobs', '-k, --keep-going', '--no-run-cache']) {
      expect(help).toContain(flag);
    }
  });

  it('status, dag, checkout and gc --help document their flags', async () => {
    const p = createProject({});
    const expected: Record<string, string[]> = {
      status: ['--json', '-s, --single-item', '--downstream'],
      dag: ['--dot', '--mermaid', '--json'],
      checkout: ['-f, --force', '--json'],
      gc: ['--dry', '--json'],
    };
    for (const [cmd, flags] of Object.entries(expected)) {
      const r = await p.run([cmd, '--help']);
      expect(r.code, cmd).toBe(0);
      for (const flag of flags) expect(r.stdout + r.stderr, `${cmd} ${flag}`).toContain(flag);
    }
  });

  it('--version prints the package version and exits 0', async () => {
    const { readFileSync } = await import('node:fs');
    const { REPO_ROOT } = await import('./harness.js');
    const version = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const p = createProject({});
    const r = await p.run(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it('an unknown flag exits 2 (top level and on a subcommand) and runs nothing', async () => {
    const p = createProject({ 'pipeline.yaml': yamlLines('stages:', ...okStage('a')) });
    for (const args of [['--bogus'], ['repro', '--bogus'], ['status', '--frobnicate']]) {
      const r = await p.run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/unknown option/);
      expect(r.stderr).not.toMatch(STACK_FRAME);
    }
    expect(p.runs('a')).toBe(0);
    expect(p.exists('.orchestrator')).toBe(false);
  });

  it('an unknown command exits 2', async () => {
    const p = createProject({});
    const r = await p.run(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command/);
  });
});
