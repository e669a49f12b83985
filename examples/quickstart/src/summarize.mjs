// All configurations -> a Markdown table sorted by size, and the sweep's headline metrics.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const [dir, tableFile, metricsFile] = process.argv.slice(2);
const rows = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')))
  .sort((a, b) => a.cost.macs - b.cost.macs || a.config.bits - b.config.bits || a.config.heads - b.config.heads);
if (rows.length === 0) {
  console.error(`summarize: no configurations in ${dir}`);
  process.exit(1);
}

const kib = (bytes) => (bytes / 1024).toFixed(1);
const lines = [
  `# Attention encoder scaling (seq_len ${rows[0].config.seqLen}, ${rows[0].config.numLayers} layer(s))`,
  '',
  '| heads | head_dim | emb_dim | bits | MMACs | attention share | weights KiB | thresholds KiB | K/V buffers KiB | BRAM18 (upper bound) |',
  '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map(({ config: c, cost: k }) =>
    `| ${c.heads} | ${c.headDim} | ${k.emb_dim} | ${c.bits} | ${(k.macs / 1e6).toFixed(2)} | ${(100 * k.attention_mac_share).toFixed(1)}% | ${kib(k.weight_bytes)} | ${kib(k.threshold_bytes)} | ${kib(k.activation_buffer_bytes)} | ${k.bram18_upper_bound} |`,
  ),
  '',
];
writeFileSync(tableFile, lines.join('\n'));

const largest = rows[rows.length - 1];
const metrics = {
  configurations: rows.length,
  largest: `h${largest.config.heads}-d${largest.config.headDim}-b${largest.config.bits}`,
  max_macs: largest.cost.macs,
  max_weight_bytes: Math.max(...rows.map((r) => r.cost.weight_bytes)),
  max_bram18_upper_bound: Math.max(...rows.map((r) => r.cost.bram18_upper_bound)),
};
writeFileSync(metricsFile, `${JSON.stringify(metrics, null, 2)}\n`);
console.log(lines.join('\n'));
