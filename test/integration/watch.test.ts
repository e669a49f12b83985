import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProjects, createProject, tick, waitFor, yamlLines, type Project } from './harness.js';
import { reproLockHolder } from '../../src/workspace/repro-lock.js';

afterEach(cleanupProjects);

/** Counts of "N ran/up to date/..." summary lines: one per completed watch pass. */
const passes = (out: string) => out.split('\n').filter((l) => /\(run record: /.test(l)).length;

function watching(p: Project, extra: string[] = []) {
  const bg = p.start(['watch', '--debounce', '50', ...extra]);
  return {
    bg,
    /** Waits until `n` passes completed and the watcher is idle again. */
    passes: (n: number) => waitFor(() => passes(bg.stdout()) >= n, `${n} watch pass(es)\n${bg.stdout()}\n${bg.stderr()}`),
    stop: async () => {
      bg.child.kill('SIGINT');
      return bg.result;
    },
  };
}

describe('watch', () => {
  it('reruns on a dep change and on a tracked param change, only the stages that track it; exits 0 on Ctrl-C', async () => {
    const p = createProject({
      'params.yaml': 'a: 1\nb: 1\n',
      'in.txt': 'x\n',
      'pipeline.yaml': yamlLines(
        'stages:',
        '  pa:',
        `    cmd: ${tick('pa')} && echo \${a} > pa.txt`,
        '    params: [a]',
        '    outs: [pa.txt]',
        '  pb:',
        `    cmd: ${tick('pb')} && cat in.txt > pb.txt && echo \${b} >> pb.txt`,
        '    deps: [in.txt]',
        '    params: [b]',
        '    outs: [pb.txt]',
      ),
    });
    const w = watching(p);
    await w.passes(1);
    expect(p.counts('pa', 'pb')).toEqual({ pa: 1, pb: 1 });

    p.write('in.txt', 'y\n');
    await w.passes(2);
    expect(p.counts('pa', 'pb')).toEqual({ pa: 1, pb: 2 });
    expect(p.read('pb.txt')).toBe('y\n1\n');

    p.write('params.yaml', 'a: 2\nb: 1\n');
    await w.passes(3);
    expect(p.counts('pa', 'pb')).toEqual({ pa: 2, pb: 2 });
    expect(p.read('pa.txt')).toBe('2\n');

    const r = await w.stop();
    expect(r.code).toBe(0);
    expect(await reproLockHolder(p.abs('.orchestrator/repro.lock'))).toBeUndefined();
  });

  it('shows an invalid pipeline.yaml and keeps watching until it is fixed', async () => {
    const good = yamlLines('stages:', '  s:', `    cmd: ${tick('s')} && cat in.txt > s.txt`, '    deps: [in.txt]', '    outs: [s.txt]');
    const p = createProject({ 'in.txt': '1\n', 'pipeline.yaml': good });
    const w = watching(p);
    await w.passes(1);
    p.write('pipeline.yaml', good.replace('deps:', 'dpes:'));
    await waitFor(() => /pipeline\.yaml:\d+:\d+: error: unknown key "dpes"/.test(w.bg.stderr()), 'the diagnostic');
    expect(w.bg.child.exitCode).toBeNull();
    p.write('pipeline.yaml', good);
    p.write('in.txt', '2\n');
    await w.passes(2);
    expect(p.read('s.txt')).toBe('2\n');
    expect(p.runs('s')).toBe(2);
    expect((await w.stop()).code).toBe(0);
  });

  it('does not retry a failed stage until one of its inputs changes', async () => {
    const p = createProject({
      'in.txt': 'bad\n',
      'other.txt': '1\n',
      'pipeline.yaml': yamlLines(
        'stages:',
        '  picky:',
        `    cmd: ${tick('picky')} && ! grep -q bad in.txt && cp in.txt picky.txt`,
        '    deps: [in.txt]',
        '    outs: [picky.txt]',
        '  other:',
        `    cmd: ${tick('other')} && cp other.txt o.txt`,
        '    deps: [other.txt]',
        '    outs: [o.txt]',
      ),
    });
    const w = watching(p, ['-k']);
    await w.passes(1);
    expect(p.counts('picky', 'other')).toEqual({ picky: 1, other: 1 });
    p.write('other.txt', '2\n');
    await w.passes(2);
    expect(p.counts('picky', 'other')).toEqual({ picky: 1, other: 2 });
    p.write('in.txt', 'good\n');
    await w.passes(3);
    expect(p.counts('picky', 'other')).toEqual({ picky: 2, other: 2 });
    expect(p.read('picky.txt')).toBe('good\n');
    await w.stop();
  });

  it('a change during a run restarts only the running stages it affects', async () => {
    // Both stages block until released; while they run, only slow-a's input changes.
    const blocking = (name: string, dep: string) =>
      `${tick(name)} && while [ ! -e release-${name} ]; do sleep 0.02; done && cp ${dep} ${name}.txt`;
    const p = createProject({
      'a.txt': 'a1\n',
      'b.txt': 'b1\n',
      'pipeline.yaml': yamlLines(
        'stages:',
        '  slow-a:',
        `    cmd: ${blocking('slow-a', 'a.txt')}`,
        '    deps: [a.txt]',
        '    outs: [slow-a.txt]',
        '  slow-b:',
        `    cmd: ${blocking('slow-b', 'b.txt')}`,
        '    deps: [b.txt]',
        '    outs: [slow-b.txt]',
      ),
    });
    const w = watching(p, ['-j', '2']);
    await waitFor(() => p.runs('slow-a') === 1 && p.runs('slow-b') === 1, 'both stages to start');
    p.write('a.txt', 'a2\n');
    await waitFor(() => p.runs('slow-a') === 2, 'slow-a to restart');
    p.write('release-slow-a', '');
    p.write('release-slow-b', '');
    await w.passes(2);
    expect(p.read('slow-a.txt')).toBe('a2\n');
    expect(p.runs('slow-b')).toBe(1);
    await w.stop();
  });
});

describe('watch replans from the edited params (issue 14)', () => {
  /** A stage that records the value it ran with, then blocks until the test releases it. */
  const recording = (name: string, key: string) =>
    `${tick(name)} && echo \${${key}} >> .runs/${name}-values && while [ ! -e release-${name} ]; do sleep 0.02; done && echo \${${key}} > ${name}.txt`;

  it('a params edit during a run restarts the running stage once, with the new value', async () => {
    const p = createProject({
      'params.yaml': 'a: 1\n',
      'pipeline.yaml': yamlLines('stages:', '  pa:', `    cmd: ${recording('pa', 'a')}`, '    params: [a]', '    outs: [pa.txt]'),
    });
    const w = watching(p);
    await waitFor(() => p.runs('pa') === 1, 'pa to start');
    p.write('params.yaml', 'a: 2\n');
    await waitFor(() => p.runs('pa') === 2, `pa to restart\n${w.bg.stdout()}`);
    p.write('release-pa', '');
    await w.passes(2);
    expect(p.read('pa.txt')).toBe('2\n');
    // The restart ran the new command (echo 2), so nothing is left to run after it.
    expect(p.read('.runs/pa-values')).toBe('1\n2\n');
    expect(p.runs('pa')).toBe(2);
    expect((await w.stop()).code).toBe(0);
  });

  it('a params edit restarts only the running stages that track the edited key', async () => {
    const p = createProject({
      'params.yaml': 'a: 1\nb: 1\n',
      'pipeline.yaml': yamlLines(
        'stages:',
        '  pa:',
        `    cmd: ${recording('pa', 'a')}`,
        '    params: [a]',
        '    outs: [pa.txt]',
        '  pb:',
        `    cmd: ${recording('pb', 'b')}`,
        '    params: [b]',
        '    outs: [pb.txt]',
      ),
    });
    const w = watching(p, ['-j', '2']);
    await waitFor(() => p.runs('pa') === 1 && p.runs('pb') === 1, 'both stages to start');
    p.write('params.yaml', 'a: 2\nb: 1\n');
    await waitFor(() => p.runs('pa') === 2, `pa to restart\n${w.bg.stdout()}`);
    p.write('release-pa', '');
    p.write('release-pb', '');
    await w.passes(2);
    expect(p.counts('pa', 'pb')).toEqual({ pa: 2, pb: 1 });
    expect(p.read('pa.txt')).toBe('2\n');
    expect(p.read('pb.txt')).toBe('1\n');
    await w.stop();
  });
});

describe('watch runs the pre-flight checks of repro (issue 14)', () => {
  it('reports an environment variable name the shell cannot export, runs nothing, and runs once it is fixed', async () => {
    const pipeline = (name: string) =>
      yamlLines('stages:', '  s:', `    cmd: ${tick('s')} && cat in.txt > s.txt`, `    env: {${name}: x}`, '    deps: [in.txt]', '    outs: [s.txt]');
    const p = createProject({ 'in.txt': '1\n', 'pipeline.yaml': pipeline('BAD-NAME') });
    const repro = await p.run(['repro']);
    expect(repro.code).toBe(2);
    expect(repro.stderr).toContain('"BAD-NAME" is not a valid environment variable name');

    const w = watching(p);
    await waitFor(() => w.bg.stderr().includes('"BAD-NAME" is not a valid environment variable name'), `the pre-flight diagnostic\n${w.bg.stdout()}`);
    expect(p.runs('s')).toBe(0);
    p.write('pipeline.yaml', pipeline('GOOD_NAME'));
    await w.passes(1);
    expect(p.runs('s')).toBe(1);
    expect(p.read('s.txt')).toBe('1\n');
    expect((await w.stop()).code).toBe(0);
  });
});
