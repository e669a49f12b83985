/**
 * An ONNX model as the inspector sees it: structure and sizes, never initializer payloads.
 * Plain data (JSON-serializable), produced by scan-model.ts.
 */

/** A tensor's header: what it holds and how many bytes its payload takes in the file. */
export interface TensorInfo {
  name: string;
  /** ONNX element type name (FLOAT, INT8, ...), or the number when the schema does not know it. */
  dataType: string;
  dims: number[];
  /** Product of dims (1 for a scalar). */
  elements: number;
  /** Bytes of payload stored in the model file (raw_data or typed data fields); 0 when external. */
  storedBytes: number;
  /** Set when the payload lives in an external file (data_location EXTERNAL). */
  external?: { location: string; length?: number };
}

export type AttributeValue =
  | { type: 'int'; value: number }
  | { type: 'float'; value: number }
  | { type: 'string'; value: string }
  | { type: 'ints'; value: number[] }
  | { type: 'floats'; value: number[] }
  | { type: 'strings'; value: string[] }
  | { type: 'tensor'; value: TensorInfo }
  | { type: 'graph' | 'graphs' | 'tensors' | 'other'; value: string };

export interface NodeInfo {
  name: string;
  opType: string;
  /** '' for the default ONNX domain. */
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, AttributeValue>;
}

export interface ValueInfo {
  name: string;
  /** Element type name, when the value info has a tensor type. */
  elemType?: string;
  /** Dimensions: numbers, symbolic names, or '?' for an unknown dimension. */
  shape?: Array<number | string>;
}

export interface GraphInfo {
  name: string;
  nodes: NodeInfo[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  valueInfo: ValueInfo[];
  initializers: TensorInfo[];
  /** graph.quantization_annotation: tensor name -> key -> value (finn_datatype, tensor_layout). */
  annotations: Record<string, Record<string, string>>;
}

export interface ModelInfo {
  irVersion?: number;
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion?: number;
  opsets: Array<{ domain: string; version: number }>;
  metadata: Record<string, string>;
  graph: GraphInfo;
  /** Size of the file in bytes. */
  fileBytes: number;
}
