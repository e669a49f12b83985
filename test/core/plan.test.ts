import { describe, expect, it } from 'vitest';
import type { LockEntry } from '../../src/lock/lock-types.js';
import { buildGraph } from '../../src/graph/stage-graph.js';
import { planPipeline } from '../../src/plan/plan-pipeline.js';
import { planStage, type ObservedHash, type StageObservation } from '../../src/plan/plan-stage.js';
import type { Stage } from '../../src/model/stage.js';
import { stageFingerprint } from '../../src/plan/fingerprint.js';
import { stage } from './fixtures.js';

const h = (hash: string): ObservedHash => ({ hash, size: 1 });

/** An observation where disk matches the lock exactly; tests then perturb one thing. */
function upToDate(s: Stage, extra: Partial<LockEntry> = {}): StageObservation {
  const lock: LockEntry = {
    cmd: s.cmd,
    wdir: s.wdir,
    env: s.env,
    environment: 'host',
    deps: s.deps.map((d) => ({ path: d.path, hash: `dep:${d.path}`, size: 1 })),
    params: {},
    outs: s.outs.map((o) => ({ path: o.path, hash: `out:${o.path}`, size: 1 })),
    ...extra,
  };
  return {
    stage: s,
    lock,
    deps: new Map(s.deps.map((d) => [d.path, h(`dep:${d.path}`)])),
    outs: new Map(s.outs.map((o) => [o.path, h(`out:${o.path}`)])),
    environment: { ok: true, value: { id: 'host', env: s.env, tools: {} } },
    interrupted: false,
    lockOutsInCache: true,
    upstreamChanged: [],
  };
}

const opts = { force: false, useRunCache: true };
const base = stage('train', { deps: ['data.csv', 'train.py'], outs: ['model.pt'] });

