import { describe, expect, test } from 'vitest';
import { closestMatch, editDistance } from '../../src/config/did-you-mean.js';

describe('did-you-mean', () => {
  test('edit distance counts transpositions as one edit', () => {
    expect(editDistance('dpes', 'deps')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });

  test('suggests only close matches', () => {
    expect(closestMatch('dpes', ['cmd', 'deps', 'desc'])).toBe('deps');
    expect(closestMatch('always_chnged', ['always_changed', 'frozen'])).toBe('always_changed');
    expect(closestMatch('zzzz', ['deps', 'outs'])).toBeUndefined();
    expect(closestMatch('b', ['a'])).toBeUndefined();
    expect(closestMatch('A', ['a'])).toBe('a');
  });
});
