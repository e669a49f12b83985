/** The pure parts of the Slurm executor: job script, sbatch arguments, parsing squeue/scontrol, outcomes in words. */
import { describeFailure } from '../../src/ui/failure-text.js';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerRunWords } from '../../src/exec/slurm/container-command.js';
import { jobFiles } from '../../src/exec/slurm/job-files.js';
import { jobScript, parseStartedFile, parseStatusFile } from '../../src/exec/slurm/job-script.js';
import { isLiveState, isRetryableState, jobOutcome, parseScontrolJob, parseSqueue, type JobRecord } from '../../src/exec/slurm/job-state.js';
import { isSlurmTime, jobComment, parseJobComment, sbatchArgs } from '../../src/exec/slurm/sbatch-args.js';
import { stage } from '../core/fixtures.js';

const ROOT = '/work/ws';

describe('job script', () => {
  const s = stage('train@4', {
    executor: 'slurm',
    wdir: 'sub dir',
    cmd: ['echo "a b"', "python3 train.py --name 'x'"],
    env: { GREETING: "it's me", N: '4' },
    slurm: { setup: ['module load vivado/2023.1', 'source /opt/env.sh'] },
  });
  const files = jobFiles(ROOT, 'run-1', s.name);

  it('cds to the wdir at the same path, runs setup, exports env, runs each command in sh -c (in the background, so a SIGTERM is acted on at once), and writes the status file last', () => {
    const text = jobScript({ stage: s, root: ROOT, runId: 'run-1', statusFile: files.status('${SLURM_JOB_ID}') });
    expect(text).toBe(
      [
        '#!/bin/bash',
        '# orchestrator job script: stage train@4, run run-1, workspace /work/ws',
        '# Written for every submission; the job log and the exit-status file sit next to it.',
        `status_file=/work/ws/.orchestrator/slurm/run-1/train@4."\${SLURM_JOB_ID:-manual}".status`,
        'finish() {',
        `  printf '%s %s\\n' "$1" "$2" > "$status_file.tmp" && mv -f "$status_file.tmp" "$status_file"`,
        '  exit "$1"',
        '}',
        'child=',
        'stop_job() {',
        "  trap '' TERM INT",
        '  i=0',
        '  while [ -n "$child" ] && kill -0 "$child" 2>/dev/null && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done',
        '  kill -KILL -- -$$ 2>/dev/null',
        '  [ -n "$child" ] && kill -KILL "$child" 2>/dev/null',
        '  exit 143',
        '}',
        'trap stop_job TERM INT',
        'run() {',
        '  ( trap - INT QUIT; exec "$@" ) &',
        '  child=$!',
        '  wait "$child"',
        '}',
        "cd '/work/ws/sub dir' || finish 1 cd",
        '# slurm.setup, each entry checked',
        '{',
        'module load vivado/2023.1',
        '} || finish $? setup',
        '{',
        'source /opt/env.sh',
        '} || finish $? setup',
        "# the stage's env (after setup, so it wins), then ORCHESTRATOR_*",
        `export GREETING='it'\\''s me'`,
        'export N=4',
        'export ORCHESTRATOR_STAGE=train@4 ORCHESTRATOR_ROOT=/work/ws ORCHESTRATOR_RUN_ID=run-1',
        '# the commands, in order; the first failure ends the job with its exit code',
        `run sh -c 'echo "a b"' || finish $? 1`,
        `run sh -c 'python3 train.py --name '\\''x'\\''' || finish $? 2`,
        'finish 0 done',
        '',
      ].join('\n'),
    );
  });

  it('runs as written: stops at the first failing command and records which one', () => {
    const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'orch-slurm-script-')));
    try {
      const t = stage('t', { cmd: ['echo one > one.txt', 'exit 3', 'echo never > never.txt'], env: { X: 'y z' } });
      const status = path.join(dir, 'status.${SLURM_JOB_ID}');
      writeFileSync(path.join(dir, 'job.sh'), jobScript({ stage: t, root: dir, runId: 'r', statusFile: status }));
      const r = spawnSync('bash', [path.join(dir, 'job.sh')], { env: { ...process.env, SLURM_JOB_ID: '42' }, encoding: 'utf8' });
      expect(r.status).toBe(3);
      expect(readFileSync(path.join(dir, 'status.42'), 'utf8')).toBe('3 2\n');
      expect(readFileSync(path.join(dir, 'one.txt'), 'utf8')).toBe('one\n');
      expect(() => readFileSync(path.join(dir, 'never.txt'))).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes when the job began to run as its first act: before cd, setup and the commands', () => {
    const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'orch-slurm-script-')));
    try {
      // The wdir does not exist: the job fails at cd, and has still recorded its start.
      const t = stage('t', { wdir: 'missing', cmd: ['true'] });
      const f = jobFiles(dir, 'r', 't');
      mkdirSync(f.dir, { recursive: true });
      const text = jobScript({ stage: t, root: dir, runId: 'r', statusFile: f.status('${SLURM_JOB_ID}'), startedFile: f.started('${SLURM_JOB_ID}') });
      expect(text.indexOf('started_file=')).toBeLessThan(text.indexOf('cd '));
      writeFileSync(path.join(dir, 'job.sh'), text);
      const r = spawnSync('bash', [path.join(dir, 'job.sh')], { env: { ...process.env, SLURM_JOB_ID: '42' }, encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(readFileSync(f.status('42'), 'utf8')).toBe('1 cd\n');
      const started = readFileSync(f.started('42'), 'utf8');
      expect(started).toMatch(/^\d+\.\d{9}\n$/);
      const [seconds, nanoseconds] = started.trim().split('.') as [string, string];
      expect(parseStartedFile(started)).toBe(new Date(Number(seconds) * 1000 + Math.floor(Number(nanoseconds) / 1e6)).toISOString());
      // A started file with the job's commands seeing it exist: they run after it is written.
      const u = stage('u', { cmd: [`test -e ${f.started('43')} && echo yes > saw.txt`] });
      writeFileSync(path.join(dir, 'job2.sh'), jobScript({ stage: u, root: dir, runId: 'r', statusFile: f.status('${SLURM_JOB_ID}'), startedFile: f.started('${SLURM_JOB_ID}') }));
      expect(spawnSync('bash', [path.join(dir, 'job2.sh')], { env: { ...process.env, SLURM_JOB_ID: '43' } }).status).toBe(0);
      expect(readFileSync(path.join(dir, 'saw.txt'), 'utf8')).toBe('yes\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parses the started file (date +%s.%N; whole seconds where %N is unsupported)', () => {
    expect(parseStartedFile('1733220000.123456789\n')).toBe('2024-12-03T10:00:00.123Z');
    expect(parseStartedFile('1733220000.999999999\n')).toBe('2024-12-03T10:00:00.999Z');
    expect(parseStartedFile('1733220000.5\n')).toBe('2024-12-03T10:00:00.500Z');
    expect(parseStartedFile('1733220000.N\n')).toBe('2024-12-03T10:00:00.000Z');
    expect(parseStartedFile('1733220000')).toBe('2024-12-03T10:00:00.000Z');
    expect(parseStartedFile('')).toBeUndefined();
    expect(parseStartedFile('yesterday')).toBeUndefined();
  });

  it('parses the status file', () => {
    expect(parseStatusFile('0 done\n')).toEqual({ code: 0, step: 'done' });
    expect(parseStatusFile('3 2\n')).toEqual({ code: 3, step: 2 });
    expect(parseStatusFile('127 setup\n')).toEqual({ code: 127, step: 'setup' });
    expect(parseStatusFile('1 cd')).toEqual({ code: 1, step: 'cd' });
    expect(parseStatusFile('')).toBeUndefined();
    expect(parseStatusFile('3 2\ngarbage')).toBeUndefined();
  });

  it('keeps file names safe and apart per job id', () => {
    const f = jobFiles(ROOT, 'r', 'a/b%c');
    expect(f.script).toBe('/work/ws/.orchestrator/slurm/r/a_b_c.sh');
    expect(f.logPattern).toBe('/work/ws/.orchestrator/slurm/r/a_b_c.%j.log');
    expect(f.log('12')).toBe('/work/ws/.orchestrator/slurm/r/a_b_c.12.log');
    expect(f.started('12')).toBe('/work/ws/.orchestrator/slurm/r/a_b_c.12.started');
  });

  it('runs a container stage with docker run of the image id, workspace at its own path', () => {
    const c = stage('c', { executor: 'slurm', container: { image: 'img:1', mounts: ['/tools:ro'], env: { A: '1' }, env_passthrough: ['LIC'] }, resources: { cpus: 2, mem_gb: 1 } });
    const words = dockerRunWords({ stage: c, root: ROOT, runId: 'r', imageId: 'sha256:abc', command: 'make', commandIndex: 0, callerUser: '1000:1000', home: '/home/u' });
    expect(words.ok && words.value).toEqual([
      'docker', 'run', '--rm', '--init', '--name', { expand: 'orchestrator-slurm-${SLURM_JOB_ID:-manual}-1' },
      '--label', 'orchestrator.root=/work/ws', '--label', 'orchestrator.run-id=r', '--label', 'orchestrator.stage=c', '--label', 'orchestrator.command=0',
      '--user', '1000:1000', '--workdir', '/work/ws',
      '--mount', 'type=bind,source=/work/ws,target=/work/ws', '--mount', 'type=bind,source=/tools,target=/tools,readonly',
      '--env', 'LIC', '--env', 'A=1', '--env', 'ORCHESTRATOR_STAGE', '--env', 'ORCHESTRATOR_ROOT', '--env', 'ORCHESTRATOR_RUN_ID',
      '--cpus', '2', '--memory', '1073741824', '--memory-swap', '1073741824',
      'sha256:abc', 'sh', '-c', 'make',
    ]);
    const text = jobScript({ stage: c, root: ROOT, runId: 'r', statusFile: '/s', commandWords: () => (words.ok ? words.value : []) });
    expect(text).toContain(`docker run --rm --init --name "orchestrator-slurm-\${SLURM_JOB_ID:-manual}-1" --label`);
    expect(text).toContain(`sha256:abc sh -c make || finish $? 1`);
  });
});

describe('sbatch arguments', () => {
  it('names the job after the run, comments root and stage, maps resources and slurm settings; sbatch_args last', () => {
    const s = stage('synth@2', {
      executor: 'slurm',
      resources: { cpus: 7.5, mem_gb: 1.5, vivado_license: 1 },
      slurm: { partition: 'cpu', time: '04:00:00', account: 'fpga', qos: 'long', constraint: 'avx2', gres: 'gpu:1', sbatch_args: ['--exclusive', '--partition=big'] },
    });
    expect(sbatchArgs({ stage: s, root: ROOT, runId: 'run-7', script: '/x/s.sh', logPattern: '/x/s.%j.log' })).toEqual([
      '--parsable',
      '--job-name=run-7',
      '--comment=orchestrator root=/work/ws stage=synth@2',
      '--output=/x/s.%j.log',
      '--chdir=/work/ws',
      '--no-requeue',
      '--export=ALL',
      '--partition=cpu',
      '--time=04:00:00',
      '--account=fpga',
      '--qos=long',
      '--constraint=avx2',
      '--gres=gpu:1',
      '--cpus-per-task=8',
      '--mem=1536M',
      '--exclusive',
      '--partition=big',
      '/x/s.sh',
    ]);
  });

  it('round-trips the comment, spaces in the root included', () => {
    expect(parseJobComment(jobComment('/a b/c', 'x@1'))).toEqual({ root: '/a b/c', stage: 'x@1' });
    expect(parseJobComment('someone else')).toBeUndefined();
  });

  it('accepts exactly the Slurm time formats', () => {
    for (const ok of [5, '90', '0:30', '04:00:00', '1-12', '1-12:30', '2-00:00:00', 'UNLIMITED']) expect(isSlurmTime(ok)).toBe(true);
    for (const bad of [0, 1.5, '4h', '1:2:3:4', '', '-1']) expect(isSlurmTime(bad)).toBe(false);
  });
});

describe('job states', () => {
  it('parses squeue lines', () => {
    const jobs = parseSqueue('12|RUNNING|None|node01\n13|PENDING|Resources|\n');
    expect(jobs.get('12')).toEqual({ state: 'RUNNING', reason: 'None', node: 'node01' });
    expect(jobs.get('13')).toEqual({ state: 'PENDING', reason: 'Resources', node: '' });
    expect(parseSqueue('')).toEqual(new Map());
  });

  it('parses scontrol show job, the comment with spaces included', () => {
    const text = [
      'JobId=41 JobName=run-1',
      '   UserId=root(0) GroupId=root(0) MCS_label=N/A',
      '   JobState=TIMEOUT Reason=TimeLimit Dependency=(null)',
      '   Requeue=0 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=0:15',
      '   RunTime=00:01:03 TimeLimit=00:01:00 TimeMin=N/A',
      '   NodeList=localhost',
      '   Comment=orchestrator root=/tmp/a b stage=slow ',
      '',
    ].join('\n');
    expect(parseScontrolJob(text)).toEqual({ id: '41', name: 'run-1', state: 'TIMEOUT', reason: 'TimeLimit', exitCode: 0, signal: 15, node: 'localhost', timeLimit: '00:01:00', comment: 'orchestrator root=/tmp/a b stage=slow' });
    expect(parseScontrolJob('slurm_load_jobs error: Invalid job id specified')).toBeUndefined();
  });

  it('knows live and retryable states', () => {
    for (const s of ['PENDING', 'RUNNING', 'COMPLETING', 'CONFIGURING', 'SUSPENDED']) expect(isLiveState(s)).toBe(true);
    for (const s of ['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL', 'PREEMPTED']) expect(isLiveState(s)).toBe(false);
    expect(['NODE_FAIL', 'PREEMPTED', 'TIMEOUT', 'FAILED'].map(isRetryableState)).toEqual([true, true, false, false]);
  });

  it('reports every terminal state in words', () => {
    const s = stage('s', { executor: 'slurm', cmd: ['a', 'b'], resources: { mem_gb: 2 } });
    const rec = (state: string, extra: Partial<JobRecord> = {}): JobRecord => ({ id: '9', name: 'r', state, reason: 'None', node: 'n1', timeLimit: '00:01:00', comment: '', ...extra });
    const outcome = (state: string | undefined, status?: { code: number; step: 'done' | 'cd' | 'setup' | number }) =>
      jobOutcome({ jobId: '9', ...(state ? { record: rec(state) } : {}), ...(status ? { status } : {}), graceS: 30 }, s);
    // The outcome is data; these are its words as the UI says them.
    const words = (state: string | undefined, status?: { code: number; step: 'done' | 'cd' | 'setup' | number }) => {
      const o = outcome(state, status);
      return o.status === 'failed' ? describeFailure(o.failure) : o.status;
    };
    expect(outcome('COMPLETED', { code: 0, step: 'done' })).toEqual({ status: 'succeeded' });
    expect(outcome('FAILED', { code: 3, step: 2 })).toEqual({ status: 'failed', failure: { kind: 'exit-code', code: 3, at: { job: { id: '9', state: 'FAILED', node: 'n1' }, command: { index: 2, count: 2 } } } });
    expect(words('FAILED', { code: 3, step: 2 })).toBe('job 9 FAILED on n1: command 2 of 2 exited with code 3');
    expect(outcome('FAILED', { code: 127, step: 'setup' })).toMatchObject({ failure: { kind: 'exit-code', code: 127 } });
    expect(words('FAILED', { code: 127, step: 'setup' })).toBe('job 9 FAILED on n1: slurm.setup failed: command not found (127)');
    expect(words('FAILED', { code: 1, step: 'cd' })).toBe("job 9 FAILED on n1: could not cd to the stage's directory on n1: is the workspace visible there at the same path?");
    expect(words('FAILED')).toMatch(/^job 9 FAILED on n1 before its commands ran, and its exit-status file did not appear within 30 s/);
    expect(words('COMPLETED')).toMatch(/^job 9 COMPLETED, but its exit-status file did not appear within 30 s: is the workspace visible at the same path on n1\?/);
    expect(words('CANCELLED')).toBe('job 9 CANCELLED on n1 by Slurm or an administrator (scancel), not by orchestrator');
    expect(outcome('TIMEOUT')).toEqual({ status: 'failed', failure: { kind: 'time-limit', limit: '00:01:00', at: { job: { id: '9', state: 'TIMEOUT', node: 'n1' } } } });
    expect(words('TIMEOUT')).toBe('job 9 TIMEOUT on n1: killed by Slurm at its time limit (00:01:00); raise slurm.time');
    expect(outcome('OUT_OF_MEMORY')).toMatchObject({ failure: { kind: 'out-of-memory', memGb: 2 } });
    expect(words('OUT_OF_MEMORY')).toBe('job 9 OUT_OF_MEMORY on n1: killed for using more memory than --mem=2048M from resources.mem_gb');
    expect(words('NODE_FAIL')).toBe('job 9 NODE_FAIL: its node n1 failed');
    expect(words('PREEMPTED')).toBe('job 9 PREEMPTED on n1 by a higher-priority job');
    expect(words('BOOT_FAIL')).toBe('job 9 BOOT_FAIL: its node n1 failed to boot');
    expect(words('REVOKED')).toBe('job 9 ended in state REVOKED on n1');
    expect(outcome(undefined, { code: 0, step: 'done' })).toEqual({ status: 'succeeded' });
    expect(words(undefined)).toMatch(/^job 9 is no longer known to Slurm and its exit-status file did not appear/);
  });
});
