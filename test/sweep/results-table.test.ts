import { describe, expect, it } from 'vitest';
import { chooseColumns, filterRows, findColumn, findPick, parseWhere, pivot, resultTable, sortRows, toTable, type Column, type Condition, type ResultTable } from '../../src/sweep/results.js';
import type { SweepRecord, VariantRecord } from '../../src/sweep/state.js';
import { renderCsv, renderMarkdown } from '../../src/sweep/table.js';

const variant = (heads: number, dim: number, seq: number, lut: number | undefined, extra: Partial<VariantRecord> = {}): VariantRecord => ({
  id: `num_heads=${heads},head_dim=${dim},seq_len=${seq}`,
  params: { 'model.num_heads': heads, 'model.head_dim': dim, 'model.seq_len': seq },
  derived: { 'model.emb_dim': heads * dim },
  grids: seq === 512 ? ['heads'] : ['seq_len'],
  status: 'succeeded',
  stageSeconds: { hls: 1.25, bitstream: 2.5 },
  ...(lut !== undefined ? { metrics: { 'post_synth.LUT': lut, 'breakdown.MVAU.LUT': lut / 2, board: 'RFSoC2x2' } } : {}),
  ...extra,
});

const record: SweepRecord = {
  version: 1,
  name: 'scaling',
  origin: 'pipeline',
  argv: [],
  sweptKeys: ['model.num_heads', 'model.head_dim', 'model.seq_len'],
  derivedKeys: ['model.emb_dim'],
  updated: '2026-12-03T00:00:00Z',
  columns: [{ alias: 'LUT', column: 'post_synth.LUT' }],
  variants: [
    variant(1, 16, 512, 300),
    variant(2, 16, 512, 500),
    variant(1, 32, 512, 400),
    variant(2, 32, 512, undefined, { status: 'failed', stageSeconds: { hls: 3 }, error: { stage: 'bitstream', message: 'exited with code 1', exitCode: 1, lastLine: 'ERROR: out of LUTs' } }),
    variant(1, 32, 256, 350),
  ],
};

const conditions = (t: ResultTable, text: string): Condition[] => {
  const parsed = parseWhere(t, text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
};

const col = (t: ResultTable, name: string): Column => {
  const c = findColumn(t, name);
  if (!c.ok) throw new Error(c.error);
  return c.value;
};

describe('the results table is data', () => {
  const table = resultTable(record, {}, () => false);

  it('has typed cells, numeric column metadata, aliases, durations in seconds and the failure reason', () => {
    expect(table.columns.map((c) => c.label)).toEqual(['variant', 'grids', 'model.num_heads', 'model.head_dim', 'model.seq_len', 'model.emb_dim', 'status', 'duration', 'time.hls', 'time.bitstream', 'LUT', 'breakdown.MVAU.LUT', 'board', 'error']);
    expect(col(table, 'LUT')).toMatchObject({ key: 'post_synth.LUT', label: 'LUT', kind: 'metric', numeric: true });
    expect(col(table, 'post_synth.LUT').label).toBe('LUT');
    expect(col(table, 'duration')).toMatchObject({ numeric: true, unit: 's' });
    expect(col(table, 'board').numeric).toBe(false);
    expect(table.rows[0]!.values).toMatchObject({ duration: 3.75, 'time.hls': 1.25, 'post_synth.LUT': 300 });
    expect(Object.hasOwn(table.rows[0]!.values, 'LUT')).toBe(false);
    expect(table.rows[3]!.values.error).toBe('bitstream: exit 1: ERROR: out of LUTs');
    // The default view leaves out per-stage times; --only time picks them by prefix.
    expect(chooseColumns(table, undefined, { hideVariant: true }).map((c) => c.label)).not.toContain('time.hls');
    const time = findPick(table, 'time');
    expect(time.ok && chooseColumns(table, [time.value], { hideVariant: true }).map((c) => c.label)).toEqual(['time.hls', 'time.bitstream']);
  });

  it('finds columns by key, alias or a unique last segment, and suggests on a typo', () => {
    expect(col(table, 'seq_len').key).toBe('model.seq_len');
    const typo = findColumn(table, 'model.seqlen');
    expect(!typo.ok && typo.error).toContain('did you mean "model.seq_len"?');
  });

  it('filters with several conditions, sorts by several keys with missing values last, and pivots', () => {
    const where = parseWhere(table, 'seq_len=512, LUT>=300');
    if (!where.ok) throw new Error(where.error);
    const filtered = filterRows(table, where.value);
    expect(filtered.rows.map((r) => r.variant)).toEqual(['num_heads=1,head_dim=16,seq_len=512', 'num_heads=2,head_dim=16,seq_len=512', 'num_heads=1,head_dim=32,seq_len=512']);
    const sorted = sortRows(filterRows(table, conditions(table, 'seq_len=512')), [
      { column: col(table, 'head_dim'), descending: true },
      { column: col(table, 'LUT'), descending: true },
    ]);
    // head_dim 32 first; within it the row without LUT last even though descending.
    expect(sorted.rows.map((r) => [r.values['model.head_dim'], r.values['post_synth.LUT'] ?? null])).toEqual([
      [32, 400],
      [32, null],
      [16, 500],
      [16, 300],
    ]);
    const heads = filterRows(table, conditions(table, 'seq_len=512'));
    const p = pivot(heads, col(table, 'num_heads'), col(table, 'head_dim'), col(table, 'LUT'));
    if (!p.ok) throw new Error(p.error);
    expect(p.value.rows).toEqual([
      [1, 300, 400],
      [2, 500, null],
    ]);
    expect(renderMarkdown({ columns: p.value.columns.map((c) => c.label), rows: p.value.rows })).toBe(
      ['| model.num_heads \\ model.head_dim | model.head_dim=16 | model.head_dim=32 |', '| ---: | ---: | ---: |', '| 1 | 300 | 400 |', '| 2 | 500 | - |'].join('\n'),
    );
    const clash = pivot(table, col(table, 'num_heads'), col(table, 'head_dim'), col(table, 'LUT'));
    expect(!clash.ok && clash.error).toContain('narrow the rows with --where or --grid');
  });

  it('puts the baseline (main workspace) first, keeps it through filters, and writes numbers as numbers', () => {
    const withBase = resultTable(record, { baseline: { params: { 'model.num_heads': 4, 'model.head_dim': 16, 'model.seq_len': 64 }, metrics: { 'post_synth.LUT': 999 } } }, () => false);
    expect(withBase.rows[0]!.values).toMatchObject({ variant: 'baseline', status: 'baseline', 'model.num_heads': 4, 'post_synth.LUT': 999 });
    const where = parseWhere(withBase, 'seq_len=256');
    const filtered = filterRows(withBase, where.ok ? where.value : []);
    expect(filtered.rows.map((r) => r.variant)).toEqual(['baseline', 'num_heads=1,head_dim=32,seq_len=256']);
    const csv = renderCsv(toTable(filtered, [col(withBase, 'num_heads'), col(withBase, 'LUT'), col(withBase, 'duration')])).split('\n');
    expect(csv).toEqual(['model.num_heads,LUT,duration', '4,999,', '1,350,3.75']);
  });
});
