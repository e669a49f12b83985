import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProjects, createProject, Project, tick, yamlLines } from './harness.js';

afterEach(cleanupProjects);

/**
 * A workspace `ws/` with a precious file beside it in `outside/`: what a stage's symlink could lead
 * a delete or a restore to. Returns the workspace and a reader for the outside file.
 */
function workspaceBesideOutside(files: Record<string, string>): { ws: Project; outside: (name?: string) => string | undefined; outsideDir: string } {
  const base = createProject({ 'outside/victim.txt': 'precious\n' });
  const ws = new Project(base.abs('ws'));
  mkdirSync(ws.abs('.runs'), { recursive: true });
  for (const [rel, content] of Object.entries(files)) ws.write(rel, content);
  const outsideDir = base.abs('outside');
  return { ws, outsideDir, outside: (name = 'victim.txt') => base.readOrUndefined(`outside/${name}`) };
}

describe('every delete and write re-checks its path when it happens', () => {
  it('an output under a symlink that an earlier stage created during the run is neither deleted nor written through', async () => {
    // `mklink` (undeclared) points build/ outside the workspace while the run goes on; the plan-time
    // check saw no symlink. `victim` then declares build/victim.txt: deleting it before the run
    // would delete ../outside/victim.txt.
    const { ws, outside } = workspaceBesideOutside({
      'pipeline.yaml': yamlLines(
        'stages:',
        '  mklink:',
        `    cmd: ${tick('mklink')} && ln -s ../outside build && echo linked > link.txt`,
        '    outs: [link.txt]',
        '  victim:',
        `    cmd: ${tick('victim')} && echo mine > build/victim.txt`,
        '    deps: [link.txt]',
        '    outs: [build/victim.txt]',
      ),
    });
    const r = await ws.run(['repro']);
    expect(r.code).toBe(1);
    expect(outside()).toBe('precious\n');
    expect(r.stdout + r.stderr).toMatch(/refusing to write or delete "build\/victim\.txt": it resolves to .*outside.*outside the workspace/);
    expect(r.stdout + r.stderr).not.toMatch(/internal error/);
    expect(ws.runs('victim')).toBe(0);
  });

  it('checkout --force does not follow a symlink the user put in place of an output directory', async () => {
    const { ws, outside, outsideDir } = workspaceBesideOutside({
      'pipeline.yaml': yamlLines('stages:', '  make:', "    cmd: mkdir -p build && echo built > build/victim.txt", '    outs: [build/victim.txt]'),
    });
    await ws.runOk(['repro']);
    ws.remove('build');
    ws.symlink(outsideDir, 'build');
    const r = await ws.run(['checkout', '--force']);
    // Caught when the pipeline is loaded, before anything is touched: a positioned error.
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/pipeline\.yaml:4:12: error: output "build\/victim\.txt" of stage "make" resolves to .*outside.*outside the workspace/);
    expect(outside()).toBe('precious\n');
  });

  it('a restore into a parent that is a symlink into .orchestrator is refused (the cache is never written through an output)', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines('stages:', '  make:', '    cmd: mkdir -p build && echo built > build/out.txt', '    outs: [build/out.txt]'),
    });
    await p.runOk(['repro']);
    p.remove('build');
    p.symlink('.orchestrator/logs', 'build');
    const r = await p.run(['checkout', '--force']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/build\/out\.txt not restored: refusing to write or delete "build\/out\.txt": it resolves to .*\.orchestrator\/logs\/out\.txt, inside the workspace's \.orchestrator folder/);
    expect(p.exists('.orchestrator/logs/out.txt')).toBe(false);
  });

  it('a stage whose output is a symlink to a file outside the workspace fails; the outside bytes never enter the cache', async () => {
    const { ws, outsideDir } = workspaceBesideOutside({});
    ws.write('pipeline.yaml', yamlLines('stages:', '  leak:', `    cmd: ln -s ${outsideDir}/victim.txt leak.txt`, '    outs: [leak.txt]'));
    const r = await ws.run(['repro']);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/declared output "leak\.txt" resolves outside the workspace through a symlink/);
    expect(ws.lockText()).toBeUndefined();
  });
});

