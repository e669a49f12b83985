import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseLock, serializeLock } from '../../src/lock/lock-format.js';
import type { LockEntry } from '../../src/lock/lock-types.js';

const entry = (over: Partial<LockEntry> = {}): LockEntry => ({
  cmd: ['python train.py'],
  wdir: '.',
  env: {},
  environment: 'host',
  deps: [
    { path: 'z.py', hash: 'a'.repeat(64), size: 10 },
    { path: 'data', hash: `${'b'.repeat(64)}.dir`, size: 300, nfiles: 3 },
  ],
  params: { 'params.yaml': { 'model.heads': 4, lr: 0.1 } },
  outs: [{ path: 'model.pt', hash: 'c'.repeat(64), size: 5 }],
  ...over,
});

describe('lock format', () => {
  it('is independent of stage, dep and param order', () => {
    const a = serializeLock({ stages: { train: entry(), prep: entry({ cmd: ['a', 'b'] }) } });
    const reordered = entry();
    reordered.deps.reverse();
    reordered.params = { 'params.yaml': { lr: 0.1, 'model.heads': 4 } };
    const b = serializeLock({ stages: { prep: entry({ cmd: ['a', 'b'] }), train: reordered } });
    expect(b).toBe(a);
    expect(a.indexOf('prep:')).toBeLessThan(a.indexOf('train:'));
    expect(a.indexOf('path: data')).toBeLessThan(a.indexOf('path: z.py'));
  });

  it('round-trips, keeping list commands, dirs, uncached and executable outs', () => {
    const lock = {
      stages: {
        s: entry({ cmd: ['a', 'b'], wdir: 'sub', env: { K: 'v' }, environment: 'sha256:1', outs: [{ path: 'm', hash: 'd'.repeat(64), size: 1, cache: false }, { path: 'run.sh', hash: 'e'.repeat(64), size: 2, isexec: true as const }] }),
      },
    };
    const parsed = parseLock(serializeLock(lock));
    expect(parsed.ok && parsed.value.stages.s).toEqual({ ...lock.stages.s, deps: [...lock.stages.s.deps].sort((x, y) => x.path.localeCompare(y.path)) });
  });

  it('records tool versions sorted by name after the environment, and reads them back; no tools, no field', () => {
    const tools = { vivado: { version: 'Vivado v2022.2 (64-bit)', hash: 'e'.repeat(64) }, finn: { version: '0.10.1', hash: 'f'.repeat(64) } };
    const text = serializeLock({ stages: { s: entry({ environment: 'sha256:1', tools }) } });
    expect(text).toContain(`    environment: sha256:1\n    tools:\n      finn:\n        version: 0.10.1\n        hash: ${'f'.repeat(64)}\n      vivado:\n        version: Vivado v2022.2 (64-bit)\n`);
    const parsed = parseLock(text);
    expect(parsed.ok && parsed.value.stages.s?.tools).toEqual(tools);
    expect(serializeLock({ stages: { s: entry() } })).not.toContain('tools');
    const plain = parseLock(serializeLock({ stages: { s: entry() } }));
    expect(plain.ok && 'tools' in plain.value.stages.s!).toBe(false);
  });

  it('reports malformed YAML with a position and a hint', () => {
    const parsed = parseLock('schema: 1\nstages:\n  s: [unclosed\n');
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error[0]!.span?.file).toBe('pipeline.lock');
    expect(parsed.error[0]!.hint).toMatch(/delete pipeline.lock/);
  });

  it('drops entries it cannot understand, so those stages rerun', () => {
    const parsed = parseLock('schema: 1\nstages:\n  good:\n    cmd: x\n  bad:\n    cmd: x\n    outs: [{path: 1}]\n');
    expect(parsed.ok && Object.keys(parsed.value.stages)).toEqual(['good']);
  });
});

describe('lock serialization by entry', () => {
  it('is byte-identical to stringifying the whole document, also with awkward strings, and reuses cached entries', async () => {
    const { stringify } = await import('yaml');
    const awkward = entry({
      cmd: ['python3 a.py --x "quoted: yes" # not a comment', 'multi\nline\n\ncommand with blank line', "it's", '@at-start', '- dash'],
      env: { 'A B': 'x: y', EMPTY: '' },
      params: { 'params.yaml': { 'model.heads': 4, nested: { list: [1, 'two', { three: 3 }] }, text: 'a\nb' } },
    });
    const lock = { stages: { 'sweep@a-b': awkward, 'z-last': entry(), 'a.first': entry({ cmd: ['x'] }) } };
    const cache = new Map();
    const text = serializeLock(lock, cache);
    expect(cache.size).toBe(3);
    // Reference: the straightforward whole-file rendering of the same ordered structure.
    const reference = stringify(
      { schema: 1, stages: Object.fromEntries(Object.keys(lock.stages).sort().map((n) => [n, yamlOf(serializeLock({ stages: { [n]: lock.stages[n as keyof typeof lock.stages] } }), n)])) },
      { lineWidth: 0, aliasDuplicateObjects: false },
    );
    expect(text).toBe(reference);
    expect(serializeLock(lock, cache)).toBe(text);
    const parsed = parseLock(text);
    expect(parsed.ok && parsed.value.stages['sweep@a-b']!.cmd).toEqual(awkward.cmd);
  });
});

/** The plain object a single-stage lock text holds for `name` (parsed back with the yaml library). */
function yamlOf(text: string, name: string): unknown {
  return (parseYaml(text) as { stages: Record<string, unknown> }).stages[name];
}
