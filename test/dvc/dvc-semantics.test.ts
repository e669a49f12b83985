/**
 * Stage semantics and report shapes, through the built CLI, scenario by scenario after DVC's own
 * tests (treeverse/dvc tests/func/repro, tests/func/test_run_cache.py, tests/func/params,
 * tests/func/metrics, tests/unit/test_compare.py). Each test names the DVC test it follows.
 */
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProjects, createProject, tick, yamlLines, type Project } from '../integration/harness.js';

afterEach(cleanupProjects);

const git = (p: Project, ...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: p.dir, stdio: 'pipe' }).toString();
const commit = (p: Project, message: string) => {
  git(p, 'add', '-A');
  git(p, 'commit', '-q', '-m', message);
};
const gitProject = (files: Record<string, string>) => {
  const p = createProject({ ...files, '.gitignore': '/.orchestrator/\n/.runs/\n' });
  git(p, 'init', '-q');
  return p;
};
const json = async (p: Project, args: string[]) => JSON.parse((await p.runOk(args)).stdout) as unknown;

describe('multi-line cmd (tests/func/repro/test_repro.py)', () => {
  // follows dvc tests/func/repro/test_repro.py::test_repro_list_of_commands_in_order (multiline=True and False)
  it('a multi-line string runs line by line in order, as a list does', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines('stages:', '  multi:', '    cmd: |', '      echo foo>foo', '      echo bar>bar', '  listed:', '    cmd:', '      - echo foo>foo2', '      - echo bar>bar2'),
    });
    await p.runOk(['repro']);
    expect([p.read('foo'), p.read('bar'), p.read('foo2'), p.read('bar2')]).toEqual(['foo\n', 'bar\n', 'foo\n', 'bar\n']);
  });

  // follows dvc tests/func/repro/test_repro.py::test_repro_list_of_commands_raise_and_stops_after_failure
  it('a multi-line string stops at the first failing line and the stage fails', async () => {
    const p = createProject({ 'pipeline.yaml': yamlLines('stages:', '  multi:', '    cmd: |', '      echo foo>foo', '      failed_command_that_does_not_exist', '      echo baz>bar') });
    const r = await p.run(['repro']);
    expect(r.code).toBe(1);
    expect(p.read('foo')).toBe('foo\n');
    expect(p.exists('bar')).toBe(false);
  });
});

describe('callback stages (dvc/stage/__init__.py Stage.is_callback)', () => {
  // follows dvc tests/func/repro/test_repro.py::test_repro_frozen_callback
  it('a stage with neither deps nor outs runs on every repro, unless frozen', async () => {
    const stage = (frozen: boolean) => yamlLines('stages:', '  notify:', `    cmd: ${tick('notify')}`, ...(frozen ? ['    frozen: true'] : []));
    const p = createProject({ 'pipeline.yaml': stage(false) });
    await p.runOk(['repro']);
    await p.runOk(['repro']);
    expect(p.runs('notify')).toBe(2);
    const status = (await json(p, ['status', '--json'])) as { upToDate: boolean; stages: { reasons: { kind: string }[] }[] };
    expect(status.upToDate).toBe(false);
    expect(status.stages[0]!.reasons).toEqual([{ kind: 'callback' }]);
    p.write('pipeline.yaml', stage(true));
    await p.runOk(['repro']);
    expect(p.runs('notify')).toBe(2);
    p.write('pipeline.yaml', stage(false));
    await p.runOk(['repro']);
    expect(p.runs('notify')).toBe(3);
  });

  // follows dvc tests/func/repro/test_repro.py::test_repro_up_to_date (a stage with params only is not a callback: params are deps)
  it('a stage with only params is up to date after one run', async () => {
    const p = createProject({ 'params.yaml': 'x: 1\n', 'pipeline.yaml': yamlLines('stages:', '  p:', `    cmd: ${tick('p')}`, '    params: [x]') });
    await p.runOk(['repro']);
    await p.runOk(['repro']);
    expect(p.runs('p')).toBe(1);
  });
});

