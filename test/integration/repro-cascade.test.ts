import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProjects, createProject, stageLines, tick, yamlLines } from './harness.js';

afterEach(cleanupProjects);

/** in.txt -> prepare -> transform (script dep) -> report */
const chain = () => ({
  'pipeline.yaml': yamlLines(
    'stages:',
    '  prepare:',
    `    cmd: ${tick('prepare')} && cp in.txt prepared.txt`,
    '    deps: [in.txt]',
    '    outs: [prepared.txt]',
    '  transform:',
    `    cmd: ${tick('transform')} && sh scripts/transform.sh`,
    '    deps: [scripts/transform.sh, prepared.txt]',
    '    outs: [transformed.txt]',
    '  report:',
    `    cmd: ${tick('report')} && wc -l < transformed.txt > report.txt && cat transformed.txt >> report.txt`,
    '    deps: [transformed.txt]',
    '    outs: [report.txt]',
  ),
  'in.txt': 'alpha\nbeta\n',
  'scripts/transform.sh': 'tr a-z A-Z < prepared.txt > transformed.txt\n',
});

describe('change propagation', () => {
  it('a dep content change cascades through three stages', async () => {
    const p = createProject(chain());
    await p.runOk(['repro']);
    expect(p.counts('prepare', 'transform', 'report')).toEqual({ prepare: 1, transform: 1, report: 1 });
    expect(p.read('report.txt').replace(/^\s+/, '')).toBe('2\nALPHA\nBETA\n');

    p.write('in.txt', 'alpha\nbeta\ngamma\n');
    const status = await p.runOk(['status']);
    expect(status.stdout).toMatch(/prepare: will run\n\s+dep modified: in\.txt/);
    expect(status.stdout).toMatch(/transform: will run[^]*upstream stage "prepare" will change/);

    await p.runOk(['repro']);
    expect(p.counts('prepare', 'transform', 'report')).toEqual({ prepare: 2, transform: 2, report: 2 });
    expect(p.read('report.txt').replace(/^\s+/, '')).toBe('3\nALPHA\nBETA\nGAMMA\n');

    await p.runOk(['repro']);
    expect(p.counts('prepare', 'transform', 'report')).toEqual({ prepare: 2, transform: 2, report: 2 });
  });

  it('a script change that keeps its output bytes reruns only its own stage', async () => {
    const p = createProject(chain());
    await p.runOk(['repro']);
    const lockBefore = p.lock();
    p.write('scripts/transform.sh', '# uppercase everything\ntr a-z A-Z < prepared.txt > transformed.txt\n');
    const r = await p.runOk(['repro']);
    expect(p.counts('prepare', 'transform', 'report')).toEqual({ prepare: 1, transform: 2, report: 1 });
    expect(stageLines(r, 'report')).toEqual(['report: up to date']);
    const lockAfter = p.lock();
    expect(lockAfter.stages.transform!.deps!.find((d) => d.path === 'scripts/transform.sh')!.hash).not.toBe(
      lockBefore.stages.transform!.deps!.find((d) => d.path === 'scripts/transform.sh')!.hash,
    );
    expect(lockAfter.stages.transform!.outs).toEqual(lockBefore.stages.transform!.outs);
    expect(lockAfter.stages.report).toEqual(lockBefore.stages.report);
  });

  it('a script change that changes its output reruns its stage and the downstream, not the upstream', async () => {
    const p = createProject(chain());
    await p.runOk(['repro']);
    p.write('scripts/transform.sh', 'sort -r prepared.txt > transformed.txt\n');
    await p.runOk(['repro']);
    expect(p.counts('prepare', 'transform', 'report')).toEqual({ prepare: 1, transform: 2, report: 2 });
    expect(p.read('report.txt').replace(/^\s+/, '')).toBe('2\nbeta\nalpha\n');
  });

  it('a byte-identical upstream output stops the cascade', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines(
        'stages:',
        '  first:',
        `    cmd: ${tick('first')} && head -n 1 in.txt > first.txt`,
        '    deps: [in.txt]',
        '    outs: [first.txt]',
        '  second:',
        `    cmd: ${tick('second')} && cat first.txt first.txt > second.txt`,
        '    deps: [first.txt]',
        '    outs: [second.txt]',
        '  third:',
        `    cmd: ${tick('third')} && wc -c < second.txt > third.txt`,
        '    deps: [second.txt]',
        '    outs: [third.txt]',
      ),
      'in.txt': 'keep\nold tail\n',
    });
    await p.runOk(['repro']);
    const lock = p.lockText();
    p.write('in.txt', 'keep\na different, longer tail\n');
    const r = await p.runOk(['repro']);
    expect(p.counts('first', 'second', 'third')).toEqual({ first: 2, second: 1, third: 1 });
    expect(stageLines(r, 'second')).toEqual(['second: up to date']);
    expect(stageLines(r, 'third')).toEqual(['third: up to date']);
    // Only the dep hash of `first` changed in the lock.
    const before = lock!.split('\n');
    const after = p.lockText()!.split('\n');
    expect(after.length).toBe(before.length);
    const changed = after.filter((l, i) => l !== before[i]);
    expect(changed.length).toBe(2); // in.txt hash and size
    expect(p.lock().stages.first!.deps![0]!.path).toBe('in.txt');
  });

  it('an unchanged dep rewritten with the same bytes does not rerun anything', async () => {
    const p = createProject(chain());
    await p.runOk(['repro']);
    p.write('in.txt', 'alpha\nbeta\n');
    await p.runOk(['repro']);
    expect(p.counts('prepare', 'transform', 'report')).toEqual({ prepare: 1, transform: 1, report: 1 });
  });

  it('a deleted dep fails the stage with a message naming it', async () => {
    const p = createProject(chain());
    await p.runOk(['repro']);
    p.remove('in.txt');
    const status = await p.runOk(['status']);
    expect(status.stdout).toMatch(/dep deleted: in\.txt/);
    const r = await p.run(['repro']);
    expect(r.code).toBe(1);
    expect(stageLines(r, 'prepare').join('\n')).toMatch(/failed.*in\.txt/);
    expect(p.counts('prepare', 'transform', 'report')).toEqual({ prepare: 1, transform: 1, report: 1 });
  });
});
