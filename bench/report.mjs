// Report at scale: a 500-stage pipeline (a 70-variant matrix of 7 FINN-like steps = 490 stages, plus
// 10 plain stages), one run record of all 500 in the shape RunRecorder writes (synthesized: running
// 500 stages is not what is measured), 70 metrics files, a plot of 70 points, 5 failed stages with
// logs. Prints `orchestrator report` wall time, HTML size, and the page's load time in Chromium
// (file opened from disk, network off). Asserts nothing. Run `npm run build` first.
//   node bench/report.mjs
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pageLoadSeconds } from './page-load.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repo, 'bin', 'orchestrator.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'orchestrator-bench-report-'));
const write = (rel, text) => {
  mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  writeFileSync(path.join(dir, rel), text);
};

const steps = ['export', 'streamline', 'hw', 'hls', 'synth', 'bitfile', 'measure'];
const heads = [1, 2, 4, 8, 16, 32, 64];
const bits = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const lines = ['stages:'];
for (let i = 0; i < 10; i++) lines.push(`  prep${i}:`, `    cmd: "true"`, `    outs: [prep${i}.txt]`, ...(i > 0 ? [`    deps: [prep${i - 1}.txt]`] : []));
steps.forEach((s, i) => {
  lines.push(`  ${s}:`, `    matrix: {heads: [${heads}], bits: [${bits}]}`, `    cmd: "true"`);
  lines.push(`    deps: [${i === 0 ? 'prep9.txt' : `"build/\${item.heads}-\${item.bits}/${steps[i - 1]}.out"`}]`);
  lines.push(`    outs: ["build/\${item.heads}-\${item.bits}/${s}.out"]`);
  if (s === 'measure') lines.push(`    metrics: ["build/\${item.heads}-\${item.bits}/metrics.yaml"]`);
  lines.push('    params: [lr]');
});
lines.push('plots:', '  - results.csv: {x: heads, y: LUT, template: scatter}');
write('pipeline.yaml', `${lines.join('\n')}\n`);
write('params.yaml', 'lr: 0.1\n');
const csv = ['heads,bits,LUT'];
for (const h of heads) for (const b of bits) {
  write(`build/${h}-${b}/metrics.yaml`, `LUT: ${1000 * h * b}\nFF: ${800 * h * b}\nBRAM: ${h * 2}\nDSP: ${b}\n`);
  csv.push(`${h},${b},${1000 * h * b}`);
}
write('results.csv', `${csv.join('\n')}\n`);

// The run record: every stage ran, 5 failed, start/end spread over two hours on 2 workers; the Slurm
// half waited in the queue (submitted 0.3 s after their start, running 1 to 9 s later).
const listed = spawnSync('node', [cli, '-C', dir, 'dag', '--json'], { encoding: 'utf8' });
const names = JSON.parse(listed.stdout).stages;
const t0 = Date.parse('2026-01-01T00:00:00Z');
const stages = {};
names.forEach((name, i) => {
  const start = t0 + i * 14_000;
  const failed = i % 100 === 57;
  const log = `.orchestrator/logs/bench/${name}.log`;
  if (failed) write(log, Array.from({ length: 500 }, (_, k) => `line ${k} of a long synthesis log`).join('\n') + '\nERROR: [Synth 8-439] module not found\n');
  stages[name] = {
    decision: 'run',
    reasons: [{ kind: 'no-lock-entry' }],
    executor: i % 2 ? 'slurm' : 'local',
    status: failed ? 'failed' : 'succeeded',
    start: new Date(start).toISOString(),
    end: new Date(start + 25_000).toISOString(),
    durationMs: 25_000,
    ...(i % 2 ? { queuedAt: new Date(start + 300).toISOString(), startedAt: new Date(start + 300 + 1000 * (1 + (i % 9))).toISOString() } : {}),
    ...(failed ? { failure: { kind: 'exit-code', code: 1 }, exitCode: 1, log } : {}),
  };
});
write('.orchestrator/runs/bench.json', JSON.stringify({ runId: 'bench', argv: ['repro', '-k'], started: new Date(t0).toISOString(), finished: new Date(t0 + 2 * 3600_000).toISOString(), status: 'failed', stages }));

const times = [];
for (let i = 0; i < 3; i++) {
  const t = process.hrtime.bigint();
  const r = spawnSync('node', [cli, '-C', dir, 'report', '--run', 'bench'], { encoding: 'utf8' });
  times.push(Number(process.hrtime.bigint() - t) / 1e9);
  if (r.status !== 0) throw new Error(r.stderr);
}
const html = path.join(dir, '.orchestrator/report/index.html');
const size = statSync(html).size;

const loads = await pageLoadSeconds(html);
const min = (a) => Math.min(...a).toFixed(2);
console.log(`stages: ${names.length} (70-variant matrix x 7 steps + 10), metrics files: 70, failed: 5`);
console.log(`report generation (CLI wall time, best of 3): ${min(times)} s   [${times.map((t) => t.toFixed(2)).join(', ')}]`);
console.log(`HTML size: ${(size / 1024).toFixed(0)} KiB`);
console.log(`Chromium load (file://, offline, best of 3): ${min(loads)} s   [${loads.map((t) => t.toFixed(2)).join(', ')}]`);
rmSync(dir, { recursive: true, force: true });
