/**
 * Remotes end to end, through the built CLI: push, fetch, pull, status --cloud, repro --pull/--push,
 * gc --cloud, interrupted transfers. Parametrised over remote URLs; the shared-folder remote comes
 * first, then SSH (a private sshd) and S3 (a private s3rver), each started once for this file on a free
 * port of 127.0.0.1 (test/cache/remote/servers.ts).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import type { RemoteBackend } from '../../src/cache/remote/backend.js';
import { openRemote } from '../../src/cache/remote/registry.js';
import { SECRET_OPTIONS } from '../../src/config/remote-config.js';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startS3Server, startSshServer, type S3Server, type SshServer } from '../cache/remote/servers.js';
import { CLI, cleanupProjects, createProject, type Project, waitFor, yamlLines } from './harness.js';

afterEach(cleanupProjects);
const execFileAsync = promisify(execFile);

const remoteDirs: string[] = [];
afterAll(() => {
  for (const d of remoteDirs) rmSync(d, { recursive: true, force: true });
});

interface RemoteKind {
  kind: string;
  /** A fresh, empty remote: its URL and the options `remote modify` sets (endpointurl, port, keyfile, ...). */
  make: () => { url: string; options?: Record<string, string> };
}

const folderRemote: RemoteKind = {
  kind: 'shared folder',
  make: () => {
    const d = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'orchestrator-remote-')));
    remoteDirs.push(d);
    return { url: path.join(d, 'store') };
  },
};

let sshServer: SshServer | undefined;
let s3Server: S3Server | undefined;
beforeAll(async () => {
  [sshServer, s3Server] = await Promise.all([startSshServer(), startS3Server()]);
});
afterAll(async () => {
  await Promise.all([sshServer?.stop(), s3Server?.stop()]);
});

const sshRemote: RemoteKind = {
  kind: 'ssh (private sshd)',
  make: () => ({
    url: `${sshServer!.url}/${path.basename(mkdtempSync(path.join(sshServer!.root, 'r-')))}/store`,
    options: { keyfile: sshServer!.keyfile, known_hosts: sshServer!.knownHosts },
  }),
};

let s3Count = 0;
const s3Remote: RemoteKind = {
  kind: 's3 (private s3rver)',
  make: () => ({
    url: `s3://${s3Server!.bucket}/r${++s3Count}/store`,
    // s3rver's fixed key pair; addRemote puts it in config.local.
    options: { endpointurl: s3Server!.endpoint, access_key_id: 'S3RVER', secret_access_key: 'S3RVER' },
  }),
};

/** Local first, then the SSH and S3 remotes. */
export const REMOTES: RemoteKind[] = [folderRemote, sshRemote, s3Remote];

/** A remote as the tests see it: configured into projects, inspected and tampered with through its own backend. */
interface TestRemote {
  url: string;
  options: Record<string, string>;
}

function newRemote(kind: RemoteKind): TestRemote {
  const made = kind.make();
  return { url: made.url, options: made.options ?? {} };
}

async function addRemote(p: Project, r: TestRemote): Promise<void> {
  await p.runOk(['remote', 'add', '--default', 'origin', r.url]);
  // Credentials (an S3 server's keys) go where users put them: the git-ignored local config.
  for (const [k, v] of Object.entries(r.options)) await p.runOk(['remote', 'modify', ...(SECRET_OPTIONS.has(k) ? ['--local'] : []), 'origin', k, v]);
}

async function withBackend<T>(r: TestRemote, fn: (b: RemoteBackend) => Promise<T>): Promise<T> {
  const backend = await openRemote({ name: 'test', url: r.url, options: r.options });
  try {
    return await fn(backend);
  } finally {
    await backend.close();
  }
}

