import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProjects, createProject, stageLines, tick, yamlLines } from './harness.js';

afterEach(cleanupProjects);

const params = (o: { lr?: number; heads?: number; dim?: number; seed?: number } = {}) =>
  yamlLines(
    `lr: ${o.lr ?? 0.1}`,
    `seed: ${o.seed ?? 7}`,
    'model:',
    `  heads: ${o.heads ?? 2}`,
    `  dim: ${o.dim ?? 64}`,
  );

const pipeline = yamlLines(
  'stages:',
  '  uses_lr:',
  `    cmd: ${tick('uses_lr')} && echo lr > lr.txt`,
  '    params: [lr]',
  '    outs: [lr.txt]',
  '  uses_heads:',
  `    cmd: ${tick('uses_heads')} && echo heads > heads.txt`,
  '    params: [model.heads]',
  '    outs: [heads.txt]',
  '  uses_model:',
  `    cmd: ${tick('uses_model')} && echo model > model.txt`,
  '    params: [model]',
  '    outs: [model.txt]',
  '  uses_nothing:',
  `    cmd: ${tick('uses_nothing')} && echo none > none.txt`,
  '    outs: [none.txt]',
);

const ALL = ['uses_lr', 'uses_heads', 'uses_model', 'uses_nothing'];

describe('params', () => {
  it('records tracked params in the lock', async () => {
    const p = createProject({ 'pipeline.yaml': pipeline, 'params.yaml': params() });
    await p.runOk(['repro']);
    const lock = p.lock();
    expect(lock.stages.uses_lr!.params).toEqual({ 'params.yaml': { lr: 0.1 } });
    expect(lock.stages.uses_heads!.params).toEqual({ 'params.yaml': { 'model.heads': 2 } });
    expect(lock.stages.uses_model!.params).toEqual({ 'params.yaml': { model: { dim: 64, heads: 2 } } });
    expect(lock.stages.uses_nothing!.params).toBeUndefined();
  });

  it('a changed top-level param reruns only the stages that track it', async () => {
    const p = createProject({ 'pipeline.yaml': pipeline, 'params.yaml': params() });
    await p.runOk(['repro']);
    p.write('params.yaml', params({ lr: 0.01 }));
    await p.runOk(['repro']);
    expect(p.counts(...ALL)).toEqual({ uses_lr: 2, uses_heads: 1, uses_model: 1, uses_nothing: 1 });
  });

  it('a changed nested param reruns the stages tracking that key or its parent', async () => {
    const p = createProject({ 'pipeline.yaml': pipeline, 'params.yaml': params() });
    await p.runOk(['repro']);
    p.write('params.yaml', params({ heads: 4 }));
    await p.runOk(['repro']);
    expect(p.counts(...ALL)).toEqual({ uses_lr: 1, uses_heads: 2, uses_model: 2, uses_nothing: 1 });
    expect(p.lock().stages.uses_heads!.params).toEqual({ 'params.yaml': { 'model.heads': 4 } });
  });

  it('a changed sibling of a tracked nested key does not rerun that stage', async () => {
    const p = createProject({ 'pipeline.yaml': pipeline, 'params.yaml': params() });
    await p.runOk(['repro']);
    p.write('params.yaml', params({ dim: 128, seed: 8 }));
    await p.runOk(['repro']);
    expect(p.counts(...ALL)).toEqual({ uses_lr: 1, uses_heads: 1, uses_model: 2, uses_nothing: 1 });
  });

  it('status names the changed param with its old and new value (text and JSON)', async () => {
    const p = createProject({ 'pipeline.yaml': pipeline, 'params.yaml': params() });
    await p.runOk(['repro']);
    p.write('params.yaml', params({ heads: 4 }));
    const text = await p.runOk(['status']);
    expect(text.stdout).toMatch(/uses_heads: will run\n\s+param changed: params\.yaml:model\.heads 2 -> 4/);
    expect(text.stdout).toMatch(/uses_model: will run\n\s+param changed: params\.yaml:model\.heads 2 -> 4/);
    expect(text.stdout).toMatch(/uses_lr: up to date/);

    const json = await p.runOk(['status', '--json']);
    const doc = JSON.parse(json.stdout) as { upToDate: boolean; stages: { stage: string; action: string; reasons: Record<string, unknown>[] }[] };
    expect(doc.upToDate).toBe(false);
    const heads = doc.stages.find((s) => s.stage === 'uses_heads')!;
    expect(heads.action).toBe('run');
    expect(heads.reasons).toEqual([{ kind: 'param-changed', file: 'params.yaml', key: 'model.heads', old: 2, new: 4 }]);
    expect(doc.stages.find((s) => s.stage === 'uses_lr')!.action).toBe('skip');
    // status changes nothing.
    expect(p.counts(...ALL)).toEqual({ uses_lr: 1, uses_heads: 1, uses_model: 1, uses_nothing: 1 });
  });

  it('tracks keys of another params file ({file: [keys]})', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines(
        'stages:',
        '  other:',
        `    cmd: ${tick('other')} && echo ok > other.txt`,
        '    params: [{conf/other.yaml: [opt.level]}]',
        '    outs: [other.txt]',
      ),
      'conf/other.yaml': 'opt:\n  level: 1\n  unused: a\n',
    });
    await p.runOk(['repro']);
    expect(p.lock().stages.other!.params).toEqual({ 'conf/other.yaml': { 'opt.level': 1 } });
    p.write('conf/other.yaml', 'opt:\n  level: 1\n  unused: b\n');
    await p.runOk(['repro']);
    expect(p.runs('other')).toBe(1);
    p.write('conf/other.yaml', 'opt:\n  level: 3\n  unused: b\n');
    const status = await p.runOk(['status']);
    expect(status.stdout).toMatch(/param changed: conf\/other\.yaml:opt\.level 1 -> 3/);
    await p.runOk(['repro']);
    expect(p.runs('other')).toBe(2);
  });

  it('reverting a param restores the older outputs from the run-cache without running', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines(
        'stages:',
        '  train:',
        `    cmd: ${tick('train')} && echo "heads=\${model.heads}" > model.txt && mkdir -p ckpt && echo "w\${model.heads}" > ckpt/w.bin`,
        '    params: [model.heads]',
        '    outs: [model.txt, ckpt]',
        '  evaluate:',
        `    cmd: ${tick('evaluate')} && cat model.txt ckpt/w.bin > eval.txt`,
        '    deps: [model.txt, ckpt]',
        '    outs: [eval.txt]',
      ),
      'params.yaml': params({ heads: 2 }),
    });
    await p.runOk(['repro']);
    const lockA = p.lockText();
    const evalA = p.read('eval.txt');
    expect(evalA).toBe('heads=2\nw2\n');

    p.write('params.yaml', params({ heads: 4 }));
    await p.runOk(['repro']);
    expect(p.read('eval.txt')).toBe('heads=4\nw4\n');
    expect(p.counts('train', 'evaluate')).toEqual({ train: 2, evaluate: 2 });

    p.write('params.yaml', params({ heads: 2 }));
    const status = await p.runOk(['status']);
    expect(status.stdout).toMatch(/train: will restore from the run-cache/);
    const r = await p.runOk(['repro']);
    expect(stageLines(r, 'train')).toEqual(['train: restored from the run-cache']);
    expect(stageLines(r, 'evaluate')).toEqual(['evaluate: restored from the run-cache']);
    expect(p.counts('train', 'evaluate')).toEqual({ train: 2, evaluate: 2 });
    expect(p.read('model.txt')).toBe('heads=2\n');
    expect(p.read('ckpt/w.bin')).toBe('w2\n');
    expect(p.read('eval.txt')).toBe(evalA);
    expect(p.lockText()).toBe(lockA);

    // ...and everything is up to date afterwards.
    await p.runOk(['repro']);
    expect(p.counts('train', 'evaluate')).toEqual({ train: 2, evaluate: 2 });
  });

  it('--no-run-cache runs the command instead of restoring from the run-cache', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines(
        'stages:',
        '  train:',
        `    cmd: ${tick('train')} && echo "\${lr}" > lr.txt`,
        '    params: [lr]',
        '    outs: [lr.txt]',
      ),
      'params.yaml': params({ lr: 0.5 }),
    });
    await p.runOk(['repro']);
    p.write('params.yaml', params({ lr: 0.25 }));
    await p.runOk(['repro']);
    p.write('params.yaml', params({ lr: 0.5 }));
    await p.runOk(['repro', '--no-run-cache']);
    expect(p.runs('train')).toBe(3);
    expect(p.read('lr.txt')).toBe('0.5\n');
  });
});
