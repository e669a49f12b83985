/**
 * The FINN-T stage scripts (stages/*.py) and the top-level pipeline.yaml, run for real by
 * `orchestrator repro` through the Docker executor, inside the locally built Debian python3 + numpy
 * image — against STAND-INS for torch/brevitas/qonnx/finn (test/stand-ins/python), because the real
 * ones cannot be installed here. The stand-ins record each build_dataflow_cfg call and write
 * FINN-shaped reports; see test/stand-ins/README.md.
 *
 * Requires a Docker engine and orchestrator-test/python:1 (.ci/setup.sh); without them these
 * tests FAIL, they do not skip.
 */
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { cleanupProjects, createProject, REPO_ROOT, type Project } from '../integration/harness.js';
import { docker, PYTHON, requireDocker } from '../docker/docker-env.js';

const STAND_IN_IMAGE = 'orchestrator-test/finn-stand-in:1';
const STAGES = ['model', 'export', 'streamline', 'hw', 'hls', 'bitstream', 'driver'] as const;
const TIMEOUT = 240_000;

/** orchestrator-test/python:1 plus the stand-in packages in dist-packages (create + cp + commit: no BuildKit needed). */
function buildStandInImage(): void {
  const name = `finn-stand-in-build-${process.pid}`;
  const create = docker('create', '--name', name, PYTHON, 'true');
  if (create.status !== 0) throw new Error(`docker create: ${create.stderr}`);
  try {
    const cp = docker('cp', `${path.join(REPO_ROOT, 'test/stand-ins/python')}/.`, `${name}:/usr/local/lib/python3.11/dist-packages/`);
    if (cp.status !== 0) throw new Error(`docker cp: ${cp.stderr}`);
    const commit = docker('commit', '--change', 'LABEL orchestrator.test=finn-stand-in', name, STAND_IN_IMAGE);
    if (commit.status !== 0) throw new Error(`docker commit: ${commit.stderr}`);
  } finally {
    docker('rm', '-f', name);
  }
}

/** A copy of the repository's FINN-T pipeline (pipeline.yaml, params.yaml, configs/, stages/). */
function finnProject(): Project {
  const p = createProject();
  for (const file of ['pipeline.yaml', 'params.yaml']) copyFileSync(path.join(REPO_ROOT, file), p.abs(file));
  for (const dir of ['configs', 'stages']) {
    mkdirSync(p.abs(dir));
    for (const f of readdirSync(path.join(REPO_ROOT, dir)).filter((f) => /\.(py|json)$/.test(f))) copyFileSync(path.join(REPO_ROOT, dir, f), p.abs(`${dir}/${f}`));
  }
  // The metrics stage runs `node bin/orchestrator.js`, as it does in this repository.
  symlinkSync(path.join(REPO_ROOT, 'bin'), p.abs('bin'));
  // Stand-ins for the Xilinx install and the FINN checkout that pipeline.yaml mounts; the Xilinx
  // stand-ins answer only the version commands of the pipeline's `tools:`.
  for (const [dir, tool] of [['Vivado', 'vivado'], ['Vitis_HLS', 'vitis_hls']]) {
    mkdirSync(p.abs(`.fake-xilinx/${dir}/2022.2/bin`), { recursive: true });
    copyFileSync(path.join(REPO_ROOT, 'test/stand-ins/xilinx', tool!), p.abs(`.fake-xilinx/${dir}/2022.2/bin/${tool}`));
    chmodSync(p.abs(`.fake-xilinx/${dir}/2022.2/bin/${tool}`), 0o755);
  }
  mkdirSync(p.abs('.fake-finn'));
  return p;
}

function envFor(p: Project): Record<string, string | undefined> {
  return {
    FINN_DOCKER_TAG: STAND_IN_IMAGE,
    FINN_XILINX_PATH: p.abs('.fake-xilinx'),
    FINN_ROOT: p.abs('.fake-finn'),
    FINN_EXECUTOR: undefined,
    XILINXD_LICENSE_FILE: '2100@license.example',
  };
}

