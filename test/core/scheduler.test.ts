import { describe, expect, it } from 'vitest';
import { schedule, type NodeOutcome, type Slot } from '../../src/schedule/scheduler.js';

/** Nodes that finish when the test says so, recording start order and peak concurrency. */
function controlled() {
  const started: string[] = [];
  const finish = new Map<string, (o: NodeOutcome) => void>();
  let running = 0;
  let peak = 0;
  const run = (name: string) =>
    new Promise<NodeOutcome>((resolve) => {
      started.push(name);
      peak = Math.max(peak, ++running);
      finish.set(name, (o) => {
        running--;
        resolve(o);
      });
    });
  const tick = () => new Promise((r) => setImmediate(r));
  return { started, finish, run, tick, peak: () => peak };
}

const opts = (over = {}) => ({ jobs: 2, keepGoing: false, signal: new AbortController().signal, ...over });

describe('schedule', () => {
  it('runs independent nodes concurrently up to jobs, respecting dependencies', async () => {
    const c = controlled();
    const ups = new Map([['d', ['a', 'b', 'c']]]);
    const done = schedule(['a', 'b', 'c', 'd'], ups, c.run, opts());
    await c.tick();
    expect(c.started).toEqual(['a', 'b']);
    c.finish.get('a')!('succeeded');
    await c.tick();
    expect(c.started).toEqual(['a', 'b', 'c']);
    c.finish.get('b')!('succeeded');
    c.finish.get('c')!('succeeded');
    await c.tick();
    expect(c.started).toEqual(['a', 'b', 'c', 'd']);
    c.finish.get('d')!('succeeded');
    const r = await done;
    expect(c.peak()).toBe(2);
    expect([...r.outcomes.values()].every((o) => o === 'succeeded')).toBe(true);
  });

  it('a node that gives its slot back early lets the next one start while it finishes; dependents still wait for it', async () => {
    const c = controlled();
    const slots = new Map<string, Slot>();
    const run = (name: string, slot: Slot) => {
      slots.set(name, slot);
      return c.run(name);
    };
    const ups = new Map([['d', ['a']]]);
    const done = schedule(['a', 'b', 'c', 'd', 'e'], ups, run, opts());
    await c.tick();
    expect(c.started).toEqual(['a', 'b']);
    slots.get('a')!.release();
    slots.get('a')!.release(); // idempotent: frees one slot, not two
    await c.tick();
    expect(c.started).toEqual(['a', 'b', 'c']);
    // b gives its slot back too: e starts; d still waits for a.
    slots.get('b')!.release();
    await c.tick();
    expect(c.started).toEqual(['a', 'b', 'c', 'e']);
    c.finish.get('a')!('succeeded');
    await c.tick();
    // a ended: d is ready, but c and e hold both slots.
    expect(c.started).toEqual(['a', 'b', 'c', 'e']);
    c.finish.get('c')!('succeeded');
    await c.tick();
    expect(c.started).toEqual(['a', 'b', 'c', 'e', 'd']);
    for (const n of ['b', 'd', 'e']) c.finish.get(n)!('succeeded');
    const r = await done;
    expect([...r.outcomes.values()].every((o) => o === 'succeeded')).toBe(true);
  });

  it('without keep-going, a failure starts nothing new but lets running nodes finish', async () => {
    const c = controlled();
    const done = schedule(['a', 'b', 'c'], new Map(), c.run, opts());
    await c.tick();
    c.finish.get('a')!('failed');
    await c.tick();
    expect(c.started).toEqual(['a', 'b']);
    c.finish.get('b')!('succeeded');
    const r = await done;
    expect(r.outcomes.get('b')).toBe('succeeded');
    expect(r.notStarted.get('c')).toEqual({ reason: 'stopped' });
  });

  it('with keep-going, skips only dependents of the failure', async () => {
    const c = controlled();
    const ups = new Map([['b', ['a']], ['c', ['b']]]);
    const done = schedule(['a', 'b', 'c', 'x'], ups, c.run, opts({ keepGoing: true, jobs: 1 }));
    await c.tick();
    c.finish.get('a')!('failed');
    await c.tick();
    expect(c.started).toEqual(['a', 'x']);
    c.finish.get('x')!('succeeded');
    const r = await done;
    expect(r.notStarted.get('b')).toEqual({ reason: 'upstream-failed', upstream: 'a' });
    expect(r.notStarted.get('c')).toEqual({ reason: 'upstream-failed', upstream: 'a' });
  });

  it('dependents of a cancelled node never started because it was cancelled, not because it failed', async () => {
    const c = controlled();
    const ups = new Map([['b', ['a']], ['c', ['b']]]);
    const done = schedule(['a', 'b', 'c'], ups, c.run, opts());
    await c.tick();
    c.finish.get('a')!('cancelled');
    const r = await done;
    expect(r.outcomes.get('a')).toBe('cancelled');
    expect(r.notStarted.get('b')).toEqual({ reason: 'upstream-cancelled', upstream: 'a' });
    expect(r.notStarted.get('c')).toEqual({ reason: 'upstream-cancelled', upstream: 'a' });
  });

  it('stops starting nodes once aborted', async () => {
    const c = controlled();
    const ac = new AbortController();
    const done = schedule(['a', 'b'], new Map(), c.run, opts({ jobs: 1, signal: ac.signal }));
    await c.tick();
    ac.abort();
    await c.tick();
    c.finish.get('a')!('cancelled');
    const r = await done;
    expect(c.started).toEqual(['a']);
    expect(r.notStarted.get('b')).toEqual({ reason: 'stopped' });
  });
});

