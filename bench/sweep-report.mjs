// Sweep report at the size of a paper study: a 70-variant sweep (num_heads 7 x bits 10) of a
// one-stage pipeline whose stage writes FINN-shaped metrics and a per-layer-type breakdown in an
// instant (a stand-in, not FINN), with four figures declared. Runs the sweep once (not measured),
// then prints `orchestrator report --sweep` wall time, HTML size and Chromium's load time (file
// opened from disk, network off). Asserts nothing. Run `npm run build` first.
//   node bench/sweep-report.mjs
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pageLoadSeconds } from './page-load.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repo, 'bin', 'orchestrator.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'orchestrator-bench-sweep-report-'));
const stage = `const [h, b] = process.argv.slice(2).map(Number); const fs = require('fs'); fs.mkdirSync('build', {recursive: true});
const layers = {MVAU: 900 * h * b, Thresholding: 120 * h * b, ScaledDotProductAttention: 400 * h * b, FIFO: 60 * h};
fs.writeFileSync('build/metrics.yaml', 'post_synth:\\n' + ['LUT', 'FF', 'BRAM', 'DSP'].map((k, i) => '  ' + k + ': ' + (i + 1) * 1000 * h * b).join('\\n') + '\\n');
fs.writeFileSync('build/breakdown.yaml', 'post_synth:\\n' + Object.entries(layers).map(([l, v]) => '  ' + l + ':\\n    LUT: ' + v).join('\\n') + '\\n');`;
writeFileSync(path.join(dir, 'stage.cjs'), stage);
writeFileSync(path.join(dir, 'params.yaml'), 'model:\n  num_heads: 1\n  bits: 2\n');
writeFileSync(
  path.join(dir, 'pipeline.yaml'),
  `stages:
  build:
    cmd: node stage.cjs \${model.num_heads} \${model.bits}
    deps: [stage.cjs]
    params: [model]
    outs: [build/breakdown.yaml]
    metrics: [{build/metrics.yaml: {cache: false}}]
sweeps:
  study:
    axes: {model.num_heads: [1, 2, 4, 8, 12, 16, 24], model.bits: "range(2, 12)"}
    columns: {LUT: post_synth.LUT, FF: post_synth.FF, BRAM: post_synth.BRAM, DSP: post_synth.DSP}
    metrics_files:
      breakdown: {path: build/breakdown.yaml, key: post_synth}
    figures:
      vs_heads: {x: model.num_heads, y: [LUT, FF, BRAM, DSP], color: model.bits}
      vs_bits: {x: model.bits, y: [LUT, FF, BRAM, DSP], color: model.num_heads}
      lut_at_2_bits: {x: model.num_heads, y: LUT, where: model.bits=2, template: bar}
      breakdown: {x: variant, y: LUT, stacked: breakdown}
`,
);
const t = process.hrtime.bigint();
const run = spawnSync('node', [cli, '-C', dir, 'sweep', 'run', 'study', '-j', '2'], { encoding: 'utf8' });
if (run.status !== 0) throw new Error(run.stdout + run.stderr);
const runSeconds = Number(process.hrtime.bigint() - t) / 1e9;

const times = [];
let html = '';
for (let i = 0; i < 3; i++) {
  const s = process.hrtime.bigint();
  const r = spawnSync('node', [cli, '-C', dir, 'report', '--sweep', 'study'], { encoding: 'utf8' });
  times.push(Number(process.hrtime.bigint() - s) / 1e9);
  if (r.status !== 0) throw new Error(r.stderr);
  html = r.stdout.trim();
}
const size = statSync(html).size;
const loads = await pageLoadSeconds(html);
const min = (a) => Math.min(...a).toFixed(2);
console.log(`sweep: 70 variants, 4 figures (the sweep run itself, not measured: ${runSeconds.toFixed(0)} s)`);
console.log(`report --sweep generation (CLI wall time, best of 3): ${min(times)} s   [${times.map((x) => x.toFixed(2)).join(', ')}]`);
console.log(`HTML size: ${(size / 1024).toFixed(0)} KiB`);
console.log(`Chromium load (file://, offline, best of 3): ${min(loads)} s   [${loads.map((x) => x.toFixed(2)).join(', ')}]`);
rmSync(dir, { recursive: true, force: true });