const started = (stdout: string) => [...stdout.matchAll(/^(?:\S+ )?(\w+): started/gm)].map((m) => m[1]);

interface StandInCall {
  model_filename: string;
  cfg: Record<string, unknown> & { steps: string[]; output_dir: string; generate_outputs: string[] };
  FINN_BUILD_DIR: string;
  stdin_isatty: boolean;
}

function calls(p: Project, stage: string): StandInCall[] {
  return p.read(`build/${stage}/standin_calls.jsonl`).trim().split('\n').map((l) => JSON.parse(l) as StandInCall);
}

/** Steps recorded by the stand-in build: one line per finished step with the transformations it applied. */
function stepRecords(p: Project, stage: string): { step: string; transformations: string[] }[] {
  return p.read(`build/${stage}/standin_steps.jsonl`).trim().split('\n').map((l) => JSON.parse(l));
}

/**
 * The attention-specific steps of the FINN-T build and the transformations each applies, in order, as
 * in the reference build (iksnagreb/attention-dummy build.py / build_steps.py); written out here
 * independently of stages/attention_steps.py, which must match it.
 */
const RESIDUAL = ['MoveLinearPastEltwiseAdd', 'MoveLinearPastFork', 'MoveScalarLinearPastInvariants'];
const TRANSPOSES_AT_FORK = ['MoveTransposePastFork', 'MoveTransposePastEltwise', 'CollapseRepeatedTranspose', 'RemoveIdentityTranspose'];
const REFERENCE: Record<string, string[]> = {
  step_tidy_up_pre_attention: [
    'InferDataTypes', 'InferShapes', 'GiveUniqueNodeNames', 'GiveReadableTensorNames', 'RemoveStaticGraphInputs',
    'RemoveUnusedTensors', 'GiveUniqueParameterTensors', 'FoldConstants', 'RemoveIdentityReshape', 'RemoveIdentityTranspose',
    'InferDataLayouts',
  ],
  step_streamline_positional: ['ConvertDivToMul', 'CollapseRepeatedMul', 'MoveMulPastFork'],
  step_streamline_attention: ['Streamline', 'MoveLinearPastFork', 'Streamline', 'Streamline', 'Streamline'],
  step_streamline_residual: [...RESIDUAL, 'Streamline', ...RESIDUAL, 'Streamline'],
  step_streamline_norms: [
    'MoveTransposePastEltwise', 'CollapseRepeatedTranspose', 'RemoveIdentityTranspose', ...TRANSPOSES_AT_FORK, ...TRANSPOSES_AT_FORK,
    ...RESIDUAL, 'Streamline', 'MoveLinearPastFork', 'Streamline',
  ],
  step_convert_attention_to_hw: [
    'InferMultiHeads', 'MoveSplitMultiHeadsPastMultiThreshold', 'AbsorbAddIntoMultiThreshold', 'InferScaledDotProductAttention',
    'UnrollMultiHeadAttention', 'MoveMergeMultiHeadsPastMultiThreshold', 'AbsorbMultiThresholdIntoScaledDotProductAttention',
  ],
  step_tidy_up_post_attention: [
    'Squeeze', 'RemoveIdentityTranspose', 'AbsorbAddIntoMultiThreshold', 'AbsorbMultiThresholdIntoScaledDotProductAttention',
    ...RESIDUAL, 'Streamline', 'GiveUniqueNodeNames', 'GiveReadableTensorNames',
  ],
  step_convert_residual_to_hw: ['InferAddStreamsLayer'],
  step_replicate_streams: ['InferReplicateStream'],
};
const ATTENTION_STEPS = new Set(Object.keys(REFERENCE));

function params(): any {
  return parseYaml(readFileSync(path.join(REPO_ROOT, 'params.yaml'), 'utf8'));
}

beforeAll(() => {
  requireDocker([PYTHON]);
  buildStandInImage();
}, TIMEOUT);
afterAll(() => cleanupProjects());

