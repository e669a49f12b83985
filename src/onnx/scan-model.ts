import { FileCursor, OnnxFormatError } from './file-cursor.js';
import { dataTypeName, decodeAnnotation, decodeAttribute, decodeEntry, decodeNode, decodeOpset, decodeValueInfo } from './decode-small.js';
import type { AttributeValue, GraphInfo, ModelInfo, NodeInfo, TensorInfo } from './model-types.js';
import { AttributeFields, GraphFields, ModelFields, NodeFields, TensorFields, type MessageFields } from './schema-fields.js';

export { OnnxFormatError } from './file-cursor.js';

/**
 * Messages up to this size are read into memory and decoded with protobufjs; larger ones (a node
 * whose attribute holds a big tensor) are scanned field by field like the graph itself.
 */
const SMALL_MESSAGE = 8 << 20;

const M = { graph: ModelFields.id('graph'), ir: ModelFields.id('ir_version'), producer: ModelFields.id('producer_name'), producerVersion: ModelFields.id('producer_version'), domain: ModelFields.id('domain'), modelVersion: ModelFields.id('model_version'), opset: ModelFields.id('opset_import'), metadata: ModelFields.id('metadata_props') };
const G = { node: GraphFields.id('node'), name: GraphFields.id('name'), initializer: GraphFields.id('initializer'), input: GraphFields.id('input'), output: GraphFields.id('output'), valueInfo: GraphFields.id('value_info'), annotation: GraphFields.id('quantization_annotation') };
const T = { dims: TensorFields.id('dims'), dataType: TensorFields.id('data_type'), name: TensorFields.id('name'), external: TensorFields.id('external_data'), location: TensorFields.id('data_location') };
/** Payload fields of a TensorProto: sized, skipped, never read. */
const TENSOR_PAYLOAD = new Set(['raw_data', 'float_data', 'int32_data', 'string_data', 'int64_data', 'double_data', 'uint64_data']);
const N = { input: NodeFields.id('input'), output: NodeFields.id('output'), name: NodeFields.id('name'), opType: NodeFields.id('op_type'), domain: NodeFields.id('domain'), attribute: NodeFields.id('attribute') };
const A = { name: AttributeFields.id('name'), type: AttributeFields.id('type'), t: AttributeFields.id('t') };

interface Field {
  no: number;
  wire: number;
  /** Byte offset of the tag. */
  at: number;
}

/**
 * Walks the fields of the message between the cursor and `end`. A field the schema knows must
 * arrive with its wire type; with `strict` (the top level, where a non-ONNX file shows itself) an
 * unknown field number is an error too, elsewhere it is skipped as protobuf allows.
 */
function* fields(c: FileCursor, end: number, schema: MessageFields, what: string, strict = false): Generator<Field> {
  while (c.pos < end) {
    const at = c.pos;
    const tag = c.varint(end, `a field tag of ${what}`);
    const no = Math.floor(tag / 8);
    const wire = tag & 7;
    const known = schema.byNumber.get(no);
    if (!known) {
      if (strict || no === 0 || wire === 3 || wire === 4 || wire > 5) throw new OnnxFormatError(`byte ${at}: field number ${no} (wire type ${wire}) is not part of ${what}`, at);
      c.skipValue(wire, end, `unknown field ${no} of ${what}`);
      continue;
    }
    if (!known.wire.includes(wire)) throw new OnnxFormatError(`byte ${at}: ${what}.${known.name} has wire type ${wire}, expected ${known.wire.join(' or ')}`, at);
    const before = c.pos;
    yield { no, wire, at };
    // A consumer that ignored the field leaves the cursor where it was: skip its value.
    if (c.pos === before) c.skipValue(wire, end, `${what}.${known.name}`);
  }
}

function sub(c: FileCursor, end: number, what: string): Buffer {
  const n = c.length(end, what);
  return c.bytes(n, end, what);
}

function string(c: FileCursor, end: number, what: string): string {
  return sub(c, end, what).toString('utf8');
}