describe('run-cache eligibility (dvc/stage/cache.py _can_hash, tests/func/test_run_cache.py)', () => {
  /** Runs with in.txt = a, then b, then a again: the third run is a run-cache hit when the stage is eligible. */
  async function aba(p: Project, stage: string): Promise<number> {
    p.write('in.txt', 'a\n');
    await p.runOk(['repro']);
    p.write('in.txt', 'b\n');
    await p.runOk(['repro']);
    p.write('in.txt', 'a\n');
    await p.runOk(['repro']);
    return p.runs(stage);
  }
  const copyStage = (extra: string[]) => yamlLines('stages:', '  copy:', `    cmd: ${tick('copy')} && cp in.txt bar && cp in.txt goo`, '    deps: [in.txt]', ...extra);

  // follows dvc tests/func/test_run_cache.py::test_outs_no_cache_deactivate_run_cache[metrics_no_cache-True]
  it('an uncached metric keeps the run-cache: restored as a regular file with the old content', async () => {
    const p = createProject({ 'pipeline.yaml': copyStage(['    outs: [goo]', '    metrics: [{bar: {cache: false}}]']) });
    expect(await aba(p, 'copy')).toBe(2);
    expect(p.read('bar')).toBe('a\n');
    expect(p.read('goo')).toBe('a\n');
    // A copy, as DVC restores uncached outputs: editing it cannot touch the cache.
    expect(execFileSync('stat', ['-c', '%h', p.abs('bar')]).toString().trim()).toBe('1');
    expect(p.lock().stages.copy!.outs!.find((o) => o.path === 'bar')).toMatchObject({ cache: false });
  });

  // follows dvc tests/func/test_run_cache.py::test_outs_no_cache_deactivate_run_cache[plots_no_cache-True]
  it('an uncached plot keeps the run-cache', async () => {
    const p = createProject({ 'pipeline.yaml': copyStage(['    outs: [goo]', '    plots: [{bar: {cache: false}}]']) });
    expect(await aba(p, 'copy')).toBe(2);
  });

  // follows dvc tests/func/test_run_cache.py::test_outs_no_cache_deactivate_run_cache[outs_no_cache-False]
  it('an uncached plain output deactivates the run-cache', async () => {
    const p = createProject({ 'pipeline.yaml': copyStage(['    outs: [goo, {bar: {cache: false}}]']) });
    expect(await aba(p, 'copy')).toBe(3);
  });

  // follows dvc tests/func/test_run_cache.py::test_restore (and _can_hash: a persist output is never restored from the run-cache)
  it('a cached stage is restored; one with a persist output runs again', async () => {
    const cached = createProject({ 'pipeline.yaml': copyStage(['    outs: [goo, bar]']) });
    expect(await aba(cached, 'copy')).toBe(2);
    const persist = createProject({ 'pipeline.yaml': copyStage(['    outs: [goo, {bar: {persist: true}}]']) });
    expect(await aba(persist, 'copy')).toBe(3);
  });

  // follows dvc tests/func/test_run_cache.py::test_save (_can_hash: no deps, or always_changed, means no run-cache entry)
  it('a stage without deps, or always_changed, is never restored from the run-cache', async () => {
    const depless = (n: number) => yamlLines('stages:', '  gen:', `    cmd: ${tick('gen')} && echo ${n} > out.txt`, '    outs: [out.txt]');
    const p = createProject({ 'pipeline.yaml': depless(1) });
    for (const n of [1, 2, 1]) {
      p.write('pipeline.yaml', depless(n));
      await p.runOk(['repro']);
    }
    expect(p.runs('gen')).toBe(3);
    expect(p.listFiles('.orchestrator/cache/runs')).toEqual([]);

    const always = createProject({ 'in.txt': 'a\n', 'pipeline.yaml': copyStage(['    outs: [goo, bar]', '    always_changed: true']) });
    await always.runOk(['repro']);
    expect(always.listFiles('.orchestrator/cache/runs')).toEqual([]);
  });
});

