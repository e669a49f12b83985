import { describe, expect, test } from 'vitest';
import { memoryProjectFiles } from '../../src/config/project-files.js';
import { renderDiagnostic } from '../../src/ui/diagnostics.js';
import type { SourceSpan } from '../../src/model/diagnostic.js';

const files = memoryProjectFiles({
  'pipeline.yaml': ['stages:', '  train:', '    cmd: python train.py', '    dpes: [a]', ...Array(7).fill('#'), '    last: x'].join('\n'),
  'params.yaml': 'lr: 0.1\n',
});
const span = (line: number, col: number, endLine: number, endCol: number, file = 'pipeline.yaml'): SourceSpan => ({ file, line, col, endLine, endCol });

describe('renderDiagnostic', () => {
  test('header, source line and underline from col to endCol', () => {
    const text = renderDiagnostic({ code: 'unknown-key', message: 'unknown key "dpes"', span: span(4, 5, 4, 9) }, files);
    expect(text).toBe(['pipeline.yaml:4:5: error: unknown key "dpes"', '   4 |     dpes: [a]', '     |     ~~~~'].join('\n'));
  });

  test('gutter grows with the line number', () => {
    const text = renderDiagnostic({ code: 'invalid-value', message: 'bad', span: span(12, 5, 12, 9) }, files);
    expect(text).toBe(['pipeline.yaml:12:5: error: bad', '   12 |     last: x', '      |     ~~~~'].join('\n'));
  });

  test('empty and multi-line spans', () => {
    const empty = renderDiagnostic({ code: 'invalid-value', message: 'x', span: span(3, 5, 3, 5) }, files);
    expect(empty.split('\n')[2]).toBe('     |     ~');
    const multi = renderDiagnostic({ code: 'invalid-value', message: 'x', span: span(3, 10, 4, 3) }, files);
    expect(multi.split('\n')[2]).toBe('     |          ~~~~~~~~~~~~~~~');
  });

  test('related notes with their source lines, then the hint', () => {
    const text = renderDiagnostic(
      {
        code: 'invalid-value',
        message: 'variable "lr" is defined twice',
        span: span(4, 5, 4, 9),
        related: [{ message: 'first defined here', span: span(1, 1, 1, 3, 'params.yaml') }, { message: 'no place' }],
        hint: 'rename one of them',
      },
      files,
    );
    expect(text).toBe(
      [
        'pipeline.yaml:4:5: error: variable "lr" is defined twice',
        '   4 |     dpes: [a]',
        '     |     ~~~~',
        '  params.yaml:1:1: note: first defined here',
        '   1 | lr: 0.1',
        '     | ~~',
        '  note: no place',
        '  hint: rename one of them',
      ].join('\n'),
    );
  });

  test('without a span, or with a file the project cannot read', () => {
    expect(renderDiagnostic({ code: 'file-missing', message: 'pipeline.yaml: file not found' }, files)).toBe(
      'error: pipeline.yaml: file not found',
    );
    expect(renderDiagnostic({ code: 'file-missing', message: 'gone', span: span(1, 1, 1, 2, 'gone.yaml') }, files)).toBe(
      'gone.yaml:1:1: error: gone',
    );
  });
});
