/** DVC's diff document (dvc/utils/diff.py), after DVC's tests of `metrics diff`/`params diff`. */
import { describe, expect, test } from 'vitest';
import { dvcDiff, pyRepr, renderDiffMarkdown } from '../../src/report/dvc-diff.js';

const sides = (old: Record<string, unknown>, now: Record<string, unknown>) => [new Map(Object.entries(old)), new Map(Object.entries(now))] as const;
const metrics = (v: number) => ({ a: { b: { c: v, d: 1, e: String(v) } } });

describe('dvcDiff', () => {
  // follows dvc tests/func/metrics/test_diff.py::test_metrics_diff_json
  test('numbers get diff, strings do not, unchanged keys are left out', () => {
    expect(dvcDiff(...sides({ 'm.json': metrics(1) }, { 'm.json': metrics(3) }), false)).toEqual({
      'm.json': { 'a.b.c': { old: 1, new: 3, diff: 2 }, 'a.b.e': { old: '1', new: '3' } },
    });
  });

  // follows dvc tests/func/metrics/test_diff.py::test_metrics_diff_json_unchanged
  test('nothing changed is {}', () => {
    expect(dvcDiff(...sides({ 'm.json': metrics(1) }, { 'm.json': metrics(1) }), false)).toEqual({});
  });

  // follows dvc tests/func/metrics/test_diff.py::test_metrics_diff_with_unchanged
  test('with all, unchanged numbers carry diff 0', () => {
    expect(dvcDiff(...sides({ 'metrics.yaml': { foo: 1, xyz: 10 } }, { 'metrics.yaml': { foo: 3, xyz: 10 } }), true)).toEqual({
      'metrics.yaml': { foo: { old: 1, new: 3, diff: 2 }, xyz: { old: 10, new: 10, diff: 0 } },
    });
  });

  // follows dvc tests/func/metrics/test_diff.py::test_metrics_diff_deleted_metric and ::test_metrics_diff_broken_json
  test('a file missing (or unreadable) on the new side diffs against null', () => {
    expect(dvcDiff(...sides({ 'm.json': { a: { b: { c: 1, d: 1, e: '3' } } } }, {}), false)).toEqual({
      'm.json': { 'a.b.c': { old: 1, new: null }, 'a.b.d': { old: 1, new: null }, 'a.b.e': { old: '3', new: null } },
    });
  });

  // follows dvc tests/func/params/test_diff.py::test_diff_list (str(list) on both sides)
  test('lists are compared as their Python text; a one-number file diffs under ""', () => {
    expect(dvcDiff(...sides({ 'p.yaml': { foo: ['bar', "it's"] } }, { 'p.yaml': { foo: ['bar', 1.5, true, null] } }), false)).toEqual({
      'p.yaml': { foo: { old: `['bar', "it's"]`, new: "['bar', 1.5, True, None]" } },
    });
    expect(dvcDiff(...sides({ 'm.yaml': 1 }, { 'm.yaml': 3 }), false)).toEqual({ 'm.yaml': { '': { old: 1, new: 3, diff: 2 } } });
    expect(pyRepr({ a: [1, { b: 'x' }] })).toBe("{'a': [1, {'b': 'x'}]}");
  });

  // follows dvc tests/unit/test_compare.py::test_diff_markdown (params: no Change column)
  test('the params table has no Change column and rounds nothing', () => {
    const diff = dvcDiff(...sides({ 'params.yaml': { lr: 0.123456789 } }, { 'params.yaml': { lr: 0.2 } }), false);
    expect(renderDiffMarkdown(diff, { title: 'Param', oldLabel: 'HEAD', newLabel: 'workspace', changes: false })).toBe(
      ['| Path        | Param   | HEAD        | workspace   |', '|-------------|---------|-------------|-------------|', '| params.yaml | lr      | 0.123456789 | 0.2         |', '', ''].join('\n'),
    );
  });
});
