import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { allOutput, cleanupProjects, createProject, STACK_FRAME, waitFor, yamlLines, type Project } from '../integration/harness.js';
import { sweepProject, type ShowJson } from './fixtures.js';

afterEach(cleanupProjects);

/** Every hash a variant's pipeline.lock records for its outputs. */
function variantOutHashes(p: Project, sweep: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const dir = `.orchestrator/sweeps/${sweep}`;
  for (const f of p.listFiles(dir).filter((f) => /^[^/]+\/pipeline\.lock$/.test(f))) {
    const lock = parseYaml(p.read(`${dir}/${f}`)) as { stages: Record<string, { outs?: { hash: string }[] }> };
    out.set(path.dirname(f), Object.values(lock.stages).flatMap((s) => (s.outs ?? []).map((o) => o.hash)));
  }
  return out;
}

const objectFile = (p: Project, hash: string) => p.abs(`.orchestrator/cache/objects/${hash.slice(0, 2)}/${hash.slice(2)}`);

interface GcJson {
  dry: boolean;
  removedObjects: string[];
  removed: { hash: string; size: number; paths: string[] }[];
  removedRuns: string[];
  kept: { keeper: { kind: string; sweep?: string; variants?: number }; objects: number; bytes: number; paths: { path: string; directory: boolean; versions: number; objects: number; bytes: number }[] }[];
}

