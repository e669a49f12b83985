// Analytic cost model of one quantized transformer encoder block as FINN builds it: Q/K/V/O
// projections and the two MLP layers become MVAU layers (weights on chip), the attention core
// (QK^T, softmax, AV) one ScaledDotProductAttention operator that must buffer K and V for the whole
// sequence, and every quantizer a Thresholding layer with 2^bits - 1 thresholds per channel.

/** @param {{heads: number, headDim: number, bits: number, seqLen: number, numLayers: number, mlpRatio: number, bias: boolean}} c */
export function encoderCost(c) {
  const emb = c.heads * c.headDim;
  const mlp = c.mlpRatio * emb;
  const s = c.seqLen;
  const projections = 4 * s * emb * emb;
  const attention = 2 * c.heads * s * s * c.headDim; // QK^T and AV
  const mlpMacs = 2 * s * emb * mlp;
  const weights = 4 * emb * emb + 2 * emb * mlp + (c.bias ? 4 * emb + mlp + emb : 0);
  // Quantizers: Q, K, V, attention weights, attention out, two residuals, the MLP activation.
  const thresholdChannels = 7 * emb + mlp;
  const thresholds = thresholdChannels * (2 ** c.bits - 1);
  // K and V buffered over the sequence, plus one row of attention scores per head.
  const kvBufferBits = 2 * s * emb * c.bits;
  const scoreRowBits = c.heads * s * c.bits;
  const perLayer = {
    macs: projections + attention + mlpMacs,
    attention_macs: attention,
    weight_bits: weights * c.bits,
    threshold_bits: thresholds * c.bits * 2, // thresholds are stored wider than the activations
    activation_buffer_bits: kvBufferBits + scoreRowBits,
  };
  const L = c.numLayers;
  return {
    emb_dim: emb,
    mlp_dim: mlp,
    macs: L * perLayer.macs,
    attention_mac_share: perLayer.attention_macs / perLayer.macs,
    weight_bytes: Math.ceil((L * perLayer.weight_bits) / 8),
    threshold_bytes: Math.ceil((L * perLayer.threshold_bits) / 8),
    activation_buffer_bytes: Math.ceil((L * perLayer.activation_buffer_bits) / 8),
    // 18 Kib blocks if every weight and buffer went to BRAM: the first-order resource FINN-T tabulates.
    bram18_upper_bound: Math.ceil((L * (perLayer.weight_bits + perLayer.activation_buffer_bits)) / 18432),
  };
}
