/**
 * dvc.yaml templating and schema, scenario by scenario after DVC's own tests (treeverse/dvc,
 * tests/func/parsing, tests/unit/test_interpolate.py). Each test names the DVC test it follows.
 */
import { describe, expect, test } from 'vitest';
import { lines, resolveErr, resolveOk, stageNamed } from '../config/fixtures.js';

const cmds = (files: Record<string, string>) => Object.fromEntries(resolveOk(files).stages.map((s) => [s.name, s.cmd.join('\n')]));
const messages = (files: Record<string, string>) => resolveErr(files).map((d) => d.message);

describe('foreach (tests/func/parsing/test_foreach.py)', () => {
  // follows dvc tests/func/parsing/test_foreach.py::test_with_dict_data
  test('a dict gives ${key} and ${item}', () => {
    expect(cmds({ 'pipeline.yaml': lines('stages:', '  build:', '    foreach: {model1: foo, model2: bar}', '    do:', '      cmd: echo ${key} ${item}') })).toEqual({
      'build@model1': 'echo model1 foo',
      'build@model2': 'echo model2 bar',
    });
  });

  // follows dvc tests/func/parsing/test_foreach.py::test_with_dict_with_non_str_keys
  test('non-string dict keys name the stages by their text', () => {
    expect(cmds({ 'pipeline.yaml': lines('stages:', '  build:', '    foreach:', '      2021: {thresh: foo}', '      2022: {thresh: bar}', '    do:', '      cmd: echo ${key} ${item.thresh}') })).toEqual({
      'build@2021': 'echo 2021 foo',
      'build@2022': 'echo 2022 bar',
    });
  });

  // follows dvc tests/func/parsing/test_foreach.py::test_foreach_interpolated_simple_list
  test('foreach over a list from vars names stages by value', () => {
    expect(cmds({ 'pipeline.yaml': lines('vars:', '  - models: [foo, bar, baz]', 'stages:', '  build:', '    foreach: ${models}', '    do:', '      cmd: echo ${item}') })).toEqual({
      'build@foo': 'echo foo',
      'build@bar': 'echo bar',
      'build@baz': 'echo baz',
    });
  });

  // follows dvc tests/func/parsing/test_foreach.py::test_foreach_interpolate_with_composite_data (both ${item.thresh} and ${item[thresh]})
  test('${item[thresh]} is the field "thresh", as ${item.thresh}', () => {
    for (const expr of ['${item.thresh}', '${item[thresh]}']) {
      expect(cmds({ 'pipeline.yaml': lines('vars:', '  - models: {model1: {thresh: foo}, model2: {thresh: bar}}', 'stages:', '  build:', '    foreach: ${models}', '    do:', `      cmd: echo ${expr}`) })).toEqual({
        'build@model1': 'echo foo',
        'build@model2': 'echo bar',
      });
      expect(cmds({ 'pipeline.yaml': lines('vars:', '  - models: [{thresh: foo}, {thresh: bar}]', 'stages:', '  build:', '    foreach: ${models}', '    do:', `      cmd: echo ${expr}`) })).toEqual({
        'build@0': 'echo foo',
        'build@1': 'echo bar',
      });
    }
  });

  // follows dvc tests/func/parsing/test_foreach.py::test_foreach_data_from_nested_vars
  test('foreach data from a nested key', () => {
    expect(cmds({ 'pipeline.yaml': lines('vars:', '  - models: {lst: [{thresh: 10}, {thresh: 15}]}', 'stages:', '  build:', '    foreach: ${models.lst}', '    do:', '      cmd: echo ${item.thresh}') })).toEqual({
      'build@0': 'echo 10',
      'build@1': 'echo 15',
    });
  });

  // follows dvc tests/func/parsing/test_foreach.py::test_foreach_partial_interpolations
  test('${} inside written foreach data is interpolated', () => {
    expect(cmds({ 'pipeline.yaml': lines('vars:', '  - bar: bar', 'stages:', '  build:', '    foreach: {model1: foo, model2: "${bar}"}', '    do:', '      cmd: echo ${item}') })).toEqual({
      'build@model1': 'echo foo',
      'build@model2': 'echo bar',
    });
  });

  // follows dvc tests/func/parsing/test_foreach.py::test_mixed_vars_for_foreach_data_2
  test('a mapping from params.yaml and a vars file merges key by key', () => {
    expect(
      cmds({
        'params.yaml': lines('models:', '  model1: {thresh: 10}', '  model2: {thresh: 15}'),
        'test_params.yaml': lines('models:', '  model1: {epochs: 5}', '  model2: {epochs: 10}'),
        'pipeline.yaml': lines('vars: [test_params.yaml]', 'stages:', '  build:', '    foreach: ${models}', '    do:', '      cmd: echo ${item.thresh} ${item.epochs}'),
      }),
    ).toEqual({ 'build@model1': 'echo 10 5', 'build@model2': 'echo 15 10' });
  });

  // follows dvc tests/func/parsing/test_foreach.py::test_foreach_with_interpolated_wdir
  test('wdir templated by ${item}', () => {
    const pipeline = resolveOk({ 'pipeline.yaml': lines('stages:', '  build:', '    foreach: [foo, bar]', '    do:', '      wdir: ${item}', '      cmd: echo hello') });
    expect(pipeline.stages.map((s) => [s.name, s.wdir])).toEqual([
      ['build@foo', 'foo'],
      ['build@bar', 'bar'],
    ]);
  });

  // follows dvc tests/func/parsing/test_foreach.py::test_foreach_with_local_vars
  test('stage vars inside do', () => {
    expect(cmds({ 'pipeline.yaml': lines('stages:', '  build:', '    foreach: [foo, bar]', '    do:', '      vars: [{foobar: foobar}]', '      cmd: echo ${item} ${foobar}') })).toEqual({
      'build@foo': 'echo foo foobar',
      'build@bar': 'echo bar foobar',
    });
  });

  // follows dvc tests/func/parsing/test_foreach.py::test_foreach_with_imported_vars
  test('stage vars from a file, whole and by key', () => {
    for (const entry of ['test_params.yaml', 'test_params.yaml:train']) {
      expect(
        cmds({
          'test_params.yaml': lines('train:', '  epochs: 10', 'other: 1'),
          'pipeline.yaml': lines('stages:', '  build:', '    foreach: [foo, bar]', '    do:', `      vars: ["${entry}"]`, '      cmd: echo ${item} ${train.epochs}'),
        }),
      ).toEqual({ 'build@foo': 'echo foo 10', 'build@bar': 'echo bar 10' });
    }
  });
});

