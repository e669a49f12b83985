import type { FinnReports } from '../finn/report-types.js';
import { finnDatatypeBits, onnxElementBits } from './finn-datatype.js';
import { graphKind, implOf, isHardwareNode } from './graph-kind.js';
import { cyclesEstimate, layerAttributes } from './hardware-layers.js';
import type { GraphInfo, ModelInfo, NodeInfo, TensorInfo, ValueInfo } from './model-types.js';
import type { HardwareLayer, LayerWeights, ModelSummary, TensorSummary } from './summary-types.js';

export interface SummaryInputs {
  file: string;
  info: ModelInfo;
  /** Dataflow partitions already summarized (their layers are joined into this summary's table). */
  children: ModelSummary['children'];
  /** Child graphs, so the kind of a parent counts its partitions' nodes. */
  childGraphs: GraphInfo[];
  /** FINN reports found beside the model. */
  reports: Partial<FinnReports>;
  reportFiles: ModelSummary['reports'];
}

const key = (n: { domain: string; opType: string }) => (n.domain ? `${n.domain}:${n.opType}` : n.opType);

function tensorSummary(v: ValueInfo, annotations: GraphInfo['annotations']): TensorSummary {
  const out: TensorSummary = { name: v.name };
  if (v.shape) out.shape = v.shape;
  if (v.elemType) out.elemType = v.elemType;
  const dt = annotations[v.name]?.finn_datatype;
  if (dt) out.finnDatatype = dt;
  return out;
}

/** Weights of one node: its initializer inputs at their annotated width (else the weightDataType attribute for input 1, else the carrier). */
function nodeWeights(node: NodeInfo, inits: Map<string, TensorInfo>, annotations: GraphInfo['annotations']): LayerWeights | undefined {
  const tensors: LayerWeights['tensors'] = [];
  node.inputs.forEach((input, index) => {
    const t = inits.get(input);
    if (!t) return;
    const carrierBits = onnxElementBits(t.dataType);
    const carrierBytes = t.external?.length ?? (t.storedBytes || (carrierBits === undefined ? 0 : Math.ceil((t.elements * carrierBits) / 8)));
    const annotated = annotations[input]?.finn_datatype;
    const weightAttr = node.attributes.weightDataType;
    let bits: number | undefined;
    let bitsFrom: LayerWeights['tensors'][number]['bitsFrom'] = 'unknown';
    if (annotated !== undefined && finnDatatypeBits(annotated) !== undefined) {
      bits = finnDatatypeBits(annotated);
      bitsFrom = 'annotation';
    } else if (index === 1 && weightAttr?.type === 'string' && finnDatatypeBits(weightAttr.value) !== undefined) {
      bits = finnDatatypeBits(weightAttr.value);
      bitsFrom = 'attribute';
    } else if (carrierBits !== undefined) {
      bits = carrierBits;
      bitsFrom = 'carrier';
    }
    tensors.push({ name: input, dims: t.dims, elements: t.elements, bits, bitsFrom, bytes: bits === undefined ? undefined : Math.ceil((t.elements * bits) / 8), carrierBytes });
  });
  if (tensors.length === 0) return undefined;
  return { node: node.name, tensors, bytes: tensors.reduce((a, t) => a + (t.bytes ?? t.carrierBytes), 0), carrierBytes: tensors.reduce((a, t) => a + t.carrierBytes, 0) };
}

/** post_synth_resources.json names instances hierarchically on Zynq: StreamingDataflowPartition_1_MVAU_rtl_0. */
function postSynthRow(rows: Record<string, Record<string, number>> | undefined, name: string) {
  if (!rows) return undefined;
  if (rows[name]) return rows[name];
  const hit = Object.keys(rows).find((k) => k.endsWith(`_${name}`) && /^StreamingDataflowPartition_\d+_/.test(k) && k.replace(/^StreamingDataflowPartition_\d+_/, '') === name);
  return hit ? rows[hit] : undefined;
}

