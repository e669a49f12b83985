import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecRequest, RunningMarker } from '../../src/exec/executor.js';
import { LocalExecutor } from '../../src/exec/local-executor.js';
import { isProcessAlive } from '../../src/exec/process-group.js';
import type { Stage } from '../../src/model/stage.js';
import { stage } from '../core/fixtures.js';
import { REPO_ROOT } from '../integration/harness.js';
import { running, until } from './processes.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function request(s: Stage, lines: string[] = []): ExecRequest {
  const root = mkdtempSync(path.join(os.tmpdir(), 'orch-exec-'));
  dirs.push(root);
  const logFile = path.join(root, 'stage.log');
  writeFileSync(logFile, '# header\n');
  return { stage: s, root, runId: 'run-1', env: { PATH: process.env.PATH ?? '' }, logFile, onLine: (l) => lines.push(l) };
}

describe('LocalExecutor', () => {
  const executor = new LocalExecutor();

  it('runs a list cmd in order in the stage wdir, streaming whole lines, and stops at the first failure', async () => {
    const lines: string[] = [];
    const req = request(stage('s', { cmd: ['printf "a\\nb"', 'echo c; exit 3', 'echo never'] }), lines);
    const outcome = await (await executor.start(req)).wait();
    expect(outcome).toEqual({ status: 'failed', failure: { kind: 'exit-code', code: 3, at: { command: { index: 2, count: 3 } } } });
    expect(lines).toEqual(['a', 'bc']);
    // The output went straight to the log, after its header, as the commands wrote it.
    expect(readFileSync(req.logFile, 'utf8')).toBe('# header\na\nbc\n');
  });

  it('without followOutput, delivers no lines for a success and the output lines for a failure', async () => {
    const okLines: string[] = [];
    const ok = { ...request(stage('s', { cmd: ['echo one', 'echo two'] }), okLines), followOutput: false };
    expect(await (await executor.start(ok)).wait()).toEqual({ status: 'succeeded' });
    expect(okLines).toEqual([]);
    expect(readFileSync(ok.logFile, 'utf8')).toBe('# header\none\ntwo\n');
    const badLines: string[] = [];
    const bad = { ...request(stage('s', { cmd: ['echo one', 'printf "two\\nthree"; exit 4'] }), badLines), followOutput: false };
    expect(await (await executor.start(bad)).wait()).toMatchObject({ status: 'failed', failure: { kind: 'exit-code', code: 4 } });
    expect(badLines).toEqual(['one', 'two', 'three']);
  });

  it('a stage whose wdir does not exist fails, and its log says which directory', async () => {
    const req = request(stage('s', { cmd: ['echo never'], wdir: 'missing/dir' }));
    const outcome = await (await executor.start(req)).wait();
    expect(outcome.status).toBe('failed');
    const log = readFileSync(req.logFile, 'utf8');
    expect(log).toContain(path.join(req.root, 'missing/dir'));
    expect(log).not.toContain('never');
  });

  it('runs each command as sh -c would: stdout and stderr in order, stdin empty, exit and exec reported, env and wdir set', async () => {
    const lines: string[] = [];
    const s = stage('s', {
      cmd: [
        `echo out; echo err >&2; cat; echo "$ORCHESTRATOR_STAGE $ORCHESTRATOR_RUN_ID $GREETING" ; pwd`,
        // A multi-line command with quotes of both kinds; `$$` is the command's own shell, as with sh -c.
        "x='it''s'\necho \"$x\"\nread -r me rest < /proc/self/stat; [ \"$me\" = \"$$\" ] && echo own-pid",
        'exec sh -c "exit 7"',
      ],
      env: { GREETING: "hello 'world'\nsecond line" },
    });
    const req = request(s, lines);
    const outcome = await (await executor.start(req)).wait();
    expect(outcome).toEqual({ status: 'failed', failure: { kind: 'exit-code', code: 7, at: { command: { index: 3, count: 3 } } } });
    expect(lines).toEqual(['out', 'err', "s run-1 hello 'world'", 'second line', req.root, 'its', 'own-pid']);
  });

  it('a syntax error in a command is that command failing with status 2, and the next stage still runs', async () => {
    const lines: string[] = [];
    const bad = await (await executor.start(request(stage('s', { cmd: ['echo "unterminated'] }), lines))).wait();
    expect(bad).toMatchObject({ status: 'failed', failure: { kind: 'exit-code', code: 2 } });
    expect(lines.join('\n')).toMatch(/unterminated|Syntax error|EOF/i);
    const good = await (await executor.start(request(stage('t', { cmd: ['echo fine'] })))).wait();
    expect(good).toEqual({ status: 'succeeded' });
  });

  it('reports a command killed by a signal by name', async () => {
    const outcome = await (await executor.start(request(stage('s', { cmd: ['kill -KILL $$'] })))).wait();
    expect(outcome).toEqual({ status: 'failed', failure: { kind: 'signal', signal: 'SIGKILL', status: 137 } });
  });

  it('preflight rejects environment variable names the shell cannot export', async () => {
    const diagnostics = await executor.preflight([stage('s', { env: { 'BAD-NAME': 'x', GOOD_1: 'y' } })]);
    expect(diagnostics.map((d) => d.message)).toEqual(['stage "s": "BAD-NAME" is not a valid environment variable name']);
  });

  it('preflight rejects NUL characters in commands and environment values (no command line or environment can hold one)', async () => {
    const diagnostics = await executor.preflight([stage('s', { cmd: ['echo ok', 'echo a\0b'], env: { A: 'x\0y', B: 'fine' } })]);
    expect(diagnostics.map((d) => d.message)).toEqual(['stage "s": command 2 contains a NUL character', 'stage "s": env A contains a NUL character']);
  });

  it('cancel stops the whole process tree, not just the shell', async () => {
    const req = request(stage('s', { cmd: ['sleep 30 & echo $! > child.pid; wait'] }));
    const handle = await executor.start(req);
    const pidFile = path.join(req.root, 'child.pid');
    await until(() => {
      try {
        return readFileSync(pidFile, 'utf8').trim() !== '';
      } catch {
        return false;
      }
    });
    const child = Number(readFileSync(pidFile, 'utf8'));
    await handle.cancel();
    expect(await handle.wait()).toEqual({ status: 'cancelled' });
    await until(() => !running(child));
  });

  it('cancel reaches a child that dropped its environment, and a command cancelled the moment it started', async () => {
    const req = request(stage('s', { cmd: ['env -i /bin/sleep 30 & echo $! > child.pid; wait'] }));
    const handle = await executor.start(req);
    const pidFile = path.join(req.root, 'child.pid');
    await until(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '');
    const child = Number(readFileSync(pidFile, 'utf8'));
    // Once `env -i` has exec'd sleep, nothing of the stage's tags is left in the child's environment.
    await until(() => readFileSync(`/proc/${child}/environ`, 'latin1') === '');
    await handle.cancel();
    expect(await handle.wait()).toEqual({ status: 'cancelled' });
    await until(() => !running(child));

    const early = await executor.start(request(stage('t', { cmd: ['touch ran; sleep 30'] })));
    await early.cancel();
    expect(await early.wait()).toEqual({ status: 'cancelled' });
  });

  it('cancelling one stage leaves another stage running alone, even one of the same name and run elsewhere', async () => {
    const victim = request(stage('build', { cmd: ['touch started; sleep 30'] }));
    // Sweep variants share a run id and stage names; only the workspace root tells them apart.
    const bystander = request(stage('build', { cmd: ['while [ ! -e go ]; do sleep 0.02; done; echo finished'] }));
    const lines: string[] = [];
    bystander.onLine = (l) => lines.push(l);
    const [v, b] = [await executor.start(victim), await executor.start(bystander)];
    await until(() => existsSync(path.join(victim.root, 'started')));
    await v.cancel();
    expect(await v.wait()).toEqual({ status: 'cancelled' });
    writeFileSync(path.join(bystander.root, 'go'), '');
    expect(await b.wait()).toEqual({ status: 'succeeded' });
    expect(lines).toEqual(['finished']);
  });

  it('cleanup finds a dead run\'s orphan by its environment even when the marker holds no pid', async () => {
    const orphan = spawn('sh', ['-c', 'sleep 30'], {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, ORCHESTRATOR_EXECUTOR: 'local', ORCHESTRATOR_RUN_ID: 'dead-run', ORCHESTRATOR_STAGE: 'build@1' },
    });
    orphan.unref();
    await until(() => isProcessAlive(orphan.pid!));
    const marker: RunningMarker = { stage: 'build@1', runId: 'dead-run', pid: 999999, executor: 'local', handleId: '', started: '' };
    await executor.cleanup({ ...marker, runId: 'other-run' });
    expect(running(orphan.pid!)).toBe(true);
    await executor.cleanup(marker);
    await until(() => !running(orphan.pid!));
  });
});

