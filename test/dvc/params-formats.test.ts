import { describe, expect, test } from 'vitest';
import { parsePythonParams } from '../../src/resolve/python-params.js';
import { lines, resolveErr, resolveOk, stageNamed } from '../config/fixtures.js';

const py = (text: string) => {
  const parsed = parsePythonParams(text);
  if (!parsed.ok) expect.fail(parsed.error);
  return parsed.value;
};

describe('Python params files (DVC rules)', () => {
  // follows dvc tests/unit/utils/serialize/test_python.py::test_parse_valid_types
  test('literal types, class attributes and self.NAME in __init__', () => {
    expect(py('BOOL = True')).toEqual({ BOOL: true });
    expect(py('INT = 5')).toEqual({ INT: 5 });
    expect(py('FLOAT = 0.001')).toEqual({ FLOAT: 0.001 });
    expect(py("STR = 'abc'")).toEqual({ STR: 'abc' });
    expect(py("DICT = {'a': 1, 'b': 2}")).toEqual({ DICT: { a: 1, b: 2 } });
    expect(py('LIST = [1, 2, 3]')).toEqual({ LIST: [1, 2, 3] });
    expect(py('SET = {1, 2, 3}')).toEqual({ SET: [1, 2, 3] });
    expect(py('TUPLE = (10, 100)')).toEqual({ TUPLE: [10, 100] });
    expect(py('NONE = None')).toEqual({ NONE: null });
    expect(py('UNARY_OP = -1')).toEqual({ UNARY_OP: -1 });
    expect(
      py(
        lines(
          'class TrainConfig:',
          '',
          '    EPOCHS = 70',
          '',
          '    def __init__(self):',
          '        self.layers = 5',
          '        self.layers = 9  # TrainConfig.layers param will be 9',
          "        bar = 3  # Will NOT be found since it's locally scoped",
        ),
      ),
    ).toEqual({ TrainConfig: { EPOCHS: 70, layers: 9 } });
  });

  // follows dvc tests/unit/utils/serialize/test_python.py::test_parse_invalid_types
  test('non-literal values are skipped, not errors', () => {
    expect(py('CONSTRUCTOR = dict(a=1, b=2)')).toEqual({});
    expect(py('SUM = 1 + 2')).toEqual({});
    expect(py('import math\nPI = math.pi\nA = B = 1\nX, Y = 1, 2\nF = f"{PI}"\nN = 1\nN += 1\nif True:\n    HIDDEN = 1\n')).toEqual({ N: 1 });
  });

  // follows dvc tests/unit/dependency/test_params.py::test_read_params_py
  test('annotated assignments, nested classes, attributes of other objects ignored', () => {
    expect(py('INT: int = 5\nBOOL: bool = True\nTUPLE = (10, 100)\n')).toEqual({ INT: 5, BOOL: true, TUPLE: [10, 100] });
    expect(
      py(lines('x = 4', 'config.x = 3', 'class Klass:', '    def __init__(self):', "        self.a = 'val1'", '        container.a = 2', '        self.container.a = 1', "        a = 'val2'")),
    ).toEqual({ x: 4, Klass: { a: 'val1' } });
    expect(py('class A:\n    class B:\n        n = "x" \'y\'\n    m = [\n        1,\n        2,\n    ]\n')).toEqual({ A: { B: { n: 'xy' }, m: [1, 2] } });
    expect(py('H = 0x1F\nBIG = 1_000_000\nE = 1.5e-3\nML = """a\nb"""\nR = r"\\d"\n')).toEqual({ H: 31, BIG: 1000000, E: 0.0015, ML: 'a\nb', R: '\\d' });
  });

  test('an unterminated string or bracket is an error with its line', () => {
    const parsed = parsePythonParams('A = 1\nB = "open\n');
    expect(parsed.ok ? 'parsed' : parsed.error).toBe('line 2: a string is never closed');
    const bracket = parsePythonParams('A = [1,\n');
    expect(bracket.ok ? 'parsed' : bracket.error).toBe('a bracket is never closed');
  });
});

describe('params and vars in TOML and Python', () => {
  // follows dvc tests/unit/dependency/test_params.py::test_read_params_toml
  test('a TOML params file is tracked by dotted key', () => {
    const pipeline = resolveOk({
      'parameters.toml': lines('[some.path]', 'foo = ["val1", "val2"]', 'when = 1979-05-27T07:32:00Z'),
      'pipeline.yaml': lines('stages:', '  s:', '    cmd: run', '    params:', '      - parameters.toml: [some.path.foo, some.path.when]'),
    });
    expect(stageNamed(pipeline, 's').params.map((p) => [p.file, p.key, p.value])).toEqual([
      ['parameters.toml', 'some.path.foo', ['val1', 'val2']],
      ['parameters.toml', 'some.path.when', '1979-05-27T07:32:00.000Z'],
    ]);
  });

  // follows dvc tests/unit/dependency/test_params.py::test_read_params_wrong_suffix
  test('a .toml file holding YAML is a positioned error', () => {
    const errors = resolveErr({
      'parameters.toml': 'some:\n  path: 1\n',
      'pipeline.yaml': lines('stages:', '  s:', '    cmd: run', '    params:', '      - parameters.toml: [some.path]'),
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/^parameters\.toml: /);
    expect(errors[0]!.span?.file).toBe('parameters.toml');
  });

  // follows dvc tests/unit/dependency/test_params.py::test_read_params_default_loader
  test('an unknown extension is read as YAML', () => {
    const pipeline = resolveOk({
      'parameters.foo': 'some:\n  path:\n    foo: [val1, val2]\n',
      'pipeline.yaml': lines('stages:', '  s:', '    cmd: run', '    params:', '      - parameters.foo: [some.path.foo]'),
    });
    expect(stageNamed(pipeline, 's').params[0]!.value).toEqual(['val1', 'val2']);
  });

  // follows dvc tests/func/parsing/test_resolver.py::test_load_vars_from_file (with TOML and Python vars files)
  test('vars files in TOML and Python feed ${}', () => {
    const pipeline = resolveOk({
      'cfg.toml': '[model]\nheads = 4\n',
      'cfg.py': 'class Train:\n    lr = 0.01\nSEED = 7\n',
      'pipeline.yaml': lines('vars: [cfg.toml, cfg.py]', 'stages:', '  s:', '    cmd: run ${model.heads} ${Train.lr} ${SEED}'),
    });
    expect(stageNamed(pipeline, 's').cmd).toEqual(['run 4 0.01 7']);
  });
});

describe('setting params (repro -S, sweeps)', () => {
  test('TOML and Python params files are read but not written: a clear error, the file untouched', async () => {
    const { editParamsText } = await import('../../src/sweep/params-edit.js');
    for (const file of ['params.toml', 'params.py']) {
      const edited = editParamsText(file, 'x = 1\n', [{ key: { file, key: 'x', add: false }, value: 2 }]);
      expect(edited.ok ? edited.value : edited.error).toBe(`${file}: only YAML and JSON params files can be set from the command line or a sweep; edit this file by hand`);
    }
  });
});
