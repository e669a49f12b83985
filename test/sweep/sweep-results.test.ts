import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProjects, yamlLines } from '../integration/harness.js';
import { sweepProject, type ShowJson } from './fixtures.js';

afterEach(cleanupProjects);

const git = (dir: string, ...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: dir, stdio: 'pipe' }).toString();

/** Two heads x two bits: 4 variants. */
const SMALL = ['sweeps:', '  small:', '    axes:', '      model.num_heads: [1, 2]', '      model.bits: [2, 4]', '    derived:', '      model.emb_dim: ${model.num_heads * 16}'];

describe('sweep show', () => {
  it('prints one row per variant as text, JSON, CSV and Markdown, sorted and filtered', async () => {
    const p = sweepProject(SMALL);
    await p.runOk(['sweep', 'run', 'small', '-j', '2']);

    const text = (await p.runOk(['sweep', 'show', 'small'])).stdout.split('\n');
    expect(text[0]).toMatch(/^variant +model\.num_heads +model\.bits +model\.emb_dim +status +duration +lut +resources\.ff +resources\.bram$/);
    expect(text[1]).toMatch(/^num_heads=1,bits=2 +1 +2 +16 +succeeded +\d+(\.\d+)?s +32 +128 +2$/);
    expect(text.filter((l) => l.includes('succeeded'))).toHaveLength(4);

    const json = JSON.parse((await p.runOk(['sweep', 'show', 'small', '--json'])).stdout) as ShowJson;
    expect(json.columns).toEqual(['variant', 'model.num_heads', 'model.bits', 'model.emb_dim', 'status', 'duration', 'lut', 'resources.ff', 'resources.bram']);
    expect(json.rows[3]).toMatchObject({ variant: 'num_heads=2,bits=4', 'model.num_heads': 2, 'model.bits': 4, 'model.emb_dim': 32, status: 'succeeded', lut: 128, 'resources.ff': 128, 'resources.bram': 4 });
    expect(json.variants[3]).toMatchObject({ id: 'num_heads=2,bits=4', params: { 'model.num_heads': 2, 'model.bits': 4 }, derived: { 'model.emb_dim': 32 }, stages: { prep: expect.any(String), train: expect.any(String), eval: 'ran' } });

    const csv = (await p.runOk(['sweep', 'show', 'small', '--csv', '--only', 'model.bits', 'lut', '--sort-by', 'lut', '--desc'])).stdout;
    expect(csv).toBe(['variant,model.bits,lut', '"num_heads=2,bits=4",4,128', '"num_heads=1,bits=4",4,64', '"num_heads=2,bits=2",2,64', '"num_heads=1,bits=2",2,32', ''].join('\n'));

    const md = (await p.runOk(['sweep', 'show', 'small', '--md', '--only', 'model.emb_dim', 'resources', '--sort-by', 'model.emb_dim'])).stdout;
    expect(md).toBe(
      [
        '| variant | model.emb_dim | resources.ff | resources.bram |',
        '| --- | ---: | ---: | ---: |',
        '| num_heads=1,bits=2 | 16 | 128 | 2 |',
        '| num_heads=1,bits=4 | 16 | 128 | 4 |',
        '| num_heads=2,bits=2 | 32 | 128 | 2 |',
        '| num_heads=2,bits=4 | 32 | 128 | 4 |',
        '',
      ].join('\n'),
    );

    // No name: the sweep run last. Unknown columns are usage errors with a suggestion.
    expect((await p.runOk(['sweep', 'show', '--json'])).stdout).toBe((await p.runOk(['sweep', 'show', 'small', '--json'])).stdout);
    const bad = await p.run(['sweep', 'show', 'small', '--sort-by', 'lutt']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('has no column "lutt" (did you mean "lut"?)');
  });

  it('sweep list and sweep rm', async () => {
    const p = sweepProject(SMALL);
    await p.runOk(['sweep', 'run', 'small', '-j', '2']);
    const listed = (await p.runOk(['sweep', 'list'])).stdout;
    expect(listed).toMatch(/^small +pipeline\.yaml +4 +4 +0 +0 /m);
    await p.runOk(['sweep', 'rm', 'small']);
    expect(p.exists('.orchestrator/sweeps/small')).toBe(false);
    expect((await p.run(['sweep', 'show', 'small'])).code).toBe(2);
  });
});

describe('sweep apply', () => {
  it("puts a variant's params and outputs into the main workspace, and status is clean", async () => {
    const p = sweepProject(SMALL);
    await p.runOk(['repro']);
    await p.runOk(['sweep', 'run', 'small', '-j', '2']);
    const before = p.counts('prep', 'train', 'eval');
    const r = await p.runOk(['sweep', 'apply', 'small', 'num_heads=2,bits=2']);
    expect(r.stdout).toContain('3 stages restored from the cache');
    // Only the values changed; comments and alignment stay.
    expect(p.read('params.yaml')).toBe(yamlLines('# model size', 'model:', '  num_heads: 2      # attention heads', '  emb_dim: 32', '  mlp_dim: 128', '  bits: 2          # weight bits', 'seed: 7'));
    const v = '.orchestrator/sweeps/small/num_heads=2,bits=2';
    for (const f of ['prep.txt', 'train.txt', 'metrics.yaml']) expect(p.read(f)).toBe(p.read(`${v}/${f}`));
    expect(p.read('metrics.yaml')).toContain('lut: 64');
    const status = JSON.parse((await p.runOk(['status', '--json'])).stdout) as { upToDate: boolean };
    expect(status.upToDate).toBe(true);
    await p.runOk(['repro']);
    expect(p.counts('prep', 'train', 'eval')).toEqual(before);
  });
});

describe('params and metrics diff', () => {
  it('compares the workspace with git HEAD, and two sweep variants', async () => {
    const p = sweepProject(SMALL);
    p.write('.gitignore', '.orchestrator/\n.runs/\n');
    await p.runOk(['repro']);
    git(p.dir, 'init', '-q');
    git(p.dir, 'add', '-A');
    git(p.dir, 'commit', '-q', '-m', 'baseline');

    expect((await p.runOk(['params', 'diff'])).stdout).toBe('No params changed between HEAD and workspace.\n');
    // repro -S writes the value (keeping comments) and runs.
    await p.runOk(['repro', '-S', 'model.bits=8', '-S', 'seed=9']);
    expect(p.read('params.yaml')).toContain('  bits: 8          # weight bits');

    const params = JSON.parse((await p.runOk(['params', 'diff', '--json'])).stdout) as unknown;
    // DVC's documents (issue 15): no wrapper object around them.
    expect(params).toEqual({ 'params.yaml': { 'model.bits': { old: 4, new: 8, diff: 4 }, seed: { old: 7, new: 9, diff: 2 } } });
    const text = (await p.runOk(['params', 'diff'])).stdout;
    expect(text.split('\n')).toEqual([expect.stringMatching(/^Path +Param +HEAD +workspace$/), expect.stringMatching(/^params\.yaml +model\.bits +4 +8$/), expect.stringMatching(/^params\.yaml +seed +7 +9$/), '']);

    const metrics = JSON.parse((await p.runOk(['metrics', 'diff', '--json'])).stdout) as unknown;
    expect(metrics).toEqual({ 'metrics.yaml': { lut: { old: 128, new: 256, diff: 128 }, 'resources.bram': { old: 4, new: 8, diff: 4 } } });
    const shown = JSON.parse((await p.runOk(['metrics', 'show', '--json'])).stdout) as unknown;
    expect(shown).toEqual({ workspace: { data: { 'metrics.yaml': { data: { lut: 256, resources: { ff: 128, bram: 8 } } } } } });
    expect((await p.runOk(['metrics', 'show', 'HEAD'])).stdout).toMatch(/^metrics\.yaml +lut +128$/m);

    await p.runOk(['sweep', 'run', 'small', '-j', '2']);
    const between = JSON.parse((await p.runOk(['metrics', 'diff', 'small/num_heads=1,bits=2', 'small/num_heads=2,bits=4', '--json'])).stdout) as unknown;
    expect(between).toEqual({ 'metrics.yaml': { lut: { old: 32, new: 128, diff: 96 }, 'resources.bram': { old: 2, new: 4, diff: 2 } } });
    const paramsBetween = (await p.runOk(['params', 'diff', 'small/num_heads=1,bits=2', 'small/num_heads=2,bits=4'])).stdout;
    expect(paramsBetween).toMatch(/^params\.yaml +model\.bits +2 +4$/m);
    expect(paramsBetween).toMatch(/^params\.yaml +model\.emb_dim +16 +32$/m);
    expect(paramsBetween).toMatch(/^params\.yaml +model\.num_heads +1 +2$/m);

    const unknown = await p.run(['params', 'diff', 'nosuchrev']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('"nosuchrev" is neither a git revision nor SWEEP/VARIANT');
  });

  it('outside a git repository, says so and suggests comparing variants', async () => {
    const p = sweepProject(SMALL);
    const r = await p.run(['params', 'diff']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not a git repository');
  });
});

describe('sweeps in pipeline.yaml: errors point at the source', () => {
  it('a bad range and a key missing from params.yaml', async () => {
    const p = sweepProject(['sweeps:', '  s:', '    axes:', '      model.bits: range(2, x)', '      model.headz: [1, 2]']);
    const r = await p.run(['sweep', 'run', 's']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('pipeline.yaml:20:25: error: sweep "s", axis model.bits: "range(2, x)": argument 2 of range ("x") is not a number');
    const missing = sweepProject(['sweeps:', '  s:', '    axes:', '      model.headz: [1, 2]']);
    const m = await missing.run(['sweep', 'run', 's']);
    expect(m.code).toBe(2);
    expect(m.stderr).toContain('pipeline.yaml:20:7: error: sweep "s": param "model.headz" not found in params.yaml (write +model.headz to add it)');
    // Shape errors come from the pipeline loader for every command, positioned too.
    const shape = sweepProject(['sweeps:', '  s:', '    axis: {x: [1]}']);
    const s = await shape.run(['status']);
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/pipeline\.yaml:19:5: error: unknown key "axis" in "sweeps\.s" \(did you mean "axes"\?\)/);
  });
});