describe('params diff (tests/func/params/test_diff.py)', () => {
  const pipeline = (params: string) => yamlLines('stages:', '  echo-params:', '    cmd: echo params', `    params: ${params}`);

  // follows dvc tests/func/params/test_diff.py::test_diff and ::test_diff_dict
  it("--json is DVC's document: {file: {dotted.key: {old, new}}}", async () => {
    const p = gitProject({ 'params.yaml': 'foo: bar\nnested:\n  a: 1\n', 'pipeline.yaml': pipeline('[foo, nested]') });
    commit(p, 'bar');
    p.write('params.yaml', 'foo: qux\nnested:\n  a: 3\n');
    expect(await json(p, ['params', 'diff', '--json'])).toEqual({ 'params.yaml': { foo: { old: 'bar', new: 'qux' }, 'nested.a': { old: 1, new: 3, diff: 2 } } });
  });

  // follows dvc tests/func/params/test_diff.py::test_diff_list
  it('lists compare whole, printed as Python prints them', async () => {
    const p = gitProject({ 'params.yaml': 'foo:\n- bar\n- baz\n', 'pipeline.yaml': pipeline('[foo]') });
    commit(p, 'foo');
    p.write('params.yaml', 'foo:\n- bar\n- baz\n- qux\n');
    expect(await json(p, ['params', 'diff', '--json'])).toEqual({ 'params.yaml': { foo: { old: "['bar', 'baz']", new: "['bar', 'baz', 'qux']" } } });
  });

  // follows dvc tests/func/params/test_diff.py::test_diff_with_unchanged and ::test_diff_no_changes
  it('--all includes unchanged params; no change is {}', async () => {
    const p = gitProject({ 'params.yaml': 'foo: bar\nxyz: val\n', 'pipeline.yaml': pipeline('[foo, xyz]') });
    commit(p, 'bar');
    expect(await json(p, ['params', 'diff', '--json'])).toEqual({});
    p.write('params.yaml', 'foo: qux\nxyz: val\n');
    expect(await json(p, ['params', 'diff', '--all', '--json'])).toEqual({ 'params.yaml': { foo: { old: 'bar', new: 'qux' }, xyz: { old: 'val', new: 'val' } } });
  });

  // follows dvc tests/func/params/test_show.py::test_show_toml and ::test_show_py (only the tracked keys of other files)
  it('TOML and Python params files, only their tracked keys', async () => {
    const p = gitProject({
      'params.toml': '[foo]\nbar = 42\nbaz = [1, 2]\n[other]\nx = 1\n',
      'params.py': 'CONST = 1\nIS_DIR: bool = True\n\n\nclass Config:\n    foo = 42\n',
      'pipeline.yaml': yamlLines('stages:', '  echo-params:', '    cmd: echo params', '    params:', '      - params.toml: [foo]', '      - params.py: [CONST, IS_DIR, Config.foo]'),
    });
    commit(p, 'base');
    p.write('params.toml', '[foo]\nbar = 43\nbaz = [1, 2]\n[other]\nx = 2\n');
    p.write('params.py', 'CONST = 2\nIS_DIR: bool = True\n\n\nclass Config:\n    foo = 42\n');
    expect(await json(p, ['params', 'diff', '--json'])).toEqual({
      'params.py': { CONST: { old: 1, new: 2, diff: 1 } },
      'params.toml': { 'foo.bar': { old: 42, new: 43, diff: 1 } },
    });
  });

  // follows dvc tests/func/params/test_show.py::test_top_level_parametrized (vars files used in templating are shown)
  it('vars files read by templating and top-level params: files are compared too', async () => {
    const p = gitProject({
      'config.yaml': 'threshold: 10\n',
      'extra.json': '{"a": 1}',
      'pipeline.yaml': yamlLines('vars: [config.yaml]', 'params: [extra.json]', 'stages:', '  s:', '    cmd: echo ${threshold}'),
    });
    commit(p, 'base');
    p.write('config.yaml', 'threshold: 20\n');
    p.write('extra.json', '{"a": 2}');
    expect(await json(p, ['params', 'diff', '--json'])).toEqual({ 'config.yaml': { threshold: { old: 10, new: 20, diff: 10 } }, 'extra.json': { a: { old: 1, new: 2, diff: 1 } } });
  });
});

