import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecRequest, RunningMarker } from '../../src/exec/executor.js';
import { LocalExecutor } from '../../src/exec/local-executor.js';
import { isProcessAlive } from '../../src/exec/process-group.js';
import type { Stage } from '../../src/model/stage.js';
import { stage } from '../core/fixtures.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function request(s: Stage, lines: string[] = []): ExecRequest {
  const root = mkdtempSync(path.join(os.tmpdir(), 'orch-exec-'));
  dirs.push(root);
  return { stage: s, root, runId: 'run-1', env: { PATH: process.env.PATH ?? '' }, onLine: (l) => lines.push(l) };
}

/** Alive and not a zombie (zombies linger here because PID 1 does not reap orphans). */
function running(pid: number): boolean {
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
  } catch {
    return false;
  }
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
}

describe('LocalExecutor', () => {
  const executor = new LocalExecutor();

  it('runs a list cmd in order in the stage wdir, streaming whole lines, and stops at the first failure', async () => {
    const lines: string[] = [];
    const req = request(stage('s', { cmd: ['printf "a\\nb"', 'echo c; exit 3', 'echo never'] }), lines);
    const outcome = await (await executor.start(req)).wait();
    expect(outcome).toEqual({ status: 'failed', exitCode: 3, message: 'command 2 of 3 exited with code 3' });
    expect(lines).toEqual(['a', 'b', 'c']);
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
    await new LocalExecutor().cleanupLeftovers('/work/ws-a');
    await until(() => !running(mine));
    expect(running(other)).toBe(true);
    expect(running(job)).toBe(true);
    process.kill(-other, 'SIGKILL');
    process.kill(-job, 'SIGKILL');
  });
});