describe('planStage', () => {
  it('skips an unchanged stage with no reasons', () => {
    expect(planStage(upToDate(base), opts)).toEqual({ stage: 'train', action: 'skip', reasons: [] });
  });

  it('runs a stage without a lock entry', () => {
    expect(planStage({ ...upToDate(base), lock: undefined }, opts)).toMatchObject({ action: 'run', reasons: [{ kind: 'no-lock-entry' }] });
  });

  it('reports cmd changes, including whitespace', () => {
    const obs = upToDate(base, { cmd: ['make  train'] });
    expect(planStage(obs, opts).reasons).toEqual([{ kind: 'cmd-changed', old: ['make  train'], new: ['make train'] }]);
  });

  it('reports modified, deleted, added and removed deps by path', () => {
    const obs = upToDate(base);
    obs.deps = new Map([['data.csv', h('other')], ['train.py', undefined]]);
    expect(planStage(obs, opts).reasons).toEqual([
      { kind: 'dep-modified', path: 'data.csv' },
      { kind: 'dep-deleted', path: 'train.py' },
    ]);
    const declared = upToDate(base, { deps: [{ path: 'data.csv', hash: 'dep:data.csv', size: 1 }, { path: 'old.txt', hash: 'x', size: 1 }] });
    expect(planStage(declared, opts).reasons).toEqual([
      { kind: 'dep-added', path: 'train.py' },
      { kind: 'dep-removed', path: 'old.txt' },
    ]);
  });

  it('reports param changes leaf by leaf with old and new values', () => {
    const s = { ...base, params: [{ file: 'params.yaml', key: 'model', value: { heads: 4, bits: 2, extra: true } }] };
    const obs = upToDate(s, { params: { 'params.yaml': { model: { heads: 2, bits: 2, gone: 1 } } } });
    expect(planStage(obs, opts).reasons).toEqual([
      { kind: 'param-added', file: 'params.yaml', key: 'model.extra', value: true },
      { kind: 'param-removed', file: 'params.yaml', key: 'model.gone', old: 1 },
      { kind: 'param-changed', file: 'params.yaml', key: 'model.heads', old: 2, new: 4 },
    ]);
  });

  it('restores missing or modified outputs from the cache when inputs are unchanged', () => {
    const obs = upToDate(base);
    obs.outs = new Map([['model.pt', undefined]]);
    expect(planStage(obs, opts)).toMatchObject({ action: 'restore', restoreFrom: 'lock', reasons: [{ kind: 'out-missing', path: 'model.pt' }] });
    obs.outs = new Map([['model.pt', h('edited')]]);
    expect(planStage(obs, opts)).toMatchObject({ action: 'restore', reasons: [{ kind: 'out-modified', path: 'model.pt' }] });
    expect(planStage({ ...obs, lockOutsInCache: false }, opts).action).toBe('run');
  });

  it('restores from the run-cache when inputs changed to a combination seen before, unless disabled', () => {
    const obs = { ...upToDate(base, { cmd: ['old'] }), runCacheKey: 'k1' };
    expect(planStage(obs, opts)).toMatchObject({ action: 'restore', restoreFrom: 'run-cache', runCacheKey: 'k1' });
    expect(planStage(obs, { ...opts, useRunCache: false }).action).toBe('run');
  });

  it('runs forced, always_changed and interrupted stages even from a run-cache hit', () => {
    const obs = { ...upToDate(base), runCacheKey: 'k1' };
    expect(planStage(obs, { ...opts, force: true })).toMatchObject({ action: 'run', reasons: [{ kind: 'forced' }] });
    expect(planStage({ ...obs, stage: { ...base, alwaysChanged: true } }, opts)).toMatchObject({ action: 'run', reasons: [{ kind: 'always-changed' }] });
    expect(planStage({ ...obs, interrupted: true }, opts)).toMatchObject({ action: 'run', reasons: [{ kind: 'interrupted' }] });
  });

  it('never runs a frozen stage', () => {
    const obs = { ...upToDate({ ...base, frozen: true }), lock: undefined };
    expect(planStage(obs, { ...opts, force: true })).toEqual({ stage: 'train', action: 'skip', reasons: [], frozen: true });
  });

  it('reports a changed execution environment (image digest)', () => {
    const obs = { ...upToDate(base), environment: { ok: true as const, value: { id: 'sha256:abc', env: {}, tools: {} } } };
    expect(planStage(obs, opts).reasons).toEqual([{ kind: 'environment-changed', old: 'host', new: 'sha256:abc' }]);
  });

  it('an environment the executor cannot describe (image gone) is a reason, as data, and the stage runs', () => {
    const obs = { ...upToDate(base), runCacheKey: 'k1', environment: { ok: false as const, problem: { kind: 'image-missing' as const, image: 'finn:1' } } };
    expect(planStage(obs, opts)).toMatchObject({ action: 'run', reasons: [{ kind: 'environment-unavailable', old: 'host', problem: { kind: 'image-missing', image: 'finn:1' } }] });
  });

  it('reports tool versions added, removed and changed against the lock', () => {
    const vivado = (version: string) => ({ version, hash: `h:${version}` });
    const lock = upToDate(base, { tools: { vivado: vivado('Vivado v2022.2 (64-bit)'), old: vivado('x 1') } });
    const obs = { ...lock, environment: { ok: true as const, value: { id: 'host', env: {}, tools: { vivado: vivado('Vivado v2023.1 (64-bit)'), finn: vivado('0.10.1') } } } };
    expect(planStage(obs, opts).reasons).toEqual([
      { kind: 'tool-added', tool: 'finn', version: '0.10.1' },
      { kind: 'tool-removed', tool: 'old', old: 'x 1' },
      { kind: 'tool-changed', tool: 'vivado', old: 'Vivado v2022.2 (64-bit)', new: 'Vivado v2023.1 (64-bit)' },
    ]);
    const same = { ...lock, environment: { ok: true as const, value: { id: 'host', env: {}, tools: { vivado: vivado('Vivado v2022.2 (64-bit)'), old: vivado('x 1') } } } };
    expect(planStage(same, opts)).toEqual({ stage: 'train', action: 'skip', reasons: [] });
  });
});