describe('matrix (tests/func/parsing/test_matrix.py)', () => {
  const MATRIX = lines('os: [win, linux]', 'pyv: [3.7, 3.8]', 'dict: [{arg1: 1}, {arg2: 2}]', 'list: [[out1, out11], [out2, out22]]');

  // follows dvc tests/func/parsing/test_matrix.py::test_matrix_interpolated
  test('axes from params or written; dicts unpack in cmd, lists index', () => {
    const written = lines('stages:', '  build:', '    matrix:', '      os: [win, linux]', '      pyv: [3.7, 3.8]', '      dict: [{arg1: 1}, {arg2: 2}]', '      list: [[out1, out11], [out2, out22]]', '    cmd: echo ${item.os} ${item.pyv} ${item.dict} -- ${item.list.0} ${item.list.1}');
    const fromParams = lines('stages:', '  build:', '    matrix:', '      os: ${os}', '      pyv: ${pyv}', '      dict: ${dict}', '      list: ${list}', '    cmd: echo ${item.os} ${item.pyv} ${item.dict} -- ${item.list.0} ${item.list.1}');
    for (const pipeline of [written, fromParams]) {
      const all = cmds({ 'params.yaml': MATRIX, 'pipeline.yaml': pipeline });
      expect(Object.keys(all)).toHaveLength(16);
      expect(all['build@win-3.7-dict0-list0']).toBe('echo win 3.7 --arg1 1 -- out1 out11');
      expect(all['build@linux-3.8-dict1-list1']).toBe('echo linux 3.8 --arg2 2 -- out2 out22');
    }
  });

  // follows dvc tests/func/parsing/test_matrix.py::test_matrix_key_present
  test('${key} is the generated name suffix', () => {
    const all = cmds({ 'params.yaml': MATRIX, 'pipeline.yaml': lines('stages:', '  build:', '    matrix:', '      os: ${os}', '      pyv: ${pyv}', '      dict: ${dict}', '      list: ${list}', '    cmd: echo ${key}') });
    expect(all['build@win-3.7-dict0-list0']).toBe('echo win-3.7-dict0-list0');
    expect(all['build@linux-3.8-dict1-list1']).toBe('echo linux-3.8-dict1-list1');
  });

  // follows dvc tests/func/parsing/test_foreach.py::test_foreach_partial_interpolations (matrix data is resolved the same way)
  test('${} inside written matrix axis values is interpolated', () => {
    expect(cmds({ 'params.yaml': 'fast: turbo\n', 'pipeline.yaml': lines('stages:', '  s:', '    matrix:', '      mode: [slow, "${fast}"]', '    cmd: run ${item.mode}') })).toEqual({
      's@slow': 'run slow',
      's@turbo': 'run turbo',
    });
  });
});

