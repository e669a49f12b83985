import { describe, expect, test } from 'vitest';
import { loadPipeline } from '../../src/config/load.js';
import { memoryProjectFiles } from '../../src/config/project-files.js';

// Odd inputs must come back as diagnostics (or a pipeline), never as an exception.
const inputs: [string, string, string | null][] = [
  ['empty file', '', null],
  ['null document', '~', null],
  ['stages: null', 'stages: null', 'stages: expected a mapping of stage names to stages, got nothing'],
  ['vars not a list', 'vars: 5\nstages: {}', 'vars: expected a list of files or mappings, got a number'],
  ['null dep', 'stages: {s: {cmd: x, deps: [null]}}', 'stages.s.deps[0]: expected a path, got nothing'],
  ['foreach over undefined', 'stages: {s: {foreach: "${nope}", do: {cmd: x}}}', 'undefined variable "nope"'],
  ['matrix not a mapping', 'stages: {s: {matrix: 3, cmd: x}}', 'stages.s.matrix: expected a mapping of axis names to lists of values, got a number'],
  ['bad defaults', 'defaults: {container: 5}\nstages: {}', 'defaults.container: expected a container mapping, got a number'],
  ['empty out entry', 'stages: {s: {cmd: x, outs: [{}]}}', 'stages.s.outs[0]: exactly one path per entry'],
  ['two paths in one out entry', 'stages: {s: {cmd: x, outs: [{a: {}, b: {}}]}}', 'stages.s.outs[0]: exactly one path per entry'],
  ['numeric stage name', 'stages: {1: {cmd: x}}', null],
  ['empty cmd list', 'stages: {s: {cmd: []}}', 'stages.s.cmd: expected at least one command, got an empty list'],
  ['multiple documents', 'stages: {}\n---\nstages: {}', 'Source contains multiple documents; please use YAML.parseAllDocuments()'],
  ['alias to nowhere', 'stages: {s: *nope}', 'Unresolved alias (the anchor must be set before the alias): nope'],
];

describe('robustness', () => {
  test.each(inputs)('%s', (_name, text, firstMessage) => {
    const result = loadPipeline(memoryProjectFiles({ 'pipeline.yaml': text }));
    if (firstMessage === null) expect(result.ok).toBe(true);
    else expect(!result.ok && result.error[0]?.message).toBe(firstMessage);
  });
});
