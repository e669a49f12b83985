// Start-up cost of a big pipeline (run `npm run build` first). Prints numbers, asserts nothing.
//   node bench/load.mjs [--stages 500] [--runs 5]
// Generates a project of N trivial stages (`cat root.txt > s<k>.txt`), runs `repro` once to get a
// real pipeline.lock, then times, each in a fresh node process so module loading and JIT are cold:
// loading pipeline.yaml, loading pipeline.lock, serializing every lock entry, and `orchestrator status`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repo, 'bin', 'orchestrator.js');
const dist = (file) => pathToFileURL(path.join(repo, 'dist', file)).href;
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const nStages = arg('stages', 500);
const runs = arg('runs', 5);

const base = mkdtempSync(path.join(repo, '.orchestrator-bench-'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs `script` (an ES module body) in a fresh node process; it prints one JSON object of milliseconds. */
function timeInFreshProcess(script) {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: base, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`timing script failed\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

function timeCli(...args) {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [cli, '-C', base, ...args], { encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`orchestrator ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return ms;
}

const inProcess = `
const now = () => Number(process.hrtime.bigint()) / 1e6;
const t0 = now();
const { loadPipeline } = await import(${JSON.stringify(dist('config/load.js'))});
const { fsProjectFiles } = await import(${JSON.stringify(dist('config/project-files.js'))});
const { LockStore } = await import(${JSON.stringify(dist('lock/lock-store.js'))});
const { serializeLock } = await import(${JSON.stringify(dist('lock/lock-format.js'))});
const t1 = now();
const pipeline = loadPipeline(fsProjectFiles(process.cwd()));
if (!pipeline.ok) throw new Error(JSON.stringify(pipeline.error));
const t2 = now();
const lock = await LockStore.load(process.cwd());
if (!lock.ok) throw new Error(JSON.stringify(lock.error));
const t3 = now();
const entries = pipeline.value.stages.map((s) => [s.name, lock.value.get(s.name)]).filter(([, e]) => e);
const text = serializeLock({ stages: Object.fromEntries(entries) });
const t4 = now();
console.log(JSON.stringify({ imports: t1 - t0, pipeline: t2 - t1, lock: t3 - t2, serialize: t4 - t3, entries: entries.length, bytes: text.length }));
`;

try {
  writeFileSync(path.join(base, 'root.txt'), 'root\n');
  const lines = ['stages:'];
  for (let k = 0; k < nStages; k++) {
    lines.push(`  s${k}:`, `    cmd: cat root.txt > s${k}.txt`, '    deps: [root.txt]', `    outs: [s${k}.txt]`);
  }
  writeFileSync(path.join(base, 'pipeline.yaml'), `${lines.join('\n')}\n`);
  const reproMs = timeCli('repro', '--no-run-cache');

  const samples = Array.from({ length: runs }, () => timeInFreshProcess(inProcess));
  const statusMs = Array.from({ length: runs }, () => timeCli('status'));
  const pick = (key) => median(samples.map((s) => s[key])).toFixed(1);

  console.log(`${nStages} stages, median of ${runs} fresh processes (first repro: ${(reproMs / 1000).toFixed(2)} s)`);
  console.table([
    { what: 'import config + lock modules', ms: pick('imports') },
    { what: 'loadPipeline (parse + resolve pipeline.yaml)', ms: pick('pipeline') },
    { what: `LockStore.load (${samples[0].entries}-entry pipeline.lock)`, ms: pick('lock') },
    { what: `serializeLock, no cache (${samples[0].bytes} bytes)`, ms: pick('serialize') },
    { what: 'orchestrator status (wall, incl. node start)', ms: median(statusMs).toFixed(1) },
  ]);
} finally {
  rmSync(base, { recursive: true, force: true });
}
