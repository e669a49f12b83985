/**
 * The Slurm executor through the real CLI against the real single-node cluster (.ci/setup.sh):
 * stages run as jobs, outputs are cached, failures are reported with their exit code, a sweep
 * runs as jobs, Ctrl-C leaves nothing in the queue, and pre-flight catches what cannot work.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { allOutput, cleanupProjects, createProject, tick, waitFor, yamlLines, type Project } from '../integration/harness.js';
import { jobsOf, queuedJobsOf, requireSlurm, scancelAll } from './slurm-env.js';

const projects: Project[] = [];
beforeAll(() => requireSlurm());
afterEach(() => {
  for (const p of projects.splice(0)) scancelAll(p.dir);
  cleanupProjects();
});

function project(files: Record<string, string>): Project {
  const p = createProject(files);
  projects.push(p);
  return p;
}

describe('slurm executor', () => {
  it('runs stages as jobs, streams their output into the log, caches outputs; a second run is a no-op', async () => {
    const p = project({
      'pipeline.yaml': yamlLines(
        'defaults:',
        '  executor: slurm',
        '  slurm: {partition: debug, time: 5, setup: "export FROM_SETUP=set-up"}',
        'stages:',
        '  gen:',
        `    cmd: ["${tick('gen')}", "echo generating on $SLURM_JOB_ID; echo $GREETING $FROM_SETUP > a.txt"]`,
        '    env: {GREETING: hello}',
        '    outs: [a.txt]',
        '  use:',
        `    cmd: ${tick('use')} && cat a.txt a.txt > b.txt`,
        '    deps: [a.txt]',
        '    outs: [b.txt]',
        '    resources: {cpus: 1, mem_gb: 0.5}',
      ),
    });
    const first = await p.runOk(['repro']);
    expect(p.read('a.txt')).toBe('hello set-up\n');
    expect(p.read('b.txt')).toBe('hello set-up\nhello set-up\n');
    expect(p.counts('gen', 'use')).toEqual({ gen: 1, use: 1 });
    expect(jobsOf(p.dir).map((j) => j.state)).toEqual(['COMPLETED', 'COMPLETED']);
    const logsDir = p.abs('.orchestrator/logs');
    const log = readFileSync(path.join(logsDir, readdirSync(logsDir)[0]!, 'gen.log'), 'utf8');
    expect(log).toMatch(/^generating on \d+$/m);
    expect(log).toMatch(/^\[slurm\] submitted job \d+ to partition debug/m);
    expect(first.lines).toContain('2 ran' + first.lines.at(-1)!.slice('2 ran'.length));

    const second = await p.runOk(['repro']);
    expect(second.lines.filter((l) => l.endsWith('up to date'))).toHaveLength(2);
    expect(jobsOf(p.dir)).toHaveLength(2);

    // Outputs come back from the cache without a job.
    p.remove('b.txt');
    await p.runOk(['repro']);
    expect(p.read('b.txt')).toBe('hello set-up\nhello set-up\n');
    expect(jobsOf(p.dir)).toHaveLength(2);
    expect(p.counts('gen', 'use')).toEqual({ gen: 1, use: 1 });
  });

  it('fails a stage whose job fails, with the exit code, and commits nothing for it', async () => {
    const p = project({
      'pipeline.yaml': yamlLines('stages:', '  bad:', '    executor: slurm', '    cmd: ["echo fine", "echo broken >&2; exit 7"]', '    outs: [never.txt]'),
    });
    const r = await p.runOk(['repro'], 1);
    expect(allOutput(r)).toMatch(/bad: failed: job \d+ FAILED on localhost: command 2 of 2 exited with code 7/);
    expect(allOutput(r)).toContain('broken');
    expect(p.lockText() ?? '').not.toContain('bad');
    const runs = readdirSync(p.abs('.orchestrator/runs'));
    const record = JSON.parse(readFileSync(p.abs(`.orchestrator/runs/${runs[0]}`), 'utf8')) as { stages: Record<string, { exitCode?: number }> };
    expect(record.stages.bad?.exitCode).toBe(7);
  });

  it('runs a sweep of 8 variants as 8 jobs and produces every output', async () => {
    const p = project({
      'pipeline.yaml': yamlLines(
        'stages:',
        '  synth:',
        '    foreach: [1, 2, 3, 4, 5, 6, 7, 8]',
        '    do:',
        '      executor: slurm',
        '      cmd: echo $(( ${item} * ${item} )) > out/${item}.txt',
        '      outs: ["out/${item}.txt"]',
        '  table:',
        '    cmd: cat out/1.txt out/2.txt out/3.txt out/4.txt out/5.txt out/6.txt out/7.txt out/8.txt > table.txt',
        '    deps: [out/1.txt, out/2.txt, out/3.txt, out/4.txt, out/5.txt, out/6.txt, out/7.txt, out/8.txt]',
        '    outs: [table.txt]',
      ),
      'out/.keep': '',
    });
    await p.runOk(['repro', '-j', '8']);
    expect(p.read('table.txt')).toBe('1\n4\n9\n16\n25\n36\n49\n64\n');
    expect(jobsOf(p.dir)).toHaveLength(8);
    expect(jobsOf(p.dir).every((j) => j.state === 'COMPLETED')).toBe(true);
  });

  it('Ctrl-C cancels the running job: exit 130 and nothing of the workspace left in squeue', async () => {
    const p = project({
      'pipeline.yaml': yamlLines('stages:', '  long:', '    executor: slurm', '    cmd: touch started; sleep 300', '    outs: [never.txt]'),
    });
    const bg = p.start(['repro']);
    await waitFor(() => p.exists('started'), 'the job to start', 30_000);
    expect(queuedJobsOf(p.dir)).toHaveLength(1);
    bg.child.kill('SIGINT');
    const r = await bg.result;
    expect(r.code).toBe(130);
    expect(queuedJobsOf(p.dir)).toEqual([]);
    expect(jobsOf(p.dir).map((j) => j.state)).toEqual(['CANCELLED']);
  });

  it('pre-flight: an unknown partition is an error at the stage, with the partitions there (exit 2)', async () => {
    const p = project({
      'pipeline.yaml': yamlLines('stages:', '  s:', '    executor: slurm', '    slurm: {partition: debgu}', '    cmd: "true"'),
    });
    const r = await p.runOk(['repro'], 2);
    expect(r.stderr).toContain('pipeline.yaml:2:3');
    expect(r.stderr).toContain('stage "s": Slurm partition "debgu" does not exist (did you mean "debug"?)');
    expect(r.stderr).toContain('partitions here: debug');
    expect(jobsOf(p.dir)).toEqual([]);
  });

  it('pre-flight: no sbatch on PATH is an error with a hint (exit 2)', async () => {
    const p = project({ 'pipeline.yaml': yamlLines('stages:', '  s:', '    executor: slurm', '    cmd: "true"') });
    const r = await p.runOk(['repro'], 2, { env: { PATH: '/nonexistent' } });
    expect(r.stderr).toContain('stage "s" runs on Slurm, but sbatch is not installed here (not on PATH)');
    expect(r.stderr).toContain('hint: run orchestrator on a Slurm submit host');
  });

  it('pre-flight: a time limit Slurm would reject is an error (exit 2)', async () => {
    const p = project({ 'pipeline.yaml': yamlLines('stages:', '  s:', '    executor: slurm', '    slurm: {time: 4h}', '    cmd: "true"') });
    const r = await p.runOk(['repro'], 2);
    expect(r.stderr).toContain('stage "s": slurm.time "4h" is not a Slurm time limit');
  });
});

describe('doctor --slurm', () => {
  it('checks client, controller, partitions, and with --slurm a probe job sees the workspace', async () => {
    const p = project({ 'pipeline.yaml': yamlLines('stages:', '  s:', '    executor: slurm', '    slurm: {partition: debug}', '    cmd: "true"') });
    const plain = JSON.parse((await p.run(['doctor', '--json'])).stdout) as { checks: Array<{ name: string; status: string; detail: string }> };
    expect(plain.checks.find((c) => c.name === 'Slurm controller')?.status).toBe('ok');
    expect(plain.checks.find((c) => c.name === 'partition debug')).toMatchObject({ status: 'ok', detail: 'used by s' });
    expect(plain.checks.find((c) => c.name === 'workspace on nodes')?.status).toBe('skip');
    const probed = JSON.parse((await p.run(['doctor', '--json', '--slurm'])).stdout) as typeof plain;
    expect(probed.checks.find((c) => c.name === 'workspace on nodes')).toMatchObject({ status: 'ok', detail: expect.stringContaining(`saw ${p.dir}`) });
  });
});
