// Stand-in for the commands of the public DVC projects in test/dvc/fixtures (python, FINN builds,
// sagemaker packaging cannot run here). It behaves like a deterministic build: it counts its run in
// .runs/<stage>, then writes every declared output (and the files other stages read inside them)
// with content derived from the stage's deps and tracked params, so a change propagates downstream
// exactly as far as the real commands' outputs would change. What each stage reads and writes comes
// from .standin.json, written by the test from the resolved pipeline.
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = process.env.ORCHESTRATOR_ROOT;
const stage = process.env.ORCHESTRATOR_STAGE;
if (!root || !stage) throw new Error('stand-in: ORCHESTRATOR_ROOT and ORCHESTRATOR_STAGE must be set');
const spec = JSON.parse(readFileSync(path.join(root, '.standin.json'), 'utf8'))[stage];
if (!spec) throw new Error(`stand-in: no spec for stage ${stage}`);
mkdirSync(path.join(root, '.runs'), { recursive: true });
appendFileSync(path.join(root, '.runs', stage), 'x\n');

const hash = createHash('sha256').update(stage);
const feed = (abs) => {
  if (!existsSync(abs)) return hash.update(`missing ${abs}`);
  if (statSync(abs).isDirectory()) for (const name of readdirSync(abs).sort()) feed(path.join(abs, name));
  else hash.update(readFileSync(abs));
};
for (const dep of spec.deps) feed(path.join(root, dep));
// Loaded only when needed: most stand-in runs track no params, and start-up time adds up over 134 stages.
const parse = spec.params.length > 0 ? (await import('yaml')).parse : undefined;
for (const { file, key } of spec.params) {
  const data = parse(readFileSync(path.join(root, file), 'utf8'));
  const value = key === '' ? data : key.split('.').reduce((v, k) => (v == null ? v : v[k]), data);
  hash.update(`${file}:${key}=${JSON.stringify(value)}`);
}
const digest = hash.digest('hex');
const number = parseInt(digest.slice(0, 6), 16) / 0x1000000;

const write = (rel) => {
  const abs = path.join(root, rel);
  mkdirSync(path.dirname(abs), { recursive: true });
  const text = rel.endsWith('.json') ? `${JSON.stringify({ value: number, digest })}\n` : /\.ya?ml$/.test(rel) ? `value: ${number}\ndigest: ${digest}\n` : `${rel} ${digest}\n`;
  writeFileSync(abs, text);
};
for (const out of spec.outs) {
  if (out.inner.length === 0) write(out.path);
  else for (const inner of out.inner) write(inner);
}