describe('FINN-T pipeline with stand-ins, in Docker', () => {
  test('repro runs every stage in the container; each FINN stage passes the expected build config; metrics are written', async () => {
    const p = finnProject();
    const env = envFor(p);
    const first = await p.run(['repro'], { env, timeoutMs: TIMEOUT });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(started(first.stdout).sort()).toEqual([...STAGES, 'metrics'].sort());

    for (const out of [
      'build/model/model.pt', 'build/export/model.onnx', 'build/export/inp.npy', 'build/export/out.npy',
      ...STAGES.slice(2).map((s) => `build/${s}/model.onnx`),
      'build/hw/report/estimate_layer_resources.json', 'build/hls/report/estimate_layer_resources_hls.json',
      'build/hls/report/ooc_synth_and_timing.json', 'build/hls/stitched_ip/finn_vivado_stitch_proj.xpr',
      'build/bitstream/bitfile/finn-accel.bit', 'build/bitstream/report/post_synth_resources.json',
      'build/bitstream/report/post_route_timing.rpt', 'build/driver/deploy/bitfile/finn-accel.bit',
      'build/driver/deploy/driver/driver.py', 'build/metrics.yaml', 'build/resource_breakdown.yaml',
    ]) expect(p.exists(out), out).toBe(true);
    // Real numpy wrote the verification pair inside the image.
    expect(readFileSync(p.abs('build/export/inp.npy')).subarray(0, 6).toString('latin1')).toBe('\x93NUMPY');

    const steps = params().build.steps;
    const generated: Record<string, string[]> = {
      streamline: [],
      hw: ['estimate_reports'],
      hls: ['stitched_ip', 'rtlsim_performance', 'out_of_context_synth'],
      bitstream: ['bitfile'],
      driver: ['pynq_driver', 'deployment_package'],
    };
    const inputs: Record<string, string> = { streamline: 'export', hw: 'streamline', hls: 'hw', bitstream: 'hls', driver: 'bitstream' };
    for (const stage of ['streamline', 'hw', 'hls', 'bitstream', 'driver']) {
      const [call, ...more] = calls(p, stage);
      expect(more).toEqual([]);
      const cfg = call!.cfg;
      // Our attention steps reach FINN as functions (the stand-in records callables as module:name).
      expect(cfg.steps, stage).toEqual(steps[stage].map((s: string) => (ATTENTION_STEPS.has(s) ? `attention_steps:${s}` : s)));
      expect(cfg.output_dir).toBe(p.abs(`build/${stage}`));
      expect(call!.model_filename).toBe(`build/${inputs[stage]}/model.onnx`);
      expect(cfg.generate_outputs).toEqual(generated[stage]);
      expect(cfg).toMatchObject({ board: 'RFSoC2x2', shell_flow_type: 'vivado_zynq', synth_clk_period_ns: 10, enable_build_pdb_debug: false, save_intermediate_models: true, start_step: null });
      expect(call!.FINN_BUILD_DIR).toBe(p.abs(`build/${stage}/finn_build`));
      expect(call!.stdin_isatty).toBe(false);
    }
    expect(calls(p, 'hw')[0]!.cfg).toMatchObject({ folding_config_file: 'configs/folding.json', specialize_layers_config_file: 'configs/specialize_layers.json', mvau_wwidth_max: 36, minimize_bit_width: true });
    expect(calls(p, 'hls')[0]!.cfg).toMatchObject({ folding_config_file: 'configs/folding.json', auto_fifo_depths: true, split_large_fifos: true });

    const metrics = parseYaml(p.read('build/metrics.yaml'));
    expect(Object.keys(metrics.post_synth).sort()).toEqual(['BRAM_18K', 'BRAM_36K', 'DSP', 'FF', 'LUT', 'SRL', 'URAM']);
    expect(metrics.post_route_timing.fmax_mhz).toBeGreaterThan(100);
    expect(metrics.summary.throughput_fps).toBeGreaterThan(0);
    const breakdown = parseYaml(p.read('build/resource_breakdown.yaml'));
    expect(Object.keys(breakdown.post_synth).sort()).toEqual(['DWC', 'FIFO', 'MVAU', 'ScaledDotProductAttention', 'Thresholding', 'elementwise']);

    const second = await p.run(['repro'], { env, timeoutMs: TIMEOUT });
    expect(second.code, second.stderr).toBe(0);
    expect(started(second.stdout)).toEqual([]);

    // Only the folding file changes: hw and everything after it rerun, model/export/streamline do not.
    const folding = JSON.parse(p.read('configs/folding.json'));
    folding.MVAU_rtl_4.PE = 16;
    p.write('configs/folding.json', `${JSON.stringify(folding, null, 2)}\n`);
    const status = await p.run(['status'], { env });
    expect(status.stdout).toContain('configs/folding.json');
    const third = await p.run(['repro'], { env, timeoutMs: TIMEOUT });
    expect(third.code, third.stdout + third.stderr).toBe(0);
    expect(started(third.stdout).sort()).toEqual(['bitstream', 'driver', 'hls', 'hw', 'metrics']);
    const cycles = JSON.parse(p.read('build/hw/report/estimate_layer_cycles.json'));
    expect(cycles.MVAU_rtl_4).toBe(64 * (256 / 16) * (64 / 8));

    // Tool versions, probed in the image (stand-ins), are in the lock of the stages that declare them.
    const finn = { version: '0.10.1+orchestrator.stand.in' };
    const vivado = { version: 'Vivado v2022.2 (64-bit)' };
    expect(p.lock().stages.hls).toMatchObject({ tools: { finn, vivado, vitis_hls: { version: 'Vitis HLS - High-Level Synthesis from C, C++ and OpenCL v2022.2 (64-bit)' } } });
    expect(p.lock().stages.bitstream).toMatchObject({ tools: { finn, vivado } });
    expect(p.lock().stages.streamline).toMatchObject({ tools: { finn } });
    expect(p.lockText()).not.toMatch(/^ {2}(model|export|metrics):\n(?: {4}.*\n)*? {4}tools:/m);

    // Vivado updated in place: hls and bitstream rerun, saying why; nothing before them does.
    p.write('.fake-xilinx/Vivado/2022.2/bin/standin-version', '2023.1\n');
    const why = await p.run(['status'], { env, timeoutMs: TIMEOUT });
    expect(why.stdout).toMatch(/hls: will run\n(\s+.*\n)*?\s+tool changed: vivado Vivado v2022\.2 \(64-bit\) -> Vivado v2023\.1 \(64-bit\)/);
    expect(why.stdout).toMatch(/bitstream: will run\n(\s+.*\n)*?\s+tool changed: vivado/);
    expect(why.stdout).toMatch(/^hw: up to date$/m);
    const fourth = await p.run(['repro'], { env, timeoutMs: TIMEOUT });
    expect(fourth.code, fourth.stdout + fourth.stderr).toBe(0);
    expect(started(fourth.stdout)).toEqual(expect.arrayContaining(['hls', 'bitstream']));
    for (const stage of ['model', 'export', 'streamline', 'hw']) expect(started(fourth.stdout)).not.toContain(stage);
    expect(p.lock().stages.bitstream).toMatchObject({ tools: { vivado: { version: 'Vivado v2023.1 (64-bit)' } } });
  }, TIMEOUT);

  test.each([
    ['step_streamline:exception', 'build_dataflow_cfg returned -1'],
    ['step_streamline:raise', 'the FINN build raised an exception'],
    ['step_streamline:no-time-per-step', 'wrote no time_per_step.json'],
  ])('a failed FINN build (%s) fails the stage and commits nothing', async (spec, message) => {
    const p = finnProject();
    p.write('.standin/fail', `${spec}\n`);
    const r = await p.run(['repro', 'streamline'], { env: envFor(p), timeoutMs: TIMEOUT });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout + r.stderr).toContain(message);
    expect(Object.keys(p.lock().stages ?? {}).sort()).toEqual(['export', 'model']);
  }, TIMEOUT);
});

