// A minimal protobuf writer for ONNX test files (used by bench/inspect-onnx.mjs and test/onnx/):
// hand-placed fields so tests can also write what no ONNX library would (truncated files, wrong wire
// types, impossible lengths), and a sparse 500 MB model written in well under a second.
// Field numbers are ONNX's (onnx.proto): ModelProto ir_version 1, graph 7, opset_import 8;
// GraphProto node 1, name 2, initializer 5, input 11, output 12, quantization_annotation 14;
// NodeProto input 1, output 2, name 3, op_type 4, domain 7; TensorProto dims 1, data_type 2, name 8, raw_data 9;
// ValueInfoProto name 1; OperatorSetIdProto domain 1, version 2.
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';

export function varint(n) {
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n;
  const out = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) b |= 0x80;
    out.push(b);
  } while (v !== 0n);
  return Buffer.from(out);
}

export const tag = (no, wire) => varint(no * 8 + wire);
export const vi = (no, n) => Buffer.concat([tag(no, 0), varint(n)]);
export const ld = (no, ...parts) => {
  const body = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
  return Buffer.concat([tag(no, 2), varint(body.length), body]);
};

export const node = (opType, name, inputs, outputs, domain = '') =>
  Buffer.concat([...inputs.map((i) => ld(1, i)), ...outputs.map((o) => ld(2, o)), ld(3, name), ld(4, opType), ...(domain ? [ld(7, domain)] : [])]);
export const valueInfo = (name) => ld(1, name);
export const annotation = (tensor, dtype) => Buffer.concat([ld(1, tensor), ld(2, ld(1, 'finn_datatype'), ld(2, dtype))]);

/** A small valid model: inp -> MatMul(W) -> out, W float32 [rows, cols] annotated INT4. */
export function smallModel(rows = 4, cols = 4) {
  const tensor = Buffer.concat([vi(1, rows), vi(1, cols), vi(2, 1), ld(8, 'W'), ld(9, Buffer.alloc(rows * cols * 4))]);
  const graph = Buffer.concat([ld(1, node('MatMul', 'MatMul_0', ['inp', 'W'], ['out'])), ld(2, 'g'), ld(5, tensor), ld(11, valueInfo('inp')), ld(12, valueInfo('out')), ld(14, annotation('W', 'INT4'))]);
  return Buffer.concat([vi(1, 8), ld(8, ld(1, ''), vi(2, 14)), ld(7, graph)]);
}

/**
 * A model whose one initializer W [rows, cols] float32 has a raw_data of rows*cols*4 bytes, written
 * sparsely (the payload is a hole of zeros): bytes on disk stay small, the file's size is real.
 */
export function writeLargeModel(file, rows, cols) {
  const raw = rows * cols * 4;
  const tensorHead = Buffer.concat([vi(1, rows), vi(1, cols), vi(2, 1), ld(8, 'W'), tag(9, 2), varint(raw)]);
  const tensorLen = tensorHead.length + raw;
  const graphHead = Buffer.concat([ld(1, node('MatMul', 'MatMul_0', ['inp', 'W'], ['out'])), ld(2, 'big'), tag(5, 2), varint(tensorLen)]);
  const graphTail = Buffer.concat([ld(11, valueInfo('inp')), ld(12, valueInfo('out')), ld(14, annotation('W', 'INT2'))]);
  const graphLen = graphHead.length + tensorLen + graphTail.length;
  const head = Buffer.concat([vi(1, 8), ld(8, ld(1, ''), vi(2, 14)), tag(7, 2), varint(graphLen), graphHead, tensorHead]);
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, head, 0, head.length, 0);
    ftruncateSync(fd, head.length + raw);
    writeSync(fd, graphTail, 0, graphTail.length, head.length + raw);
  } finally {
    closeSync(fd);
  }
  return head.length + raw + graphTail.length;
}
