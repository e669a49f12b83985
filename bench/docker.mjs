// Per-stage overhead of the Docker executor against `docker run --rm IMAGE true` from the CLI, in the
// same run (interleaved, so both see the same engine and machine load). Needs a running engine and
// the test image (.ci/setup-docker.sh) and a build (npm run build).
//
//   node bench/docker.mjs [--rounds N] [--image NAME]
//
// 1. executor: DockerExecutor.start() + wait() of a stage whose command is `true` (create, attach,
//    start, wait, inspect for OOM, remove): what every Docker stage pays on top of its command.
// 2. CLI: `orchestrator repro -f -j 1` of 10 stages running `true` in Docker minus the same pipeline
//    run locally, divided by 10: the Docker cost per stage as a user sees it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const rounds = Number(opt('--rounds', 15));
const image = opt('--image', 'orchestrator-test/busybox:1');

const { DockerExecutor } = await import(path.join(repo, 'dist/exec/docker/docker-executor.js'));

if (spawnSync('docker', ['image', 'inspect', image], { stdio: 'ignore' }).status !== 0) {
  console.error(`image ${image} not found: run .ci/setup-docker.sh`);
  process.exit(1);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'orchestrator-bench-docker-')));
const stage = (name) => ({
  name, cmd: ['true'], wdir: '.', deps: [], params: [], outs: [], env: {}, executor: 'docker',
  container: { image }, resources: {}, alwaysChanged: false, frozen: false, absolutePaths: false,
});
const executor = new DockerExecutor();
await executor.environmentId(stage('warm')); // image lookup once per process, as in a run

async function viaExecutor() {
  const t0 = process.hrtime.bigint();
  const handle = await executor.start({ stage: stage('bench'), root, runId: 'bench', env: {}, onLine: () => {} });
  const outcome = await handle.wait();
  if (outcome.status !== 'succeeded') throw new Error(JSON.stringify(outcome));
  return ms(t0);
}
function viaCli() {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('docker', ['run', '--rm', image, 'true'], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error('docker run failed');
  return ms(t0);
}

// Warm-up: first container start pays for page cache and the engine's lazy set-up.
viaCli();
await viaExecutor();
const exec = [];
const cli = [];
for (let i = 0; i < rounds; i++) {
  cli.push(viaCli());
  exec.push(await viaExecutor());
}

// CLI level: 10 independent stages, -j 1, forced, local vs docker.
const STAGES = 10;
const pipeline = (executorKind) =>
  ['stages:', ...Array.from({ length: STAGES }, (_, i) => [
    `  s${i}:`, `    executor: ${executorKind}`, `    container: {image: ${image}}`, '    cmd: "true"',
  ]).flat()].join('\n') + '\n';
const projects = { local: path.join(root, 'local'), docker: path.join(root, 'docker') };
for (const [kind, dir] of Object.entries(projects)) {
  spawnSync('mkdir', ['-p', dir]);
  writeFileSync(path.join(dir, 'pipeline.yaml'), pipeline(kind));
}
const repro = (dir) => {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [path.join(repo, 'bin/orchestrator.js'), '-C', dir, 'repro', '-f', '-j', '1'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`repro failed: ${r.stdout}${r.stderr}`);
  return ms(t0);
};
repro(projects.local);
repro(projects.docker);
const cliRounds = Math.max(3, Math.round(rounds / 3));
const local = [];
const dock = [];
for (let i = 0; i < cliRounds; i++) {
  local.push(repro(projects.local));
  dock.push(repro(projects.docker));
}
rmSync(root, { recursive: true, force: true });

const f = (x) => `${x.toFixed(0)} ms`;
const ratio = median(exec) / median(cli);
console.log(`engine ${spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf8' }).stdout.trim()}, image ${image}, ${rounds} rounds`);
const row = (label, xs) => console.log(`${label.padEnd(50)} median ${f(median(xs))}  (min ${f(Math.min(...xs))}, max ${f(Math.max(...xs))})`);
row(`docker run --rm ${image} true (CLI)`, cli);
row('DockerExecutor, stage running `true`', exec);
console.log(`${'ratio executor / docker run'.padEnd(50)} ${ratio.toFixed(2)}x  (target <= 1.2x)`);
console.log(`orchestrator repro -f -j 1, ${STAGES} stages: local median ${f(median(local))}, docker median ${f(median(dock))} -> ${f((median(dock) - median(local)) / STAGES)} per Docker stage (${cliRounds} rounds)`);
