import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProjects, createProject, yamlLines } from './harness.js';

afterEach(cleanupProjects);

/** Each stage appends `start NAME` / `end NAME` around a short piece of work to one shared file. */
const work = (name: string) => `echo start ${name} >> events && sleep 0.3 && echo end ${name} >> events && echo ${name} > ${name}.out`;

/** Peak number of stages between start and end at once, and the peak of a named set. */
function peaks(events: string, members?: Set<string>): number {
  let now = 0;
  let peak = 0;
  for (const line of events.trim().split('\n')) {
    const [what, name] = line.split(' ');
    if (members && !members.has(name!)) continue;
    now += what === 'start' ? 1 : -1;
    peak = Math.max(peak, now);
  }
  return peak;
}

describe('resources', () => {
  it('never runs more license holders than the capacity, while other stages still overlap', async () => {
    const stages = ['l1', 'l2', 'l3', 'l4', 'free1', 'free2'];
    const p = createProject({
      'pipeline.yaml': yamlLines(
        'resources: {vivado_license: 2}',
        'stages:',
        ...stages.flatMap((s) => [
          `  ${s}:`,
          `    cmd: ${work(s)}`,
          `    outs: [${s}.out]`,
          ...(s.startsWith('l') ? ['    resources: {vivado_license: 1}'] : []),
        ]),
      ),
    });
    await p.runOk(['repro', '-j', '6']);
    const events = p.read('events');
    expect(peaks(events, new Set(['l1', 'l2', 'l3', 'l4']))).toBe(2);
    expect(peaks(events)).toBeGreaterThan(2);
  });

  it('--resources overrides the declared capacity', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines(
        'resources: {tok: 3}',
        'stages:',
        ...['a', 'b', 'c'].flatMap((s) => [`  ${s}:`, `    cmd: ${work(s)}`, `    outs: [${s}.out]`, '    resources: {tok: 1}']),
      ),
    });
    await p.runOk(['repro', '-j', '3', '--resources', 'tok=1']);
    expect(peaks(p.read('events'))).toBe(1);
  });

  it('dependent stages never overlap', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines(
        'stages:',
        `  first:`,
        `    cmd: ${work('first')}`,
        '    outs: [first.out]',
        `  second:`,
        `    cmd: ${work('second')}`,
        '    deps: [first.out]',
        '    outs: [second.out]',
      ),
    });
    await p.runOk(['repro', '-j', '4']);
    expect(p.read('events')).toBe('start first\nend first\nstart second\nend second\n');
  });

  it('a stage asking for more than the total, or for an undeclared resource, fails before anything runs (exit 2)', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines(
        'resources: {vivado_license: 1}',
        'stages:',
        '  big:',
        '    cmd: touch ran',
        '    outs: [ran]',
        '    resources: {vivado_license: 2, cpus: 1000}',
        '  typo:',
        '    cmd: touch ran2',
        '    outs: [ran2]',
        '    resources: {vivado_licence: 1}',
      ),
    });
    const r = await p.run(['repro']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/pipeline\.yaml:3:3: error: stage "big" requests vivado_license: 2, more than the 1 available/);
    expect(r.stderr).toMatch(/stage "big" requests cpus: 1000, more than the \d+ available/);
    expect(r.stderr).toMatch(/stage "typo" requests resource "vivado_licence", which has no capacity/);
    expect(p.exists('ran') || p.exists('ran2') || p.exists('pipeline.lock')).toBe(false);
    expect((await p.run(['repro', '--resources', 'bad'])).code).toBe(2);
  });
});
