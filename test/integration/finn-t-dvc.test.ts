/**
 * The FINN-T evaluation project (iksnagreb/attention-dummy) as a DVC user would bring it: its
 * dvc.yaml and params verbatim (test/fixtures/finn-t-attention-dummy, commands replaced by
 * stand-ins), run, then a dvc.lock written as DVC writes one, and the tool used from scratch on
 * that DVC workspace. Follows tests/func/repro/test_repro.py::test_repro_up_to_date and
 * ::test_repro_multiple_params.
 */
import { cpSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { dvcLockEntry, readDvcLock } from '../../src/lock/dvc-lock.js';
import { cleanupProjects, createProject, REPO_ROOT, type Project } from './harness.js';
import { writeDvcLock } from './dvc-lock-writer.js';

afterEach(cleanupProjects);

const FIXTURE = path.join(REPO_ROOT, 'test/fixtures/finn-t-attention-dummy');
const STAGES = ['setup', 'build', 'metrics', 'verify'] as const;
/** The deps dvc.yaml names that are source files of the project: stand-in placeholders here. */
const SOURCES = ['export.py', 'model.py', 'run.sh', 'noctua.sh', 'build.py', 'build_steps.py', 'custom/apply_config.py', 'metrics.py', 'verify.py'];

function finnT(): Project {
  const p = createProject(Object.fromEntries(SOURCES.map((f) => [f, `# stand-in for ${f}\n`])));
  for (const f of ['dvc.yaml', 'params.yaml', 'folding.yaml', 'specialize_layers.json', 'stand-in.sh']) cpSync(path.join(FIXTURE, f), p.abs(f));
  return p;
}

/** dvc.lock as DVC 3 writes it for this dvc.yaml: each stage's params as recorded (keys as declared, whole files for `- file:`). */
async function writeFinnDvcLock(p: Project): Promise<void> {
  const params = parse(p.read('params.yaml')) as Record<string, any>;
  const whole = (f: string) => parse(p.read(f)) as Record<string, unknown>;
  await writeDvcLock(p.dir, '.', {
    setup: {
      cmd: 'sh stand-in.sh setup',
      deps: ['export.py', 'model.py'],
      params: { 'params.yaml': { model: params.model, export: params.export, seed: params.seed, calibration_passes: params.calibration_passes } },
      outs: ['outputs/model.onnx', 'outputs/inp.npy', 'outputs/out.npy'],
    },
    build: {
      cmd: 'sh stand-in.sh build',
      deps: ['run.sh', 'noctua.sh', 'build.py', 'build_steps.py', 'custom/apply_config.py', 'outputs/model.onnx', 'outputs/inp.npy', 'outputs/out.npy'],
      params: {
        'params.yaml': { 'model.seq_len': params.model.seq_len, 'model.emb_dim': params.model.emb_dim, seed: params.seed, build: params.build },
        'folding.yaml': whole('folding.yaml'),
        'specialize_layers.json': whole('specialize_layers.json'),
      },
      outs: ['outputs/build/'],
    },
    metrics: {
      cmd: 'sh stand-in.sh metrics',
      deps: ['metrics.py', 'outputs/build/', 'outputs/build/report/post_synth_resources.json'],
      params: { 'params.yaml': { 'build.output_dir': params.build.output_dir, metrics: params.metrics } },
      outs: ['metrics.yaml'],
    },
    verify: {
      cmd: 'sh stand-in.sh verify',
      deps: ['verify.py', 'outputs/build/verification_output/'],
      params: { 'params.yaml': { 'build.output_dir': params.build.output_dir } },
      outs: ['verification.yaml'],
    },
  });
}

/** A DVC user's clone: the workspace and dvc.lock, nothing of this tool's. */
function forgetTool(p: Project): void {
  rmSync(p.abs('pipeline.lock'), { force: true });
  rmSync(p.abs('.orchestrator'), { recursive: true, force: true });
}

describe('FINN-T (iksnagreb/attention-dummy) dvc.yaml', () => {
  it('loads and runs setup -> build -> metrics/verify, then reruns nothing', async () => {
    const p = finnT();
    const dag = JSON.parse((await p.runOk(['dag', '--json'])).stdout) as { stages: string[]; edges: Array<{ from: string; to: string }> };
    expect([...dag.stages].sort()).toEqual([...STAGES].sort());
    expect(dag.edges.map((e) => `${e.from}->${e.to}`).sort()).toEqual(['build->metrics', 'build->verify', 'setup->build']);
    await p.runOk(['repro']);
    expect(p.counts(...STAGES)).toEqual({ setup: 1, build: 1, metrics: 1, verify: 1 });
    await p.runOk(['repro']);
    expect(p.counts(...STAGES)).toEqual({ setup: 1, build: 1, metrics: 1, verify: 1 });
  });

  it('an up-to-date dvc.lock reruns nothing; a param change reruns exactly the stages DVC would', async () => {
    const p = finnT();
    await p.runOk(['repro']);
    await writeFinnDvcLock(p);
    forgetTool(p);

    expect((await p.runOk(['status'])).stdout).toMatch(/Everything is up to date/);
    await p.runOk(['repro']);
    expect(p.counts(...STAGES)).toEqual({ setup: 1, build: 1, metrics: 1, verify: 1 });

    // metrics.filter is tracked by metrics only.
    p.write('params.yaml', p.read('params.yaml').replace('filter: (top)', 'filter: (all)'));
    await p.runOk(['repro']);
    expect(p.counts(...STAGES)).toEqual({ setup: 1, build: 1, metrics: 2, verify: 1 });

    // A build setting: build reruns, its report changes so metrics reruns; verify's dep is unchanged.
    p.write('params.yaml', p.read('params.yaml').replace('synth_clk_period_ns: 10.0', 'synth_clk_period_ns: 5.0'));
    await p.runOk(['repro']);
    expect(p.counts(...STAGES)).toEqual({ setup: 1, build: 2, metrics: 3, verify: 1 });
  });

  it('a param change made before the first use reruns the right stages from dvc.lock', async () => {
    const p = finnT();
    await p.runOk(['repro']);
    await writeFinnDvcLock(p);
    forgetTool(p);
    // model.num_heads: tracked by setup (whole `model` section); build tracks only seq_len and emb_dim.
    p.write('params.yaml', p.read('params.yaml').replace('num_heads: 12', 'num_heads: 4'));
    await p.runOk(['repro']);
    // setup reruns; its model.onnx changes, so build (dep) and metrics rerun; verification_output is the same.
    expect(p.counts(...STAGES)).toEqual({ setup: 2, build: 2, metrics: 2, verify: 1 });
  });

  it("reads the project's own dvc.lock (verbatim): stage entries, .dir outs with their trailing /, whole-file params", () => {
    const stages = readDvcLock(readFileSync(path.join(FIXTURE, 'dvc.lock.upstream'), 'utf8'))!;
    expect([...stages.keys()]).toEqual(['setup', 'build', 'metrics', 'folding', 'verify']);
    const build = dvcLockEntry(stages.get('build'), '.')!;
    expect(build.cmd).toEqual(["bash run.sh '$FINN/run-docker.sh build_custom $(pwd)'"]);
    expect(build.outs).toEqual([{ path: 'outputs/build', md5: '11007c7708cee830bd8a2a350790e158.dir', size: 931089705, nfiles: 2258, dos2unix: false }]);
    expect(Object.keys(build.params).sort()).toEqual(['folding.yaml', 'params.yaml', 'specialize_layers.json']);
    expect(build.params['params.yaml']!['model.seq_len']).toBe(512);
    expect((build.params['specialize_layers.json']!.Defaults as Record<string, unknown>).preferred_impl_style).toEqual(['rtl', ['MVAU', 'Thresholding']]);
  });
});
