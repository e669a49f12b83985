import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { cleanupProjects, createProject, waitFor, yamlLines } from '../integration/harness.js';
import { PARAMS, sweepProject, type ShowJson } from './fixtures.js';

afterEach(cleanupProjects);

const show = async (p: ReturnType<typeof sweepProject>, name: string): Promise<ShowJson> => JSON.parse((await p.runOk(['sweep', 'show', name, '--json'])).stdout) as ShowJson;

describe('sweep run', () => {
  it('expands a 3-axis sweep with derived params into the right variants and values', async () => {
    const p = sweepProject();
    const dry = JSON.parse((await p.runOk(['sweep', 'run', 'scaling', '--dry', '--json'])).stdout) as { variants: { id: string; params: Record<string, number> }[] };
    expect(dry.variants).toHaveLength(2 * 2 * 3);
    const byId = new Map(dry.variants.map((v) => [v.id, v.params]));
    expect(byId.get('num_heads=2,head_dim=16,bits=6')).toEqual({ 'model.num_heads': 2, head_dim: 16, 'model.bits': 6, 'model.emb_dim': 32, 'model.mlp_dim': 128 });
    expect(byId.get('num_heads=1,head_dim=8,bits=2')).toEqual({ 'model.num_heads': 1, head_dim: 8, 'model.bits': 2, 'model.emb_dim': 8, 'model.mlp_dim': 32 });
    for (const v of dry.variants) {
      expect(v.params['model.emb_dim']).toBe(v.params['model.num_heads']! * v.params.head_dim!);
      expect(v.params['model.mlp_dim']).toBe(v.params['model.emb_dim']! * 4);
    }
    expect(p.exists('.orchestrator/sweeps')).toBe(false);

    await p.runOk(['sweep', 'run', 'scaling', '-j', '4']);
    // Each variant's params file has its values, with the main file's comments and alignment.
    const variantParams = p.read('.orchestrator/sweeps/scaling/num_heads=2,head_dim=16,bits=6/params.yaml');
    expect(variantParams).toBe(
      yamlLines('# model size', 'model:', '  num_heads: 2      # attention heads', '  emb_dim: 32', '  mlp_dim: 128', '  bits: 6          # weight bits', 'seed: 7', 'head_dim: 16'),
    );
    const small = parseYaml(p.read('.orchestrator/sweeps/scaling/num_heads=1,head_dim=8,bits=2/params.yaml')) as { model: Record<string, number> };
    expect(small.model).toEqual({ num_heads: 1, emb_dim: 8, mlp_dim: 32, bits: 2 });
    // The main workspace is untouched.
    expect(p.read('params.yaml')).toBe(PARAMS);
    expect(p.exists('pipeline.lock')).toBe(false);
    const s = await show(p, 'scaling');
    expect(s.variants.every((v) => v.status === 'succeeded')).toBe(true);
    expect(s.variants.find((v) => v.id === 'num_heads=2,head_dim=16,bits=6')!.metrics).toEqual({ lut: 192, 'resources.ff': 128, 'resources.bram': 6 });
  });

  it('runs a stage that depends only on a shared param once for the whole sweep, and each distinct stage once', async () => {
    const p = sweepProject();
    await p.runOk(['sweep', 'run', 'scaling', '-j', '4']);
    // 12 variants; prep is the same everywhere; train differs by (heads, emb, mlp): 4 combos; eval by all: 12.
    expect(p.counts('prep', 'train', 'eval')).toEqual({ prep: 1, train: 4, eval: 12 });
    // Inputs are linked, not copied; outputs and state are the variant's own.
    const v = '.orchestrator/sweeps/scaling/num_heads=1,head_dim=8,bits=2';
    expect(p.read(`${v}/input.txt`)).toBe('data\n');
    expect(p.exists(`${v}/pipeline.lock`)).toBe(true);
    expect(p.exists(`${v}/.orchestrator/cache`)).toBe(false);

    // Rerunning the same command: everything is up to date, nothing runs.
    const again = await p.runOk(['sweep', 'run', 'scaling', '-j', '4']);
    expect(p.counts('prep', 'train', 'eval')).toEqual({ prep: 1, train: 4, eval: 12 });
    expect(again.stdout).toContain('12 succeeded');
    // A plain repro in the main workspace restores from the shared cache instead of running.
    await p.runOk(['repro']);
    expect(p.counts('prep', 'train', 'eval')).toEqual({ prep: 1, train: 4, eval: 12 });
  });

  it('runs an ad hoc sweep: the cartesian product of -S axes, with range and choice syntax', async () => {
    const p = sweepProject();
    const dry = JSON.parse((await p.runOk(['sweep', 'run', '-S', 'model.bits=choice(2,8)', '-S', 'model.emb_dim=range(16,49,16)', '--dry', '--json'])).stdout) as { sweep: string; variants: { id: string }[] };
    expect(dry.variants.map((v) => v.id)).toEqual(['bits=2,emb_dim=16', 'bits=2,emb_dim=32', 'bits=2,emb_dim=48', 'bits=8,emb_dim=16', 'bits=8,emb_dim=32', 'bits=8,emb_dim=48']);
    const r = await p.runOk(['sweep', 'run', '-S', 'model.bits=2,8', '-S', 'model.emb_dim=range(16,49,16)', '-j', '2']);
    expect(r.stdout).toContain('6 succeeded');
    expect(p.counts('prep', 'train', 'eval')).toEqual({ prep: 1, train: 3, eval: 6 });
    // The same -S axes name the same sweep: rerunning resumes it.
    const list = JSON.parse((await p.runOk(['sweep', 'list', '--json'])).stdout) as { sweeps: { name: string; variants: number }[] };
    expect(list.sweeps).toEqual([
      expect.objectContaining({ name: 'scaling', declared: true, run: false }),
      expect.objectContaining({ name: dry.sweep, declared: false, run: true, variants: 6, succeeded: 6 }),
    ]);
    // Typos in keys are errors, not silently new params.
    const bad = await p.run(['sweep', 'run', '-S', 'model.bitz=2,4']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('param "model.bitz" not found in params.yaml (did you mean "model.bits"?)');
  });

  it('interrupted with variants running (SIGINT), a rerun finishes only the rest', async () => {
    const p = createProject({ 'params.yaml': yamlLines('x: 0', 'seed: 1') });
    p.write(
      'pipeline.yaml',
      yamlLines(
        'stages:',
        '  work:',
        // Variants x=1,2 finish at once; x=3,4 wait for the test's "go" file.
        `    cmd: echo x >> ${p.dir}/.runs/work_\${x} && ( [ \${x} -le 2 ] || while [ ! -f ${p.dir}/go ]; do sleep 0.05; done ) && echo \${x} > out.txt`,
        '    params: [x]',
        '    outs: [out.txt]',
        '  after:',
        `    cmd: echo x >> ${p.dir}/.runs/after_\${x} && cat out.txt > after.txt`,
        '    deps: [out.txt]',
        '    outs: [after.txt]',
        'sweeps:',
        '  s:',
        '    axes: {x: [1, 2, 3, 4]}',
      ),
    );
    const bg = p.start(['sweep', 'run', 's', '-j', '4']);
    await waitFor(() => p.runs('after_1') === 1 && p.runs('after_2') === 1 && p.runs('work_3') === 1 && p.runs('work_4') === 1, 'x=1,2 done and x=3,4 running');
    await waitFor(() => bg.stdout().includes('[2/4]'), 'the finished variants recorded');
    bg.child.kill('SIGINT');
    const r = await bg.result;
    expect(r.code).toBe(130);
    const s1 = await show(p, 's');
    expect(Object.fromEntries(s1.variants.map((v) => [v.id, v.status]))).toEqual({ 'x=1': 'succeeded', 'x=2': 'succeeded', 'x=3': 'interrupted', 'x=4': 'interrupted' });

    p.write('go', '');
    await p.runOk(['sweep', 'run', 's', '-j', '4']);
    expect(p.counts('work_1', 'work_2', 'work_3', 'work_4', 'after_1', 'after_2', 'after_3', 'after_4')).toEqual({
      work_1: 1,
      work_2: 1,
      work_3: 2,
      work_4: 2,
      after_1: 1,
      after_2: 1,
      after_3: 1,
      after_4: 1,
    });
    expect((await show(p, 's')).variants.every((v) => v.status === 'succeeded')).toBe(true);
  });

  it('a failing variant does not stop the others and shows as failed with its error and log', async () => {
    const p = createProject({ 'params.yaml': yamlLines('x: 0') });
    p.write(
      'pipeline.yaml',
      yamlLines(
        'stages:',
        '  build:',
        `    cmd: echo x >> ${p.dir}/.runs/build_\${x} && ( [ \${x} -ne 2 ] || (echo "x=2 is not synthesizable" >&2; exit 3) ) && echo \${x} > out.txt`,
        '    params: [x]',
        '    outs: [out.txt]',
        '  report:',
        `    cmd: 'echo x >> ${p.dir}/.runs/report_\${x} && echo "value: \${x}" > m.yaml'`,
        '    deps: [out.txt]',
        '    metrics: [m.yaml]',
        'sweeps:',
        '  s:',
        '    variants: [{x: 1}, {x: 2}, {x: 3}]',
      ),
    );
    // -j 1: with one slot, x=2 fails before x=3 starts, and x=3 still runs.
    const r = await p.run(['sweep', 'run', 's', '-j', '1']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('2 succeeded, 1 failed');
    expect(p.counts('build_1', 'build_2', 'build_3', 'report_1', 'report_2', 'report_3')).toEqual({ build_1: 1, build_2: 1, build_3: 1, report_1: 1, report_2: 0, report_3: 1 });
    const s = await show(p, 's');
    const failed = s.variants.find((v) => v.id === 'x=2')!;
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({ stage: 'build', message: 'exited with code 3' });
    expect(p.read(failed.error!.log!)).toContain('x=2 is not synthesizable');
    expect(failed.stages).toEqual({ build: 'failed', report: 'not run' });
    expect(s.variants.filter((v) => v.status === 'succeeded').map((v) => v.metrics)).toEqual([{ value: 1 }, { value: 3 }]);
    const text = (await p.runOk(['sweep', 'show', 's'])).stdout;
    expect(text).toMatch(/x=2 +2 +failed/);
    expect(text).toContain('x=2: failed: build: exit 3: x=2 is not synthesizable, log: .orchestrator/sweeps/s/x=2/.orchestrator/logs/');
    expect(failed.error).toMatchObject({ exitCode: 3, lastLine: 'x=2 is not synthesizable' });
    // csv carries the reason as a column.
    const csv = (await p.runOk(['sweep', 'show', 's', '--csv', '--only', 'x', 'error'])).stdout.trim().split('\n');
    expect(csv).toContain('x=2,2,build: exit 3: x=2 is not synthesizable');
  });
});
