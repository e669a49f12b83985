/** Terminal pictures: `dag` as a drawn tree of collapsed groups, and the percent change of `metrics diff`. */
import { describe, expect, it } from 'vitest';
import { asciiDag } from '../../src/graph/ascii.js';
import { percentChange } from '../../src/cli/commands/metrics.js';

describe('asciiDag', () => {
  it('hangs each node under its first parent, names the other parents, and draws a group as one line', () => {
    const text = asciiDag({
      nodes: [
        { id: 'prep', members: ['prep'], group: false },
        { id: 'bad', members: ['bad'], group: false },
        { id: 'build', members: ['build@1', 'build@2', 'build@3'], group: true },
        { id: 'summary', members: ['summary'], group: false },
        { id: 'lonely', members: ['lonely'], group: false },
      ],
      edges: [
        { from: 'prep', to: 'bad' },
        { from: 'prep', to: 'build' },
        { from: 'build', to: 'summary' },
        { from: 'bad', to: 'summary' },
      ],
    });
    expect(text).toBe(['prep', '├─▶ bad', '│   └─▶ summary  (also after: build ×3)', '└─▶ build ×3', 'lonely'].join('\n'));
  });
});

describe('percentChange', () => {
  it('is signed, scaled to its size, and empty where it has no meaning', () => {
    expect(percentChange(0.5, 0.75)).toBe('+50.0%');
    expect(percentChange(1000, 990)).toBe('-1.00%');
    expect(percentChange(10, 40)).toBe('+300%');
    expect(percentChange(-2, -1)).toBe('+50.0%');
    expect(percentChange(0, 1)).toBe('');
    expect(percentChange('a', 1)).toBe('');
  });
});
