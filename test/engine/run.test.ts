/**
 * The run lifecycle in-process: the real engine (planning, scheduling, commit, lock, run record)
 * against a temp workspace, with the FakeExecutor test double in place of real commands. Every wait
 * is on a promise (an execution starting, being cancelled, the run ending); nothing sleeps.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ReproEvent } from '../../src/engine/events.js';
import { observeStage } from '../../src/engine/observe.js';
import { loadProject, type Project } from '../../src/engine/project.js';
import type { ReproOptions } from '../../src/engine/repro.js';
import { startRun, WorkspaceRun, type ActiveRun } from '../../src/engine/run.js';
import type { Workspace } from '../../src/engine/workspace.js';
import type { Executor } from '../../src/exec/executor.js';
import type { ExecutorKind } from '../../src/model/stage.js';
import { RunningMarkers } from '../../src/workspace/running-markers.js';
import { FakeExecutor } from './fake-executor.js';
import { tempWorkspace } from './temp-workspace.js';

/** A temp workspace with these files, its resolved project, and a FakeExecutor as its only executor. */
async function rig(files: Record<string, string>) {
  const { root, ws, write } = await tempWorkspace('orchestrator-engine-', files);
  const fake = new FakeExecutor(root);
  const executors = new Map<ExecutorKind, Executor>([['local', fake]]);
  const events: ReproEvent[] = [];
  const load = (): Project => {
    const loaded = loadProject(root);
    if (!loaded.ok) throw new Error(loaded.error.diagnostics.map((d) => d.message).join('\n'));
    return loaded.value;
  };
  const start = async (opts: Partial<ReproOptions> & { selected?: string[]; project?: Project } = {}): Promise<ActiveRun> => {
    const { pipeline, graph } = opts.project ?? load();
    const run = await WorkspaceRun.open({ ws, pipeline, graph, selected: opts.selected ?? graph.order, executors, argv: ['test'] });
    return startRun(run, { force: false, jobs: 4, keepGoing: false, useRunCache: true, signal: new AbortController().signal, ...opts }, (e) => events.push(e));
  };
  const statusOf = (stage: string) =>
    events.filter((e) => 'stage' in e && e.stage === stage && e.type !== 'stage-output' && e.type !== 'stage-planned').map((e) => e.type);
  return { root, ws, fake, events, write, load, start, statusOf };
}

/** a -> b (b reads a's output); c is independent. */
const chain = {
  'pipeline.yaml': [
    'stages:',
    '  a:',
    '    cmd: make a',
    '    outs: [a.txt]',
    '  b:',
    '    cmd: make b',
    '    deps: [a.txt]',
    '    outs: [b.txt]',
    '  c:',
    '    cmd: make c',
    '    outs: [c.txt]',
    '',
  ].join('\n'),
};

