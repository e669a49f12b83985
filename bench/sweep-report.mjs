// `orchestrator report --sweep` at the size of the paper study. By default the real study example,
// examples/model-scaling (FINN-T "Model Scaling": 71 configurations declared in three grids, 69
// distinct, 8 stages each, four figures), built with its FINN-T STAND-INS (standin/finn.mjs writes
// FINN-shaped reports with made-up numbers in an instant; not FINN, not Vivado). Runs the whole study
// once into a temp folder (timed separately, not part of the report figure), then prints `report
// --sweep` wall time (median of 3), the HTML size, Chromium's load time (file opened from disk,
// network off; median of 3) and what Chromium rendered: SVG marks per figure and result-table rows.
// Asserts nothing. Run `npm run build` first.
//   node bench/sweep-report.mjs                # the full study (about 11 min on a loaded 2-core VM)
//   node bench/sweep-report.mjs --dir DIR      # run the study in DIR and keep it (a finished DIR is reused)
//   node bench/sweep-report.mjs --synthetic    # a quick 70-variant one-stage sweep instead (stand-in stage)
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspectPage, pageLoadSeconds } from './page-load.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repo, 'bin', 'orchestrator.js');
const args = process.argv.slice(2);
const synthetic = args.includes('--synthetic');
const dirArg = args.includes('--dir') ? path.resolve(args[args.indexOf('--dir') + 1]) : undefined;
const dir = dirArg ?? mkdtempSync(path.join(os.tmpdir(), 'orchestrator-bench-sweep-report-'));
mkdirSync(dir, { recursive: true });
// The study's `metrics` stage calls `orchestrator finn metrics`: this build, first on PATH.
const binDir = mkdtempSync(path.join(os.tmpdir(), 'orchestrator-bench-bin-'));
symlinkSync(cli, path.join(binDir, 'orchestrator'));
const env = { ...process.env, PATH: `${binDir}:${process.env.PATH}`, NO_COLOR: '1' };

const sweep = synthetic ? 'study' : 'scaling';
const reused = existsSync(path.join(dir, 'pipeline.yaml'));
if (synthetic) writeSynthetic(dir);
else if (!reused) {
  const example = path.join(repo, 'examples', 'model-scaling');
  cpSync(example, dir, { recursive: true, filter: (src) => !/(^|\/)(\.orchestrator|build|pipeline\.lock)$/.test(path.relative(example, src)) });
}

const t = process.hrtime.bigint();
const run = spawnSync('node', [cli, '-C', dir, 'sweep', 'run', sweep, '-j', '2'], { encoding: 'utf8', env, maxBuffer: 256 * 1024 * 1024 });
if (run.status !== 0) throw new Error(`sweep run failed (exit ${run.status}):\n${run.stdout.slice(-4000)}\n${run.stderr.slice(-4000)}`);
const runSeconds = Number(process.hrtime.bigint() - t) / 1e9;
const shown = JSON.parse(spawnSync('node', [cli, '-C', dir, 'sweep', 'show', sweep, '--json'], { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 }).stdout);

const times = [];
let html = '';
for (let i = 0; i < 3; i++) {
  const s = process.hrtime.bigint();
  const r = spawnSync('node', [cli, '-C', dir, 'report', '--sweep', sweep], { encoding: 'utf8', env });
  times.push(Number(process.hrtime.bigint() - s) / 1e9);
  if (r.status !== 0) throw new Error(r.stderr);
  html = r.stdout.trim();
}
const size = statSync(html).size;
const loads = await pageLoadSeconds(html);
// What Chromium drew: per figure the SVG marks (points, lines, bars, as the report tests count them), and the table rows.
const rendered = await inspectPage(html, () => ({
  figures: [...document.querySelectorAll('.plot')].map((p) => {
    const marks = {};
    for (const g of p.querySelectorAll('svg g.role-mark')) {
      const kind = [...g.classList].find((c) => c.startsWith('mark-'))?.slice(5) ?? '?';
      marks[kind] = (marks[kind] ?? 0) + g.querySelectorAll(':scope > path, :scope > rect, :scope > line, :scope > text').length;
    }
    return [p.getAttribute('data-plot'), marks];
  }),
  svgElements: document.querySelectorAll('svg *').length,
  tableRows: document.querySelectorAll('#results-table tbody tr').length,
}));

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)].toFixed(2);
const list = (a) => `[${a.map((x) => x.toFixed(2)).join(', ')}]`;
const what = synthetic ? 'synthetic 70-variant one-stage sweep (stand-in stage)' : 'examples/model-scaling, the full FINN-T study with its stand-in builds (not FINN)';
console.log(`sweep: ${what}: ${shown.rows?.length ?? '?'} variants in the result table`);
console.log(`sweep run ${sweep} -j 2 (not part of the report figure): ${runSeconds.toFixed(0)} s${reused ? ` (a rerun in ${dir}: everything was built before)` : ''}`);
console.log(`report --sweep generation (CLI wall time, median of 3): ${median(times)} s   ${list(times)}`);
console.log(`HTML size: ${(size / 1024).toFixed(0)} KiB   (${html})`);
console.log(`Chromium load (file://, offline, median of 3): ${median(loads)} s   ${list(loads)}`);
const marks = (m) => Object.entries(m).map(([kind, n]) => `${n} ${kind}`).join(' + ');
console.log(`rendered: ${rendered.figures.map(([id, m]) => `${id} ${marks(m)}`).join('; ')}; ${rendered.svgElements} SVG elements in all; ${rendered.tableRows} table rows`);
rmSync(binDir, { recursive: true, force: true });
if (!dirArg) rmSync(dir, { recursive: true, force: true });

/** The quick stand-in: num_heads 7 x bits 10, one stage that writes FINN-shaped metrics and a per-layer-type breakdown. */
function writeSynthetic(to) {
  const stage = `const [h, b] = process.argv.slice(2).map(Number); const fs = require('fs'); fs.mkdirSync('build', {recursive: true});
const layers = {MVAU: 900 * h * b, Thresholding: 120 * h * b, ScaledDotProductAttention: 400 * h * b, FIFO: 60 * h};
fs.writeFileSync('build/metrics.yaml', 'post_synth:\\n' + ['LUT', 'FF', 'BRAM', 'DSP'].map((k, i) => '  ' + k + ': ' + (i + 1) * 1000 * h * b).join('\\n') + '\\n');
fs.writeFileSync('build/breakdown.yaml', 'post_synth:\\n' + Object.entries(layers).map(([l, v]) => '  ' + l + ':\\n    LUT: ' + v).join('\\n') + '\\n');`;
  writeFileSync(path.join(to, 'stage.cjs'), stage);
  writeFileSync(path.join(to, 'params.yaml'), 'model:\n  num_heads: 1\n  bits: 2\n');
  writeFileSync(
    path.join(to, 'pipeline.yaml'),
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
}