describe('metrics show and diff (tests/func/metrics, tests/unit/test_compare.py)', () => {
  const copyMetrics = (file: string) => yamlLines('stages:', '  copy-metrics:', `    cmd: cp m_temp ${file}`, '    deps: [m_temp]', `    metrics: [{${file}: {cache: false}}]`);

  // follows dvc tests/func/metrics/test_diff.py::test_metrics_diff_simple
  it('a metrics file holding one number diffs under the key ""', async () => {
    const p = gitProject({ m_temp: '1\n', 'pipeline.yaml': copyMetrics('m.yaml') });
    await p.runOk(['repro']);
    commit(p, '1');
    p.write('m_temp', '3\n');
    await p.runOk(['repro']);
    expect(await json(p, ['metrics', 'diff', '--json'])).toEqual({ 'm.yaml': { '': { old: 1, new: 3, diff: 2 } } });
  });

  // follows dvc tests/func/metrics/test_diff.py::test_metrics_diff_yaml and ::test_metrics_diff_new_metric
  it("nested keys flatten with dots, strings have no diff, a new file's old values are null", async () => {
    const p = gitProject({ m_temp: 'a: {b: {c: 1, d: 1, e: "1"}}\n', 'pipeline.yaml': copyMetrics('m.yaml') });
    await p.runOk(['repro']);
    commit(p, '1');
    p.write('m_temp', 'a: {b: {c: 3, d: 1, e: "3"}}\n');
    await p.runOk(['repro']);
    expect(await json(p, ['metrics', 'diff', '--json'])).toEqual({ 'm.yaml': { 'a.b.c': { old: 1, new: 3, diff: 2 }, 'a.b.e': { old: '1', new: '3' } } });
    p.write('n_temp', '{"x": 1}\n');
    p.write('pipeline.yaml', yamlLines(copyMetrics('m.yaml'), '  more:', '    cmd: cp n_temp n.json', '    deps: [n_temp]', '    metrics: [{n.json: {cache: false}}]'));
    await p.runOk(['repro']);
    expect(((await json(p, ['metrics', 'diff', '--json'])) as Record<string, unknown>)['n.json']).toEqual({ x: { old: null, new: 1 } });
  });

  // follows dvc tests/unit/test_compare.py::test_diff_markdown
  it('--md prints the table DVC prints', async () => {
    const p = gitProject({ m_temp: 'x:\n  b: 5\na:\n  d:\n    e: 3\n  b:\n    c: 1\n', 'pipeline.yaml': copyMetrics('metrics.yaml') });
    await p.runOk(['repro']);
    commit(p, 'base');
    p.write('m_temp', 'x:\n  b: "6"\na:\n  d:\n    e: 4\n  b:\n    c: 2\n');
    await p.runOk(['repro']);
    expect((await p.runOk(['metrics', 'diff', '--md'])).stdout).toBe(
      [
        '| Path         | Metric   | HEAD   | workspace   | Change   |',
        '|--------------|----------|--------|-------------|----------|',
        '| metrics.yaml | a.b.c    | 1      | 2           | 1        |',
        '| metrics.yaml | a.d.e    | 3      | 4           | 1        |',
        '| metrics.yaml | x.b      | 5      | 6           | -        |',
        '',
        '',
      ].join('\n'),
    );
    expect((await p.runOk(['params', 'diff', '--md'])).stdout).toBe(['| Path   | Param   | HEAD   | workspace   |', '|--------|---------|--------|-------------|', '', ''].join('\n'));
  });

  // follows dvc tests/func/metrics/test_show.py::test_show and ::test_show_toml
  it("metrics show --json is DVC's document {rev: {data: {file: {data}}}}, TOML metrics included", async () => {
    const p = createProject({
      m_temp: 'foo: 1.1\n',
      'pipeline.yaml': yamlLines(copyMetrics('metrics.yaml'), '  toml:', '    cmd: printf "[foo]\\nbar = 1.2\\n" > metrics.toml', '    metrics: [metrics.toml]'),
    });
    await p.runOk(['repro']);
    expect(await json(p, ['metrics', 'show', '--json'])).toEqual({
      workspace: { data: { 'metrics.toml': { data: { foo: { bar: 1.2 } } }, 'metrics.yaml': { data: { foo: 1.1 } } } },
    });
  });
});
