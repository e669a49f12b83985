// One configuration of the sweep -> build/configs/<name>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { encoderCost } from './attention.mjs';

const { values } = parseArgs({
  options: {
    heads: { type: 'string' },
    head_dim: { type: 'string' },
    bits: { type: 'string' },
    seq_len: { type: 'string' },
    num_layers: { type: 'string' },
    mlp_ratio: { type: 'string' },
    bias: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const int = (name) => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`analyze: --${name} must be a whole number >= 1, got ${values[name]}`);
    process.exit(2);
  }
  return n;
};
const config = {
  heads: int('heads'),
  headDim: int('head_dim'),
  bits: int('bits'),
  seqLen: int('seq_len'),
  numLayers: int('num_layers'),
  mlpRatio: int('mlp_ratio'),
  bias: values.bias,
};
const result = { config, cost: encoderCost(config) };
mkdirSync(path.dirname(values.out), { recursive: true });
writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
console.log(`${path.basename(values.out)}: ${(result.cost.macs / 1e6).toFixed(1)} M MACs, ${result.cost.weight_bytes} weight bytes`);
