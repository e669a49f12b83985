/** Terminal pictures: `dag` as a drawn tree of collapsed groups, and the percent change of `metrics diff`. */
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, cleanupProjects, createProject } from '../integration/harness.js';
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

afterEach(cleanupProjects);

describe('dag on a terminal', () => {
  it('draws the collapsed tree in a pseudo-terminal (util-linux script) and keeps the plain list when piped', async () => {
    const p = createProject({
      'pipeline.yaml': ['stages:', '  prep: {cmd: "true", outs: [p.txt]}', '  build:', '    foreach: [1, 2, 3]', '    do: {cmd: "true", deps: [p.txt], outs: ["o${item}.txt"]}', '  sum: {cmd: "true", deps: [o1.txt, o2.txt]}', ''].join('\n'),
    });
    const tty = execFileSync('script', ['-qfec', `node ${CLI} -C ${p.dir} dag`, '/dev/null'], { encoding: 'utf8' }).replace(/\r/g, '');
    expect(tty.trim().split('\n')).toEqual(['prep', '└─▶ build ×3', '    └─▶ sum']);
    const piped = await p.runOk(['dag']);
    expect(piped.stdout).toContain('build@1  <- prep');
  });
});
