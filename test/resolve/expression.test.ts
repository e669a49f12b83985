import { describe, expect, test } from 'vitest';
import { evaluate, parseExpression } from '../../src/resolve/expression.js';

const scope = { a: { b: 3, list: [10, 20, 30], 'k-x': 1 }, n: 7, s: 'str', item: { heads: 2 } };

function run(src: string): unknown {
  const parsed = parseExpression(src);
  if (!parsed.ok) throw new Error(parsed.error.message);
  const value = evaluate(parsed.value, scope);
  if (!value.ok) throw new Error(value.error.message);
  return value.value;
}

function failure(src: string): [string, string] {
  const parsed = parseExpression(src);
  if (!parsed.ok) return [parsed.error.code, parsed.error.message];
  const value = evaluate(parsed.value, scope);
  if (value.ok) throw new Error(`expected ${src} to fail, got ${JSON.stringify(value.value)}`);
  return [value.error.code, value.error.message];
}

describe('expression language', () => {
  test('names, fields and indexes', () => {
    expect(run('n')).toBe(7);
    expect(run('a.b')).toBe(3);
    expect(run('a.list[1]')).toBe(20);
    expect(run('a["k-x"]')).toBe(1);
    expect(run("a['b']")).toBe(3);
    expect(run('a.list[n - 6]')).toBe(20);
    expect(run('item.heads')).toBe(2);
    expect(run('a')).toEqual(scope.a);
  });

  test('literals', () => {
    expect(run('1.5')).toBe(1.5);
    expect(run('"x y"')).toBe('x y');
    expect(run('true')).toBe(true);
    expect(run('null')).toBe(null);
  });

  test('arithmetic with precedence, parentheses and unary minus', () => {
    expect(run('1 + 2 * 3')).toBe(7);
    expect(run('(1 + 2) * 3')).toBe(9);
    expect(run('-n + 1')).toBe(-6);
    expect(run('2 - -1')).toBe(3);
    expect(run('7 / 2')).toBe(3.5);
    expect(run('7 // 2')).toBe(3);
    expect(run('-7 // 2')).toBe(-4);
    expect(run('-7 % 3')).toBe(2);
    expect(run('a.b * item.heads')).toBe(6);
    expect(run('s + "!"')).toBe('str!');
  });

  test('errors', () => {
    expect(failure('itme')).toEqual(['undefined-variable', 'undefined variable "itme" (did you mean "item"?)']);
    expect(failure('nn')).toEqual(['undefined-variable', 'undefined variable "nn"']);
    expect(failure('a.lsit')).toEqual(['undefined-variable', 'undefined variable "a.lsit" (did you mean "a.list"?)']);
    expect(failure('a.list[3]')).toEqual(['undefined-variable', '"a.list[3]" is out of range ("a.list" has 3 items)']);
    expect(failure('n.x')).toEqual(['invalid-interpolation', 'cannot look up "x" in "n": it is a number']);
    expect(failure('s * 2')).toEqual(['invalid-interpolation', '"s * 2": * needs numbers']);
    expect(failure('n / 0')).toEqual(['invalid-interpolation', '"n / 0": division by zero']);
    expect(failure('(n')).toEqual(['invalid-interpolation', 'missing ")" in "(n"']);
    expect(failure('n n')).toEqual(['invalid-interpolation', 'unexpected "n" in "n n"']);
    expect(failure('n ? 1')).toEqual(['invalid-interpolation', 'unexpected "?" in "n ? 1"']);
    expect(failure('')).toEqual(['invalid-interpolation', 'empty ${} expression']);
  });
});
