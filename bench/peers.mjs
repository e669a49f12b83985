// The orchestrator against its peers, same run: the same chain and fan-out of trivial stages through
// `orchestrator repro -j 2`, `make -j2` and Snakemake (`snakemake -j 2`). Prints numbers, asserts
// nothing. Run `npm run build` first; `bash bench/setup-peers.sh` installs make and Snakemake.
//   node bench/peers.mjs [--stages 200,500] [--rounds 3] [--dir DIR]
// Every tool gets its own fresh copy of the project in every round, created together; rounds rotate
// which tool goes first; the summary shows medians. A tool that fails on a shape (Snakemake 7.21
// cannot build a 500-stage chain: its DAG construction hits Python's recursion limit) is reported
// with the first line of its error instead of a time.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repo, 'bin', 'orchestrator.js');

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const sizes = arg('--stages', '200,500').split(',').map(Number);
const rounds = Number(arg('--rounds', '3'));
const base = mkdtempSync(path.join(path.resolve(arg('--dir', os.tmpdir())), '.orchestrator-peers-'));

/** Stage k writes s<k>.txt; in a chain it reads s<k-1>.txt, in a fan-out every stage reads root.txt. */
function project(shape, n, name) {
  const dir = path.join(base, `${shape}-${n}-${name}`);
  mkdirSync(dir);
  const dep = (k) => (shape === 'chain' ? (k === 0 ? 'root.txt' : `s${k - 1}.txt`) : 'root.txt');
  const all = Array.from({ length: n }, (_, k) => `s${k}.txt`);
  const yaml = ['stages:'];
  const make = [`all: ${all.join(' ')}`, ''];
  const smk = [`rule all:\n    input: ${all.map((f) => JSON.stringify(f)).join(', ')}`, ''];
  for (let k = 0; k < n; k++) {
    yaml.push(`  s${k}:`, `    cmd: cat ${dep(k)} > s${k}.txt`, `    deps: [${dep(k)}]`, `    outs: [s${k}.txt]`);
    make.push(`s${k}.txt: ${dep(k)}`, `\tcat ${dep(k)} > s${k}.txt`, '');
    smk.push(`rule s${k}:\n    input: "${dep(k)}"\n    output: "s${k}.txt"\n    shell: "cat {input} > {output}"\n`);
  }
  writeFileSync(path.join(dir, 'root.txt'), 'root\n');
  writeFileSync(path.join(dir, 'pipeline.yaml'), `${yaml.join('\n')}\n`);
  writeFileSync(path.join(dir, 'Makefile'), make.join('\n'));
  writeFileSync(path.join(dir, 'Snakefile'), smk.join('\n'));
  return dir;
}

const tools = {
  make: (dir) => ['make', ['-s', '-j2'], dir],
  orchestrator: (dir) => [process.execPath, [cli, 'repro', '-j', '2'], dir],
  snakemake: (dir) => ['snakemake', ['-j', '2', '--quiet'], dir],
};

/** Seconds, or the first line of the error. */
function time([cmd, args, cwd]) {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 28 });
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.error) return `not run: ${r.error.message}`;
  if (r.status !== 0) {
    const lines = `${r.stderr}\n${r.stdout}`.split('\n').filter((l) => /error|exceeded/i.test(l));
    return `failed (exit ${r.status}): ${(lines.at(-1) ?? '').trim().slice(0, 100)}`;
  }
  return s;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x) => (typeof x === 'number' ? x.toFixed(2) : x);
const rows = [];
const summary = [];
try {
  for (const n of sizes) {
    for (const shape of ['chain', 'fan-out']) {
      const got = { make: [], orchestrator: [], snakemake: [] };
      const names = Object.keys(tools);
      for (let round = 0; round < rounds; round++) {
        const dirs = Object.fromEntries(names.map((t) => [t, project(shape, n, `${t}-${round}`)]));
        for (let k = 0; k < names.length; k++) {
          const t = names[(k + round) % names.length];
          got[t].push(time(tools[t](dirs[t])));
        }
        rows.push({ stages: n, shape, round, ...Object.fromEntries(names.map((t) => [`${t} (s)`, fmt(got[t][round])])) });
      }
      const med = Object.fromEntries(names.map((t) => [t, got[t].every((x) => typeof x === 'number') ? median(got[t]) : got[t].find((x) => typeof x !== 'number')]));
      const ok = (t) => typeof med[t] === 'number';
      summary.push({
        stages: n,
        shape,
        'make (s)': fmt(med.make),
        'orchestrator (s)': fmt(med.orchestrator),
        'snakemake (s)': fmt(med.snakemake),
        'orchestrator / make': ok('make') && ok('orchestrator') ? (med.orchestrator / med.make).toFixed(2) : '-',
        'snakemake / orchestrator': ok('snakemake') && ok('orchestrator') ? (med.snakemake / med.orchestrator).toFixed(2) : '-',
        'overhead over make per stage (ms)': ok('make') && ok('orchestrator') ? (((med.orchestrator - med.make) / n) * 1000).toFixed(2) : '-',
      });
    }
  }
} finally {
  rmSync(base, { recursive: true, force: true });
}
console.table(rows);
console.table(summary);
