// The floor under bench/scheduler.mjs: a Node process that starts the same commands through the
// same native runner, in dependency order with the same -j, and does nothing else (no planning,
// hashing, cache, lock, logs of its own, progress). Timed by scheduler.mjs like make and the
// orchestrator, start-up included. Not a tool: a measuring stick for what the bookkeeping costs.
//   node bench/runner-floor.mjs DIR chain|fan-out STAGES JOBS
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { chooseDialect } = await import(path.join(repo, 'dist/exec/local/dialects.js'));
const { Runner } = await import(path.join(repo, 'dist/exec/local/runner.js'));
const [dir, shape, stages, jobs] = process.argv.slice(2);
const n = Number(stages);
const dialect = chooseDialect('native');
if (typeof dialect === 'string') throw new Error(dialect);
const runner = new Runner(dialect);
const logs = path.join(dir, 'logs');
mkdirSync(logs, { recursive: true });
const dep = (k) => (shape === 'chain' ? (k === 0 ? 'root.txt' : `s${k - 1}.txt`) : 'root.txt');
const run = (k) =>
  new Promise((resolve, reject) =>
    runner.run({ command: `cat ${dep(k)} > s${k}.txt`, dir, log: path.join(logs, `s${k}.log`), env: {} }, (status) =>
      status === 0 ? resolve() : reject(new Error(`s${k}: status ${status}`)),
    ),
  );
if (shape === 'chain') {
  for (let k = 0; k < n; k++) await run(k);
} else {
  let next = 0;
  const worker = async () => {
    while (next < n) await run(next++);
  };
  await Promise.all(Array.from({ length: Number(jobs) }, worker));
}
