// Per-stage overhead of the Slurm executor against `sbatch --wait` of the same command, on the same
// cluster, in the same run. Needs the cluster .ci/setup.sh starts and a built dist/ (npm run build).
//   node bench/slurm.mjs [STAGES]   (default 10)
// Orchestrator: `repro -f -j 1` of STAGES independent one-line Slurm stages (so each is one job,
// submitted after the previous one ended, like a chain), minus the same repro with the stages local
// (what the tool costs anyway: start-up, hashing, lock). Reference: STAGES sequential
// `sbatch --wait --wrap CMD`, the research group's current scripts.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repo, 'bin', 'orchestrator.js');
const n = Number(process.argv[2] ?? 10);
const rounds = 3;

if (spawnSync('sinfo', ['-h'], { encoding: 'utf8' }).status !== 0) {
  console.error('no Slurm cluster answers (sinfo); run .ci/setup.sh');
  process.exit(1);
}

function project(executor) {
  const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'orch-bench-slurm-')));
  const stages = Array.from({ length: n }, (_, i) => `  s${i}:\n    executor: ${executor}\n    cmd: echo ${i} > out${i}.txt\n    outs: [out${i}.txt]\n`).join('');
  writeFileSync(path.join(dir, 'pipeline.yaml'), `stages:\n${stages}`);
  execFileSync(process.execPath, [cli, '-C', dir, 'repro', '-j', '1'], { stdio: 'ignore' });
  return dir;
}

function timeRepro(dir) {
  const t = process.hrtime.bigint();
  execFileSync(process.execPath, [cli, '-C', dir, 'repro', '-f', '-j', '1'], { stdio: 'ignore' });
  return Number(process.hrtime.bigint() - t) / 1e6;
}

function timeSbatch(dir) {
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) execFileSync('sbatch', ['--wait', '--parsable', '--output=/dev/null', `--chdir=${dir}`, `--wrap=echo ${i} > out${i}.txt`], { stdio: 'ignore' });
  return Number(process.hrtime.bigint() - t) / 1e6;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const slurmDir = project('slurm');
const localDir = project('local');
const results = { slurm: [], local: [], sbatch: [] };
try {
  for (let r = 0; r < rounds; r++) {
    results.slurm.push(timeRepro(slurmDir));
    results.local.push(timeRepro(localDir));
    results.sbatch.push(timeSbatch(slurmDir));
  }
} finally {
  rmSync(slurmDir, { recursive: true, force: true });
  rmSync(localDir, { recursive: true, force: true });
}
const perStage = (ms) => (ms / n).toFixed(0);
const slurm = median(results.slurm);
const local = median(results.local);
const sbatch = median(results.sbatch);
console.log(`${n} one-line stages, ${rounds} rounds, medians (ms per stage):`);
console.log(`  orchestrator repro, executor slurm : ${perStage(slurm)}   (rounds: ${results.slurm.map(perStage).join(', ')})`);
console.log(`  orchestrator repro, executor local : ${perStage(local)}   (rounds: ${results.local.map(perStage).join(', ')})`);
console.log(`  sbatch --wait --wrap               : ${perStage(sbatch)}   (rounds: ${results.sbatch.map(perStage).join(', ')})`);
console.log(`  slurm executor / sbatch --wait     : ${(slurm / sbatch).toFixed(2)}x`);