describe('engine: ordering and parallelism', () => {
  it('starts a stage only after its upstream committed, and never more than -j at once', async () => {
    const r = await rig(chain);
    const active = await r.start({ jobs: 1 });
    const a = await r.fake.started('a');
    a.write({ 'a.txt': 'A' }).exit(0);
    const next = await r.fake.started();
    next.write({ [`${next.stage}.txt`]: next.stage }).exit(0);
    const last = await r.fake.started();
    last.write({ [`${last.stage}.txt`]: last.stage }).exit(0);
    const result = await active.done;
    expect(result.status).toBe('succeeded');
    expect(r.fake.mostAtOnce).toBe(1);
    const order = r.events.filter((e) => e.type === 'stage-started' || e.type === 'stage-succeeded').map((e) => `${e.type.slice(6)} ${'stage' in e ? e.stage : ''}`);
    expect(order.indexOf('succeeded a')).toBeLessThan(order.indexOf('started b'));
    expect(r.ws.lock.get('b')).toBeDefined();
    expect(result.summary).toBe('3 ran');
    // The run record says the same.
    const record = JSON.parse(readFileSync(result.recordFile, 'utf8')) as { status: string; stages: Record<string, { status: string }> };
    expect(record.status).toBe('succeeded');
    expect(Object.values(record.stages).map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  });

  it('keeps output lines in the stage log and reports them as events', async () => {
    const r = await rig(chain);
    const active = await r.start({ selected: ['a'] });
    const a = await r.fake.started('a');
    a.emit('synthesizing');
    a.emit('warning: timing', 'stderr');
    a.write({ 'a.txt': 'A' }).exit(0);
    await active.done;
    expect(r.events.filter((e) => e.type === 'stage-output').map((e) => (e.type === 'stage-output' ? `${e.stream}: ${e.line}` : ''))).toEqual([
      'stdout: synthesizing',
      'stderr: warning: timing',
    ]);
    const log = readFileSync(a.req!.logFile, 'utf8');
    expect(log).toContain('synthesizing\nwarning: timing\n');
  });
});

describe('engine: failures', () => {
  it('a failed stage commits nothing, its dependents are not started, and nothing new starts without keep-going', async () => {
    const r = await rig(chain);
    const active = await r.start({ jobs: 1 });
    const a = await r.fake.started('a');
    a.exit(2);
    const result = await active.done;
    expect(result.status).toBe('failed');
    expect(r.ws.lock.get('a')).toBeUndefined();
    expect(r.events.find((e) => e.type === 'stage-failed')).toMatchObject({ stage: 'a', failure: { kind: 'exit-code', code: 2 } });
    expect(r.events.filter((e) => e.type === 'stage-not-started').map((e) => (e.type === 'stage-not-started' ? [e.stage, e.why.reason] : []))).toEqual([
      ['b', 'upstream-failed'],
      ['c', 'stopped'],
    ]);
    expect(r.fake.executions.map((e) => e.stage)).toEqual(['a']);
  });

  it('with keep-going, everything not downstream of the failure still runs', async () => {
    const r = await rig(chain);
    const active = await r.start({ jobs: 1, keepGoing: true });
    (await r.fake.started('a')).exit(1);
    (await r.fake.started('c')).write({ 'c.txt': 'C' }).exit(0);
    const result = await active.done;
    expect(result.status).toBe('failed');
    expect(r.statusOf('c')).toEqual(['stage-started', 'stage-succeeded']);
    expect(r.statusOf('b')).toEqual(['stage-not-started']);
  });

  it('a command that exits 0 without creating its declared output fails the stage', async () => {
    const r = await rig(chain);
    const active = await r.start({ selected: ['a'] });
    (await r.fake.started('a')).exit(0);
    expect((await active.done).status).toBe('failed');
    const failed = r.events.find((e) => e.type === 'stage-failed');
    expect(failed?.type === 'stage-failed' && failed.failure).toEqual({ kind: 'missing-output', paths: ['a.txt'] });
  });

  it('a pre-flight problem an executor reports is data (the run never starts)', async () => {
    const { preflight } = await import('../../src/engine/preflight.js');
    const r = await rig(chain);
    const project = r.load();
    const picky = new FakeExecutor(r.root, (stages) => stages.map((s) => ({ code: 'invalid-value' as const, message: `stage "${s.name}": no` })));
    const problems = await preflight(project.pipeline.stages, new Map([['local', picky]]), {});
    expect(problems.map((d) => d.message)).toEqual(['stage "a": no', 'stage "b": no', 'stage "c": no']);
    expect(picky.executions).toEqual([]);
  });
});

describe('engine: cancellation', () => {
  it('an interrupt cancels the running stage, commits nothing and ends the run as interrupted', async () => {
    const r = await rig(chain);
    const interrupt = new AbortController();
    const active = await r.start({ signal: interrupt.signal, jobs: 1 });
    const a = await r.fake.started('a');
    a.write({ 'a.txt': 'half' });
    interrupt.abort();
    await a.cancelled;
    const result = await active.done;
    expect(result.status).toBe('interrupted');
    expect(r.statusOf('a')).toEqual(['stage-started', 'stage-cancelled']);
    expect(r.ws.lock.get('a')).toBeUndefined();
    expect(r.fake.executions.map((e) => e.stage)).toEqual(['a']);
  });
});

describe('engine: adoption after a crash', () => {
  /** A running marker as a dead orchestrator (another pid) leaves it. */
  function deadRunMarker(ws: Workspace, stage: string, handleId: string, fingerprint: string): void {
    const journal = new RunningMarkers(ws.layout.running, 'dead-run');
    journal.write({ stage, runId: 'dead-run', pid: 2 ** 22 + 1, executor: 'local', handleId, started: new Date().toISOString(), fingerprint });
    journal.close();
  }

  async function fingerprintOf(r: Awaited<ReturnType<typeof rig>>, stage: string): Promise<string> {
    const s = r.load().graph.stages.get(stage)!;
    const environment = { ok: true as const, value: { id: 'host', env: {}, tools: {} } };
    return (await observeStage(s, { ws: r.ws, environment, interrupted: false, useRunCache: false })).fingerprint!.key;
  }

  it('adopts a dead run\'s execution of a stage whose inputs are unchanged: no new start, outputs committed', async () => {
    const r = await rig(chain);
    deadRunMarker(r.ws, 'a', '4242', await fingerprintOf(r, 'a'));
    const orphan = r.fake.orphan('a', '4242');
    const active = await r.start({ selected: ['a'] });
    const adopted = await r.fake.started('a');
    expect(adopted).toBe(orphan);
    expect(r.fake.kept).toEqual([['4242']]);
    adopted.write({ 'a.txt': 'A' }).exit(0);
    expect((await active.done).status).toBe('succeeded');
    expect(r.fake.starts('a')).toBe(0);
    expect(r.ws.lock.get('a')).toBeDefined();
    expect(readFileSync(adopted.req!.logFile, 'utf8')).toContain('# reattached to 4242, started by run dead-run');
  });

  it('stops a dead run\'s execution whose inputs changed, and runs the stage afresh', async () => {
    const r = await rig(chain);
    deadRunMarker(r.ws, 'a', '4242', 'an older fingerprint');
    const orphan = r.fake.orphan('a', '4242');
    const active = await r.start({ selected: ['a'] });
    const fresh = await r.fake.started('a');
    expect(fresh).not.toBe(orphan);
    await orphan.cancelled;
    expect(r.fake.cleanedUp.map((m) => m.handleId)).toEqual(['4242']);
    fresh.write({ 'a.txt': 'A' }).exit(0);
    expect((await active.done).status).toBe('succeeded');
    expect(r.fake.starts('a')).toBe(1);
  });

  it('stops a dead run\'s execution of a stage this run does not select, before anything starts', async () => {
    const r = await rig(chain);
    deadRunMarker(r.ws, 'c', '99', await fingerprintOf(r, 'c'));
    const orphan = r.fake.orphan('c', '99');
    const active = await r.start({ selected: ['a'] });
    const a = await r.fake.started('a');
    expect(orphan.cancelCalls).toBe(1);
    expect(r.fake.cleanedUp.map((m) => m.stage)).toEqual(['c']);
    a.write({ 'a.txt': 'A' }).exit(0);
    await active.done;
    expect(r.fake.adopted).toEqual([]);
  });
});

describe('engine: controls a watch pass uses', () => {
  const withParam = {
    'params.yaml': 'x: 1\ny: 1\n',
    'pipeline.yaml': [
      'stages:',
      '  a:',
      '    cmd: echo ${x} > a.txt',
      '    params: [x]',
      '    outs: [a.txt]',
      '  b:',
      '    cmd: echo ${y} > b.txt',
      '    params: [y]',
      '    outs: [b.txt]',
      '',
    ].join('\n'),
  };

  it('restart + replace: the restarted stage runs the freshly resolved command, others keep running', async () => {
    const r = await rig(withParam);
    const active = await r.start();
    const a1 = await r.fake.started('a');
    const b1 = await r.fake.started('b');
    expect(a1.cmd).toEqual(['echo 1 > a.txt']);
    r.write({ 'params.yaml': 'x: 2\ny: 1\n' });
    const fresh = r.load();
    active.replace(fresh.pipeline, fresh.graph);
    active.restart(['a']);
    await a1.cancelled;
    const a2 = await r.fake.started('a');
    expect(a2.cmd).toEqual(['echo 2 > a.txt']);
    a2.write({ 'a.txt': '2\n' }).exit(0);
    b1.write({ 'b.txt': '1\n' }).exit(0);
    const result = await active.done;
    expect(result.status).toBe('succeeded');
    expect(b1.cancelCalls).toBe(0);
    expect(r.ws.lock.get('a')?.params).toEqual({ 'params.yaml': { x: 2 } });
    // Nothing is left to do: the restart ran with the new value.
    const again = await r.start({ project: fresh });
    expect((await again.done).summary).toBe('2 up to date');
  });

  it('drain: running stages finish and commit, nothing new starts', async () => {
    const r = await rig(chain);
    const active = await r.start({ jobs: 1 });
    const a = await r.fake.started('a');
    active.drain();
    a.write({ 'a.txt': 'A' }).exit(0);
    const result = await active.done;
    expect(result.status).toBe('succeeded');
    expect(r.ws.lock.get('a')).toBeDefined();
    expect(r.fake.executions.map((e) => e.stage)).toEqual(['a']);
    expect(r.statusOf('b')).toEqual(['stage-not-started']);
  });
});