describe('lock and run-cache entries are only applied to declared outputs', () => {
  it('checkout never writes a path that a (hand-edited) lock entry names but the stage does not declare', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines('stages:', '  make:', '    cmd: echo built > out.txt', '    outs: [out.txt]'),
    });
    await p.runOk(['repro']);
    p.write('pipeline.lock', p.lockText()!.replaceAll('path: out.txt', 'path: elsewhere.txt'));
    const r = await p.run(['checkout', '--force']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/pipeline\.lock names output elsewhere\.txt, which the stage does not declare; not touched/);
    expect(p.exists('elsewhere.txt')).toBe(false);
  });

  it('a run-cache entry naming another path is not used: the stage runs and its declared output is fresh', async () => {
    const p = createProject({
      'params.yaml': 'v: 1\n',
      'pipeline.yaml': yamlLines('stages:', '  make:', `    cmd: ${tick('make')} && echo \${v} > out.txt`, '    params: [v]', '    outs: [out.txt]'),
    });
    await p.runOk(['repro']);
    p.write('params.yaml', 'v: 2\n');
    await p.runOk(['repro']);
    // Point the v=1 entry at another path, then go back to v=1: the entry must not be applied.
    const runs = p.abs('.orchestrator/cache/runs');
    let edited = 0;
    for (const prefix of readdirSync(runs)) {
      for (const name of readdirSync(path.join(runs, prefix))) {
        const file = path.join(runs, prefix, name);
        const text = readFileSync(file, 'utf8');
        if (!text.includes('echo 1 > out.txt')) continue;
        writeFileSync(file, text.replace('"path": "out.txt"', '"path": "stale.txt"'));
        edited++;
      }
    }
    expect(edited).toBe(1);
    p.write('params.yaml', 'v: 1\n');
    await p.runOk(['repro']);
    expect(p.runs('make')).toBe(3);
    expect(p.read('out.txt')).toBe('1\n');
    expect(p.exists('stale.txt')).toBe(false);
  });
});

describe('a full disk', () => {
  it('fails the stage naming the path, writes no lock and no partial object, and the next run recovers', async () => {
    const base = createProject();
    const mount = base.abs('small');
    mkdirSync(mount);
    // A real file system that fills up: a 2 MiB tmpfs. The stage's 1.2 MB output fits, its copy
    // into the cache does not.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mount]);
    try {
      const ws = new Project(mount);
      ws.write(
        'pipeline.yaml',
        yamlLines('stages:', '  big:', '    cmd: head -c 1200000 /dev/zero | tr "\\\\0" x > big.bin', '    outs: [big.bin]'),
      );
      const r = await ws.run(['repro']);
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).toMatch(/no space left on device: .*\.orchestrator\/cache/);
      expect(r.stdout + r.stderr).not.toMatch(/internal error/);
      expect(ws.lockText()).toBeUndefined();
      expect(ws.listFiles('.orchestrator/cache/objects')).toEqual([]);
      expect(ws.listFiles('.orchestrator/cache/tmp')).toEqual([]);

      execFileSync('mount', ['-o', 'remount,size=8m', mount]);
      await ws.runOk(['repro']);
      expect(ws.lock().stages.big?.outs?.[0]?.size).toBe(1200000);
    } finally {
      execFileSync('umount', ['-l', mount]);
      rmdirSync(mount);
    }
  });
});

describe('leftovers of killed runs', () => {
  it('the next command holding the workspace removes temp files and restore folders of dead processes, and keeps those of live ones', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines('stages:', '  make:', '    cmd: mkdir -p build && echo built > build/out.txt', '    outs: [build/out.txt]'),
    });
    await p.runOk(['repro']);
    const dead = spawnSync('true').pid;
    const left = [
      `build/out.txt.orchestrator-tmp-${dead}-0badc0de-3/big.bin`,
      'build/out.txt.orchestrator-old-0123456789ab/old.txt',
      `pipeline.lock.tmp-${dead}-0badc0de-4`,
      `.orchestrator/state/stat-cache.json.tmp-${dead}-0badc0de-5`,
      `.orchestrator/cache/tmp/eb970a8ea947-${dead}-d9a3be92-c`,
    ];
    for (const f of left) p.write(f, 'half-written');
    const live = `build/out.txt.tmp-${process.pid}-0badc0de-6`;
    p.write(live, 'still being written');
    const liveCacheTmp = `.orchestrator/cache/tmp/eb970a8ea947-${process.pid}-d9a3be92-d`;
    p.write(liveCacheTmp, 'a put in progress');

    await p.runOk(['checkout']);
    for (const f of left) expect(p.exists(f), f).toBe(false);
    expect(p.exists('build/out.txt.orchestrator-tmp-' + dead + '-0badc0de-3')).toBe(false);
    expect(p.read(live)).toBe('still being written');
    expect(p.read(liveCacheTmp)).toBe('a put in progress');
    expect(p.read('build/out.txt')).toBe('built\n');
  });
});
