/**
 * How a run says why a stage did not succeed: a typed failure kind in events and run records,
 * words only from the UI. Real CLI, real processes; synchronised on files the stages write.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { allOutput, cleanupProjects, createProject, tick, waitFor, yamlLines, type Project } from './harness.js';

afterEach(cleanupProjects);

function runRecord(p: Project): { status: string; stages: Record<string, { status: string; failure?: unknown; message?: string }> } {
  const dir = p.abs('.orchestrator/runs');
  const [file] = readdirSync(dir).sort().reverse();
  return JSON.parse(readFileSync(`${dir}/${file}`, 'utf8'));
}

describe('failure kinds', () => {
  it('after Ctrl-C, dependents of the cancelled stage say it was cancelled, not that it failed', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines(
        'stages:',
        '  train:',
        `    cmd: ${tick('train')} && touch started && while [ ! -e release ]; do sleep 0.02; done; echo m > model.txt`,
        '    outs: [model.txt]',
        '  eval:',
        `    cmd: ${tick('eval')} && cp model.txt eval.txt`,
        '    deps: [model.txt]',
        '    outs: [eval.txt]',
        '  report:',
        `    cmd: ${tick('report')} && cp eval.txt report.txt`,
        '    deps: [eval.txt]',
        '    outs: [report.txt]',
      ),
    });
    const bg = p.start(['repro']);
    await waitFor(() => p.exists('started'), 'train to start');
    bg.child.kill('SIGINT');
    const r = await bg.result;
    expect(r.code).toBe(130);
    const out = allOutput(r);
    expect(out).toMatch(/train: cancelled/);
    expect(out).toContain('eval: not run (upstream stage "train" was cancelled)');
    expect(out).toContain('report: not run (upstream stage "train" was cancelled)');
    expect(out).not.toMatch(/failed/);
    const record = runRecord(p);
    expect(record.stages.train).toMatchObject({ status: 'cancelled', failure: { kind: 'cancelled' } });
    expect(record.stages.eval).toMatchObject({ status: 'not-started', failure: { kind: 'upstream-cancelled', upstream: 'train' } });
    expect(record.stages.report).toMatchObject({ status: 'not-started', failure: { kind: 'upstream-cancelled', upstream: 'train' } });
  });

  it('a failed stage: its dependents say upstream failed; the record carries the exit code as data', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines(
        'stages:',
        '  train:',
        `    cmd: ${tick('train')} && exit 3`,
        '    outs: [model.txt]',
        '  eval:',
        `    cmd: ${tick('eval')} && cp model.txt eval.txt`,
        '    deps: [model.txt]',
        '    outs: [eval.txt]',
      ),
    });
    const r = await p.run(['repro']);
    expect(r.code).toBe(1);
    expect(allOutput(r)).toContain('train: failed: exited with code 3');
    expect(allOutput(r)).toContain('eval: not run (upstream stage "train" failed)');
    const record = runRecord(p);
    expect(record.stages.train).toMatchObject({ status: 'failed', exitCode: 3, failure: { kind: 'exit-code', code: 3 } });
    expect(record.stages.eval).toMatchObject({ status: 'not-started', failure: { kind: 'upstream-failed', upstream: 'train' } });
  });

  it('a declared output the command did not create is a missing-output failure', async () => {
    const p = createProject({ 'pipeline.yaml': yamlLines('stages:', '  s:', `    cmd: ${tick('s')}`, '    outs: [never.txt]') });
    const r = await p.run(['repro']);
    expect(r.code).toBe(1);
    expect(allOutput(r)).toContain('s: failed: the command did not create declared output "never.txt"');
    expect(runRecord(p).stages.s).toMatchObject({ status: 'failed', failure: { kind: 'missing-output', paths: ['never.txt'] } });
  });
});
