import type { GraphInfo } from './model-types.js';
import type { GraphKind } from './summary-types.js';

export const FPGADATAFLOW = 'finn.custom_op.fpgadataflow';
const QUANTIZERS = new Set(['Quant', 'BipolarQuant', 'BinaryQuant', 'Trunc', 'FloatQuant']);
const FINN_GENERAL = new Set(['qonnx.custom_op.general', 'finn.custom_op.general']);

/** hls / rtl for a specialized layer (domain finn.custom_op.fpgadataflow.hls|.rtl, or op type suffix). */
export function implOf(domain: string, opType: string): 'hls' | 'rtl' | undefined {
  if (!domain.startsWith(FPGADATAFLOW)) return undefined;
  if (domain === `${FPGADATAFLOW}.hls` || opType.endsWith('_hls')) return 'hls';
  if (domain === `${FPGADATAFLOW}.rtl` || opType.endsWith('_rtl')) return 'rtl';
  return undefined;
}

export const isHardwareNode = (domain: string): boolean => domain === FPGADATAFLOW || domain.startsWith(`${FPGADATAFLOW}.`);

/**
 * The kind of a graph, first rule that matches (a parent model is judged with its partitions'
 * nodes included):
 * 1. specialized: a node in finn.custom_op.fpgadataflow.hls / .rtl (or an fpgadataflow op named *_hls / *_rtl);
 * 2. hardware: a node in finn.custom_op.fpgadataflow;
 * 3. qonnx: a quantizer node (Quant, BipolarQuant, BinaryQuant, Trunc, FloatQuant; any domain, e.g. onnx.brevitas);
 * 4. finn-onnx: a node in qonnx.custom_op.general / finn.custom_op.general (MultiThreshold, ...), or a
 *    finn_datatype annotation other than FLOAT32;
 * 5. onnx: none of these.
 */
export function graphKind(graphs: readonly GraphInfo[]): { kind: GraphKind; reason: string } {
  const nodes = graphs.flatMap((g) => g.nodes);
  const spec = nodes.find((n) => implOf(n.domain, n.opType) !== undefined);
  if (spec) return { kind: 'specialized', reason: `${spec.opType} (${spec.name}) in ${spec.domain}` };
  const hw = nodes.find((n) => isHardwareNode(n.domain));
  if (hw) return { kind: 'hardware', reason: `${hw.opType} (${hw.name}) in ${hw.domain}` };
  const q = nodes.find((n) => QUANTIZERS.has(n.opType));
  if (q) return { kind: 'qonnx', reason: `quantizer ${q.opType} (${q.name})${q.domain ? ` in ${q.domain}` : ''}` };
  const general = nodes.find((n) => FINN_GENERAL.has(n.domain) && n.opType !== 'StreamingDataflowPartition');
  if (general) return { kind: 'finn-onnx', reason: `${general.opType} (${general.name}) in ${general.domain}` };
  for (const g of graphs) {
    const annotated = Object.entries(g.annotations).find(([, p]) => p.finn_datatype !== undefined && p.finn_datatype !== 'FLOAT32');
    if (annotated) return { kind: 'finn-onnx', reason: `tensor ${annotated[0]} annotated ${annotated[1].finn_datatype}` };
  }
  return { kind: 'onnx', reason: 'no quantizers, custom ops or FINN datatype annotations' };
}
