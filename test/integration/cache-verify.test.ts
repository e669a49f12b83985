import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { allOutput, cleanupProjects, createProject, tick, yamlLines, type Project } from './harness.js';

afterEach(cleanupProjects);

/** gen writes a file and a directory (with an empty subdirectory and an executable); use needs both. */
const project = () =>
  createProject({
    'pipeline.yaml': yamlLines(
      'stages:',
      '  gen:',
      `    cmd: ${tick('gen')} && cp in.txt file.txt && mkdir -p tree/x/report && cp in.txt tree/data.txt && printf '#!/bin/sh\\necho hi\\n' > tree/run.sh && chmod +x tree/run.sh`,
      '    deps: [in.txt]',
      '    outs: [file.txt, tree]',
      '  use:',
      `    cmd: ${tick('use')} && ls tree/x/report > used.txt && tree/run.sh >> used.txt && cat file.txt >> used.txt`,
      '    deps: [file.txt, tree/x/report, tree/run.sh]',
      '    outs: [used.txt]',
    ),
    'in.txt': 'input bytes, long enough to truncate\n',
  });

function objectOf(p: Project, stage: string, out: string): string {
  const hash = p.lock().stages[stage]?.outs?.find((o) => o.path === out)?.hash;
  if (!hash) throw new Error(`no locked hash for ${out}`);
  return p.abs(`.orchestrator/cache/objects/${hash.slice(0, 2)}/${hash.slice(2)}`);
}

function overwrite(obj: string, bytes: string | Buffer): void {
  chmodSync(obj, 0o644);
  writeFileSync(obj, bytes);
}

const damages: Record<string, (obj: string) => void> = {
  'a flipped byte': (obj) => {
    const b = readFileSync(obj);
    b[3] = (b[3] as number) ^ 0x20;
    overwrite(obj, b);
  },
  truncation: (obj) => overwrite(obj, readFileSync(obj).subarray(0, 5)),
  'the bytes of another object': (obj) => overwrite(obj, 'other bytes\n'),
  'a directory in its place': (obj) => {
    rmSync(obj, { force: true });
    mkdirSync(obj);
  },
};

const quarantine = (p: Project): string[] => {
  const dir = p.abs('.orchestrator/cache/quarantine');
  return existsSync(dir) ? readdirSync(dir) : [];
};

