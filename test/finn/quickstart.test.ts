import { cpSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { cleanupProjects, createProject, REPO_ROOT } from '../integration/harness.js';

afterEach(() => cleanupProjects());

const started = (stdout: string) => [...stdout.matchAll(/^(?:\S+ )?(\S+): started/gm)].map((m) => m[1]);

test('the quickstart runs with Node alone, writes its table and metrics, and a second run is a no-op', async () => {
  const p = createProject();
  for (const f of ['pipeline.yaml', 'params.yaml', 'pipeline.lock', 'src']) cpSync(path.join(REPO_ROOT, 'examples/quickstart', f), p.abs(f), { recursive: true });
  // A PATH with nothing but node and sh: no python3, no docker.
  mkdirSync(p.abs('.bin'));
  symlinkSync(process.execPath, p.abs('.bin/node'));
  symlinkSync('/bin/sh', p.abs('.bin/sh'));
  const env = { PATH: p.abs('.bin') };
  const first = await p.run(['repro'], { env });
  expect(first.code, first.stdout + first.stderr).toBe(0);
  expect(started(first.stdout)).toHaveLength(19);
  expect(p.read('build/summary.md')).toContain('| 4 | 32 | 128 | 4 | 29.36 |');
  expect(JSON.parse(p.read('build/metrics.json'))).toMatchObject({ configurations: 18, largest: 'h4-d32-b4' });
  // The committed lock matches what a fresh run produces.
  expect(p.read('pipeline.lock')).toBe(readFileSync(path.join(REPO_ROOT, 'examples/quickstart/pipeline.lock'), 'utf8'));
  const second = await p.run(['repro'], { env });
  expect(second.code).toBe(0);
  expect(started(second.stdout)).toEqual([]);
});
