/**
 * A shared cache folder (`cache.dir` outside the workspace, `cache.shared = group`): several
 * workspaces, and two real Unix users of one group (orch-u1, orch-u2, created by .ci/setup.sh), use
 * one cache at the same time. The users' CLI runs through `runuser -u USER --`.
 */
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CLI, cleanupProjects, createProject, REPO_ROOT } from './harness.js';

const temps: string[] = [];
afterEach(() => {
  cleanupProjects();
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

const pipeline = [
  'stages:',
  '  gen:',
  '    cmd: echo x >> .runs/gen && mkdir -p tree && for i in 1 2 3 4 5 6 7 8; do echo "$i $(cat in.txt)" > tree/f$i.txt; done && cp in.txt single.txt',
  '    deps: [in.txt]',
  '    outs: [tree, single.txt]',
  '',
].join('\n');

function tempDir(): string {
  const d = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'orchestrator-shared-')));
  temps.push(d);
  chmodSync(d, 0o755);
  return d;
}

interface Out {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The CLI as the other users can run it. A clone under a private folder (say /root, mode 0700) is out
 * of their reach, so then the built package (bin, dist, package.json, node_modules) is copied to a
 * world-readable temp folder once, hard-linked where the filesystem allows.
 */
let userCli: string | undefined;
let userCliCopy: string | undefined;
afterAll(() => {
  if (userCliCopy) rmSync(userCliCopy, { recursive: true, force: true });
});
function cliForUsers(): string {
  if (userCli) return userCli;
  try {
    execFileSync('runuser', ['-u', 'orch-u1', '--', 'test', '-r', CLI], { stdio: 'ignore' });
    return (userCli = CLI);
  } catch {
    const copy = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'orchestrator-users-cli-')));
    chmodSync(copy, 0o755);
    userCliCopy = copy;
    for (const part of ['bin', 'dist', 'package.json', 'node_modules']) {
      const from = path.join(REPO_ROOT, part);
      try {
        execFileSync('cp', ['-al', from, copy], { stdio: 'ignore' });
      } catch {
        execFileSync('cp', ['-a', from, copy]);
      }
    }
    return (userCli = path.join(copy, path.relative(REPO_ROOT, CLI)));
  }
}

