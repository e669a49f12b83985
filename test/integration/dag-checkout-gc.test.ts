import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProjects, createProject, tick, yamlLines } from './harness.js';

afterEach(cleanupProjects);

/** prep -> train -> eval, plus an independent `docs` stage; train tracks a param. */
const files = (heads = 2) => ({
  'pipeline.yaml': yamlLines(
    'stages:',
    '  prep:',
    `    cmd: ${tick('prep')} && cp in.txt prep.txt`,
    '    deps: [in.txt]',
    '    outs: [prep.txt]',
    '  train:',
    `    cmd: ${tick('train')} && mkdir -p model && cat prep.txt > model/w.txt && echo "heads \${model.heads}" > model/cfg.txt`,
    '    deps: [prep.txt]',
    '    params: [model.heads]',
    '    outs: [model]',
    '  eval:',
    `    cmd: ${tick('eval')} && cat model/w.txt model/cfg.txt > eval.txt`,
    '    deps: [model]',
    '    outs: [eval.txt]',
    '  docs:',
    `    cmd: ${tick('docs')} && echo docs > docs.txt`,
    '    outs: [docs.txt]',
  ),
  'params.yaml': `model:\n  heads: ${heads}\n`,
  'in.txt': 'data\n',
});

interface StatusDoc {
  upToDate: boolean;
  stages: { stage: string; action: 'run' | 'restore' | 'skip'; reasons: { kind: string; [k: string]: unknown }[]; restoreFrom?: string }[];
}

describe('dag', () => {
  it('text shows each stage with its upstream', async () => {
    const p = createProject(files());
    const r = await p.runOk(['dag']);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toContain('docs');
    expect(lines).toContain('prep');
    expect(lines).toContain('train  <- prep');
    expect(lines).toContain('eval  <- train');
    expect(lines.indexOf('train  <- prep')).toBeGreaterThan(lines.indexOf('prep'));
    expect(lines.indexOf('eval  <- train')).toBeGreaterThan(lines.indexOf('train  <- prep'));
  });

  it('--dot is a Graphviz digraph with the edges', async () => {
    const p = createProject(files());
    const r = await p.runOk(['dag', '--dot']);
    expect(r.stdout.trim()).toMatch(/^digraph [^{]*\{[^]*\}$/);
    expect(r.stdout).toContain('"prep" -> "train";');
    expect(r.stdout).toContain('"train" -> "eval";');
    expect(r.stdout).toContain('"docs";');
    expect(r.stdout).not.toMatch(/"docs" ->|-> "docs"/);
  });

  it('--mermaid is a flowchart with the edges', async () => {
    const p = createProject(files());
    const r = await p.runOk(['dag', '--mermaid']);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^(flowchart|graph) (LR|TD|TB)$/);
    const ids = new Map<string, string>();
    for (const l of lines) {
      const m = /^\s*(\w+)\["([^"]+)"\]/.exec(l);
      if (m) ids.set(m[2]!, m[1]!);
    }
    expect([...ids.keys()].sort()).toEqual(['docs', 'eval', 'prep', 'train']);
    expect(lines.map((l) => l.trim())).toContain(`${ids.get('prep')} --> ${ids.get('train')}`);
    expect(lines.map((l) => l.trim())).toContain(`${ids.get('train')} --> ${ids.get('eval')}`);
    expect(lines.filter((l) => l.includes('-->'))).toHaveLength(2);
  });

  it('--json is one document with stages and edges', async () => {
    const p = createProject(files());
    const r = await p.runOk(['dag', '--json']);
    const doc = JSON.parse(r.stdout) as { stages: string[]; edges: { from: string; to: string }[] };
    expect([...doc.stages].sort()).toEqual(['docs', 'eval', 'prep', 'train']);
    expect(doc.stages.indexOf('prep')).toBeLessThan(doc.stages.indexOf('train'));
    expect(doc.stages.indexOf('train')).toBeLessThan(doc.stages.indexOf('eval'));
    expect(doc.edges).toEqual(expect.arrayContaining([{ from: 'prep', to: 'train' }, { from: 'train', to: 'eval' }]));
    expect(doc.edges).toHaveLength(2);
    expect(r.stderr).toBe('');
  });

  it('with a target shows only it and its upstream', async () => {
    const p = createProject(files());
    const doc = JSON.parse((await p.runOk(['dag', '--json', 'train'])).stdout) as { stages: string[] };
    expect(doc.stages).toEqual(['prep', 'train']);
  });

  it('writes nothing', async () => {
    const p = createProject(files());
    await p.runOk(['dag']);
    expect(p.exists('.orchestrator')).toBe(false);
    expect(p.exists('pipeline.lock')).toBe(false);
  });
});

