import { describe, expect, it } from 'vitest';
import { buildGraph } from '../../src/graph/stage-graph.js';
import { affectedStages, watchedPaths } from '../../src/watch/watch-plan.js';
import { stage } from './fixtures.js';

const g = buildGraph([
  stage('gen', { deps: ['src/gen.py', 'data/raw'], outs: ['build/a'] }),
  stage('train', { deps: ['build/a', 'src/train.py'], outs: ['build/model'] }),
  stage('eval', { deps: ['build/model'], outs: ['build/eval.json'] }),
  stage('other', { deps: ['src/other.py'], outs: ['build/o'] }),
]);
if (!g.ok) throw new Error('graph');
const all = g.value.order;

describe('watch plan', () => {
  it('watches config files and external deps, never outputs', () => {
    expect(watchedPaths(g.value, all, ['params.yaml', 'pipeline.yaml'])).toEqual([
      'data/raw',
      'params.yaml',
      'pipeline.yaml',
      'src/gen.py',
      'src/other.py',
      'src/train.py',
    ]);
    expect(watchedPaths(g.value, ['other'], ['pipeline.yaml'])).toEqual(['pipeline.yaml', 'src/other.py']);
  });

  it('a change affects the stages reading it and everything downstream, including files inside a dir dep', () => {
    expect([...affectedStages(g.value, all, ['src/train.py'])].sort()).toEqual(['eval', 'train']);
    expect([...affectedStages(g.value, all, ['data/raw/part-1.csv'])].sort()).toEqual(['eval', 'gen', 'train']);
    expect([...affectedStages(g.value, all, ['README.md'])]).toEqual([]);
  });
});
