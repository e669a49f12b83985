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

/** The quadratic definition, kept as the oracle for the indexed implementation. */
function naiveGraph(stages: Parameters<typeof buildGraph>[0]): { overlapping: string[]; self: string[]; edges: string[] } {
  const under = (a: string, b: string) => b === '.' || a === b || a.startsWith(`${b}/`);
  const overlaps = (a: string, b: string) => under(a, b) || under(b, a);
  const outs = stages.flatMap((s) => s.outs.map((o) => ({ s, o })));
  const overlapping: string[] = [];
  for (let i = 0; i < outs.length; i++) for (let j = i + 1; j < outs.length; j++) if (overlaps(outs[i]!.o.path, outs[j]!.o.path)) overlapping.push(`${outs[j]!.o.path} overlaps ${outs[i]!.o.path}`);
  const self: string[] = [];
  const edges: string[] = [];
  for (const s of stages) {
    for (const d of s.deps) {
      for (const { s: owner, o } of outs) {
        if (!overlaps(d.path, o.path)) continue;
        if (owner === s) self.push(`${s.name}:${o.path}`);
        else edges.push(`${owner.name}->${s.name} ${d.path}~${o.path}`);
      }
    }
  }
  return { overlapping, self, edges };
}

describe('buildGraph agrees with the quadratic definition', () => {
  it('on random nested paths (overlaps, self-dependencies, edges, in the same order)', () => {
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const parts = ['a', 'b', 'ab', 'a-b', 'a.b'];
    const randomPath = () => Array.from({ length: 1 + rand(3) }, () => parts[rand(parts.length)]).join('/');
    for (let round = 0; round < 300; round++) {
      const stages = Array.from({ length: 1 + rand(6) }, (_, k) =>
        stage(`s${k}`, { deps: Array.from({ length: rand(3) }, randomPath), outs: [...new Set(Array.from({ length: rand(3) }, randomPath))] }),
      );
      const oracle = naiveGraph(stages);
      const g = buildGraph(stages);
      if (oracle.overlapping.length + oracle.self.length > 0) {
        expect(g.ok).toBe(false);
        if (!g.ok) {
          const messages = g.error.map((d) => d.message);
          expect(messages.filter((m) => m.includes('overlaps')).map((m) => m.replace(/^output "(.*)" overlaps output "(.*)" \(.*$/, '$1 overlaps $2'))).toEqual(oracle.overlapping);
          expect(messages.filter((m) => m.includes('its own output')).map((m) => m.replace(/^stage "(.*)" depends on its own output "(.*)"$/, '$1:$2'))).toEqual(oracle.self);
        }
        continue;
      }
      if (!g.ok) {
        // Only a cycle can fail a graph without overlaps or self-dependencies.
        expect(g.error.map((d) => d.code)).toEqual(['cycle']);
        continue;
      }
      const edges = [...g.value.downstream.values()].flat().map((e) => `${e.from}->${e.to} ${e.depPath}~${e.outPath}`);
      expect(edges.sort()).toEqual([...oracle.edges].sort());
    }
  });
});
