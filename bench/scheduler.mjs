// Scheduler overhead: 500 trivial stages as a chain and as a wide fan-out, against `make -j2` on the
// equivalent Makefile, in the same run. Prints numbers, asserts nothing. Run `npm run build` first.
//   node bench/scheduler.mjs [--stages 500]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repo, 'bin', 'orchestrator.js');
const i = process.argv.indexOf('--stages');
const n = i >= 0 ? Number(process.argv[i + 1]) : 500;
const base = mkdtempSync(path.join(repo, '.orchestrator-bench-'));

/** Stage k writes s<k>.txt; in a chain it reads s<k-1>.txt, in a fan-out it reads root.txt. */
function project(shape) {
  const dir = path.join(base, shape);
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

const rows = [];
try {
  for (const shape of ['chain', 'fan-out']) {
    const dir = project(shape);
    const make = time('make', ['-s', '-j2'], dir);
    execFileSync('sh', ['-c', 'rm -f s*.txt'], { cwd: dir });
    const orch = time(process.execPath, [cli, 'repro', '-j', '2'], dir);
    const noop = time(process.execPath, [cli, 'repro', '-j', '2'], dir);
    rows.push({ shape, stages: n, 'make -j2 (s)': make.toFixed(2), 'orchestrator -j 2 (s)': orch.toFixed(2), ratio: (orch / make).toFixed(2), 'no-op repro (s)': noop.toFixed(2), target: '<= 1.5x' });
  }
} finally {
  rmSync(base, { recursive: true, force: true });
}
console.table(rows);
