import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProjects, createProject, tick, yamlLines, type Project } from './harness.js';

afterEach(cleanupProjects);

/** One stage with two outputs; `flags` are the YAML options of build/x, e.g. `{cache: false}`. */
function pipeline(flags: string): string {
  return yamlLines(
    'stages:',
    '  build:',
    `    cmd: ${tick('build')} && mkdir -p build && cat in.txt > build/x && echo y > build/y`,
    '    deps: [in.txt]',
    `    outs: [${flags ? `{build/x: ${flags}}` : 'build/x'}, build/y]`,
  );
}

interface StatusDoc {
  upToDate: boolean;
  stages: { stage: string; action: string; reasons: { kind: string; [k: string]: unknown }[] }[];
}
const status = async (p: Project) => JSON.parse((await p.runOk(['status', '--json'])).stdout) as StatusDoc;
const objectExists = (p: Project, hash: string) => p.exists(`.orchestrator/cache/objects/${hash.slice(0, 2)}/${hash.slice(2)}`);

// Issue 14: changing an output's flags was not noticed: status said up to date, the lock kept the old flags.
describe('output flags', () => {
  it('cache: false -> cached is a typed change shown by status; repro runs the stage, caches the output and records it', async () => {
    const p = createProject({ 'pipeline.yaml': pipeline('{cache: false}'), 'in.txt': 'one\n' });
    await p.runOk(['repro']);
    expect(p.lockText()).toContain('cache: false');
    const hash = p.lock().stages.build!.outs!.find((o) => o.path === 'build/x')!.hash;
    // As in DVC, a plain output with cache: false keeps the stage out of the run-cache: nothing stored.
    expect(objectExists(p, hash)).toBe(false);

    p.write('pipeline.yaml', pipeline(''));
    const s = await status(p);
    expect(s.upToDate).toBe(false);
    expect(s.stages[0]).toMatchObject({ stage: 'build', action: 'run', reasons: [{ kind: 'out-flags-changed', path: 'build/x', changes: [{ flag: 'cache', old: false, new: true }] }] });
    expect((await p.run(['status'])).stdout).toContain('out flags changed: build/x (cache: false -> true)');

    await p.runOk(['repro']);
    expect(p.runs('build')).toBe(2);
    expect(p.lockText()).not.toContain('cache: false');
    expect(objectExists(p, hash)).toBe(true);
    expect((await status(p)).upToDate).toBe(true);
  });

  it('persist changes are noticed both ways and the lock records persist: true', async () => {
    const p = createProject({ 'pipeline.yaml': pipeline(''), 'in.txt': 'one\n' });
    await p.runOk(['repro']);
    expect(p.lockText()).toMatch(/^schema: 2\n/);

    p.write('pipeline.yaml', pipeline('{persist: true}'));
    expect((await p.run(['status'])).stdout).toContain('out flags changed: build/x (persist: false -> true)');
    await p.runOk(['repro']);
    expect(p.lockText()).toContain('persist: true');
    expect((await status(p)).upToDate).toBe(true);

    p.write('pipeline.yaml', pipeline(''));
    expect((await p.run(['status'])).stdout).toContain('out flags changed: build/x (persist: true -> false)');
    // Back to the flags of the first run: the run-cache has that run (its fingerprint holds the flags).
    await p.runOk(['repro']);
    expect(p.lockText()).not.toContain('persist');
    expect(p.runs('build')).toBe(2);
    expect((await status(p)).upToDate).toBe(true);
  });

  it('a lock written before flags were recorded (schema 1) keeps every stage up to date', async () => {
    const p = createProject({ 'pipeline.yaml': pipeline('{persist: true}'), 'in.txt': 'one\n' });
    await p.runOk(['repro']);
    // What earlier versions wrote: schema 1, no persist.
    const old = p.lockText()!.replace('schema: 2', 'schema: 1').replace(/\n +persist: true/g, '');
    p.write('pipeline.lock', old);
    expect((await status(p)).upToDate).toBe(true);
    await p.runOk(['repro']);
    expect(p.runs('build')).toBe(1);
    expect(p.lockText()).toBe(old);

    // Once the lock is written again, the flags the stage had are recorded, and a change is seen.
    p.write('in.txt', 'two\n');
    await p.runOk(['repro']);
    expect(p.lockText()).toMatch(/^schema: 2\n/);
    expect(p.lockText()).toContain('persist: true');
    p.write('pipeline.yaml', pipeline(''));
    expect((await p.run(['status'])).stdout).toContain('out flags changed: build/x (persist: true -> false)');
  });
});
