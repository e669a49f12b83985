import { describe, expect, test } from 'vitest';
import { loadPipeline } from '../../src/config/load.js';
import { memoryProjectFiles } from '../../src/config/project-files.js';
import { lines, rendered, resolveErr } from './fixtures.js';

// Each test asserts the exact text a user sees for one kind of mistake.

describe('YAML problems', () => {
  test('malformed YAML reports the first syntax error at the parser position', () => {
    const text = rendered({ 'pipeline.yaml': lines('stages:', '  train:', '    cmd: [echo, hi', '    deps: [a]') });
    expect(text).toBe(
      lines(
        'pipeline.yaml:4:5: error: Flow sequence in block collection must be sufficiently indented and end with a ]',
        '   4 |     deps: [a]',
        '     |     ~~~~',
      ),
    );
  });

  test('an unquoted ${} inside a flow list gets a hint', () => {
    const text = rendered({ 'pipeline.yaml': lines('stages:', '  s:', '    cmd: x', '    deps: [data/${x}]') });
    expect(text).toBe(
      lines(
        'pipeline.yaml:4:18: error: Missing , or : between flow sequence items',
        '   4 |     deps: [data/${x}]',
        '     |                  ~',
        '  hint: quote values that contain ${...} inside [...] or {...}',
      ),
    );
  });

  test('duplicate keys are errors', () => {
    const text = rendered({ 'pipeline.yaml': lines('stages:', '  a:', '    cmd: x', '    cmd: y') });
    expect(text).toBe(lines('pipeline.yaml:4:5: error: Map keys must be unique', '   4 |     cmd: y', '     |     ~~~'));
  });

  test('missing pipeline file', () => {
    expect(rendered({})).toBe('error: pipeline.yaml: file not found');
    const result = loadPipeline(memoryProjectFiles({}), { pipelineFile: 'other.yaml' });
    expect(!result.ok && result.error[0]?.message).toBe('other.yaml: file not found');
  });

  test('the top level must be a mapping', () => {
    expect(rendered({ 'pipeline.yaml': '- a\n- b\n' })).toBe(
      lines('pipeline.yaml:1:1: error: top level: expected a mapping with stages, got a list', '   1 | - a', '     | ~~~'),
    );
  });
});

