import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RemoteError } from '../../src/cache/remote/backend.js';
import { checkRunEntry, objectKey, runKey, withRetry } from '../../src/cache/remote/transfer.js';
import { parseIni, serializeIni, setOption, unsetOption, removeSection, iniSections } from '../../src/config/ini.js';

describe('withRetry', () => {
  it('retries transient errors until the call succeeds', async () => {
    let calls = 0;
    const got = await withRetry(async () => {
      if (++calls < 3) throw new RemoteError('transient', 'connection reset');
      return 'ok';
    }, new AbortController().signal);
    expect([got, calls]).toEqual(['ok', 3]);
  });

  it('fails at once on a permanent error, and after the last try on a transient one', async () => {
    let calls = 0;
    await expect(withRetry(async () => (calls++, Promise.reject(new RemoteError('auth', 'permission denied'))), new AbortController().signal)).rejects.toThrow('permission denied');
    expect(calls).toBe(1);
    calls = 0;
    await expect(withRetry(async () => (calls++, Promise.reject(new RemoteError('transient', 'timeout'))), new AbortController().signal, 2)).rejects.toThrow('timeout');
    expect(calls).toBe(2);
  });

  it('a local error (not a RemoteError) is never retried', async () => {
    let calls = 0;
    await expect(withRetry(async () => (calls++, Promise.reject(new Error('ENOSPC'))), new AbortController().signal)).rejects.toThrow('ENOSPC');
    expect(calls).toBe(1);
  });
});

describe('checkRunEntry', () => {
  const fingerprint = '{"v":1,"cmd":["x"]}';
  const key = createHash('sha256').update(fingerprint).digest('hex');
  const entry = (over: Record<string, unknown> = {}) => JSON.stringify({ key, stage: 's', fingerprint, outs: [{ path: 'o', hash: 'a'.repeat(64), size: 1 }], created: '2026-01-01T00:00:00Z', ...over });

  it('accepts an entry whose fingerprint hashes to its key', () => {
    expect(checkRunEntry(entry(), key)).toMatchObject({ key, stage: 's' });
  });

  it('refuses a changed fingerprint, a key other than its name, bad hashes and non-entries', () => {
    expect(checkRunEntry(entry({ fingerprint: `${fingerprint} ` }), key)).toMatch(/^its fingerprint hashes to /);
    expect(checkRunEntry(entry(), 'b'.repeat(64))).toBe(`it carries key ${key}`);
    expect(checkRunEntry(entry({ outs: [{ path: 'o', hash: '../../etc/passwd', size: 1 }] }), key)).toBe('it names a malformed hash for o');
    expect(checkRunEntry('{"key":1}', key)).toBe('not a run-cache entry (missing or mistyped fields)');
    expect(checkRunEntry('not json', key)).toMatch(/^not JSON/);
  });

  it('keys follow the local cache layout', () => {
    expect(objectKey(`ab${'c'.repeat(62)}.dir`)).toBe(`objects/ab/${'c'.repeat(62)}.dir`);
    expect(runKey(key)).toBe(`runs/${key.slice(0, 2)}/${key}.json`);
  });
});

describe('INI config documents', () => {
  it('edits keep comments and order, and write DVC\'s section spelling', () => {
    const parsed = parseIni(`# lab settings\n[core]\n    remote = a\n['remote "a"']\n    url = /x ; not a comment\n`);
    if (!parsed.ok) throw new Error('parse failed');
    let doc = setOption(parsed.doc, 'remote "a"', 'region', 'eu');
    doc = setOption(doc, 'remote "b"', 'url', 's3://b');
    doc = unsetOption(doc, 'core', 'remote');
    expect(serializeIni(doc)).toBe(`# lab settings\n[core]\n['remote "a"']\n    url = /x ; not a comment\n    region = eu\n['remote "b"']\n    url = s3://b\n`);
    expect(serializeIni(removeSection(doc, 'remote "a"'))).toBe(`# lab settings\n[core]\n['remote "b"']\n    url = s3://b\n`);
    expect([...iniSections(doc).get('remote "a"')!]).toEqual([
      ['url', '/x ; not a comment'],
      ['region', 'eu'],
    ]);
  });

  it('reports the line and column of what does not parse', () => {
    expect(parseIni('[core]\nremote\n')).toEqual({ ok: false, problem: { line: 2, column: 1, message: 'expected "key = value", a [section] header or a # comment' } });
    expect(parseIni('  url = x\n')).toEqual({ ok: false, problem: { line: 1, column: 3, message: 'option "url" outside any [section]' } });
  });
});
