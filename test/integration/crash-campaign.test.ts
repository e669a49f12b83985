import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ObjectStore } from '../../src/cache/object-store.js';
import { parseLock } from '../../src/lock/lock-format.js';
import { cleanupProjects, createProject, yamlLines, type Project } from './harness.js';

afterEach(cleanupProjects);

const KILLS = 50;

/**
 * A pipeline with a directory output, fan-out, fan-in and params, so kills land in every phase:
 * hashing, running, committing objects, writing the lock, restoring from the run-cache. The sleeps
 * are workload (a run lasts about half a second), so random kill times fall inside runs.
 */
const pipeline = yamlLines(
  'stages:',
  '  gen:',
  '    cmd: mkdir -p data && for i in $(seq 1 40); do echo "${seed}-$i" > data/f$i.txt; done',
  '    params: [seed]',
  '    outs: [data]',
  '  left:',
  '    cmd: sleep 0.15 && cat data/* > left.txt',
  '    deps: [data]',
  '    outs: [left.txt]',
  '  right:',
  '    cmd: sleep 0.1 && ls data | wc -l > right.txt && cat data/f1.txt >> right.txt',
  '    deps: [data]',
  '    outs: [right.txt]',
  '  join:',
  '    cmd: sleep 0.1 && cat left.txt right.txt > join.txt',
  '    deps: [left.txt, right.txt]',
  '    outs: [join.txt]',
);

/** Every object's bytes hash to its name, and the lock (if any) parses. */
async function assertConsistent(p: Project): Promise<void> {
  const store = new ObjectStore(p.abs('.orchestrator/cache'));
  for await (const hash of store.listObjects()) {
    expect(await store.verify(hash), `cache object ${hash} must match its name`).toBe(true);
  }
  const lock = p.readOrUndefined('pipeline.lock');
  if (lock !== undefined) expect(parseLock(lock).ok, `pipeline.lock must parse:\n${lock}`).toBe(true);
}

describe('crash safety', () => {
  it(`survives SIGKILL at ${KILLS} random moments and converges`, async () => {
    const p = createProject({ 'pipeline.yaml': pipeline, 'params.yaml': 'seed: 0\n' });
    let seed = 0;
    let killedMidRun = 0;
    for (let i = 0; i < KILLS; i++) {
      // New inputs most of the time, an old seed sometimes (run-cache restores get interrupted too).
      seed = i % 3 === 2 ? Math.floor(Math.random() * i) : i;
      p.write('params.yaml', `seed: ${seed}\n`);
      const bg = p.start(['repro', '-j', '2']);
      // The random moment is the point of the test, not synchronization.
      await new Promise((r) => setTimeout(r, Math.random() * 600));
      if (bg.child.exitCode === null) killedMidRun++;
      bg.child.kill('SIGKILL');
      await bg.result;
      await assertConsistent(p);
    }
    expect(killedMidRun, 'most kills must land while repro runs').toBeGreaterThan(KILLS / 2);

    const final = await p.run(['repro']);
    expect(final.code, final.stdout + final.stderr).toBe(0);
    await assertConsistent(p);
    const status = await p.run(['status', '--json']);
    expect(JSON.parse(status.stdout).upToDate).toBe(true);
    // Nothing half-written survives the final run: no temp files of atomic writes, no restore folders.
    const leftovers = p.listFiles('.').filter((f) => /\.(tmp|orchestrator-tmp|orchestrator-old)-/.test(f) || f.startsWith('.orchestrator/cache/tmp/'));
    expect(leftovers).toEqual([]);

    // Same params from scratch in a fresh project: byte-identical outputs.
    const fresh = createProject({ 'pipeline.yaml': pipeline, 'params.yaml': `seed: ${seed}\n` });
    expect((await fresh.run(['repro'])).code).toBe(0);
    for (const f of ['left.txt', 'right.txt', 'join.txt', 'data/f40.txt']) {
      expect(readFileSync(p.abs(f), 'utf8'), f).toBe(readFileSync(fresh.abs(f), 'utf8'));
    }
  }, 240_000);
});