/** The CLI as Unix user `user` (real uid/gids through runuser), in workspace `dir`. */
function runAs(user: string, dir: string, args: string[]): Promise<Out> {
  return new Promise((resolve, reject) => {
    const child = spawn('runuser', ['-u', user, '--', process.execPath, cliForUsers(), '-C', dir, ...args], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function okAs(user: string, dir: string, args: string[]): Promise<Out> {
  const r = await runAs(user, dir, args);
  if (r.code !== 0) throw new Error(`${user}: orchestrator ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** A workspace owned by `user`, with the shared cache configured. */
function workspaceOf(user: string, parent: string, cacheDir: string, input: string): string {
  const dir = path.join(parent, user);
  mkdirSync(path.join(dir, '.runs'), { recursive: true });
  mkdirSync(path.join(dir, '.orchestrator'));
  writeFileSync(path.join(dir, 'pipeline.yaml'), pipeline);
  writeFileSync(path.join(dir, 'in.txt'), input);
  writeFileSync(path.join(dir, '.orchestrator/config'), `[cache]\n    dir = ${cacheDir}\n    shared = group\n`);
  execFileSync('chown', ['-R', `${user}:${user}`, dir]);
  return dir;
}

const runs = (dir: string) => (existsSync(path.join(dir, '.runs/gen')) ? readFileSync(path.join(dir, '.runs/gen'), 'utf8').split('\n').filter(Boolean).length : 0);

/** Every folder under `dir` with its mode and group. */
function folders(dir: string): { path: string; mode: number; gid: number }[] {
  const out: { path: string; mode: number; gid: number }[] = [];
  const walk = (d: string) => {
    const st = statSync(d);
    out.push({ path: d, mode: st.mode & 0o7777, gid: st.gid });
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name));
  };
  walk(dir);
  return out;
}

describe('a shared cache folder', () => {
  it('two workspaces with one cache.dir: the second restores what the first built, without running it', async () => {
    const shared = tempDir();
    const config = `[cache]\n    dir = ${path.join(shared, 'cache')}\n`;
    const a = createProject({ 'pipeline.yaml': pipeline, 'in.txt': 'v1\n', '.orchestrator/config': config });
    const b = createProject({ 'pipeline.yaml': pipeline, 'in.txt': 'v1\n', '.orchestrator/config': config });
    await a.runOk(['repro']);
    expect(existsSync(path.join(shared, 'cache/objects'))).toBe(true);
    expect(a.exists('.orchestrator/cache/objects')).toBe(false);
    const r = await b.runOk(['repro']);
    expect(r.lines).toContain('gen: restored from the run-cache');
    expect(b.runs('gen')).toBe(0);
    expect(b.read('tree/f3.txt')).toBe('3 v1\n');

    // gc in one workspace knows only its own lock: on a shared cache it refuses unless told.
    b.write('in.txt', 'v2\n');
    await b.runOk(['repro']);
    const objectsBefore = readdirSync(path.join(shared, 'cache/objects')).length;
    const gc = await a.run(['gc', '--keep-runs', '0']);
    expect(gc.code).toBe(1);
    expect(gc.stderr).toContain('is a cache.dir other workspaces may share');
    expect(readdirSync(path.join(shared, 'cache/objects')).length).toBe(objectsBefore);
    await a.runOk(['gc', '--dry']);
  });

  it('sweep variants use the configured cache.dir: the main workspace then restores a variant\'s build', async () => {
    const shared = tempDir();
    const p = createProject({
      'pipeline.yaml': 'stages:\n  gen:\n    cmd: echo ${n} > out.txt\n    params: [n]\n    outs: [out.txt]\n',
      'params.yaml': 'n: 3\n',
      '.orchestrator/config': `[cache]\n    dir = ${path.join(shared, 'cache')}\n`,
    });
    await p.runOk(['sweep', 'run', 'ns', '-S', 'n=2,3']);
    expect(readdirSync(path.join(shared, 'cache/objects')).length).toBeGreaterThan(0);
    expect(p.exists('.orchestrator/cache/objects')).toBe(false);
    const r = await p.runOk(['repro']);
    expect(r.lines).toContain('gen: restored from the run-cache');
    expect(p.read('out.txt')).toBe('3\n');
  });

  it('two Unix users of one group share it: group-writable setgid folders, read-only objects, restores and quarantine across users', async () => {
    const groupGid = Number(execFileSync('getent', ['group', 'orch-share'], { encoding: 'utf8' }).split(':')[2]);
    const shared = tempDir();
    // The folder an admin made for the group; the tool creates everything inside it.
    const groupDir = path.join(shared, 'group');
    mkdirSync(groupDir);
    chownSync(groupDir, 0, groupGid);
    chmodSync(groupDir, 0o2775);
    const cacheDir = path.join(groupDir, 'cache');
    const parent = tempDir();
    const ws1 = workspaceOf('orch-u1', parent, cacheDir, 'v1\n');
    const ws2 = workspaceOf('orch-u2', parent, cacheDir, 'v1\n');

    await okAs('orch-u1', ws1, ['repro']);
    for (const f of folders(cacheDir)) {
      expect({ path: f.path, mode: f.mode.toString(8), gid: f.gid }).toEqual({ path: f.path, mode: '2775', gid: groupGid });
    }
    const objects = path.join(cacheDir, 'objects');
    for (const prefix of readdirSync(objects)) {
      for (const name of readdirSync(path.join(objects, prefix))) expect((statSync(path.join(objects, prefix, name)).mode & 0o777).toString(8)).toBe('444');
    }

    // User 2 restores user 1's build (run-cache and objects written by user 1).
    const r2 = await okAs('orch-u2', ws2, ['repro']);
    expect(r2.stdout).toContain('gen: restored from the run-cache');
    expect(runs(ws2)).toBe(0);
    expect(readFileSync(path.join(ws2, 'tree/f8.txt'), 'utf8')).toBe('8 v1\n');

    // Both build the same new inputs at the same time: both succeed, the cache stays sound.
    for (const ws of [ws1, ws2]) writeFileSync(path.join(ws, 'in.txt'), 'v2\n');
    const both = await Promise.all([runAs('orch-u1', ws1, ['repro']), runAs('orch-u2', ws2, ['repro'])]);
    for (const r of both) expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    for (const ws of [ws1, ws2]) expect(readFileSync(path.join(ws, 'single.txt'), 'utf8')).toBe('v2\n');
    await okAs('orch-u2', ws2, ['cache', 'verify']);

    // An object one user wrote goes bad; the other user's restore refuses it and moves it to
    // quarantine (a rename in the group's folders), then rebuilds.
    const single = readFileSync(path.join(ws1, 'pipeline.lock'), 'utf8').match(/path: single\.txt\n\s+hash: ([0-9a-f]{64})/)![1]!;
    const object = path.join(objects, single.slice(0, 2), single.slice(2));
    const owner = statSync(object).uid === Number(execFileSync('id', ['-u', 'orch-u1'], { encoding: 'utf8' })) ? 'orch-u1' : 'orch-u2';
    const [other, otherWs] = owner === 'orch-u1' ? ['orch-u2', ws2] : ['orch-u1', ws1];
    chmodSync(object, 0o644);
    writeFileSync(object, 'bit rot\n');
    chmodSync(object, 0o444);
    rmSync(path.join(otherWs, 'single.txt'));
    const r = await okAs(other, otherWs, ['repro']);
    expect(r.stdout + r.stderr).toMatch(/corrupt/);
    expect(readFileSync(path.join(otherWs, 'single.txt'), 'utf8')).toBe('v2\n');
    expect(readdirSync(path.join(cacheDir, 'quarantine')).some((n) => n.startsWith(single))).toBe(true);
    await okAs(owner, owner === 'orch-u1' ? ws1 : ws2, ['cache', 'verify']);
  });
});