describe('stage entries and vars (tests/func/parsing/test_interpolated_entry.py, test_resolver.py)', () => {
  // follows dvc tests/func/parsing/test_interpolated_entry.py::test_resolve_local_tries_to_load_globally_used_files
  test('a stage may list a vars file the top level already loaded', () => {
    const pipeline = resolveOk({
      'params.json': '{"bar": "bar", "foo": "foo"}',
      'pipeline.yaml': lines('vars: [params.json]', 'stages:', '  build:', '    cmd: command --value ${bar}', '    params: [{params.json: [foo]}]', '    vars: [params.json]'),
    });
    expect(stageNamed(pipeline, 'build').cmd).toEqual(['command --value bar']);
    expect(stageNamed(pipeline, 'build').params.map((p) => [p.file, p.key, p.value])).toEqual([['params.json', 'foo', 'foo']]);
  });

  // follows dvc tests/func/parsing/test_interpolated_entry.py::test_vars_relpath_overwrite
  test('stage vars are relative to the stage wdir; ../params.yaml is the already-loaded params.yaml', () => {
    const pipeline = resolveOk({ 'params.yaml': 'bar: bar\nfoo: foo\n', 'pipeline.yaml': lines('vars: [params.yaml]', 'stages:', '  build:', '    wdir: data', '    cmd: echo ${bar}', '    vars: [../params.yaml]') });
    expect(stageNamed(pipeline, 'build').cmd).toEqual(['echo bar']);
  });

  // follows dvc tests/func/parsing/test_interpolated_entry.py::test_vars_load_partial
  test('vars loaded partially, by several keys, or the same file twice', () => {
    const variants = [['test_params.yaml:bar', 'test_params.yaml:foo'], ['test_params.yaml:foo,bar'], ['test_params.yaml'], ['test_params.yaml', 'test_params.yaml']];
    for (const local of [true, false]) {
      for (const vars of variants) {
        const list = `[${vars.map((v) => `"${v}"`).join(', ')}]`;
        const pipeline = local ? lines('stages:', '  build:', '    cmd: echo ${bar}', `    vars: ${list}`) : lines(`vars: ${list}`, 'stages:', '  build:', '    cmd: echo ${bar}');
        expect(cmds({ 'test_params.yaml': 'bar: bar\nfoo: foo\n', 'pipeline.yaml': pipeline })).toEqual({ build: 'echo bar' });
      }
    }
  });

  // follows dvc tests/func/parsing/test_resolver.py::test_local_overwrite_error
  test('stage vars cannot redefine a variable from params.yaml', () => {
    const data = 'models:\n  foo: foo\n  bar: bar\n';
    expect(messages({ 'params.yaml': data, 'pipeline.yaml': lines('stages:', '  build:', '    cmd: echo ${models.foo}', '    vars: [{models: {bar: other}}]') })).toEqual([
      'cannot redefine "models.bar" from stages.build.vars[0]: it is already defined',
    ]);
    expect(messages({ 'params.yaml': data, 'params.json': '{"models": {"bar": "x"}}', 'pipeline.yaml': lines('stages:', '  build:', '    cmd: echo ${models.foo}', '    vars: [params.json]') })).toEqual([
      'cannot redefine "models.bar" from params.json: it is already defined',
    ]);
  });

  // follows dvc tests/func/parsing/test_resolver.py::test_vars_interpolation_errors
  test('${} inside vars is refused', () => {
    expect(messages({ 'params.yaml': 'a: 1\n', 'pipeline.yaml': lines('stages:', '  build:', '    cmd: echo', '    vars: ["${a}.yaml"]') })).toEqual(['stages.build.vars.0: interpolating is not allowed in vars']);
  });

  // follows dvc tests/func/parsing/test_resolver.py::test_local_vars
  test('stage vars mapping is visible only in its own stage', () => {
    expect(messages({ 'pipeline.yaml': lines('stages:', '  a:', '    cmd: echo ${x}', '    vars: [{x: 1}]', '  b:', '    cmd: echo ${x}') })).toEqual(['undefined variable "x"']);
  });

  // follows dvc tests/unit/test_interpolate.py::test_resolve_primitive_values (and keys interpolated like values, dvc/parsing/interpolate.py recurse)
  test('${} in mapping keys: params files and outputs', () => {
    const pipeline = resolveOk({
      'params.yaml': lines('build:', '  folding_config_file: folding.yaml', 'reports: [a, b]'),
      'folding.yaml': 'defaults: {pe: 4}\n',
      'pipeline.yaml': lines(
        'stages:',
        '  build:',
        '    cmd: run',
        '    params:',
        '      - ${build.folding_config_file}:',
        '  report:',
        '    foreach: ${reports}',
        '    do:',
        '      cmd: report ${item}',
        '      outs:',
        '        - eval-report.${item}.ipynb:',
        '            cache: false',
      ),
    });
    expect(stageNamed(pipeline, 'build').params.map((p) => [p.file, p.key, p.value])).toEqual([['folding.yaml', '', { defaults: { pe: 4 } }]]);
    expect(pipeline.stages.filter((s) => s.name.startsWith('report@')).map((s) => s.outs.map((o) => [o.path, o.cache]))).toEqual([[['eval-report.a.ipynb', false]], [['eval-report.b.ipynb', false]]]);
  });

  test('a key that renders to a key already present is an error at that key', () => {
    const errors = resolveErr({ 'params.yaml': 'f: params.yaml\n', 'pipeline.yaml': lines('stages:', '  s:', '    cmd: run', '    env:', '      ${f}: 1', '      params.yaml: 2') });
    expect(errors.map((d) => [d.message, d.span?.line])).toEqual([['key "params.yaml" renders to "params.yaml", which this mapping already has', 6]]);
  });

  // follows dvc tests/unit/test_interpolate.py::test_resolve_str (keys with `-` are plain key paths, no arithmetic)
  test('a key path with "-" reads the key, arithmetic stays available otherwise', () => {
    expect(cmds({ 'params.yaml': lines('data:', '  train-split: 0.8', 'a: 5', 'b: 2'), 'pipeline.yaml': lines('stages:', '  s:', '    cmd: run ${data.train-split} ${a - b}') })).toEqual({ s: 'run 0.8 3' });
  });
});

