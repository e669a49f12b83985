import { describe, expect, test } from 'vitest';
import { parseLock, serializeLock } from '../../src/lock/lock-format.js';
import type { LockEntry, LockedOut } from '../../src/lock/lock-types.js';
import { canonicalize } from '../../src/util/canonical-json.js';
import { seeded } from './seeded.js';

// pipeline.lock is written by the `yaml` library alone (pinned to an exact version): the bytes must
// not depend on the order stages, paths or keys arrive in, must read back as the same lock, and must
// stay what earlier versions wrote (a `yaml` upgrade that changes them fails the golden test).

/** What parseLock gives back for an entry: paths sorted, env and params canonical. */
function normalized(e: LockEntry): LockEntry {
  const byPath = <T extends { path: string }>(xs: T[]) => [...xs].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    cmd: e.cmd,
    wdir: e.wdir,
    env: canonicalize(e.env),
    environment: e.environment,
    deps: byPath(e.deps),
    params: Object.fromEntries(Object.keys(e.params).sort().map((f) => [f, canonicalize(e.params[f]!)])),
    outs: byPath(e.outs),
  };
}


/** Random lock entries: mostly ordinary text, with a nasty alphabet and look-alike words mixed in. */
function generator(seed: number) {
  const random = seeded(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const ordinary = 'abcxyzABC0123456789_./-=+,()$'.split('');
  const nasty = [' ', ' ', ':', '#', '-', '?', ',', '[', ']', '{', '}', '"', "'", '\\', '\n', '\t', '\r', '&', '*', '!', '|', '>', '%', '@', '`', '~', '\u0000', '\u0007', '\u001b', '\u007f', '\u0085', '\u00a0', '\u2028', '\ufeff', 'é', '☃', '😀', '\ud800'];
  const words = ['null', 'Null', '~', 'true', 'False', 'yes', 'no', 'on', '1', '-1', '+1', '007', '0x1F', '0o17', '0b11', '1e3', '1.5', '.5', '1.', '.inf', '-.Inf', '.nan', '1_000', '12:30', '2001-12-14', '', ' ', '-', '?', ':', '---', '...', '--- x', '...x', 'a: b', 'a #b', 'a#b', 'x:', ' lead', 'trail ', '<<', '${item}', 'python train.py --lr 0.1', 'cat root.txt > s1.txt', 'sh -c "a && b"', "it's", '@at', '- dash', '? q', 'a'.repeat(1100)];
  // Half the entries use only ordinary text, so the hand-written path sees nested params too.
  let ordinaryOnly = false;
  const text = (): string => {
    if (ordinaryOnly) {
      let s = pick(['a', 'b', 'model', 'lr', 'x', 'Z']);
      for (let n = Math.floor(random() * 10); n > 0; n--) s += pick(ordinary);
      return s;
    }
    const r = random();
    if (r < 0.25) return pick(words);
    const alphabet = r < 0.7 ? ordinary : [...ordinary, ...nasty];
    let s = '';
    for (let n = 1 + Math.floor(random() * 12); n > 0; n--) s += pick(alphabet);
    return s;
  };
  const number = (): number => {
    const r = random();
    if (r < 0.5) return Math.floor(random() * 100000);
    if (r < 0.8) return (random() - 0.5) * 10 ** Math.floor(random() * 50 - 25);
    return pick([0, -0, NaN, Infinity, -Infinity, 1e21, 5e-324, Number.MAX_SAFE_INTEGER + 2, -7]);
  };
  const paramValue = (depth: number): unknown => {
    const r = random();
    if (depth > 3 || r < 0.55) {
      const k = random();
      return k < 0.45 ? text() : k < 0.75 ? number() : pick([true, false, null]);
    }
    if (r < 0.78) return Array.from({ length: Math.floor(random() * 4) }, () => paramValue(depth + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, () => [text(), paramValue(depth + 1)]));
  };
  const locked = (): LockedOut => {
    const p: LockedOut = { path: text(), hash: random() < 0.9 ? 'f'.repeat(64) : `${'0'.repeat(64)}.dir`, size: Math.floor(random() * 1e9) };
    if (random() < 0.2) p.nfiles = Math.floor(random() * 1000);
    if (random() < 0.2) p.cache = false;
    return p;
  };
  const entry = (): LockEntry => {
    ordinaryOnly = random() < 0.5;
    return anyEntry();
  };
  const anyEntry = (): LockEntry => ({
    cmd: Array.from({ length: random() < 0.7 ? 1 : Math.floor(random() * 4) }, text),
    wdir: random() < 0.7 ? '.' : text(),
    env: random() < 0.6 ? {} : Object.fromEntries(Array.from({ length: 1 + Math.floor(random() * 3) }, () => [text(), text()])),
    environment: random() < 0.7 ? 'host' : random() < 0.5 ? `sha256:${'a'.repeat(64)}` : text(),
    deps: Array.from({ length: Math.floor(random() * 4) }, locked),
    params: random() < 0.4 ? {} : Object.fromEntries(Array.from({ length: 1 + Math.floor(random() * 2) }, () => [text(), paramValue(0) as Record<string, unknown>])),
    outs: Array.from({ length: Math.floor(random() * 3) }, locked),
  });
  return { entry, text, random };
}

/** Params files must map to mappings (parseLock drops others); wrap generated non-mappings. */
function withMappingParams(e: LockEntry): LockEntry {
  const params: Record<string, Record<string, unknown>> = {};
  for (const [file, value] of Object.entries(e.params)) {
    params[file] = typeof value === 'object' && value !== null && !Array.isArray(value) ? value : { value };
  }
  return { ...e, params };
}

/** The same entry with stages, paths, env, params files and params keys in another order. */
function reordered(e: LockEntry, random: () => number): LockEntry {
  const shuffle = <T>(xs: readonly T[]): T[] => {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  };
  const shuffled = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(shuffled); // list order is data
    if (typeof value !== 'object' || value === null) return value;
    return Object.fromEntries(shuffle(Object.entries(value)).map(([k, v]) => [k, shuffled(v)]));
  };
  return {
    ...e,
    env: shuffled(e.env) as Record<string, string>,
    deps: shuffle(e.deps),
    outs: shuffle(e.outs),
    params: shuffled(e.params) as Record<string, Record<string, unknown>>,
  };
}