describe('planPipeline', () => {
  const a = stage('a', { deps: ['in'], outs: ['a.out'] });
  const b = stage('b', { deps: ['a.out'], outs: ['b.out'] });
  const c = stage('c', { deps: ['b.out'], outs: ['c.out'] });
  const g = buildGraph([a, b, c]);
  if (!g.ok) throw new Error('graph');
  const observe = (changes: (o: Map<string, StageObservation>) => void) => {
    const m = new Map([a, b, c].map((s) => [s.name, upToDate(s)]));
    // Make each dep's observed hash equal the upstream's locked out hash.
    m.get('b')!.deps = new Map([['a.out', h('out:a.out')]]);
    m.get('b')!.lock!.deps = [{ path: 'a.out', hash: 'out:a.out', size: 1 }];
    m.get('c')!.deps = new Map([['b.out', h('out:b.out')]]);
    m.get('c')!.lock!.deps = [{ path: 'b.out', hash: 'out:b.out', size: 1 }];
    changes(m);
    return m;
  };

  it('predicts that stages downstream of a run will run, naming the upstream stage', () => {
    const m = observe((o) => (o.get('a')!.deps = new Map([['in', h('changed')]])));
    const plans = planPipeline(g.value, ['a', 'b', 'c'], m, opts);
    expect(plans.map((p) => p.action)).toEqual(['run', 'run', 'run']);
    expect(plans[1]!.reasons).toEqual([{ kind: 'upstream-changed', stage: 'a' }]);
  });

  it('sees the outputs a restore brings back, so downstream of a restore stays up to date', () => {
    const m = observe((o) => {
      o.get('a')!.outs = new Map([['a.out', undefined]]);
      o.get('b')!.deps = new Map([['a.out', undefined]]);
    });
    expect(planPipeline(g.value, ['a', 'b', 'c'], m, opts).map((p) => p.action)).toEqual(['restore', 'skip', 'skip']);
  });
});

describe('fingerprint', () => {
  const fp = (environment: { id: string; env: Record<string, string>; tools: Record<string, { version: string; hash: string }> }, s: Stage = base) =>
    stageFingerprint({ stage: s, depHashes: new Map(), environment, root: '/w' });

  it('takes the declared env and environment id from the executor description, not from the stage kind', () => {
    const a = fp({ id: 'sha256:x', env: { VIVADO_PATH: '/tools/2022.2' }, tools: {} });
    const b = fp({ id: 'sha256:x', env: { VIVADO_PATH: '/tools/2023.1' }, tools: {} });
    expect(a.key).not.toBe(b.key);
    expect(fp({ id: 'sha256:y', env: { VIVADO_PATH: '/tools/2022.2' }, tools: {} }).key).not.toBe(a.key);
  });

  it('is byte for byte the version-1 text for a stage without tools (existing caches stay valid)', () => {
    const s = stage('t', { deps: [], outs: ['o'] });
    expect(fp({ id: 'host', env: { A: '1' }, tools: {} }, s).text).toBe(
      '{\n "v": 1,\n "cmd": [\n  "make t"\n ],\n "wdir": ".",\n "deps": [],\n "params": {},\n "outs": [\n  [\n   "o",\n   true,\n   false\n  ]\n ],\n "env": [\n  [\n   "A",\n   "1"\n  ]\n ],\n "environment": "host"\n}',
    );
  });

  it('includes each tool version hash, so another Vivado is another cache entry', () => {
    const tools = (hash: string) => ({ vivado: { version: 'Vivado v2022.2', hash } });
    expect(fp({ id: 'host', env: {}, tools: tools('a') }).key).not.toBe(fp({ id: 'host', env: {}, tools: tools('b') }).key);
    expect(fp({ id: 'host', env: {}, tools: tools('a') }).text).toContain('"tools"');
  });
});