/** Every key under objects/ and runs/, fetched and checked: objects hash to their names, entries to their keys. */
async function remoteKeys(r: TestRemote): Promise<{ objects: string[]; runs: string[]; bad: string[] }> {
  const tmp = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'orchestrator-remote-read-')));
  remoteDirs.push(tmp);
  return withBackend(r, async (backend) => {
    const objects: string[] = [];
    const runs: string[] = [];
    const bad: string[] = [];
    for (const top of ['objects/', 'runs/']) {
      for await (const key of backend.list(top)) {
        const file = path.join(tmp, 'x');
        await backend.download(key, file);
        const bytes = readFileSync(file);
        const [, prefix, name] = key.split('/') as [string, string, string];
        if (top === 'objects/') {
          const hash = prefix + name;
          objects.push(hash);
          const got = hash.endsWith('.dir') ? `${sha256(bytes)}.dir` : sha256(bytes);
          if (got !== hash) bad.push(key);
        } else {
          const k = name.replace(/\.json$/, '');
          runs.push(k);
          const entry = JSON.parse(bytes.toString('utf8')) as { key: string; fingerprint: string };
          if (entry.key !== k || sha256(Buffer.from(entry.fingerprint)) !== k) bad.push(key);
        }
      }
    }
    return { objects: objects.sort(), runs: runs.sort(), bad };
  });
}

/** Replaces what the remote holds under `key` (as an attacker or bit rot would). */
async function tamper(r: TestRemote, key: string, edit: (bytes: Buffer) => string): Promise<void> {
  const tmp = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'orchestrator-remote-tamper-')));
  remoteDirs.push(tmp);
  await withBackend(r, async (backend) => {
    const file = path.join(tmp, 'x');
    await backend.download(key, file);
    const text = edit(readFileSync(file));
    writeFileSync(file, text);
    await backend.upload(file, key, Buffer.byteLength(text));
  });
}

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
  const files: Record<string, string> = { 'pipeline.yaml': p.read('pipeline.yaml'), '.orchestrator/config': p.read('.orchestrator/config') };
  if (p.exists('in.txt')) files['in.txt'] = p.read('in.txt');
  // The same user on another machine has the same local settings.
  if (p.exists('.orchestrator/config.local')) files['.orchestrator/config.local'] = p.read('.orchestrator/config.local');
  if (withLock) files['pipeline.lock'] = p.read('pipeline.lock');
  return createProject(files);
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function localObjects(p: Project): string[] {
  const base = p.abs('.orchestrator/cache/objects');
  if (!existsSync(base)) return [];
  return readdirSync(base)
    .flatMap((prefix) => readdirSync(path.join(base, prefix)).map((n) => prefix + n))
    .sort();
}

async function builtAndPushed(remote: RemoteKind, extra: string[] = []): Promise<{ a: Project; r: TestRemote }> {
  const r = newRemote(remote);
  const a = createProject({ 'pipeline.yaml': pipeline(), 'in.txt': 'v1\n' });
  await addRemote(a, r);
  await a.runOk(['repro']);
  await a.runOk(['push', ...extra]);
  return { a, r };
}

/**
 * Temp files of unfinished uploads on the remote, as paths relative to the remote's root: a folder
 * remote's `tmp/`, an SSH remote's `.tmp-*` next to the keys (sshd runs on this machine, so its
 * folder is readable here). S3 has none: an object appears only when its PUT completes.
 */
function remoteTemps(r: TestRemote): string[] {
  if (r.url.startsWith('s3://')) return [];
  const root = r.url.startsWith('ssh://') ? new URL(r.url).pathname : r.url;
  if (!r.url.startsWith('ssh://')) return existsSync(path.join(root, 'tmp')) ? readdirSync(path.join(root, 'tmp')).map((n) => `tmp/${n}`) : [];
  return ['objects', 'runs'].flatMap((top) =>
    existsSync(path.join(root, top))
      ? readdirSync(path.join(root, top)).flatMap((d) => readdirSync(path.join(root, top, d)).filter((n) => n.startsWith('.tmp-')).map((n) => `${top}/${d}/${n}`))
      : [],
  );
}

/**
 * What an interrupt may leave visible on the remote besides whole objects: nothing, except on s3rver,
 * which (unlike S3) writes a PUT's body in place as it arrives, so a PUT cut by the interrupt shows a
 * partial object. A push's listing sees its size differ and replaces it (checked after each rerun).
 */