describe('attention-specific steps (FINN-T reference build) with stand-ins, in Docker', () => {
  test('streamline runs the attention streamlining, hw the attention/residual conversions and stream replication, in the reference order', async () => {
    const p = finnProject();
    const r = await p.run(['repro', 'hw'], { env: envFor(p), timeoutMs: TIMEOUT });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(started(r.stdout).sort()).toEqual(['export', 'hw', 'model', 'streamline']);

    // The reference's step list, split at FINN's step_streamline / step_convert_to_hw boundary.
    expect(stepRecords(p, 'streamline').map((s) => s.step)).toEqual([
      'step_tidy_up_pre_attention', 'step_qonnx_to_finn', 'step_tidy_up', 'step_streamline_positional',
      'step_streamline_attention', 'step_streamline_residual', 'step_streamline_norms', 'step_streamline',
    ]);
    expect(stepRecords(p, 'hw').map((s) => s.step)).toEqual([
      'step_convert_attention_to_hw', 'step_tidy_up_post_attention', 'step_convert_to_hw', 'step_convert_residual_to_hw',
      'step_replicate_streams', 'step_create_dataflow_partition', 'step_specialize_layers', 'step_apply_folding_config',
      'step_minimize_bit_width', 'step_generate_estimate_reports',
    ]);
    // Each custom step applied exactly the reference's transformations, in order; built-in steps none.
    for (const stage of ['streamline', 'hw']) {
      for (const { step, transformations } of stepRecords(p, stage)) expect(transformations, `${stage} ${step}`).toEqual(REFERENCE[step] ?? []);
    }
    // The hw stage's model carries every transformation of both stages, in order.
    // The stand-in writes real ONNX; its own state rides in the metadata property standin_state.
    const inspected = JSON.parse((await p.runOk(['inspect', 'build/hw/model.onnx', '--json'])).stdout) as { metadata: Record<string, string> };
    const hwModel = JSON.parse(inspected.metadata.standin_state!);
    expect(hwModel.transformations).toEqual([
      ...['step_tidy_up_pre_attention', 'step_streamline_positional', 'step_streamline_attention', 'step_streamline_residual', 'step_streamline_norms'].flatMap((s) => REFERENCE[s]!),
      ...['step_convert_attention_to_hw', 'step_tidy_up_post_attention', 'step_convert_residual_to_hw', 'step_replicate_streams'].flatMap((s) => REFERENCE[s]!),
    ]);
    // The conversions took effect: attention and residual additions are HW layers (the stand-in
    // step_convert_to_hw converts neither on its own).
    const ops = new Set(hwModel.nodes.map((n: { op_type: string }) => n.op_type));
    expect(ops).toContain('ScaledDotProductAttention_hls');
    expect(ops).toContain('ElementwiseAdd_hls');
    // The streamline stage read the export ONNX, hw the streamline ONNX.
    expect(calls(p, 'streamline')[0]!.model_filename).toBe('build/export/model.onnx');
    expect(calls(p, 'hw')[0]!.model_filename).toBe('build/streamline/model.onnx');
  }, TIMEOUT);

  test.each([
    ['streamline', 'CollapseRepeatedTranspose', 'step_streamline_norms', ['export', 'model']],
    ['hw', 'InferReplicateStream', 'step_replicate_streams', ['export', 'model', 'streamline']],
  ])('a missing transformation fails the %s stage before FINN runs, naming it (%s)', async (stage, missing, step, committed) => {
    const p = finnProject();
    p.write('.standin/missing', `${missing}\n`);
    const r = await p.run(['repro', stage], { env: envFor(p), timeoutMs: TIMEOUT });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout + r.stderr).toContain(`${step} needs the transformation ${missing}, which could not be imported`);
    expect(r.stdout + r.stderr).toContain('nothing was run');
    expect(p.exists(`build/${stage}/standin_calls.jsonl`)).toBe(false);
    expect(Object.keys(p.lock().stages ?? {}).sort()).toEqual(committed);
  }, TIMEOUT);
});
