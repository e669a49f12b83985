/**
 * Bit width of a FINN/QONNX datatype name as written in `finn_datatype` annotations and the
 * *DataType attributes: BINARY, BIPOLAR, TERNARY, INT<n>, UINT<n>, FIXED<w,i>, SCALEDINT<n>,
 * FLOAT32, FLOAT16, FLOAT<e,m,b> (qonnx ArbPrecFloatType: 1 + e + m bits). Undefined when unknown.
 */
export function finnDatatypeBits(name: string): number | undefined {
  const n = name.trim().toUpperCase();
  if (n === 'BINARY' || n === 'BIPOLAR') return 1;
  if (n === 'TERNARY') return 2;
  if (n === 'FLOAT32') return 32;
  if (n === 'FLOAT16' || n === 'BFLOAT16') return 16;
  const int = /^(?:U?INT(\d+)|SCALEDINT<(\d+)>)$/.exec(n);
  if (int) return Number(int[1] ?? int[2]);
  const fixed = /^FIXED<(\d+),\s*-?\d+>$/.exec(n);
  if (fixed) return Number(fixed[1]);
  const float = /^FLOAT<(\d+),\s*(\d+)(?:,\s*-?\d+)?>$/.exec(n);
  if (float) return 1 + Number(float[1]) + Number(float[2]);
  return undefined;
}

/** Bits per element of an ONNX element type (the carrier); undefined for strings and unknown types. */
export function onnxElementBits(dataType: string): number | undefined {
  const bits: Record<string, number> = {
    FLOAT: 32, UINT8: 8, INT8: 8, UINT16: 16, INT16: 16, INT32: 32, INT64: 64, BOOL: 8, FLOAT16: 16, DOUBLE: 64,
    UINT32: 32, UINT64: 64, COMPLEX64: 64, COMPLEX128: 128, BFLOAT16: 16, FLOAT8E4M3FN: 8, FLOAT8E4M3FNUZ: 8,
    FLOAT8E5M2: 8, FLOAT8E5M2FNUZ: 8, UINT4: 4, INT4: 4, FLOAT4E2M1: 4, FLOAT8E8M0: 8, UINT2: 2, INT2: 2,
  };
  return bits[dataType];
}