function expectNoPartialObjects(r: TestRemote, bad: string[], inFlight: number): void {
  if (r.url.startsWith('s3://')) expect(bad.length).toBeLessThanOrEqual(inFlight);
  else expect(bad).toEqual([]);
}

/** Temp files in a workspace's local cache (fetches write there, then verify and rename). */
function localTemps(p: Project): string[] {
  return existsSync(p.abs('.orchestrator/cache/tmp')) ? readdirSync(p.abs('.orchestrator/cache/tmp')) : [];
}

/** The absolute path of a remote temp (folder and SSH remotes live on this machine). */
function remoteTempPath(r: TestRemote, rel: string): string {
  return path.join(r.url.startsWith('ssh://') ? new URL(r.url).pathname : r.url, rel);
}

/** One stage writing one file of 6 MB: large enough to be caught mid-transfer, one S3 PUT (below the multipart threshold). */
const BIG = 6_000_000;
const bigPipeline = () => yamlLines('stages:', '  big:', `    cmd: echo x >> .runs/big && head -c ${BIG} /dev/urandom > big.bin`, '    outs: [big.bin]');
const PAUSE_BYTES = { ORCHESTRATOR_TRANSFER_PAUSE_AFTER_BYTES: String(1 << 20) };

/** The remote holds every object of `a` and both run-cache entries, all sound: a clone without the lock restores both stages from it. */
async function expectRemoteComplete(a: Project, rem: TestRemote): Promise<void> {
  const full = await remoteKeys(rem);
  expect(full.bad).toEqual([]);
  expect(full.objects).toEqual(localObjects(a));
  expect(full.runs.length).toBe(2);
  const b = cloneOf(a, false);
  await b.runOk(['repro', '--pull']);
  expect(b.counts('gen', 'use')).toEqual({ gen: 0, use: 0 });
}

/** A built and pushed project whose `single.txt` object (3 bytes) the remote now holds as `content`. */
async function pushedWithTamperedSingle(remote: RemoteKind, content: string): Promise<{ a: Project; key: string }> {
  const { a, r } = await builtAndPushed(remote);
  const hash = a.lock().stages.gen!.outs!.find((o) => o.path === 'single.txt')!.hash;
  const key = `objects/${hash.slice(0, 2)}/${hash.slice(2)}`;
  await tamper(r, key, () => content);
  return { a, key };
}