describe('status --json', () => {
  it('is one JSON document with per-stage action and typed reasons', async () => {
    const p = createProject(files());
    const fresh = await p.runOk(['status', '--json']);
    expect(fresh.stderr).toBe('');
    const doc0 = JSON.parse(fresh.stdout) as StatusDoc;
    expect(doc0.upToDate).toBe(false);
    expect(doc0.stages.map((s) => s.stage).sort()).toEqual(['docs', 'eval', 'prep', 'train']);
    for (const s of doc0.stages) {
      expect(s.action).toBe('run');
      expect(s.reasons).toContainEqual({ kind: 'no-lock-entry' });
    }
    expect(p.counts('prep', 'train', 'eval', 'docs')).toEqual({ prep: 0, train: 0, eval: 0, docs: 0 });
    expect(p.exists('pipeline.lock')).toBe(false);

    await p.runOk(['repro']);
    const clean = JSON.parse((await p.runOk(['status', '--json'])).stdout) as StatusDoc;
    expect(clean.upToDate).toBe(true);
    expect(clean.stages.every((s) => s.action === 'skip' && s.reasons.length === 0)).toBe(true);

    p.write('in.txt', 'new data\n');
    p.remove('docs.txt');
    const doc = JSON.parse((await p.runOk(['status', '--json'])).stdout) as StatusDoc;
    const by = Object.fromEntries(doc.stages.map((s) => [s.stage, s]));
    expect(doc.upToDate).toBe(false);
    expect(by.prep).toMatchObject({ action: 'run', reasons: [{ kind: 'dep-modified', path: 'in.txt' }] });
    expect(by.train!.action).toBe('run');
    expect(by.train!.reasons).toContainEqual({ kind: 'upstream-changed', stage: 'prep' });
    expect(by.eval!.action).toBe('run');
    expect(by.eval!.reasons).toContainEqual({ kind: 'upstream-changed', stage: 'train' });
    expect(by.docs).toMatchObject({ action: 'restore', restoreFrom: 'lock', reasons: [{ kind: 'out-missing', path: 'docs.txt' }] });
  });

  it('reports cmd changes with old and new cmd', async () => {
    const p = createProject(files());
    await p.runOk(['repro']);
    p.write('pipeline.yaml', files()['pipeline.yaml'].replace('echo docs >', 'echo DOCS >'));
    const doc = JSON.parse((await p.runOk(['status', '--json'])).stdout) as StatusDoc;
    const docs = doc.stages.find((s) => s.stage === 'docs')!;
    expect(docs.action).toBe('run');
    expect(docs.reasons).toEqual([{ kind: 'cmd-changed', old: [`${tick('docs')} && echo docs > docs.txt`], new: [`${tick('docs')} && echo DOCS > docs.txt`] }]);
  });
});

describe('checkout', () => {
  it('restores deleted outputs (file and directory) without running anything', async () => {
    const p = createProject(files());
    await p.runOk(['repro']);
    const w = p.read('model/w.txt');
    p.remove('model');
    p.remove('eval.txt');
    const r = await p.runOk(['checkout']);
    expect(r.stdout).toMatch(/restored/);
    expect(p.read('model/w.txt')).toBe(w);
    expect(p.read('model/cfg.txt')).toBe('heads 2\n');
    expect(p.read('eval.txt')).toBe('data\nheads 2\n');
    expect(p.counts('prep', 'train', 'eval', 'docs')).toEqual({ prep: 1, train: 1, eval: 1, docs: 1 });
    const status = JSON.parse((await p.runOk(['status', '--json'])).stdout) as StatusDoc;
    expect(status.upToDate).toBe(true);
  });

  it('with a target only restores that stage', async () => {
    const p = createProject(files());
    await p.runOk(['repro']);
    p.remove('docs.txt');
    p.remove('eval.txt');
    await p.runOk(['checkout', 'docs']);
    expect(p.exists('docs.txt')).toBe(true);
    expect(p.exists('eval.txt')).toBe(false);
  });

  it('does not overwrite a modified output without --force; with --force it does', async () => {
    const p = createProject(files());
    await p.runOk(['repro']);
    p.write('eval.txt', 'my precious edits\n');
    p.remove('docs.txt');
    const r = await p.run(['checkout']);
    expect(p.read('eval.txt')).toBe('my precious edits\n');
    expect(r.stdout + r.stderr).toMatch(/eval\.txt[^\n]*modified[^\n]*--force/);
    // Other outputs are still restored.
    expect(p.read('docs.txt')).toBe('docs\n');

    await p.runOk(['checkout', '--force']);
    expect(p.read('eval.txt')).toBe('data\nheads 2\n');
    expect(p.counts('prep', 'train', 'eval', 'docs')).toEqual({ prep: 1, train: 1, eval: 1, docs: 1 });
  });

  it('--json prints one document describing each output', async () => {
    const p = createProject(files());
    await p.runOk(['repro']);
    p.remove('docs.txt');
    const r = await p.runOk(['checkout', '--json']);
    const doc = JSON.parse(r.stdout) as { items: { stage: string; path: string; result: string }[] };
    expect(doc.items).toContainEqual(expect.objectContaining({ stage: 'docs', path: 'docs.txt', result: 'restored' }));
    expect(doc.items).toContainEqual(expect.objectContaining({ stage: 'prep', path: 'prep.txt', result: 'unchanged' }));
  });
});

