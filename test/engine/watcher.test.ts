/**
 * The watcher's state machine in-process: the real watcher, engine and pipeline loading against a
 * temp workspace, with the FakeExecutor test double for commands and a hand-driven file watch (the
 * test says which path changed). Every wait is on a promise: an execution starting or being
 * cancelled, a pass ending.
 */
import { describe, expect, it } from 'vitest';
import { loadRunTarget } from '../../src/engine/run-target.js';
import type { Executor } from '../../src/exec/executor.js';
import type { ExecutorKind } from '../../src/model/stage.js';
import { watch, type WatchEnd } from '../../src/watch/watcher.js';
import { FakeExecutor } from './fake-executor.js';
import { afterThisTest, tempWorkspace } from './temp-workspace.js';

async function watching(files: Record<string, string>) {
  const { root, ws, write } = await tempWorkspace('orchestrator-watcher-', files);
  const fake = new FakeExecutor(root);
  const executors = new Map<ExecutorKind, Executor>([['local', fake]]);
  const problems: string[] = [];
  let problemShown!: () => void;
  const problemReported = new Promise<void>((resolve) => (problemShown = resolve));
  const summaries: string[] = [];
  const passEnded: (() => void)[] = [];
  let changed: ((p: string) => void) | undefined;
  let watched!: () => void;
  const ready = new Promise<void>((resolve) => (watched = resolve));
  const stop = new AbortController();
  let state = 'idle';
  const becameIdle: (() => void)[] = [];
  const ended: Promise<WatchEnd> = watch({
    ws,
    executors,
    load: () => loadRunTarget({ root, targets: [], select: {}, executors, machine: { cpus: 4, mem_gb: 4 }, resourceOverrides: {} }),
    jobs: 4,
    keepGoing: false,
    debounceMs: 0,
    argv: ['watch'],
    signal: stop.signal,
    onState: (kind) => {
      state = kind;
      if (kind === 'idle') for (const resolve of becameIdle.splice(0)) resolve();
    },
    watchFiles: async (_root, _paths, onChange) => {
      changed = onChange;
      watched();
      return { close: async () => undefined };
    },
    ui: {
      problem: (p) => {
        problems.push(...p.diagnostics.map((d) => d.message));
        problemShown();
      },
      message: () => undefined,
      error: (e) => problems.push(`error: ${e.message}`),
      display: async () => ({
        onEvent: () => undefined,
        followsOutput: false,
        end: async (summary) => {
          summaries.push(summary);
          for (const resolve of passEnded.splice(0)) resolve();
        },
      }),
    },
  });
  afterThisTest(async () => {
    stop.abort();
    for (const e of fake.executions) void e.cancel();
    await ended;
  });
  return {
    fake,
    write,
    problems,
    summaries,
    ended,
    stop: () => stop.abort(),
    /** Resolves once the watcher watches files (after its first load). */
    ready,
    /** Resolves when the first problem with the pipeline has been shown. */
    problemReported,
    /** Tells the watcher `rel` changed (after writing it). */
    change: (rel: string, content: string) => {
      write({ [rel]: content });
      changed!(rel);
    },
    /** Resolves when the watcher is idle (at once if it is). */
    idle: () => (state === 'idle' ? Promise.resolve() : new Promise<void>((resolve) => becameIdle.push(resolve))),
    /** Resolves when the pass running now (or the next one) ends. */
    passEnd: () => new Promise<void>((resolve) => passEnded.push(resolve)),
  };
}

const twoStages = {
  'params.yaml': 'a: 1\nb: 1\n',
  'pipeline.yaml': [
    'stages:',
    '  pa:',
    '    cmd: echo ${a} > pa.txt',
    '    params: [a]',
    '    outs: [pa.txt]',
    '  pb:',
    '    cmd: echo ${b} > pb.txt',
    '    params: [b]',
    '    outs: [pb.txt]',
    '',
  ].join('\n'),
};

describe('watcher', () => {
  it('a params edit during a pass restarts only the stage tracking the key, with the new command; the pass that follows runs nothing', async () => {
    const w = await watching(twoStages);
    const pa1 = await w.fake.started('pa');
    const pb1 = await w.fake.started('pb');
    w.change('params.yaml', 'a: 2\nb: 1\n');
    await pa1.cancelled;
    const pa2 = await w.fake.started('pa');
    expect(pa2.cmd).toEqual(['echo 2 > pa.txt']);
    const first = w.passEnd();
    pa2.write({ 'pa.txt': '2\n' }).exit(0);
    pb1.write({ 'pb.txt': '1\n' }).exit(0);
    await first;
    // running-with-pending-changes: one more pass, which finds everything up to date.
    await w.passEnd();
    expect(w.summaries).toEqual(['2 ran', '2 up to date']);
    expect(pb1.cancelCalls).toBe(0);
    expect(w.fake.starts('pa')).toBe(2);
    await w.idle();
    w.stop();
    expect(await w.ended).toBe('idle');
  });

  it('a dep change while idle starts a pass that reruns only its reader', async () => {
    const w = await watching({
      'in.txt': '1',
      'pipeline.yaml': ['stages:', '  r:', '    cmd: cp in.txt r.txt', '    deps: [in.txt]', '    outs: [r.txt]', '  o:', '    cmd: touch o.txt', '    outs: [o.txt]', ''].join('\n'),
    });
    const first = w.passEnd();
    (await w.fake.started('r')).write({ 'r.txt': '1' }).exit(0);
    (await w.fake.started('o')).write({ 'o.txt': '' }).exit(0);
    await first;
    const second = w.passEnd();
    w.change('in.txt', '2');
    (await w.fake.started('r')).write({ 'r.txt': '2' }).exit(0);
    await second;
    expect(w.summaries).toEqual(['2 ran', '1 ran, 1 up to date']);
    await w.idle();
    w.stop();
    expect(await w.ended).toBe('idle');
  });

  it('a pipeline failing pre-flight is reported and runs nothing until fixed', async () => {
    const w = await watching({
      'pipeline.yaml': ['stages:', '  s:', '    cmd: touch s.txt', '    outs: [s.txt]', '    resources: {vivado_license: 1}', ''].join('\n'),
    });
    await w.problemReported;
    expect(w.problems).toEqual(['stage "s" requests resource "vivado_license", which has no capacity']);
    const pass = w.passEnd();
    w.change('pipeline.yaml', ['resources: {vivado_license: 1}', 'stages:', '  s:', '    cmd: touch s.txt', '    outs: [s.txt]', '    resources: {vivado_license: 1}', ''].join('\n'));
    (await w.fake.started('s')).write({ 's.txt': '' }).exit(0);
    await pass;
    expect(w.fake.starts('s')).toBe(1);
    expect(w.summaries).toEqual(['1 ran']);
    await w.idle();
    w.stop();
    expect(await w.ended).toBe('idle');
  });

  it('stopping during a pass interrupts it and ends as interrupted', async () => {
    const w = await watching(twoStages);
    const pa = await w.fake.started('pa');
    w.stop();
    await pa.cancelled;
    expect(await w.ended).toBe('interrupted');
  });
});