for (const remote of REMOTES) {
  // A networked remote's CLI runs pay for handshakes and SDK start-up: more time on a busy machine.
  describe(`remote: ${remote.kind}`, { timeout: remote === folderRemote ? 60_000 : 180_000 }, () => {
    it('push from A, then repro --pull in a fresh clone B restores every stage without running any', async () => {
      const { a, r: rem } = await builtAndPushed(remote);
      expect((await remoteKeys(rem)).bad).toEqual([]);
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
      const rem = newRemote(remote);
      const a = createProject({ 'pipeline.yaml': pipeline(), 'in.txt': 'v1\n' });
      await addRemote(a, rem);
      const r = await a.runOk(['repro', '--push']);
      expect(r.stdout).toMatch(/Pushed \d+ object\(s\) to origin/);
      const b = cloneOf(a);
      await b.runOk(['pull']);
      expect(b.read('used.txt')).toBe(a.read('used.txt'));
      expect(b.counts('gen', 'use')).toEqual({ gen: 0, use: 0 });
    });

    it('status --cloud says what is missing where', async () => {
      const rem = newRemote(remote);
      const a = createProject({ 'pipeline.yaml': pipeline(), 'in.txt': 'v1\n' });
      await addRemote(a, rem);
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
      const { a, key } = await pushedWithTamperedSingle(remote, 'tampered\n');
      const b = cloneOf(a);
      const r = await b.run(['pull']);
      expect(r.code).toBe(1);
      // Longer than the 3 bytes the lock records: refused by size, without reading the rest.
      expect(r.stderr).toContain(`refused ${key}: more than the 3 bytes`);
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

    it('a remote object of the recorded size but other bytes is refused by its hash', async () => {
      const { a, key } = await pushedWithTamperedSingle(remote, 'v2\n');
      const b = cloneOf(a);
      const r = await b.run(['fetch']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`refused ${key}: its bytes hash to`);
      expect(existsSync(b.abs(`.orchestrator/cache/${key}`))).toBe(false);
    });

    it('push refuses local objects that no longer match their names, small and large, and quarantines them', async () => {
      // A small object is read and hashed before it leaves; a large one (over the 1 MiB in-memory
      // limit, multipart-sized on S3) is hashed by the backend as it is sent.
      const rem = newRemote(remote);
      const a = createProject({
        'pipeline.yaml': yamlLines('stages:', '  gen:', '    cmd: head -c 20000000 /dev/zero | tr "\\0" b > big.bin && echo small > small.txt', '    outs: [big.bin, small.txt]'),
        'in.txt': 'v1\n',
      });
      await addRemote(a, rem);
      await a.runOk(['repro']);
      const outs = a.lock().stages.gen!.outs!;
      const keys = outs.map((o) => `objects/${o.hash.slice(0, 2)}/${o.hash.slice(2)}`);
      for (const o of outs) {
        const file = a.abs(`.orchestrator/cache/objects/${o.hash.slice(0, 2)}/${o.hash.slice(2)}`);
        const bytes = readFileSync(file);
        bytes.writeUInt8(bytes.readUInt8(bytes.length - 2) ^ 1, bytes.length - 2); // same size, other bytes: bit rot
        rmSync(file);
        writeFileSync(file, bytes);
      }
      const r = await a.run(['push']);
      expect(r.code).toBe(1);
      for (const k of keys) expect(r.stderr).toMatch(new RegExp(`refused ${k}: .*hash to [0-9a-f]{64} \\(local cache; moved to quarantine\\)`));
      expect((await remoteKeys(rem)).objects).toEqual([]);
      expect(readdirSync(a.abs('.orchestrator/cache/quarantine')).length).toBe(2);
      for (const k of keys) expect(existsSync(a.abs(`.orchestrator/cache/${k}`))).toBe(false);
    });

    it('a tampered run-cache entry on the remote is refused', async () => {
      const { a, r: rem } = await builtAndPushed(remote, ['--run-cache']);
      const k = (await remoteKeys(rem)).runs[0]!;
      const [prefix, name] = [k.slice(0, 2), `${k}.json`];
      await tamper(rem, `runs/${prefix}/${name}`, (bytes) => {
        const entry = JSON.parse(bytes.toString('utf8')) as { fingerprint: string };
        entry.fingerprint = `${entry.fingerprint} `;
        return JSON.stringify(entry);
      });
      const c = cloneOf(a, false);
      const r = await c.run(['fetch', '--run-cache']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`refused runs/${prefix}/${name}: its fingerprint hashes to`);
      expect(existsSync(c.abs(`.orchestrator/cache/runs/${prefix}/${name}`))).toBe(false);
    });

    for (const after of [1, 12, N_FILES]) {
      it(`push killed after ${after} objects, then repeated, leaves both sides consistent`, async () => {
        const rem = newRemote(remote);
        const a = createProject({ 'pipeline.yaml': pipeline(), 'in.txt': 'v1\n' });
        await addRemote(a, rem);
        await a.runOk(['repro']);
        const bg = a.start(['push', '-j', '2', '--run-cache'], { env: { ORCHESTRATOR_TRANSFER_PAUSE_AFTER: String(after) } });
        await waitFor(() => bg.stderr().includes('transfer paused'), 'the push to pause');
        bg.child.kill('SIGKILL');
        await bg.result;
        const partial = await remoteKeys(rem);
        expect(partial.bad).toEqual([]);
        // Order: no manifest or run-cache entry is visible before everything it names.
        if (partial.objects.some((h) => h.endsWith('.dir'))) expect(partial.objects.length).toBeGreaterThan(N_FILES);
        await a.runOk(['push', '--run-cache']);
        await expectRemoteComplete(a, rem);
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
      const rem = newRemote(remote);
      const make = (input: string) => createProject({ 'pipeline.yaml': pipeline(), 'in.txt': input });
      // a1 and a2 push the same objects; a3 shares none of its outputs' bytes but races on the same folders.
      const [a1, a2] = [make('v1\n'), make('v1\n')];
      const a3 = make('v3\n');
      for (const p of [a1, a2, a3]) {
        await addRemote(p, rem);
        await p.runOk(['repro']);
      }
      const results = await Promise.all([a1, a2, a3].map((p) => p.run(['push', '--run-cache', '-j', '3'])));
      for (const r of results) expect(r.code, r.stderr).toBe(0);
      const keys = await remoteKeys(rem);
      expect(keys.bad).toEqual([]);
      expect(keys.objects).toEqual([...new Set([...localObjects(a1), ...localObjects(a3)])].sort());
      for (const src of [a1, a3]) {
        const b = cloneOf(src);
        await b.runOk(['pull']);
        expect(b.read('used.txt')).toBe(src.read('used.txt'));
      }
    });

    it('gc --cloud keeps on the remote exactly what gc keeps locally, and --dry removes nothing', async () => {
      const rem = newRemote(remote);
      const a = createProject({ 'pipeline.yaml': pipeline(), 'in.txt': 'v1\n' });
      await addRemote(a, rem);
      await a.runOk(['repro']);
      await a.runOk(['push', '--run-cache']);
      a.write('in.txt', 'v2\n');
      await a.runOk(['repro']);
      await a.runOk(['push', '--run-cache']);
      const before = await remoteKeys(rem);
      const dry = await a.runOk(['gc', '--cloud', '--dry', '--keep-runs', '0']);
      expect(dry.stdout).toMatch(/Would remove [1-9]\d* object\(s\)\/entries on origin/);
      expect(await remoteKeys(rem)).toEqual(before);
      await a.runOk(['gc', '--cloud', '--keep-runs', '0']);
      const after = await remoteKeys(rem);
      expect(after.objects).toEqual(localObjects(a));
      expect(after.runs.length).toBe(2);
      const b = cloneOf(a);
      await b.runOk(['repro', '--pull']);
      expect(b.counts('gen', 'use')).toEqual({ gen: 0, use: 0 });
      expect(b.read('single.txt')).toBe('v2\n');

      // From a fresh clone that never saw the run-cache entries: the runs its lock describes stay.
      const fresh = cloneOf(a);
      await fresh.runOk(['gc', '--cloud', '--keep-runs', '0']);
      expect(await remoteKeys(rem)).toEqual(after);
      const c = cloneOf(a, false);
      await c.runOk(['repro', '--pull']);
      expect(c.counts('gen', 'use')).toEqual({ gen: 0, use: 0 });
    });

    it('push interrupted (SIGINT) after 12 objects: exit 130, nothing half-written on either side, the rerun skips what is there', async () => {
      const rem = newRemote(remote);
      const a = createProject({ 'pipeline.yaml': pipeline(), 'in.txt': 'v1\n' });
      await addRemote(a, rem);
      await a.runOk(['repro']);
      const bg = a.start(['push', '-j', '2', '--run-cache'], { env: { ORCHESTRATOR_TRANSFER_PAUSE_AFTER: '12' } });
      await waitFor(() => bg.stderr().includes('transfer paused'), 'the push to pause');
      bg.child.kill('SIGINT');
      const r = await bg.result;
      expect(r.code, r.stderr).toBe(130);
      expect(r.stderr).toContain('interrupted: what was transferred is complete; run the command again to go on');
      const partial = await remoteKeys(rem);
      expectNoPartialObjects(rem, partial.bad, 2);
      expect(partial.objects.length - partial.bad.length).toBeGreaterThanOrEqual(12);
      expect(partial.objects.length).toBeLessThan(localObjects(a).length);
      expect(remoteTemps(rem)).toEqual([]);
      expect(localTemps(a)).toEqual([]);
      await a.runOk(['cache', 'verify']);
      const again = await a.runOk(['push', '--run-cache']);
      expect(again.stdout).toContain(`; ${partial.objects.length - partial.bad.length} already there.`);
      await expectRemoteComplete(a, rem);
    });

    it('pull interrupted (SIGINT) after 12 objects: exit 130, the cache verifies, no temp left, the rerun skips what is here', async () => {
      const { a, r: rem } = await builtAndPushed(remote);
      const b = cloneOf(a);
      const bg = b.start(['pull', '-j', '2'], { env: { ORCHESTRATOR_TRANSFER_PAUSE_AFTER: '12' } });
      await waitFor(() => bg.stderr().includes('transfer paused'), 'the pull to pause');
      bg.child.kill('SIGINT');
      const r = await bg.result;
      expect(r.code, r.stderr).toBe(130);
      expect(r.stderr).toContain('interrupted:');
      const here = localObjects(b);
      expect(here.length).toBeGreaterThanOrEqual(12);
      expect(localTemps(b)).toEqual([]);
      expect(remoteTemps(rem)).toEqual([]);
      await b.runOk(['cache', 'verify']);
      const again = await b.runOk(['pull']);
      expect(again.stdout).toContain(`; ${here.length} already here.`);
      await b.runOk(['cache', 'verify']);
      expect(localObjects(b)).toEqual(localObjects(a));
      expect(b.read('used.txt')).toBe(a.read('used.txt'));
      const c = cloneOf(b);
      await c.runOk(['repro', '--pull']);
      expect(c.counts('gen', 'use')).toEqual({ gen: 0, use: 0 });
    });

    it('gc --cloud removes leftovers of killed uploads older than --tmp-age and reports them; younger ones stay', async () => {
      const { a, r: rem } = await builtAndPushed(remote);
      if (rem.url.startsWith('s3://')) {
        // s3rver answers ListMultipartUploads with NotImplemented: gc still succeeds and says so.
        const r = await a.runOk(['gc', '--cloud', '--tmp-age', '0', '--json']);
        const doc = JSON.parse(r.stdout) as { remote: { temps: string[]; tempsUnchecked?: string } };
        expect(doc.remote.temps).toEqual([]);
        expect(doc.remote.tempsUnchecked).toContain('does not list incomplete multipart uploads (NotImplemented)');
        const plain = await a.runOk(['gc', '--cloud']);
        expect(plain.stderr).toContain('note: ');
        expect(plain.stderr).toContain('AbortIncompleteMultipartUpload');
        return;
      }
      // What a SIGKILLed upload leaves (a partial copy under a temp name), planted where the backend
      // writes its temps: one from two hours ago, one just now (as a push in flight would hold).
      const objDir = readdirSync(remoteTempPath(rem, 'objects'))[0]!;
      const dir = rem.url.startsWith('ssh://') ? `objects/${objDir}` : 'tmp';
      const [stale, fresh] = rem.url.startsWith('ssh://') ? [`${dir}/.tmp-aaaa-stale`, `${dir}/.tmp-bbbb-fresh`] : [`${dir}/aaaa-stale`, `${dir}/bbbb-fresh`];
      writeFileSync(remoteTempPath(rem, stale), 'partial');
      writeFileSync(remoteTempPath(rem, fresh), 'partial');
      const old = new Date(Date.now() - 2 * 3600_000);
      utimesSync(remoteTempPath(rem, stale), old, old);
      expect(remoteTemps(rem).sort()).toEqual([stale, fresh].sort());
      const dry = await a.runOk(['gc', '--cloud', '--dry']);
      expect(dry.stdout).toContain(`Would remove 1 leftover(s) of interrupted uploads on origin (older than 3600 s).\n  origin: ${stale}`);
      expect(remoteTemps(rem).length).toBe(2);
      const r = JSON.parse((await a.runOk(['gc', '--cloud', '--json'])).stdout) as { remote: { temps: string[] } };
      expect(r.remote.temps).toEqual([stale]);
      expect(remoteTemps(rem)).toEqual([fresh]);
      const zero = JSON.parse((await a.runOk(['gc', '--cloud', '--json', '--tmp-age', '0'])).stdout) as { remote: { temps: string[] } };
      expect(zero.remote.temps).toEqual([fresh]);
      expect(remoteTemps(rem)).toEqual([]);
      expect((await remoteKeys(rem)).bad).toEqual([]);
    });

    // A folder remote copies a file in one call (copy_file_range): there is no moment mid-file to pause at.
    if (remote !== folderRemote) describe('interrupted in the middle of one large file', () => {
      /** A project with one large output, its push paused after 1 MiB of that file (still running). */
      const bigPushPausedMidFile = async (kind: RemoteKind) => {
        const rem = newRemote(kind);
        const a = createProject({ 'pipeline.yaml': bigPipeline() });
        await addRemote(a, rem);
        await a.runOk(['repro']);
        const bg = a.start(['push', '-j', '1'], { env: PAUSE_BYTES });
        await waitFor(() => bg.stderr().includes('transfer paused after'), 'the push to pause mid-file');
        return { rem, a, bg };
      };

      it('push: SIGINT removes the remote temp, a gc --cloud meanwhile leaves the in-flight temp alone, the rerun completes', async () => {
        const { rem, a, bg } = await bigPushPausedMidFile(remote);
        const inFlight = remoteTemps(rem);
        if (!rem.url.startsWith('s3://')) {
          expect(inFlight.length).toBe(1);
          expect(statSync(remoteTempPath(rem, inFlight[0]!)).size).toBeGreaterThanOrEqual(1 << 20);
          expect(statSync(remoteTempPath(rem, inFlight[0]!)).size).toBeLessThan(BIG);
          // Another user's gc with the default age: the temp of a push in flight is young, so it stays.
          const gc = JSON.parse((await a.runOk(['gc', '--cloud', '--json'])).stdout) as { remote: { temps: string[] } };
          expect(gc.remote.temps).toEqual([]);
          expect(remoteTemps(rem)).toEqual(inFlight);
        }
        const paused = await remoteKeys(rem);
        expect(paused.objects.length).toBe(paused.bad.length);
        expectNoPartialObjects(rem, paused.bad, 1);
        bg.child.kill('SIGINT');
        const r = await bg.result;
        expect(r.code, r.stderr).toBe(130);
        expect(r.stderr).toContain('interrupted:');
        expect(remoteTemps(rem)).toEqual([]);
        const after = await remoteKeys(rem);
        expect(after.objects.length).toBe(after.bad.length);
        expectNoPartialObjects(rem, after.bad, 1);
        expect(localTemps(a)).toEqual([]);
        await a.runOk(['push']);
        const full = await remoteKeys(rem);
        expect(full.bad).toEqual([]);
        expect(full.objects).toEqual(localObjects(a));
        const b = cloneOf(a);
        await b.runOk(['repro', '--pull']);
        expect(b.runs('big')).toBe(0);
        expect(b.read('big.bin')).toBe(a.read('big.bin'));
      });

      it('push: SIGKILL may leave a remote temp; gc --cloud --tmp-age 0 removes and reports it; the rerun completes', async () => {
        const { rem, a, bg } = await bigPushPausedMidFile(remote);
        bg.child.kill('SIGKILL');
        await bg.result;
        const left = remoteTemps(rem);
        if (!rem.url.startsWith('s3://')) expect(left.length).toBe(1);
        // Nothing half-written is visible under a key (but on s3rver, see expectNoPartialObjects).
        const killed = await remoteKeys(rem);
        expect(killed.objects.length).toBe(killed.bad.length);
        expectNoPartialObjects(rem, killed.bad, 1);
        const gc = JSON.parse((await a.runOk(['gc', '--cloud', '--json', '--tmp-age', '0'])).stdout) as { remote: { temps: string[]; tempsUnchecked?: string } };
        expect(gc.remote.temps).toEqual(left);
        if (rem.url.startsWith('s3://')) expect(gc.remote.tempsUnchecked).toContain('NotImplemented');
        expect(remoteTemps(rem)).toEqual([]);
        await a.runOk(['push']);
        const full = await remoteKeys(rem);
        expect(full.bad).toEqual([]);
        expect(full.objects).toEqual(localObjects(a));
      });

      it('pull: SIGINT removes the local temp; SIGKILL leaves one the next pull sweeps once stale; both reruns verify', async () => {
        const rem = newRemote(remote);
        const a = createProject({ 'pipeline.yaml': bigPipeline() });
        await addRemote(a, rem);
        await a.runOk(['repro']);
        await a.runOk(['push']);
        const b = cloneOf(a);
        const bg = b.start(['pull', '-j', '1'], { env: PAUSE_BYTES });
        await waitFor(() => bg.stderr().includes('transfer paused after'), 'the pull to pause mid-file');
        const inFlight = localTemps(b);
        expect(inFlight.length).toBe(1);
        expect(statSync(b.abs(`.orchestrator/cache/tmp/${inFlight[0]}`)).size).toBeGreaterThan(0);
        bg.child.kill('SIGINT');
        const r = await bg.result;
        expect(r.code, r.stderr).toBe(130);
        expect(localTemps(b)).toEqual([]);
        expect(localObjects(b)).toEqual([]);
        expect(b.exists('big.bin')).toBe(false);
        await b.runOk(['cache', 'verify']);

        const bg2 = b.start(['pull', '-j', '1'], { env: PAUSE_BYTES });
        await waitFor(() => bg2.stderr().includes('transfer paused after'), 'the second pull to pause mid-file');
        bg2.child.kill('SIGKILL');
        await bg2.result;
        const left = localTemps(b);
        expect(left.length).toBe(1);
        // fetch shares the cache without the workspace lock (a shared cache.dir may serve other hosts): a
        // temp younger than an hour may be another fetch in flight, so it stays ...
        await b.runOk(['fetch']);
        expect(localTemps(b)).toEqual(left);
        // ... and the next fetch sweeps it once it is older, though it has nothing to download.
        const old = new Date(Date.now() - 2 * 3600_000);
        utimesSync(b.abs(`.orchestrator/cache/tmp/${left[0]}`), old, old);
        const nothing = await b.runOk(['fetch']);
        expect(nothing.stdout).toContain('Fetched 0 object(s)');
        expect(localTemps(b)).toEqual([]);
        await b.runOk(['pull']);
        await b.runOk(['cache', 'verify']);
        expect(b.read('big.bin')).toBe(a.read('big.bin'));
      });
    });
  });
}

describe('folder remote: one filesystem sync per batch', () => {
  it('a push of 200 objects makes them durable with a few filesystem syncs, not an fsync per object', async () => {
    const rem = newRemote(folderRemote);
    const a = createProject({ 'pipeline.yaml': yamlLines('stages:', '  many:', '    cmd: mkdir -p many && for i in $(seq 1 200); do echo "object $i" > many/f$i; done', '    outs: [many]') });
    await addRemote(a, rem);
    await a.runOk(['repro']);
    const trace = path.join(realpathSync(mkdtempSync(path.join(os.tmpdir(), 'orchestrator-strace-'))), 'push.trace');
    remoteDirs.push(path.dirname(trace));
    // strace follows the push and every process it starts (`sync -f`, which calls syncfs).
    await execFileAsync('strace', ['-f', '-qq', '-e', 'trace=fsync,fdatasync,syncfs', '-o', trace, process.execPath, CLI, '-C', a.dir, 'push']);
    const calls = readFileSync(trace, 'utf8').split('\n');
    const count = (name: string) => calls.filter((l) => l.includes(` ${name}(`) || l.startsWith(`${name}(`)).length;
    expect(count('fsync') + count('fdatasync')).toBeLessThan(20);
    expect(count('syncfs')).toBeGreaterThanOrEqual(1);
    const keys = await remoteKeys(rem);
    expect(keys.bad).toEqual([]);
    expect(keys.objects).toEqual(localObjects(a));
    expect(remoteTemps(rem)).toEqual([]);
  });
});

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
