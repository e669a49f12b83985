import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ld, node, smallModel, tag, varint, vi } from '../../bench/onnx-writer.mjs';
import { finnDatatypeBits } from '../../src/onnx/finn-datatype.js';
import { graphKind } from '../../src/onnx/graph-kind.js';
import { cyclesEstimate } from '../../src/onnx/hardware-layers.js';
import type { GraphInfo, NodeInfo } from '../../src/onnx/model-types.js';
import { scanModel } from '../../src/onnx/scan-model.js';

const n = (opType: string, domain = '', attributes: NodeInfo['attributes'] = {}): NodeInfo => ({ name: `${opType}_0`, opType, domain, inputs: [], outputs: [], attributes });
const g = (nodes: NodeInfo[], annotations: GraphInfo['annotations'] = {}): GraphInfo => ({ name: 'g', nodes, inputs: [], outputs: [], valueInfo: [], initializers: [], annotations });

describe('FINN datatype widths', () => {
  it.each([
    ['BINARY', 1], ['BIPOLAR', 1], ['TERNARY', 2], ['INT4', 4], ['UINT8', 8], ['INT32', 32], ['FIXED<8,3>', 8],
    ['SCALEDINT<6>', 6], ['INT<3>'.replace(/<|>/g, ''), 3], ['FLOAT32', 32], ['FLOAT16', 16], ['FLOAT<4,3,7>', 8],
  ] as const)('%s is %i bits', (name, bits) => expect(finnDatatypeBits(name)).toBe(bits));
  it('unknown names have no width', () => expect(finnDatatypeBits('NOTATYPE')).toBeUndefined());
});

describe('graph kind rules, first match wins', () => {
  it.each([
    [g([n('MVAU_rtl', 'finn.custom_op.fpgadataflow.rtl'), n('Quant', 'qonnx.custom_op.general')]), 'specialized'],
    [g([n('MVAU_hls', 'finn.custom_op.fpgadataflow')]), 'specialized'],
    [g([n('MVAU', 'finn.custom_op.fpgadataflow')]), 'hardware'],
    [g([n('Quant', 'onnx.brevitas'), n('MatMul')]), 'qonnx'],
    [g([n('BipolarQuant', 'qonnx.custom_op.general')]), 'qonnx'],
    [g([n('MultiThreshold', 'qonnx.custom_op.general')]), 'finn-onnx'],
    [g([n('MatMul')], { W: { finn_datatype: 'INT4' } }), 'finn-onnx'],
    [g([n('MatMul')], { W: { finn_datatype: 'FLOAT32' } }), 'onnx'],
    [g([n('Relu')]), 'onnx'],
  ] as const)('%#: %s', (graph, kind) => expect(graphKind([graph]).kind).toBe(kind));
});

describe('cycles estimates (FINN get_exp_cycles)', () => {
  const int = (value: number) => ({ type: 'int' as const, value });
  it('MVAU, VVAU, Thresholding, stored estimate, unknown', () => {
    expect(cyclesEstimate(n('MVAU_hls', '', { MW: int(64), MH: int(256), PE: int(8), SIMD: int(16), numInputVectors: { type: 'ints', value: [1, 64] } }))!.cycles).toBe((256 / 8) * (64 / 16) * 64);
    expect(cyclesEstimate(n('VVAU_rtl', '', { Channels: int(32), PE: int(4), SIMD: int(3), Kernel: { type: 'ints', value: [3, 3] }, Dim: { type: 'ints', value: [8, 8] } }))!.cycles).toBe((32 / 4) * (9 / 3) * 64);
    expect(cyclesEstimate(n('Thresholding_rtl', '', { NumChannels: int(64), PE: int(2), numInputVectors: { type: 'ints', value: [1, 8] } }))!.cycles).toBe(32 * 8);
    // FINN truncates as Python's int() and // do, so a folding that does not divide gives what FINN reports.
    expect(cyclesEstimate(n('MVAU_hls', '', { MW: int(10), MH: int(10), PE: int(4), SIMD: int(3) }))!.cycles).toBe(8); // int(2.5 * 3.33)
    expect(cyclesEstimate(n('VVAU_hls', '', { Channels: int(10), PE: int(4), SIMD: int(2), Kernel: { type: 'ints', value: [3, 3] }, Dim: { type: 'ints', value: [1, 1] } }))!.cycles).toBe(11); // int(90/4/2)
    expect(cyclesEstimate(n('Thresholding_hls', '', { NumChannels: int(10), PE: int(4), numInputVectors: { type: 'ints', value: [1, 3] } }))!.cycles).toBe(6); // (10 // 4) * 3
    expect(cyclesEstimate(n('StreamingFIFO_rtl', '', { cycles_estimate: int(77) }))).toEqual({ cycles: 77, formula: 'cycles_estimate attribute' });
    expect(cyclesEstimate(n('MVAU', '', { MW: int(4) }))).toBeUndefined();
  });
});

describe('scanner', () => {
  it('a node too large to decode in memory (a Constant holding 9 MB) is scanned field by field', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'orch-scan-'));
    try {
      const payload = Buffer.alloc(9 << 20);
      const tensor = Buffer.concat([vi(1, 3), vi(1, 786432), vi(2, 1), ld(8, 'big'), ld(9, payload)]);
      // AttributeProto: name 1, t 5, type 20 (TENSOR = 4)
      const attr = Buffer.concat([ld(1, 'value'), ld(5, tensor), vi(20, 4)]);
      const constant = Buffer.concat([node('Constant', 'Constant_0', [], ['c']), ld(5, attr)]);
      const file = path.join(dir, 'const.onnx');
      writeFileSync(file, Buffer.concat([vi(1, 8), ld(7, ld(1, constant), ld(12, ld(1, 'c')))]));
      const m = scanModel(file);
      expect(m.graph.nodes[0]).toMatchObject({ opType: 'Constant', outputs: ['c'], attributes: { value: { type: 'tensor', value: { name: 'big', dims: [3, 786432], dataType: 'FLOAT', storedBytes: 9 << 20 } } } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('packed and unpacked dims, external data, and annotations', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'orch-scan-'));
    try {
      // TensorProto: packed dims, data_location EXTERNAL (14 = 1), external_data entries (13).
      const packed = Buffer.concat([tag(1, 2), varint(2), varint(5), varint(7)]);
      const ext = Buffer.concat([packed, vi(2, 3), ld(8, 'E'), ld(13, ld(1, 'location'), ld(2, 'weights.bin')), ld(13, ld(1, 'length'), ld(2, '35')), vi(14, 1)]);
      const file = path.join(dir, 'm.onnx');
      writeFileSync(file, smallModel());
      expect(scanModel(file).graph.annotations).toEqual({ W: { finn_datatype: 'INT4' } });
      const file2 = path.join(dir, 'e.onnx');
      writeFileSync(file2, Buffer.concat([vi(1, 8), ld(7, ld(2, 'g'), ld(5, ext))]));
      expect(scanModel(file2).graph.initializers[0]).toEqual({ name: 'E', dataType: 'INT8', dims: [5, 7], elements: 35, storedBytes: 0, external: { location: 'weights.bin', length: 35 } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
