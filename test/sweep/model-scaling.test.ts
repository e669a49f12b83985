import { mkdtempSync, readFileSync, rmSync, symlinkSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanupProjects, createProject, REPO_ROOT, type Project } from '../integration/harness.js';
import { exampleFiles, MODEL_SCALING_EXAMPLE as EXAMPLE } from './model-scaling-example.js';

/**
 * Issue 17's acceptance: the FINN-T "Model Scaling" study of examples/model-scaling (three grids,
 * stand-in build) run as a researcher would. The declaration is the example's own pipeline.yaml
 * with smaller ranges (same structure: three grids sharing one configuration, plus an explicit
 * variant repeating it with its keys in another order), so the test stays quick on 2 cores:
 * heads 1-2 x head_dim {16, 32}; seq_len {256, 512}; bits {2, 4}: 4 + 1 + 1 = 6 configurations.
 */

function reducedStudy(): Record<string, string> {
  const files = exampleFiles(EXAMPLE);
  const pipeline = files['pipeline.yaml']!;
  const reduced = pipeline
    .replace('"range(1, 13)", model.head_dim: [8, 16, 24, 32]', '"range(1, 3)", model.head_dim: [16, 32]')
    .replace('"range(32, 513, 32)"', '"range(256, 513, 256)"')
    .replace('"range(2, 9)"', '"range(2, 5, 2)"')
    .replace('    # The paper\'s column names.', '    variants:\n      - {model.bits: 2, model.seq_len: 512, model.head_dim: 32, model.num_heads: 1}\n    # The paper\'s column names.');
  expect(reduced).not.toBe(pipeline);
  expect(reduced).toContain('range(1, 3)');
  expect(reduced).toContain('variants:');
  return { ...files, 'pipeline.yaml': reduced };
}

const binDir = mkdtempSync(path.join(os.tmpdir(), 'orchestrator-bin-'));
symlinkSync(path.join(REPO_ROOT, 'bin', 'orchestrator.js'), path.join(binDir, 'orchestrator'));
afterAll(() => rmSync(binDir, { recursive: true, force: true }));
afterEach(cleanupProjects);

interface ShowDoc {
  columns: string[];
  columnInfo: { key: string; label: string; kind: string; numeric: boolean; unit?: string }[];
  rows: Record<string, unknown>[];
  variants: { id: string; status: string; grids: string[]; duration_s: number | null; stages: Record<string, string>; metrics: Record<string, unknown>; error?: { stage?: string; exitCode?: number; lastLine?: string; reason: string } }[];
}

