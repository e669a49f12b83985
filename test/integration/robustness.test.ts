import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProjects, createProject, isAlive, stageLines, tick, waitFor, yamlLines, type Project } from './harness.js';
import { reproLockHolder } from '../../src/workspace/repro-lock.js';

/** pids of stage processes a test started; killed after each test whatever happened. */
const strays: number[] = [];
afterEach(() => {
  for (const pid of strays.splice(0)) {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // already gone, or not a group leader
      }
    }
  }
  cleanupProjects();
});

/**
 * A stage that records its shell's pid, signals `started`, and on its FIRST invocation blocks until
 * the test creates `release`. Later invocations do not block.
 */
const blockingPipeline = yamlLines(
  'stages:',
  '  slow:',
  `    cmd: ${tick('slow')} && echo $$ > slow.pid && if [ "$(wc -l < .runs/slow)" -eq 1 ]; then touch started; while [ ! -e release ]; do sleep 0.02; done; fi; echo done > slow.txt`,
  '    outs: [slow.txt]',
  '  after:',
  `    cmd: ${tick('after')} && cp slow.txt after.txt`,
  '    deps: [slow.txt]',
  '    outs: [after.txt]',
);

function stagePid(p: Project): number {
  const pid = Number(p.read('slow.pid').trim());
  strays.push(pid);
  return pid;
}

/** Starts a repro, waits until its `slow` stage runs, and SIGKILLs the orchestrator; returns the stage's pid. */
async function killDuringSlowStage(p: Project): Promise<number> {
  const bg = p.start(['repro']);
  await waitFor(() => p.exists('started'), 'the stage to start');
  const pid = stagePid(p);
  bg.child.kill('SIGKILL');
  await bg.result;
  return pid;
}

describe('one repro per workspace', () => {
  it('a second repro with --no-wait fails with exit 2 and a clear message while the first runs', async () => {
    const p = createProject({ 'pipeline.yaml': blockingPipeline });
    const first = p.start(['repro']);
    await waitFor(() => p.exists('started'), 'the stage to start');
    stagePid(p);

    const second = await p.run(['repro', '--no-wait']);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/another orchestrator .*pid \d+/i);
    expect(p.runs('slow')).toBe(1);

    p.write('release', '');
    const r = await first.result;
    expect(r.code).toBe(0);
    expect(p.counts('slow', 'after')).toEqual({ slow: 1, after: 1 });
  });

  it('a second repro waits for the first and then runs nothing again', async () => {
    const p = createProject({ 'pipeline.yaml': blockingPipeline });
    const first = p.start(['repro']);
    await waitFor(() => p.exists('started'), 'the stage to start');
    stagePid(p);
    const second = p.start(['repro']);
    await waitFor(() => /waiting/i.test(second.stderr()), 'the second repro to say it waits');
    p.write('release', '');
    const [r1, r2] = await Promise.all([first.result, second.result]);
    expect(r1.code).toBe(0);
    expect(r2.code).toBe(0);
    expect(r2.stderr).toMatch(/waiting/i);
    expect(p.counts('slow', 'after')).toEqual({ slow: 1, after: 1 });
    expect(Object.keys(p.lock().stages).sort()).toEqual(['after', 'slow']);
  });

  // The waiting command must read pipeline.lock only once it holds the workspace lock; otherwise
  // it works from (and writes back) the state from before the first repro committed.
  it('a repro that waited does not drop lock entries the first repro wrote meanwhile', async () => {
    const p = createProject({
      'pipeline.yaml': blockingPipeline + yamlLines('  other:', `    cmd: ${tick('other')} && echo other > other.txt`, '    outs: [other.txt]'),
    });
    const first = p.start(['repro', 'after']);
    await waitFor(() => p.exists('started'), 'the stage to start');
    stagePid(p);
    const second = p.start(['repro', 'other']);
    await waitFor(() => /waiting/i.test(second.stderr()), 'the second repro to say it waits');
    p.write('release', '');
    const [r1, r2] = await Promise.all([first.result, second.result]);
    expect(r1.code).toBe(0);
    expect(r2.code).toBe(0);
    expect(p.counts('slow', 'after', 'other')).toEqual({ slow: 1, after: 1, other: 1 });
    expect(Object.keys(p.lock().stages).sort()).toEqual(['after', 'other', 'slow']);
    const status = await p.runOk(['status']);
    expect(status.stdout).toMatch(/Everything is up to date/);
  });

  it('gc that waited for a repro keeps the objects of the outputs that repro committed', async () => {
    const p = createProject({ 'pipeline.yaml': blockingPipeline });
    const first = p.start(['repro']);
    await waitFor(() => p.exists('started'), 'the stage to start');
    stagePid(p);
    const gc = p.start(['gc', '--keep-runs', '0']);
    await waitFor(() => /waiting/i.test(gc.stderr()), 'gc to say it waits');
    p.write('release', '');
    const [r1, r2] = await Promise.all([first.result, gc.result]);
    expect(r1.code).toBe(0);
    expect(r2.code).toBe(0);
    p.remove('slow.txt');
    p.remove('after.txt');
    const co = await p.run(['checkout']);
    expect(co.code, co.stdout + co.stderr).toBe(0);
    expect(p.read('after.txt')).toBe('done\n');
    expect(p.counts('slow', 'after')).toEqual({ slow: 1, after: 1 });
  });
});