/** Decodes a small message with protobufjs; a protobufjs complaint becomes a positioned error. */
function decoded<T>(c: FileCursor, end: number, what: string, decode: (b: Buffer) => T): T {
  const at = c.pos;
  const buf = sub(c, end, what);
  try {
    return decode(buf);
  } catch (e) {
    throw new OnnxFormatError(`${what} at byte ${at}: ${(e as Error).message}`, at);
  }
}

function scanTensor(c: FileCursor, end: number, what: string): TensorInfo {
  const dims: number[] = [];
  let dataType = 0;
  let name = '';
  let storedBytes = 0;
  let external: Record<string, string> | undefined;
  let location = 0;
  for (const f of fields(c, end, TensorFields, what)) {
    const fieldName = TensorFields.byNumber.get(f.no)!.name;
    if (f.no === T.dims) {
      if (f.wire === 0) dims.push(c.varint(end, `${what}.dims`));
      else {
        const stop = c.end(c.length(end, `${what}.dims`));
        while (c.pos < stop) dims.push(c.varint(stop, `${what}.dims`));
      }
    } else if (f.no === T.dataType) dataType = c.varint(end, `${what}.data_type`);
    else if (f.no === T.name) name = string(c, end, `${what}.name`);
    else if (f.no === T.location) location = c.varint(end, `${what}.data_location`);
    else if (f.no === T.external) {
      const [k, v] = decoded(c, end, `${what}.external_data`, decodeEntry);
      (external ??= {})[k] = v;
    } else if (TENSOR_PAYLOAD.has(fieldName)) {
      if (f.wire === 2) {
        const n = c.length(end, `${what}.${fieldName}`);
        c.skip(n, end, `${what}.${fieldName}`);
        storedBytes += n;
      } else {
        const start = c.pos;
        c.skipValue(f.wire, end, `${what}.${fieldName}`);
        storedBytes += c.pos - start;
      }
    }
  }
  const info: TensorInfo = { name, dataType: dataTypeName(dataType), dims, elements: dims.reduce((a, b) => a * b, 1), storedBytes };
  if (location === 1 || external) {
    const length = external?.length !== undefined ? Number(external.length) : undefined;
    info.external = { location: external?.location ?? '', ...(length !== undefined && Number.isFinite(length) ? { length } : {}) };
  }
  return info;
}

/** An attribute too large to decode in memory: its name and type, and a tensor's header. */
function scanLargeAttribute(c: FileCursor, end: number, what: string): [string, AttributeValue] {
  let name = '';
  let value: AttributeValue = { type: 'other', value: 'large' };
  for (const f of fields(c, end, AttributeFields, what)) {
    if (f.no === A.name) name = string(c, end, `${what}.name`);
    else if (f.no === A.t) {
      const stop = c.end(c.length(end, `${what}.t`));
      value = { type: 'tensor', value: scanTensor(c, stop, `${what}.t`) };
    }
  }
  return [name, value];
}

function scanLargeNode(c: FileCursor, end: number, what: string): NodeInfo {
  const node: NodeInfo = { name: '', opType: '', domain: '', inputs: [], outputs: [], attributes: {} };
  for (const f of fields(c, end, NodeFields, what)) {
    if (f.no === N.input) node.inputs.push(string(c, end, `${what}.input`));
    else if (f.no === N.output) node.outputs.push(string(c, end, `${what}.output`));
    else if (f.no === N.name) node.name = string(c, end, `${what}.name`);
    else if (f.no === N.opType) node.opType = string(c, end, `${what}.op_type`);
    else if (f.no === N.domain) node.domain = string(c, end, `${what}.domain`);
    else if (f.no === N.attribute) {
      const len = c.length(end, `${what}.attribute`);
      const [k, v] = len <= SMALL_MESSAGE ? decodeAt(c, len, end, `${what}.attribute`, decodeAttribute) : scanLargeAttribute(c, c.end(len), `${what}.attribute`);
      node.attributes[k] = v;
    }
  }
  return node;
}