describe('the FINN-T Model Scaling study (examples/model-scaling, stand-in build)', () => {
  it('runs the union of three grids once per configuration, stops at a stage, forces, applies and tabulates', async () => {
    const p: Project = createProject(reducedStudy());
    const runLog = path.join(p.dir, '..', `${path.basename(p.dir)}-runs.log`);
    const env = { PATH: `${binDir}:${process.env.PATH}`, STANDIN_RUN_LOG: runLog };
    // A safety net only: the shared 2-core machine can be very slow.
    const timeoutMs = 500_000;
    let seen = 0;
    /** Stand-in runs since the last call: stage -> configurations (JSON). */
    const newRuns = (): Record<string, string[]> => {
      const lines = existsSync(runLog) ? readFileSync(runLog, 'utf8').trim().split('\n').filter((l) => l !== '') : [];
      const fresh = lines.slice(seen);
      seen = lines.length;
      const by: Record<string, string[]> = {};
      for (const l of fresh) {
        const space = l.indexOf(' ');
        (by[l.slice(0, space)] ??= []).push(l.slice(space + 1));
      }
      return by;
    };
    const show = async (...args: string[]) => JSON.parse((await p.runOk(['sweep', 'show', 'scaling', '--json', ...args], 0, { env, timeoutMs })).stdout) as ShowDoc;

    // The union: 6 configurations; the one all three grids (and the explicit variant) contain is one variant.
    const dry = JSON.parse((await p.runOk(['sweep', 'run', 'scaling', '--dry', '--json'], 0, { env, timeoutMs })).stdout) as { variants: { id: string; grids: string[] }[] };
    expect(dry.variants.map((v) => v.id)).toEqual([
      'num_heads=1,head_dim=16,seq_len=512,bits=2',
      'num_heads=1,head_dim=32,seq_len=512,bits=2',
      'num_heads=2,head_dim=16,seq_len=512,bits=2',
      'num_heads=2,head_dim=32,seq_len=512,bits=2',
      'num_heads=1,head_dim=32,seq_len=256,bits=2',
      'num_heads=1,head_dim=32,seq_len=512,bits=4',
    ]);
    expect(dry.variants[1]!.grids).toEqual(['heads', 'seq_len', 'bits', 'variants']);

    // Estimates only: every variant up to hw, nothing of hls and after.
    const estimates = await p.runOk(['sweep', 'run', 'scaling', 'hw', '-j', '2'], 0, { env, timeoutMs });
    expect(estimates.stdout).toContain('6 succeeded');
    let runs = newRuns();
    expect(Object.keys(runs).sort()).toEqual(['export', 'hw', 'model', 'streamline']);
    for (const stage of ['model', 'export', 'streamline', 'hw']) expect(new Set(runs[stage]).size).toBe(6);
    for (const stage of ['model', 'export', 'streamline', 'hw']) expect(runs[stage]).toHaveLength(6);
    expect((await show()).variants[0]!.stages).toMatchObject({ hw: 'ran', hls: 'not selected', metrics: 'not selected' });

    // The whole study: each configuration's hls, bitstream and driver exactly once; estimates not again.
    await p.runOk(['sweep', 'run', 'scaling', '-j', '2'], 0, { env, timeoutMs });
    runs = newRuns();
    expect(Object.keys(runs).sort()).toEqual(['bitstream', 'driver', 'hls']);
    for (const stage of ['hls', 'bitstream', 'driver']) {
      expect(runs[stage]).toHaveLength(6);
      expect(new Set(runs[stage]).size).toBe(6);
    }
    const full = await show();
    expect(full.variants.every((v) => v.status === 'succeeded')).toBe(true);
    // The absolute-path stages ran at their canonical roots, which stay (their outputs name them).
    const driverPy = p.read('.orchestrator/sweeps/scaling/num_heads=2,head_dim=16,seq_len=512,bits=2/build/driver/driver/driver.py');
    const bitfileDir = /bitfile = "(.*)\/finn-accel.bit"/.exec(driverPy)![1]!;
    expect(bitfileDir.startsWith(p.abs('.orchestrator/stage-roots/bitstream-'))).toBe(true);
    expect(existsSync(path.join(bitfileDir, 'finn-accel.bit'))).toBe(true);

    // Rerun: nothing runs.
    await p.runOk(['sweep', 'run', 'scaling', '-j', '2'], 0, { env, timeoutMs });
    expect(newRuns()).toEqual({});

    // --force up to bitstream: each distinct configuration's stages once more; one synthesis fails.
    const forced = await p.run(['sweep', 'run', 'scaling', 'bitstream', '-f', '-j', '2'], { env: { ...env, STANDIN_FAIL: 'bitstream:2:32:512:2' }, timeoutMs });
    expect(forced.code).toBe(1);
    expect(forced.stdout).toContain('5 succeeded, 1 failed');
    runs = newRuns();
    for (const stage of ['model', 'export', 'streamline', 'hw', 'hls', 'bitstream']) {
      expect(runs[stage]).toHaveLength(6);
      expect(new Set(runs[stage]).size).toBe(6);
    }
    expect(runs.driver).toBeUndefined();
    const failed = (await show()).variants.find((v) => v.id === 'num_heads=2,head_dim=32,seq_len=512,bits=2')!;
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({ stage: 'bitstream', exitCode: 1, lastLine: 'ERROR: [Synth 8-5834] Design needs 20000 LUTs, more than the part has' });
    expect(failed.error!.reason).toBe('bitstream: exit 1: ERROR: [Synth 8-5834] Design needs 20000 LUTs, more than the part has');
    const text = (await p.runOk(['sweep', 'show', 'scaling'], 0, { env, timeoutMs })).stdout;
    expect(text).toContain('num_heads=2,head_dim=32,seq_len=512,bits=2: failed: bitstream: exit 1: ERROR: [Synth 8-5834] Design needs 20000 LUTs');
    // Without the injected failure the bitstream of that configuration is in the cache: restored, not run.
    await p.runOk(['sweep', 'run', 'scaling', '-j', '2'], 0, { env, timeoutMs });
    expect(newRuns()).toEqual({});

    // Tables: --where, --grid, --pivot, aliases, breakdown columns, numbers as numbers, several sort keys.
    const where = await show('--where', 'model.seq_len=512,model.bits=2');
    expect(where.variants.map((v) => v.id).sort()).toEqual(['num_heads=1,head_dim=16,seq_len=512,bits=2', 'num_heads=1,head_dim=32,seq_len=512,bits=2', 'num_heads=2,head_dim=16,seq_len=512,bits=2', 'num_heads=2,head_dim=32,seq_len=512,bits=2']);
    expect((await show('--grid', 'seq_len')).variants.map((v) => v.id)).toEqual(['num_heads=1,head_dim=32,seq_len=512,bits=2', 'num_heads=1,head_dim=32,seq_len=256,bits=2']);
    expect(full.columns).toEqual(expect.arrayContaining(['LUT', 'FF', 'BRAM', 'DSP', 'breakdown.MVAU.LUT', 'breakdown.ScaledDotProductAttention.LUT', 'duration']));
    expect(full.columns).not.toContain('post_synth.LUT');
    const info = (label: string) => full.columnInfo.find((c) => c.label === label)!;
    expect(info('LUT')).toMatchObject({ key: 'post_synth.LUT', numeric: true });
    expect(info('duration')).toMatchObject({ numeric: true, unit: 's' });
    for (const row of full.rows) {
      expect(typeof row.LUT).toBe('number');
      expect(typeof row['breakdown.MVAU.LUT']).toBe('number');
      expect(typeof row.duration).toBe('number');
    }
    // LUT is the sum of the per-layer-type breakdown (the stand-in's (top) row sums its layers).
    const types = ['MVAU', 'ScaledDotProductAttention', 'Thresholding', 'FIFO'];
    for (const row of full.rows) expect(types.reduce((s, t) => s + (row[`breakdown.${t}.LUT`] as number), 0)).toBe(row.LUT);

    const pivot = JSON.parse((await p.runOk(['sweep', 'show', 'scaling', '--grid', 'heads', '--pivot', 'num_heads', 'head_dim', 'LUT', '--json'], 0, { env, timeoutMs })).stdout) as { columnValues: unknown[]; rows: { key: unknown; values: unknown[] }[] };
    expect(pivot.columnValues).toEqual([16, 32]);
    expect(pivot.rows.map((r) => r.key)).toEqual([1, 2]);
    const lut = (id: string) => full.rows.find((r) => r.variant === id)!.LUT;
    expect(pivot.rows[1]!.values).toEqual([lut('num_heads=2,head_dim=16,seq_len=512,bits=2'), lut('num_heads=2,head_dim=32,seq_len=512,bits=2')]);
    const md = (await p.runOk(['sweep', 'show', 'scaling', '--grid', 'heads', '--pivot', 'num_heads', 'head_dim', 'LUT', '--md'], 0, { env, timeoutMs })).stdout.trim().split('\n');
    expect(md[0]).toBe('| model.num_heads \\ model.head_dim | model.head_dim=16 | model.head_dim=32 |');
    expect(md[1]).toBe('| ---: | ---: | ---: |');

    const csv = (await p.runOk(['sweep', 'show', 'scaling', '--csv', '--no-variant', '--only', 'head_dim', 'num_heads', 'LUT', 'duration', '--sort-by', 'head_dim:desc', '--sort-by', 'num_heads', '--where', 'seq_len=512,bits=2'], 0, { env, timeoutMs })).stdout.trim().split('\n');
    expect(csv[0]).toBe('model.head_dim,model.num_heads,LUT,duration');
    expect(csv.slice(1).map((l) => l.split(',').slice(0, 2).join(','))).toEqual(['32,1', '32,2', '16,1', '16,2']);
    for (const l of csv.slice(1)) for (const cell of l.split(',')) expect(cell).toMatch(/^\d+(\.\d+)?$/);

    // Unknown columns and a bad pivot are usage errors.
    const bad = await p.run(['sweep', 'show', 'scaling', '--where', 'model.seqlen=512'], { env, timeoutMs });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('did you mean "model.seq_len"?');
    const ambiguousPivot = await p.run(['sweep', 'show', 'scaling', '--pivot', 'num_heads', 'head_dim', 'LUT'], { env, timeoutMs });
    expect(ambiguousPivot.code).toBe(2);
    expect(ambiguousPivot.stderr).toContain('narrow the rows with --where or --grid');

    // Apply a variant: every output, absolute-path stages included; the main workspace is then up to date.
    const id = 'num_heads=2,head_dim=16,seq_len=512,bits=2';
    const applied = JSON.parse((await p.runOk(['sweep', 'apply', 'scaling', id, '--json'], 0, { env, timeoutMs })).stdout) as { restored: string[]; rebuild: unknown[] };
    expect(applied.restored).toEqual(['model', 'export', 'streamline', 'hw', 'hls', 'bitstream', 'driver', 'metrics']);
    expect(applied.rebuild).toEqual([]);
    expect(p.read('build/driver/driver/driver.py')).toBe(driverPy);
    expect(p.read('build/bitstream/bitfile/finn-accel.bit')).toContain('"num_heads":2,"head_dim":16');
    await p.runOk(['repro'], 0, { env, timeoutMs });
    expect(newRuns()).toEqual({});

    // The baseline row: the main workspace (now equal to the applied variant).
    const withBaseline = await show('--baseline');
    expect(withBaseline.rows[0]).toMatchObject({ variant: 'baseline', status: 'baseline', 'model.num_heads': 2, 'model.head_dim': 16, LUT: lut(id) });
  }, 1_800_000);
});
