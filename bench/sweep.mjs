// Sweep throughput: a 64-variant sweep (heads x bits x seq_len = 4 x 4 x 4) of a 3-stage pipeline,
// run with -j 2, against the sum of its UNIQUE stage work (the model stage depends on heads only:
// 4 distinct runs; synth on heads and bits: 16; report on all three: 64). Each stage is a CPU-bound
// shell loop. Prints numbers, asserts nothing. Run `npm run build` first.
//   node bench/sweep.mjs [--scale 1]   (scale multiplies every stage's work)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repo, 'bin', 'orchestrator.js');
const si = process.argv.indexOf('--scale');
const scale = si >= 0 ? Number(process.argv[si + 1]) : 1;
const dir = mkdtempSync(path.join(os.tmpdir(), 'orchestrator-bench-sweep-'));

const loop = (n) => `i=0; while [ $i -lt ${n} ]; do i=$((i+1)); done`;
function seconds(fn) {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}
function sh(script) {
  const r = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
}
// Calibrate: iterations per second of the busy loop on this machine.
const probe = 200_000;
const perSecond = probe / Math.min(...[0, 1, 2].map(() => seconds(() => sh(loop(probe)))));
const work = { model: 0.4 * scale, synth: 0.3 * scale, report: 0.15 * scale };
const iterations = Object.fromEntries(Object.entries(work).map(([k, s]) => [k, Math.round(s * perSecond)]));

writeFileSync(path.join(dir, 'params.yaml'), 'model:\n  num_heads: 1\n  bits: 4\n  seq_len: 64\n');
writeFileSync(
  path.join(dir, 'pipeline.yaml'),
  [
    'stages:',
    '  model:',
    `    cmd: ${loop(iterations.model)}; echo \${model.num_heads} > model.txt`,
    '    params: [model.num_heads]',
    '    outs: [model.txt]',
    '  synth:',
    `    cmd: ${loop(iterations.synth)}; cat model.txt > synth.txt; echo \${model.bits} >> synth.txt`,
    '    deps: [model.txt]',
    '    params: [model.bits]',
    '    outs: [synth.txt]',
    '  report:',
    `    cmd: '${loop(iterations.report)}; echo "luts: $(( \${model.num_heads} * \${model.bits} * \${model.seq_len} ))" > metrics.yaml'`,
    '    deps: [synth.txt]',
    '    params: [model.seq_len]',
    '    metrics: [metrics.yaml]',
    'sweeps:',
    '  scaling:',
    '    axes:',
    '      model.num_heads: [1, 2, 4, 8]',
    '      model.bits: [2, 4, 6, 8]',
    '      model.seq_len: range(64, 257, 64)',
    '',
  ].join('\n'),
);

function run(args) {
  let r;
  const s = seconds(() => (r = spawnSync(process.execPath, [cli, '-C', dir, ...args], { encoding: 'utf8' })));
  if (r.status !== 0) throw new Error(`orchestrator ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return s;
}

try {
  const wall = run(['sweep', 'run', 'scaling', '-j', '2']);
  // Stage work as the stages themselves took it: every run record of every variant.
  const ran = { model: [], synth: [], report: [] };
  const sweepDir = path.join(dir, '.orchestrator', 'sweeps', 'scaling');
  for (const v of readdirSync(sweepDir)) {
    const runs = path.join(sweepDir, v, '.orchestrator', 'runs');
    if (!existsSync(runs)) continue;
    for (const f of readdirSync(runs)) {
      const record = JSON.parse(readFileSync(path.join(runs, f), 'utf8'));
      for (const [stage, s] of Object.entries(record.stages)) if (s.status === 'succeeded') ran[stage].push(s.durationMs / 1000);
    }
  }
  const sum = (xs) => xs.reduce((a, b) => a + b, 0);
  const unique = sum(Object.values(ran).flat());
  const nominal = 4 * work.model + 16 * work.synth + 64 * work.report;
  const resume = run(['sweep', 'run', 'scaling', '-j', '2']);
  const rows = [
    { what: 'variants', value: 64 },
    { what: 'stage runs (model/synth/report)', value: `${ran.model.length}/${ran.synth.length}/${ran.report.length} (unique: 4/16/64)` },
    { what: 'nominal unique work (s)', value: nominal.toFixed(1) },
    { what: 'measured unique stage work, sum (s)', value: unique.toFixed(1) },
    { what: 'ideal wall on 2 cores = sum / 2 (s)', value: (unique / 2).toFixed(1) },
    { what: 'sweep run -j 2, wall (s)', value: wall.toFixed(1) },
    { what: 'efficiency = ideal / wall', value: `${((unique / 2 / wall) * 100).toFixed(0)}%` },
    { what: 'without sharing (every variant runs all 3 stages) / 2 (s)', value: ((64 * (work.model + work.synth + work.report)) / 2).toFixed(1) },
    { what: 'rerun of the finished sweep (s)', value: resume.toFixed(2) },
  ];
  console.table(rows);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
