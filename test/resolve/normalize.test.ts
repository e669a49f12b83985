import { describe, expect, test } from 'vitest';
import { lines, resolveErr, resolveOk, stageNamed } from '../config/fixtures.js';
import type { ResolvedStage } from '../../src/resolve/normalize.js';

describe('stage normalization', () => {
  test('a minimal stage gets every default', () => {
    const stage = stageNamed(resolveOk({ 'pipeline.yaml': lines('stages:', '  s:', '    cmd: echo hi') }), 's');
    expect(stage).toEqual({
      name: 's',
      cmd: ['echo hi'],
      wdir: '.',
      deps: [],
      params: [],
      outs: [],
      env: {},
      executor: 'local',
      resources: {},
      alwaysChanged: false,
      frozen: false,
      absolutePaths: false,
      span: { file: 'pipeline.yaml', line: 2, col: 3, endLine: 2, endCol: 4 },
    });
  });

  test('paths are joined onto wdir and normalized to root-relative POSIX', () => {
    const stage = stageNamed(
      resolveOk({
        'pipeline.yaml': lines(
          'stages:',
          '  s:',
          '    cmd: [make a, make b]',
          '    wdir: ./hw/../hw/finn/',
          '    deps: [src/x.py, ../shared/lib, ./, "../../top.txt"]',
          '    outs: [build/out/, {ckpt: {persist: true, cache: false, desc: checkpoints}}]',
          '    metrics: [{m.json: {cache: false}}]',
          '    plots: [{p.csv: {x: step, y: loss, title: Loss}}]',
        ),
      }),
      's',
    );
    expect(stage.cmd).toEqual(['make a', 'make b']);
    expect(stage.wdir).toBe('hw/finn');
    expect(stage.deps.map((d) => d.path)).toEqual(['hw/finn/src/x.py', 'hw/shared/lib', 'hw/finn', 'top.txt']);
    expect(stage.outs.map(({ span: _span, ...o }) => o)).toEqual([
      { path: 'hw/finn/build/out', kind: 'out', cache: true, persist: false },
      { path: 'hw/finn/ckpt', kind: 'out', cache: false, persist: true },
      { path: 'hw/finn/m.json', kind: 'metric', cache: false, persist: false },
      { path: 'hw/finn/p.csv', kind: 'plot', cache: true, persist: false, plot: [{ x: 'step', y: 'loss', title: 'Loss' }] },
    ]);
    expect(stage.deps[1]?.span).toEqual({ file: 'pipeline.yaml', line: 5, col: 22, endLine: 5, endCol: 35 });
    expect(stage.outs[1]?.span).toMatchObject({ line: 6, col: 25, endCol: 29 });
  });

  test('params bind current values: default file, other files, whole files, relative to wdir', () => {
    const pipeline = resolveOk({
      'params.yaml': 'model: {heads: 4, dims: [8, 16]}\nseed: 7\n',
      'sub/params.yaml': 'lr: 0.1\n',
      'configs/hw.json': '{"clock": {"mhz": 200}, "part": "xc7z020"}',
      'pipeline.yaml': lines(
        'stages:',
        '  a:',
        '    cmd: x',
        '    params: [model.heads, model.dims.1, seed, {configs/hw.json: [clock.mhz]}, {configs/hw.json: null}, {params.yaml: []}]',
        '  b:',
        '    cmd: x',
        '    wdir: sub',
        '    params: [lr, {../params.yaml: [seed]}]',
      ),
    });
    const values = (name: string) => stageNamed(pipeline, name).params.map(({ file, key, value }) => [file, key, value]);
    expect(values('a')).toEqual([
      ['params.yaml', 'model.heads', 4],
      ['params.yaml', 'model.dims.1', 16],
      ['params.yaml', 'seed', 7],
      ['configs/hw.json', 'clock.mhz', 200],
      ['configs/hw.json', '', { clock: { mhz: 200 }, part: 'xc7z020' }],
      ['params.yaml', '', { model: { heads: 4, dims: [8, 16] }, seed: 7 }],
    ]);
    expect(values('b')).toEqual([
      ['sub/params.yaml', 'lr', 0.1],
      ['params.yaml', 'seed', 7],
    ]);
    expect(stageNamed(pipeline, 'a').params[0]?.span).toMatchObject({ line: 4, col: 14, endCol: 25 });
  });

  test('defaults merge under stage settings; env values become strings', () => {
    const pipeline = resolveOk({
      'params.yaml': 'image: finn:1.0\njobs: 8\n',
      'pipeline.yaml': lines(
        'defaults:',
        '  executor: docker',
        '  env: {A: 1, B: base}',
        '  container: {image: "${image}", mounts: [/tools], env: {X: "1", Y: y}, shm_size: 8g}',
        '  slurm: {partition: cpu, time: "04:00:00"}',
        'stages:',
        '  a:',
        '    cmd: x',
        '    env: {B: own, C: true}',
        '    container: {mounts: [/data], env: {Y: 2, Z: z}, gpus: all}',
        '    slurm: {partition: gpu, retries: 2}',
        '    resources: {cpus: "${jobs}", mem_gb: 32, vivado_license: 1}',
        '  b:',
        '    cmd: x',
        '    executor: local',
      ),
    });
    const a = stageNamed(pipeline, 'a') as ResolvedStage;
    expect(a.executor).toBe('docker');
    expect(a.env).toEqual({ A: '1', B: 'own', C: 'true' });
    expect(a.container).toEqual({ image: 'finn:1.0', mounts: ['/data'], env: { X: '1', Y: '2', Z: 'z' }, shm_size: '8g', gpus: 'all' });
    expect(a.slurm).toEqual({ partition: 'gpu', time: '04:00:00', retries: 2 });
    expect(a.resources).toEqual({ cpus: 8, mem_gb: 32, vivado_license: 1 });
    const b = stageNamed(pipeline, 'b') as ResolvedStage;
    expect(b.executor).toBe('local');
    expect(b.env).toEqual({ A: '1', B: 'base' });
    expect(b.container).toEqual({ image: 'finn:1.0', mounts: ['/tools'], env: { X: '1', Y: 'y' }, shm_size: '8g' });
  });

  test('flags, desc, typed whole-string values, global resources and stage order', () => {
    const pipeline = resolveOk({
      'params.yaml': 'frozen: true\n',
      'pipeline.yaml': lines(
        'resources: {vivado_license: 2}',
        'stages:',
        '  z:',
        '    cmd: x',
        '    frozen: ${frozen}',
        '    always_changed: true',
        '    absolute_paths: true',
        '    desc: freezes ${frozen}',
        '  a: {cmd: y}',
      ),
    });
    expect(pipeline.resources).toEqual({ vivado_license: 2 });
    expect(pipeline.stages.map((s) => s.name)).toEqual(['z', 'a']);
    expect(stageNamed(pipeline, 'z')).toMatchObject({ frozen: true, alwaysChanged: true, absolutePaths: true, desc: 'freezes true' });
  });
});

describe('YAML features', () => {
  test('anchors and merge keys share stage settings', () => {
    const pipeline = resolveOk({
      'pipeline.yaml': lines(
        'stages:',
        '  a: &base',
        '    cmd: x',
        '    deps: [shared]',
        '    executor: docker',
        '  b:',
        '    <<: *base',
        '    cmd: y',
      ),
    });
    expect(stageNamed(pipeline, 'b')).toMatchObject({ cmd: ['y'], executor: 'docker', deps: [{ path: 'shared' }] });
  });

  test('a key named __proto__ is refused where it stands, never merged into the stage', () => {
    const diagnostics = resolveErr({ 'pipeline.yaml': lines('stages:', '  s:', '    cmd: x', '    __proto__: {frozen: true}') });
    expect(diagnostics.map((d) => [d.message, d.span?.line])).toEqual([['"__proto__" is reserved and cannot be used as a name or key in pipeline.yaml', 4]]);
  });
});