describe('interruption', () => {
  it('SIGINT stops the running stage, commits nothing, exits 130; the next repro runs it again', async () => {
    const p = createProject({ 'pipeline.yaml': blockingPipeline });
    const bg = p.start(['repro']);
    await waitFor(() => p.exists('started'), 'the stage to start');
    const pid = stagePid(p);
    bg.child.kill('SIGINT');
    const r = await bg.result;
    expect(r.code).toBe(130);
    expect(isAlive(pid), 'the stage process must be stopped').toBe(false);
    expect(p.exists('slow.txt')).toBe(false);
    expect(p.lockText() ?? '').not.toMatch(/slow/);
    expect(p.runs('after')).toBe(0);
    expect(await reproLockHolder(p.abs('.orchestrator/repro.lock'))).toBeUndefined();

    await p.runOk(['repro']);
    expect(p.counts('slow', 'after')).toEqual({ slow: 2, after: 1 });
    expect(p.read('after.txt')).toBe('done\n');
  });

  it('after the orchestrator is killed, the stage keeps running; the next repro takes over the lock and adopts it', async () => {
    const p = createProject({ 'pipeline.yaml': blockingPipeline });
    const pid = await killDuringSlowStage(p);
    expect(await reproLockHolder(p.abs('.orchestrator/repro.lock'))).toBeDefined();
    // A local stage runs in its own process group and session: the orchestrator's death leaves it running.
    expect(isAlive(pid), 'the stage outlives the orchestrator').toBe(true);

    const status = await p.runOk(['status']);
    expect(status.stdout).toMatch(/slow: will run\n(\s+.*\n)*\s+an earlier run was interrupted/);

    const next = p.start(['repro', '--no-wait']);
    await waitFor(() => /reattached/.test(p.listFiles('.orchestrator/logs').map((f) => p.read(`.orchestrator/logs/${f}`)).join('')), 'the next repro to adopt the stage');
    p.write('release', '');
    const r = await next.result;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(p.counts('slow', 'after')).toEqual({ slow: 1, after: 1 });
    expect(Object.keys(p.lock().stages).sort()).toEqual(['after', 'slow']);
    await p.runOk(['repro']);
    expect(p.counts('slow', 'after')).toEqual({ slow: 1, after: 1 });
  });

  it('a stage process that ignores SIGTERM, left by a killed orchestrator, is killed by the next repro when its command changed', async () => {
    const stubborn = blockingPipeline.replace(`cmd: ${tick('slow')} && `, `cmd: trap "" TERM && ${tick('slow')} && `);
    expect(stubborn).not.toBe(blockingPipeline);
    const p = createProject({ 'pipeline.yaml': stubborn });
    const pid = await killDuringSlowStage(p);
    expect(isAlive(pid), 'the stage outlives the orchestrator').toBe(true);
    p.write('pipeline.yaml', stubborn.replace('echo done > slow.txt', 'echo done  > slow.txt'));
    const r = await p.run(['repro', '--no-wait']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(isAlive(pid), 'the next repro must stop it (SIGKILL after the grace period)').toBe(false);
    expect(p.counts('slow', 'after')).toEqual({ slow: 2, after: 1 });
  });
});

describe('parallelism and outputs', () => {
  it('-j 2 runs independent stages at the same time', async () => {
    // Each stage waits (bounded) until the other has started: only a parallel run finishes both quickly.
    const waitOther = (me: string, other: string) =>
      `touch ${me}.started && i=0 && while [ ! -e ${other}.started ] && [ $i -lt 500 ]; do i=$((i+1)); sleep 0.02; done && [ -e ${other}.started ] && echo ok > ${me}.txt`;
    const p = createProject({
      'pipeline.yaml': yamlLines('stages:', '  p1:', `    cmd: ${waitOther('p1', 'p2')}`, '    outs: [p1.txt]', '  p2:', `    cmd: ${waitOther('p2', 'p1')}`, '    outs: [p2.txt]'),
    });
    await p.runOk(['repro', '-j', '2']);
    expect(p.read('p1.txt')).toBe('ok\n');
    expect(p.read('p2.txt')).toBe('ok\n');
  });

  it('keeps every output line in the log; streams it, prefixed by stage name, only with -v', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines('stages:', '  talk:', '    cmd: echo hello-out && echo hello-err >&2 && echo x > t.txt', '    outs: [t.txt]'),
    });
    const quiet = await p.runOk(['repro']);
    expect(quiet.lines).not.toContain('talk | hello-out');
    const logs = p.listFiles('.orchestrator/logs');
    expect(logs.length).toBe(1);
    expect(p.read(`.orchestrator/logs/${logs[0]}`)).toMatch(/hello-out\nhello-err/);
    const logged = await p.runOk(['logs', 'talk']);
    expect(logged.stdout).toMatch(/hello-out/);

    const loud = await p.runOk(['repro', '-f', '-v']);
    expect(loud.lines).toContain('talk | hello-out');
    expect(loud.lines).toContain('talk | hello-err');
    expect((await p.runOk(['logs', 'talk', '--list'])).stdout.trim().split('\n')).toHaveLength(2);
  });

  it('a failing stage shows the tail of its output even without -v', async () => {
    const p = createProject({ 'pipeline.yaml': yamlLines('stages:', '  bad:', '    cmd: echo first && echo last words >&2 && exit 3', '    outs: [b.txt]') });
    const r = await p.run(['repro']);
    expect(r.code).toBe(1);
    expect(r.lines).toContain('bad | first');
    expect(r.lines).toContain('bad | last words');
  });

  it('a failed stage names its log file', async () => {
    const p = createProject({ 'pipeline.yaml': yamlLines('stages:', '  bad:', '    cmd: echo about to fail && exit 4', '    outs: [b.txt]') });
    const r = await p.run(['repro']);
    expect(r.code).toBe(1);
    const line = stageLines(r, 'bad').find((l) => l.includes('failed'))!;
    const m = /log: (\S+)/.exec(line);
    expect(m, line).not.toBeNull();
    expect(p.read(m![1]!)).toMatch(/about to fail/);
  });

  it('outputs are removed before a stage runs, so stale files do not survive', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines('stages:', '  gen:', `    cmd: ${tick('gen')} && mkdir -p dir && for f in $(cat names.txt); do echo $f > dir/$f; done`, '    deps: [names.txt]', '    outs: [dir]'),
      'names.txt': 'a b c\n',
    });
    await p.runOk(['repro']);
    expect(p.listFiles('dir')).toEqual(['a', 'b', 'c']);
    p.write('names.txt', 'a d\n');
    await p.runOk(['repro']);
    expect(p.listFiles('dir')).toEqual(['a', 'd']);
  });

  it('persist: true keeps the output in place while the stage runs', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines('stages:', '  acc:', `    cmd: ${tick('acc')} && cat in.txt >> history.txt`, '    deps: [in.txt]', '    outs: [{history.txt: {persist: true}}]'),
      'in.txt': 'one\n',
    });
    await p.runOk(['repro']);
    p.write('in.txt', 'two\n');
    await p.runOk(['repro']);
    expect(p.read('history.txt')).toBe('one\ntwo\n');
  });

  it('cache: false outputs are not restored from the cache: deleting one reruns the stage', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines('stages:', '  nc:', `    cmd: ${tick('nc')} && echo big > big.bin`, '    outs: [{big.bin: {cache: false}}]'),
    });
    await p.runOk(['repro']);
    const out = p.lock().stages.nc!.outs![0]!;
    expect(out).toMatchObject({ path: 'big.bin', cache: false });
    expect(p.listFiles('.orchestrator/cache').join('\n')).not.toContain(out.hash.slice(2, 20));
    await p.runOk(['repro']);
    expect(p.runs('nc')).toBe(1);
    p.remove('big.bin');
    const status = await p.runOk(['status']);
    expect(status.stdout).toMatch(/nc: will run/);
    await p.runOk(['repro']);
    expect(p.runs('nc')).toBe(2);
    expect(p.read('big.bin')).toBe('big\n');
  });

  it('metrics are outputs too: tracked in the lock and restored', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines('stages:', '  ev:', `    cmd: ${tick('ev')} && echo acc=0.9 > metrics.yaml`, '    metrics: [metrics.yaml]'),
    });
    await p.runOk(['repro']);
    expect(p.lock().stages.ev!.outs!.map((o) => o.path)).toEqual(['metrics.yaml']);
    p.remove('metrics.yaml');
    await p.runOk(['repro']);
    expect(p.runs('ev')).toBe(1);
    expect(p.read('metrics.yaml')).toBe('acc=0.9\n');
  });
});
