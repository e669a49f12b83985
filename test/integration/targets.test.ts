import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProjects, createProject, stageLines, tick, yamlLines } from './harness.js';

afterEach(cleanupProjects);

/** in.txt -> a -> b -> c, each with its own script dep so each can be made stale on its own. */
const chain = (extra: { bFrozen?: boolean } = {}) =>
  yamlLines(
    'stages:',
    '  a:',
    `    cmd: ${tick('a')} && sh a.sh`,
    '    deps: [a.sh, in.txt]',
    '    outs: [a.txt]',
    '  b:',
    `    cmd: ${tick('b')} && sh b.sh`,
    '    deps: [b.sh, a.txt]',
    '    outs: [b.txt]',
    ...(extra.bFrozen ? ['    frozen: true'] : []),
    '  c:',
    `    cmd: ${tick('c')} && sh c.sh`,
    '    deps: [c.sh, b.txt]',
    '    outs: [c.txt]',
  );

const chainFiles = () => ({
  'pipeline.yaml': chain(),
  'in.txt': 'in\n',
  'a.sh': 'cat in.txt > a.txt; echo a >> a.txt\n',
  'b.sh': 'cat a.txt > b.txt; echo b >> b.txt\n',
  'c.sh': 'cat b.txt > c.txt; echo c >> c.txt\n',
});

const ABC = ['a', 'b', 'c'];

describe('target selection', () => {
  it('repro TARGET runs the target and its upstream only', async () => {
    const p = createProject(chainFiles());
    await p.runOk(['repro', 'b']);
    expect(p.counts(...ABC)).toEqual({ a: 1, b: 1, c: 0 });
    expect(p.exists('c.txt')).toBe(false);
  });

  it('-s runs only the target even when its upstream is stale', async () => {
    const p = createProject(chainFiles());
    await p.runOk(['repro']);
    p.write('in.txt', 'new input\n');
    p.write('b.sh', 'cat a.txt > b.txt; echo B >> b.txt\n');
    const r = await p.runOk(['repro', '-s', 'b']);
    expect(p.counts(...ABC)).toEqual({ a: 1, b: 2, c: 1 });
    expect(stageLines(r, 'a')).toEqual([]);
    expect(stageLines(r, 'c')).toEqual([]);
    expect(p.read('b.txt')).toBe('in\na\nB\n');
    // The long form too.
    p.write('c.sh', 'cat b.txt > c.txt; echo C >> c.txt\n');
    await p.runOk(['repro', '--single-item', 'c']);
    expect(p.counts(...ABC)).toEqual({ a: 1, b: 2, c: 2 });
  });

  it('--downstream runs the target and what depends on it, not its upstream', async () => {
    const p = createProject(chainFiles());
    await p.runOk(['repro']);
    p.write('in.txt', 'new input\n');
    p.write('b.sh', 'cat a.txt > b.txt; echo B >> b.txt\n');
    await p.runOk(['repro', '--downstream', 'b']);
    expect(p.counts(...ABC)).toEqual({ a: 1, b: 2, c: 2 });
    expect(p.read('c.txt')).toBe('in\na\nB\nc\n');
  });

  it('status TARGET only reports the target and its upstream', async () => {
    const p = createProject(chainFiles());
    const r = await p.runOk(['status', '--json', 'b']);
    const doc = JSON.parse(r.stdout) as { stages: { stage: string }[] };
    expect(doc.stages.map((s) => s.stage)).toEqual(['a', 'b']);
  });
});

