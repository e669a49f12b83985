/**
 * Remotes end to end, through the built CLI: push, fetch, pull, status --cloud, repro --pull/--push,
 * gc --cloud, interrupted transfers. Parametrised over remote URLs; the shared-folder remote comes
 * first. The S3 and SSH remotes (started by .ci/setup.sh) join this list where their backends live.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanupProjects, createProject, type Project, waitFor, yamlLines } from './harness.js';

afterEach(cleanupProjects);

const remoteDirs: string[] = [];
afterAll(() => {
  for (const d of remoteDirs) rmSync(d, { recursive: true, force: true });
});

interface RemoteKind {
  kind: string;
  /** A fresh, empty remote; returns its URL. */
  make: () => string;
  /** The folder holding the remote's keys, for tests that inspect or tamper with it directly. */
  folder: (url: string) => string;
}

const folderRemote: RemoteKind = {
  kind: 'shared folder',
  make: () => {
    const d = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'orchestrator-remote-')));
    remoteDirs.push(d);
    return path.join(d, 'store');
  },
  folder: (url) => url,
};

export const REMOTES: RemoteKind[] = [folderRemote];

const N_FILES = 30;
const pipeline = () =>
  yamlLines(
    'stages:',
    '  gen:',
    `    cmd: echo x >> .runs/gen && mkdir -p tree && for i in $(seq 1 ${N_FILES}); do echo "file $i $(cat in.txt)" > tree/f$i.txt; done && cp in.txt single.txt`,
    '    deps: [in.txt]',
    '    outs: [tree, single.txt]',
    '  use:',
    '    cmd: echo x >> .runs/use && cat single.txt tree/f1.txt > used.txt',
    '    deps: [single.txt, tree]',
    '    outs: [used.txt]',
  );

