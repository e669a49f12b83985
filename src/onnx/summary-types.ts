import type { ResourceCounts } from '../finn/report-types.js';
import type { NodeInfo } from './model-types.js';

/**
 * What stage of the FINN flow a graph is at (rules in graph-kind.ts, README "Inspecting ONNX
 * models"): plain ONNX, QONNX (quantizers as Quant/BipolarQuant/Trunc nodes), FINN-ONNX
 * (quantization carried by datatype annotations and MultiThreshold), hardware (fpgadataflow layers),
 * specialized (layers bound to an HLS or RTL implementation).
 */
export type GraphKind = 'onnx' | 'qonnx' | 'finn-onnx' | 'hardware' | 'specialized';

export interface TensorSummary {
  name: string;
  shape?: Array<number | string>;
  /** ONNX element type (the carrier, FLOAT for FINN's quantized tensors). */
  elemType?: string;
  /** FINN datatype from graph.quantization_annotation. */
  finnDatatype?: string;
}

export interface LayerWeights {
  node: string;
  tensors: Array<{ name: string; dims: number[]; elements: number; bits: number | undefined; bitsFrom: 'annotation' | 'attribute' | 'carrier' | 'unknown'; bytes: number | undefined; carrierBytes: number }>;
  /** Bytes at the annotated bit width (ceil(elements * bits / 8) per tensor); carrier width where no annotation exists. */
  bytes: number;
  /** Bytes as stored (float32 carrier). */
  carrierBytes: number;
}

/** One hardware layer: its folding and datatypes, a cycles estimate, and FINN's report rows for it. */
export interface HardwareLayer {
  name: string;
  opType: string;
  domain: string;
  /** hls / rtl once specialized. */
  impl?: 'hls' | 'rtl';
  /** The child model the layer lives in, relative to the inspected file ('' for the file itself). */
  model: string;
  attributes: Record<string, number | string | number[]>;
  cycles?: number;
  /** How the estimate was computed, e.g. "(MH/PE)*(MW/SIMD)*prod(numInputVectors)". */
  cyclesFormula?: string;
  weightBytes?: number;
  reports: {
    estimate?: ResourceCounts;
    estimateCycles?: number;
    hls?: ResourceCounts;
    postSynth?: ResourceCounts;
    opsAndParams?: Record<string, number>;
  };
}

/** A node as the summary lists it: exactly what the scanner decoded. */
export type NodeSummary = NodeInfo;

export interface ModelSummary {
  /** As given (or as resolved: a stage's output, a cache object for STAGE@REV). */
  file: string;
  fileBytes: number;
  kind: GraphKind;
  /** Why: the rule that decided the kind. */
  kindReason: string;
  irVersion?: number;
  producer: string;
  opsets: Array<{ domain: string; version: number }>;
  /** Node domains with their node counts ('' is the default ONNX domain). */
  domains: Record<string, number>;
  inputs: TensorSummary[];
  outputs: TensorSummary[];
  nodeCount: number;
  /** "domain:OpType" ('OpType' for the ONNX domain) -> count. */
  nodesByOpType: Record<string, number>;
  /** FINN datatype per annotated tensor. */
  datatypes: Record<string, string>;
  layers: HardwareLayer[];
  weights: LayerWeights[];
  weightTotals: { bytes: number; carrierBytes: number; initializers: number; initializerStoredBytes: number };
  metadata: Record<string, string>;
  nodes: NodeSummary[];
  /** Dataflow partitions followed: node name -> child summary, or why it could not be read. */
  children: Array<{ node: string; model: string; summary?: ModelSummary; error?: string }>;
  /** FINN report files found beside the model and joined into `layers` (and problems reading them). */
  reports: { found: string[]; errors: string[] };
}