describe('--dry', () => {
  it('on a fresh project prints the plan and creates nothing', async () => {
    const p = createProject(chainFiles());
    const r = await p.runOk(['repro', '--dry']);
    expect(r.stdout).toMatch(/a: would run\n\s+never run \(no entry in pipeline\.lock\)/);
    expect(r.stdout).toMatch(/c: would run/);
    expect(r.stdout).toMatch(/nothing was changed \(--dry\)/);
    expect(p.counts(...ABC)).toEqual({ a: 0, b: 0, c: 0 });
    for (const out of ['a.txt', 'b.txt', 'c.txt', 'pipeline.lock', '.orchestrator/cache']) expect(p.exists(out), out).toBe(false);
  });

  it('after a change prints what would run and leaves lock and outputs untouched', async () => {
    const p = createProject(chainFiles());
    await p.runOk(['repro']);
    const lock = p.lockText();
    p.write('b.sh', 'cat a.txt > b.txt; echo B >> b.txt\n');
    p.remove('a.txt');
    const r = await p.runOk(['repro', '--dry']);
    expect(r.stdout).toMatch(/a: would restore from the cache\n\s+out missing: a\.txt/);
    expect(r.stdout).toMatch(/b: would run\n\s+dep modified: b\.sh/);
    expect(r.stdout).toMatch(/c: would run[^]*upstream stage "b" will change/);
    expect(p.lockText()).toBe(lock);
    expect(p.exists('a.txt')).toBe(false);
    expect(p.read('b.txt')).toBe('in\na\nb\n');
    expect(p.counts(...ABC)).toEqual({ a: 1, b: 1, c: 1 });
  });

  it('when everything is up to date says there is nothing to do', async () => {
    const p = createProject(chainFiles());
    await p.runOk(['repro']);
    const r = await p.runOk(['repro', '--dry']);
    expect(r.stdout).toMatch(/Nothing to do/);
  });
});

describe('frozen and always_changed', () => {
  it('a frozen stage never runs, even when its deps change, and neither does its downstream', async () => {
    const p = createProject(chainFiles());
    await p.runOk(['repro']);
    p.write('pipeline.yaml', chain({ bFrozen: true }));
    p.write('in.txt', 'changed\n');
    p.write('b.sh', 'cat a.txt > b.txt; echo B >> b.txt\n');
    const r = await p.runOk(['repro']);
    expect(stageLines(r, 'b')).toEqual(['b: frozen, skipped']);
    expect(p.counts(...ABC)).toEqual({ a: 2, b: 1, c: 1 });
    expect(p.read('b.txt')).toBe('in\na\nb\n');
    const status = await p.runOk(['status']);
    expect(status.stdout).toMatch(/b: frozen, skipped/);
  });

  it('reproducing a target downstream of a frozen stage does not run the frozen stage or its upstream', async () => {
    const p = createProject(chainFiles());
    await p.runOk(['repro']);
    p.write('pipeline.yaml', chain({ bFrozen: true }));
    p.write('in.txt', 'changed\n');
    p.write('c.sh', 'cat b.txt > c.txt; echo C >> c.txt\n');
    await p.runOk(['repro', 'c']);
    expect(p.counts(...ABC)).toEqual({ a: 1, b: 1, c: 2 });
    expect(p.read('a.txt')).toBe('in\na\n');
    expect(p.read('c.txt')).toBe('in\na\nb\nC\n');
  });

  it('a frozen stage is not run by -f either', async () => {
    const p = createProject(chainFiles());
    await p.runOk(['repro']);
    p.write('pipeline.yaml', chain({ bFrozen: true }));
    await p.runOk(['repro', '-f', 'b']);
    expect(p.runs('b')).toBe(1);
  });

  it('an always_changed stage runs on every repro; identical output keeps its downstream', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines(
        'stages:',
        '  probe:',
        `    cmd: ${tick('probe')} && echo same > probe.txt`,
        '    outs: [probe.txt]',
        '    always_changed: true',
        '  after:',
        `    cmd: ${tick('after')} && cp probe.txt after.txt`,
        '    deps: [probe.txt]',
        '    outs: [after.txt]',
      ),
    });
    await p.runOk(['repro']);
    await p.runOk(['repro']);
    await p.runOk(['repro']);
    expect(p.counts('probe', 'after')).toEqual({ probe: 3, after: 1 });
    const status = await p.runOk(['status']);
    expect(status.stdout).toMatch(/probe: will run\n\s+always_changed is set/);
  });

  it('-f reruns selected stages that are up to date', async () => {
    const p = createProject(chainFiles());
    await p.runOk(['repro']);
    await p.runOk(['repro', '-f', '-s', 'b']);
    expect(p.counts(...ABC)).toEqual({ a: 1, b: 2, c: 1 });
    await p.runOk(['repro', '--force']);
    expect(p.counts(...ABC)).toEqual({ a: 2, b: 3, c: 2 });
  });
});