/** A fresh clone of `p`: what git would carry (pipeline, params, inputs, lock, the committed config). */
function cloneOf(p: Project, withLock = true): Project {
  const files: Record<string, string> = { 'pipeline.yaml': p.read('pipeline.yaml'), 'in.txt': p.read('in.txt'), '.orchestrator/config': p.read('.orchestrator/config') };
  if (withLock) files['pipeline.lock'] = p.read('pipeline.lock');
  return createProject(files);
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Every key under objects/ and runs/ of a folder remote, checked: objects hash to their names, entries to their keys. */
function remoteKeys(folder: string): { objects: string[]; runs: string[]; bad: string[] } {
  const objects: string[] = [];
  const runs: string[] = [];
  const bad: string[] = [];
  for (const top of ['objects', 'runs']) {
    const base = path.join(folder, top);
    if (!existsSync(base)) continue;
    for (const prefix of readdirSync(base)) {
      for (const name of readdirSync(path.join(base, prefix))) {
        const bytes = readFileSync(path.join(base, prefix, name));
        if (top === 'objects') {
          const hash = prefix + name;
          objects.push(hash);
          const got = hash.endsWith('.dir') ? `${sha256(bytes)}.dir` : sha256(bytes);
          if (got !== hash) bad.push(`objects/${prefix}/${name}`);
        } else {
          const key = name.replace(/\.json$/, '');
          runs.push(key);
          const entry = JSON.parse(bytes.toString('utf8')) as { key: string; fingerprint: string };
          if (entry.key !== key || sha256(Buffer.from(entry.fingerprint)) !== key) bad.push(`runs/${prefix}/${name}`);
        }
      }
    }
  }
  return { objects: objects.sort(), runs: runs.sort(), bad };
}

function localObjects(p: Project): string[] {
  const base = p.abs('.orchestrator/cache/objects');
  if (!existsSync(base)) return [];
  return readdirSync(base)
    .flatMap((prefix) => readdirSync(path.join(base, prefix)).map((n) => prefix + n))
    .sort();
}

async function builtAndPushed(remote: RemoteKind, extra: string[] = []): Promise<{ a: Project; url: string }> {
  const url = remote.make();
  const a = createProject({ 'pipeline.yaml': pipeline(), 'in.txt': 'v1\n' });
  await a.runOk(['remote', 'add', '--default', 'origin', url]);
  await a.runOk(['repro']);
  await a.runOk(['push', ...extra]);
  return { a, url };
}

for (const remote of REMOTES) {
  describe(`remote: ${remote.kind}`, () => {
    it('push from A, then repro --pull in a fresh clone B restores every stage without running any', async () => {
      const { a, url } = await builtAndPushed(remote);
      expect(remoteKeys(remote.folder(url)).bad).toEqual([]);
      const b = cloneOf(a);
      const r = await b.runOk(['repro', '--pull']);
      expect(r.lines.filter((l) => /^(gen|use): /.test(l))).toEqual(['gen: restored from the cache', 'use: restored from the cache']);
      expect(b.counts('gen', 'use')).toEqual({ gen: 0, use: 0 });
      expect(b.listFiles('tree')).toEqual(a.listFiles('tree'));
      expect(b.read('used.txt')).toBe(a.read('used.txt'));
      expect(b.lockText()).toBe(a.lockText());
      const st = JSON.parse((await b.runOk(['status', '--cloud', '--json'])).stdout) as { inSync: boolean };
      expect(st.inSync).toBe(true);
    });

    it('with --run-cache, a clone without pipeline.lock restores from the run-cache instead of running', async () => {
      const { a } = await builtAndPushed(remote, ['--run-cache']);
      const c = cloneOf(a, false);
      const r = await c.runOk(['repro', '--pull']);
      expect(r.lines.filter((l) => /^(gen|use): /.test(l))).toEqual(['gen: restored from the run-cache', 'use: restored from the run-cache']);
      expect(c.counts('gen', 'use')).toEqual({ gen: 0, use: 0 });
      expect(c.read('used.txt')).toBe(a.read('used.txt'));
    });

    it('repro --push pushes what it built; pull then restores it elsewhere', async () => {
      const url = remote.make();
      const a = createProject({ 'pipeline.yaml': pipeline(), 'in.txt': 'v1\n' });
      await a.runOk(['remote', 'add', '-d', 'origin', url]);
      const r = await a.runOk(['repro', '--push']);
      expect(r.stdout).toMatch(/Pushed \d+ object\(s\) to origin/);
      const b = cloneOf(a);
      await b.runOk(['pull']);
      expect(b.read('used.txt')).toBe(a.read('used.txt'));
      expect(b.counts('gen', 'use')).toEqual({ gen: 0, use: 0 });
    });

    it('status --cloud says what is missing where', async () => {
      const url = remote.make();
      const a = createProject({ 'pipeline.yaml': pipeline(), 'in.txt': 'v1\n' });
      await a.runOk(['remote', 'add', '-d', 'origin', url]);
      await a.runOk(['repro']);
      const before = JSON.parse((await a.runOk(['status', '--cloud', '--json'])).stdout) as { inSync: boolean; outs: { path: string; objects: number; missingOnRemote: number; missingLocally: number }[] };
      expect(before.inSync).toBe(false);
      expect(before.outs.find((o) => o.path === 'tree')).toMatchObject({ objects: N_FILES + 1, missingOnRemote: N_FILES + 1, missingLocally: 0 });
      await a.runOk(['push', 'gen']);
      const after = JSON.parse((await a.runOk(['status', '--cloud', '--json'])).stdout) as { outs: { path: string; missingOnRemote: number }[] };
      expect(after.outs.map((o) => [o.path, o.missingOnRemote])).toEqual([
        ['single.txt', 0],
        ['tree', 0],
        ['used.txt', 1],
      ]);
    });

    it('a tampered object on the remote is refused, reported by key, and never placed or restored', async () => {
      const { a, url } = await builtAndPushed(remote);
      const hash = a.lock().stages.gen!.outs!.find((o) => o.path === 'single.txt')!.hash;
      const key = `objects/${hash.slice(0, 2)}/${hash.slice(2)}`;
      const file = path.join(remote.folder(url), key);
      chmodSync(file, 0o644);
      writeFileSync(file, 'tampered\n');

      const b = cloneOf(a);
      const r = await b.run(['pull']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`refused ${key}`);
      expect(existsSync(b.abs(`.orchestrator/cache/${key}`))).toBe(false);
      expect(b.exists('single.txt')).toBe(false);
      // The other outputs arrived and verified.
      expect(b.read('used.txt')).toBe(a.read('used.txt'));

      // repro --pull: the stage whose object is bad runs instead, and says why.
      const c = cloneOf(a);
      const rc = await c.runOk(['repro', '--pull']);
      expect(rc.stderr).toContain(`refused ${key}`);
      expect(c.runs('gen')).toBe(1);
      expect(c.read('single.txt')).toBe('v1\n');
    });

    it('a tampered run-cache entry on the remote is refused', async () => {
      const { a, url } = await builtAndPushed(remote, ['--run-cache']);
      const runs = path.join(remote.folder(url), 'runs');
      const prefix = readdirSync(runs)[0]!;
      const name = readdirSync(path.join(runs, prefix))[0]!;
      const file = path.join(runs, prefix, name);
      const entry = JSON.parse(readFileSync(file, 'utf8')) as { fingerprint: string };
      entry.fingerprint = `${entry.fingerprint} `;
      chmodSync(file, 0o644);
      writeFileSync(file, JSON.stringify(entry));
      const c = cloneOf(a, false);
      const r = await c.run(['fetch', '--run-cache']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`refused runs/${prefix}/${name}: its fingerprint hashes to`);
      expect(existsSync(c.abs(`.orchestrator/cache/runs/${prefix}/${name}`))).toBe(false);
    });

    for (const after of [1, 12, N_FILES]) {
      it(`push killed after ${after} objects, then repeated, leaves both sides consistent`, async () => {
        const url = remote.make();
        const a = createProject({ 'pipeline.yaml': pipeline(), 'in.txt': 'v1\n' });
        await a.runOk(['remote', 'add', '-d', 'origin', url]);
        await a.runOk(['repro']);
        const bg = a.start(['push', '-j', '2', '--run-cache'], { env: { ORCHESTRATOR_TRANSFER_PAUSE_AFTER: String(after) } });
        await waitFor(() => bg.stderr().includes('transfer paused'), 'the push to pause');
        bg.child.kill('SIGKILL');
        await bg.result;
        const partial = remoteKeys(remote.folder(url));
        expect(partial.bad).toEqual([]);
        // Order: no manifest or run-cache entry is visible before everything it names.
        if (partial.objects.some((h) => h.endsWith('.dir'))) expect(partial.objects.length).toBeGreaterThan(N_FILES);
        await a.runOk(['push', '--run-cache']);
        const full = remoteKeys(remote.folder(url));
        expect(full.bad).toEqual([]);
        expect(full.objects).toEqual(localObjects(a));
        expect(full.runs.length).toBe(2);
        const b = cloneOf(a, false);
        await b.runOk(['repro', '--pull']);
        expect(b.counts('gen', 'use')).toEqual({ gen: 0, use: 0 });
      });

      it(`pull killed after ${after} objects, then repeated, restores everything and the cache verifies`, async () => {
        const { a } = await builtAndPushed(remote);
        const b = cloneOf(a);
        const bg = b.start(['pull', '-j', '2'], { env: { ORCHESTRATOR_TRANSFER_PAUSE_AFTER: String(after) } });
        await waitFor(() => bg.stderr().includes('transfer paused'), 'the pull to pause');
        bg.child.kill('SIGKILL');
        await bg.result;
        // What is visible in the cache is whole: `cache verify` finds nothing bad.
        await b.runOk(['cache', 'verify']);
        await b.runOk(['pull']);
        await b.runOk(['cache', 'verify']);
        expect(localObjects(b)).toEqual(localObjects(a));
        expect(b.listFiles('tree')).toEqual(a.listFiles('tree'));
        expect(b.read('used.txt')).toBe(a.read('used.txt'));
      });
    }

    it('two pushes of overlapping data at once both succeed and the remote holds both', async () => {
      const url = remote.make();
      const make = (input: string) => createProject({ 'pipeline.yaml': pipeline(), 'in.txt': input });
      // a1 and a2 push the same objects; a3 shares none of its outputs' bytes but races on the same folders.
      const [a1, a2] = [make('v1\n'), make('v1\n')];
      const a3 = make('v3\n');
      for (const p of [a1, a2, a3]) {
        await p.runOk(['remote', 'add', '-d', 'origin', url]);
        await p.runOk(['repro']);
      }
      const results = await Promise.all([a1, a2, a3].map((p) => p.run(['push', '--run-cache', '-j', '3'])));
      for (const r of results) expect(r.code, r.stderr).toBe(0);
      const keys = remoteKeys(remote.folder(url));
      expect(keys.bad).toEqual([]);
      expect(keys.objects).toEqual([...new Set([...localObjects(a1), ...localObjects(a3)])].sort());
      for (const src of [a1, a3]) {
        const b = cloneOf(src);
        await b.runOk(['pull']);
        expect(b.read('used.txt')).toBe(src.read('used.txt'));
      }
    });

    it('gc --cloud keeps on the remote exactly what gc keeps locally, and --dry removes nothing', async () => {
      const url = remote.make();
      const a = createProject({ 'pipeline.yaml': pipeline(), 'in.txt': 'v1\n' });
      await a.runOk(['remote', 'add', '-d', 'origin', url]);
      await a.runOk(['repro']);
      await a.runOk(['push', '--run-cache']);
      a.write('in.txt', 'v2\n');
      await a.runOk(['repro']);
      await a.runOk(['push', '--run-cache']);
      const before = remoteKeys(remote.folder(url));
      const dry = await a.runOk(['gc', '--cloud', '--dry', '--keep-runs', '0']);
      expect(dry.stdout).toMatch(/Would remove [1-9]\d* object\(s\)\/entries on origin/);
      expect(remoteKeys(remote.folder(url))).toEqual(before);
      await a.runOk(['gc', '--cloud', '--keep-runs', '0']);
      const after = remoteKeys(remote.folder(url));
      expect(after.objects).toEqual(localObjects(a));
      expect(after.runs.length).toBe(2);
      const b = cloneOf(a);
      await b.runOk(['repro', '--pull']);
      expect(b.counts('gen', 'use')).toEqual({ gen: 0, use: 0 });
      expect(b.read('single.txt')).toBe('v2\n');

      // From a fresh clone that never saw the run-cache entries: the runs its lock describes stay.
      const fresh = cloneOf(a);
      await fresh.runOk(['gc', '--cloud', '--keep-runs', '0']);
      expect(remoteKeys(remote.folder(url))).toEqual(after);
      const c = cloneOf(a, false);
      await c.runOk(['repro', '--pull']);
      expect(c.counts('gen', 'use')).toEqual({ gen: 0, use: 0 });
    });
  });
}

describe('remote errors', () => {
  it('a remote folder whose parent does not exist fails at once with a hint, exit 1', async () => {
    const a = createProject({ 'pipeline.yaml': pipeline(), 'in.txt': 'v1\n' });
    await a.runOk(['remote', 'add', '-d', 'origin', '/nonexistent-mount/orchestrator/store']);
    await a.runOk(['repro']);
    const r = await a.run(['push']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('/nonexistent-mount/orchestrator does not exist');
    expect(r.stderr).toContain('hint: is the shared folder mounted?');
  });

  it('push without a remote is a usage error naming what to do', async () => {
    const a = createProject({ 'pipeline.yaml': pipeline(), 'in.txt': 'v1\n' });
    const r = await a.run(['push']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no remote given and no default remote');
  });

  it('an unsupported url scheme is refused when the remote is added', async () => {
    const a = createProject({ 'pipeline.yaml': pipeline(), 'in.txt': 'v1\n' });
    const r = await a.run(['remote', 'add', '-d', 'origin', 'gopher://host/x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unsupported remote url "gopher://host/x"');
    expect(a.exists('.orchestrator/config')).toBe(false);
  });
});
