import { ONNX_SCHEMA } from './onnx-schema.js';

// Field numbers and wire types come from ONNX's published schema (onnx.proto -> onnx-schema.ts),
// so the streaming scanner and protobufjs agree on one source.

interface FieldDescriptor {
  id: number;
  type: string;
  rule?: string;
}
type MessageDescriptor = { fields: Record<string, FieldDescriptor>; nested?: Record<string, unknown> };

const onnx = (ONNX_SCHEMA.nested as Record<string, { nested: Record<string, unknown> }>).onnx!.nested;

function message(name: string): MessageDescriptor {
  const m = onnx[name] as MessageDescriptor | undefined;
  if (!m?.fields) throw new Error(`onnx schema has no message ${name}`);
  return m;
}

const VARINT = new Set(['int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'bool']);
const FIXED64 = new Set(['double', 'fixed64', 'sfixed64']);
const FIXED32 = new Set(['float', 'fixed32', 'sfixed32']);

/** Wire types a field may arrive with: its own, and 2 for a (packed) repeated scalar. */
function wireTypes(f: FieldDescriptor, owner: MessageDescriptor): number[] {
  const scalar = VARINT.has(f.type) ? 0 : FIXED64.has(f.type) ? 1 : FIXED32.has(f.type) ? 5 : isEnum(f.type, owner) ? 0 : 2;
  return f.rule === 'repeated' && scalar !== 2 ? [scalar, 2] : [scalar];
}

/** An enum named relative to the message that uses it (AttributeProto.type: AttributeType), or from the package. */
function isEnum(type: string, owner: MessageDescriptor): boolean {
  if ((owner.nested?.[type] as { values?: unknown } | undefined)?.values) return true;
  const [outer, inner] = type.split('.');
  const o = onnx[outer!] as { values?: unknown; nested?: Record<string, { values?: unknown }> } | undefined;
  if (inner === undefined) return !!o?.values;
  return !!o?.nested?.[inner]?.values;
}

export interface MessageFields {
  /** Field number by name (only the names the scanner uses are looked up). */
  id(name: string): number;
  /** Name and accepted wire types by number; undefined for a number the schema does not know. */
  byNumber: Map<number, { name: string; wire: number[] }>;
}

function fieldsOf(name: string): MessageFields {
  const m = message(name);
  const byNumber = new Map<number, { name: string; wire: number[] }>();
  for (const [fname, f] of Object.entries(m.fields)) byNumber.set(f.id, { name: fname, wire: wireTypes(f, m) });
  return {
    id: (field) => {
      const f = m.fields[field];
      if (!f) throw new Error(`onnx schema: ${name} has no field ${field}`);
      return f.id;
    },
    byNumber,
  };
}

export const ModelFields = fieldsOf('ModelProto');
export const GraphFields = fieldsOf('GraphProto');
export const TensorFields = fieldsOf('TensorProto');
export const NodeFields = fieldsOf('NodeProto');
export const AttributeFields = fieldsOf('AttributeProto');

/** TensorProto.DataType: number -> name (FLOAT, INT8, ...). */
export const TENSOR_DATA_TYPES: ReadonlyMap<number, string> = new Map(
  Object.entries((onnx.TensorProto as { nested: { DataType: { values: Record<string, number> } } }).nested.DataType.values).map(([k, v]) => [v, k]),
);

/** AttributeProto.AttributeType: number -> name (FLOAT, INT, STRING, TENSOR, ...). */
export const ATTRIBUTE_TYPES: ReadonlyMap<number, string> = new Map(
  Object.entries((onnx.AttributeProto as { nested: { AttributeType: { values: Record<string, number> } } }).nested.AttributeType.values).map(([k, v]) => [v, k]),
);
