import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directoryFiles, inspectModel } from '../../src/onnx/inspect-model.js';
import type { ModelSummary } from '../../src/onnx/summary-types.js';
import { makeModels } from './models.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'orch-onnx-'));
  makeModels(dir, { pe: 2, simd: 4, memMode: 'internal_decoupled' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function inspect(rel: string): Promise<ModelSummary> {
  const r = await inspectModel(directoryFiles(dir), rel);
  if (!r.ok) throw new Error(`${r.error.file}: ${r.error.message}`);
  return r.value.summary;
}

describe('inspect: kinds, opsets, io, counts', () => {
  it('QONNX export', async () => {
    const s = await inspect('qonnx.onnx');
    expect(s.kind).toBe('qonnx');
    expect(s.kindReason).toContain('Quant');
    expect(s.irVersion).toBe(8);
    expect(s.producer).toBe('orchestrator-test');
    expect(s.opsets).toEqual([{ domain: '', version: 14 }, { domain: 'qonnx.custom_op.general', version: 1 }]);
    expect(s.domains).toEqual({ 'qonnx.custom_op.general': 4, '': 3 });
    expect(s.nodesByOpType).toEqual({ 'qonnx.custom_op.general:Quant': 4, MatMul: 2, Relu: 1 });
    expect(s.nodeCount).toBe(7);
    expect(s.inputs).toEqual([{ name: 'inp', shape: [1, 8, 16], elemType: 'FLOAT' }]);
    // No annotations: weights count at the float32 carrier width.
    const w0 = s.weights.find((w) => w.node === 'Quant_1')!;
    expect(w0.tensors[0]).toMatchObject({ name: 'W0', dims: [16, 32], elements: 512, bits: 32, bitsFrom: 'carrier', bytes: 2048, carrierBytes: 2048 });
  });

  it('FINN-ONNX: datatypes from quantization annotations, weights at their annotated width', async () => {
    const s = await inspect('finn.onnx');
    expect(s.kind).toBe('finn-onnx');
    expect(s.inputs[0]).toEqual({ name: 'inp', shape: [1, 8, 16], elemType: 'FLOAT', finnDatatype: 'INT8' });
    expect(s.outputs[0]!.finnDatatype).toBe('INT4');
    expect(s.datatypes).toMatchObject({ W0: 'INT4', h_q: 'UINT8', T0: 'INT32' });
    const mm = s.weights.find((w) => w.node === 'MatMul_0')!;
    expect(mm.tensors[0]).toMatchObject({ name: 'W0', elements: 512, bits: 4, bitsFrom: 'annotation', bytes: 256, carrierBytes: 2048 });
    const mt = s.weights.find((w) => w.node === 'MultiThreshold_0')!;
    expect(mt.bytes).toBe(32 * 255 * 4);
    expect(s.layers).toEqual([]);
  });

  it('hardware layers: attributes and the MVAU cycles formula', async () => {
    const s = await inspect('hw.onnx');
    expect(s.kind).toBe('hardware');
    expect(s.layers.map((l) => l.name)).toEqual(['MVAU_0', 'MVAU_1']);
    const l = s.layers[0]!;
    expect(l.attributes).toMatchObject({ PE: 1, SIMD: 1, MW: 16, MH: 32, inputDataType: 'INT8', weightDataType: 'INT4', outputDataType: 'UINT8', accDataType: 'INT32', mem_mode: 'internal_embedded' });
    expect(l.cycles).toBe(32 * 16 * 8);
    expect(l.cyclesFormula).toBe('(MH/PE)*(MW/SIMD)*prod(numInputVectors)');
    expect(l.weightBytes).toBe(256 + 32 * 255 * 4);
  });

  it('a dataflow parent: child model followed, its layers, reports joined, metadata', async () => {
    const s = await inspect('specialized/model.onnx');
    expect(s.kind).toBe('specialized');
    expect(s.nodesByOpType).toEqual({ 'qonnx.custom_op.general:StreamingDataflowPartition': 1 });
    expect(s.children).toHaveLength(1);
    const child = s.children[0]!;
    expect(child.model).toBe('supported_op_partitions/partition_0.onnx');
    expect(child.summary!.metadata).toEqual({ pynq_driver_dir: '/tmp/finn_dev/driver', vivado_stitch_proj: '/tmp/finn_dev/stitch' });
    expect(child.summary!.opsets.map((o) => o.domain)).toEqual(['', 'finn.custom_op.fpgadataflow.rtl', 'finn.custom_op.fpgadataflow.hls']);
    const byName = Object.fromEntries(s.layers.map((l) => [l.name, l]));
    expect(Object.keys(byName)).toEqual(['StreamingFIFO_rtl_0', 'MVAU_rtl_0', 'Thresholding_rtl_0', 'MVAU_hls_0']);
    const mv = byName.MVAU_rtl_0!;
    expect(mv.model).toBe('supported_op_partitions/partition_0.onnx');
    expect(mv.impl).toBe('rtl');
    expect(mv.attributes).toMatchObject({ PE: 2, SIMD: 4, mem_mode: 'internal_decoupled', ram_style: 'block', resType: 'dsp', inFIFODepths: [32], outFIFODepths: [2] });
    expect(mv.cycles).toBe((32 / 2) * (16 / 4) * 8);
    expect(mv.reports.estimate).toMatchObject({ LUT: 300, DSP: 2 });
    expect(mv.reports.estimateCycles).toBe(mv.cycles);
    expect(mv.reports.postSynth).toMatchObject({ LUT: 310, FF: 500 });
    expect(byName.MVAU_hls_0!.impl).toBe('hls');
    expect(byName.MVAU_hls_0!.reports.hls).toMatchObject({ FF: 812, LUT: 650 });
    expect(byName.Thresholding_rtl_0!.cycles).toBe((32 / 2) * 8);
    expect(byName.Thresholding_rtl_0!.cyclesFormula).toBe('(NumChannels//PE)*prod(numInputVectors)');
    expect(byName.StreamingFIFO_rtl_0!.attributes.depth).toBe(32);
    expect(s.reports.found.map((f) => path.basename(f)).sort()).toEqual(['estimate_layer_cycles.json', 'estimate_layer_resources.json', 'estimate_layer_resources_hls.json', 'post_synth_resources.json']);
  });

  it('a partition whose child model is missing is reported, not fatal', async () => {
    rmSync(path.join(dir, 'specialized/supported_op_partitions/partition_0.onnx'));
    try {
      const s = await inspect('specialized/model.onnx');
      expect(s.children[0]!.error).toMatch(/partition_0\.onnx: no such file/);
    } finally {
      makeModels(dir, { pe: 2, simd: 4, memMode: 'internal_decoupled' });
    }
  });
});
