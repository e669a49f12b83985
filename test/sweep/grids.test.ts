import { describe, expect, it } from 'vitest';
import { memoryProjectFiles } from '../../src/config/project-files.js';
import { DataFiles } from '../../src/resolve/params-files.js';
import { parseAxisExpression, parseAxisValues } from '../../src/sweep/axis.js';
import { declaredSweeps, expandSweep } from '../../src/sweep/spec.js';
import { renderDiagnostic } from '../../src/ui/diagnostics.js';

const PARAMS = 'model: {num_heads: 4, emb_dim: 64, seq_len: 64, bits: 2}\n';

function expand(sweeps: string[]) {
  const files = memoryProjectFiles({ 'pipeline.yaml': ['stages: {}', 'sweeps:', ...sweeps].join('\n') + '\n', 'params.yaml': PARAMS });
  const declared = declaredSweeps(files);
  if (!declared.ok) return { ok: false as const, text: declared.error.map((d) => renderDiagnostic(d, files)).join('\n'), error: declared.error };
  const r = expandSweep([...declared.value.specs.values()][0]!, new DataFiles(files));
  if (!r.ok) return { ok: false as const, text: r.error.map((d) => renderDiagnostic(d, files)).join('\n'), error: r.error };
  return { ok: true as const, value: r.value };
}

describe('axis expressions are parsed strictly', () => {
  it('rejects malformed calls and unbalanced text with the position of the fault', () => {
    expect(parseAxisExpression('range(1,5')).toEqual({ ok: false, error: { message: '"range(1,5": missing ")"', offset: 9, length: 1 } });
    expect(parseAxisValues('rnage(1, 5)')).toEqual({ ok: false, error: '"rnage(1, 5)": unknown function rnage() (use range(start, stop, step) or choice(a, b, c))' });
    expect(parseAxisValues('range(1, x)')).toEqual({ ok: false, error: '"range(1, x)": argument 2 of range ("x") is not a number' });
    expect(parseAxisValues('range(1, 2, 3, 4)')).toEqual({ ok: false, error: '"range(1, 2, 3, 4)": range takes 1 to 3 numbers (start, stop, step), got 4' });
    expect(parseAxisValues('range(1, 5) x')).toEqual({ ok: false, error: '"range(1, 5) x": unexpected text after ")"' });
    expect(parseAxisValues('a,"b,c')).toEqual({ ok: false, error: '"a,"b,c": unclosed "' });
    expect(parseAxisValues('range(32, 513, 32)')).toMatchObject({ ok: true, value: expect.arrayContaining([32, 512]) });
  });
});

describe('a sweep is a union of grids', () => {
  const study = [
    '  scaling:',
    '    derived: {model.emb_dim: "${model.num_heads * head_dim}"}',
    '    grids:',
    '      heads:',
    '        axes: {model.num_heads: "range(1, 4)", +head_dim: [8, 32]}',
    '        fixed: {model.seq_len: 512, model.bits: 2}',
    '      seq_len:',
    '        axes: {model.seq_len: "range(256, 513, 256)"}',
    '        fixed: {model.num_heads: 1, +head_dim: 32, model.bits: 2}',
    '      bits:',
    '        axes: {model.bits: [2, 4]}',
    '        fixed: {model.bits: 2, model.seq_len: 512, model.num_heads: 1, +head_dim: 32}',
  ];

  it('runs a configuration that two grids contain once, identified by its values whatever the key order', () => {
    const fixedOnce = study.map((l) => l.replace('model.bits: 2, model.seq_len', 'model.seq_len'));
    const r = expand(fixedOnce);
    if (!r.ok) throw new Error(r.text);
    // heads: 3 x 2 = 6; seq_len: 256, 512 (512 is heads' num_heads=1,head_dim=32); bits: 2 (shared), 4.
    expect(r.value).toHaveLength(6 + 1 + 1);
    const shared = r.value.find((v) => v.id === 'num_heads=1,head_dim=32,seq_len=512,bits=2')!;
    expect(shared.grids).toEqual(['heads', 'seq_len', 'bits']);
    expect(shared.derived.map((d) => [d.key.key, d.value])).toEqual([['model.emb_dim', 32]]);
    expect(r.value.find((v) => v.id === 'num_heads=1,head_dim=32,seq_len=256,bits=2')!.grids).toEqual(['seq_len']);
  });

  it('takes range() and choice() inside variants, and dedups variants written in another key order', () => {
    const r = expand([
      '  s:',
      '    axes: {model.bits: [2]}',
      '    variants:',
      '      - {model.seq_len: "range(32, 97, 32)", model.bits: 2}',
      '      - {model.bits: "choice(2, 4)", model.seq_len: 64}',
    ]);
    if (!r.ok) throw new Error(r.text);
    // main grid: bits=2 with the file's seq_len (64); variants: seq 32/64/96 at bits 2; 2/4 at seq 64.
    expect(r.value.map((v) => v.id)).toEqual(['bits=2,seq_len=64', 'bits=2,seq_len=32', 'bits=2,seq_len=96', 'bits=4,seq_len=64']);
    expect(r.value[0]!.grids).toEqual(['main', 'variants']);
  });

  it('points at a malformed axis, a bad range() and an ambiguous grid', () => {
    const malformed = expand(['  s:', '    grids:', '      g:', '        axes: {model.bits: "range(1,5"}']);
    expect(malformed.ok).toBe(false);
    expect(malformed.text).toContain('pipeline.yaml:6:38: error: sweep "s", grid g, axis model.bits: "range(1,5": missing ")"');
    const badRange = expand(['  s:', '    variants:', '      - {model.bits: "range(2, x)"}']);
    expect(badRange.text).toContain('pipeline.yaml:5:29: error: sweep "s", variants[0] model.bits: "range(2, x)": argument 2 of range ("x") is not a number');
    const typo = expand(['  s:', '    variants:', '      - {model.bits: "rnage(2, 4)"}']);
    expect(typo.text).toContain('unknown function rnage()');
    const ambiguous = expand(study.map((l) => l.replace(', +head_dim: 32', '').replace('model.bits: 2, model.seq_len', 'model.seq_len')));
    expect(ambiguous.ok).toBe(false);
    expect(ambiguous.text).toContain('pipeline.yaml:9:7: error: sweep "scaling": grid seq_len does not set head_dim, which grid heads sets and params.yaml does not have: its variants would have no value for it (set it under fixed:)');
    expect(ambiguous.text).toContain('pipeline.yaml:12:7: error: sweep "scaling": grid bits does not set head_dim');
    const twice = expand(study);
    expect(twice.text).toContain('sweep "scaling", grid bits: model.bits is set twice');
  });

  it('fills a key a grid does not set from the params file (not ambiguous)', () => {
    const r = expand(['  s:', '    grids:', '      a: {axes: {model.bits: [2, 4]}}', '      b: {axes: {model.seq_len: [64, 128]}}']);
    if (!r.ok) throw new Error(r.text);
    expect(r.value.map((v) => v.id)).toEqual(['bits=2,seq_len=64', 'bits=4,seq_len=64', 'bits=2,seq_len=128']);
    expect(r.value[0]!.grids).toEqual(['a', 'b']);
  });
});
