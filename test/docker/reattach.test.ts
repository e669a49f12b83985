/**
 * DockerExecutor at the interface level, against the real engine: reattaching to a container of a
 * process that died, and cleanup by marker. The "dead process" is a real child process that starts
 * a stage through the built executor (dist/) and is SIGKILLed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DockerExecutor } from '../../src/exec/docker/docker-executor.js';
import type { ExecRequest, RunningMarker } from '../../src/exec/executor.js';
import type { Stage } from '../../src/model/stage.js';
import { stage } from '../core/fixtures.js';
import { REPO_ROOT, waitFor } from '../integration/harness.js';
import { BUSYBOX, containersOf, docker, requireDocker } from './docker-env.js';

const roots: string[] = [];
beforeAll(() => requireDocker());
afterEach(() => {
  for (const root of roots.splice(0)) {
    for (const id of containersOf(root)) docker('rm', '-f', id);
    rmSync(root, { recursive: true, force: true });
  }
});

function workspace(): string {
  const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'orch-docker-exec-')));
  roots.push(root);
  return root;
}

function request(s: Stage, root: string, runId: string, lines: string[]): ExecRequest {
  const env = { ORCHESTRATOR_STAGE: s.name, ORCHESTRATOR_ROOT: root, ORCHESTRATOR_RUN_ID: runId };
  return { stage: s, root, runId, env, logFile: path.join(root, `${s.name}.log`), onLine: (l) => lines.push(l) };
}

/** Starts `s` from a separate Node process (the built executor), waits until `ready` exists, and SIGKILLs that process. */
async function startAndDie(s: Stage, root: string, runId: string, ready: string): Promise<string> {
  const script = `
    const { DockerExecutor } = await import(${JSON.stringify(path.join(REPO_ROOT, 'dist/exec/docker/docker-executor.js'))});
    const req = JSON.parse(process.argv[1]);
    const handle = await new DockerExecutor().start({ ...req, onLine: () => {}, onHandleId: (id) => console.log('id ' + id) });
    await handle.wait();`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, JSON.stringify({ stage: s, root, runId, env: { ORCHESTRATOR_RUN_ID: runId } })], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  await waitFor(() => existsSync(path.join(root, ready)) && /id [0-9a-f]+/.test(out), 'the child to start the container');
  child.kill('SIGKILL');
  await new Promise((r) => child.once('close', r));
  return /id ([0-9a-f]+)/.exec(out)![1]!;
}

const marker = (s: Stage, runId: string, handleId: string): RunningMarker => ({ stage: s.name, runId, pid: 999999, executor: 'docker', handleId, started: new Date().toISOString() });

describe('DockerExecutor reattach and cleanup', () => {
  it('reattaches to a still-running container of a dead run, replays and follows its output, then runs the remaining commands', async () => {
    const root = workspace();
    const s = stage('long', {
      executor: 'docker',
      container: { image: BUSYBOX },
      cmd: ['echo before; touch started; while [ ! -e release ]; do sleep 0.05; done; echo after', 'echo second > second.txt'],
    });
    const id = await startAndDie(s, root, 'run-a', 'started');
    expect(containersOf(root)).toHaveLength(1);

    const lines: string[] = [];
    const executor = new DockerExecutor();
    const handle = await executor.reattach(marker(s, 'run-a', id), request(s, root, 'run-b', lines));
    expect(handle?.id).toBe(id);
    writeFileSync(path.join(root, 'release'), '');
    expect(await handle!.wait()).toEqual({ status: 'succeeded' });
    expect(lines).toEqual(['before', 'after']);
    expect(readFileSync(path.join(root, 'second.txt'), 'utf8')).toBe('second\n');
    expect(containersOf(root)).toEqual([]);
  });

  it('does not reattach to a container that has exited or belongs to another stage; cleanup removes it', async () => {
    const root = workspace();
    const s = stage('quick', { executor: 'docker', container: { image: BUSYBOX }, cmd: ['touch started; sleep 0.3'] });
    const id = await startAndDie(s, root, 'run-a', 'started');
    const executor = new DockerExecutor();
    const other = stage('other', { executor: 'docker', container: { image: BUSYBOX } });
    expect(await executor.reattach(marker(s, 'run-a', id), request(other, root, 'run-b', []))).toBeUndefined();
    await waitFor(() => docker('inspect', '--format', '{{.State.Running}}', id).stdout.trim() === 'false', 'the container to exit');
    expect(await executor.reattach(marker(s, 'run-a', id), request(s, root, 'run-b', []))).toBeUndefined();

    // The marker may not even name the container (the run died before recording it): labels find it.
    await executor.cleanup(marker(s, 'run-a', ''));
    expect(containersOf(root)).toEqual([]);
  });

  it('cancel stops and removes a running container; wait() resolves cancelled', async () => {
    const root = workspace();
    const s = stage('c', { executor: 'docker', container: { image: BUSYBOX }, cmd: ['touch started; sleep 120', 'echo never > never.txt'] });
    const executor = new DockerExecutor();
    const handle = await executor.start(request(s, root, 'run-c', []));
    await waitFor(() => existsSync(path.join(root, 'started')), 'the container to start');
    await handle.cancel();
    expect(await handle.wait()).toEqual({ status: 'cancelled' });
    expect(containersOf(root)).toEqual([]);
    expect(existsSync(path.join(root, 'never.txt'))).toBe(false);
  });
});
