import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelDiff } from '../../src/onnx/diff-models.js';
import type { ModelSummary } from '../../src/onnx/summary-types.js';
import { cleanupProjects, createProject, REPO_ROOT, type Project } from '../integration/harness.js';
import { DEBIAN_PYTHON } from './models.js';

// The FINN-T pipeline (pipeline.yaml, stages/*.py) run locally against the STAND-INS for
// torch/brevitas/qonnx/finn (test/stand-ins), which write real ONNX files shaped like each step's
// output (test/stand-ins/python/qonnx/core/standin_onnx.py). Each stage's output is inspected and
// diffed against the previous stage's, and checked with Debian's onnx.checker.

const TIMEOUT = 180_000;
let p: Project;

function env(): Record<string, string | undefined> {
  return {
    FINN_EXECUTOR: 'local',
    PYTHONPATH: [path.join(REPO_ROOT, 'test/stand-ins/python'), path.join(REPO_ROOT, 'test/stand-ins/numpy-lite')].join(':'),
    HLS_PATH: p.abs('.fake-xilinx/Vitis_HLS/2022.2'),
    XILINX_VIVADO: p.abs('.fake-xilinx/Vivado/2022.2'),
  };
}

beforeAll(async () => {
  p = createProject();
  for (const file of ['pipeline.yaml', 'params.yaml']) copyFileSync(path.join(REPO_ROOT, file), p.abs(file));
  for (const dir of ['configs', 'stages']) {
    mkdirSync(p.abs(dir));
    for (const f of readdirSync(path.join(REPO_ROOT, dir)).filter((f) => /\.(py|json)$/.test(f))) copyFileSync(path.join(REPO_ROOT, dir, f), p.abs(`${dir}/${f}`));
  }
  symlinkSync(path.join(REPO_ROOT, 'bin'), p.abs('bin'));
  for (const [dir, tool] of [['Vivado', 'vivado'], ['Vitis_HLS', 'vitis_hls']] as const) {
    mkdirSync(p.abs(`.fake-xilinx/${dir}/2022.2/bin`), { recursive: true });
    copyFileSync(path.join(REPO_ROOT, 'test/stand-ins/xilinx', tool), p.abs(`.fake-xilinx/${dir}/2022.2/bin/${tool}`));
    chmodSync(p.abs(`.fake-xilinx/${dir}/2022.2/bin/${tool}`), 0o755);
  }
  await p.runOk(['repro', 'hls'], 0, { env: env(), timeoutMs: TIMEOUT });
}, TIMEOUT);
afterAll(cleanupProjects);

const inspect = async (target: string) => JSON.parse((await p.runOk(['inspect', target, '--json'])).stdout) as ModelSummary;
const diff = async (a: string, b: string) => JSON.parse((await p.runOk(['inspect', 'diff', a, b, '--json'])).stdout) as ModelDiff;

describe('the stand-in FINN-T flow, stage by stage', () => {
  it('writes real ONNX at every stage (onnx.checker accepts each)', () => {
    for (const f of ['export', 'streamline', 'hw', 'hls'].map((s) => `build/${s}/model.onnx`).concat('build/hw/intermediate_models/dataflow_parent.onnx')) {
      const out = execFileSync(DEBIAN_PYTHON, ['-c', 'import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1])); print("ok")', p.abs(f)], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: '' } });
      expect(out.trim(), f).toBe('ok');
    }
  });

  it('each stage has the kind of graph its step produces', async () => {
    const kinds = await Promise.all(['export', 'streamline', 'hw', 'hls'].map(async (s) => (await inspect(s)).kind));
    expect(kinds).toEqual(['qonnx', 'finn-onnx', 'specialized', 'specialized']);
    const parent = await inspect('build/hw/intermediate_models/dataflow_parent.onnx');
    expect(parent.nodesByOpType).toEqual({ 'qonnx.custom_op.general:StreamingDataflowPartition': 1 });
    expect(parent.children[0]!.summary!.kind).toBe('hardware');
    const hw = await inspect('hw');
    // The folding of configs/folding.json, and the estimate reports beside the model joined per layer.
    const mvau = hw.layers.find((l) => l.name === 'MVAU_rtl_0')!;
    expect(mvau.attributes).toMatchObject({ PE: 4, SIMD: 8, mem_mode: 'internal_decoupled', weightDataType: 'INT2' });
    expect(mvau.cycles).toBe(mvau.reports.estimateCycles);
    expect(mvau.reports.estimate!.LUT).toBeGreaterThan(0);
  });

  it('streamlining: Quant nodes become MultiThresholds, weights shrink to their annotated width', async () => {
    const d = await diff('export', 'streamline');
    expect(d.a.kind).toBe('qonnx');
    expect(d.b.kind).toBe('finn-onnx');
    expect(d.opTypes.find((o) => o.opType === 'qonnx.custom_op.general:Quant')).toMatchObject({ after: 0 });
    expect(d.opTypes.find((o) => o.opType === 'qonnx.custom_op.general:MultiThreshold')!.after).toBeGreaterThan(0);
    expect(d.datatypes.some((t) => t.after === 'INT2' && t.before === undefined)).toBe(true);
    expect(d.b.weightBytes).toBeLessThan(d.a.weightBytes);
  });

  it('hardware conversion and HLS: layers appear, then FIFOs are inserted', async () => {
    const hw = await diff('streamline', 'hw');
    expect(hw.added.some((n) => n.opType === 'finn.custom_op.fpgadataflow.rtl:MVAU_rtl')).toBe(true);
    expect(hw.removed.some((n) => n.opType === 'MatMul')).toBe(true);
    const hls = await diff('hw', 'hls');
    expect(hls.opTypes).toContainEqual(expect.objectContaining({ opType: 'finn.custom_op.fpgadataflow.rtl:StreamingFIFO_rtl', before: 0 }));
    expect(hls.attributes.some((a) => a.node === 'MVAU_rtl_0' && a.attribute === 'code_gen_dir_ipgen' && a.before === undefined)).toBe(true);
  });
});
