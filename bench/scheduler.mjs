// Scheduler overhead: 500 trivial stages as a chain and as a wide fan-out, against `make -j2` on the
// equivalent Makefile, in the same run. Prints numbers, asserts nothing. Run `npm run build` first.
//   node bench/scheduler.mjs [--stages 500] [--rounds 3] [--dir DIR]
// make, the orchestrator and the runner floor (runner-floor.mjs: the same commands started from Node
// through the same runner, nothing else) each get their own fresh copy of the project, created
// together, and rounds rotate which goes first; the table shows each round and the median ratios.
// Where: the OS temp directory unless --dir says otherwise. What creating a file costs there is
// measured and printed first, because it decides much of the result: make creates one file per
// stage, the orchestrator three (output, log, run-cache entry). On the dev VM a directory under
// /work costs ~0.5 ms per create (ext4 skips recently deleted inodes: `recently_deleted` under
// `find_inode_bit` in perf) against ~0.035 ms under /tmp on the same disk.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repo, 'bin', 'orchestrator.js');
// Node + the local executor starting the same commands, no bookkeeping: see runner-floor.mjs.
const floorScript = path.join(repo, 'bench', 'runner-floor.mjs');
const i = process.argv.indexOf('--stages');
const n = i >= 0 ? Number(process.argv[i + 1]) : 500;
const r = process.argv.indexOf('--rounds');
const rounds = r >= 0 ? Number(process.argv[r + 1]) : 3;
const d = process.argv.indexOf('--dir');
const base = mkdtempSync(path.join(d >= 0 ? path.resolve(process.argv[d + 1]) : os.tmpdir(), '.orchestrator-bench-'));

/** Microseconds per file created (and written) in a fresh directory under `base`; kept until the end (no deletions before the runs). */
function createCost(count = 500) {
  const dir = path.join(base, 'probe');
  mkdirSync(dir);
  const t = process.hrtime.bigint();
  for (let k = 0; k < count; k++) writeFileSync(path.join(dir, `f${k}`), 'x');
  return Number(process.hrtime.bigint() - t) / 1e3 / count;
}

/** Stage k writes s<k>.txt; in a chain it reads s<k-1>.txt, in a fan-out it reads root.txt. */
function project(shape, name) {
  const dir = path.join(base, `${shape}-${name}`);
  mkdirSync(dir);
  const dep = (k) => (shape === 'chain' ? (k === 0 ? 'root.txt' : `s${k - 1}.txt`) : 'root.txt');
  writeFileSync(path.join(dir, 'root.txt'), 'root\n');
  const yaml = ['stages:'];
  const make = ['all: ' + Array.from({ length: n }, (_, k) => `s${k}.txt`).join(' '), ''];
  for (let k = 0; k < n; k++) {
    yaml.push(`  s${k}:`, `    cmd: cat ${dep(k)} > s${k}.txt`, `    deps: [${dep(k)}]`, `    outs: [s${k}.txt]`);
    make.push(`s${k}.txt: ${dep(k)}`, `\tcat ${dep(k)} > s${k}.txt`, '');
  }
  writeFileSync(path.join(dir, 'pipeline.yaml'), `${yaml.join('\n')}\n`);
  writeFileSync(path.join(dir, 'Makefile'), make.join('\n'));
  return dir;
}

function time(cmd, args, cwd) {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed\n${r.stderr}`);
  return Number(process.hrtime.bigint() - t) / 1e9;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
const summary = [];
try {
  console.log(`in ${base}: creating a file costs ${createCost().toFixed(0)} µs`);
  for (const shape of ['chain', 'fan-out']) {
    const ratios = [];
    const floors = [];
    for (let round = 0; round < rounds; round++) {
      const makeDir = project(shape, `make-${round}`);
      const orchDir = project(shape, `orch-${round}`);
      const floorDir = project(shape, `floor-${round}`);
      let make;
      let orch;
      let floor;
      const runMake = () => (make = time('make', ['-s', '-j2'], makeDir));
      const runOrch = () => (orch = time(process.execPath, [cli, 'repro', '-j', '2'], orchDir));
      const runFloor = () => (floor = time(process.execPath, [floorScript, floorDir, shape, String(n), '2'], floorDir));
      const order = [runMake, runOrch, runFloor];
      for (let k = 0; k < order.length; k++) order[(k + round) % order.length]();
      const noop = time(process.execPath, [cli, 'repro', '-j', '2'], orchDir);
      ratios.push(orch / make);
      floors.push(floor / make);
      rows.push({
        shape,
        round,
        'make -j2 (s)': make.toFixed(2),
        'orchestrator -j 2 (s)': orch.toFixed(2),
        ratio: (orch / make).toFixed(2),
        'runner alone (s)': floor.toFixed(2),
        'no-op repro (s)': noop.toFixed(2),
      });
    }
    summary.push({ shape, stages: n, rounds, 'median ratio': median(ratios).toFixed(2), 'runner alone / make': median(floors).toFixed(2), target: '<= 1.5x' });
  }
} finally {
  rmSync(base, { recursive: true, force: true });
}
console.table(rows);
console.table(summary);
