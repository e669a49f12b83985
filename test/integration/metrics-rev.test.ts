import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProjects, createProject, yamlLines, type Project } from './harness.js';

afterEach(cleanupProjects);

const git = (dir: string, ...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: dir, stdio: 'pipe' }).toString();

/** The quickstart's layout: outputs and metrics in a git-ignored build/, the lock committed. */
function project(): Project {
  return createProject({
    'pipeline.yaml': yamlLines(
      'stages:',
      '  train:',
      '    cmd: sh train.sh ${acc} ${lut}',
      '    deps: [train.sh]',
      '    params: [acc, lut]',
      '    outs: [build/report]',
      '    metrics: [build/metrics.yaml]',
      '  summary:',
      '    cmd: cp build/report/res.json summary.json',
      '    deps: [build/report]',
      '    metrics: [{summary.json: {cache: false}}]',
    ),
    'params.yaml': yamlLines('acc: 0.5', 'lut: 100'),
    'train.sh': yamlLines('mkdir -p build/report', 'printf "acc: %s\\n" "$1" > build/metrics.yaml', 'printf \'{"lut": %s}\\n\' "$2" > build/report/res.json'),
    '.gitignore': yamlLines('/build/', '/.orchestrator/', '/.runs/', '/summary.json'),
  });
}

async function commitBaselineThenChange(p: Project): Promise<void> {
  await p.runOk(['repro']);
  git(p.dir, 'init', '-q');
  git(p.dir, 'add', '-A');
  git(p.dir, 'commit', '-q', '-m', 'baseline');
  p.write('params.yaml', yamlLines('acc: 0.75', 'lut: 120'));
  await p.runOk(['repro']);
}

// Issue 14: metrics show/diff REV printed `-` for every metric git does not hold, although the lock
// committed at REV names its hash and the cache has the bytes.
describe('metrics at a git revision whose metrics files git does not hold', () => {
  it('reads them from the cache by the hash in the lock committed at that revision', async () => {
    const p = project();
    await commitBaselineThenChange(p);

    // DVC's document: {rev: {data: {file: {data} | {error: {type, msg}}}}}.
    const shown = JSON.parse((await p.runOk(['metrics', 'show', 'HEAD', '--json'])).stdout) as { HEAD: { data: Record<string, unknown> } };
    expect(shown.HEAD.data['build/metrics.yaml']).toEqual({ data: { acc: 0.5 } });
    // A git-ignored, cache: false metrics file cannot come back: said so, not shown as `-` silently.
    expect(shown.HEAD.data['summary.json']).toEqual({ error: { type: 'OSError', msg: 'not in git at HEAD, and not cached (cache: false)' } });
    expect((await p.runOk(['metrics', 'show', 'HEAD'])).stdout).toMatch(/^build\/metrics\.yaml +acc +0\.5$/m);

    const diff = JSON.parse((await p.runOk(['metrics', 'diff', '--json'])).stdout) as unknown;
    // DVC's document: {file: {key: {old, new, diff}}}.
    expect(diff).toEqual({ 'build/metrics.yaml': { acc: { old: 0.5, new: 0.75, diff: 0.25 } }, 'summary.json': { lut: { old: null, new: 120 } } });
    expect((await p.runOk(['metrics', 'diff'])).stdout).toMatch(/^build\/metrics\.yaml +acc +0\.5 +0\.75 +0\.25 +\+50\.0%$/m);
  });

  it('never shows bytes that do not match the locked hash: a corrupt object is quarantined and reported', async () => {
    const p = project();
    await commitBaselineThenChange(p);
    const lock = p.lock();
    const hash = (git(p.dir, 'show', 'HEAD:pipeline.lock').match(/path: build\/metrics\.yaml\n\s+hash: ([0-9a-f]{64})/) ?? [])[1];
    expect(hash, JSON.stringify(lock)).toBeDefined();
    const object = p.abs(`.orchestrator/cache/objects/${hash!.slice(0, 2)}/${hash!.slice(2)}`);
    chmodSync(object, 0o644);
    writeFileSync(object, 'acc: 0.99\n');

    const shown = JSON.parse((await p.runOk(['metrics', 'show', 'HEAD', '--json'])).stdout) as { HEAD: { data: Record<string, { error?: { msg: string } }> } };
    expect(shown.HEAD.data['build/metrics.yaml']!.error?.msg).toMatch(/^not in git at HEAD; cache object [0-9a-f]{64} is corrupt/);
    expect(p.exists(`.orchestrator/cache/objects/${hash!.slice(0, 2)}/${hash!.slice(2)}`)).toBe(false);
    expect(p.listFiles('.orchestrator/cache/quarantine')).toHaveLength(1);
  });
});
