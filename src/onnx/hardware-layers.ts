import type { AttributeValue, NodeInfo } from './model-types.js';

/** The attributes the per-layer table shows (FINN's names). */
export const LAYER_ATTRIBUTES = [
  'PE', 'SIMD', 'MW', 'MH', 'NumChannels', 'inputDataType', 'weightDataType', 'outputDataType', 'accDataType',
  'mem_mode', 'ram_style', 'resType', 'inFIFODepths', 'outFIFODepths', 'depth', 'impl_style', 'preferred_impl_style', 'numInputVectors',
] as const;

export function plainValue(v: AttributeValue): number | string | number[] | undefined {
  switch (v.type) {
    case 'int':
    case 'float':
    case 'string':
    case 'ints':
    case 'floats':
      return v.value;
    case 'strings':
      return v.value.join(',');
    default:
      return undefined;
  }
}

export function layerAttributes(node: NodeInfo): Record<string, number | string | number[]> {
  const out: Record<string, number | string | number[]> = {};
  for (const k of LAYER_ATTRIBUTES) {
    const a = node.attributes[k];
    const v = a && plainValue(a);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

const int = (node: NodeInfo, k: string): number | undefined => {
  const a = node.attributes[k];
  return a?.type === 'int' ? a.value : undefined;
};
const ints = (node: NodeInfo, k: string): number[] | undefined => {
  const a = node.attributes[k];
  return a?.type === 'ints' ? a.value : a?.type === 'int' ? [a.value] : undefined;
};
const prod = (xs: number[]) => xs.reduce((a, b) => a * b, 1);

/**
 * Expected cycles per input, as FINN's get_exp_cycles computes them (checked against FINN's
 * matrixvectoractivation.py, vectorvectoractivation.py and thresholding.py):
 * - MVAU / MatrixVectorActivation: int((MH/PE) * (MW/SIMD) * prod(numInputVectors))
 * - VVAU / VectorVectorActivation: int((Channels*prod(Kernel))/PE/SIMD * prod(Dim))
 * - Thresholding: prod of the folded output shape but PE, i.e. prod(numInputVectors) * (NumChannels // PE)
 * - any other layer: its `cycles_estimate` attribute when FINN stored one.
 * FINN truncates (`int()`, `//`); the results differ from exact quotients only for a folding whose
 * PE or SIMD does not divide its dimension, which FINN's own checks reject elsewhere.
 * Undefined when an attribute it needs is missing.
 */
export function cyclesEstimate(node: NodeInfo): { cycles: number; formula: string } | undefined {
  const base = node.opType.replace(/_(hls|rtl)$/, '');
  const pe = int(node, 'PE');
  const simd = int(node, 'SIMD');
  if (base === 'MVAU' || base === 'MatrixVectorActivation') {
    const mw = int(node, 'MW');
    const mh = int(node, 'MH');
    if (pe && simd && mw !== undefined && mh !== undefined) return { cycles: Math.trunc((mh / pe) * (mw / simd) * prod(ints(node, 'numInputVectors') ?? [1])), formula: '(MH/PE)*(MW/SIMD)*prod(numInputVectors)' };
  } else if (base === 'VVAU' || base === 'VectorVectorActivation') {
    const ch = int(node, 'Channels');
    const kernel = ints(node, 'Kernel');
    const dim = ints(node, 'Dim');
    if (pe && simd && ch !== undefined && kernel && dim) return { cycles: Math.trunc(((ch * prod(kernel)) / pe / simd) * prod(dim)), formula: '(Channels*prod(Kernel)/PE/SIMD)*prod(Dim)' };
  } else if (base === 'Thresholding' || base === 'Thresholding_Batch') {
    const ch = int(node, 'NumChannels');
    if (pe && ch !== undefined) return { cycles: Math.floor(ch / pe) * prod(ints(node, 'numInputVectors') ?? [1]), formula: '(NumChannels//PE)*prod(numInputVectors)' };
  }
  const stored = int(node, 'cycles_estimate');
  return stored === undefined ? undefined : { cycles: stored, formula: 'cycles_estimate attribute' };
}
