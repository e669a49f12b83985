import { describe, expect, test } from 'vitest';
import { interpolateString, interpolateTree } from '../../src/resolve/interpolate.js';
import { unpackArgs } from '../../src/resolve/cmd-unpack.js';
import { shellQuote } from '../../src/util/shell-quote.js';

const scope = {
  model: { heads: 4, dim: 64.5, name: 'tiny', layers: [1, 2], tags: { a: 1 } },
  flag: true,
  off: false,
  nothing: null,
  opts: { lr: 0.001, verbose: true, quiet: false, skip: null, name: "it's big", dims: [2, 4], nested: { depth: 3, on: true } },
  files: ['a.txt', 'b c.txt'],
};

function render(input: string, mode: 'plain' | 'cmd' = 'plain'): unknown {
  const result = interpolateString(input, scope, mode);
  if (!result.ok) throw new Error(result.error.map((e) => e.message).join('; '));
  return result.value;
}

describe('interpolateString', () => {
  test('a whole ${} keeps the value type', () => {
    expect(render('${model.heads}')).toBe(4);
    expect(render('${flag}')).toBe(true);
    expect(render('${model.layers}')).toEqual([1, 2]);
    expect(render('${model.tags}')).toEqual({ a: 1 });
    expect(render('${nothing}')).toBe(null);
    expect(render('${model.heads * 2}')).toBe(8);
  });

  test('inside a larger string values are stringified', () => {
    expect(render('h${model.heads}_d${model.dim}')).toBe('h4_d64.5');
    expect(render('${flag}-${off}')).toBe('true-false');
    expect(render('x ${model.layers[1]}')).toBe('x 2');
    expect(render(' ${model.heads}')).toBe(' 4');
    expect(render('n${model.heads // 3 + 1}')).toBe('n2');
  });

  test('\\${ is a literal ${', () => {
    expect(render('echo \\${HOME} ${model.name}')).toBe('echo ${HOME} tiny');
    expect(render('\\${model.heads}')).toBe('${model.heads}');
    expect(render('no templates')).toBe('no templates');
  });

  test('dicts and lists cannot be embedded outside cmd; null neither', () => {
    const result = interpolateString('a ${model.tags} ${files} ${nothing}', scope, 'plain');
    expect(!result.ok && result.error.map((e) => [e.code, e.message, e.offset, e.length])).toEqual([
      ['invalid-interpolation', '"${model.tags}" is a mapping and cannot be embedded in a string', 2, 13],
      ['invalid-interpolation', '"${files}" is a list and cannot be embedded in a string', 16, 8],
      ['invalid-interpolation', '"${nothing}" is null and cannot be embedded in a string', 25, 10],
    ]);
  });

  test('cmd: dicts unpack to shell-quoted --k v arguments', () => {
    expect(render('python train.py ${opts}', 'cmd')).toBe(
      "python train.py --lr 0.001 --verbose --name 'it'\\''s big' --dims 2 4 --nested.depth 3 --nested.on",
    );
    expect(render('${model.tags}', 'cmd')).toBe('--a 1');
  });

  test('cmd: lists join shell-quoted, scalars stay verbatim, whole values become strings', () => {
    expect(render('cat ${files}', 'cmd')).toBe("cat a.txt 'b c.txt'");
    expect(render('${model.heads}', 'cmd')).toBe('4');
    expect(render('echo ${model.name} ${flag}', 'cmd')).toBe('echo tiny true');
  });
});

describe('cmd helpers', () => {
  test('shellQuote quotes only when needed', () => {
    expect(shellQuote('plain-word_1.0/x=y:z,@%+')).toBe('plain-word_1.0/x=y:z,@%+');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote('$HOME')).toBe("'$HOME'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
  });

  test('unpackArgs rejects nested lists', () => {
    expect(unpackArgs({ a: [[1]] })).toEqual({ ok: false, error: '"a" contains an item that is a list' });
    expect(unpackArgs({ e: [], n: null, f: false })).toEqual({ ok: true, value: [] });
  });
});

describe('interpolateTree', () => {
  test('renders every string, picks cmd mode by path, reports issues with paths', () => {
    const result = interpolateTree(
      { cmd: ['run ${opts.nested}', 'x'], deps: ['${files}', 'd/${model.name}', '${missing}'], n: 3 },
      scope,
      (path) => (path[0] === 'cmd' ? 'cmd' : 'plain'),
    );
    expect(result.value).toEqual({ cmd: ['run --depth 3 --on', 'x'], deps: [['a.txt', 'b c.txt'], 'd/tiny', '${missing}'], n: 3 });
    expect(result.issues).toEqual([
      { code: 'undefined-variable', message: 'undefined variable "missing"', path: ['deps', 2], offset: 0, length: 10 },
    ]);
  });
});