describe('top level (tests/func/parsing/test_top_level.py)', () => {
  // follows dvc tests/func/parsing/test_top_level.py::test_params and ::test_metrics
  test('top-level params and metrics, templated', () => {
    const pipeline = resolveOk({ 'params.yaml': 'dir: results\n', 'pipeline.yaml': lines('params:', '  - ${dir}/params.yaml', '  - other.toml', 'metrics:', '  - ${dir}/metrics.json', 'stages: {}') });
    expect(pipeline.paramsFiles).toEqual(['other.toml', 'results/params.yaml']);
    expect(pipeline.metricsFiles).toEqual(['results/metrics.json']);
  });

  // follows dvc tests/func/parsing/test_top_level.py::test_plots, ::test_artifacts and ::test_datasets
  test('plots, artifacts and datasets are accepted and named as inert', () => {
    const pipeline = resolveOk({
      'pipeline.yaml': lines(
        'plots:',
        '  - ROC:',
        '      template: simple',
        '      x: fpr',
        '      y: {eval/roc.json: tpr}',
        '  - eval/importance.png',
        'artifacts:',
        '  model:',
        '    path: model.pkl',
        '    type: model',
        '    labels: [nlp]',
        '    meta: {framework: sklearn}',
        'datasets:',
        '  - name: ds',
        '    type: dvc',
        '    url: https://example.com/repo',
        'stages: {}',
      ),
    });
    expect(pipeline.inertKeys).toEqual(['artifacts', 'datasets']);
    expect(pipeline.plots).toBeDefined();
  });
});

