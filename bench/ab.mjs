// Before/after comparison of two builds of the CLI on the same 20,000-file workloads, interleaved
// (A, B, A, B, ...) so load from other work on the machine falls on both alike. Prints medians of
// wall time and of CPU time (user + sys of the CLI process, less sensitive to a busy machine).
//   node bench/ab.mjs --a /path/to/old/checkout --b /path/to/new/checkout [--files 20000] [--size 100] [--runs 7]
//                     [--rows status,checkout,remote]
// `remote`: push of the 20k-file directory to an empty folder remote, pull of it into a clone
// without a cache. Each checkout must be built (`npm run build`). Asserts nothing.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSeedFiles } from './seed-files.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const option = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const builds = { A: option('a'), B: option('b') };
if (!builds.A || !builds.B) {
  console.error('usage: node bench/ab.mjs --a OLD_CHECKOUT --b NEW_CHECKOUT [--files N] [--size KB] [--runs N]');
  process.exit(2);
}
const nFiles = Number(option('files', 20000));
const sizeKB = Number(option('size', 100));
const runs = Number(option('runs', 7));
const rowSets = new Set(option('rows', 'status,checkout').split(','));

/** Wall and CPU seconds of one CLI invocation (CPU from /usr/bin/time's user + sys). */
function timeCli(build, cwd, args, env = {}) {
  const cli = path.join(builds[build], 'bin', 'orchestrator.js');
  const t = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', process.execPath, cli, '-C', cwd, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  const wall = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) throw new Error(`${build}: orchestrator ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  const [user, sys] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  return { wall, cpu: user + sys };
}
const settle = () => execFileSync('sync');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const base = mkdtempSync(path.join(repo, '.orchestrator-bench-'));
const samples = new Map(); // row -> {A: [], B: []}
const record = (row, build, t) => {
  if (!samples.has(row)) samples.set(row, { A: [], B: [] });
  samples.get(row)[build].push(t);
};

try {
  const seed = path.join(base, 'seed');
  createSeedFiles(seed, nFiles, sizeKB);

  // One project per build, so neither sees the other's stat cache, lock or cache objects.
  const project = {};
  for (const build of ['A', 'B']) {
    const small = path.join(base, build, 'small');
    mkdirSync(small, { recursive: true });
    writeFileSync(path.join(small, 'a.txt'), 'a\n');
    writeFileSync(
      path.join(small, 'pipeline.yaml'),
      'stages:\n  one: {cmd: "cat a.txt > b.txt", deps: [a.txt], outs: [b.txt]}\n  two: {cmd: "cat b.txt > c.txt", deps: [b.txt], outs: [c.txt]}\n  three: {cmd: "cat c.txt > d.txt", deps: [c.txt], outs: [d.txt]}\n',
    );
    const dep = path.join(base, build, 'dep');
    mkdirSync(dep, { recursive: true });
    execFileSync('cp', ['-r', seed, path.join(dep, 'data')]);
    writeFileSync(path.join(dep, 'pipeline.yaml'), 'stages:\n  count:\n    cmd: ls -R data | wc -l > count.txt\n    deps: [data]\n    outs: [count.txt]\n');
    const out = path.join(base, build, 'out');
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, 'pipeline.yaml'), `stages:\n  gen:\n    cmd: cp -r ${seed} data\n    outs: [data]\n`);
    project[build] = { small, dep, out };
    timeCli(build, small, ['repro']);
    timeCli(build, dep, ['repro']);
    timeCli(build, out, ['repro']);
  }

  for (const build of ['A', 'B']) {
    if (rowSets.has('remote')) timeCli(build, project[build].out, ['remote', 'add', '-d', 'share', path.join(base, build, 'share')]);
  }

  for (let i = 0; i < runs; i++) {
    // Rotate who goes first.
    for (const build of i % 2 === 0 ? ['A', 'B'] : ['B', 'A']) {
      const p = project[build];
      if (rowSets.has('status')) {
        record('status, 3-stage pipeline', build, timeCli(build, p.small, ['status']));
        rmSync(path.join(p.dep, '.orchestrator', 'state'), { recursive: true, force: true });
        settle();
        record('status, 20k-file dep, cold stat cache (hashes 2 GB)', build, timeCli(build, p.dep, ['status']));
        record('status, 20k-file dep, no-op', build, timeCli(build, p.dep, ['status']));
      }
      if (rowSets.has('checkout')) {
        rmSync(path.join(p.out, 'data'), { recursive: true, force: true });
        settle();
        record('checkout 20k-file dir (default copy)', build, timeCli(build, p.out, ['checkout']));
        rmSync(path.join(p.out, 'data'), { recursive: true, force: true });
        settle();
        record('checkout 20k-file dir (hardlink)', build, timeCli(build, p.out, ['checkout'], { ORCHESTRATOR_CACHE_TYPE: 'hardlink' }));
        settle();
      }
      if (rowSets.has('remote')) {
        rmSync(path.join(base, build, 'share'), { recursive: true, force: true });
        settle();
        record('push 20k-file dir to an empty folder remote', build, timeCli(build, p.out, ['push']));
        // A clone without a cache: the project files and the remote config.
        const clone = path.join(base, build, 'clone');
        rmSync(clone, { recursive: true, force: true });
        mkdirSync(path.join(clone, '.orchestrator'), { recursive: true });
        for (const f of ['pipeline.yaml', 'pipeline.lock', '.orchestrator/config']) copyFileSync(path.join(p.out, f), path.join(clone, f));
        settle();
        record('pull 20k-file dir from a folder remote', build, timeCli(build, clone, ['pull']));
        rmSync(clone, { recursive: true, force: true });
        settle();
      }
    }
  }
} finally {
  rmSync(base, { recursive: true, force: true });
}

console.log(`\nA = ${builds.A}\nB = ${builds.B}\n${nFiles} files x ${sizeKB} KB, ${runs} interleaved runs each, medians, node ${process.version}`);
console.table(
  [...samples].map(([row, { A, B }]) => {
    const [aw, bw, ac, bc] = [median(A.map((s) => s.wall)), median(B.map((s) => s.wall)), median(A.map((s) => s.cpu)), median(B.map((s) => s.cpu))];
    return { row, 'A wall s': aw.toFixed(3), 'B wall s': bw.toFixed(3), 'B/A wall': (bw / aw).toFixed(2), 'A cpu s': ac.toFixed(2), 'B cpu s': bc.toFixed(2), 'B/A cpu': (bc / ac).toFixed(2) };
  }),
);