export function joinReports(layer: HardwareLayer, r: Partial<FinnReports>): void {
  const est = r.estimateLayerResources?.layers[layer.name];
  if (est) layer.reports.estimate = est;
  const cyc = r.estimateLayerCycles?.[layer.name];
  if (cyc !== undefined) layer.reports.estimateCycles = cyc;
  const hls = r.estimateLayerResourcesHls?.[layer.name];
  if (hls) layer.reports.hls = hls;
  const post = postSynthRow(r.postSynthResources?.layers, layer.name);
  if (post) layer.reports.postSynth = post;
  const ops = r.opAndParamCounts?.layers[layer.name];
  if (ops) layer.reports.opsAndParams = ops;
}

export function summarize(s: SummaryInputs): ModelSummary {
  const g = s.info.graph;
  const inits = new Map(g.initializers.map((t) => [t.name, t]));
  const domains: Record<string, number> = {};
  const nodesByOpType: Record<string, number> = {};
  for (const n of g.nodes) {
    domains[n.domain] = (domains[n.domain] ?? 0) + 1;
    nodesByOpType[key(n)] = (nodesByOpType[key(n)] ?? 0) + 1;
  }
  const weights = g.nodes.map((n) => nodeWeights(n, inits, g.annotations)).filter((w): w is LayerWeights => w !== undefined);
  const weightByNode = new Map(weights.map((w) => [w.node, w]));
  const layers: HardwareLayer[] = g.nodes
    .filter((n) => isHardwareNode(n.domain))
    .map((n) => {
      const layer: HardwareLayer = { name: n.name, opType: n.opType, domain: n.domain, model: '', attributes: layerAttributes(n), reports: {} };
      const impl = implOf(n.domain, n.opType);
      if (impl) layer.impl = impl;
      const c = cyclesEstimate(n);
      if (c) {
        layer.cycles = c.cycles;
        layer.cyclesFormula = c.formula;
      }
      const w = weightByNode.get(n.name);
      if (w) layer.weightBytes = w.bytes;
      return layer;
    });
  // Partition layers appear in the parent's table, marked with the child model they live in.
  for (const child of s.children) {
    for (const l of child.summary?.layers ?? []) layers.push({ ...l, model: l.model ? `${child.model} > ${l.model}` : child.model, reports: {} });
  }
  for (const l of layers) joinReports(l, s.reports);
  const datatypes: Record<string, string> = {};
  for (const [t, p] of Object.entries(g.annotations)) if (p.finn_datatype !== undefined) datatypes[t] = p.finn_datatype;
  const { kind, reason } = graphKind([g, ...s.childGraphs]);
  return {
    file: s.file,
    fileBytes: s.info.fileBytes,
    kind,
    kindReason: reason,
    ...(s.info.irVersion !== undefined ? { irVersion: s.info.irVersion } : {}),
    producer: [s.info.producerName, s.info.producerVersion].filter(Boolean).join(' '),
    opsets: s.info.opsets,
    domains,
    inputs: g.inputs.filter((v) => !inits.has(v.name)).map((v) => tensorSummary(v, g.annotations)),
    outputs: g.outputs.map((v) => tensorSummary(v, g.annotations)),
    nodeCount: g.nodes.length,
    nodesByOpType,
    datatypes,
    layers,
    weights,
    weightTotals: {
      bytes: weights.reduce((a, w) => a + w.bytes, 0),
      carrierBytes: weights.reduce((a, w) => a + w.carrierBytes, 0),
      initializers: g.initializers.length,
      initializerStoredBytes: g.initializers.reduce((a, t) => a + t.storedBytes, 0),
    },
    metadata: s.info.metadata,
    nodes: g.nodes.map((n) => ({ name: n.name, opType: n.opType, domain: n.domain, inputs: n.inputs, outputs: n.outputs, attributes: n.attributes })),
    children: s.children,
    reports: s.reportFiles,
  };
}
