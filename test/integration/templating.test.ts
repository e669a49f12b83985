import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProjects, createProject, tick, yamlLines } from './harness.js';

afterEach(cleanupProjects);

/** Writes its arguments (after the script name) to the file named by $ARGV_OUT as a JSON list. */
const ARGV_PY = 'import json, os, sys\nopen(os.environ["ARGV_OUT"], "w").write(json.dumps(sys.argv[1:]))\n';

const dagStages = async (p: ReturnType<typeof createProject>): Promise<string[]> => {
  const r = await p.runOk(['dag', '--json']);
  return (JSON.parse(r.stdout) as { stages: string[] }).stages;
};

describe('foreach and matrix', () => {
  it('foreach over a list names stages by value and passes ${item}', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines(
        'stages:',
        '  build:',
        '    foreach: [1, 2, 8]',
        '    do:',
        `      cmd: ${tick('build@${item}')} && echo "size=\${item}" > out-\${item}.txt`,
        '      outs: ["out-${item}.txt"]',
      ),
    });
    expect((await dagStages(p)).sort()).toEqual(['build@1', 'build@2', 'build@8']);
    await p.runOk(['repro']);
    expect(p.read('out-1.txt')).toBe('size=1\n');
    expect(p.read('out-2.txt')).toBe('size=2\n');
    expect(p.read('out-8.txt')).toBe('size=8\n');
    expect(Object.keys(p.lock().stages)).toEqual(['build@1', 'build@2', 'build@8']);
  });

  it('a single expanded stage can be targeted by its full name; the group name selects all', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines(
        'stages:',
        '  build:',
        '    foreach: [1, 2]',
        '    do:',
        `      cmd: ${tick('build@${item}')} && echo \${item} > out-\${item}.txt`,
        '      outs: ["out-${item}.txt"]',
      ),
    });
    await p.runOk(['repro', 'build@2']);
    expect(p.counts('build@1', 'build@2')).toEqual({ 'build@1': 0, 'build@2': 1 });
    await p.runOk(['repro', 'build']);
    expect(p.counts('build@1', 'build@2')).toEqual({ 'build@1': 1, 'build@2': 1 });
  });

  it('foreach over a dict names stages by key and exposes ${key} and ${item.field}', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines(
        'stages:',
        '  train:',
        '    foreach:',
        '      small: {heads: 1, dim: 32}',
        '      large: {heads: 8, dim: 256}',
        '    do:',
        '      cmd: echo "${key} ${item.heads} ${item.dim}" > train-${key}.txt',
        '      outs: ["train-${key}.txt"]',
      ),
    });
    expect((await dagStages(p)).sort()).toEqual(['train@large', 'train@small']);
    await p.runOk(['repro']);
    expect(p.read('train-small.txt')).toBe('small 1 32\n');
    expect(p.read('train-large.txt')).toBe('large 8 256\n');
  });

  it('foreach over a ${var} from params.yaml', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines(
        'stages:',
        '  sweep:',
        '    foreach: ${sizes}',
        '    do:',
        '      cmd: echo ${item} > sweep-${item}.txt',
        '      outs: ["sweep-${item}.txt"]',
      ),
      'params.yaml': 'sizes: [16, 32]\n',
    });
    expect((await dagStages(p)).sort()).toEqual(['sweep@16', 'sweep@32']);
    await p.runOk(['repro']);
    expect(p.read('sweep-32.txt')).toBe('32\n');
  });

  it('matrix expands the cartesian product with names build@<a>-<b>', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines(
        'stages:',
        '  build:',
        '    matrix:',
        '      model: [tiny, base]',
        '      bits: [2, 4]',
        `    cmd: ${tick('build@${item.model}-${item.bits}')} && echo "\${item.model}/\${item.bits}" > m-\${item.model}-\${item.bits}.txt`,
        '    outs: ["m-${item.model}-${item.bits}.txt"]',
      ),
    });
    expect((await dagStages(p)).sort()).toEqual(['build@base-2', 'build@base-4', 'build@tiny-2', 'build@tiny-4']);
    await p.runOk(['repro']);
    expect(p.read('m-tiny-2.txt')).toBe('tiny/2\n');
    expect(p.read('m-base-4.txt')).toBe('base/4\n');
    await p.runOk(['repro', 'build@tiny-4', '-f']);
    expect(p.counts('build@tiny-2', 'build@tiny-4', 'build@base-2', 'build@base-4')).toEqual({
      'build@tiny-2': 1,
      'build@tiny-4': 2,
      'build@base-2': 1,
      'build@base-4': 1,
    });
  });

  it('an expanded stage depends on the matching upstream instance', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines(
        'stages:',
        '  gen:',
        '    foreach: [a, b]',
        '    do:',
        `      cmd: ${tick('gen@${item}')} && echo \${item} > gen-\${item}.txt`,
        '      outs: ["gen-${item}.txt"]',
        '  use:',
        '    foreach: [a, b]',
        '    do:',
        `      cmd: ${tick('use@${item}')} && cat gen-\${item}.txt gen-\${item}.txt > use-\${item}.txt`,
        '      deps: ["gen-${item}.txt"]',
        '      outs: ["use-${item}.txt"]',
      ),
    });
    const dag = JSON.parse((await p.runOk(['dag', '--json'])).stdout) as { edges: { from: string; to: string }[] };
    expect(dag.edges).toEqual(expect.arrayContaining([{ from: 'gen@a', to: 'use@a' }, { from: 'gen@b', to: 'use@b' }]));
    expect(dag.edges).toHaveLength(2);
    await p.runOk(['repro', 'use@b']);
    expect(p.counts('gen@a', 'gen@b', 'use@a', 'use@b')).toEqual({ 'gen@a': 0, 'gen@b': 1, 'use@a': 0, 'use@b': 1 });
    expect(p.read('use-b.txt')).toBe('b\nb\n');
  });
});