describe('schedule with resources', () => {
  it('never exceeds a capacity, backfilling smaller nodes, and records peak usage within limits', async () => {
    const demand: Record<string, Record<string, number>> = {
      big: { cpus: 2, vivado_license: 1 },
      lic1: { vivado_license: 1 },
      lic2: { vivado_license: 1 },
      small: { cpus: 1 },
    };
    const capacity = { cpus: 2, vivado_license: 1 };
    const c = controlled();
    const usage: Record<string, number> = {};
    const peak: Record<string, number> = {};
    const run = async (name: string) => {
      for (const [k, v] of Object.entries(demand[name] ?? {})) {
        usage[k] = (usage[k] ?? 0) + v;
        peak[k] = Math.max(peak[k] ?? 0, usage[k]!);
      }
      const outcome = await c.run(name);
      for (const [k, v] of Object.entries(demand[name] ?? {})) usage[k]! -= v;
      return outcome;
    };
    const done = schedule(['big', 'lic1', 'lic2', 'small'], new Map(), run, opts({ jobs: 4, resources: { capacity, demand: (n: string) => demand[n] ?? {} } }));
    await c.tick();
    // big holds both cpus and the license: nothing else fits.
    expect(c.started).toEqual(['big']);
    c.finish.get('big')!('succeeded');
    await c.tick();
    // One license: lic1 starts, lic2 waits, small backfills.
    expect(c.started).toEqual(['big', 'lic1', 'small']);
    c.finish.get('lic1')!('succeeded');
    await c.tick();
    expect(c.started).toEqual(['big', 'lic1', 'small', 'lic2']);
    c.finish.get('lic2')!('succeeded');
    c.finish.get('small')!('succeeded');
    await done;
    expect(peak).toEqual({ cpus: 2, vivado_license: 1 });
  });
});

describe('schedule restart', () => {
  it('re-queues a node that asks to restart, without stopping or skipping anything', async () => {
    const c = controlled();
    const ups = new Map([['after', ['a']]]);
    const done = schedule(['a', 'b', 'after'], ups, c.run, opts({ jobs: 2 }));
    await c.tick();
    expect(c.started).toEqual(['a', 'b']);
    c.finish.get('a')!('restart');
    await c.tick();
    expect(c.started).toEqual(['a', 'b', 'a']);
    c.finish.get('a')!('succeeded');
    c.finish.get('b')!('succeeded');
    await c.tick();
    c.finish.get('after')!('succeeded');
    const r = await done;
    expect([...r.outcomes.values()]).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(r.notStarted.size).toBe(0);
  });
});