describe('schema problems', () => {
  test('unknown key in a stage with a suggestion, pointing at the key', () => {
    const text = rendered({ 'pipeline.yaml': lines('stages:', '  train:', '    cmd: python train.py', '    dpes: [a]') });
    expect(text).toBe(
      lines(
        'pipeline.yaml:4:5: error: unknown key "dpes" in stage "train" (did you mean "deps"?)',
        '   4 |     dpes: [a]',
        '     |     ~~~~',
      ),
    );
  });

  test('unknown keys without a close match, at the top level and nested', () => {
    const text = rendered({
      'pipeline.yaml': lines('stagse: {}', 'stages:', '  s:', '    cmd: x', '    container: {image: i, zzzzz: 1}', '    outs: [{o: {cahce: true}}]'),
    });
    expect(text).toBe(
      lines(
        'pipeline.yaml:1:1: error: unknown key "stagse" at the top level (did you mean "stages"?)',
        '   1 | stagse: {}',
        '     | ~~~~~~',
        '',
        'pipeline.yaml:5:27: error: unknown key "zzzzz" in "stages.s.container"',
        '   5 |     container: {image: i, zzzzz: 1}',
        '     |                           ~~~~~',
        '',
        'pipeline.yaml:6:17: error: unknown key "cahce" in "stages.s.outs[0].o" (did you mean "cache"?)',
        '   6 |     outs: [{o: {cahce: true}}]',
        '     |                 ~~~~~',
      ),
    );
  });

  test('wrong types in human words', () => {
    const text = rendered({
      'pipeline.yaml': lines('stages:', '  train:', '    cmd: python t.py', '    deps: 3', '    frozen: "yes"', '    params: [model, 7]'),
    });
    expect(text).toBe(
      lines(
        'pipeline.yaml:4:11: error: stages.train.deps: expected a list of paths, got a number',
        '   4 |     deps: 3',
        '     |           ~',
        '',
        'pipeline.yaml:5:13: error: stages.train.frozen: expected true or false, got a string',
        '   5 |     frozen: "yes"',
        '     |             ~~~~~',
        '',
        'pipeline.yaml:6:21: error: stages.train.params[1]: expected a parameter key or {file: [keys]}, got a number',
        '   6 |     params: [model, 7]',
        '     |                     ~',
      ),
    );
  });

  test('a union reports the member that matched the shape', () => {
    const text = rendered({ 'pipeline.yaml': lines('stages:', '  s:', '    cmd: [echo a, 5]') });
    expect(text).toBe(
      lines('pipeline.yaml:3:19: error: stages.s.cmd[1]: expected a command, got a number', '   3 |     cmd: [echo a, 5]', '     |                   ~'),
    );
  });

  test('missing cmd points at the stage name', () => {
    const text = rendered({ 'pipeline.yaml': lines('stages:', '  train:', '    deps: [a]') });
    expect(text).toBe(lines('pipeline.yaml:2:3: error: stages.train: missing required key "cmd"', '   2 |   train:', '     |   ~~~~~'));
  });

  test('unknown executor suggests the closest one; bad resource capacity', () => {
    const diagnostics = resolveErr({
      'pipeline.yaml': lines('resources: {vivado_license: 0}', 'stages:', '  s:', '    cmd: x', '    executor: dockr'),
    });
    expect(diagnostics.map((d) => [d.code, d.message])).toEqual([
      ['invalid-value', 'resources.vivado_license: expected a positive number, got 0'],
      ['unknown-executor', 'stages.s.executor: expected one of local, docker, slurm, got "dockr" (did you mean "docker"?)'],
    ]);
  });

  test('invalid stage names and a stage that is not a mapping', () => {
    const text = rendered({ 'pipeline.yaml': lines('stages:', '  bad@name:', '    cmd: x', '  s: echo hi') });
    expect(text).toBe(
      lines(
        'pipeline.yaml:2:3: error: invalid stage name "bad@name": use letters, digits, "_", "." and "-" ("@" is reserved for foreach/matrix)',
        '   2 |   bad@name:',
        '     |   ~~~~~~~~',
        '',
        'pipeline.yaml:4:6: error: stages.s: expected a stage definition (mapping), got a string',
        '   4 |   s: echo hi',
        '     |      ~~~~~~~',
      ),
    );
  });

  test('errors in a foreach body are reported once, not per item', () => {
    const diagnostics = resolveErr({ 'pipeline.yaml': lines('stages:', '  s:', '    foreach: [1, 2, 3]', '    do:', '      cmd: x', '      dpes: []') });
    expect(diagnostics.map((d) => d.message)).toEqual(['unknown key "dpes" in stage "s" (did you mean "deps"?)']);
  });
});