describe('failures, -k and -j', () => {
  // Topological order with alphabetical ties: a_fail, c_independent, then b_dependent.
  const failing = yamlLines(
    'stages:',
    '  a_fail:',
    `    cmd: ${tick('a_fail')} && exit 1`,
    '    outs: [a.txt]',
    '  b_dependent:',
    `    cmd: ${tick('b_dependent')} && cp a.txt b.txt`,
    '    deps: [a.txt]',
    '    outs: [b.txt]',
    '  c_independent:',
    `    cmd: ${tick('c_independent')} && echo c > c.txt`,
    '    outs: [c.txt]',
  );

  it('without -k a failure stops new starts and exits 1', async () => {
    const p = createProject({ 'pipeline.yaml': failing });
    const r = await p.run(['repro', '-j', '1']);
    expect(r.code).toBe(1);
    expect(p.counts('a_fail', 'b_dependent', 'c_independent')).toEqual({ a_fail: 1, b_dependent: 0, c_independent: 0 });
    expect(stageLines(r, 'b_dependent').join('\n')).toMatch(/not run/);
    expect(stageLines(r, 'c_independent').join('\n')).toMatch(/not run/);
    expect(p.lockText() ?? '').not.toMatch(/c_independent/);
  });

  it('with -k independent stages still run, dependents are skipped, exit 1', async () => {
    const p = createProject({ 'pipeline.yaml': failing });
    const r = await p.run(['repro', '-k', '-j', '1']);
    expect(r.code).toBe(1);
    expect(p.counts('a_fail', 'b_dependent', 'c_independent')).toEqual({ a_fail: 1, b_dependent: 0, c_independent: 1 });
    expect(stageLines(r, 'b_dependent').join('\n')).toMatch(/not run \(upstream stage "a_fail" failed\)/);
    expect(p.read('c.txt')).toBe('c\n');
    expect(Object.keys(p.lock().stages)).toEqual(['c_independent']);

    const r2 = await p.run(['repro', '--keep-going', '--jobs', '1']);
    expect(r2.code).toBe(1);
    expect(p.counts('a_fail', 'b_dependent', 'c_independent')).toEqual({ a_fail: 2, b_dependent: 0, c_independent: 1 });
  });

  it('with several jobs, stages already running when one fails finish and are committed', async () => {
    // `slow` waits for a file that `fail` creates just before failing: no sleeps, no races.
    const p = createProject({
      'pipeline.yaml': yamlLines(
        'stages:',
        '  fail:',
        `    cmd: ${tick('fail')} && touch go && exit 1`,
        '    outs: [fail.txt]',
        '  slow:',
        `    cmd: ${tick('slow')} && while [ ! -e go ]; do :; done && echo done > slow.txt`,
        '    outs: [slow.txt]',
      ),
    });
    const r = await p.run(['repro', '-j', '2'], { timeoutMs: 30_000 });
    expect(r.code).toBe(1);
    expect(p.counts('fail', 'slow')).toEqual({ fail: 1, slow: 1 });
    expect(p.read('slow.txt')).toBe('done\n');
    expect(Object.keys(p.lock().stages)).toEqual(['slow']);
  });

  it('-j rejects a non-positive value with exit 2', async () => {
    const p = createProject({ 'pipeline.yaml': failing });
    const r = await p.run(['repro', '-j', '0']);
    expect(r.code).toBe(2);
    expect(p.counts('a_fail', 'c_independent')).toEqual({ a_fail: 0, c_independent: 0 });
  });
});