describe('LocalExecutor.cleanupLeftovers', () => {
  it('stops processes a dead run in this workspace left, and only those', async () => {
    const spawnWith = (root: string, executor = 'local') => {
      const child = spawn('sh', ['-c', 'sleep 30'], { detached: true, stdio: 'ignore', env: { ...process.env, ORCHESTRATOR_ROOT: root, ORCHESTRATOR_EXECUTOR: executor } });
      child.unref();
      return child.pid!;
    };
    const mine = spawnWith('/work/ws-a');
    const other = spawnWith('/work/ws-b');
    // Same workspace, but started by another executor (e.g. a Slurm job on this node): not ours.
    const job = spawnWith('/work/ws-a', 'slurm');
    await until(() => running(mine) && running(other) && running(job));
    await new LocalExecutor().cleanupLeftovers('/work/ws-a', new Set());
    await until(() => !running(mine));
    expect(running(other)).toBe(true);
    expect(running(job)).toBe(true);
    process.kill(-other, 'SIGKILL');
    process.kill(-job, 'SIGKILL');
  });
});

describe('LocalExecutor.reattach', () => {
  /**
   * Starts stage `s` of `req` from a separate Node process (the built dist/, as the CLI uses it) that
   * exits right after starting it. Returns the marker that dead run would have left.
   */
  function startOrphan(req: ExecRequest): RunningMarker {
    const script = `
      import { LocalExecutor } from ${JSON.stringify(path.join(REPO_ROOT, 'dist/exec/local-executor.js'))};
      const req = JSON.parse(process.argv[1]);
      let id = '';
      await new LocalExecutor().start({ ...req, onLine: () => {}, onHandleId: (h) => (id = h) });
      console.log(id);
      process.exit(0);
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(req)], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status, r.stderr).toBe(0);
    return { stage: req.stage.name, runId: req.runId, pid: 999999, executor: 'local', handleId: r.stdout.trim(), started: '' };
  }

  /** A command that waits for the test to create `go` (after its starter died), then runs `then`. */
  const afterGo = (then: string) => `while [ ! -e go ]; do sleep 0.02; done; ${then}`;

  /** Lets an orphan started with `afterGo` finish, unwatched, and waits for its status file. */
  async function finishUnwatched(req: ExecRequest): Promise<void> {
    writeFileSync(path.join(req.root, 'go'), '');
    const status = path.join(req.root, '.orchestrator/local', req.runId, `${req.stage.name}.status`);
    await until(() => existsSync(status) && readFileSync(status, 'utf8').endsWith('\n'));
  }

  /** The same stage in a later run of the same workspace, with its own log. */
  function laterRequest(first: ExecRequest, lines: string[]): ExecRequest {
    const logFile = path.join(first.root, 'later.log');
    writeFileSync(logFile, '# later header\n');
    return { ...first, runId: 'run-2', logFile, onLine: (l) => lines.push(l) };
  }

  it('follows a dead run\'s stage that is still running: waits for its end, copies its log', async () => {
    const first = request(stage('s', { cmd: [`echo begun; ${afterGo('echo finished')}`] }));
    const marker = startOrphan(first);
    expect(marker.handleId).toMatch(/^\d+$/);
    const lines: string[] = [];
    const later = laterRequest(first, lines);
    const handle = await new LocalExecutor().reattach(marker, later);
    expect(handle?.id).toBe(marker.handleId);
    writeFileSync(path.join(first.root, 'go'), '');
    expect(await handle!.wait()).toEqual({ status: 'succeeded' });
    expect(lines).toContain('finished');
    expect(readFileSync(later.logFile, 'utf8')).toMatch(/^# later header\n(.*\n)*begun\nfinished\n$/);
    expect(existsSync(path.join(first.root, '.orchestrator/local/run-1'))).toBe(false);
  });

  it('takes a stage that finished cleanly while nobody watched, and leaves a failed one to be run again', async () => {
    const ok = request(stage('s', { cmd: [afterGo('echo quick')] }));
    const okMarker = startOrphan(ok);
    await finishUnwatched(ok);
    const lines: string[] = [];
    const handle = await new LocalExecutor().reattach(okMarker, laterRequest(ok, lines));
    expect(await handle!.wait()).toEqual({ status: 'succeeded' });
    expect(lines).toContain('quick');

    const bad = request(stage('s', { cmd: [afterGo('exit 3')] }));
    const badMarker = startOrphan(bad);
    await finishUnwatched(bad);
    expect(await new LocalExecutor().reattach(badMarker, laterRequest(bad, []))).toBeUndefined();
    // Nor a marker whose process group is not the one the execution recorded.
    expect(await new LocalExecutor().reattach({ ...okMarker, handleId: '1' }, laterRequest(ok, []))).toBeUndefined();
  });
});