describe('stage schema (dvc/schema.py STAGE_DEFINITION)', () => {
  // follows dvc tests/func/test_dvcfile.py::test_dvcfile_load_with_plots (schema accepts every documented key)
  test('meta, desc, frozen, always_changed and every output flag are accepted', () => {
    const pipeline = resolveOk({
      'pipeline.yaml': lines(
        'stages:',
        '  train:',
        '    cmd: train',
        '    desc: trains',
        '    meta: {owner: me, anything: [1, 2]}',
        '    always_changed: false',
        '    frozen: false',
        '    deps: [data]',
        '    outs:',
        '      - model.pkl: {cache: true, persist: false, checkpoint: false, remote: store, push: false, desc: model, type: model, labels: [a], meta: {x: 1}}',
        '    metrics:',
        '      - m.json: {cache: false}',
        '    plots:',
        '      - roc.json:',
        '          x: fpr',
        '          y: tpr',
        '          x_label: FPR',
        '          y_label: TPR',
        '          title: ROC',
        '          template: linear',
        '          header: true',
        '      - multi.csv:',
        '          - {x: a, y: b}',
        '          - {x: a, y: c, cache: false}',
      ),
    });
    const train = stageNamed(pipeline, 'train');
    expect(train.outs.map((o) => [o.path, o.kind, o.cache])).toEqual([
      ['model.pkl', 'out', true],
      ['m.json', 'metric', false],
      ['roc.json', 'plot', true],
      ['multi.csv', 'plot', false],
    ]);
    expect(pipeline.inertKeys).toEqual(['outs: checkpoint', 'outs: push', 'outs: remote']);
  });

  test('an unknown output flag is still an error, positioned', () => {
    const errors = resolveErr({ 'pipeline.yaml': lines('stages:', '  s:', '    cmd: run', '    outs:', '      - o.txt: {cache: false, not_existing_key: false}') });
    expect(errors.map((d) => [d.code, d.span?.line])).toEqual([['unknown-key', 5]]);
  });

  // follows dvc tests/unit/stage/test_run.py (cmd.splitlines in dvc/stage/run.py _enforce_cmd_list)
  test('a multi-line cmd string becomes one command per line; a list stays as written', () => {
    const pipeline = resolveOk({ 'pipeline.yaml': lines('stages:', '  a:', '    cmd: |', '      echo one', '      echo two', '  b:', '    cmd: ["echo one\\necho two"]') });
    expect(stageNamed(pipeline, 'a').cmd).toEqual(['echo one', 'echo two']);
    expect(stageNamed(pipeline, 'b').cmd).toEqual(['echo one\necho two']);
  });
});