function decodeAt<T>(c: FileCursor, len: number, end: number, what: string, decode: (b: Buffer) => T): T {
  const at = c.pos;
  const buf = c.bytes(len, end, what);
  try {
    return decode(buf);
  } catch (e) {
    throw new OnnxFormatError(`${what} at byte ${at}: ${(e as Error).message}`, at);
  }
}

function scanGraph(c: FileCursor, end: number): GraphInfo {
  const g: GraphInfo = { name: '', nodes: [], inputs: [], outputs: [], valueInfo: [], initializers: [], annotations: {} };
  for (const f of fields(c, end, GraphFields, 'GraphProto')) {
    const what = `graph.${GraphFields.byNumber.get(f.no)!.name}[${f.no === G.node ? g.nodes.length : f.no === G.initializer ? g.initializers.length : ''}]`;
    if (f.no === G.node) {
      const len = c.length(end, what);
      g.nodes.push(len <= SMALL_MESSAGE ? decodeAt(c, len, end, what, decodeNode) : scanLargeNode(c, c.end(len), what));
    } else if (f.no === G.initializer) {
      const stop = c.end(c.length(end, what));
      g.initializers.push(scanTensor(c, stop, what));
    } else if (f.no === G.name) g.name = string(c, end, 'graph.name');
    else if (f.no === G.input) g.inputs.push(decoded(c, end, what, decodeValueInfo));
    else if (f.no === G.output) g.outputs.push(decoded(c, end, what, decodeValueInfo));
    else if (f.no === G.valueInfo) g.valueInfo.push(decoded(c, end, what, decodeValueInfo));
    else if (f.no === G.annotation) {
      const [tensor, params] = decoded(c, end, what, decodeAnnotation);
      g.annotations[tensor] = { ...g.annotations[tensor], ...params };
    }
  }
  return g;
}

/**
 * Summarizes an ONNX file by one pass over its bytes with a bounded window: initializer payloads
 * are skipped (their sizes recorded), so memory does not grow with the weights. Throws
 * OnnxFormatError for anything that is not a well-formed ModelProto (empty, truncated, wrong wire
 * types, lengths past the end, unknown top-level fields, no graph).
 */
export function scanModel(file: string): ModelInfo {
  const c = new FileCursor(file);
  try {
    if (c.size === 0) throw new OnnxFormatError('the file is empty', 0);
    const model: Partial<ModelInfo> & { opsets: ModelInfo['opsets']; metadata: ModelInfo['metadata'] } = { producerName: '', producerVersion: '', domain: '', opsets: [], metadata: {} };
    let graph: GraphInfo | undefined;
    for (const f of fields(c, c.size, ModelFields, 'ModelProto', true)) {
      if (f.no === M.graph) {
        if (graph) throw new OnnxFormatError(`byte ${f.at}: a second graph`, f.at);
        const stop = c.end(c.length(c.size, 'ModelProto.graph'));
        graph = scanGraph(c, stop);
      } else if (f.no === M.ir) model.irVersion = c.varint(c.size, 'ir_version');
      else if (f.no === M.modelVersion) model.modelVersion = c.varint(c.size, 'model_version');
      else if (f.no === M.producer) model.producerName = string(c, c.size, 'producer_name');
      else if (f.no === M.producerVersion) model.producerVersion = string(c, c.size, 'producer_version');
      else if (f.no === M.domain) model.domain = string(c, c.size, 'domain');
      else if (f.no === M.opset) model.opsets.push(decoded(c, c.size, 'opset_import', decodeOpset));
      else if (f.no === M.metadata) {
        const [k, v] = decoded(c, c.size, 'metadata_props', decodeEntry);
        model.metadata[k] = v;
      }
    }
    if (model.irVersion === undefined) throw new OnnxFormatError('no ir_version (every ONNX model has one)', 0);
    if (!graph) throw new OnnxFormatError('no graph (every ONNX model has one)', 0);
    return { ...(model as ModelInfo), graph, fileBytes: c.size };
  } finally {
    c.close();
  }
}
