// The floor under bench/scheduler.mjs: a Node process that starts the same commands through the
// same local executor (a detached sh script per stage, started with execa), in dependency order with
// the same -j, and does nothing else (no planning, hashing, cache, lock, progress). Timed by
// scheduler.mjs like make and the orchestrator, start-up included. Not a tool: a measuring stick for
// what the bookkeeping costs.
//   node bench/runner-floor.mjs DIR chain|fan-out STAGES JOBS
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { LocalExecutor } = await import(path.join(repo, 'dist/exec/local-executor.js'));
const [dir, shape, stages, jobs] = process.argv.slice(2);
const n = Number(stages);
const executor = new LocalExecutor();
const logs = path.join(dir, 'logs');
mkdirSync(logs, { recursive: true });
const dep = (k) => (shape === 'chain' ? (k === 0 ? 'root.txt' : `s${k - 1}.txt`) : 'root.txt');
const stage = (k) => ({ name: `s${k}`, cmd: [`cat ${dep(k)} > s${k}.txt`], wdir: '.', params: [], env: {}, executor: 'local', resources: {}, alwaysChanged: false, frozen: false, absolutePaths: false, deps: [], outs: [] });
const run = async (k) => {
  const logFile = path.join(logs, `s${k}.log`);
  writeFileSync(logFile, '');
  const handle = await executor.start({ stage: stage(k), root: dir, runId: 'floor', env: {}, logFile, followOutput: false, onLine: () => {} });
  const outcome = await handle.wait();
  if (outcome.status !== 'succeeded') throw new Error(`s${k}: ${JSON.stringify(outcome)}`);
};
if (shape === 'chain') {
  for (let k = 0; k < n; k++) await run(k);
} else {
  let next = 0;
  const worker = async () => {
    while (next < n) await run(next++);
  };
  await Promise.all(Array.from({ length: Number(jobs) }, worker));
}
