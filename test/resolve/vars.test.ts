import { describe, expect, test } from 'vitest';
import { lines, rendered, resolveErr, resolveOk, stageNamed } from '../config/fixtures.js';

const cmdOf = (files: Record<string, string>, name = 's') => stageNamed(resolveOk(files), name).cmd;

describe('vars and the templating context', () => {
  test('params.yaml is loaded implicitly', () => {
    expect(cmdOf({ 'params.yaml': 'lr: 0.5\n', 'pipeline.yaml': lines('stages:', '  s:', '    cmd: run ${lr}') })).toEqual(['run 0.5']);
  });

  test('YAML and JSON vars files, inline dicts, in order', () => {
    const cmd = cmdOf({
      'params.yaml': 'a: 1\n',
      'configs/extra.yaml': 'b: {c: two}\n',
      'data.json': '{"d": [5, 6]}',
      'pipeline.yaml': lines(
        'vars: [params.yaml, configs/extra.yaml, data.json, {e: inline}]',
        'stages:',
        '  s:',
        '    cmd: echo ${a} ${b.c} ${d[1]} ${e}',
      ),
    });
    expect(cmd).toEqual(['echo 1 two 6 inline']);
  });

  test('file:k1,k2 selects top-level keys only', () => {
    const files = {
      'other.yaml': 'x: 1\ny: 2\nz: 3\n',
      'pipeline.yaml': lines('vars: ["other.yaml:x,y"]', 'stages:', '  s:', '    cmd: echo ${x} ${y} ${z}'),
    };
    expect(resolveErr(files).map((d) => d.message)).toEqual(['undefined variable "z"']);
    expect(cmdOf({ ...files, 'pipeline.yaml': lines('vars: ["other.yaml:x,y"]', 'stages:', '  s:', '    cmd: echo ${x} ${y}') })).toEqual(['echo 1 2']);
  });

  test('a selected key that is missing, and a missing vars file, point at the vars entry', () => {
    const text = rendered({
      'other.yaml': 'seed: 1\n',
      'pipeline.yaml': lines('vars:', '  - other.yaml:sed', '  - nope.yaml', 'stages: {}'),
    });
    expect(text).toBe(
      lines(
        'pipeline.yaml:2:5: error: "sed" not found in other.yaml (did you mean "seed"?)',
        '   2 |   - other.yaml:sed',
        '     |     ~~~~~~~~~~~~~~',
        '',
        'pipeline.yaml:3:5: error: nope.yaml: file not found',
        '   3 |   - nope.yaml',
        '     |     ~~~~~~~~~',
      ),
    );
  });

  test('nested mappings from different sources merge; redefining a value is an error pointing at both', () => {
    expect(
      cmdOf({
        'params.yaml': 'model: {heads: 2}\n',
        'pipeline.yaml': lines('vars: [{model: {dim: 8}}]', 'stages:', '  s:', '    cmd: echo ${model.heads} ${model.dim}'),
      }),
    ).toEqual(['echo 2 8']);

    const text = rendered({
      'params.yaml': 'model:\n  heads: 2\n',
      'extra.yaml': 'model: {heads: 4}\n',
      'pipeline.yaml': lines('vars: [extra.yaml]', 'stages: {}'),
    });
    expect(text).toBe(
      lines(
        'extra.yaml:1:9: error: variable "model.heads" from extra.yaml is already defined in params.yaml',
        '   1 | model: {heads: 4}',
        '     |         ~~~~~',
        '  params.yaml:2:3: note: "model.heads" first defined here',
        '   2 |   heads: 2',
        '     |   ~~~~~',
      ),
    );
  });

  test('listing params.yaml again is not a redefinition; a broken params.yaml is reported', () => {
    expect(cmdOf({ 'params.yaml': 'a: 1\n', 'pipeline.yaml': lines('vars: [params.yaml]', 'stages:', '  s: {cmd: "${a}"}') })).toEqual(['1']);
    expect(resolveErr({ 'params.yaml': 'a: [1\n', 'pipeline.yaml': 'stages: {}\n' })[0]?.span?.file).toBe('params.yaml');
    expect(resolveErr({ 'params.yaml': '- 1\n', 'pipeline.yaml': 'stages: {}\n' })[0]?.message).toBe(
      'params.yaml: expected a mapping of variables at the top level',
    );
  });
});