describe('templating problems', () => {
  test('undefined variable points at its ${ inside a plain scalar, with did-you-mean', () => {
    const text = rendered({
      'params.yaml': 'model: {heads: 4}\n',
      'pipeline.yaml': lines('stages:', '  train:', '    cmd: python train.py --heads ${model.head}'),
    });
    expect(text).toBe(
      lines(
        'pipeline.yaml:3:34: error: undefined variable "model.head" (did you mean "model.heads"?)',
        '   3 |     cmd: python train.py --heads ${model.head}',
        '     |                                  ~~~~~~~~~~~~~',
      ),
    );
  });

  test('undefined variable inside quoted and block scalars, second occurrence', () => {
    const diagnostics = resolveErr({
      'params.yaml': 'a: 1\n',
      'pipeline.yaml': lines('stages:', '  s:', '    cmd: "echo ${a} \\"${b}\\""', '    desc: |', '      first ${a}', '      then ${c}'),
    });
    expect(diagnostics.map((d) => [d.message, d.span?.line, d.span?.col, d.span?.endCol])).toEqual([
      ['undefined variable "b"', 3, 23, 27],
      ['undefined variable "c"', 6, 12, 16],
    ]);
  });

  test('a list interpolated into a larger string outside cmd', () => {
    const text = rendered({
      'params.yaml': 'files: [a, b]\n',
      'pipeline.yaml': lines('stages:', '  s:', '    cmd: echo', '    deps: ["data/${files}"]'),
    });
    expect(text).toBe(
      lines(
        'pipeline.yaml:4:18: error: "${files}" is a list and cannot be embedded in a string',
        '   4 |     deps: ["data/${files}"]',
        '     |                  ~~~~~~~~',
      ),
    );
  });

  test('syntax errors inside ${} and unterminated ${', () => {
    const diagnostics = resolveErr({ 'params.yaml': 'a: 1\n', 'pipeline.yaml': lines('stages:', '  s:', '    cmd: echo ${a +}', '    desc: x ${a') });
    expect(diagnostics.map((d) => [d.code, d.message])).toEqual([
      ['invalid-interpolation', 'incomplete expression "a +"'],
      ['invalid-interpolation', 'unterminated "${" in "x ${a"'],
    ]);
  });
});

describe('resolution problems', () => {
  test('duplicate stage names produced by foreach', () => {
    const text = rendered({ 'pipeline.yaml': lines('stages:', '  build:', '    foreach: [1, "1"]', '    do: {cmd: echo}') });
    expect(text).toBe(
      lines('pipeline.yaml:2:3: error: stage "build@1" is defined more than once', '   2 |   build:', '     |   ~~~~~'),
    );
  });

  test('missing param key with did-you-mean, and a missing params file', () => {
    const text = rendered({
      'params.yaml': 'model: {heads: 4}\nseed: 1\n',
      'pipeline.yaml': lines('stages:', '  s:', '    cmd: x', '    params: [model.head, sed, {extra.yaml: [a]}]'),
    });
    expect(text).toBe(
      lines(
        'pipeline.yaml:4:14: error: param "model.head" not found in params.yaml (did you mean "model.heads"?)',
        '   4 |     params: [model.head, sed, {extra.yaml: [a]}]',
        '     |              ~~~~~~~~~~',
        '',
        'pipeline.yaml:4:26: error: param "sed" not found in params.yaml (did you mean "seed"?)',
        '   4 |     params: [model.head, sed, {extra.yaml: [a]}]',
        '     |                          ~~~',
        '',
        'pipeline.yaml:4:32: error: extra.yaml: file not found',
        '   4 |     params: [model.head, sed, {extra.yaml: [a]}]',
        '     |                                ~~~~~~~~~~',
      ),
    );
  });

  test('paths escaping the workspace, directly and through wdir', () => {
    const text = rendered({
      'pipeline.yaml': lines('stages:', '  s:', '    cmd: x', '    wdir: sub', '    deps: [../../etc, /abs/file, ../ok]'),
    });
    expect(text).toBe(
      lines(
        'pipeline.yaml:5:12: error: stages.s.deps[0]: "../../etc" is outside the workspace',
        '   5 |     deps: [../../etc, /abs/file, ../ok]',
        '     |            ~~~~~~~~~',
        '',
        'pipeline.yaml:5:23: error: stages.s.deps[1]: "/abs/file" is an absolute path; use a path inside the workspace',
        '   5 |     deps: [../../etc, /abs/file, ../ok]',
        '     |                       ~~~~~~~~~',
      ),
    );
  });

  test('diagnostics from several stages come back together, in source order', () => {
    const diagnostics = resolveErr({
      'pipeline.yaml': lines('stages:', '  b:', '    cmd: ${nope}', '  a:', '    cmd: x', '    outs: [../o]', '    dpes: []'),
    });
    expect(diagnostics.map((d) => [d.code, d.span?.line])).toEqual([
      ['undefined-variable', 3],
      ['unknown-key', 7],
    ]);
  });
});