describe('values reaching commands', () => {
  it('a dict interpolated into cmd unpacks to --key value arguments, shell-quoted', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines(
        'stages:',
        '  train:',
        '    cmd: python3 argv.py ${train}',
        '    env: {ARGV_OUT: argv.json}',
        '    deps: [argv.py]',
        '    outs: [argv.json]',
      ),
      'params.yaml': yamlLines('train:', '  lr: 0.1', '  epochs: 3'),
      'argv.py': ARGV_PY,
    });
    await p.runOk(['repro']);
    expect(JSON.parse(p.read('argv.json'))).toEqual(['--lr', '0.1', '--epochs', '3']);
  });

  it('dict unpacking: nested keys, booleans, lists and strings with spaces and quotes', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines(
        'stages:',
        '  train:',
        '    cmd: python3 argv.py ${opts} --last "${name}"',
        '    env: {ARGV_OUT: argv.json}',
        '    deps: [argv.py]',
        '    outs: [argv.json]',
      ),
      'params.yaml': yamlLines(
        'name: final run',
        'opts:',
        '  model: {heads: 4}',
        '  verbose: true',
        '  quiet: false',
        '  sizes: [1, 2]',
        `  title: "it's a \\"test\\" $HOME"`,
      ),
      'argv.py': ARGV_PY,
    });
    await p.runOk(['repro']);
    expect(JSON.parse(p.read('argv.json'))).toEqual([
      '--model.heads',
      '4',
      '--verbose',
      '--sizes',
      '1',
      '2',
      '--title',
      `it's a "test" $HOME`,
      '--last',
      'final run',
    ]);
  });

  it('a changed param used in cmd changes the rendered cmd and reruns the stage', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines('stages:', '  s:', `    cmd: ${tick('s')} && echo \${model.heads} > heads.txt`, '    outs: [heads.txt]'),
      'params.yaml': 'model:\n  heads: 2\n',
    });
    await p.runOk(['repro']);
    expect(p.lock().stages.s!.cmd).toBe(`${tick('s')} && echo 2 > heads.txt`);
    p.write('params.yaml', 'model:\n  heads: 3\n');
    const status = await p.runOk(['status']);
    expect(status.stdout).toMatch(/cmd changed:/);
    await p.runOk(['repro']);
    expect(p.read('heads.txt')).toBe('3\n');
    expect(p.runs('s')).toBe(2);
  });

  it('vars files and list indexing reach the command', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines(
        'vars: [conf/extra.yaml]',
        'stages:',
        '  s:',
        '    cmd: echo ${extra.names[1]}-${seed} > v.txt',
        '    outs: [v.txt]',
      ),
      'params.yaml': 'seed: 42\n',
      'conf/extra.yaml': 'extra:\n  names: [zero, one]\n',
    });
    await p.runOk(['repro']);
    expect(p.read('v.txt')).toBe('one-42\n');
  });
});
