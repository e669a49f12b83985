import { describe, expect, test } from 'vitest';
import { lines, rendered, resolveErr, resolveOk } from '../config/fixtures.js';

const summary = (files: Record<string, string>) => resolveOk(files).stages.map((s) => [s.name, s.cmd[0]]);

describe('foreach', () => {
  test('a list of scalars names stages by value', () => {
    expect(summary({ 'pipeline.yaml': lines('stages:', '  build:', '    foreach: [1, tiny, true]', '    do:', '      cmd: make ${item}') })).toEqual([
      ['build@1', 'make 1'],
      ['build@tiny', 'make tiny'],
      ['build@true', 'make true'],
    ]);
  });

  test('a list of dicts names stages by index', () => {
    const files = {
      'pipeline.yaml': lines('stages:', '  train:', '    foreach: [{h: 1, d: 8}, {h: 2, d: 16}]', '    do:', '      cmd: train --h ${item.h} --d ${item.d}'),
    };
    expect(summary(files)).toEqual([
      ['train@0', 'train --h 1 --d 8'],
      ['train@1', 'train --h 2 --d 16'],
    ]);
  });

  test('a dict names stages by key and provides ${key} and ${item}', () => {
    const files = {
      'pipeline.yaml': lines(
        'stages:',
        '  fit:',
        '    foreach:',
        '      small: {lr: 0.1}',
        '      large: {lr: 0.01}',
        '    do:',
        '      cmd: fit ${key} ${item.lr}',
        '      outs: ["out/${key}.pt"]',
      ),
    };
    const pipeline = resolveOk(files);
    expect(pipeline.stages.map((s) => [s.name, s.cmd[0], s.outs[0]?.path])).toEqual([
      ['fit@small', 'fit small 0.1', 'out/small.pt'],
      ['fit@large', 'fit large 0.01', 'out/large.pt'],
    ]);
    // Every expanded stage points back at the template's key.
    expect(pipeline.stages.map((s) => s.span?.line)).toEqual([2, 2]);
  });

  test('foreach over a ${expr} from params', () => {
    const files = {
      'params.yaml': 'sweep:\n  heads: [2, 4]\n  models: {a: {dim: 1}}\n',
      'pipeline.yaml': lines(
        'stages:',
        '  h:',
        '    foreach: ${sweep.heads}',
        '    do: {cmd: "run ${item}"}',
        '  m:',
        '    foreach: ${sweep.models}',
        '    do: {cmd: "run ${key} ${item.dim}"}',
      ),
    };
    expect(summary(files)).toEqual([
      ['h@2', 'run 2'],
      ['h@4', 'run 4'],
      ['m@a', 'run a 1'],
    ]);
  });

  test('foreach problems', () => {
    const text = rendered({
      'params.yaml': 'n: 3\n',
      'pipeline.yaml': lines('stages:', '  a:', '    foreach: ${n}', '    do: {cmd: x}', '  b:', '    foreach: [1]', '    cmd: x'),
    });
    expect(text).toBe(
      lines(
        'pipeline.yaml:3:14: error: stages.a.foreach: expected a list or a mapping, got a number',
        '   3 |     foreach: ${n}',
        '     |              ~~~~',
        '',
        'pipeline.yaml:5:3: error: stages.b: missing required key "do"',
        '   5 |   b:',
        '     |   ~',
        '',
        'pipeline.yaml:7:5: error: unknown key "cmd" in stage "b"',
        '   7 |     cmd: x',
        '     |     ~~~',
      ),
    );
  });
});

describe('matrix', () => {
  test('cartesian product in axis order, names from values', () => {
    const files = {
      'params.yaml': 'bit_widths: [2, 4]\n',
      'pipeline.yaml': lines(
        'stages:',
        '  synth:',
        '    matrix:',
        '      heads: [1, 2]',
        '      bits: ${bit_widths}',
        '    cmd: synth --heads ${item.heads} --bits ${item.bits}',
        '    outs: ["build/h${item.heads}_b${item.bits}"]',
      ),
    };
    const pipeline = resolveOk(files);
    expect(pipeline.stages.map((s) => [s.name, s.cmd[0], s.outs[0]?.path])).toEqual([
      ['synth@1-2', 'synth --heads 1 --bits 2', 'build/h1_b2'],
      ['synth@1-4', 'synth --heads 1 --bits 4', 'build/h1_b4'],
      ['synth@2-2', 'synth --heads 2 --bits 2', 'build/h2_b2'],
      ['synth@2-4', 'synth --heads 2 --bits 4', 'build/h2_b4'],
    ]);
  });

  test('non-scalar axis values are named <axis><index> and keep their type', () => {
    const files = {
      'pipeline.yaml': lines('stages:', '  s:', '    matrix:', '      cfg: [{a: 1}, {a: 2}]', '      mode: [fast]', '    cmd: run ${item.cfg} ${item.mode}'),
    };
    expect(summary(files)).toEqual([
      ['s@cfg0-fast', 'run --a 1 fast'],
      ['s@cfg1-fast', 'run --a 2 fast'],
    ]);
  });

  // follows dvc tests/func/parsing/test_matrix.py::test_matrix_key_present (DVC's MatrixDefinition sets `key`)
  test('${key} in a matrix is the generated name suffix; axes must be non-empty lists', () => {
    expect(summary({ 'pipeline.yaml': lines('stages:', '  s:', '    matrix: {a: [1, 2], b: [x]}', '    cmd: echo ${key}') })).toEqual([
      ['s@1-x', 'echo 1-x'],
      ['s@2-x', 'echo 2-x'],
    ]);
    const matrixErrors = (matrix: string) =>
      resolveErr({ 'params.yaml': 'x: 1\n', 'pipeline.yaml': lines('stages:', '  s:', `    matrix: ${matrix}`, '    cmd: echo') }).map((d) => d.message);
    expect(matrixErrors('{a: []}')).toEqual(['stages.s.matrix.a: expected at least one value, got an empty list']);
    expect(matrixErrors('{a: [1], b: "${x}"}')).toEqual(['stages.s.matrix.b: expected a non-empty list, got a number']);
  });

  test('foreach and matrix together are rejected', () => {
    expect(
      resolveErr({ 'pipeline.yaml': lines('stages:', '  s:', '    matrix: {a: [1]}', '    foreach: [1]', '    do: {cmd: x}') }).map((d) => d.message),
    ).toEqual(['stage "s" uses both foreach and matrix; pick one']);
  });
});
