import { describe, expect, it } from 'vitest';
import { buildGraph } from '../../src/graph/stage-graph.js';
import { sameSchedule, stagesWithChangedInputs, watchedPaths } from '../../src/watch/watch-plan.js';
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

  it('a changed path concerns the stages reading it (also inside a dir dep), not their downstream', () => {
    const before = { graph: g.value, selected: all };
    expect([...stagesWithChangedInputs(before, before, ['src/train.py'])]).toEqual(['train']);
    expect([...stagesWithChangedInputs(before, before, ['data/raw/part-1.csv'])]).toEqual(['gen']);
    expect([...stagesWithChangedInputs(before, before, ['README.md'])]).toEqual([]);
  });

  it('a re-resolved pipeline concerns the stages whose definition changed, not their source positions or desc', () => {
    const graphOf = (stages: ReturnType<typeof stage>[]) => {
      const built = buildGraph(stages);
      if (!built.ok) throw new Error('graph');
      return { graph: built.value, selected: built.value.order };
    };
    const param = (value: unknown, line: number) => ({ file: 'params.yaml', key: 'lr', value, span: { file: 'params.yaml', line, col: 1, endLine: line, endCol: 5 } });
    const before = graphOf([stage('a', { params: [param(1, 1)] }), stage('b', { deps: ['x'] })]);
    const moved = graphOf([stage('a', { params: [param(1, 7)], desc: 'now described' }), stage('b', { deps: ['x'] })]);
    const edited = graphOf([stage('a', { params: [param(2, 1)] }), stage('b', { deps: ['x'] })]);
    expect([...stagesWithChangedInputs(before, moved, [])]).toEqual([]);
    expect([...stagesWithChangedInputs(before, edited, ['params.yaml'])]).toEqual(['a']);
    expect(sameSchedule(before, edited)).toBe(true);
    const rewired = graphOf([stage('a', { params: [param(2, 1)], outs: ['x'] }), stage('b', { deps: ['x'] })]);
    expect(sameSchedule(before, rewired)).toBe(false);
    // A stage that is gone counts as changed.
    expect([...stagesWithChangedInputs(before, graphOf([stage('b', { deps: ['x'] })]), [])]).toEqual(['a']);
  });
});
