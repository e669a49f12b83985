import protobuf from 'protobufjs/light.js';
import type { AttributeValue, NodeInfo, TensorInfo, ValueInfo } from './model-types.js';
import { ONNX_SCHEMA } from './onnx-schema.js';
import { ATTRIBUTE_TYPES, TENSOR_DATA_TYPES } from './schema-fields.js';

// Small messages (nodes, value infos, annotations, opset ids, metadata entries) are decoded with
// protobufjs from ONNX's schema. Their bytes were read into a bounded buffer by the scanner; bytes
// fields decode as views into it and are reduced to sizes here, never kept.

const root = protobuf.Root.fromJSON(ONNX_SCHEMA);
const type = (name: string) => root.lookupType(`onnx.${name}`);
const T = {
  node: type('NodeProto'),
  attribute: type('AttributeProto'),
  valueInfo: type('ValueInfoProto'),
  annotation: type('TensorAnnotation'),
  opset: type('OperatorSetIdProto'),
  entry: type('StringStringEntryProto'),
};

type Obj = Record<string, unknown>;
const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, enums: Number, defaults: false, arrays: true };

function decode(t: protobuf.Type, buf: Uint8Array): Obj {
  // A plain Uint8Array view, not a Buffer: protobufjs's Buffer reader clamps a string that runs past
  // the end instead of failing; its plain reader checks every length. Both slice bytes as views.
  return t.toObject(t.decode(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)), TO_OBJECT);
}

const str = (v: unknown): string => (typeof v === 'string' ? v : v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8') : '');
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

export const dataTypeName = (n: number): string => TENSOR_DATA_TYPES.get(n) ?? String(n);

/** A decoded TensorProto (an attribute's `t`) reduced to its header and payload size. */
export function tensorInfoOf(t: Obj): TensorInfo {
  const dims = ((t.dims as number[] | undefined) ?? []).map(Number);
  let stored = 0;
  const raw = t.raw_data as Uint8Array | undefined;
  if (raw) stored += raw.byteLength;
  for (const [k, w] of [['float_data', 4], ['int32_data', 4], ['int64_data', 8], ['double_data', 8], ['uint64_data', 8]] as const) {
    const a = t[k] as unknown[] | undefined;
    if (a) stored += a.length * w;
  }
  return { name: str(t.name), dataType: dataTypeName(num(t.data_type)), dims, elements: dims.reduce((a, b) => a * b, 1), storedBytes: stored };
}

export function decodeAttribute(buf: Uint8Array): [string, AttributeValue] {
  return attributeOf(decode(T.attribute, buf));
}

function attributeOf(a: Obj): [string, AttributeValue] {
  const name = str(a.name);
  const kind = ATTRIBUTE_TYPES.get(num(a.type)) ?? inferAttributeType(a);
  switch (kind) {
    case 'INT':
      return [name, { type: 'int', value: num(a.i) }];
    case 'FLOAT':
      return [name, { type: 'float', value: num(a.f) }];
    case 'STRING':
      return [name, { type: 'string', value: str(a.s) }];
    case 'INTS':
      return [name, { type: 'ints', value: ((a.ints as unknown[]) ?? []).map(Number) }];
    case 'FLOATS':
      return [name, { type: 'floats', value: ((a.floats as unknown[]) ?? []).map(Number) }];
    case 'STRINGS':
      return [name, { type: 'strings', value: ((a.strings as unknown[]) ?? []).map(str) }];
    case 'TENSOR':
      return [name, { type: 'tensor', value: tensorInfoOf((a.t as Obj) ?? {}) }];
    case 'GRAPH':
      return [name, { type: 'graph', value: str((a.g as Obj | undefined)?.name) }];
    case 'GRAPHS':
      return [name, { type: 'graphs', value: `${((a.graphs as unknown[]) ?? []).length} graphs` }];
    case 'TENSORS':
      return [name, { type: 'tensors', value: `${((a.tensors as unknown[]) ?? []).length} tensors` }];
    default:
      return [name, { type: 'other', value: kind }];
  }
}

/** IR version 1 attributes carry no type: the field that is set says it. */
function inferAttributeType(a: Obj): string {
  for (const [field, kind] of [['i', 'INT'], ['f', 'FLOAT'], ['s', 'STRING'], ['t', 'TENSOR'], ['g', 'GRAPH'], ['ints', 'INTS'], ['floats', 'FLOATS'], ['strings', 'STRINGS']] as const) {
    if (a[field] !== undefined) return kind;
  }
  return 'UNDEFINED';
}

export function decodeNode(buf: Uint8Array): NodeInfo {
  const n = decode(T.node, buf);
  const attributes: Record<string, AttributeValue> = {};
  for (const a of (n.attribute as Obj[] | undefined) ?? []) {
    const [k, v] = attributeOf(a);
    attributes[k] = v;
  }
  return {
    name: str(n.name),
    opType: str(n.op_type),
    domain: str(n.domain),
    inputs: ((n.input as unknown[]) ?? []).map(str),
    outputs: ((n.output as unknown[]) ?? []).map(str),
    attributes,
  };
}

export function decodeValueInfo(buf: Uint8Array): ValueInfo {
  const v = decode(T.valueInfo, buf);
  const out: ValueInfo = { name: str(v.name) };
  const tensor = (v.type as Obj | undefined)?.tensor_type as Obj | undefined;
  if (tensor) {
    if (tensor.elem_type !== undefined) out.elemType = dataTypeName(num(tensor.elem_type));
    const dims = ((tensor.shape as Obj | undefined)?.dim as Obj[] | undefined) ?? undefined;
    if (dims) out.shape = dims.map((d) => (d.dim_value !== undefined ? num(d.dim_value) : d.dim_param !== undefined ? str(d.dim_param) : '?'));
  }
  return out;
}

export function decodeAnnotation(buf: Uint8Array): [string, Record<string, string>] {
  const a = decode(T.annotation, buf);
  const params: Record<string, string> = {};
  for (const e of (a.quant_parameter_tensor_names as Obj[] | undefined) ?? []) params[str(e.key)] = str(e.value);
  return [str(a.tensor_name), params];
}

export function decodeOpset(buf: Uint8Array): { domain: string; version: number } {
  const o = decode(T.opset, buf);
  return { domain: str(o.domain), version: num(o.version) };
}

export function decodeEntry(buf: Uint8Array): [string, string] {
  const e = decode(T.entry, buf);
  return [str(e.key), str(e.value)];
}
