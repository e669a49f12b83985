import { describe, expect, it } from 'vitest';
import { memoryProjectFiles } from '../../src/config/project-files.js';
import { DataFiles } from '../../src/resolve/params-files.js';
import { parseAxisValues, parseParamKey } from '../../src/sweep/axis.js';
import { editParamsText } from '../../src/sweep/params-edit.js';
import { declaredSweeps, expandSweep } from '../../src/sweep/spec.js';

const key = (text: string) => {
  const k = parseParamKey(text);
  if (!k.ok) throw new Error(k.error);
  return k.value;
};

describe('axis values', () => {
  it('reads lists, range, choice and comma lists as DVC/Hydra do', () => {
    expect(parseAxisValues([1, 2])).toEqual({ ok: true, value: [1, 2] });
    expect(parseAxisValues('range(32, 513, 32)')).toMatchObject({ ok: true, value: expect.arrayContaining([32, 64, 512]) });
    expect((parseAxisValues('range(32,513,32)') as { value: number[] }).value).toHaveLength(16);
    expect(parseAxisValues('range(3)')).toEqual({ ok: true, value: [0, 1, 2] });
    expect(parseAxisValues('range(0, 0.35, 0.1)')).toEqual({ ok: true, value: [0, 0.1, 0.2, 0.3] });
    expect(parseAxisValues('range(8, 1, -3)')).toEqual({ ok: true, value: [8, 5, 2] });
    expect(parseAxisValues('choice(2, 4, "a,b")')).toEqual({ ok: true, value: [2, 4, 'a,b'] });
    expect(parseAxisValues('true,false,x')).toEqual({ ok: true, value: [true, false, 'x'] });
    expect(parseAxisValues('7')).toEqual({ ok: true, value: [7] });
    expect(parseAxisValues('range(1, 2, 0)')).toEqual({ ok: false, error: '"range(1, 2, 0)": step must not be 0' });
    expect(parseAxisValues('range(5, 1)')).toEqual({ ok: false, error: '"range(5, 1)" is empty' });
  });

  it('reads keys with an optional file and +', () => {
    expect(parseParamKey('+other.yaml:a.b')).toEqual({ ok: true, value: { file: 'other.yaml', key: 'a.b', add: true } });
    expect(parseParamKey('model.bits')).toEqual({ ok: true, value: { file: 'params.yaml', key: 'model.bits', add: false } });
    expect(parseParamKey('x.txt:a').ok).toBe(false);
  });
});

describe('params edit', () => {
  const text = '# top\nmodel:\n  heads: 2    # h\n  name: "tiny"\nlist: [1, 2]\n';
  it('changes only the characters of the values', () => {
    const out = editParamsText('params.yaml', text, [
      { key: key('model.heads'), value: 12 },
      { key: key('model.name'), value: 'big one' },
    ]);
    expect(out).toEqual({ ok: true, value: '# top\nmodel:\n  heads: 12    # h\n  name: big one\nlist: [1, 2]\n' });
  });
  it('adds keys only with +, and edits structure through the YAML document', () => {
    expect(editParamsText('params.yaml', text, [{ key: key('model.headz'), value: 1 }])).toEqual({ ok: false, error: 'param "model.headz" not found in params.yaml (did you mean "heads"?) (write +model.headz to add it)' });
    const added = editParamsText('params.yaml', text, [{ key: key('+extra.depth'), value: 3 }]);
    expect(added).toEqual({ ok: true, value: `${text}extra:\n  depth: 3\n` });
    const nested = editParamsText('params.yaml', text, [{ key: key('list'), value: [4, 5, 6] }, { key: key('+model.depth'), value: 2 }]);
    expect(nested.ok && nested.value).toContain('heads: 2 # h');
    expect(nested.ok && nested.value).toContain('depth: 2');
  });
  it('keeps JSON params files JSON', () => {
    expect(editParamsText('p.json', '{\n    "a": {"b": 1}\n}\n', [{ key: key('p.json:a.b'), value: 2 }])).toEqual({ ok: true, value: '{\n    "a": {\n        "b": 2\n    }\n}\n' });
  });
});

describe('expandSweep', () => {
  const files = (sweeps: string) =>
    memoryProjectFiles({
      'pipeline.yaml': `stages: {}\nsweeps:\n${sweeps}`,
      'params.yaml': 'model: {num_heads: 1, emb_dim: 8, mlp_dim: 32, bits: 4, acc: 8}\n',
    });
  const expand = (sweeps: string) => {
    const f = files(sweeps);
    const declared = declaredSweeps(f);
    if (!declared.ok) return declared;
    return expandSweep([...declared.value.specs.values()][0]!, new DataFiles(f));
  };

  it('zips axes, multiplies with free axes, appends explicit variants and derives in order', () => {
    const r = expand(
      [
        '  s:',
        '    axes: {model.num_heads: [1, 2]}',
        '    zip:',
        '      - {model.bits: [2, 8], model.acc: [16, 32]}',
        '    derived:',
        '      model.emb_dim: ${model.num_heads * 16}',
        '      model.mlp_dim: ${model.emb_dim * 4}',
        '    variants:',
        '      - {model.num_heads: 12, model.bits: 4, model.acc: 8}',
      ].join('\n'),
    );
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    expect(r.value.map((v) => v.id)).toEqual(['num_heads=1,bits=2,acc=16', 'num_heads=1,bits=8,acc=32', 'num_heads=2,bits=2,acc=16', 'num_heads=2,bits=8,acc=32', 'num_heads=12,bits=4,acc=8']);
    expect(r.value[4]!.derived.map((d) => [d.key.key, d.value])).toEqual([
      ['model.emb_dim', 192],
      ['model.mlp_dim', 768],
    ]);
  });

  it('reports zip length mismatches and bad derived expressions at their position', () => {
    const zip = expand(['  s:', '    zip:', '      - {model.bits: [2, 8], model.acc: [16]}'].join('\n'));
    expect(zip.ok).toBe(false);
    expect(!zip.ok && zip.error[0]).toMatchObject({ message: 'sweep "s", zip[0]: zipped axes need the same number of values (model.bits: 2, model.acc: 1)', span: { line: 5, col: 9 } });
    const derived = expand(['  s:', '    axes: {model.bits: [2]}', '    derived:', '      model.emb_dim: ${model.bitz * 2}'].join('\n'));
    expect(!derived.ok && derived.error[0]).toMatchObject({ code: 'undefined-variable', span: { line: 6, col: 22 } });
    expect(!derived.ok && derived.error[0]!.message).toContain('did you mean "model.bits"');
  });
});
