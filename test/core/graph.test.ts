import { describe, expect, it } from 'vitest';
import { renderDag } from '../../src/graph/render.js';
import { selectStages } from '../../src/graph/select.js';
import { buildGraph, type StageGraph } from '../../src/graph/stage-graph.js';
import { stage } from './fixtures.js';

function graphOf(...stages: Parameters<typeof buildGraph>[0]): StageGraph {
  const g = buildGraph(stages);
  if (!g.ok) throw new Error(g.error.map((d) => d.message).join('\n'));
  return g.value;
}

describe('buildGraph', () => {
  it('connects a dep to the out that equals it, contains it, or lies inside it', () => {
    const g = graphOf(
      stage('gen', { outs: ['build/data'] }),
      stage('exact', { deps: ['build/data'], outs: ['a'] }),
      stage('inside', { deps: ['build/data/part.csv'], outs: ['b'] }),
      stage('around', { deps: ['build'], outs: ['c'] }),
      stage('sibling', { deps: ['build/database'], outs: ['d'] }),
    );
    for (const s of ['exact', 'inside', 'around']) expect(g.upstream.get(s)!.map((e) => e.from)).toEqual(['gen']);
    expect(g.upstream.get('sibling')).toEqual([]);
  });

  it('orders stages topologically, ties broken by name, independent of declaration order', () => {
    const stages = [
      stage('c', { deps: ['b.out'], outs: ['c.out'] }),
      stage('b', { deps: ['a.out'], outs: ['b.out'] }),
      stage('z', { outs: ['z.out'] }),
      stage('a', { outs: ['a.out'] }),
    ];
    expect(graphOf(...stages).order).toEqual(['a', 'z', 'b', 'c']);
    expect(graphOf(...[...stages].reverse()).order).toEqual(['a', 'z', 'b', 'c']);
  });

  it('reports the whole cycle with every edge', () => {
    const g = buildGraph([
      stage('a', { deps: ['c.out'], outs: ['a.out'] }),
      stage('b', { deps: ['a.out'], outs: ['b.out'] }),
      stage('c', { deps: ['b.out'], outs: ['c.out'] }),
    ]);
    expect(g.ok).toBe(false);
    if (g.ok) return;
    expect(g.error).toHaveLength(1);
    expect(g.error[0]!.code).toBe('cycle');
    expect(g.error[0]!.message).toMatch(/^dependency cycle: (\w) -> (\w) -> (\w) -> \1$/);
    expect(g.error[0]!.related).toHaveLength(3);
  });

  it('rejects overlapping outs within and across stages, and self-dependencies', () => {
    const across = buildGraph([stage('a', { outs: ['build'] }), stage('b', { outs: ['build/x'] })]);
    expect(!across.ok && across.error.map((d) => d.code)).toEqual(['overlapping-outs']);
    const within = buildGraph([stage('a', { outs: ['out', 'out'] })]);
    expect(!within.ok && within.error.map((d) => d.code)).toEqual(['overlapping-outs']);
    const self = buildGraph([stage('a', { deps: ['out/x'], outs: ['out'] })]);
    expect(!self.ok && self.error.map((d) => d.code)).toEqual(['self-dependency']);
  });
});

describe('selectStages', () => {
  const g = graphOf(
    stage('a', { outs: ['a.out'] }),
    stage('b', { deps: ['a.out'], outs: ['b.out'] }),
    stage('c', { deps: ['b.out'], outs: ['c.out'] }),
    stage('other', { outs: ['o.out'] }),
    stage('sweep@1', { deps: ['a.out'], outs: ['s1'] }),
    stage('sweep@2', { deps: ['a.out'], outs: ['s2'] }),
  );
  const sel = (targets: string[], opts = {}) => {
    const r = selectStages(g, targets, opts);
    return r.ok ? r.value : r.error.map((d) => d.code);
  };

  it('selects targets with upstream, only targets (-s), or targets with downstream', () => {
    expect(sel(['c'])).toEqual(['a', 'b', 'c']);
    expect(sel(['c'], { single: true })).toEqual(['c']);
    expect(sel(['a'], { downstream: true })).toEqual(['a', 'b', 'sweep@1', 'sweep@2', 'c']);
    expect(sel([])).toEqual(g.order);
  });

  it('expands a foreach/matrix group name and rejects unknown targets', () => {
    expect(sel(['sweep'], { single: true })).toEqual(['sweep@1', 'sweep@2']);
    expect(sel(['nope'])).toEqual(['unknown-target']);
  });

  it('does not walk upstream through a frozen stage', () => {
    const frozen = graphOf(
      stage('a', { outs: ['a.out'] }),
      stage('b', { deps: ['a.out'], outs: ['b.out'], frozen: true }),
      stage('c', { deps: ['b.out'], outs: ['c.out'] }),
    );
    const r = selectStages(frozen, ['c']);
    expect(r.ok && r.value).toEqual(['b', 'c']);
  });
});

describe('renderDag', () => {
  const g = graphOf(stage('a', { outs: ['a.out'] }), stage('b', { deps: ['a.out'], outs: ['b.out'] }));
  it('renders text, dot, mermaid and json', () => {
    expect(renderDag(g, g.order, 'text')).toBe('a\nb  <- a');
    expect(renderDag(g, g.order, 'dot')).toContain('"a" -> "b";');
    expect(renderDag(g, g.order, 'mermaid')).toContain('s0 --> s1');
    expect(JSON.parse(renderDag(g, g.order, 'json'))).toEqual({ stages: ['a', 'b'], edges: [{ from: 'a', to: 'b' }] });
  });
});