describe('restores refuse bad cache objects', () => {
  for (const [what, harm] of Object.entries(damages)) {
    it(`checkout of an object damaged by ${what} fails clearly and leaves the workspace alone`, async () => {
      const p = project();
      await p.runOk(['repro']);
      const obj = objectOf(p, 'gen', 'file.txt');
      harm(obj);
      p.write('file.txt', 'my own edit\n');

      const r = await p.runOk(['checkout', '--force', 'gen'], 1);
      const text = allOutput(r);
      expect(text).not.toMatch(/internal error/);
      expect(text).toMatch(/corrupt/);
      expect(text).toContain(path.basename(path.dirname(obj)) + path.basename(obj));
      expect(text).toContain('file.txt');
      expect(p.read('file.txt')).toBe('my own edit\n');
      expect(p.listFiles('.').filter((f) => f.includes('orchestrator-tmp'))).toEqual([]);
      expect(quarantine(p)).toHaveLength(1);

      // Never handed out again: the object is gone from the cache, not restored on a second try.
      const again = await p.runOk(['checkout', '--force', 'gen'], 1);
      expect(allOutput(again)).not.toMatch(/internal error/);
      expect(p.read('file.txt')).toBe('my own edit\n');
    });

    it(`repro of a missing output whose object has ${what} reruns the stage and ends with a good object`, async () => {
      const p = project();
      await p.runOk(['repro']);
      const obj = objectOf(p, 'gen', 'file.txt');
      harm(obj);
      p.remove('file.txt');

      const r = await p.runOk(['repro']);
      expect(allOutput(r)).toMatch(/corrupt/);
      expect(p.counts('gen', 'use')).toEqual({ gen: 2, use: 1 });
      expect(p.read('file.txt')).toBe('input bytes, long enough to truncate\n');
      expect(statSync(obj).isFile()).toBe(true);
      expect(readFileSync(obj, 'utf8')).toBe('input bytes, long enough to truncate\n');
      expect((await p.runOk(['status'])).stdout).toMatch(/Everything is up to date/);
      await p.runOk(['cache', 'verify']);
    });
  }

  it('a run-cache restore of a corrupt object runs the stage instead', async () => {
    const p = project();
    await p.runOk(['repro']);
    const objA = objectOf(p, 'gen', 'file.txt');
    p.write('in.txt', 'second input\n');
    await p.runOk(['repro']);
    damages['a flipped byte']!(objA);
    p.write('in.txt', 'input bytes, long enough to truncate\n');

    const r = await p.runOk(['repro']);
    expect(allOutput(r)).toMatch(/corrupt/);
    expect(p.counts('gen')).toEqual({ gen: 3 });
    expect(p.read('file.txt')).toBe('input bytes, long enough to truncate\n');
    expect(readFileSync(objA, 'utf8')).toBe('input bytes, long enough to truncate\n');
    expect((await p.runOk(['status'])).stdout).toMatch(/Everything is up to date/);
  });

  it('a corrupt file inside a directory output is refused; the stage reruns and status is right', async () => {
    const p = project();
    await p.runOk(['repro']);
    const data = p.lock().stages.gen?.outs?.find((o) => o.path === 'tree');
    expect(data).toBeDefined();
    const obj = objectOf(p, 'gen', 'file.txt'); // tree/data.txt has the same bytes
    damages['a flipped byte']!(obj);
    p.remove('tree');
    p.remove('file.txt');
    await p.runOk(['repro']);
    expect(p.counts('gen')).toEqual({ gen: 2 });
    expect(p.read('tree/data.txt')).toBe('input bytes, long enough to truncate\n');
    expect((await p.runOk(['status'])).stdout).toMatch(/Everything is up to date/);
  });

  it('repro -f replaces an existing object that has a flipped byte (same size)', async () => {
    const p = project();
    await p.runOk(['repro']);
    const obj = objectOf(p, 'gen', 'file.txt');
    const good = readFileSync(obj);
    damages['a flipped byte']!(obj);
    expect(statSync(obj).size).toBe(good.length);
    await p.runOk(['repro', '-f', 'gen']);
    expect(readFileSync(obj).equals(good)).toBe(true);
    p.remove('file.txt');
    await p.runOk(['checkout']);
    expect(p.read('file.txt')).toBe(good.toString('utf8'));
  });
});

describe('orchestrator cache verify', () => {
  it('finds and quarantines bad objects, exit 1; a clean cache exits 0', async () => {
    const p = project();
    await p.runOk(['repro']);
    const clean = await p.runOk(['cache', 'verify', '--json']);
    const before = JSON.parse(clean.stdout) as { ok: boolean; checked: number };
    expect(before.ok).toBe(true);
    expect(before.checked).toBeGreaterThan(3);

    const obj = objectOf(p, 'gen', 'file.txt');
    const hash = path.basename(path.dirname(obj)) + path.basename(obj);
    damages.truncation!(obj);
    const r = await p.runOk(['cache', 'verify', '--json'], 1);
    const doc = JSON.parse(r.stdout) as { ok: boolean; bad: Array<{ hash: string; problem: string }>; incomplete: Array<{ missing: string[] }> };
    expect(doc.ok).toBe(false);
    expect(doc.bad.map((b) => b.hash)).toEqual([hash]);
    // tree/data.txt has the same bytes: the tree's manifest now lists a missing object.
    expect(doc.incomplete.map((m) => m.missing)).toEqual([[hash]]);
    expect(existsSync(obj)).toBe(false);
    expect(quarantine(p)).toHaveLength(1);

    const text = await p.runOk(['cache', 'verify'], 1);
    expect(text.stdout).toMatch(/incomplete: .* lists 1 missing object/);
    expect(text.stdout).not.toMatch(/corrupt: /);
  });
});

describe('directory outputs come back exactly', () => {
  it('restores empty subdirectories and the executable bit, so downstream stages still find them', async () => {
    const p = project();
    await p.runOk(['repro']);
    p.remove('tree');
    const r = await p.runOk(['repro']);
    expect(allOutput(r)).not.toMatch(/missing dependency/);
    expect(statSync(p.abs('tree/x/report')).isDirectory()).toBe(true);
    expect(statSync(p.abs('tree/run.sh')).mode & 0o100).toBe(0o100);
    expect(p.counts('gen', 'use')).toEqual({ gen: 1, use: 1 });
    expect((await p.runOk(['status'])).stdout).toMatch(/Everything is up to date/);
  });
});