describe('lock writing', () => {
  test('the bytes do not depend on the order stages, paths and keys were added in', () => {
    const { entry, text, random } = generator(1);
    for (let i = 0; i < 300; i++) {
      const stages: [string, LockEntry][] = [];
      // A stage declares a path once (the resolver refuses duplicates), so each path appears once here.
      const onePerPath = <T extends { path: string }>(xs: T[]) => [...new Map(xs.map((x) => [x.path, x])).values()];
      for (let n = 1 + Math.floor(random() * 6); n > 0; n--) {
        const e = entry();
        stages.push([text(), { ...e, deps: onePerPath(e.deps), outs: onePerPath(e.outs) }]);
      }
      const first = serializeLock({ stages: Object.fromEntries(stages) });
      const second = serializeLock({ stages: Object.fromEntries([...stages].reverse().map(([n, e]) => [n, reordered(e, random)])) });
      expect(second, first).toBe(first);
    }
  });

  test('an ordinary lock is written exactly as earlier versions wrote it', () => {
    const s1: LockEntry = {
      cmd: ['cat root.txt > s1.txt'],
      wdir: 'sub/dir',
      env: { THREADS: '8x', MODE: 'fast' },
      environment: 'sha256:0123abcd',
      deps: [{ path: 'root.txt', hash: 'a'.repeat(64), size: 5 }, { path: 'data', hash: `${'b'.repeat(64)}.dir`, size: 300, nfiles: 3 }],
      params: { 'params.yaml': { 'model.heads': 4, lr: 0.001, name: 'resnet-50', flags: [true, null, -0, 1e21], nested: { a: [], b: {}, c: [[1, 2], { x: 'y' }] } } },
      outs: [{ path: 's1.txt', hash: 'c'.repeat(64), size: 5, cache: false }],
    };
    const odd: LockEntry = { cmd: ['echo "a: b" # x', 'true'], wdir: '.', env: {}, environment: 'host', deps: [], params: { 'p.yaml': { s: '012', t: 'yes', u: 'é' } }, outs: [] };
    const a = 'a'.repeat(64);
    const b = 'b'.repeat(64);
    const c = 'c'.repeat(64);
    expect(serializeLock({ stages: { s1, 'odd stage': odd } })).toBe(
      [
        'schema: 1',
        'stages:',
        '  odd stage:',
        '    cmd:',
        `      - 'echo "a: b" # x'`,
        '      - "true"',
        '    params:',
        '      p.yaml:',
        '        s: "012"',
        '        t: yes',
        '        u: é',
        '  s1:',
        '    cmd: cat root.txt > s1.txt',
        '    wdir: sub/dir',
        '    env:',
        '      MODE: fast',
        '      THREADS: 8x',
        '    environment: sha256:0123abcd',
        '    deps:',
        '      - path: data',
        `        hash: ${b}.dir`,
        '        size: 300',
        '        nfiles: 3',
        '      - path: root.txt',
        `        hash: ${a}`,
        '        size: 5',
        '    params:',
        '      params.yaml:',
        '        flags:',
        '          - true',
        '          - null',
        '          - -0',
        '          - 1e+21',
        '        lr: 0.001',
        '        model.heads: 4',
        '        name: resnet-50',
        '        nested:',
        '          a: []',
        '          b: {}',
        '          c:',
        '            - - 1',
        '              - 2',
        '            - x: y',
        '    outs:',
        '      - path: s1.txt',
        `        hash: ${c}`,
        '        size: 5',
        '        cache: false',
        '',
      ].join('\n'),
    );
  });
});

describe('lock reading', () => {
  test('parseLock(serializeLock(x)) gives x back, normalized, for random locks', () => {
    const { entry, text, random } = generator(2);
    for (let i = 0; i < 300; i++) {
      const stages: Record<string, LockEntry> = {};
      for (let n = 1 + Math.floor(random() * 5); n > 0; n--) stages[text()] = withMappingParams(entry());
      const written = serializeLock({ stages });
      const parsed = parseLock(written);
      if (!parsed.ok) return expect.fail(`${JSON.stringify(written)}: ${parsed.error[0]?.message}`);
      expect(parsed.value.stages, written).toStrictEqual(Object.fromEntries(Object.entries(stages).map(([n, e]) => [n, normalized(e)])));
    }
  });

  test('a malformed lock is reported with a position', () => {
    const parsed = parseLock('schema: 1\nstages:\n  s:\n    cmd: x\n    cmd: y\n');
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error[0]).toMatchObject({ code: 'yaml-syntax', span: { file: 'pipeline.lock', line: 5, col: 5 } });
    expect(parseLock('~\n')).toMatchObject({ ok: false, error: [{ code: 'invalid-type' }] });
    expect(parseLock('')).toEqual({ ok: true, value: { stages: {} } });
  });
});