// Issue 14: gc kept only the newest --keep-runs run-cache entries per stage name, and the 12 variants'
// `eval` runs share one name: 9 of them lost their outputs, while `sweep show` still said succeeded.
describe('gc and sweeps', () => {
  it('keeps everything every variant lock references; sweep apply still restores an early variant', async () => {
    const p = sweepProject();
    await p.runOk(['sweep', 'run', 'scaling', '-j', '2']);
    const before = variantOutHashes(p, 'scaling');
    expect(before.size).toBe(12);

    await p.runOk(['gc']);
    for (const [variant, hashes] of before) for (const h of hashes) expect(existsSync(objectFile(p, h)), `${variant}: ${h}`).toBe(true);
    const s = JSON.parse((await p.runOk(['sweep', 'show', 'scaling', '--json'])).stdout) as ShowJson;
    expect(s.variants.every((v) => v.status === 'succeeded')).toBe(true);

    // The first variant run is the one the run-cache trimming dropped first.
    const applied = await p.runOk(['sweep', 'apply', 'scaling', 'num_heads=1,head_dim=8,bits=2']);
    expect(applied.stdout).not.toMatch(/not restored/);
    expect(applied.stdout).toContain('3 stages restored from the cache');
    expect(p.read('metrics.yaml')).toBe('lut: 16\nresources:\n  ff: 32\n  bram: 2\n');
    const status = JSON.parse((await p.runOk(['status', '--json'])).stdout) as { upToDate: boolean };
    expect(status.upToDate).toBe(true);
  });

  it('gc --dry says per sweep what it keeps, by path and size, and what it would remove, by path and size', async () => {
    const p = sweepProject();
    await p.runOk(['sweep', 'run', 'scaling', '-j', '2']);
    // A main-workspace run (seed 8) that the next one (seed 9) replaces: with --keep-runs 0 its
    // prep.txt is garbage; the seed-7 runs stay, the variants' locks record them.
    p.write('params.yaml', p.read('params.yaml').replace('seed: 7', 'seed: 8'));
    await p.runOk(['repro']);
    p.write('params.yaml', p.read('params.yaml').replace('seed: 8', 'seed: 9'));
    await p.runOk(['repro']);

    const dry = await p.runOk(['gc', '--dry', '--keep-runs', '0']);
    const lines = dry.stdout.split('\n');
    const sweepAt = lines.findIndex((l) => l.startsWith('Kept for sweep scaling (12 variants): '));
    expect(lines[sweepAt]).toMatch(/: \d+ object\(s\), \d+(\.\d)? (B|KB)$/);
    // One line per output path, with how many versions the variants hold and their size.
    expect(lines.slice(sweepAt + 1, sweepAt + 4)).toEqual([
      expect.stringMatching(/^ {2}metrics\.yaml +9 versions, \d+ B$/),
      expect.stringMatching(/^ {2}prep\.txt +\d+ B$/),
      expect.stringMatching(/^ {2}train\.txt +4 versions, \d+ B$/),
    ]);
    expect(lines).toContainEqual(expect.stringMatching(/^Kept for pipeline\.lock: \d+ object\(s\)/));
    // The replaced main run's prep.txt (seed 7) is listed by its path and size, not as a bare hash.
    const removeAt = lines.indexOf('Would remove:');
    expect(removeAt).toBeGreaterThan(sweepAt);
    expect(lines.slice(removeAt + 1)).toContainEqual(expect.stringMatching(/^ {2}prep\.txt +\d+ B {2}[0-9a-f]{12}$/));
    expect(lines.some((l) => /^\s*[0-9a-f]{64}\s*$/.test(l))).toBe(false);
    expect(dry.stdout).toMatch(/Would remove [1-9]\d* object\(s\)/);

    const json = JSON.parse((await p.runOk(['gc', '--dry', '--keep-runs', '0', '--json'])).stdout) as GcJson;
    expect(json.dry).toBe(true);
    const sweepGroup = json.kept.find((g) => g.keeper.kind === 'sweep')!;
    expect(sweepGroup.keeper).toEqual({ kind: 'sweep', sweep: 'scaling', variants: 12 });
    expect(sweepGroup.paths.map((x) => [x.path, x.versions])).toEqual([
      ['metrics.yaml', 9],
      ['prep.txt', 1],
      ['train.txt', 4],
    ]);
    expect(sweepGroup.paths.every((x) => x.bytes > 0 && x.objects === x.versions && !x.directory)).toBe(true);
    expect(json.removed.find((o) => o.paths.includes('prep.txt'))).toMatchObject({ size: expect.any(Number) });
    expect(json.removedObjects.sort()).toEqual(json.removed.map((o) => o.hash).sort());

    // Nothing a variant needs is among them, and gc itself removes exactly those.
    const needed = new Set([...variantOutHashes(p, 'scaling').values()].flat());
    for (const h of json.removedObjects) expect(needed.has(h)).toBe(false);
    await p.runOk(['gc', '--keep-runs', '0']);
    for (const h of json.removedObjects) expect(existsSync(objectFile(p, h))).toBe(false);
    for (const h of needed) expect(existsSync(objectFile(p, h))).toBe(true);
  });

  it('gc refuses, removing nothing, when a variant lock cannot be read', async () => {
    const p = sweepProject();
    await p.runOk(['sweep', 'run', 'scaling', '-j', '2']);
    const objects = p.listFiles('.orchestrator/cache');
    p.write('.orchestrator/sweeps/scaling/num_heads=1,head_dim=8,bits=2/pipeline.lock', 'stages: [\n');
    const r = await p.run(['gc', '--keep-runs', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot read .*num_heads=1,head_dim=8,bits=2\/pipeline\.lock/);
    expect(r.stderr).toContain('gc removed nothing');
    expect(p.listFiles('.orchestrator/cache')).toEqual(objects);
  });
});

describe('a sweep holds the workspace lock', () => {
  /** One stage that waits, in every variant, for the test's `go` file. */
  function blockingProject(): Project {
    const p = createProject({ 'params.yaml': yamlLines('x: 0') });
    p.write(
      'pipeline.yaml',
      yamlLines(
        'stages:',
        '  work:',
        `    cmd: echo x >> ${p.dir}/.runs/work_\${x} && while [ ! -f ${p.dir}/go ]; do sleep 0.05; done && echo \${x} > out.txt`,
        '    params: [x]',
        '    outs: [out.txt]',
        'sweeps:',
        '  s:',
        '    axes: {x: [1, 2]}',
      ),
    );
    return p;
  }

  it('gc and repro in the main workspace wait for a running sweep (or fail with --no-wait)', async () => {
    const p = blockingProject();
    const sweep = p.start(['sweep', 'run', 's', '-j', '2']);
    let gc: ReturnType<Project['start']>;
    try {
      await waitFor(() => p.runs('work_1') === 1 && p.runs('work_2') === 1, 'both variants running');

      const busy = await p.run(['repro', '--no-wait'], { timeoutMs: 20_000 });
      expect(busy.code).toBe(2);
      expect(busy.stderr).toContain('another orchestrator');
      expect(busy.stderr).toContain(`pid ${sweep.child.pid}`);

      gc = p.start(['gc', '--keep-runs', '0']);
      await waitFor(() => gc.stderr().includes('waiting for it to finish'), 'gc waiting for the sweep');
      expect(p.runs('work_1')).toBe(1);
    } finally {
      // Whatever failed, the blocked stages end (nothing is left running after the test).
      p.write('go', '');
    }
    expect((await sweep.result).code).toBe(0);
    const collected = await gc.result;
    expect(collected.code, allOutput(collected)).toBe(0);

    // gc ran after the sweep had committed, and kept what its variants need.
    const applied = await p.runOk(['sweep', 'apply', 's', 'x=2']);
    expect(applied.stdout).not.toMatch(/not restored/);
    expect(p.read('out.txt')).toBe('2\n');
  });

  it('a lock that cannot be taken is reported in one line, exit 1, no internal error', async () => {
    const p = blockingProject();
    p.write('go', '');
    p.symlink('/nonexistent-orchestrator-target', '.orchestrator/sweeps/s/sweep.lock');
    const r = await p.run(['sweep', 'run', 's']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^orchestrator: error: cannot take the sweep lock .*sweep\.lock: /m);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.stderr).not.toMatch(STACK_FRAME);
    expect(p.runs('work_1')).toBe(0);

    p.remove('.orchestrator/sweeps/s/sweep.lock');
    p.symlink('/nonexistent-orchestrator-target', '.orchestrator/repro.lock');
    const ws = await p.run(['sweep', 'run', 's']);
    expect(ws.code).toBe(1);
    expect(ws.stderr).toMatch(/^orchestrator: error: cannot take the workspace lock .*repro\.lock: /m);
    expect(ws.stderr).not.toMatch(STACK_FRAME);
    expect(p.runs('work_1')).toBe(0);
  });
});
