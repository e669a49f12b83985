import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LockStore } from '../../src/lock/lock-store.js';
import { parseLock, serializeLock } from '../../src/lock/lock-format.js';
import type { LockEntry } from '../../src/lock/lock-types.js';
import { planStage, type StageObservation } from '../../src/plan/plan-stage.js';
import type { Stage } from '../../src/model/stage.js';
import { describeReason } from '../../src/ui/change-reason-text.js';
import { stage } from './fixtures.js';

// Issue 14: an output's `cache`/`persist` flags were not compared with the lock (status said up to
// date) and the lock kept the old flags.

const withFlags = (s: Stage, flags: Record<string, { cache?: boolean; persist?: boolean }>): Stage => ({
  ...s,
  outs: s.outs.map((o) => ({ ...o, ...flags[o.path] })),
});

function observed(s: Stage, outs: LockEntry['outs']): StageObservation {
  return {
    stage: s,
    lock: { cmd: s.cmd, wdir: s.wdir, env: {}, environment: 'host', deps: [], params: {}, outs },
    deps: new Map(),
    outs: new Map(outs.map((o) => [o.path, { hash: o.hash, size: o.size }])),
    environment: { ok: true, value: { id: 'host', env: s.env, tools: {} } },
    interrupted: false,
    lockOutsInCache: true,
    upstreamChanged: [],
  };
}

const opts = { force: false, useRunCache: true };
const base = stage('build', { outs: ['build/x', 'build/ckpt'] });

describe('out flags in the plan', () => {
  it('a cache: false output that becomes cached is a typed change, and the stage runs', () => {
    const plan = planStage(
      observed(withFlags(base, {}), [
        { path: 'build/x', hash: 'a', size: 1, cache: false, persist: false },
        { path: 'build/ckpt', hash: 'b', size: 1, persist: false },
      ]),
      opts,
    );
    expect(plan.action).toBe('run');
    expect(plan.reasons).toEqual([{ kind: 'out-flags-changed', path: 'build/x', changes: [{ flag: 'cache', old: false, new: true }] }]);
    expect(describeReason(plan.reasons[0]!)).toBe('out flags changed: build/x (cache: false -> true)');
  });

  it('persist changes both ways, and both flags at once, are reported', () => {
    const s = withFlags(base, { 'build/x': { cache: false, persist: true }, 'build/ckpt': { persist: false } });
    const plan = planStage(
      observed(s, [
        { path: 'build/x', hash: 'a', size: 1, persist: false },
        { path: 'build/ckpt', hash: 'b', size: 1, persist: true },
      ]),
      opts,
    );
    expect(plan.reasons.map(describeReason)).toEqual(['out flags changed: build/x (cache: true -> false, persist: false -> true)', 'out flags changed: build/ckpt (persist: true -> false)']);
  });

  it('a persist flag the lock never recorded (schema 1) is not compared: old locks stay valid', () => {
    const s = withFlags(base, { 'build/ckpt': { persist: true } });
    const plan = planStage(observed(s, [{ path: 'build/x', hash: 'a', size: 1 }, { path: 'build/ckpt', hash: 'b', size: 1 }]), opts);
    expect(plan).toEqual({ stage: 'build', action: 'skip', reasons: [] });
  });
});

describe('out flags in pipeline.lock', () => {
  const entry = (outs: LockEntry['outs']): LockEntry => ({ cmd: ['make'], wdir: '.', env: {}, environment: 'host', deps: [], params: {}, outs });

  it('records persist: true; a lock whose every flag is known is schema 2 and reads back the same', () => {
    const lock = { stages: { build: entry([{ path: 'build/ckpt', hash: 'b'.repeat(64), size: 1, persist: true }, { path: 'build/x', hash: 'a'.repeat(64), size: 1, cache: false, persist: false }]) } };
    const text = serializeLock(lock);
    expect(text).toBe(
      [
        'schema: 2',
        'stages:',
        '  build:',
        '    cmd: make',
        '    outs:',
        '      - path: build/ckpt',
        `        hash: ${'b'.repeat(64)}`,
        '        size: 1',
        '        persist: true',
        '      - path: build/x',
        `        hash: ${'a'.repeat(64)}`,
        '        size: 1',
        '        cache: false',
        '',
      ].join('\n'),
    );
    const back = parseLock(text);
    expect(back.ok && back.value).toEqual(lock);
  });

  it('reads a schema-1 lock with persist unknown, and writes it back as schema 1 byte for byte', () => {
    const old = ['schema: 1', 'stages:', '  build:', '    cmd: make', '    outs:', '      - path: build/ckpt', `        hash: ${'b'.repeat(64)}`, '        size: 1', ''].join('\n');
    const parsed = parseLock(old);
    expect(parsed.ok && parsed.value.stages.build!.outs[0]!.persist).toBeUndefined();
    expect(serializeLock(parsed.ok ? parsed.value : { stages: {} })).toBe(old);
  });

  it('refuses a schema it does not know', () => {
    const parsed = parseLock('schema: 3\nstages: {}\n');
    expect(!parsed.ok && parsed.error[0]!.message).toBe('pipeline.lock: unsupported schema 3 (this version reads 1 and 2)');
  });
});

describe('a schema-1 entry adopts the flags its stage declares when it is planned', () => {
  it('fills unknown persist flags from the stage, so the next write is schema 2', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'orchestrator-flags-'));
    try {
      writeFileSync(path.join(dir, 'pipeline.lock'), ['schema: 1', 'stages:', '  build:', '    cmd: make', '    outs:', '      - path: build/ckpt', `        hash: ${'b'.repeat(64)}`, '        size: 1', ''].join('\n'));
      const loaded = await LockStore.load(dir);
      if (!loaded.ok) throw new Error('lock did not load');
      const s = withFlags(stage('build', { outs: ['build/ckpt'] }), { 'build/ckpt': { persist: true } });
      expect(loaded.value.getAdoptingFlags(s)!.outs[0]!.persist).toBe(true);
      await loaded.value.save(new Set(['build']));
      const back = parseLock(readFileSync(path.join(dir, 'pipeline.lock'), 'utf8'));
      expect(back.ok && back.value.stages.build!.outs[0]!.persist).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