describe('gc', () => {
  it('--dry lists unreferenced objects and removes nothing; gc removes them and keeps what the lock needs', async () => {
    const p = createProject(files(2));
    await p.runOk(['repro']);
    p.write('params.yaml', 'model:\n  heads: 4\n');
    await p.runOk(['repro']);
    const objectsBefore = p.listFiles('.orchestrator/cache');

    // Nothing is unreferenced while the older run is kept in the run-cache.
    const keep = await p.runOk(['gc', '--dry']);
    expect(keep.stdout).toMatch(/Would remove 0 object/);
    // What it keeps, by path: the lock's directory output, and the older run kept from the run-cache.
    expect(keep.stdout).toMatch(/^ {2}model\/ +\d+(\.\d)? (B|KB)$/m);
    expect(keep.stdout).toMatch(/^Kept for older runs in the run-cache \(\d+, --keep-runs\): \d+ object\(s\)/m);

    const dry = await p.runOk(['gc', '--dry', '--keep-runs', '0']);
    // Listed by path and size, each with the start of its hash: `  model/cfg.txt  8 B  0123456789ab`.
    const dryLines = dry.stdout.split('\n');
    const listedLines = dryLines.slice(dryLines.indexOf('Would remove:') + 1).filter((l) => l.startsWith('  '));
    const listed = listedLines.map((l) => l.trim().split(/\s+/).pop()!);
    expect(listed.length).toBeGreaterThan(0);
    expect(listedLines).toContainEqual(expect.stringMatching(/^ {2}model\/cfg\.txt +\d+ B {2}[0-9a-f]{12}$/));
    expect(dry.stdout).toMatch(/Would remove [1-9]\d* object/);
    expect(p.listFiles('.orchestrator/cache')).toEqual(objectsBefore);

    const json = JSON.parse((await p.runOk(['gc', '--dry', '--keep-runs', '0', '--json'])).stdout) as { dry: boolean; removedObjects: string[] };
    expect(json.dry).toBe(true);
    expect(json.removedObjects.map((h) => h.slice(0, 12)).sort()).toEqual([...listed].sort());

    // Objects the lock references are not among them.
    const lock = p.lock();
    const locked = Object.values(lock.stages).flatMap((s) => (s.outs ?? []).map((o) => o.hash));
    for (const h of locked) expect(json.removedObjects).not.toContain(h);

    await p.runOk(['gc', '--keep-runs', '0']);
    const objectsAfter = p.listFiles('.orchestrator/cache');
    expect(objectsAfter.length).toBeLessThan(objectsBefore.length);
    const flat = objectsAfter.map((f) => f.replace(/\//g, ''));
    for (const h of json.removedObjects) expect(flat.some((f) => f.includes(h)), h).toBe(false);
    expect((await p.runOk(['gc', '--dry', '--keep-runs', '0'])).stdout).toMatch(/Would remove 0 object/);

    // A later checkout still works from what was kept.
    for (const out of ['prep.txt', 'model', 'eval.txt', 'docs.txt']) p.remove(out);
    await p.runOk(['checkout']);
    expect(p.read('eval.txt')).toBe('data\nheads 4\n');
    expect(p.read('model/cfg.txt')).toBe('heads 4\n');
    expect(p.counts('prep', 'train', 'eval', 'docs')).toEqual({ prep: 1, train: 2, eval: 2, docs: 1 });
    expect(existsSync(p.abs('prep.txt'))).toBe(true);

    // The dropped run is gone: going back to heads 2 has to run again.
    p.write('params.yaml', 'model:\n  heads: 2\n');
    await p.runOk(['repro']);
    expect(p.counts('prep', 'train', 'eval', 'docs')).toEqual({ prep: 1, train: 3, eval: 3, docs: 1 });
  });

  it('with the default --keep-runs keeps older runs, so reverting still restores from the run-cache', async () => {
    const p = createProject(files(2));
    await p.runOk(['repro']);
    p.write('params.yaml', 'model:\n  heads: 4\n');
    await p.runOk(['repro']);
    await p.runOk(['gc']);
    p.write('params.yaml', 'model:\n  heads: 2\n');
    await p.runOk(['repro']);
    expect(p.counts('train', 'eval')).toEqual({ train: 2, eval: 2 });
    expect(p.read('eval.txt')).toBe('data\nheads 2\n');
  });
});
