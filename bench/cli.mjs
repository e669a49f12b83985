// End-to-end benchmark of the built CLI (run `npm run build` first). Prints numbers, asserts nothing.
//   node bench/cli.mjs [--files 20000] [--size 100] [--runs 5]
// Measures what a user waits for: `status` on a small pipeline, and on a pipeline with a 20,000-file
// directory: first hash, no-op status, repro+commit, restore of the directory from the cache.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSeedFiles } from './seed-files.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repo, 'bin', 'orchestrator.js');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const nFiles = arg('files', 20000);
const sizeKB = arg('size', 100);
const runs = arg('runs', 5);

// Same filesystem as a real workspace (tmpfs would flatter the numbers).
const base = mkdtempSync(path.join(repo, '.orchestrator-bench-'));
const rows = [];
const row = (what, seconds, extra, target) => rows.push({ what, seconds: seconds.toFixed(3), extra: extra ?? '', target });

/** Wall time of one CLI invocation, including node start-up. */
function timeCli(cwd, ...args) {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [cli, '-C', cwd, ...args], { encoding: 'utf8' });
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) throw new Error(`orchestrator ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return s;
}
/** Flush dirty pages so one phase's write-back is not billed to the next one. */
const settle = () => execFileSync('sync');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const dropPageCacheHint = 'warm page cache';

try {
  // 1. A small pipeline: status start-up to finish.
  const small = path.join(base, 'small');
  mkdirSync(path.join(small, 'src'), { recursive: true });
  writeFileSync(path.join(small, 'params.yaml'), 'seed: 1\nmodel: {heads: 2, bits: 4}\n');
  writeFileSync(path.join(small, 'src', 'a.sh'), 'echo a\n');
  writeFileSync(
    path.join(small, 'pipeline.yaml'),
    [
      'stages:',
      '  prepare: {cmd: "sh src/a.sh > a.txt", deps: [src/a.sh], params: [seed], outs: [a.txt]}',
      '  train: {cmd: "cat a.txt > b.txt", deps: [a.txt], params: [model], outs: [b.txt]}',
      '  evaluate: {cmd: "cat b.txt > c.txt", deps: [b.txt], outs: [c.txt]}',
      '',
    ].join('\n'),
  );
  timeCli(small, 'repro');
  const smallTimes = Array.from({ length: Math.max(runs, 5) }, () => timeCli(small, 'status'));
  row('status, 3-stage pipeline (median)', median(smallTimes), `min ${Math.min(...smallTimes).toFixed(3)} s`, '<= 0.2 s');

  // 2. A 20,000-file directory: first as a plain dep, then as a stage output.
  const seed = path.join(base, 'seed');
  createSeedFiles(seed, nFiles, sizeKB);
  const gb = (nFiles * sizeKB * 1024) / 1e9;

  const big = path.join(base, 'big');
  mkdirSync(big);
  execFileSync('cp', ['-r', seed, path.join(big, 'data')]);
  writeFileSync(path.join(big, 'pipeline.yaml'), 'stages:\n  count:\n    cmd: ls -R data | wc -l > count.txt\n    deps: [data]\n    outs: [count.txt]\n');
  settle();
  const first = timeCli(big, 'status');
  row('first status, 20k-file dir dep (cold stat cache)', first, `${(gb / first).toFixed(2)} GB/s incl. start-up`, '>= 1 GB/s');
  timeCli(big, 'repro');
  const noop = Array.from({ length: runs }, () => timeCli(big, 'status'));
  row('no-op status, 20k-file dir dep (median)', median(noop), `min ${Math.min(...noop).toFixed(3)} s`, '<= 0.3 s');

  const out = path.join(base, 'out');
  mkdirSync(out);
  writeFileSync(path.join(out, 'pipeline.yaml'), `stages:\n  gen:\n    cmd: cp -r ${seed} data\n    outs: [data]\n`);
  settle();
  const reproS = timeCli(out, 'repro');
  row('repro: copy + hash + commit 20k-file dir out', reproS, 'cp -r itself included', '(DVC commit: 46 s)');
  const restore = [];
  for (let i = 0; i < Math.min(runs, 3); i++) {
    rmSync(path.join(out, 'data'), { recursive: true, force: true });
    settle();
    restore.push(timeCli(out, 'checkout'));
  }
  row('checkout: restore 20k-file dir from cache (median)', median(restore), `${dropPageCacheHint}`, '<= 2 s (DVC: 11.5 s)');
  settle();
  const hardlink = [];
  for (let i = 0; i < Math.min(runs, 3); i++) {
    rmSync(path.join(out, 'data'), { recursive: true, force: true });
    settle();
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [cli, '-C', out, 'checkout'], { env: { ...process.env, ORCHESTRATOR_CACHE_TYPE: 'hardlink' } });
    if (r.status !== 0) throw new Error(`checkout (hardlink) exited ${r.status}`);
    hardlink.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  row('checkout with ORCHESTRATOR_CACHE_TYPE=hardlink (median)', median(hardlink), 'read-only files', '<= 2 s');
  const noopOut = Array.from({ length: runs }, () => timeCli(out, 'status'));
  row('no-op status after restore (median)', median(noopOut), '', '<= 0.3 s (DVC: 1.08 s)');
} finally {
  rmSync(base, { recursive: true, force: true });
}

console.log(`\n${nFiles} files x ${sizeKB} KB, ${runs} runs, node ${process.version}`);
console.table(rows);
