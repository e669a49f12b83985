import { describe, expect, test } from 'vitest';
import { fsProjectFiles, memoryProjectFiles } from '../../src/config/project-files.js';

describe('project files', () => {
  test('memory files normalize paths and refuse to leave the root', () => {
    const files = memoryProjectFiles({ 'a/b.yaml': 'x', 'c.yaml': 'y' });
    expect(files.readText('a/./b.yaml')).toBe('x');
    expect(files.readText('a/../c.yaml')).toBe('y');
    expect(files.readText('missing.yaml')).toBeUndefined();
    expect(files.readText('../c.yaml')).toBeUndefined();
    expect(files.readText('/c.yaml')).toBeUndefined();
  });

  test('fs files reject paths escaping the root before reading anything', () => {
    const files = fsProjectFiles('/nonexistent-root-for-test');
    expect(files.readText('../etc/passwd')).toBeUndefined();
    expect(files.readText('/etc/passwd')).toBeUndefined();
    expect(files.readText('pipeline.yaml')).toBeUndefined();
  });
});
